use tapeless::differentiable;

#[differentiable]
fn f(x: f64, k: usize) -> f64 {
    let mut y = x;
    if let 1..=3 = k {
        y = x * k as f64;
    }
    y
}

fn main() {}
