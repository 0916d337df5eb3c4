use tapeless::differentiable;

#[differentiable]
fn head(u: &[f64]) -> f64 {
    u[0] * u[0]
}

#[differentiable]
fn tail_head(u: &[f64]) -> f64 {
    head(&u[1..])
}

fn main() {}
