//! The right-hand side of an ODE `du/dt = f(u, p, t)`, in the in-place style of
//! DifferentialEquations.jl, with its tangent and adjoint at any scalar type.

use crate::{InputError, Real};

/// A right-hand side `f(du, u, p, t)`, evaluated in place at any scalar type: all that
/// [`solve`](crate::ode::solve) and [`loss_value`](crate::ode::loss_value) need. Its
/// derivatives are two further capabilities, asked only by the passes that use them:
/// [`RhsJvp`] (the Jacobian times a vector) by [`tangent`](crate::ode::tangent), and [`RhsVjp`]
/// (the transposed Jacobian times a vector) by [`gradient`](crate::ode::gradient).
/// `#[differentiable(rhs = Name)]` on a function
/// `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)` generates a unit struct `Name`
/// implementing all three from the function's companions.
///
/// ```
/// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, SolveOptions, Tableau};
/// use tapeless_runtime::Real;
///
/// /// Exponential decay du/dt = -p0 u, written out by hand: enough to integrate it.
/// struct Decay;
/// impl Rhs for Decay {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///     }
/// }
/// let mut du = [0.0];
/// Decay.eval(&mut du, &[2.0], &[0.5], 0.0);
/// assert_eq!(du, [-1.0]);
///
/// let sol = solve(&OdeProblem::new(&Decay, &[1.0], &[0.5], (0.0, 1.0)), &SolveOptions::fixed(Tableau::rk4(), 0.1))?;
/// assert!((sol.u[10][0] - (-0.5_f64).exp()).abs() < 1e-7);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
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
    /// use tapeless_runtime::{InputError, Real};
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
    /// }
    ///
    /// let options = SolveOptions::fixed(Tableau::rk4(), 0.1);
    /// let two_components = OdeProblem::new(&Decay, &[1.0, 2.0], &[0.5], (0.0, 1.0));
    /// assert_eq!(
    ///     solve(&two_components, &options).unwrap_err(),
    ///     OdeError::Input(InputError::WrongLength { what: "u0", expected: 1, found: 2 })
    /// );
    /// ```
    fn dims(&self) -> RhsDims {
        RhsDims::ANY
    }

    /// Writes `f(u, p, t)` into `du`.
    ///
    /// See the [trait's example](Rhs).
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S);
}

/// The tangent of a right-hand side: the Jacobian times a vector, which forward sensitivities
/// ([`tangent`](crate::ode::tangent), [`solve_tangent`](crate::ode::solve_tangent)) propagate.
///
/// Each argument is a value with its tangent, as a dual number is: `(du, du_dot)` receive
/// `f(u, p, t)` and `(df/du) u_dot + (df/dp) p_dot`, at the point `(u, p, t)` along
/// `(u_dot, p_dot)` (time is not differentiated).
///
/// ```
/// use tapeless_runtime::ode::{Rhs, RhsJvp};
/// use tapeless_runtime::Real;
///
/// /// du/dt = -p0 u.
/// struct Decay;
/// impl Rhs for Decay {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///     }
/// }
/// impl RhsJvp for Decay {
///     fn jvp<S: Real>(&self, (du, du_dot): (&mut [S], &mut [S]), (u, u_dot): (&[S], &[S]), (p, p_dot): (&[S], &[S]), _t: S) {
///         du[0] = -p[0] * u[0];
///         du_dot[0] = -p_dot[0] * u[0] - p[0] * u_dot[0];
///     }
/// }
/// let (mut du, mut du_dot) = ([0.0], [0.0]);
/// Decay.jvp((&mut du, &mut du_dot), (&[2.0], &[1.0]), (&[0.5], &[0.0]), 0.0);
/// assert_eq!((du, du_dot), ([-1.0], [-0.5]));
/// ```
pub trait RhsJvp: Rhs {
    /// Writes `f(u, p, t)` into `du` and its tangent `(df/du) u_dot + (df/dp) p_dot` into
    /// `du_dot`.
    ///
    /// See the [trait's example](RhsJvp).
    fn jvp<S: Real>(&self, du: (&mut [S], &mut [S]), u: (&[S], &[S]), p: (&[S], &[S]), t: S);
}

/// The adjoint of a right-hand side: the transposed Jacobian times a vector, which the
/// discrete adjoint ([`gradient`](crate::ode::gradient)) goes back through the stages with.
///
/// Each argument is a value with its adjoint. `du` is scratch space of the state's length (its
/// content on return is unspecified), and `du_bar` is consumed (it comes out zero, the adjoint
/// of `du`'s initial value, which `f` overwrites without reading): the calling convention of
/// the generated companions, so that an integrator passes its buffers and nothing is allocated
/// per call.
///
/// ```
/// use tapeless_runtime::ode::{Rhs, RhsVjp};
/// use tapeless_runtime::Real;
///
/// /// du/dt = -p0 u.
/// struct Decay;
/// impl Rhs for Decay {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///     }
/// }
/// impl RhsVjp for Decay {
///     fn vjp<S: Real>(&self, (du, du_bar): (&mut [S], &mut [S]), (u, u_bar): (&[S], &mut [S]), (p, p_bar): (&[S], &mut [S]), _t: S) {
///         du[0] = -p[0] * u[0];
///         u_bar[0] -= p[0] * du_bar[0];
///         p_bar[0] -= u[0] * du_bar[0];
///         du_bar[0] = S::zero();
///     }
/// }
/// let (mut du, mut du_bar, mut u_bar, mut p_bar) = ([0.0], [1.0], [0.0], [0.0]);
/// Decay.vjp((&mut du, &mut du_bar), (&[2.0], &mut u_bar), (&[0.5], &mut p_bar), 0.0);
/// assert_eq!((u_bar, p_bar, du_bar), ([-0.5], [-2.0], [0.0]));
/// ```
pub trait RhsVjp: Rhs {
    /// Adds `(df/du)^T du_bar` into `u_bar` and `(df/dp)^T du_bar` into `p_bar`, and leaves
    /// `du_bar` zero.
    ///
    /// See the [trait's example](RhsVjp).
    fn vjp<S: Real>(
        &self,
        du: (&mut [S], &mut [S]),
        u: (&[S], &mut [S]),
        p: (&[S], &mut [S]),
        t: S,
    );

    /// [`vjp`](RhsVjp::vjp) when the parameters' adjoint is not wanted: adds
    /// `(df/du)^T du_bar` into `u_bar` and leaves `du_bar` zero as `vjp` does, with `p_bar`
    /// scratch of `p`'s length (its content on return is unspecified). Gradients with respect
    /// to the initial state only ([`Wrt::InitialState`](crate::ode::Wrt)) call this instead
    /// of `vjp`. By default it is `vjp`, which accumulates into the scratch; override it to skip
    /// the work. `#[differentiable(rhs = Name)]` does, when the parameters' length is a
    /// constant: the parameters' adjoint goes into a local array, which the optimiser drops
    /// with the additions into it (on problem L a chain of dependent additions that ran
    /// through every stage of every step).
    ///
    /// ```
    /// use tapeless_runtime::ode::{Rhs, RhsVjp};
    /// use tapeless_runtime::Real;
    ///
    /// /// du/dt = -p0 u.
    /// struct Decay;
    /// impl Rhs for Decay {
    ///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
    ///         du[0] = -p[0] * u[0];
    ///     }
    /// }
    /// impl RhsVjp for Decay {
    ///     fn vjp<S: Real>(&self, (du, du_bar): (&mut [S], &mut [S]), (u, u_bar): (&[S], &mut [S]), (p, p_bar): (&[S], &mut [S]), _t: S) {
    ///         du[0] = -p[0] * u[0];
    ///         u_bar[0] -= p[0] * du_bar[0];
    ///         p_bar[0] -= u[0] * du_bar[0];
    ///         du_bar[0] = S::zero();
    ///     }
    ///     fn vjp_state<S: Real>(&self, (_du, du_bar): (&mut [S], &mut [S]), (_u, u_bar): (&[S], &mut [S]), (p, _scratch): (&[S], &mut [S]), _t: S) {
    ///         u_bar[0] -= p[0] * du_bar[0];
    ///         du_bar[0] = S::zero();
    ///     }
    /// }
    /// let (mut du, mut du_bar, mut u_bar, mut scratch) = ([0.0], [1.0], [0.0], [0.0]);
    /// Decay.vjp_state((&mut du, &mut du_bar), (&[2.0], &mut u_bar), (&[0.5], &mut scratch), 0.0);
    /// assert_eq!((u_bar, du_bar), ([-0.5], [0.0]));
    /// ```
    #[inline(always)]
    fn vjp_state<S: Real>(
        &self,
        du: (&mut [S], &mut [S]),
        u: (&[S], &mut [S]),
        p: (&[S], &mut [S]),
        t: S,
    ) {
        self.vjp(du, u, p, t);
    }
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
    pub(crate) fn check(self, what: &'static str, found: usize) -> Result<(), InputError> {
        match self {
            Length::Exactly(expected) if found != expected => Err(InputError::WrongLength {
                what,
                expected,
                found,
            }),
            Length::AtLeast(minimum) if found < minimum => Err(InputError::TooShort {
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
