use tapeless::differentiable;

#[differentiable]
struct State {
    x: f64,
    steps: usize,
}

#[differentiable]
fn step(s: &mut State, h: f64) {
    s.x += h * s.x;
    s.steps += 1;
}

fn main() {}
