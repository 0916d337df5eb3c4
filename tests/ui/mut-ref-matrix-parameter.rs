use nalgebra::DVector;
use tapeless::differentiable;

#[differentiable]
fn f(_out: &mut DVector<f64>, x: &DVector<f64>) {
    let _y = x * 2.0;
}

fn main() {}
