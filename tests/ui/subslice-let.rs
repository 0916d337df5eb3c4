use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let tail = &u[1..];
    tail[0]
}

fn main() {}
