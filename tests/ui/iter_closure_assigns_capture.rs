use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut n = 0.0;
    let s: f64 = x
        .iter()
        .map(|v| {
            n += 1.0;
            v * n
        })
        .sum();
    s + n
}

fn main() {}
