//! A `&mut self` method called on a struct the caller holds as its reals, its result used in an
//! expression: the caller passes the held struct as written only for a call whose result it
//! drops (`s2.kick(h);`); the error on the call says to call it as a statement.
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
    s2.kick(h)
}

fn main() {}
