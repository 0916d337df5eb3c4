//! The right-hand side of an ODE `du/dt = f(u, p, t)`, in the in-place style of
//! DifferentialEquations.jl, with its tangent and adjoint at any scalar type.

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
