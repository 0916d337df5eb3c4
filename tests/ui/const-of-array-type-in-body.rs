use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    const WEIGHTS: [f64; 2] = [0.5, 2.0];
    x * WEIGHTS[1]
}

fn main() {}
