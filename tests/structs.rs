//! Structs of reals as parameters: `#[differentiable]` on the struct, fields read and written
//! in annotated functions, adjoints of the same shape; each derivative proved by finite
//! differences, the dot-product test and tangent against adjoint.

mod common;

use common::{check, Case};
use tapeless::{differentiable, Dual, Struct};

/// Lorenz-63 parameters.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
}

/// The state of a model: an array of reals, a time and a step count.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 3],
    t: f64,
}

/// Lorenz-63 right-hand side, written into `du`.
#[differentiable]
fn lorenz63(du: &mut [f64], u: &[f64], p: &Params) {
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
}

/// Lorenz-63 with the parameters as reals.
#[differentiable]
fn lorenz63_reals(du: &mut [f64], u: &[f64], sigma: f64, rho: f64, beta: f64) {
    du[0] = sigma * (u[1] - u[0]);
    du[1] = u[0] * (rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - beta * u[2];
}

/// One explicit Euler step of the state struct, in place.
#[differentiable]
fn euler(s: &mut State, p: &Params, h: f64) {
    let mut k = [0.0; 3];
    lorenz63_reals(&mut k, &s.x, p.sigma, p.rho, p.beta);
    for i in 0..3 {
        s.x[i] += h * k[i];
    }
    s.t += h;
}

#[test]
fn lorenz63_with_a_parameter_struct() {
    let p = Params {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
    };
    let u = [1.0, 2.0, 3.0];
    let mut du = [0.0; 3];
    lorenz63(&mut du, &u, &p);
    let mut du_bar = [1.0, 0.0, 0.0];
    let mut u_bar = [0.0; 3];
    let mut p_bar = p.zero_like();
    let mut du2 = [0.0; 3];
    lorenz63_vjp(&mut du2, &mut du_bar, &u, &mut u_bar, &p, &mut p_bar);
    assert_eq!(p_bar.sigma, 1.0);
}
