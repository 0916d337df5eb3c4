//! Hypergradients through unrolled inner solvers, on user functions the macro differentiates:
//! the three methods against each other on problem S where the inner descent has converged
//! (the sensitivity of the analysis to the observations, the classical 4D-Var adjoint
//! sensitivity), against the closed form and finite differences; and a learned update written
//! as `#[differentiable]` Rust.

use tapeless_problems::seed;

mod common;

use common::{assert_close, Draws};
use seed::*;
use tapeless::hyper::{implicit, Descent, StepAdjoints, StepInputs, Unrolled, Update};
use tapeless::nested::{Gradient, MixedGradient};
use tapeless::{differentiable, Real, UserError};

/// Problem S's cost with the observations differentiable too: `J(x0, y)`.
#[differentiable]
#[allow(dead_code)] // only its companions are called
fn cost_and_observations(x0: f64, obs: &[f64]) -> f64 {
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

struct SeedCost;
impl MixedGradient for SeedCost {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        y: &[S],
        x_bar: &mut [S],
        y_bar: &mut [S],
    ) -> Result<S, UserError> {
        Ok(cost_and_observations_vjp(
            x[0],
            &mut x_bar[0],
            y,
            y_bar,
            S::one(),
        ))
    }
}

struct SeedLoss(Vec<f64>);
impl Gradient for SeedLoss {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        Ok(outer_loss_vjp(x[0], &mut g[0], &self.0, S::one()))
    }
}

/// dL/dy of the analysis after 60 descent steps (J'' = 62, eta = 0.01: a contraction of 0.38
/// per step, converged to rounding): methods 1, 2 and 3 agree, and equal the closed form
/// L'(x*) / 31 (x* is the mean of y_j - c_{3j}, with c the RK4 increments).
#[test]
fn observation_sensitivity_agrees_three_ways_and_with_the_closed_form() {
    let (y, outer) = (observations(), SeedLoss(truth()));
    let solver = Unrolled::new(&SeedCost, &Descent, 60);
    let x0 = [x_start()];
    let reverse = solver.reverse(&outer, &x0, &y, &[0.01]).unwrap();
    let forward = solver.forward_gradient(&outer, &x0, &y, &[0.01]).unwrap();
    let x_star = solver.solve(&x0, &y, &[0.01]).unwrap();
    let at_optimum = implicit(&SeedCost, &outer, &x_star, &y, 10, 1e-15).unwrap();
    let mut l_bar = [0.0];
    outer.gradient(&x_star, &mut l_bar).unwrap();
    assert_eq!(reverse.loss, forward.loss);
    assert_eq!(reverse.loss, at_optimum.loss);
    for j in 0..31 {
        let closed = l_bar[0] / 31.0;
        assert_close(reverse.phi[j], forward.phi[j], 1e-12, "methods 1 and 2");
        assert_close(reverse.phi[j], at_optimum.phi[j], 1e-12, "methods 2 and 3");
        assert_close(
            at_optimum.phi[j],
            closed,
            1e-12,
            "method 3 and the closed form",
        );
    }
    // Converged: the step size no longer matters.
    let scale = reverse.phi.iter().map(|v| v.abs()).fold(0.0, f64::max);
    assert!(
        reverse.theta[0].abs() < 1e-12 * scale,
        "{}",
        reverse.theta[0]
    );
    // Finite differences of the whole bilevel problem on three observations.
    let h = 1e-6;
    for j in [0, 14, 30] {
        let l = |dy: f64| {
            let mut yp = y.clone();
            yp[j] += dy;
            let x = solver.solve(&x0, &yp, &[0.01]).unwrap();
            outer.gradient(&x, &mut [0.0]).unwrap()
        };
        let fd = (l(h) - l(-h)) / (2.0 * h);
        assert_close(reverse.phi[j], fd, 1e-7, "dL/dy against differences");
    }
}

/// A small state-space cost: Lorenz-96 with 6 variables, 12 Euler steps, observations of every
/// state, and a background term. Cheap enough for debug-mode tests of a learned solver.
#[differentiable(wrt(x0))]
#[allow(dead_code)] // only its companions are called
fn small_cost(x0: &[f64], obs: &[f64]) -> f64 {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut dx = vec![0.0; n];
    let mut j = 0.0;
    for i in 0..n {
        j += 0.5 * (x0[i] - obs[i] - 0.3) * (x0[i] - obs[i] - 0.3);
    }
    for k in 0..12 {
        for i in 0..n {
            dx[i] = (x[(i + 1) % n] - x[(i + n - 2) % n]) * x[(i + n - 1) % n] - x[i] + 8.0;
        }
        for i in 0..n {
            x[i] += 0.01 * dx[i];
        }
        for i in 0..n {
            let d = x[i] - obs[n * (k + 1) + i];
            j += 0.5 * d * d;
        }
    }
    j
}

struct SmallCost(Vec<f64>);
impl Gradient for SmallCost {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        Ok(small_cost_vjp(x, g, &self.0, S::one()))
    }
}

struct Distance(Vec<f64>);
impl Gradient for Distance {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        let mut l = S::zero();
        for i in 0..x.len() {
            let d = x[i] - S::from_f64(self.0[i]);
            l += d * d;
            g[i] += d + d;
        }
        Ok(l)
    }
}

/// A learned correction of the gradient step, as in 4DVarNet (a tiny network of the gradient
/// and the state, shared across components): `out_i = w3 tanh(w0 g_i + w1 x_i + w2) + w4 g_i`.
#[differentiable]
#[allow(dead_code)] // only its companions are called
fn correction(w: &[f64], g: &[f64], x: &[f64], out: &mut [f64]) {
    for i in 0..g.len() {
        let h = (w[0] * g[i] + w[1] * x[i] + w[2]).tanh();
        out[i] = w[3] * h + w[4] * g[i];
    }
}

/// `x <- x - 0.01 g - correction_w(g, x)`: the update the tests learn.
struct Learned;
impl Update for Learned {
    type Unpacked<S: Real> = ();
    fn parameters(&self, _n: usize) -> usize {
        5
    }
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        let mut out = vec![S::zero(); x.len()];
        correction_generic(at.theta, at.grad, at.x, &mut out);
        for i in 0..x.len() {
            x[i] -= S::from_f64(0.01) * at.grad[i] + out[i];
        }
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        let n = at.x.len();
        let mut out = vec![0.0; n];
        let mut out_bar: Vec<f64> = bar.x.iter().map(|v| -v).collect();
        let mut x_direct = vec![0.0; n];
        correction_vjp(
            at.theta,
            bar.theta,
            at.grad,
            bar.grad,
            at.x,
            &mut x_direct,
            &mut out,
            &mut out_bar,
        );
        for ((g_bar, x_bar), direct) in bar.grad.iter_mut().zip(bar.x.iter_mut()).zip(&x_direct) {
            *g_bar -= 0.01 * *x_bar;
            *x_bar += direct;
        }
        Ok(())
    }
}

#[test]
fn a_learned_update_written_with_the_macro_gets_its_hypergradient_three_ways() {
    let n = 6;
    let mut rng = Draws::new(11);
    let truth: Vec<f64> = (0..n).map(|i| 8.0 + (i as f64).sin()).collect();
    let obs: Vec<f64> = (0..13 * n).map(|_| 8.0 + rng.next()).collect();
    let (cost, outer) = (
        tapeless::nested::NoParameters(SmallCost(obs)),
        Distance(truth),
    );
    let x0: Vec<f64> = (0..n).map(|i| 7.5 + 0.2 * (i as f64).cos()).collect();
    let w = [0.05, -0.02, 0.1, 0.2, 0.003];
    let solver = Unrolled::new(&cost, &Learned, 4);
    let r = solver.reverse(&outer, &x0, &[], &w).unwrap();
    let f = solver.forward_gradient(&outer, &x0, &[], &w).unwrap();
    assert_eq!(r.loss, f.loss);
    let scale = r.theta.iter().map(|v| v.abs()).fold(0.0, f64::max);
    for k in 0..5 {
        assert!(
            (r.theta[k] - f.theta[k]).abs() <= 1e-12 * scale,
            "w[{k}]: reverse {} forward {}",
            r.theta[k],
            f.theta[k]
        );
        let h = 1e-6;
        let l = |dw: f64| {
            let mut wp = w;
            wp[k] += dw;
            let x = solver.solve(&x0, &[], &wp).unwrap();
            outer.gradient(&x, &mut vec![0.0; n]).unwrap()
        };
        let fd = (l(h) - l(-h)) / (2.0 * h);
        assert_close(r.theta[k], fd, 1e-6, "dL/dw against differences");
    }
    // The dot-product identity along a random direction: forward tangent = reverse gradient . d.
    let d = rng.vec(5);
    let (_, dl) = solver.tangent(&outer, &x0, (&[], &[]), (&w, &d)).unwrap();
    let dot: f64 = r.theta.iter().zip(&d).map(|(a, b)| a * b).sum();
    assert_close(dl, dot, 1e-12, "<dL/dw, d> against the tangent");
}
