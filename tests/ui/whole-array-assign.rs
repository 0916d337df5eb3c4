use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> Vec<f64> {
    let mut u = vec![x; n];
    let v = vec![2.0 * x; n];
    u = v;
    u
}

fn main() {}
