// `..base` in a struct local's literal takes a struct local or parameter by its name: a value
// computed by an expression would be evaluated once per field.
use tapeless::differentiable;

#[derive(Clone, Copy)]
struct State {
    x: f64,
    v: f64,
}

fn make(a: f64) -> State {
    State { x: a, v: a }
}

#[differentiable]
fn f(a: f64) -> f64 {
    let t = State { x: 3.0 * a, ..make(a) };
    t.x * t.v
}

fn main() {
    let _ = f(1.0);
}
