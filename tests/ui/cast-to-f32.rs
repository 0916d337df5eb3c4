use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    (x as f32).sqrt() as f64
}

fn main() {}
