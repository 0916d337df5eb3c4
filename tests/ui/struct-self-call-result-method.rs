// A struct taken from a method of `self` is read by its fields and passed on; calling its
// own methods needs its type written (its places are the method's, not a type's).
use tapeless::differentiable;

#[differentiable]
#[derive(Clone, Copy)]
struct State {
    x: f64,
    y: f64,
}

impl State {
    #[differentiable]
    fn norm2(&self) -> f64 {
        self.x * self.x + self.y * self.y
    }
}

#[differentiable]
struct Model {
    a: f64,
}

impl Model {
    #[differentiable]
    fn rhs(&self, s: &State) -> State {
        State {
            x: self.a * s.y,
            y: -s.x,
        }
    }

    #[differentiable]
    fn energy(&self, s: &State) -> f64 {
        let k1 = self.rhs(s);
        k1.norm2() + k1.x
    }
}

fn main() {
    let m = Model { a: 2.0 };
    let _ = m.energy(&State { x: 1.0, y: 2.0 });
}

impl Model {
    #[differentiable]
    fn stepped(&self, s: &State) -> f64 {
        let k1 = self.rhs(s);
        let k2 = k1.norm2();
        k2 + k1.y
    }
}
