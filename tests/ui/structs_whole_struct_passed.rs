use tapeless::differentiable;

#[differentiable]
struct State {
    x: [f64; 2],
}

#[differentiable]
fn inner(s: &mut State, h: f64) {
    s.x[0] += h * s.x[1];
}

// A `&mut` struct passed whole to another differentiable function is not supported yet.
#[differentiable]
fn outer(s: &mut State, h: f64) {
    inner(s, h);
}

fn main() {}
