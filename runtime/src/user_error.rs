//! The errors of users' own functions: what a cost, a loss or an update returns when it fails
//! ([`UserError`]), and how tapeless's error enums carry it to the caller ([`UserFailure`]).
//!
//! A user's function often calls something fallible itself (an ODE gradient inside a 4D-Var
//! cost inside an inner solver), so the traits it implements return `Result<_, UserError>`:
//! `?` converts any error, `Err("message".into())` makes one from a string, and the error comes
//! out of [`hyper`](crate::hyper), [`nested`](crate::nested) and `minimize` unchanged, inside
//! their error enums, where [`UserFailure::downcast_ref`] gives back its type.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The error a user's function returns: any error, boxed, as argmin's `Error` and
/// `Box<dyn Error>` in `main` are. `?` converts into it from any error type.
///
/// ```
/// use tapeless_runtime::nested::{hvp, Gradient, NestedError};
/// use tapeless_runtime::{Real, UserError};
///
/// /// log(x0), defined for positive x0 only.
/// struct Log;
/// impl Gradient for Log {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         if x[0].to_f64() <= 0.0 {
///             return Err(format!("log of {} is not defined", x[0].to_f64()).into());
///         }
///         g[0] += S::one() / x[0];
///         Ok(x[0].ln())
///     }
/// }
/// assert_eq!(hvp(&Log, &[2.0], &[1.0])?.hessian_vector, [-0.25]);
/// let err = hvp(&Log, &[-1.0], &[1.0]).unwrap_err();
/// assert_eq!(err.to_string(), "the function failed: log of -1 is not defined");
/// # Ok::<(), NestedError>(())
/// ```
pub type UserError = Box<dyn Error + Send + Sync + 'static>;

/// A user's function's error inside one of tapeless's error enums
/// ([`NestedError::User`](crate::nested::NestedError::User),
/// [`OdeError::Loss`](crate::ode::OdeError::Loss)): the error as the function returned it,
/// shared so the enums stay `Clone` (two failures are equal when they are the same error).
/// It displays as the error itself; [`UserFailure::downcast_ref`] gives back its type.
///
/// ```
/// use tapeless_runtime::UserFailure;
/// use std::num::ParseIntError;
///
/// let parse: ParseIntError = "x".parse::<u8>().unwrap_err();
/// let failure = UserFailure::from(Box::new(parse.clone()) as tapeless_runtime::UserError);
/// assert_eq!(failure.downcast_ref::<ParseIntError>(), Some(&parse));
/// assert_eq!(failure.to_string(), parse.to_string());
/// assert_eq!(failure.clone(), failure);
/// ```
#[derive(Clone)]
pub struct UserFailure(Arc<dyn Error + Send + Sync + 'static>);

impl UserFailure {
    /// The error as the user's function returned it.
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The error as its own type, if it is a `T`.
    ///
    /// See the [type's example](UserFailure).
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl From<UserError> for UserFailure {
    fn from(error: UserError) -> Self {
        Self(Arc::from(error))
    }
}

impl PartialEq for UserFailure {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for UserFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for UserFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

/// Transparent: it displays as the user's error, so its source is that error's source.
impl Error for UserFailure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}
