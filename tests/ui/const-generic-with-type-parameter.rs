use tapeless::differentiable;

// A length is welcome, a type parameter beside it is not: the companions are already generic
// over the scalar.
#[differentiable]
fn f<T: Copy, const N: usize>(x: &[f64; N], _tag: T) -> f64 {
    x[0] * x[N - 1]
}

fn main() {}
