use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

#[differentiable]
fn inner(x: f64, p: &Params) -> f64 {
    p.k * x
}

// A struct passed whole is differentiated: it must be in `wrt(..)`.
#[differentiable(wrt(x))]
fn outer(x: f64, p: &Params) -> f64 {
    inner(x, p)
}

fn main() {}
