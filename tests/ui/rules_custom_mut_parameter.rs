use tapeless::{differentiable, Real};

fn scale_tangent<S: Real>(u: &mut [S], u_dot: &mut [S]) {
    let _ = (u, u_dot);
}

fn scale_adjoint<S: Real>(u: &mut [S], u_bar: &mut [S]) {
    let _ = (u, u_bar);
}

// A custom rule's function returns its results: it cannot write into `&mut`.
#[differentiable(custom(jvp = scale_tangent, vjp = scale_adjoint))]
fn scale(u: &mut [f64]) -> f64 {
    u[0] *= 2.0;
    u[0]
}

fn main() {}
