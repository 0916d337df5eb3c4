use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    f32::sin(x as f32) as f64
}

fn main() {}
