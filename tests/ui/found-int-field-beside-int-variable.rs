// Limitation 12 of tests/random-programs/README.md: an integer field beside an integer variable.
use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    n: usize,
}

#[differentiable]
fn f(p: &Params, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[(i + p.n) % x.len()];
    }
    s
}

fn main() {
    let _ = f(&Params { n: 1 }, &[0.5, 0.25]);
}
