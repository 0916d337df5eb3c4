use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    match n {
        0 => x,
        k @ 1..=3 => x * k as f64,
        _ => x * x,
    }
}

fn main() {}
