use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f32>) -> f32 {
    x.sum()
}

fn main() {}
