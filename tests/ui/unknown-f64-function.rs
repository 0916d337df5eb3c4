use tapeless::differentiable;

#[differentiable]
fn fractional_part(x: f64) -> f64 {
    f64::fract(x)
}

fn main() {}
