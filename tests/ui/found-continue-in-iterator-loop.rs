// Bug 10 of tests/random-programs/README.md: `continue` in a `for` loop over an iterator.
use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x.iter() {
        if v > 0.5 {
            continue;
        }
        s += v * v;
    }
    s
}

fn main() {
    let _ = f(&[0.1, 0.9]);
}
