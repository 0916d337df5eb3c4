use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    assert_eq!(x, &[1.0, 2.0]);
    x[0]
}

fn main() {}
