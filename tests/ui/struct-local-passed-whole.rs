// A struct local passed whole to a function that is not annotated: the struct is held as its
// reals for an annotated callee (`__energy_held`), which this one has not.
use tapeless::differentiable;

struct State {
    x: f64,
    v: f64,
}

fn energy(s: &State) -> f64 {
    s.x * s.x + s.v * s.v
}

#[differentiable]
fn f(a: f64) -> f64 {
    let s = State { x: a, v: 2.0 * a };
    energy(&s) + s.x
}

fn main() {
    let _ = f(1.0);
}
