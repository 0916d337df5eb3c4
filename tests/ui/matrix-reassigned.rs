use nalgebra::{DMatrix, DVector};
use tapeless::differentiable;

#[differentiable]
fn f(a: &DMatrix<f64>, x: &DVector<f64>) -> f64 {
    let mut h = x.clone();
    for _k in 0..3 {
        h = a * &h;
    }
    h.norm()
}

fn main() {}
