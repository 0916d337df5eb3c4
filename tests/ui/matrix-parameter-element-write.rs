use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(mut x: DVector<f64>) -> f64 {
    x[0] = 1.0;
    x.sum()
}

#[differentiable]
fn g(mut y: DVector<f64>, a: f64) -> f64 {
    for v in y.iter_mut() {
        *v *= a;
    }
    y.sum()
}

fn main() {}
