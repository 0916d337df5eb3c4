use tapeless::{differentiable, Real};

fn cube_tangent<S: Real>(x: S, x_dot: S) -> (S, S) {
    (x * x * x, S::from_f64(3.0) * x * x * x_dot)
}

// A custom rule gives both derivatives.
#[differentiable(custom(jvp = cube_tangent))]
fn cube(x: f64) -> f64 {
    x * x * x
}

fn main() {}
