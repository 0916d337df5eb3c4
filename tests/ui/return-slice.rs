use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> &[f64] {
    u
}

fn main() {}
