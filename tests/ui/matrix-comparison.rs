use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f64>, y: &DVector<f64>) -> f64 {
    if x == y {
        x.sum()
    } else {
        y.sum()
    }
}

fn main() {}
