use tapeless::differentiable;

// A further pattern needs a name of its own.
#[differentiable(wrt(x), wrt(x, c) as f)]
fn f(x: f64, c: f64) -> f64 {
    x * c
}

fn main() {}
