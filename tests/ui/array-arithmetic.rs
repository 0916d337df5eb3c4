use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64], v: &[f64]) -> f64 {
    let w = u + v;
    w
}

fn main() {}
