//! A `&mut` struct passed whole while its fields are used beside the call is held as its reals:
//! every field must be real (an integer field has no place among the reals).
use tapeless::differentiable;

#[differentiable]
struct State {
    x: [f64; 2],
    n: usize,
}

#[differentiable]
fn inner(s: &mut State, h: f64) {
    s.x[0] += h * s.x[1];
}

#[differentiable]
fn outer(s: &mut State, h: f64) {
    inner(s, h);
    s.x[1] *= 0.5;
}

fn main() {}
