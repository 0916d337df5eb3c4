use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f64>, a: f64) -> f64 {
    let mut y = x.clone();
    for v in y.iter_mut() {
        *v *= a;
    }
    y.sum()
}

fn main() {}
