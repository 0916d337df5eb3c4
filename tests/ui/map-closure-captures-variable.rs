use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(x: &DVector<f64>, gain: f64) -> f64 {
    x.map(|v| (gain * v).tanh()).sum()
}

fn main() {}
