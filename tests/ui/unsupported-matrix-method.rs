use nalgebra::DMatrix;
use tapeless::differentiable;

#[differentiable]
fn f(a: &DMatrix<f64>) -> f64 {
    a.determinant()
}

fn main() {}
