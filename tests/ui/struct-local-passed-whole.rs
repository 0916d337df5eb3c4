// A struct local is a local per field: passing it whole to a call is refused on its name.
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
