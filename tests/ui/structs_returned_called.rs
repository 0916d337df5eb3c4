use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    steps: usize,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.x,
        steps: s.steps + 1,
    }
}

// A caller holds a struct taken from a call as its reals: an integer field is not among them.
#[differentiable]
fn twice(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    s2.x * s2.steps as f64
}

fn main() {}
