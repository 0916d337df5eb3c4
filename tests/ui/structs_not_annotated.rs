use tapeless::differentiable;

// The struct has no `#[differentiable]`: the function's companions cannot take it at the
// scalar type.
pub struct Params {
    pub k: f64,
}

#[differentiable]
fn f(x: f64, p: &Params) -> f64 {
    p.k * x
}

fn main() {}
