use tapeless::{differentiable, Real};

fn mul_tangent<S: Real>(x: S, x_dot: S, c: S, c_dot: S) -> (S, S) {
    (x * c, x_dot * c + x * c_dot)
}

fn mul_adjoint<S: Real>(x: S, x_bar: &mut S, c: S, c_bar: &mut S, result_bar: S) -> S {
    *x_bar += c * result_bar;
    *c_bar += x * result_bar;
    x * c
}

// Custom rules differentiate every real parameter.
#[differentiable(wrt(x), custom(jvp = mul_tangent, vjp = mul_adjoint))]
fn mul(x: f64, c: f64) -> f64 {
    x * c
}

fn main() {}
