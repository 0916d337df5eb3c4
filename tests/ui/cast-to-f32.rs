use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = x as f32;
    x
}

fn main() {}
