// Found by the no-panic mutations: assigning to the item of an iterator loop gave malformed IR
// (an internal error) instead of saying what to write.
use tapeless::differentiable;

#[differentiable]
fn f(y: &[f64]) -> f64 {
    let mut s = 0.0;
    for t in y.iter() {
        t += 1.0;
        s += t;
    }
    s
}

fn main() {
    let _ = f(&[0.5]);
}
