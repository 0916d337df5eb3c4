//! A batch of unrolled inner solves advanced together: the states of `B` windows as the columns
//! of one `n x B` matrix, so that a learned update applies its network to the whole batch by
//! matrix-matrix products (its weights read once per batch, not once per window), and the
//! batch's hypergradient `dL/dtheta = sum_w dL_w/dtheta` comes from one backward sweep over the
//! `K` steps: per step the update's batched adjoint, and per window the inner cost's pieces (its
//! gradient, and one forward-over-reverse Hessian-vector product).
//!
//! What `jax.vmap` gives JAX users, written out: [`BatchUpdate`] mirrors [`Update`](super::Update)
//! with matrices of states, and [`UnrolledBatch::reverse`] mirrors
//! [`Unrolled::reverse`](super::Unrolled::reverse) with a slice of [`BatchWindow`]s.
//! [`UnrolledBatch::reverse_batched`] batches the inner costs too: a [`BatchCost`] gives every
//! window's gradient and Hessian-vector product in one call each (laid out to vectorise across
//! the windows), a [`BatchLoss`] every window's outer loss; [`PerWindowCosts`] and
//! [`PerWindowLosses`] wrap per-window functions as batched ones.
//!
//! ```
//! use nalgebra::DMatrix;
//! use tapeless_runtime::hyper::{BatchAdjoints, BatchInputs, BatchUpdate, BatchWindow, UnrolledBatch};
//! use tapeless_runtime::nested::{Gradient, NoParameters};
//! use tapeless_runtime::{Real, UserError};
//!
//! /// x <- x - eta grad, every window with the same learned eta.
//! struct BatchDescent;
//! impl BatchUpdate for BatchDescent {
//!     type Unpacked = f64;
//!     fn parameters(&self, _n: usize) -> usize {
//!         1
//!     }
//!     fn unpack(&self, theta: &[f64]) -> f64 {
//!         theta[0]
//!     }
//!     fn step(
//!         &self,
//!         eta: &f64,
//!         at: BatchInputs<'_>,
//!         x: &mut DMatrix<f64>,
//!         _carry: &mut DMatrix<f64>,
//!     ) -> Result<(), UserError> {
//!         *x -= *eta * at.grad;
//!         Ok(())
//!     }
//!     fn step_vjp(&self, eta: &f64, at: BatchInputs<'_>, bar: BatchAdjoints<'_>) -> Result<(), UserError> {
//!         bar.theta[0] -= at.grad.dot(bar.x);
//!         *bar.grad -= *eta * &*bar.x;
//!         Ok(())
//!     }
//! }
//! /// J(x) = |x|^2 / 2.
//! struct Half;
//! impl Gradient for Half {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         let mut j = S::zero();
//!         for i in 0..x.len() {
//!             j += x[i] * x[i] / S::from_f64(2.0);
//!             g[i] += x[i];
//!         }
//!         Ok(j)
//!     }
//! }
//! /// L(x) = x_0, so L(x_K) = (1 - eta)^K x0_0 and dL/deta = -K (1 - eta)^(K - 1) x0_0.
//! struct First;
//! impl Gradient for First {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         g[0] += S::one();
//!         Ok(x[0])
//!     }
//! }
//! let cost = NoParameters(Half);
//! let windows = [
//!     BatchWindow { cost: &cost, outer: &First, x0: &[1.0][..], phi: &[][..] },
//!     BatchWindow { cost: &cost, outer: &First, x0: &[2.0][..], phi: &[][..] },
//! ];
//! let r = UnrolledBatch::new(&BatchDescent, 3).reverse(&windows, &[0.5]).unwrap();
//! assert_eq!(r.losses, vec![0.125, 0.25]);
//! assert_eq!(r.theta, vec![-0.75 - 1.5]);
//! ```

use nalgebra::DMatrix;

use super::in_inner_cost;
use crate::nested::{
    check, check_finite as finite, hvp, mixed_hvp, Gradient, MixedGradient, NestedError,
};
use crate::{InputError, UserError};

mod costs;
pub use costs::{BatchCost, BatchLoss, PerWindowCosts, PerWindowLosses};

/// Where a batched step is taken: the values *before* the step `k -> k + 1`, window `w` in
/// column `w`.
#[derive(Debug, Clone, Copy)]
pub struct BatchInputs<'a> {
    /// The update's parameters.
    pub theta: &'a [f64],
    /// `grad J_w(x_{k,w})`, `n x B`.
    pub grad: &'a DMatrix<f64>,
    /// `x_k`, `n x B`.
    pub x: &'a DMatrix<f64>,
    /// The carried states `c_k`, `carry(n) x B` (no rows for an update without memory).
    pub carry: &'a DMatrix<f64>,
}

/// The adjoints a batched step's reverse sweep reads and writes (see [`BatchUpdate::step_vjp`]).
#[derive(Debug)]
pub struct BatchAdjoints<'a> {
    /// In: `dL/dx_{k+1}`; out: `dL/dx_k` through the step's direct use of `x_k`.
    pub x: &'a mut DMatrix<f64>,
    /// In: `dL/dc_{k+1}`; out: `dL/dc_k`.
    pub carry: &'a mut DMatrix<f64>,
    /// Accumulates `dL/dgrad_k` (zero on entry); the driver turns each column into
    /// `H_w(x_{k,w}) grad_bar_w`.
    pub grad: &'a mut DMatrix<f64>,
    /// Accumulates `dL/dtheta`, summed over the batch.
    pub theta: &'a mut [f64],
}

/// One step of an inner solver applied to a batch of windows at once: the columns of `x` are
/// the windows' states, and the step treats every column as [`Update::step`](super::Update::step)
/// treats one state (a learned update: its network applied to the `n x B` matrix of the
/// gradients by matrix-matrix products). `step` and `step_vjp` run at `f64`: the batched path is
/// for the reverse sweep (forward mode stays per window, through [`Update`](super::Update)).
///
/// See the module's example.
pub trait BatchUpdate {
    /// The parameters in the form the step reads them (a network's weight matrices), made from
    /// the flat `theta` once per batch by [`BatchUpdate::unpack`].
    type Unpacked;

    /// The number of parameters `theta` for a state of length `n`.
    fn parameters(&self, n: usize) -> usize;

    /// `theta` in the form the steps read, once per batch.
    fn unpack(&self, theta: &[f64]) -> Self::Unpacked;

    /// The number of rows of the carried state for a state of length `n` (zero unless
    /// overridden).
    fn carry(&self, n: usize) -> usize {
        let _ = n;
        0
    }

    /// Takes the step in place for every window: on entry `x = at.x` and `carry = at.carry`
    /// (copies the driver made), on exit `x_{k+1}` and `c_{k+1}`. An error stops the batch and
    /// reaches the caller as [`BatchError::Batch`].
    fn step(
        &self,
        unpacked: &Self::Unpacked,
        at: BatchInputs<'_>,
        x: &mut DMatrix<f64>,
        carry: &mut DMatrix<f64>,
    ) -> Result<(), UserError>;

    /// The adjoint of the step (state and carry) at `at`: reads `bar.x` and `bar.carry` as the
    /// adjoints of the step's outputs and overwrites them with those of its inputs `x_k` and
    /// `c_k`; accumulates into `bar.grad` and `bar.theta` (the sum over the batch's windows).
    fn step_vjp(
        &self,
        unpacked: &Self::Unpacked,
        at: BatchInputs<'_>,
        bar: BatchAdjoints<'_>,
    ) -> Result<(), UserError>;
}

/// One window of a batch: its inner cost `J_w(x, phi_w)`, outer loss `L_w(x_K)`, initial state
/// and cost parameters. Every window of a batch has the same state length.
#[derive(Debug)]
pub struct BatchWindow<'a, J: ?Sized, L: ?Sized> {
    /// The inner cost.
    pub cost: &'a J,
    /// The outer loss of the window's analysis `x_K`.
    pub outer: &'a L,
    /// The initial state `x_0`.
    pub x0: &'a [f64],
    /// The inner cost's parameters (empty for [`NoParameters`](crate::nested::NoParameters)).
    pub phi: &'a [f64],
}

impl<J: ?Sized, L: ?Sized> Clone for BatchWindow<'_, J, L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<J: ?Sized, L: ?Sized> Copy for BatchWindow<'_, J, L> {}

/// A batch's losses and summed hypergradient.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchHypergradient {
    /// `L_w(x_{K,w})`, window by window.
    pub losses: Vec<f64>,
    /// `dL_w/dphi_w`, window by window.
    pub phi: Vec<Vec<f64>>,
    /// `sum_w dL_w/dtheta`: the batch's hypergradient with respect to the shared parameters.
    pub theta: Vec<f64>,
}

impl BatchHypergradient {
    /// `sum_w L_w`, added in window order.
    pub fn loss(&self) -> f64 {
        self.losses.iter().sum()
    }
}

/// A batch that cannot be solved, named.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless_runtime::hyper::{BatchAdjoints, BatchError, BatchInputs, BatchUpdate, BatchWindow, UnrolledBatch};
/// use tapeless_runtime::nested::{Gradient, NestedError, NoParameters};
/// use tapeless_runtime::{InputError, Real, UserError};
///
/// /// x <- x / 2.
/// struct Halve;
/// impl BatchUpdate for Halve {
///     type Unpacked = ();
///     fn parameters(&self, _n: usize) -> usize {
///         0
///     }
///     fn unpack(&self, _theta: &[f64]) {}
///     fn step(&self, _: &(), _: BatchInputs<'_>, x: &mut DMatrix<f64>, _: &mut DMatrix<f64>) -> Result<(), UserError> {
///         *x *= 0.5;
///         Ok(())
///     }
///     fn step_vjp(&self, _: &(), _: BatchInputs<'_>, bar: BatchAdjoints<'_>) -> Result<(), UserError> {
///         *bar.x *= 0.5;
///         Ok(())
///     }
/// }
/// /// J(x) = L(x) = sum x_i.
/// struct Sum;
/// impl Gradient for Sum {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g.iter_mut().for_each(|g| *g += S::one());
///         Ok(x.iter().fold(S::zero(), |a, &b| a + b))
///     }
/// }
/// let cost = NoParameters(Sum);
/// let window = |x0| BatchWindow { cost: &cost, outer: &Sum, x0, phi: &[][..] };
/// let solver = UnrolledBatch::new(&Halve, 2);
/// let error = solver.solve(&[window(&[1.0, 2.0]), window(&[3.0])], &[]).unwrap_err();
/// assert_eq!(
///     error,
///     BatchError::Window {
///         window: 1,
///         source: NestedError::Input(InputError::WrongLength {
///             what: "x0 (every window of a batch has the state length of window 0)",
///             expected: 2,
///             found: 1,
///         }),
///     }
/// );
/// assert_eq!(
///     error.to_string(),
///     "window 1 of the batch: x0 (every window of a batch has the state length of window 0) \
///      has length 1, expected 2"
/// );
/// assert_eq!(solver.solve(&[window(&[4.0, 8.0])], &[]).unwrap().as_slice(), &[1.0, 2.0]);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BatchError {
    /// A batch of no windows.
    #[error("the batch has no windows")]
    Empty,
    /// One window's data does not fit (a state of another length than window 0's, a NaN), or
    /// its inner cost or outer loss failed, or its inner solve diverged.
    #[error("window {window} of the batch: {source}")]
    Window {
        /// The window's position in the batch.
        window: usize,
        /// What is wrong with it.
        source: NestedError,
    },
    /// Wrong-length `theta`, or the update failed on the batch.
    #[error(transparent)]
    Batch(#[from] NestedError),
}

/// The inner costs as the driver reads them: per window (with parameters) or batched.
trait Inner {
    /// Every window's gradient at the columns of `x`, into the columns of `grad`.
    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), BatchError>;

    /// Adds `H_xx v_w` into column `w` of `x_bar` and `H_phi x v_w` into `phi_bar[w]`.
    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
        phi_bar: &mut [Vec<f64>],
    ) -> Result<(), BatchError>;
}

/// The windows' own costs, one window at a time.
struct Windows<'w, 'a, J: ?Sized, L: ?Sized>(&'w [BatchWindow<'a, J, L>]);

impl<J: MixedGradient + ?Sized, L: ?Sized> Inner for Windows<'_, '_, J, L> {
    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), BatchError> {
        grad.fill(0.0);
        for (w, window) in self.0.iter().enumerate() {
            let mut phi_bar = vec![0.0; window.phi.len()];
            window
                .cost
                .gradient(
                    x.column(w).as_slice(),
                    window.phi,
                    grad.column_mut(w).as_mut_slice(),
                    &mut phi_bar,
                )
                .map_err(NestedError::user("the inner cost"))
                .map_err(in_window(w))?;
        }
        Ok(())
    }

    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
        phi_bar: &mut [Vec<f64>],
    ) -> Result<(), BatchError> {
        for (w, window) in self.0.iter().enumerate() {
            let (hxx, hpx) = mixed_hvp(
                window.cost,
                x.column(w).as_slice(),
                window.phi,
                v.column(w).as_slice(),
            )
            .map_err(in_inner_cost)
            .map_err(in_window(w))?;
            x_bar
                .column_mut(w)
                .iter_mut()
                .zip(&hxx)
                .for_each(|(a, b)| *a += b);
            phi_bar[w].iter_mut().zip(&hpx).for_each(|(a, b)| *a += b);
        }
        Ok(())
    }
}

/// A [`BatchCost`], all windows at once.
struct Batched<'c, C: ?Sized>(&'c C);

impl<C: BatchCost + ?Sized> Inner for Batched<'_, C> {
    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), BatchError> {
        self.0
            .gradients(x, grad)
            .map_err(NestedError::user("the batched inner cost"))?;
        Ok(())
    }

    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
        _phi_bar: &mut [Vec<f64>],
    ) -> Result<(), BatchError> {
        self.0
            .hvps(x, v, x_bar)
            .map_err(NestedError::user("the batched inner cost"))?;
        Ok(())
    }
}

/// `steps` applications of a [`BatchUpdate`] to a batch of windows. Borrowed, cheap to build.
#[derive(Debug)]
pub struct UnrolledBatch<'a, U: ?Sized> {
    update: &'a U,
    steps: usize,
}

impl<U: ?Sized> Clone for UnrolledBatch<'_, U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<U: ?Sized> Copy for UnrolledBatch<'_, U> {}

/// The error of window `w`.
fn in_window(window: usize) -> impl FnOnce(NestedError) -> BatchError {
    move |source| BatchError::Window { window, source }
}

/// A batch's initial states (checked finite, of window 0's length) as the `n x B` matrix.
fn initial_states(x0: &[&[f64]]) -> Result<DMatrix<f64>, BatchError> {
    let n = x0.first().ok_or(BatchError::Empty)?.len();
    for (w, x) in x0.iter().enumerate() {
        let fit = || -> Result<(), NestedError> {
            if x.len() != n {
                return Err(InputError::WrongLength {
                    what: "x0 (every window of a batch has the state length of window 0)",
                    expected: n,
                    found: x.len(),
                }
                .into());
            }
            finite("x0", x)
        };
        fit().map_err(in_window(w))?;
    }
    Ok(DMatrix::from_fn(n, x0.len(), |i, w| x0[w][i]))
}

impl<'a, U: BatchUpdate + ?Sized> UnrolledBatch<'a, U> {
    /// `steps` inner steps of `update` on every window of a batch.
    pub fn new(update: &'a U, steps: usize) -> Self {
        Self { update, steps }
    }

    /// The initial states, after checking every window's data against window 0's, and `theta`.
    fn check_inputs<J: MixedGradient + ?Sized, L: ?Sized>(
        &self,
        windows: &[BatchWindow<'_, J, L>],
        theta: &[f64],
    ) -> Result<DMatrix<f64>, BatchError> {
        let x0: Vec<&[f64]> = windows.iter().map(|w| w.x0).collect();
        let x = initial_states(&x0)?;
        for (w, window) in windows.iter().enumerate() {
            finite("phi", window.phi).map_err(in_window(w))?;
        }
        check("theta", theta, self.update.parameters(x.nrows()))?;
        Ok(x)
    }

    /// The initial states `x0` as a matrix after checking them, `theta`, and the number of
    /// windows of `cost` (and of the outer losses, `losses`) against `x0`'s.
    fn check_batched<C: BatchCost + ?Sized>(
        &self,
        cost: &C,
        losses: Option<usize>,
        x0: &[&[f64]],
        theta: &[f64],
    ) -> Result<DMatrix<f64>, BatchError> {
        let x = initial_states(x0)?;
        let counts = [
            (
                "the batched inner cost's windows (one per initial state)",
                Some(cost.windows()),
            ),
            (
                "the batched outer loss's windows (one per initial state)",
                losses,
            ),
        ];
        for (what, found) in counts {
            match found {
                Some(found) if found != x0.len() => {
                    return Err(NestedError::from(InputError::WrongLength {
                        what,
                        expected: x0.len(),
                        found,
                    })
                    .into())
                }
                _ => {}
            }
        }
        check("theta", theta, self.update.parameters(x.nrows()))?;
        Ok(x)
    }

    /// The batch's inner solves from `x` (`n x B`): `x_K`, window `w` in column `w`; `record`
    /// sees each step's `(x_k, c_k, grad_k)` before the step.
    fn run(
        &self,
        inner: &impl Inner,
        mut x: DMatrix<f64>,
        (theta, unpacked): (&[f64], &U::Unpacked),
        mut record: impl FnMut(&DMatrix<f64>, &DMatrix<f64>, &DMatrix<f64>),
    ) -> Result<DMatrix<f64>, BatchError> {
        let (n, b) = x.shape();
        let mut carry = DMatrix::zeros(self.update.carry(n), b);
        let mut grad = DMatrix::zeros(n, b);
        let (mut x_next, mut carry_next) = (x.clone(), carry.clone());
        for _ in 0..self.steps {
            inner.gradients(&x, &mut grad)?;
            record(&x, &carry, &grad);
            x_next.copy_from(&x);
            carry_next.copy_from(&carry);
            let at = BatchInputs {
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
        for w in 0..b {
            finite("x_K (the inner solve diverged)", x.column(w).as_slice())
                .map_err(in_window(w))?;
        }
        Ok(x)
    }

    /// The batch's analyses `x_K`, window `w` in column `w`.
    ///
    /// # Errors
    ///
    /// [`BatchError`]: an empty batch, a window whose data does not fit or whose inner cost
    /// fails or diverges (named by its position), a wrong-length `theta` or a failing update.
    pub fn solve<J: MixedGradient + ?Sized, L: ?Sized>(
        &self,
        windows: &[BatchWindow<'_, J, L>],
        theta: &[f64],
    ) -> Result<DMatrix<f64>, BatchError> {
        let x = self.check_inputs(windows, theta)?;
        let unpacked = self.update.unpack(theta);
        self.run(&Windows(windows), x, (theta, &unpacked), |_, _, _| {})
    }

    /// The batch's analyses `x_K` with the inner costs evaluated together by `cost` (window `w`
    /// of `cost` starts at `x0[w]`), window `w` in column `w`.
    ///
    /// # Errors
    ///
    /// As [`UnrolledBatch::solve`], and a `cost` for another number of windows than `x0`; the
    /// cost's own error is [`BatchError::Batch`] (a batched cost names no window).
    pub fn solve_batched<C: BatchCost + ?Sized>(
        &self,
        cost: &C,
        x0: &[&[f64]],
        theta: &[f64],
    ) -> Result<DMatrix<f64>, BatchError> {
        let x = self.check_batched(cost, None, x0, theta)?;
        let unpacked = self.update.unpack(theta);
        self.run(&Batched(cost), x, (theta, &unpacked), |_, _, _| {})
    }

    /// Every window's loss, its `dL_w/dphi_w`, and the batch's `sum_w dL_w/dtheta` by one
    /// backward sweep over the `K` batched steps: per step the update's batched adjoint
    /// ([`BatchUpdate::step_vjp`], a network's weights read once for the batch) and, per
    /// window, one forward-over-reverse product `[H_xx; H_phi x] grad_bar_w` of its inner cost.
    /// Equal to the sum of [`Unrolled::reverse`](super::Unrolled::reverse) over the windows to
    /// rounding.
    ///
    /// # Errors
    ///
    /// As [`UnrolledBatch::solve`], and the error of a window's outer loss.
    pub fn reverse<J: MixedGradient + ?Sized, L: Gradient + ?Sized>(
        &self,
        windows: &[BatchWindow<'_, J, L>],
        theta: &[f64],
    ) -> Result<BatchHypergradient, BatchError> {
        let x = self.check_inputs(windows, theta)?;
        let phi: Vec<usize> = windows.iter().map(|w| w.phi.len()).collect();
        let outers = |x: &DMatrix<f64>, x_bar: &mut DMatrix<f64>| {
            let mut losses = Vec::with_capacity(windows.len());
            for (w, window) in windows.iter().enumerate() {
                let loss = window
                    .outer
                    .gradient(x.column(w).as_slice(), x_bar.column_mut(w).as_mut_slice())
                    .map_err(NestedError::user("the outer loss"))
                    .map_err(in_window(w))?;
                losses.push(loss);
            }
            Ok(losses)
        };
        self.sweep(&Windows(windows), x, outers, &phi, theta)
    }

    /// [`UnrolledBatch::reverse`] with the inner costs evaluated together by `cost` (per step
    /// one call of [`BatchCost::gradients`] forwards and one of [`BatchCost::hvps`] backwards
    /// for the whole batch) and the outer losses by `loss` (one call); window `w` starts at
    /// `x0[w]`. `phi` of the result is empty for every window.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use tapeless_runtime::hyper::{BatchAdjoints, BatchInputs, BatchUpdate, BatchWindow};
    /// use tapeless_runtime::hyper::{PerWindowCosts, PerWindowLosses, UnrolledBatch};
    /// use tapeless_runtime::nested::{Gradient, NoParameters};
    /// use tapeless_runtime::{Real, UserError};
    ///
    /// /// x <- x - eta grad.
    /// struct BatchDescent;
    /// impl BatchUpdate for BatchDescent {
    ///     type Unpacked = f64;
    ///     fn parameters(&self, _n: usize) -> usize {
    ///         1
    ///     }
    ///     fn unpack(&self, theta: &[f64]) -> f64 {
    ///         theta[0]
    ///     }
    ///     fn step(&self, eta: &f64, at: BatchInputs<'_>, x: &mut DMatrix<f64>, _: &mut DMatrix<f64>) -> Result<(), UserError> {
    ///         *x -= *eta * at.grad;
    ///         Ok(())
    ///     }
    ///     fn step_vjp(&self, eta: &f64, at: BatchInputs<'_>, bar: BatchAdjoints<'_>) -> Result<(), UserError> {
    ///         bar.theta[0] -= at.grad.dot(bar.x);
    ///         *bar.grad -= *eta * &*bar.x;
    ///         Ok(())
    ///     }
    /// }
    /// /// J(x) = x_0^4 / 4, L(x) = x_0.
    /// struct Quartic;
    /// impl Gradient for Quartic {
    ///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
    ///         g[0] += x[0] * x[0] * x[0];
    ///         Ok(x[0] * x[0] * x[0] * x[0] / S::from_f64(4.0))
    ///     }
    /// }
    /// struct First;
    /// impl Gradient for First {
    ///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
    ///         g[0] += S::one();
    ///         Ok(x[0])
    ///     }
    /// }
    /// let solver = UnrolledBatch::new(&BatchDescent, 3);
    /// let (costs, losses) = ([Quartic, Quartic], [First, First]);
    /// let x0 = [&[1.0][..], &[0.5][..]];
    /// let batched = solver
    ///     .reverse_batched(&PerWindowCosts(&costs), &PerWindowLosses(&losses), &x0, &[0.1])
    ///     .unwrap();
    /// // The same as the per-window costs of `reverse`.
    /// let cost = NoParameters(Quartic);
    /// let windows = x0.map(|x0| BatchWindow { cost: &cost, outer: &First, x0, phi: &[][..] });
    /// let per_window = solver.reverse(&windows, &[0.1]).unwrap();
    /// assert_eq!(batched.losses, per_window.losses);
    /// assert_eq!(batched.theta, per_window.theta);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`UnrolledBatch::solve_batched`], a `loss` for another number of windows than `x0`,
    /// and the losses' own error ([`BatchError::Batch`]).
    pub fn reverse_batched<C: BatchCost + ?Sized, L: BatchLoss + ?Sized>(
        &self,
        cost: &C,
        loss: &L,
        x0: &[&[f64]],
        theta: &[f64],
    ) -> Result<BatchHypergradient, BatchError> {
        let x = self.check_batched(cost, Some(loss.windows()), x0, theta)?;
        let outers = |x: &DMatrix<f64>, x_bar: &mut DMatrix<f64>| {
            let losses = loss
                .gradients(x, x_bar)
                .map_err(NestedError::user("the batched outer loss"))?;
            Ok(losses)
        };
        self.sweep(&Batched(cost), x, outers, &vec![0; x0.len()], theta)
    }

    /// The forward solves from `x`, then the backward sweep: the losses by `outers` (which
    /// returns them and writes their gradients at `x_K` into its second argument, zero on
    /// entry) and the adjoints of `phi` (of lengths `phi`) and `theta`.
    fn sweep(
        &self,
        inner: &impl Inner,
        x: DMatrix<f64>,
        outers: impl FnOnce(&DMatrix<f64>, &mut DMatrix<f64>) -> Result<Vec<f64>, BatchError>,
        phi: &[usize],
        theta: &[f64],
    ) -> Result<BatchHypergradient, BatchError> {
        let (n, b) = x.shape();
        let unpacked = self.update.unpack(theta);
        let mut iterates = Vec::with_capacity(self.steps);
        let x = self.run(inner, x, (theta, &unpacked), |x, carry, grad| {
            iterates.push((x.clone(), carry.clone(), grad.clone()));
        })?;
        let mut x_bar = DMatrix::zeros(n, b);
        let losses = outers(&x, &mut x_bar)?;
        let mut carry_bar = DMatrix::zeros(self.update.carry(n), b);
        let mut phi_bar: Vec<Vec<f64>> = phi.iter().map(|&m| vec![0.0; m]).collect();
        let mut theta_bar = vec![0.0; theta.len()];
        let mut grad_bar = DMatrix::zeros(n, b);
        for (x_k, carry_k, grad_k) in iterates.iter().rev() {
            grad_bar.fill(0.0);
            let at = BatchInputs {
                theta,
                grad: grad_k,
                x: x_k,
                carry: carry_k,
            };
            let bar = BatchAdjoints {
                x: &mut x_bar,
                carry: &mut carry_bar,
                grad: &mut grad_bar,
                theta: &mut theta_bar,
            };
            self.update
                .step_vjp(&unpacked, at, bar)
                .map_err(NestedError::user("the update"))?;
            inner.hvps(x_k, &grad_bar, &mut x_bar, &mut phi_bar)?;
        }
        Ok(BatchHypergradient {
            losses,
            phi: phi_bar,
            theta: theta_bar,
        })
    }
}
