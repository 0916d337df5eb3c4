use tapeless::differentiable;

type Scalar = f64;

#[differentiable]
fn f(x: Scalar) -> f64 {
    x * x
}

fn main() {}
