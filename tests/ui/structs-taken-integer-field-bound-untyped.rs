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

// An integer field of a held struct bound without its type is read as a real: the error says
// to write the type (`let n: usize = s2.steps;`) or read it where an integer is written.
#[differentiable]
fn twice(s: &State, h: f64) -> f64 {
    let s2 = step(s, h);
    let n = s2.steps;
    s2.x * n as f64
}

fn main() {}
