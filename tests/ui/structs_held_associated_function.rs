//! A held struct passed to an associated function through its path (`State::both(&s2, ..)`):
//! the error says to call a free function by its name or a `&self` method on the struct.
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
    fn both(a: &Self, b: &Self) -> f64 {
        a.x[0] * b.x[1] + a.t
    }
}

#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2: State = step(s, h);
    State::both(&s2, &s2)
}

fn main() {}
