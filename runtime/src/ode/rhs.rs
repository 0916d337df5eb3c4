//! The right-hand side of an ODE `du/dt = f(u, p, t)`, in the in-place style of
//! DifferentialEquations.jl, with its tangent and adjoint at any scalar type.

use super::error::OdeError;
use crate::Real;

/// A right-hand side `f(du, u, p, t)` whose tangent and adjoint can be evaluated at any scalar
/// type. `#[differentiable(rhs = Name)]` on a function
/// `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)` generates a unit struct `Name`
/// implementing it from the function's companions.
///
/// ```
/// use tapeless_runtime::ode::Rhs;
/// use tapeless_runtime::Real;
///
/// /// Exponential decay du/dt = -p0 u, written out by hand.
/// struct Decay;
/// impl Rhs for Decay {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///     }
///     fn jvp<S: Real>(&self, du: &mut [S], du_dot: &mut [S], u: &[S], u_dot: &[S], p: &[S], p_dot: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///         du_dot[0] = -p_dot[0] * u[0] - p[0] * u_dot[0];
///     }
///     fn vjp<S: Real>(&self, du: &mut [S], du_bar: &mut [S], u: &[S], u_bar: &mut [S], p: &[S], p_bar: &mut [S], _t: S) {
///         du[0] = -p[0] * u[0];
///         u_bar[0] -= p[0] * du_bar[0];
///         p_bar[0] -= u[0] * du_bar[0];
///         du_bar[0] = S::zero();
///     }
/// }
/// let mut du = [0.0];
/// Decay.eval(&mut du, &[2.0], &[0.5], 0.0);
/// assert_eq!(du, [-1.0]);
/// ```
pub trait Rhs {
    /// The lengths of the state and the parameters this right-hand side reads, which every
    /// integrator checks before its first step (a state shorter than what `f` reads would be
    /// read out of bounds; a longer one would be integrated with its extra components
    /// constant). The default, [`RhsDims::ANY`], checks nothing: override it when the lengths
    /// are known. `#[differentiable(rhs = Name)]` states them from the constant indices the
    /// function reads.
    ///
    /// ```
    /// use tapeless_runtime::ode::{solve, Length, OdeError, OdeProblem, Rhs, RhsDims, SolveOptions, Tableau};
    /// use tapeless_runtime::Real;
    ///
    /// /// du/dt = -p0 u on a state of one component.
    /// struct Decay;
    /// impl Rhs for Decay {
    ///     fn dims(&self) -> RhsDims {
    ///         RhsDims::new(Length::Exactly(1), Length::Exactly(1))
    ///     }
    ///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
    ///         du[0] = -p[0] * u[0];
    ///     }
    ///     # fn jvp<S: Real>(&self, du: &mut [S], dd: &mut [S], u: &[S], ud: &[S], p: &[S], pd: &[S], _t: S) {
    ///     #     du[0] = -p[0] * u[0];
    ///     #     dd[0] = -pd[0] * u[0] - p[0] * ud[0];
    ///     # }
    ///     # fn vjp<S: Real>(&self, du: &mut [S], db: &mut [S], u: &[S], ub: &mut [S], p: &[S], pb: &mut [S], _t: S) {
    ///     #     du[0] = -p[0] * u[0];
    ///     #     ub[0] -= p[0] * db[0];
    ///     #     pb[0] -= u[0] * db[0];
    ///     #     db[0] = S::zero();
    ///     # }
    ///     // jvp and vjp as usual
    /// }
    ///
    /// let options = SolveOptions::fixed(Tableau::rk4(), 0.1);
    /// let two_components = OdeProblem::new(&Decay, &[1.0, 2.0], &[0.5], (0.0, 1.0));
    /// assert_eq!(
    ///     solve(&two_components, &options).unwrap_err(),
    ///     OdeError::WrongLength { what: "u0", expected: 1, found: 2 }
    /// );
    /// ```
    fn dims(&self) -> RhsDims {
        RhsDims::ANY
    }

    /// Writes `f(u, p, t)` into `du`.
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S);

    /// Writes `f(u, p, t)` into `du` and its tangent `(df/du) u_dot + (df/dp) p_dot` into
    /// `du_dot`.
    #[allow(clippy::too_many_arguments)] // the values and tangents of an in-place function
    fn jvp<S: Real>(
        &self,
        du: &mut [S],
        du_dot: &mut [S],
        u: &[S],
        u_dot: &[S],
        p: &[S],
        p_dot: &[S],
        t: S,
    );

    /// Adds `(df/du)^T du_bar` into `u_bar` and `(df/dp)^T du_bar` into `p_bar`.
    ///
    /// `du` is scratch space of the state's length (its content on return is unspecified), and
    /// `du_bar` is consumed (it comes out zero, the adjoint of `du`'s initial value, which `f`
    /// overwrites without reading): the calling convention of the generated companions, so that
    /// an integrator passes its buffers and nothing is allocated per call.
    #[allow(clippy::too_many_arguments)] // the values and adjoints of an in-place function
    fn vjp<S: Real>(
        &self,
        du: &mut [S],
        du_bar: &mut [S],
        u: &[S],
        u_bar: &mut [S],
        p: &[S],
        p_bar: &mut [S],
        t: S,
    );
}

/// How many components a right-hand side reads from a vector (see [`Rhs::dims`]).
///
/// ```
/// use tapeless_runtime::ode::Length;
/// assert!(Length::Exactly(3).admits(3) && !Length::Exactly(3).admits(4));
/// assert!(Length::AtLeast(2).admits(5) && !Length::AtLeast(2).admits(1));
/// assert!(Length::Any.admits(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Length {
    /// Exactly `n` components: it reads `v[0..n]` and nothing else.
    Exactly(usize),
    /// At least `n` components: it reads `v[0..n]`, and more through `v.len()` (a Lorenz-96 of
    /// any dimension reads at least four).
    AtLeast(usize),
    /// Any length, or not known.
    #[default]
    Any,
}

impl Length {
    /// Whether a vector of length `len` fits.
    ///
    /// See the [type's example](Length).
    pub fn admits(self, len: usize) -> bool {
        match self {
            Length::Exactly(n) => len == n,
            Length::AtLeast(n) => len >= n,
            Length::Any => true,
        }
    }

    /// `Ok` if a vector `what` of length `found` fits, or the error that names it.
    pub(crate) fn check(self, what: &'static str, found: usize) -> Result<(), OdeError> {
        match self {
            Length::Exactly(expected) if found != expected => Err(OdeError::WrongLength {
                what,
                expected,
                found,
            }),
            Length::AtLeast(minimum) if found < minimum => Err(OdeError::TooShort {
                what,
                minimum,
                found,
            }),
            _ => Ok(()),
        }
    }
}

/// The lengths a right-hand side needs of the state `u` and the parameters `p`, returned by
/// [`Rhs::dims`] and checked by every integrator before it starts.
///
/// ```
/// use tapeless_runtime::ode::{Length, RhsDims};
/// // Lorenz-63 reads u[0..3] and p[0..3].
/// let lorenz63 = RhsDims::new(Length::Exactly(3), Length::Exactly(3));
/// assert_eq!(lorenz63.state, Length::Exactly(3));
/// assert_eq!(RhsDims::default(), RhsDims::ANY);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RhsDims {
    /// The length of the state `u` (and so of `du`).
    pub state: Length,
    /// The length of the parameters `p`.
    pub parameters: Length,
}

impl RhsDims {
    /// No requirement on either length: what a right-hand side that does not say gets.
    pub const ANY: RhsDims = RhsDims::new(Length::Any, Length::Any);

    /// The lengths `state` of `u` and `parameters` of `p`.
    ///
    /// See the [type's example](RhsDims).
    pub const fn new(state: Length, parameters: Length) -> Self {
        Self { state, parameters }
    }
}
