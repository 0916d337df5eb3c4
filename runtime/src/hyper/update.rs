//! One step of an unrolled inner solver and its adjoint: the [`Update`] trait and the classical
//! steps (plain, preconditioned and heavy-ball descent). A learned update (a network of the
//! gradient, as in 4DVarNet) implements the same trait with generated companions.

use crate::{Real, UserError};

/// Where a step is taken: the values *before* the step `k -> k + 1`.
#[derive(Debug, Clone, Copy)]
pub struct StepInputs<'a, S> {
    /// The update's parameters.
    pub theta: &'a [S],
    /// `grad J(x_k)`.
    pub grad: &'a [S],
    /// `x_k`.
    pub x: &'a [S],
    /// The carried state `c_k` (a velocity, a hidden state; empty for plain descent).
    pub carry: &'a [S],
}

/// The adjoints a step's reverse sweep reads and writes (see [`Update::step_vjp`]).
#[derive(Debug)]
pub struct StepAdjoints<'a> {
    /// In: `dL/dx_{k+1}`; out: `dL/dx_k` through the step's direct use of `x_k`.
    pub x: &'a mut [f64],
    /// In: `dL/dc_{k+1}`; out: `dL/dc_k`.
    pub carry: &'a mut [f64],
    /// Accumulates `dL/dgrad_k`; the caller turns it into `H(x_k) grad_bar`.
    pub grad: &'a mut [f64],
    /// Accumulates `dL/dtheta`.
    pub theta: &'a mut [f64],
}

/// One step `(x_{k+1}, c_{k+1}) = Phi_theta(x_k, c_k, grad J(x_k))` of an inner solver.
///
/// `step` runs at any scalar type (so forward mode runs the whole solve at dual numbers) and
/// `step_vjp` is its adjoint at `f64` (one per inner step in the reverse sweep). A user's
/// learned update implements both by calling the `_generic` and `_vjp` companions that
/// `#[differentiable]` generates for it.
///
/// ```
/// use tapeless_runtime::hyper::{StepAdjoints, StepInputs, Update};
/// use tapeless_runtime::{Real, UserError};
/// /// x <- x - theta_0 * grad - theta_1 * grad^3 (element-wise): a two-parameter update.
/// struct Cubic;
/// impl Update for Cubic {
///     type Unpacked<S: Real> = ();
///     fn unpack<S: Real>(&self, _theta: &[S]) {}
///     fn parameters(&self, _n: usize) -> usize {
///         2
///     }
///     fn step<S: Real>(&self, _: &(), at: StepInputs<'_, S>, x: &mut [S], _carry: &mut [S]) -> Result<(), UserError> {
///         for i in 0..x.len() {
///             let g = at.grad[i];
///             x[i] -= at.theta[0] * g + at.theta[1] * g * g * g;
///         }
///         Ok(())
///     }
///     fn step_vjp(&self, _: &(), at: StepInputs<'_, f64>, bar: StepAdjoints<'_>) -> Result<(), UserError> {
///         for i in 0..at.x.len() {
///             let (g, xb) = (at.grad[i], bar.x[i]);
///             bar.theta[0] -= g * xb;
///             bar.theta[1] -= g * g * g * xb;
///             bar.grad[i] -= (at.theta[0] + 3.0 * at.theta[1] * g * g) * xb;
///         }
///         Ok(())
///     }
/// }
/// let mut x = [1.0, 2.0];
/// Cubic.step(&(), StepInputs { theta: &[0.5, 0.1], grad: &[1.0, -1.0], x: &[1.0, 2.0], carry: &[] }, &mut x, &mut []).unwrap();
/// assert_eq!(x, [0.4, 2.6]);
/// ```
pub trait Update {
    /// The parameters in the form the step reads them, made from the flat `theta` once per
    /// solve by [`Update::unpack`]: a network's weight matrices, say. `()` for an update that
    /// reads `theta` as it is, from [`StepInputs::theta`].
    type Unpacked<S: Real>;

    /// The number of parameters `theta` for a state of length `n`.
    fn parameters(&self, n: usize) -> usize;

    /// `theta` in the form the steps read, once per inner solve (and once per reverse sweep),
    /// not once per step.
    fn unpack<S: Real>(&self, theta: &[S]) -> Self::Unpacked<S>;

    /// The length of the carried state for a state of length `n` (zero unless overridden).
    fn carry(&self, n: usize) -> usize {
        let _ = n;
        0
    }

    /// Takes the step in place: on entry `x = at.x` and `carry = at.carry` (copies the driver
    /// made), on exit `x_{k+1}` and `c_{k+1}`. An error (a network that cannot be evaluated
    /// there, say) stops the inner solve and reaches the caller as
    /// [`NestedError::User`](crate::nested::NestedError::User).
    fn step<S: Real>(
        &self,
        unpacked: &Self::Unpacked<S>,
        at: StepInputs<'_, S>,
        x: &mut [S],
        carry: &mut [S],
    ) -> Result<(), UserError>;

    /// The adjoint of [`Update::step`] at `at`: reads `bar.x` and `bar.carry` as the adjoints of
    /// the step's outputs and overwrites them with those of its inputs `x_k` and `c_k`;
    /// accumulates into `bar.grad` and `bar.theta`.
    fn step_vjp(
        &self,
        unpacked: &Self::Unpacked<f64>,
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError>;
}

/// Gradient descent with a learned step size: `theta = [eta]`, `x <- x - eta grad`; the seed's
/// inner solver.
///
/// ```
/// use tapeless_runtime::hyper::{Descent, StepInputs, Update};
/// let mut x = [1.0];
/// Descent.step(&(), StepInputs { theta: &[0.1], grad: &[2.0], x: &[1.0], carry: &[] }, &mut x, &mut []).unwrap();
/// assert_eq!(x, [0.8]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Descent;

impl Update for Descent {
    type Unpacked<S: Real> = ();
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn parameters(&self, _n: usize) -> usize {
        1
    }
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        let eta = at.theta[0];
        for (xi, &gi) in x.iter_mut().zip(at.grad) {
            *xi -= eta * gi;
        }
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        let eta = at.theta[0];
        for i in 0..at.x.len() {
            bar.theta[0] -= at.grad[i] * bar.x[i];
            bar.grad[i] -= eta * bar.x[i];
        }
        Ok(())
    }
}

/// Descent with a fixed step size and a learned diagonal preconditioner: `theta = p` (one per
/// state component), `x <- x - eta (p ⊙ grad)`.
///
/// ```
/// use tapeless_runtime::hyper::{Preconditioned, StepInputs, Update};
/// let mut x = [1.0, 1.0];
/// let at = StepInputs { theta: &[1.0, 2.0], grad: &[1.0, 1.0], x: &[1.0, 1.0], carry: &[] };
/// Preconditioned { eta: 0.25 }.step(&(), at, &mut x, &mut []).unwrap();
/// assert_eq!(x, [0.75, 0.5]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Preconditioned {
    /// The fixed step size.
    pub eta: f64,
}

impl Update for Preconditioned {
    type Unpacked<S: Real> = ();
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn parameters(&self, n: usize) -> usize {
        n
    }
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        let eta = S::from_f64(self.eta);
        for ((xi, &p), &g) in x.iter_mut().zip(at.theta).zip(at.grad) {
            *xi -= eta * (p * g);
        }
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        for i in 0..at.x.len() {
            bar.theta[i] -= self.eta * at.grad[i] * bar.x[i];
            bar.grad[i] -= self.eta * at.theta[i] * bar.x[i];
        }
        Ok(())
    }
}

/// Heavy-ball momentum (Polyak): `theta = [eta, beta]`, `v <- beta v + grad`, `x <- x - eta v`,
/// starting from `v = 0`; the carried state is the velocity `v`.
///
/// ```
/// use tapeless_runtime::hyper::{Momentum, StepInputs, Update};
/// let (mut x, mut v) = ([1.0_f64], [0.5_f64]);
/// let at = StepInputs { theta: &[0.1, 0.9], grad: &[1.0], x: &[1.0], carry: &[0.5] };
/// Momentum.step(&(), at, &mut x, &mut v).unwrap();
/// assert!((v[0] - 1.45).abs() < 1e-15);
/// assert!((x[0] - 0.855).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Momentum;

impl Update for Momentum {
    type Unpacked<S: Real> = ();
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn parameters(&self, _n: usize) -> usize {
        2
    }
    fn carry(&self, n: usize) -> usize {
        n
    }
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        carry: &mut [S],
    ) -> Result<(), UserError> {
        let (eta, beta) = (at.theta[0], at.theta[1]);
        for i in 0..x.len() {
            carry[i] = beta * carry[i] + at.grad[i];
            x[i] -= eta * carry[i];
        }
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        let (eta, beta) = (at.theta[0], at.theta[1]);
        for i in 0..at.x.len() {
            let v_new = beta * at.carry[i] + at.grad[i];
            bar.theta[0] -= v_new * bar.x[i];
            let v_new_bar = bar.carry[i] - eta * bar.x[i];
            bar.theta[1] += at.carry[i] * v_new_bar;
            bar.grad[i] += v_new_bar;
            bar.carry[i] = beta * v_new_bar;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_update;

    /// Each update's adjoint against its own tangent (forward mode through `step` at duals),
    /// by the shared oracle: `<bar_out, J dot_in> = <J^T bar_out, dot_in>` over theta, grad, x
    /// and carry together, and the step's values the same at `f64` and at duals.
    fn dot_product_test<U: Update>(update: &U, n: usize, theta: &[f64]) {
        let carry_len = update.carry(n);
        let f = |i: usize, s: f64| (1.3 * i as f64 + s).sin();
        let dot = |i: usize, s: f64| (0.7 * i as f64 + s).cos();
        let values = |len: usize, s: f64| (0..len).map(|i| f(i, s)).collect::<Vec<f64>>();
        let direction = |len: usize, s: f64| (0..len).map(|i| dot(i, s)).collect::<Vec<f64>>();
        let (grad, x, carry) = (values(n, 0.1), values(n, 0.7), values(carry_len, 1.9));
        let at = StepInputs {
            theta,
            grad: &grad,
            x: &x,
            carry: &carry,
        };
        let (theta_dot, grad_dot, x_dot, carry_dot) = (
            direction(theta.len(), 0.2),
            direction(n, 0.4),
            direction(n, 0.6),
            direction(carry_len, 0.8),
        );
        let along = StepInputs {
            theta: &theta_dot,
            grad: &grad_dot,
            x: &x_dot,
            carry: &carry_dot,
        };
        let (x_next_bar, carry_next_bar) = (values(n, 2.3), values(carry_len, 3.1));
        let report = check_update(update, at, along, &x_next_bar, &carry_next_bar).unwrap();
        // Relative to the summands' size (a few units here), 1e-15 is stricter than the 1e-13
        // relative to `max(|lhs|, 1)` this test asked before; the sides agree exactly today.
        assert!(report.passes(1e-15), "{report:?}");
    }

    #[test]
    fn adjoints_of_the_classical_steps_pass_the_dot_product_test() {
        dot_product_test(&Descent, 5, &[0.3]);
        dot_product_test(&Preconditioned { eta: 0.2 }, 5, &[1.0, 0.9, 1.2, 0.7, 1.1]);
        dot_product_test(&Momentum, 5, &[0.3, 0.8]);
    }
}
