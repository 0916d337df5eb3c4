use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    u[1..][0]
}

fn main() {}
