use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

#[differentiable]
fn inner(x: f64, p: &Params) -> f64 {
    p.k * x
}

// Passing the struct whole to another differentiable function is not supported yet.
#[differentiable]
fn outer(x: f64, p: &Params) -> f64 {
    inner(x, p) + p.k
}

fn main() {}
