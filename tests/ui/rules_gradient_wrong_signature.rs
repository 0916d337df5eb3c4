use tapeless::differentiable;

// `nested::Gradient` calls `f(x)`: a function of more parameters implements it by hand.
#[differentiable(gradient = Scaled)]
fn scaled(x: &[f64], c: f64) -> f64 {
    c * x[0] * x[0]
}

fn main() {}
