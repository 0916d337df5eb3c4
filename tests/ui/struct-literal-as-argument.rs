// A struct literal that is not bound to a local (here an argument) is refused.
use tapeless::differentiable;

struct State {
    x: f64,
    v: f64,
}

fn energy(s: State) -> f64 {
    s.x * s.v
}

#[differentiable]
fn f(a: f64) -> f64 {
    let s = State { x: a, v: a };
    energy(State { x: s.x, v: 2.0 }) * s.v
}

fn main() {
    let _ = f(1.0);
}
