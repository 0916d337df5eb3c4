//! Every [argmin](https://argmin-rs.org) solver on a tapeless function: [`Problem`] implements
//! argmin's problem traits (cost, gradient, Hessian) for any [`Gradient`], the Hessian as a
//! matrix-free operator whose products are forward-over-reverse Hessian-vector products. So
//! L-BFGS runs on generated adjoints, and Newton-CG is Hessian-free: the incremental 4D-Var
//! structure, each inner conjugate-gradient iteration one Hessian-vector product.
//!
//! argmin 0.11's Newton-CG stops its inner conjugate gradients when the *squared* residual is
//! below `min(0.5, sqrt|g|) |g|`, a loose test near the optimum, so it converges linearly there;
//! for tight tolerances prefer L-BFGS, or a truncated Newton loop on
//! [`HessianOperator::try_dot`] as the Lorenz-96 example writes one.
//!
//! ```
//! use argmin::core::{Executor, State};
//! use argmin::solver::linesearch::MoreThuenteLineSearch;
//! use argmin::solver::newton::NewtonCG;
//! use argmin::solver::quasinewton::LBFGS;
//! use tapeless_runtime::minimize::Problem;
//! use tapeless_runtime::nested::Gradient;
//! use tapeless_runtime::{Real, UserError};
//!
//! /// Rosenbrock: what `#[differentiable]` generates as `_vjp`, written out by hand here.
//! struct Rosenbrock;
//! impl Gradient for Rosenbrock {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         let (a, b) = (S::one() - x[0], x[1] - x[0] * x[0]);
//!         let c = S::from_f64(100.0);
//!         g[0] += -(a + a) - S::from_f64(400.0) * b * x[0];
//!         g[1] += S::from_f64(200.0) * b;
//!         Ok(a * a + c * b * b)
//!     }
//! }
//! let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 7);
//! let result = Executor::new(Problem::new(Rosenbrock), lbfgs)
//!     .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
//!     .run()?;
//! let x = result.state().get_best_param().unwrap();
//! assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
//!
//!
//! /// A strictly convex function, minimised by Hessian-free Newton-CG in a few steps.
//! struct Convex;
//! impl Gradient for Convex {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         let mut f = S::zero();
//!         for i in 0..x.len() {
//!             let d = x[i] - S::from_f64(i as f64);
//!             f += d.cosh() + x[i] * x[i];
//!             g[i] += d.sinh() + x[i] + x[i];
//!         }
//!         Ok(f)
//!     }
//! }
//! let newton = NewtonCG::new(MoreThuenteLineSearch::new());
//! let result = Executor::new(Problem::new(Convex), newton)
//!     .configure(|state| state.param(vec![3.0; 4]).max_iters(20))
//!     .run()?;
//! let x = result.state().get_best_param().unwrap();
//! for i in 0..4 {
//!     let d = x[i] - i as f64;
//!     assert!((d.sinh() + 2.0 * x[i]).abs() < 1e-6); // the gradient vanishes
//! }
//! # Ok::<(), argmin::core::Error>(())
//! ```

/// The argmin version these impls are for: solvers and executors come from here
/// (`tapeless::minimize::argmin::solver::quasinewton::LBFGS`), so versions cannot mismatch.
pub use argmin;
/// argmin's math traits, for users writing their own operators.
pub use argmin_math;

use crate::nested::{check_finite as finite, hvp, Gradient, NestedError};
use argmin::core::{CostFunction, Error, Gradient as ArgminGradient, Hessian};
use argmin_math::ArgminDot;
use std::sync::{Arc, Mutex};

/// A tapeless function as an argmin problem over `Vec<f64>`. It owns the function (shared with
/// the Hessian operators it hands out); pass a reference (`Problem::new(&cost)`) to keep yours.
///
/// One adjoint evaluation gives the value and the gradient together, and line searches ask for
/// the cost and then the gradient at the same point: the problem keeps the last point's pair, so
/// that costs one evaluation, not two.
///
/// An error of the function ([`Gradient`] is fallible) is argmin's error: the solver stops and
/// `Executor::run` returns it as a [`NestedError::User`] holding the function's error unchanged
/// (`err.downcast_ref::<NestedError>()`). A Hessian product cannot fail in argmin's interface:
/// a failed one gives NaN to the solver, and its error is returned by the next cost, gradient
/// or Hessian the solver asks for, so it stops there with that error rather than a NaN.
#[derive(Debug)]
pub struct Problem<F> {
    function: Arc<F>,
    last: Mutex<Option<Evaluation>>,
    /// The error of a Hessian product, until the solver's next evaluation returns it.
    failure: Arc<Mutex<Option<NestedError>>>,
}

/// Takes the error a Hessian product left, if any.
fn take_failure(failure: &Mutex<Option<NestedError>>) -> Result<(), NestedError> {
    match failure.lock().unwrap_or_else(|e| e.into_inner()).take() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// A point with its value and gradient.
#[derive(Debug, Clone)]
struct Evaluation {
    x: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
}

impl<F> Clone for Problem<F> {
    fn clone(&self) -> Self {
        Self {
            function: Arc::clone(&self.function),
            last: Mutex::new(None),
            failure: Arc::new(Mutex::new(None)),
        }
    }
}

impl<F: Gradient> Problem<F> {
    /// Wraps `function`.
    pub fn new(function: F) -> Self {
        Self {
            function: Arc::new(function),
            last: Mutex::new(None),
            failure: Arc::new(Mutex::new(None)),
        }
    }

    /// The wrapped function.
    pub fn function(&self) -> &F {
        &self.function
    }

    fn value_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), Error> {
        take_failure(&self.failure)?;
        finite("x", x)?;
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = last.as_ref().filter(|e| e.x == x) {
            return Ok((e.value, e.gradient.clone()));
        }
        let mut gradient = vec![0.0; x.len()];
        let value = self
            .function
            .gradient(x, &mut gradient)
            .map_err(NestedError::user("the function"))?;
        *last = Some(Evaluation {
            x: x.to_vec(),
            value,
            gradient: gradient.clone(),
        });
        Ok((value, gradient))
    }
}

impl<F: Gradient> CostFunction for Problem<F> {
    type Param = Vec<f64>;
    type Output = f64;

    /// The value, from one adjoint evaluation (the `Gradient` trait computes both together).
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.value_and_gradient(x)?.0)
    }
}

impl<F: Gradient> ArgminGradient for Problem<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.value_and_gradient(x)?.1)
    }
}

impl<F: Gradient> Hessian for Problem<F> {
    type Param = Vec<f64>;
    type Hessian = HessianOperator<F>;

    /// The Hessian at `x` as an operator: nothing is computed until a product is asked for.
    fn hessian(&self, x: &Vec<f64>) -> Result<HessianOperator<F>, Error> {
        take_failure(&self.failure)?;
        finite("x", x)?;
        Ok(HessianOperator {
            function: Arc::clone(&self.function),
            x: x.clone(),
            failure: Arc::clone(&self.failure),
        })
    }
}

/// The Hessian of a function at a point, never formed: `H.dot(&v)` is `H(x) v` by forward over
/// reverse (about the cost of one gradient at dual numbers).
///
/// ```
/// use argmin::core::Hessian;
/// use argmin_math::ArgminDot;
/// use tapeless_runtime::minimize::Problem;
/// use tapeless_runtime::nested::Gradient;
/// use tapeless_runtime::{Real, UserError};
/// struct Cubic; // f = x0^3 x1
/// impl Gradient for Cubic {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += S::from_f64(3.0) * x[0] * x[0] * x[1];
///         g[1] += x[0] * x[0] * x[0];
///         Ok(x[0] * x[0] * x[0] * x[1])
///     }
/// }
/// let h = Problem::new(Cubic).hessian(&vec![1.0, 2.0]).unwrap();
/// // H = [[6 x0 x1, 3 x0^2], [3 x0^2, 0]] = [[12, 3], [3, 0]]
/// assert_eq!(h.dot(&vec![1.0, 0.0]), vec![12.0, 3.0]);
/// ```
#[derive(Debug)]
pub struct HessianOperator<F> {
    function: Arc<F>,
    x: Vec<f64>,
    /// Where a failed product leaves its error for the problem.
    failure: Arc<Mutex<Option<NestedError>>>,
}

impl<F> Clone for HessianOperator<F> {
    fn clone(&self) -> Self {
        Self {
            function: Arc::clone(&self.function),
            x: self.x.clone(),
            failure: Arc::clone(&self.failure),
        }
    }
}

impl<F: Gradient> HessianOperator<F> {
    /// `H(x) v`, or the reason it cannot be formed.
    ///
    /// # Errors
    ///
    /// A `v` of the wrong length or with a non-finite entry, or the function's error
    /// ([`NestedError::User`]).
    pub fn try_dot(&self, v: &[f64]) -> Result<Vec<f64>, NestedError> {
        Ok(hvp(&*self.function, &self.x, v)?.hessian_vector)
    }
}

impl<F: Gradient> ArgminDot<Vec<f64>, Vec<f64>> for HessianOperator<F> {
    /// `H(x) v`. argmin's `dot` cannot fail, so when the product cannot be formed (a `v` that
    /// is not finite or has the wrong length, or a function that fails) the error is kept, the
    /// problem's next evaluation returns it (which stops the solver with it), and the product
    /// is a vector of zeros: zero curvature ends argmin's conjugate-gradient loops at once, where
    /// NaN would keep Newton-CG's inner loop running forever. Use [`HessianOperator::try_dot`]
    /// for the error itself.
    fn dot(&self, v: &Vec<f64>) -> Vec<f64> {
        self.try_dot(v).unwrap_or_else(|error| {
            let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            failure.get_or_insert(error);
            vec![0.0; self.x.len()]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nested::hessian;
    use crate::{InputError, Real, UserError};

    /// A coupled non-quadratic function with a positive definite Hessian near its minimum.
    struct Coupled;
    impl Gradient for Coupled {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
            let n = x.len();
            let mut f = S::zero();
            for i in 0..n {
                let d = x[i] - S::from_f64(0.1 * i as f64);
                let next = x[(i + 1) % n];
                f += d * d + (x[i] * next).cos() / S::from_f64(4.0) + d.powi(4);
                g[i] += d + d + S::from_f64(4.0) * d.powi(3)
                    - (x[i] * next).sin() * next / S::from_f64(4.0);
                g[(i + 1) % n] -= (x[i] * next).sin() * x[i] / S::from_f64(4.0);
            }
            Ok(f)
        }
    }

    #[test]
    fn the_operator_is_the_dense_hessian() {
        let x = vec![0.3, -0.2, 0.9, 0.4];
        let h = hessian(&Coupled, &x).unwrap();
        let problem = Problem::new(&Coupled);
        let op = problem.hessian(&x).unwrap();
        for c in 0..4 {
            let e: Vec<f64> = (0..4).map(|i| f64::from(u8::from(i == c))).collect();
            let col = op.dot(&e);
            assert!(
                col.iter().zip(&h).all(|(v, row)| *v == row[c]),
                "column {c}"
            );
        }
        assert_eq!(op.dot(&vec![1.0, f64::NAN, 0.0, 0.0]), vec![0.0; 4]);
        // The failed product's error is the problem's next evaluation's, once.
        let err = problem.cost(&x).unwrap_err();
        assert_eq!(err.to_string(), "v[1] is not finite (NaN)");
        assert!(problem.cost(&x).is_ok());
        assert!(matches!(
            op.try_dot(&[1.0]),
            Err(NestedError::Input(InputError::WrongLength {
                what: "v",
                ..
            }))
        ));
    }

    /// Counts its evaluations.
    struct Counted(std::sync::atomic::AtomicUsize);
    impl Gradient for Counted {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            g[0] += x[0] + x[0];
            Ok(x[0] * x[0])
        }
    }

    #[test]
    fn cost_then_gradient_at_one_point_is_one_evaluation() {
        let p = Problem::new(Counted(0.into()));
        let count = || p.function().0.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(p.cost(&vec![3.0]).unwrap(), 9.0);
        assert_eq!(ArgminGradient::gradient(&p, &vec![3.0]).unwrap(), vec![6.0]);
        assert_eq!(count(), 1);
        assert_eq!(ArgminGradient::gradient(&p, &vec![2.0]).unwrap(), vec![4.0]);
        assert_eq!(p.cost(&vec![3.0]).unwrap(), 9.0);
        assert_eq!(count(), 3);
        // A clone starts with no remembered point.
        assert_eq!(p.clone().cost(&vec![2.0]).unwrap(), 4.0);
        assert_eq!(count(), 4);
    }

    #[test]
    fn cost_and_gradient_are_the_functions_and_bad_points_are_named() {
        let p = Problem::new(&Coupled);
        let x = vec![0.3, -0.2, 0.9, 0.4];
        let mut g = vec![0.0; 4];
        let f = Coupled.gradient(&x, &mut g).unwrap();
        assert_eq!(p.cost(&x).unwrap(), f);
        assert_eq!(ArgminGradient::gradient(&p, &x).unwrap(), g);
        let err = p.cost(&vec![0.0, f64::INFINITY, 0.0, 0.0]).unwrap_err();
        assert_eq!(err.to_string(), "x[1] is not finite (inf)");
    }
}
