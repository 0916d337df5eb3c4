//! The one error of input that does not fit: a vector of the wrong length, or holding an
//! infinity or a NaN. Every module's error wraps it (`OdeError::Input`, `NestedError::Input`,
//! ...), so the checks and their messages are written once.

use crate::Real;
use thiserror::Error;

/// An input vector that does not fit: it names the argument at fault and the values that
/// broke the rule. Each module's error wraps it as its `Input` variant, with this message.
///
/// ```
/// use tapeless_runtime::InputError;
///
/// let err = InputError::WrongLength { what: "u0_dot", expected: 3, found: 2 };
/// assert_eq!(err.to_string(), "u0_dot has length 2, expected 3");
/// let err = InputError::NonFinite { what: "p", index: 1, value: f64::NAN };
/// assert_eq!(err.to_string(), "p[1] is not finite (NaN)");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputError {
    /// A vector has the wrong length.
    #[error("{what} has length {found}, expected {expected}")]
    WrongLength {
        /// Which vector.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// A vector shorter than what reads it (the initial state or the parameters of a
    /// right-hand side whose [`Rhs::dims`](crate::ode::Rhs::dims) asks for at least
    /// `minimum` components).
    #[error("{what} has length {found}, expected at least {minimum}")]
    TooShort {
        /// Which vector.
        what: &'static str,
        /// The least length it may have.
        minimum: usize,
        /// The length it has.
        found: usize,
    },
    /// A vector holds an infinity or a NaN.
    #[error("{what}[{index}] is not finite ({value})")]
    NonFinite {
        /// Which vector.
        what: &'static str,
        /// The first component that is not finite.
        index: usize,
        /// Its value (at a dual number, the value's real part).
        value: f64,
    },
}

impl InputError {
    /// `Ok` if the vector `what` has length `found == expected`.
    pub(crate) fn check_length(
        what: &'static str,
        expected: usize,
        found: usize,
    ) -> Result<(), InputError> {
        if found == expected {
            Ok(())
        } else {
            Err(InputError::WrongLength {
                what,
                expected,
                found,
            })
        }
    }

    /// `Ok` if every component of the vector `what` is finite, or the error at the first that
    /// is not.
    pub(crate) fn check_finite<S: Real>(what: &'static str, v: &[S]) -> Result<(), InputError> {
        match v.iter().position(|x| !x.is_finite()) {
            Some(index) => Err(InputError::NonFinite {
                what,
                index,
                value: v[index].to_f64(),
            }),
            None => Ok(()),
        }
    }

    /// `Ok` if the vector `what` has length `expected` and is finite.
    pub(crate) fn check_vector<S: Real>(
        what: &'static str,
        v: &[S],
        expected: usize,
    ) -> Result<(), InputError> {
        Self::check_length(what, expected, v.len())?;
        Self::check_finite(what, v)
    }
}
