use tapeless::differentiable;

// Rules written at `f64` only: the companions run them at every scalar (dual numbers for
// Hessian-vector products), so they must be generic over `S: Real`.
fn cube_tangent(x: f64, x_dot: f64) -> (f64, f64) {
    (x * x * x, 3.0 * x * x * x_dot)
}

fn cube_adjoint(x: f64, x_bar: &mut f64, result_bar: f64) -> f64 {
    *x_bar += 3.0 * x * x * result_bar;
    x * x * x
}

#[differentiable(custom(jvp = cube_tangent, vjp = cube_adjoint))]
fn cube(x: f64) -> f64 {
    x * x * x
}

fn main() {}
