use tapeless::{differentiable, Real};

// A function generic over its scalar takes no const parameter yet.
#[differentiable]
fn f<S: Real, const N: usize>(x: &[S; N]) -> S {
    x[0] * x[N - 1]
}

fn main() {}
