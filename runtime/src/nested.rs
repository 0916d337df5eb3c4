//! Derivatives of derivatives: Hessian-vector products, dense Hessians, Jacobians and mixed
//! second derivatives, by forward mode over the generated adjoints.
//!
//! Generated companions are generic over the scalar type, so an adjoint evaluated at
//! [`Dual`] numbers differentiates the gradient along the duals' directions: that is
//! forward over reverse, the way second derivatives through an ODE solver stay cheap and
//! understandable. Each function here takes a small trait that says how to call the user's
//! companion at any scalar type; implementing it is one line:
//!
//! ```
//! use tapeless_runtime::nested::{hvp, Gradient};
//! use tapeless_runtime::{Real, UserError};
//!
//! // What `#[differentiable] fn f(x: &[f64]) -> f64 { x[0] * x[0] * x[1] }` generates as `f_vjp`.
//! fn f_vjp<S: Real>(x: &[S], x_bar: &mut [S], result_bar: S) -> S {
//!     x_bar[0] += result_bar * S::from_f64(2.0) * x[0] * x[1];
//!     x_bar[1] += result_bar * x[0] * x[0];
//!     x[0] * x[0] * x[1]
//! }
//!
//! struct F;
//! impl Gradient for F {
//!     fn gradient<S: Real>(&self, x: &[S], grad: &mut [S]) -> Result<S, UserError> {
//!         Ok(f_vjp(x, grad, S::one()))
//!     }
//! }
//!
//! let r = hvp(&F, &[3.0, 2.0], &[1.0, 0.0]).unwrap();
//! assert_eq!(r.value, 18.0);
//! assert_eq!(r.gradient, [12.0, 9.0]);
//! assert_eq!(r.hessian_vector, [4.0, 6.0]); // the first column of [[2 x1, 2 x0], [2 x0, 0]]
//! ```

use crate::{Dual, InputError, Real, UserError, UserFailure};
use thiserror::Error;

/// Lanes of the dual numbers used for dense Hessians and forward Jacobians.
const LANES: usize = 8;

/// Input that does not fit the function, or the user's function failing.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NestedError {
    /// A vector of the wrong length, or holding an infinity or a NaN.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A user's function returned an error: it is `source`, unchanged
    /// ([`UserFailure::downcast_ref`] gives back its type).
    ///
    /// ```
    /// use tapeless_runtime::nested::{hessian, Gradient, NestedError};
    /// use tapeless_runtime::{Real, UserError};
    /// use std::num::ParseFloatError;
    ///
    /// /// A function whose data comes from text that does not parse.
    /// struct FromText(&'static str);
    /// impl Gradient for FromText {
    ///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
    ///         let a: f64 = self.0.parse()?;
    ///         g[0] += S::from_f64(a);
    ///         Ok(S::from_f64(a) * x[0])
    ///     }
    /// }
    /// match hessian(&FromText("two"), &[1.0]) {
    ///     Err(NestedError::User { function, source }) => {
    ///         assert_eq!(function, "the function");
    ///         assert!(source.downcast_ref::<ParseFloatError>().is_some());
    ///     }
    ///     other => panic!("expected the user's error, got {other:?}"),
    /// }
    /// ```
    #[error("{function} failed: {source}")]
    User {
        /// Which of the user's functions: `"the function"` (of [`hvp`], [`hessian`], ...),
        /// `"the inner cost"`, `"the outer loss"` or `"the update"` (of
        /// [`hyper`](crate::hyper)).
        function: &'static str,
        /// The error it returned.
        source: UserFailure,
    },
}

impl NestedError {
    /// Wraps the error a user's function returned.
    pub(crate) fn user(function: &'static str) -> impl FnOnce(UserError) -> NestedError {
        move |error| NestedError::User {
            function,
            source: error.into(),
        }
    }
}

/// `v` has `expected` entries, all finite.
pub(crate) fn check(what: &'static str, v: &[f64], expected: usize) -> Result<(), NestedError> {
    Ok(InputError::check_vector(what, v, expected)?)
}

/// Every entry of `v` is finite.
pub(crate) fn check_finite(what: &'static str, v: &[f64]) -> Result<(), NestedError> {
    Ok(InputError::check_finite(what, v)?)
}

/// `x` at dual numbers whose lanes are the unit directions `first..first + LANES` (the lanes past
/// the end of `x` stay zero): one block of columns of a Hessian or a Jacobian.
fn unit_block(x: &[f64], first: usize) -> Vec<Dual<f64, LANES>> {
    (0..x.len())
        .map(|i| {
            Dual::new(
                x[i],
                core::array::from_fn(|k| if i == first + k { 1.0 } else { 0.0 }),
            )
        })
        .collect()
}

/// A scalar function `f(x)` whose gradient can be evaluated at any scalar type: implement it by
/// calling the generated `_vjp` companion with the seed `S::one()`, and return `Ok` of its
/// value.
///
/// A function that can fail (it integrates an ODE that may blow up, say) returns its error,
/// which the caller of [`hvp`], [`hyper`](crate::hyper) or `minimize` receives unchanged as
/// [`NestedError::User`]: see [`UserError`].
pub trait Gradient {
    /// Adds `grad f(x)` into `grad` (which the caller sets to zero) and returns `f(x)`, or the
    /// reason it cannot be evaluated at `x`.
    fn gradient<S: Real>(&self, x: &[S], grad: &mut [S]) -> Result<S, UserError>;
}

/// A scalar function `f(x, theta)` of a state and parameters, whose gradients with respect to
/// both can be evaluated at any scalar type (the `_vjp` companion with both adjoints). Fallible
/// as [`Gradient`] is.
pub trait MixedGradient {
    /// Adds `d f / d x` into `x_bar` and `d f / d theta` into `theta_bar`; returns `f(x, theta)`,
    /// or the reason it cannot be evaluated there.
    fn gradient<S: Real>(
        &self,
        x: &[S],
        theta: &[S],
        x_bar: &mut [S],
        theta_bar: &mut [S],
    ) -> Result<S, UserError>;
}

impl<F: Gradient + ?Sized> Gradient for &F {
    fn gradient<S: Real>(&self, x: &[S], grad: &mut [S]) -> Result<S, UserError> {
        (**self).gradient(x, grad)
    }
}

impl<F: MixedGradient + ?Sized> MixedGradient for &F {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        theta: &[S],
        x_bar: &mut [S],
        theta_bar: &mut [S],
    ) -> Result<S, UserError> {
        (**self).gradient(x, theta, x_bar, theta_bar)
    }
}

/// A function of the state alone seen as a [`MixedGradient`] with no parameters, for the
/// drivers that take a parameterised cost (`tapeless::hyper::Unrolled`).
///
/// ```
/// use tapeless_runtime::nested::{Gradient, MixedGradient, NoParameters};
/// use tapeless_runtime::{Real, UserError};
/// struct Square;
/// impl Gradient for Square {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += x[0] + x[0];
///         Ok(x[0] * x[0])
///     }
/// }
/// let mut g = [0.0];
/// assert_eq!(NoParameters(Square).gradient(&[3.0], &[], &mut g, &mut [])?, 9.0);
/// assert_eq!(g, [6.0]);
/// # Ok::<(), tapeless_runtime::UserError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NoParameters<F>(pub F);

impl<F: Gradient> MixedGradient for NoParameters<F> {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        _theta: &[S],
        x_bar: &mut [S],
        _theta_bar: &mut [S],
    ) -> Result<S, UserError> {
        self.0.gradient(x, x_bar)
    }
}

/// A vector function `y = f(x)` with `outputs()` components, evaluated (`_generic` companion)
/// and differentiated in reverse (`_vjp` companion) at any scalar type.
pub trait VectorFunction {
    /// The number of outputs.
    fn outputs(&self) -> usize;
    /// Writes `f(x)` into `y`.
    fn eval<S: Real>(&self, x: &[S], y: &mut [S]);
    /// Adds `J(x)^T y_bar` into `x_bar`.
    fn vjp<S: Real>(&self, x: &[S], y_bar: &[S], x_bar: &mut [S]);
}

/// The value, gradient and one Hessian-vector product of a scalar function.
#[derive(Debug, Clone, PartialEq)]
pub struct HessianVector {
    /// `f(x)`.
    pub value: f64,
    /// `grad f(x)`.
    pub gradient: Vec<f64>,
    /// `H(x) v`.
    pub hessian_vector: Vec<f64>,
}

/// `H(x) v` by forward over reverse, with the value and the gradient that come with it.
///
/// Costs about one gradient evaluated at dual numbers (two real numbers per value). See the
/// module example.
///
/// # Errors
///
/// A `v` of the wrong length, a non-finite `x` or `v`, or the function's own error
/// ([`NestedError::User`]). The same holds for the other functions of this module.
pub fn hvp<F: Gradient + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
) -> Result<HessianVector, NestedError> {
    check("x", x, x.len())?;
    check("v", v, x.len())?;
    let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut g = vec![Dual::constant(0.0); x.len()];
    let value = f
        .gradient(&xd, &mut g)
        .map_err(NestedError::user("the function"))?;
    Ok(HessianVector {
        value: value.value,
        gradient: g.iter().map(|d| d.value).collect(),
        hessian_vector: g.iter().map(|d| d.tangents[0]).collect(),
    })
}

/// `H(x) v_k` for `N` directions at once: one gradient evaluated at dual numbers with `N`
/// lanes, cheaper than `N` separate products.
///
/// ```
/// use tapeless_runtime::nested::{hvp_lanes, Gradient};
/// use tapeless_runtime::{Real, UserError};
/// struct Quadratic; // f = x0^2 + 3 x0 x1
/// impl Gradient for Quadratic {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         let (two, three) = (S::from_f64(2.0), S::from_f64(3.0));
///         g[0] += two * x[0] + three * x[1];
///         g[1] += three * x[0];
///         Ok(x[0] * x[0] + three * x[0] * x[1])
///     }
/// }
/// let [h0, h1] = hvp_lanes(&Quadratic, &[1.0, 1.0], [&[1.0, 0.0][..], &[0.0, 1.0][..]]).unwrap();
/// assert_eq!((h0, h1), (vec![2.0, 3.0], vec![3.0, 0.0]));
/// ```
pub fn hvp_lanes<F: Gradient + ?Sized, const N: usize>(
    f: &F,
    x: &[f64],
    directions: [&[f64]; N],
) -> Result<[Vec<f64>; N], NestedError> {
    check("x", x, x.len())?;
    for d in &directions {
        check("direction", d, x.len())?;
    }
    let xd: Vec<Dual<f64, N>> = (0..x.len())
        .map(|i| Dual::new(x[i], core::array::from_fn(|k| directions[k][i])))
        .collect();
    let mut g = vec![Dual::constant(0.0); x.len()];
    f.gradient(&xd, &mut g)
        .map_err(NestedError::user("the function"))?;
    Ok(core::array::from_fn(|k| {
        g.iter().map(|d| d.tangents[k]).collect()
    }))
}

/// The dense Hessian of a small function, `H[i][j] = d^2 f / dx_i dx_j`, by forward over reverse
/// in blocks of eight columns.
///
/// ```
/// use tapeless_runtime::nested::{hessian, Gradient};
/// use tapeless_runtime::{Real, UserError};
/// struct Cubic; // f = x0^3 + x0 x1
/// impl Gradient for Cubic {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += S::from_f64(3.0) * x[0] * x[0] + x[1];
///         g[1] += x[0];
///         Ok(x[0] * x[0] * x[0] + x[0] * x[1])
///     }
/// }
/// assert_eq!(hessian(&Cubic, &[2.0, 5.0]).unwrap(), vec![vec![12.0, 1.0], vec![1.0, 0.0]]);
/// ```
pub fn hessian<F: Gradient + ?Sized>(f: &F, x: &[f64]) -> Result<Vec<Vec<f64>>, NestedError> {
    check("x", x, x.len())?;
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for first in (0..n).step_by(LANES) {
        let xd = unit_block(x, first);
        let mut g = vec![Dual::constant(0.0); n];
        f.gradient(&xd, &mut g)
            .map_err(NestedError::user("the function"))?;
        for (i, gi) in g.iter().enumerate() {
            for k in 0..LANES.min(n - first) {
                h[i][first + k] = gi.tangents[k];
            }
        }
    }
    Ok(h)
}

/// The second derivatives of `f(x, theta)` along a direction `v` of the state:
/// `(d^2 f / dx^2) v` and `(d^2 f / dtheta dx) v`, the mixed term that hypergradients of
/// learned solvers need. One gradient at dual numbers.
///
/// ```
/// use tapeless_runtime::nested::{mixed_hvp, MixedGradient};
/// use tapeless_runtime::{Real, UserError};
/// struct F; // f = theta0 * x0^2
/// impl MixedGradient for F {
///     fn gradient<S: Real>(&self, x: &[S], t: &[S], xb: &mut [S], tb: &mut [S]) -> Result<S, UserError> {
///         xb[0] += S::from_f64(2.0) * t[0] * x[0];
///         tb[0] += x[0] * x[0];
///         Ok(t[0] * x[0] * x[0])
///     }
/// }
/// let (hxx_v, htx_v) = mixed_hvp(&F, &[3.0], &[0.5], &[1.0]).unwrap();
/// assert_eq!((hxx_v, htx_v), (vec![1.0], vec![6.0]));
/// ```
pub fn mixed_hvp<F: MixedGradient + ?Sized>(
    f: &F,
    x: &[f64],
    theta: &[f64],
    v: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), NestedError> {
    check("x", x, x.len())?;
    check("theta", theta, theta.len())?;
    check("v", v, x.len())?;
    let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let td: Vec<Dual<f64, 1>> = theta.iter().map(|&t| Dual::constant(t)).collect();
    let mut xb = vec![Dual::constant(0.0); x.len()];
    let mut tb = vec![Dual::constant(0.0); theta.len()];
    f.gradient(&xd, &td, &mut xb, &mut tb)
        .map_err(NestedError::user("the function"))?;
    Ok((
        xb.iter().map(|d| d.tangents[0]).collect(),
        tb.iter().map(|d| d.tangents[0]).collect(),
    ))
}

/// The Jacobian `J[i][j] = d y_i / d x_j` of a vector function, by whichever mode is cheaper for
/// its shape: forward lanes (eight columns per evaluation at dual numbers) when it has no more
/// inputs than outputs, adjoint rows (one `_vjp` per output) otherwise.
///
/// ```
/// use tapeless_runtime::nested::{jacobian, VectorFunction};
/// use tapeless_runtime::Real;
/// struct Polar; // (r cos t, r sin t)
/// impl VectorFunction for Polar {
///     fn outputs(&self) -> usize { 2 }
///     fn eval<S: Real>(&self, x: &[S], y: &mut [S]) {
///         y[0] = x[0] * x[1].cos();
///         y[1] = x[0] * x[1].sin();
///     }
///     fn vjp<S: Real>(&self, x: &[S], yb: &[S], xb: &mut [S]) {
///         xb[0] += yb[0] * x[1].cos() + yb[1] * x[1].sin();
///         xb[1] += x[0] * (yb[1] * x[1].cos() - yb[0] * x[1].sin());
///     }
/// }
/// let j = jacobian(&Polar, &[2.0, 0.0]).unwrap();
/// assert_eq!(j, vec![vec![1.0, 0.0], vec![0.0, 2.0]]);
/// ```
pub fn jacobian<F: VectorFunction + ?Sized>(
    f: &F,
    x: &[f64],
) -> Result<Vec<Vec<f64>>, NestedError> {
    if x.len() <= f.outputs() {
        jacobian_forward(f, x)
    } else {
        jacobian_reverse(f, x)
    }
}

/// The Jacobian by forward lanes, whatever the shape.
pub fn jacobian_forward<F: VectorFunction + ?Sized>(
    f: &F,
    x: &[f64],
) -> Result<Vec<Vec<f64>>, NestedError> {
    check("x", x, x.len())?;
    let (n, m) = (x.len(), f.outputs());
    let mut j = vec![vec![0.0; n]; m];
    for first in (0..n).step_by(LANES) {
        let xd = unit_block(x, first);
        let mut y = vec![Dual::constant(0.0); m];
        f.eval(&xd, &mut y);
        for (i, yi) in y.iter().enumerate() {
            for k in 0..LANES.min(n - first) {
                j[i][first + k] = yi.tangents[k];
            }
        }
    }
    Ok(j)
}

/// The Jacobian by adjoint rows, whatever the shape.
pub fn jacobian_reverse<F: VectorFunction + ?Sized>(
    f: &F,
    x: &[f64],
) -> Result<Vec<Vec<f64>>, NestedError> {
    check("x", x, x.len())?;
    let m = f.outputs();
    let mut y_bar = vec![0.0; m];
    let mut j = Vec::with_capacity(m);
    for i in 0..m {
        y_bar[i] = 1.0;
        let mut row = vec![0.0; x.len()];
        f.vjp(x, &y_bar, &mut row);
        y_bar[i] = 0.0;
        j.push(row);
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quadratic {
        a: Vec<Vec<f64>>,
    }

    impl Gradient for Quadratic {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
            // f = 1/2 x^T A x with symmetric A.
            let mut f = S::zero();
            for i in 0..x.len() {
                for j in 0..x.len() {
                    let a = S::from_f64(self.a[i][j]);
                    f += S::from_f64(0.5) * a * x[i] * x[j];
                    g[i] += a * x[j];
                }
            }
            Ok(f)
        }
    }

    fn quadratic(n: usize) -> Quadratic {
        let a = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| 1.0 / (1.0 + (i + j) as f64) + if i == j { 2.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        Quadratic { a }
    }

    #[test]
    fn hessian_of_a_quadratic_form_is_its_matrix_across_lane_blocks() {
        // 11 variables: one full block of eight lanes and a partial one.
        let q = quadratic(11);
        let x: Vec<f64> = (0..11).map(|i| (i as f64).sin()).collect();
        assert_eq!(hessian(&q, &x).unwrap(), q.a);
        let v: Vec<f64> = (0..11).map(|i| (i as f64).cos()).collect();
        let r = hvp(&q, &x, &v).unwrap();
        for i in 0..11 {
            let expected: f64 = (0..11).map(|j| q.a[i][j] * v[j]).sum();
            assert!((r.hessian_vector[i] - expected).abs() < 1e-14);
        }
    }

    #[test]
    fn lanes_agree_with_single_products() {
        let q = quadratic(5);
        let x = [0.1, 0.2, 0.3, 0.4, 0.5];
        let (u, w) = ([1.0, 0.0, -1.0, 2.0, 0.5], [0.0, 1.0, 1.0, 0.0, -3.0]);
        let [hu, hw] = hvp_lanes(&q, &x, [&u[..], &w[..]]).unwrap();
        assert_eq!(hu, hvp(&q, &x, &u).unwrap().hessian_vector);
        assert_eq!(hw, hvp(&q, &x, &w).unwrap().hessian_vector);
    }

    #[test]
    fn bad_input_is_named() {
        let q = quadratic(3);
        assert_eq!(
            hvp(&q, &[1.0, 2.0, 3.0], &[1.0]).unwrap_err(),
            NestedError::Input(InputError::WrongLength {
                what: "v",
                expected: 3,
                found: 1
            })
        );
        let err = hessian(&q, &[1.0, f64::NAN, 3.0]).unwrap_err();
        assert_eq!(err.to_string(), "x[1] is not finite (NaN)");
    }
}
