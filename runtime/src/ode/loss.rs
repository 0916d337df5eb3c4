//! The loss a gradient differentiates: a sum of terms, one per saved state.

use super::error::OdeError;
use super::rhs::Length;
use crate::{Real, UserError};

/// A scalar loss of the saved states, `J = sum_k phi_k(u(t_k))`, whose terms can be evaluated
/// with their gradients at any scalar type (so a gradient evaluated at dual numbers gives
/// Hessian-vector products).
///
/// `k` is the position of the saved state in [`SaveAt`](crate::ode::SaveAt) (counting every saved
/// state, from 0) and `t` its time as reported in the [`Solution`](crate::ode::Solution). A term
/// may be zero; a 4D-Var cost puts its observation misfits on the observed times and its
/// background term on `k = 0`, the initial state.
///
/// The method is generic (a closure could not be), so the loss is a type. With the `tapeless`
/// crate, write each term as a `#[differentiable]` function and call its `_vjp` companion here
/// (it adds the term's gradient into `u_bar` and runs at dual numbers too), rather than an
/// adjoint by hand as below: the guide page `tapeless::guide::ode_adjoints` shows how. By hand:
///
/// ```
/// use tapeless_runtime::ode::SavedStateLoss;
/// use tapeless_runtime::{Real, UserError};
///
/// /// 0.5 sum_k |u(t_k) - y_k|^2 against observations of the whole state.
/// struct Misfit {
///     observations: Vec<Vec<f64>>,
/// }
///
/// impl SavedStateLoss for Misfit {
///     fn value_and_gradient<S: Real>(&self, k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         let mut value = S::zero();
///         for (i, &y) in self.observations[k].iter().enumerate() {
///             let r = u[i] - S::from_f64(y);
///             value += S::from_f64(0.5) * r * r;
///             u_bar[i] += r;
///         }
///         Ok(value)
///     }
/// }
///
/// let loss = Misfit { observations: vec![vec![1.0, 2.0]] };
/// let mut u_bar = [0.0, 0.0];
/// assert_eq!(loss.value_and_gradient(0, 0.0, &[2.0, 2.0], &mut u_bar)?, 0.5);
/// assert_eq!(u_bar, [1.0, 0.0]);
/// # Ok::<(), tapeless_runtime::UserError>(())
/// ```
pub trait SavedStateLoss {
    /// Returns `phi_k(u)` and adds `d phi_k / du` into `u_bar` (which already holds the adjoint
    /// of the rest of the loss: add, do not overwrite), or the reason it cannot: the integrator
    /// stops and returns it as [`OdeError::Loss`].
    fn value_and_gradient<S: Real>(
        &self,
        k: usize,
        t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError>;

    /// The length of the states this loss reads, which every integrator checks against the
    /// initial state before its first step ([`OdeError::Input`] with
    /// [`InputError::WrongLength`](crate::InputError::WrongLength) or `TooShort`,
    /// `what: "state of the loss"`). The default, [`Length::Any`], checks nothing; a 4D-Var [`Cost`](crate::fourdvar::Cost) states its
    /// dimension.
    fn state_length(&self) -> Length {
        Length::Any
    }

    /// How many saved states the loss reads at least: one more than the last `k` it has a term
    /// for. Every integrator checks it against the saved states ([`OdeError::TooFewSaves`]),
    /// before the first step when their number is known then, so that a term is never silently
    /// left out. The default, 0, checks nothing; a 4D-Var [`Cost`](crate::fourdvar::Cost)
    /// states its last observed state.
    fn saved_states(&self) -> usize {
        0
    }
}

/// The error of the loss term of saved state `index`.
pub(crate) fn loss_failed(index: usize) -> impl FnOnce(UserError) -> OdeError {
    move |error| OdeError::Loss {
        index,
        source: error.into(),
    }
}

/// Checks that `saved` states (if known) are all the loss reads.
pub(crate) fn check_saves<L: SavedStateLoss>(
    loss: &L,
    saved: Option<usize>,
) -> Result<(), OdeError> {
    let needed = loss.saved_states();
    match saved {
        Some(saved) if saved < needed => Err(OdeError::TooFewSaves { needed, saved }),
        _ => Ok(()),
    }
}

/// Checks the initial state's length against the loss's, before any work.
pub(crate) fn check_loss<L: SavedStateLoss, S>(loss: &L, u0: &[S]) -> Result<(), OdeError> {
    loss.state_length().check("state of the loss", u0.len())?;
    Ok(())
}
