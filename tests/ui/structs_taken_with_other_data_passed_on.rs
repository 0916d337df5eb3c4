use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    steps: usize,
    labels: Vec<usize>,
}

#[differentiable]
fn step(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.x,
        steps: s.steps + 1,
        labels: s.labels.clone(),
    }
}

// A struct with data other than integers and bools (`Vec<usize>`) taken from a call cannot be
// passed on: its reals and integer slots do not make the struct.
#[differentiable]
fn twice(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    let s3 = step(&s2, h);
    s3.x
}

fn main() {}
