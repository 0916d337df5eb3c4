use tapeless::differentiable;

#[differentiable]
fn clamp01(x: f64) -> f64 {
    f64::clamp(x, 0.0, 1.0)
}

fn main() {}
