// `..base` in a struct local's literal is refused: every field is written.
use tapeless::differentiable;

#[derive(Clone, Copy)]
struct State {
    x: f64,
    v: f64,
}

#[differentiable]
fn f(a: f64) -> f64 {
    let s = State { x: a, v: 2.0 * a };
    let t = State { x: 3.0 * s.x, ..s };
    t.x * t.v
}

fn main() {
    let _ = f(1.0);
}
