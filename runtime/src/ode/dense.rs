//! Dense output on a step grid: the state at a time inside a step, by cubic Hermite
//! interpolation from the step's two end states and the right-hand side there,
//!
//! ```text
//! theta = (t - t_k) / h
//! v     = h00 u_k + h01 u_{k+1} + h (h10 f(u_k, t_k) + h11 f(u_{k+1}, t_{k+1}))
//! h00 = 2 theta^3 - 3 theta^2 + 1    h10 = theta^3 - 2 theta^2 + theta
//! h01 = 3 theta^2 - 2 theta^3        h11 = theta^3 - theta^2
//! ```
//!
//! (third order: an error of `O(h^4)` for methods of order three and more, the continuous
//! extension DifferentialEquations.jl and Diffrax use for fixed steps). The interpolant is part
//! of the discrete computation, and its tangent and adjoint here are its exact derivatives:
//! through [`Rhs::jvp`] and [`Rhs::vjp`] at both ends.

use super::rhs::Rhs;
use super::stepper::Counters;
use crate::Real;

/// The Hermite basis at `theta`: the weights of `u_k`, `h f_k`, `u_{k+1}` and `h f_{k+1}`.
fn basis(theta: f64) -> [f64; 4] {
    let (t2, t3) = (theta * theta, theta * theta * theta);
    [
        2.0 * t3 - 3.0 * t2 + 1.0,
        t3 - 2.0 * t2 + theta,
        3.0 * t2 - 2.0 * t3,
        t3 - t2,
    ]
}

/// One step of a grid, as the interpolant sees it: where it starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    pub(crate) t: f64,
    pub(crate) h: f64,
}

impl Span {
    /// The Hermite basis at time `at`, scaled: `(c0, c0_h, c1, c1_h)` multiply `u_k`, `f_k`,
    /// `u_{k+1}`, `f_{k+1}`.
    fn weights<S: Real>(self, at: f64) -> [S; 4] {
        let [a, b, c, d] = basis((at - self.t) / self.h);
        [
            S::from_f64(a),
            S::from_f64(b * self.h),
            S::from_f64(c),
            S::from_f64(d * self.h),
        ]
    }
}

/// Buffers of the interpolant and its derivatives, for states of one length.
pub(crate) struct Hermite<S> {
    f0: Vec<S>,
    f1: Vec<S>,
    f0_dot: Vec<S>,
    f1_dot: Vec<S>,
    f_bar: Vec<S>,
    du: Vec<S>,
    pub(crate) counters: Counters,
}

impl<S: Real> Hermite<S> {
    pub(crate) fn new(n: usize) -> Self {
        let zeros = || vec![S::zero(); n];
        Self {
            f0: zeros(),
            f1: zeros(),
            f0_dot: zeros(),
            f1_dot: zeros(),
            f_bar: zeros(),
            du: zeros(),
            counters: Counters::default(),
        }
    }

    /// The interpolant at `at` inside `step`, from its end states `u0` and `u1`, into `out`.
    #[allow(clippy::too_many_arguments)] // the step's ends and where the value goes
    pub(crate) fn value<F: Rhs + ?Sized>(
        &mut self,
        rhs: &F,
        p: &[S],
        step: Span,
        u0: &[S],
        u1: &[S],
        at: f64,
        out: &mut [S],
    ) {
        rhs.eval(&mut self.f0, u0, p, S::from_f64(step.t));
        rhs.eval(&mut self.f1, u1, p, S::from_f64(step.t + step.h));
        self.counters.evals += 2;
        let [a, b, c, d] = step.weights::<S>(at);
        for m in 0..out.len() {
            out[m] = a * u0[m] + c * u1[m] + (b * self.f0[m] + d * self.f1[m]);
        }
    }

    /// The interpolant and its tangent, from the end states and their tangents.
    #[allow(clippy::too_many_arguments)] // the values and tangents of both ends
    pub(crate) fn tangent<F: Rhs + ?Sized>(
        &mut self,
        rhs: &F,
        p: &[S],
        p_dot: &[S],
        step: Span,
        (u0, u0_dot): (&[S], &[S]),
        (u1, u1_dot): (&[S], &[S]),
        at: f64,
        out: &mut [S],
        out_dot: &mut [S],
    ) {
        let (t0, t1) = (S::from_f64(step.t), S::from_f64(step.t + step.h));
        rhs.jvp(&mut self.f0, &mut self.f0_dot, u0, u0_dot, p, p_dot, t0);
        rhs.jvp(&mut self.f1, &mut self.f1_dot, u1, u1_dot, p, p_dot, t1);
        self.counters.jvps += 2;
        let [a, b, c, d] = step.weights::<S>(at);
        for m in 0..out.len() {
            out[m] = a * u0[m] + c * u1[m] + (b * self.f0[m] + d * self.f1[m]);
            out_dot[m] = a * u0_dot[m] + c * u1_dot[m] + (b * self.f0_dot[m] + d * self.f1_dot[m]);
        }
    }

    /// The adjoint of the interpolant: adds the adjoints of `u0`, `u1` and `p` given `v_bar`,
    /// that of the value at `at`.
    #[allow(clippy::too_many_arguments)] // the values and adjoints of both ends
    pub(crate) fn adjoint<F: Rhs + ?Sized>(
        &mut self,
        rhs: &F,
        p: &[S],
        step: Span,
        (u0, u0_bar): (&[S], &mut [S]),
        (u1, u1_bar): (&[S], &mut [S]),
        at: f64,
        v_bar: &[S],
        p_bar: &mut [S],
    ) {
        let [a, b, c, d] = step.weights::<S>(at);
        for m in 0..v_bar.len() {
            u0_bar[m] += a * v_bar[m];
            u1_bar[m] += c * v_bar[m];
        }
        for (fb, &vb) in self.f_bar.iter_mut().zip(v_bar) {
            *fb = b * vb;
        }
        rhs.vjp(
            &mut self.du,
            &mut self.f_bar,
            u0,
            u0_bar,
            p,
            p_bar,
            S::from_f64(step.t),
        );
        for (fb, &vb) in self.f_bar.iter_mut().zip(v_bar) {
            *fb = d * vb;
        }
        let t1 = S::from_f64(step.t + step.h);
        rhs.vjp(&mut self.du, &mut self.f_bar, u1, u1_bar, p, p_bar, t1);
        self.counters.vjps += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_interpolates_values_and_slopes() {
        assert_eq!(basis(0.0), [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(basis(1.0), [0.0, 0.0, 1.0, 0.0]);
        // A partition of unity for the values, and exact on cubics: on p(x) = x^3 with
        // p(0) = 0, p'(0) = 0, p(1) = 1, p'(1) = 3.
        for theta in [0.1, 0.37, 0.5, 0.9] {
            let [a, b, c, d] = basis(theta);
            assert!((a + c - 1.0).abs() < 1e-15);
            assert!((c + 3.0 * d - theta * theta * theta).abs() < 1e-15);
            // p(x) = x: p(0) = 0, p'(0) = 1, p(1) = 1, p'(1) = 1.
            assert!((b + c + d - theta).abs() < 1e-15);
        }
    }
}
