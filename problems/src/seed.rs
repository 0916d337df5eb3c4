//! Problem S of the reference problems (shared/problems.md): scalar 4D-Var on dx/dt = cos(t),
//! and the derivative of the result of an inner gradient descent with respect to its step size.
//!
//! The cost `J(x0)` integrates dx/dt = cos(t) with RK4 from t = 1 to 10 (h = 0.1) and compares
//! every third state with noisy observations. The inner solver takes K steps of gradient descent
//! on J; the outer loss L(eta) compares the trajectory from the inner solver's result with the
//! truth sin(t). `dL/deta` is forward mode over the whole inner solve, whose gradients are
//! adjoints: forward over reverse.

use tapeless::{differentiable, Dual, Real};

/// Number of RK4 steps; the trajectory has STEPS + 1 saved points.
pub const STEPS: usize = 90;
/// Step of RK4.
pub const H: f64 = 0.1;

/// dx/dt = cos(t).
#[differentiable]
pub fn rhs(_x: f64, t: f64) -> f64 {
    t.cos()
}

/// One classic RK4 step.
#[differentiable]
pub fn rk4(x: f64, t: f64, h: f64) -> f64 {
    let k1 = rhs(x, t);
    let k2 = rhs(x + h / 2.0 * k1, t + h / 2.0);
    let k3 = rhs(x + h / 2.0 * k2, t + h / 2.0);
    let k4 = rhs(x + h * k3, t + h);
    x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
}

/// The variational cost: squared misfits at every third saved state.
#[differentiable(wrt(x0))]
pub fn cost(x0: f64, obs: &[f64]) -> f64 {
    let mut x = x0;
    let mut j = 0.0;
    for i in 0..STEPS + 1 {
        if i % 3 == 0 {
            let d = x - obs[i / 3];
            j += d * d;
        }
        if i < STEPS {
            x = rk4(x, 1.0 + H * i as f64, H);
        }
    }
    j
}

/// The outer loss: mean squared error of the whole trajectory against the truth.
#[differentiable(wrt(x0))]
pub fn outer_loss(x0: f64, truth: &[f64]) -> f64 {
    let mut x = x0;
    let mut l = 0.0;
    for i in 0..STEPS + 1 {
        let d = x - truth[i];
        l += d * d;
        if i < STEPS {
            x = rk4(x, 1.0 + H * i as f64, H);
        }
    }
    l / (STEPS + 1) as f64
}

/// Saved times t_i = 1 + 0.1 i.
pub fn time(i: usize) -> f64 {
    1.0 + H * i as f64
}

/// Observations y_j = sin(t_{3j}) + 0.2 sin(7 (j + 1)), j = 0..30.
pub fn observations() -> Vec<f64> {
    (0..31)
        .map(|j| time(3 * j).sin() + 0.2 * (7.0 * (j + 1) as f64).sin())
        .collect()
}

/// The truth gt_i = sin(t_i), i = 0..90.
pub fn truth() -> Vec<f64> {
    (0..=STEPS).map(|i| time(i).sin()).collect()
}

/// The inner solver's starting point.
pub fn x_start() -> f64 {
    1.0_f64.sin() - 0.3
}

/// J'(x0) at any scalar type, by the generated adjoint. The observations stay `f64`: they are
/// outside `wrt(x0)`.
pub fn cost_gradient<S: Real>(x0: S, obs: &[f64]) -> S {
    let mut g = S::zero();
    cost_vjp(x0, &mut g, obs, S::one());
    g
}

/// The outer loss after K inner steps of gradient descent with step `eta`, at any scalar type.
pub fn bilevel<S: Real>(eta: S, k: usize, obs: &[f64], truth: &[f64]) -> S {
    let mut x = S::from_f64(x_start());
    for _ in 0..k {
        x = x - eta * cost_gradient(x, obs);
    }
    outer_loss_generic(x, truth)
}

/// `(L(eta), dL/deta)`: forward mode (a dual number) over the inner solve's adjoints.
pub fn hypergradient(eta: f64, k: usize, obs: &[f64], truth: &[f64]) -> (f64, f64) {
    let l = bilevel(Dual::<f64, 1>::seeded(eta, 0), k, obs, truth);
    (l.value, l.tangents[0])
}
