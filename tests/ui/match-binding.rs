use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    match n {
        0 => y = 1.0,
        k => y = x * k as f64,
    }
    y
}

fn main() {}
