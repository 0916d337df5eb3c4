use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f64>) -> f64 {
    let mut y = x * 2.0;
    y[0] = 1.0;
    y.sum()
}

fn main() {}
