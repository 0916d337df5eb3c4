use tapeless::differentiable;

#[differentiable]
struct State {
    x: [f64; 2],
}

#[differentiable]
fn inner(s: &mut State, h: f64) {
    s.x[0] += h * s.x[1];
}

// A `&mut` struct passed whole while its fields are used beside the call is refused.
#[differentiable]
fn outer(s: &mut State, h: f64) {
    inner(s, h);
    s.x[1] *= 0.5;
}

fn main() {}
