use tapeless::differentiable;

// A pattern lists parameters of the function, as `wrt(..)` does.
#[differentiable(wrt(x), wrt(x, y) as f_all)]
fn f(x: f64, c: f64) -> f64 {
    x * c
}

fn main() {}
