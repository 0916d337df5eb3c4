use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n];
    v = vec![x; n];
    v
}

fn main() {}
