use tapeless::differentiable;

// A local of tuples holding reals: its reals would carry derivatives.
#[differentiable]
fn f(x: &[f64]) -> f64 {
    let pairs: Vec<(usize, f64)> = vec![(0, x[0]), (1, x[1])];
    let mut s = 0.0;
    for &(k, y) in pairs.iter() {
        s += x[k] * y;
    }
    s
}

fn main() {}
