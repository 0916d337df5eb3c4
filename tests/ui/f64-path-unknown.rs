use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    f64::clamp(x, 0.0, 1.0)
}

fn main() {}
