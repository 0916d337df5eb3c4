use tapeless::differentiable;

#[differentiable]
fn g<const N: usize>(x: &[f64; N]) -> f64 {
    x[0] * x[N - 1]
}

// A differentiable function is called with the values of its const parameters only.
#[differentiable]
fn f(x: &[f64; 3]) -> f64 {
    g::<f64>(x)
}

fn main() {}
