use tapeless::differentiable;

#[differentiable]
fn total(u: &[f64]) -> f64 {
    u.iter().sum()
}

fn main() {}
