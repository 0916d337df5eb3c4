// A struct taken from a method of `self` is held at the type of the caller's struct parameters
// the call passes (`self.rhs(s)` with `s: &State`). Passed none (a literal), its methods need
// its type written; passed one of another type, rustc says the result is not of that type.
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
struct Pair {
    a: f64,
    b: f64,
}

impl Pair {
    #[differentiable]
    fn total(&self) -> f64 {
        self.a + self.b
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
    fn spread(&self, s: &State) -> Pair {
        Pair {
            a: self.a * s.x,
            b: s.y,
        }
    }

    #[differentiable]
    fn energy(&self, s: &State) -> f64 {
        let k1 = self.rhs(&State { x: s.x, y: 2.0 * s.y });
        k1.norm2() + k1.x
    }

    #[differentiable]
    fn spread_total(&self, s: &State) -> f64 {
        let q = self.spread(s);
        q.total() + q.a
    }
}

fn main() {
    let m = Model { a: 2.0 };
    let _ = m.energy(&State { x: 1.0, y: 2.0 });
}
