use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    assert!(x > 0.0, "x = {x}");
    x * x
}

fn main() {}
