use tapeless::differentiable;

#[differentiable]
fn square(x: f64) -> f64 {
    x.powi(2.0)
}

fn main() {}
