use tapeless::differentiable;

#[differentiable]
fn f(x: f64, k: Option<usize>) -> f64 {
    let mut y = x;
    if let Some(n) = k {
        y = x * n as f64;
    }
    y
}

fn main() {}
