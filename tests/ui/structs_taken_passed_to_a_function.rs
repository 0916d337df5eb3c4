use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    v: f64,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.v,
        v: s.v - h * s.x,
    }
}

#[differentiable]
fn energy(s: &State) -> f64 {
    0.5 * (s.x * s.x + s.v * s.v)
}

// A struct taken from a call goes on to functions returning a struct only.
#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    energy(&s2) + s2.x
}

fn main() {}
