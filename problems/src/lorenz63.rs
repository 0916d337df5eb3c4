//! Lorenz-63 with the classic parameters, the right-hand side written once as a user would, for
//! the Lorenz-63 4D-Var examples and tests.

use tapeless::differentiable;

/// dx/dt = sigma (y - x), dy/dt = x (rho - z) - y, dz/dt = x y - beta z.
#[differentiable(rhs = Lorenz63)]
pub fn lorenz63(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    du[0] = p[0] * (u[1] - u[0]);
    du[1] = u[0] * (p[1] - u[2]) - u[1];
    du[2] = u[0] * u[1] - p[2] * u[2];
}

/// The parameters `[sigma, rho, beta]` = `[10, 28, 8/3]`.
pub const P: [f64; 3] = [10.0, 28.0, 8.0 / 3.0];
