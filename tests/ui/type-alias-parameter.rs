use tapeless::differentiable;

// An alias hides the `f64`: the macro refuses it rather than treat `x` as a constant.
type Scalar = f64;

#[differentiable]
fn g(x: Scalar) -> f64 {
    x * x
}

fn main() {}
