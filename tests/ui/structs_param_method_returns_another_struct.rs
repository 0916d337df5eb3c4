//! A method of a struct parameter returning another struct, whose own methods are called: the
//! caller holds the result at the receiver's type's places unless told otherwise, and rustc
//! says the result is of another type; writing its type (`let q: Pair = s.spread();`) compiles.
use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    v: f64,
}

#[differentiable]
struct Pair {
    a: f64,
    b: f64,
}

impl State {
    #[differentiable]
    fn spread(&self) -> Pair {
        Pair {
            a: self.x,
            b: self.x * self.v,
        }
    }
}

impl Pair {
    #[differentiable]
    fn total(&self) -> f64 {
        self.a + self.b
    }
}

#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let q = s.spread();
    q.total() * h
}

#[differentiable]
fn typed(s: &State, h: f64) -> f64 {
    let q: Pair = s.spread();
    q.total() * h + q.a
}

fn main() {}
