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
//! through [`RhsJvp::jvp`] and [`RhsVjp::vjp`] at both ends.

//!
//! With adaptive Dormand-Prince 5(4) steps that do not stop at saved times, a saved time inside a
//! step is the method's own continuous extension instead ([`dp5_weights`]): fourth order, from
//! the step's seven stages (Hairer, Norsett and Wanner, Solving ODEs I, II.6; Shampine 1986),
//! `v = u_k + h sum_i b_i(theta) k_i`, whose tangent and adjoint go through the stages
//! (`Stepper::dense_value`, `dense_tangent` and `seed_dense`).

use super::rhs::{Rhs, RhsJvp, RhsVjp};
use super::stepper::{Counters, StepContext};
use crate::Real;

/// The coefficients `d_i` of the dense output of Dormand-Prince 5(4) (`dopri5`'s `contd5`).
const DP5_D: [f64; 7] = [
    -12715105075.0 / 11282082432.0,
    0.0,
    87487479700.0 / 32700410799.0,
    -10690763975.0 / 1880347072.0,
    701980252875.0 / 199316789632.0,
    -1453857185.0 / 822651844.0,
    69997945.0 / 29380423.0,
];

/// The weights of the stages in Dormand-Prince 5(4)'s continuous extension at `theta` in
/// `[0, 1]`: `u(t + theta h) ~ u + h sum_i w_i k_i`. Hairer's form
/// `y0 + theta (dy + (1 - theta) (h k1 - dy + theta (2 dy - h k1 - h k7 + (1 - theta) h d.k)))`
/// with `dy = h b.k`, collected per stage: the step's weights `b` at `theta = 1`, zero at
/// `theta = 0`, slopes `k1` and `k7` at the ends.
pub(crate) fn dp5_weights(b: &[f64], theta: f64) -> [f64; 7] {
    let s = 1.0 - theta;
    let (t2, s2) = (theta * theta, s * s);
    let on_step = t2 * (3.0 - 2.0 * theta);
    let on_k1 = theta * s2;
    let on_k7 = -t2 * s;
    let on_d = t2 * s2;
    let mut w = [0.0; 7];
    for i in 0..7 {
        w[i] = on_step * b[i] + on_d * DP5_D[i];
    }
    w[0] += on_k1;
    w[6] += on_k7;
    w
}

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

/// The Hermite basis at time `at` inside the step of `cx`, scaled: `(c0, c0_h, c1, c1_h)`
/// multiply `u_k`, `f_k`, `u_{k+1}`, `f_{k+1}`.
fn weights<F: ?Sized, S: Real>(cx: &StepContext<'_, F, S>, at: f64) -> [S; 4] {
    let [a, b, c, d] = basis((at - cx.t) / cx.h);
    [
        S::from_f64(a),
        S::from_f64(b * cx.h),
        S::from_f64(c),
        S::from_f64(d * cx.h),
    ]
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

    /// The interpolant at `at` inside the step of `cx`, from its end states `u0` and `u1`,
    /// into `out`.
    pub(crate) fn value<F: Rhs + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        (u0, u1): (&[S], &[S]),
        at: f64,
        out: &mut [S],
    ) {
        let (rhs, p) = (cx.rhs, cx.p);
        rhs.eval(&mut self.f0, u0, p, S::from_f64(cx.t));
        rhs.eval(&mut self.f1, u1, p, S::from_f64(cx.t + cx.h));
        self.counters.evals += 2;
        let [a, b, c, d] = weights(&cx, at);
        for m in 0..out.len() {
            out[m] = u0[m].mul_constant(a)
                + u1[m].mul_constant(c)
                + (self.f0[m].mul_constant(b) + self.f1[m].mul_constant(d));
        }
    }

    /// The interpolant and its tangent, from the end states and their tangents, into
    /// `(out, out_dot)`.
    pub(crate) fn tangent<F: RhsJvp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        p_dot: &[S],
        (u0, u0_dot): (&[S], &[S]),
        (u1, u1_dot): (&[S], &[S]),
        at: f64,
        (out, out_dot): (&mut [S], &mut [S]),
    ) {
        let (rhs, p) = (cx.rhs, cx.p);
        let (t0, t1) = (S::from_f64(cx.t), S::from_f64(cx.t + cx.h));
        rhs.jvp(
            (&mut self.f0, &mut self.f0_dot),
            (u0, u0_dot),
            (p, p_dot),
            t0,
        );
        rhs.jvp(
            (&mut self.f1, &mut self.f1_dot),
            (u1, u1_dot),
            (p, p_dot),
            t1,
        );
        self.counters.jvps += 2;
        let [a, b, c, d] = weights(&cx, at);
        for m in 0..out.len() {
            out[m] = u0[m].mul_constant(a)
                + u1[m].mul_constant(c)
                + (self.f0[m].mul_constant(b) + self.f1[m].mul_constant(d));
            out_dot[m] = u0_dot[m].mul_constant(a)
                + u1_dot[m].mul_constant(c)
                + (self.f0_dot[m].mul_constant(b) + self.f1_dot[m].mul_constant(d));
        }
    }

    /// The adjoint of the interpolant: adds the adjoints of `u0`, `u1` and `p` given `v_bar`,
    /// that of the value at `at`.
    pub(crate) fn adjoint<F: RhsVjp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        (u0, u0_bar): (&[S], &mut [S]),
        (u1, u1_bar): (&[S], &mut [S]),
        (at, v_bar): (f64, &[S]),
        p_bar: &mut [S],
    ) {
        let (rhs, p) = (cx.rhs, cx.p);
        let [a, b, c, d] = weights(&cx, at);
        for m in 0..v_bar.len() {
            u0_bar[m] += v_bar[m].mul_constant(a);
            u1_bar[m] += v_bar[m].mul_constant(c);
        }
        for (fb, &vb) in self.f_bar.iter_mut().zip(v_bar) {
            *fb = vb.mul_constant(b);
        }
        let t0 = S::from_f64(cx.t);
        rhs.vjp(
            (&mut self.du, &mut self.f_bar),
            (u0, u0_bar),
            (p, &mut *p_bar),
            t0,
        );
        for (fb, &vb) in self.f_bar.iter_mut().zip(v_bar) {
            *fb = vb.mul_constant(d);
        }
        let t1 = S::from_f64(cx.t + cx.h);
        rhs.vjp(
            (&mut self.du, &mut self.f_bar),
            (u1, u1_bar),
            (p, p_bar),
            t1,
        );
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
