//! The unrolled inner solve `x_{k+1} = Phi_theta(x_k, grad_x J(x_k, phi))`, `k < K`, and the
//! derivatives of an outer loss `L(x_K)` with respect to the update's parameters `theta` and
//! the cost's parameters `phi`: forward mode over the whole solve (method 1) and one backward
//! sweep over it (method 2).

use super::in_inner_cost;
use super::update::{StepAdjoints, StepInputs, Update};
use crate::nested::{
    check, check_finite as finite, mixed_hvp, Gradient, MixedGradient, NestedError,
};
use crate::{Dual, Real};

/// Lanes per forward pass of [`Unrolled::forward_gradient`].
const LANES: usize = 8;

/// `dL/dphi` and `dL/dtheta` of an outer loss through an unrolled inner solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypergradient {
    /// `L(x_K)`.
    pub loss: f64,
    /// `dL/dphi`: the parameters of the inner cost `J(x, phi)`.
    pub phi: Vec<f64>,
    /// `dL/dtheta`: the parameters of the update.
    pub theta: Vec<f64>,
}

/// An inner solver: `steps` applications of `update` to the gradient of `cost`, from a given
/// initial state. Borrowed pieces, so it is cheap to build one per call.
///
/// ```
/// use tapeless_runtime::hyper::{Descent, Unrolled};
/// use tapeless_runtime::nested::{Gradient, NoParameters};
/// use tapeless_runtime::{Real, UserError};
/// /// J(x) = |x|^2 / 2.
/// struct Half;
/// impl Gradient for Half {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         let mut j = S::zero();
///         for i in 0..x.len() {
///             j += x[i] * x[i] / S::from_f64(2.0);
///             g[i] += x[i];
///         }
///         Ok(j)
///     }
/// }
/// // L(x) = x_0, so L(x_K) = (1 - eta)^K and dL/deta = -K (1 - eta)^(K - 1).
/// struct First;
/// impl Gradient for First {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += S::one();
///         Ok(x[0])
///     }
/// }
/// let cost = NoParameters(Half);
/// let solver = Unrolled::new(&cost, &Descent, 3);
/// let r = solver.reverse(&First, &[1.0], &[], &[0.5]).unwrap();
/// assert_eq!(r.loss, 0.125);
/// assert_eq!(r.theta, vec![-0.75]);
/// let f = solver.forward_gradient(&First, &[1.0], &[], &[0.5]).unwrap();
/// assert_eq!(f.theta, r.theta);
/// ```
#[derive(Debug)]
pub struct Unrolled<'a, J: ?Sized, U: ?Sized> {
    cost: &'a J,
    update: &'a U,
    steps: usize,
}

impl<J: ?Sized, U: ?Sized> Clone for Unrolled<'_, J, U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<J: ?Sized, U: ?Sized> Copy for Unrolled<'_, J, U> {}

impl<'a, J: MixedGradient + ?Sized, U: Update + ?Sized> Unrolled<'a, J, U> {
    /// `steps` inner steps of `update` on `cost`.
    pub fn new(cost: &'a J, update: &'a U, steps: usize) -> Self {
        Self {
            cost,
            update,
            steps,
        }
    }

    fn check_inputs(&self, x0: &[f64], phi: &[f64], theta: &[f64]) -> Result<(), NestedError> {
        finite("x0", x0)?;
        finite("phi", phi)?;
        check("theta", theta, self.update.parameters(x0.len()))
    }

    /// The inner solve at any scalar type: `x_K` from `x0`; `record` sees each step's
    /// `(x_k, c_k, grad_k)` before the step is taken. Stops at the first error of the cost or
    /// the update.
    fn run<S: Real>(
        &self,
        x0: &[S],
        phi: &[S],
        (theta, unpacked): (&[S], &U::Unpacked<S>),
        mut record: impl FnMut(&[S], &[S], &[S]),
    ) -> Result<Vec<S>, NestedError> {
        let n = x0.len();
        let mut x = x0.to_vec();
        let mut carry = vec![S::zero(); self.update.carry(n)];
        let (mut grad, mut phi_bar) = (vec![S::zero(); n], vec![S::zero(); phi.len()]);
        let (mut x_next, mut carry_next) = (x.clone(), carry.clone());
        for _ in 0..self.steps {
            grad.iter_mut().for_each(|g| *g = S::zero());
            self.cost
                .gradient(&x, phi, &mut grad, &mut phi_bar)
                .map_err(NestedError::user("the inner cost"))?;
            record(&x, &carry, &grad);
            x_next.copy_from_slice(&x);
            carry_next.copy_from_slice(&carry);
            let at = StepInputs {
                theta,
                grad: &grad,
                x: &x,
                carry: &carry,
            };
            self.update
                .step(unpacked, at, &mut x_next, &mut carry_next)
                .map_err(NestedError::user("the update"))?;
            core::mem::swap(&mut x, &mut x_next);
            core::mem::swap(&mut carry, &mut carry_next);
        }
        Ok(x)
    }

    /// `L(x_K)` with the parameters at dual numbers (`x0` constant): forward mode over the solve.
    fn loss_at_duals<L: Gradient + ?Sized, const N: usize>(
        &self,
        outer: &L,
        x0: &[f64],
        phi: &[Dual<f64, N>],
        theta: &[Dual<f64, N>],
    ) -> Result<Dual<f64, N>, NestedError> {
        let x0: Vec<Dual<f64, N>> = x0.iter().map(|&v| Dual::constant(v)).collect();
        let x = self.run(&x0, phi, (theta, &self.update.unpack(theta)), |_, _, _| {})?;
        let values: Vec<f64> = x.iter().map(|v| v.value).collect();
        finite("x_K (the inner solve diverged)", &values)?;
        let mut g = vec![Dual::constant(0.0); x.len()];
        outer
            .gradient(&x, &mut g)
            .map_err(NestedError::user("the outer loss"))
    }

    /// The inner solve: `x_K`, for analyses and for timing the solve the hypergradients cost.
    ///
    /// # Errors
    ///
    /// A wrong-length `theta`, a non-finite input, an inner solve that diverged, or the error of
    /// the inner cost or the update ([`NestedError::User`]).
    pub fn solve(&self, x0: &[f64], phi: &[f64], theta: &[f64]) -> Result<Vec<f64>, NestedError> {
        self.check_inputs(x0, phi, theta)?;
        let x = self.run(x0, phi, (theta, &self.update.unpack(theta)), |_, _, _| {})?;
        finite("x_K (the inner solve diverged)", &x)?;
        Ok(x)
    }

    /// Method 1, one direction: `L(x_K)` and its derivative along `(phi_dot, theta_dot)`, by
    /// forward mode over the whole inner solve (every inner gradient an adjoint evaluated at
    /// dual numbers). Costs about one inner solve at dual numbers, whatever the number of
    /// parameters.
    ///
    /// # Errors
    ///
    /// Wrong lengths, non-finite inputs, a diverged inner solve, or the error of the inner cost,
    /// the update or the outer loss ([`NestedError::User`]).
    pub fn tangent<L: Gradient + ?Sized>(
        &self,
        outer: &L,
        x0: &[f64],
        (phi, phi_dot): (&[f64], &[f64]),
        (theta, theta_dot): (&[f64], &[f64]),
    ) -> Result<(f64, f64), NestedError> {
        self.check_inputs(x0, phi, theta)?;
        check("phi_dot", phi_dot, phi.len())?;
        check("theta_dot", theta_dot, theta.len())?;
        let seed = |v: &[f64], d: &[f64]| -> Vec<Dual<f64, 1>> {
            v.iter().zip(d).map(|(&a, &b)| Dual::new(a, [b])).collect()
        };
        let l = self.loss_at_duals(outer, x0, &seed(phi, phi_dot), &seed(theta, theta_dot))?;
        Ok((l.value, l.tangents[0]))
    }

    /// Method 1, every parameter: `dL/dphi` and `dL/dtheta` by forward mode, eight parameters
    /// per pass at dual numbers with eight lanes. The cheap way for a few parameters; its cost
    /// grows with their number (use [`Unrolled::reverse`] for many).
    ///
    /// # Errors
    ///
    /// Wrong lengths, non-finite inputs, a diverged inner solve, or the error of the inner cost,
    /// the update or the outer loss ([`NestedError::User`]).
    pub fn forward_gradient<L: Gradient + ?Sized>(
        &self,
        outer: &L,
        x0: &[f64],
        phi: &[f64],
        theta: &[f64],
    ) -> Result<Hypergradient, NestedError> {
        self.check_inputs(x0, phi, theta)?;
        let total = phi.len() + theta.len();
        let mut derivative = vec![0.0; total];
        let mut loss = f64::NAN;
        for first in (0..total.max(1)).step_by(LANES) {
            // Parameter j (phi first, then theta) carries lane j - first.
            let seed = |v: &[f64], offset: usize| -> Vec<Dual<f64, LANES>> {
                v.iter()
                    .enumerate()
                    .map(|(i, &a)| {
                        let j = offset + i;
                        Dual::new(
                            a,
                            core::array::from_fn(|lane| f64::from(u8::from(j == first + lane))),
                        )
                    })
                    .collect()
            };
            let l = self.loss_at_duals(outer, x0, &seed(phi, 0), &seed(theta, phi.len()))?;
            loss = l.value;
            let lanes = LANES.min(total.saturating_sub(first));
            derivative[first..first + lanes].copy_from_slice(&l.tangents[..lanes]);
        }
        let theta_part = derivative.split_off(phi.len());
        Ok(Hypergradient {
            loss,
            phi: derivative,
            theta: theta_part,
        })
    }

    /// Method 2: `dL/dphi` and `dL/dtheta` by one backward sweep over the unrolled solve. The
    /// forward pass keeps each iterate, carried state and inner gradient (memory `O(K n)`); each
    /// backward step takes the update's adjoint and one forward-over-reverse product
    /// `[H_xx; H_phi x] grad_bar`, so the cost does not grow with the number of parameters.
    ///
    /// # Errors
    ///
    /// Wrong lengths, non-finite inputs, a diverged inner solve, or the error of the inner cost,
    /// the update or the outer loss ([`NestedError::User`]).
    pub fn reverse<L: Gradient + ?Sized>(
        &self,
        outer: &L,
        x0: &[f64],
        phi: &[f64],
        theta: &[f64],
    ) -> Result<Hypergradient, NestedError> {
        self.check_inputs(x0, phi, theta)?;
        let n = x0.len();
        let carry_len = self.update.carry(n);
        let mut iterates = Vec::with_capacity(self.steps);
        let unpacked = self.update.unpack(theta);
        let x = self.run(x0, phi, (theta, &unpacked), |x, carry, grad| {
            iterates.push((x.to_vec(), carry.to_vec(), grad.to_vec()));
        })?;
        finite("x_K (the inner solve diverged)", &x)?;
        let mut x_bar = vec![0.0; n];
        let loss = outer
            .gradient(&x, &mut x_bar)
            .map_err(NestedError::user("the outer loss"))?;
        let mut carry_bar = vec![0.0; carry_len];
        let (mut phi_bar, mut theta_bar) = (vec![0.0; phi.len()], vec![0.0; theta.len()]);
        let mut grad_bar = vec![0.0; n];
        for (x_k, carry_k, grad_k) in iterates.iter().rev() {
            grad_bar.iter_mut().for_each(|g| *g = 0.0);
            let at = StepInputs {
                theta,
                grad: grad_k,
                x: x_k,
                carry: carry_k,
            };
            let bar = StepAdjoints {
                x: &mut x_bar,
                carry: &mut carry_bar,
                grad: &mut grad_bar,
                theta: &mut theta_bar,
            };
            self.update
                .step_vjp(&unpacked, at, bar)
                .map_err(NestedError::user("the update"))?;
            let (hxx, hpx) = mixed_hvp(self.cost, x_k, phi, &grad_bar).map_err(in_inner_cost)?;
            x_bar.iter_mut().zip(&hxx).for_each(|(a, b)| *a += b);
            phi_bar.iter_mut().zip(&hpx).for_each(|(a, b)| *a += b);
        }
        Ok(Hypergradient {
            loss,
            phi: phi_bar,
            theta: theta_bar,
        })
    }
}
