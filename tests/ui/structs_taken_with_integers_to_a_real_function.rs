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

#[differentiable]
fn energy(s: &State) -> f64 {
    s.x * s.x
}

// A struct with an integer field taken from a call cannot be passed on, to a function returning
// a real either: its reals alone do not make the struct.
#[differentiable]
fn run(s: &State, h: f64) -> f64 {
    let s2: State = step(s, h);
    energy(&s2)
}

fn main() {}
