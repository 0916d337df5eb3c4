use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f64>) -> DVector<f64> {
    x.map(f64::tanh)
}

fn main() {}
