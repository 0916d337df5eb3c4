use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let n = x.iter().map(|v| v * v).count();
    n as f64
}

fn main() {}
