// Bug 1b of tests/random-programs/README.md inside a closure: a `&mut` slice passed to a `&[f64]`
// parameter is taken for a write.
use tapeless::differentiable;

#[differentiable]
fn dot(u: &[f64], v: &[f64]) -> f64 {
    u[0] * v[0] + u[1] * v[1]
}

#[differentiable]
fn f(x: &[f64], y: &mut [f64]) -> f64 {
    let s = x.iter().map(|&v| v * dot(y, x)).sum::<f64>();
    y[0] = s;
    s
}

fn main() {
    let mut y = [1.0, 2.0];
    let _ = f(&[0.5, 0.5], &mut y);
}
