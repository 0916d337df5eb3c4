use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64], x: f64) -> f64 {
    u[x]
}

fn main() {}
