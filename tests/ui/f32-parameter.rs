use tapeless::differentiable;

#[differentiable]
fn f(x: f32) -> f32 {
    x * x
}

fn main() {}
