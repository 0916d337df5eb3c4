use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64; 3]) -> f64 {
    u[0] * u[1]
}

fn main() {}
