//! A `&mut self` method called on a struct an annotated caller holds as its reals, with an
//! argument reading that struct: the caller passes it `&mut` only beside arguments that do not
//! read it, and the error says to read them into locals first.
use tapeless::differentiable;

#[differentiable]
struct State {
    x: [f64; 2],
    t: f64,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: [s.x[0] + h * s.x[1], s.x[1]],
        t: s.t + h,
    }
}

impl State {
    #[differentiable]
    fn kick(&mut self, h: f64) -> f64 {
        self.x[0] += h;
        self.x[0]
    }
}

#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let mut s2: State = step(s, h);
    s2.kick(s2.t) * 2.0
}

fn main() {}
