use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let x = DVector::from_column_slice(&u[1..]);
    x.norm()
}

fn main() {}
