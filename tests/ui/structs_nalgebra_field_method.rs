use nalgebra::{DMatrix, DVector};
use tapeless::differentiable;

#[differentiable]
struct Body {
    v: DVector<f64>,
    m: DMatrix<f64>,
}

// nalgebra's operations on a struct's field: the function sees the field as its reals.
#[differentiable]
fn energy(b: &Body, y: &DVector<f64>) -> f64 {
    b.v.dot(y) + b.m[(0, 1)]
}

fn main() {}
