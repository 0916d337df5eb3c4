use tapeless::differentiable;

#[differentiable]
fn scale(u: &mut [f64], c: f64) -> f64 {
    u[0] *= c;
    u[0]
}

#[differentiable]
fn tail_scaled(u: &mut [f64], c: f64) -> f64 {
    scale(&mut u[1..], c) + u[1]
}

fn main() {}
