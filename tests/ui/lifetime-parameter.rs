use tapeless::differentiable;

#[differentiable]
fn first<'a>(u: &'a [f64]) -> f64 {
    u[0]
}

fn main() {}
