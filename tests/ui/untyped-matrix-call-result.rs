use nalgebra::{DMatrix, DVector};
use tapeless::differentiable;

#[differentiable]
fn layer(w: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    (w * x).map(|v| v.tanh())
}

#[differentiable]
fn cost(w: &DMatrix<f64>, x: &DVector<f64>, target: &DVector<f64>) -> f64 {
    let y = layer(w, x);
    (y - target).norm_squared()
}

fn main() {}
