use tapeless::differentiable;

// An alias hides the `f64`: read as data, `x` must be `tapeless::Data`, which `f64` is not, so
// rustc refuses it rather than let `x` be a constant.
type Scalar = f64;

#[differentiable]
fn g(x: Scalar) -> f64 {
    x * x
}

fn main() {}
