use tapeless::differentiable;

#[differentiable]
#[derive(Clone, Copy)]
struct Params {
    sigma: f64,
}

#[differentiable]
fn f(x: f64, p: Params) -> f64 {
    x * p.sigma
}

fn main() {}
