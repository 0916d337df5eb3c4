use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State { x: s.x + h * s.x }
}

// An annotated caller cannot take a struct result yet.
#[differentiable]
fn twice(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    s2.x
}

fn main() {}
