use nalgebra::SVector;
use tapeless::differentiable;

#[differentiable]
fn rhs(s: &SVector<f64, 3>) -> SVector<f64, 3> {
    s * 2.0
}

#[differentiable]
fn gain(s: &SVector<f64, 3>) -> f64 {
    s.norm()
}

#[differentiable]
fn f(s: &SVector<f64, 3>) -> f64 {
    // `g * h` in a sum with `s` is a vector: either factor may be the vector, so `g` is taken
    // to be one, and its `.sin()` says it is a real.
    let g = gain(s);
    let h = rhs(s);
    let y = s + g * h;
    y.dot(&y) + g.sin()
}

fn main() {
    let _ = f(&SVector::<f64, 3>::zeros());
}
