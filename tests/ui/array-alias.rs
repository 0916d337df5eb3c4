use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let w = u;
    w[0]
}

fn main() {}
