//! Hypergradients of an outer loss through an inner solver.
//!
//! The inner solver minimises a cost `J(x, phi)` over the state `x` by `K` unrolled steps
//! `x_{k+1} = Phi_theta(x_k, grad_x J(x_k, phi))` of an [`Update`]: plain descent with a learned
//! step size ([`Descent`]), a learned diagonal preconditioner ([`Preconditioned`]), heavy-ball
//! momentum ([`Momentum`]) or a learned update of the user's own (a network of the gradient, as
//! in 4DVarNet). The outer loss is `L(x_K)`. Three ways to its derivatives:
//!
//! 1. [`Unrolled::tangent`], [`Unrolled::forward_gradient`] (and the seed's one-liner
//!    [`forward_eta`]): forward mode over the whole inner solve, every inner gradient an adjoint
//!    evaluated at dual numbers; the cheap way for a few parameters;
//! 2. [`Unrolled::reverse`]: one backward sweep over the `K` inner steps, each the update's
//!    adjoint and one forward-over-reverse product of the cost's Hessian, so the cost does not
//!    grow with the number of parameters (hundreds of thousands of weights); memory `O(K n)`;
//! 3. [`implicit`]: implicit differentiation at the inner optimum `x*` for parameters `phi` of
//!    the cost: conjugate gradients on Hessian-vector products, then the mixed term; no stored
//!    trajectory. It agrees with 1 and 2 when the unrolled solve has converged.
//!
//! ```
//! use tapeless_runtime::hyper::{forward_eta, Descent, Unrolled};
//! use tapeless_runtime::nested::{Gradient, NoParameters};
//! use tapeless_runtime::{Real, UserError};
//!
//! /// J(x) = sum (x_i - 1)^4 / 4 + x_i^2 / 2.
//! struct Inner;
//! impl Gradient for Inner {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         let mut j = S::zero();
//!         for i in 0..x.len() {
//!             let d = x[i] - S::one();
//!             j += d.powi(4) / S::from_f64(4.0) + x[i] * x[i] / S::from_f64(2.0);
//!             g[i] += d.powi(3) + x[i];
//!         }
//!         Ok(j)
//!     }
//! }
//! /// L(x) = |x - 0.4|^2 / 2.
//! struct Outer;
//! impl Gradient for Outer {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
//!         let mut l = S::zero();
//!         for i in 0..x.len() {
//!             let d = x[i] - S::from_f64(0.4);
//!             l += d * d / S::from_f64(2.0);
//!             g[i] += d;
//!         }
//!         Ok(l)
//!     }
//! }
//! let x0 = [0.0, 2.0];
//! let (l, dl) = forward_eta(&Inner, &Outer, &x0, 0.1, 5).unwrap();
//! let cost = NoParameters(Inner);
//! let r = Unrolled::new(&cost, &Descent, 5).reverse(&Outer, &x0, &[], &[0.1]).unwrap();
//! assert_eq!(r.loss, l);
//! assert!((r.theta[0] - dl).abs() < 1e-12 * dl.abs());
//! ```

mod batch;
mod implicit;
mod unrolled;
mod update;

pub use batch::{
    BatchAdjoints, BatchCost, BatchError, BatchHypergradient, BatchInputs, BatchLoss, BatchUpdate,
    BatchWindow, PerWindowCosts, PerWindowLosses, UnrolledBatch,
};
pub use implicit::{implicit, Implicit};
pub use unrolled::{Hypergradient, Unrolled};
pub use update::{Descent, Momentum, Preconditioned, StepAdjoints, StepInputs, Update};

use crate::nested::{Gradient, NestedError, NoParameters};

/// An error of [`mixed_hvp`](crate::nested::mixed_hvp) on the inner cost: the cost's own error is the inner cost's.
pub(crate) fn in_inner_cost(error: NestedError) -> NestedError {
    match error {
        NestedError::User { source, .. } => NestedError::User {
            function: "the inner cost",
            source,
        },
        other => other,
    }
}

/// `(L, dL/deta)` for the seed's inner solver, `steps` of `x <- x - eta grad J(x)` from `x0`, by
/// forward mode over the whole solve: [`Unrolled::tangent`] with [`Descent`].
///
/// # Errors
///
/// Non-finite inputs, an inner solve that diverged, or the error of `inner` or `outer`
/// ([`NestedError::User`]).
pub fn forward_eta<J: Gradient + ?Sized, L: Gradient + ?Sized>(
    inner: &J,
    outer: &L,
    x0: &[f64],
    eta: f64,
    steps: usize,
) -> Result<(f64, f64), NestedError> {
    let cost = NoParameters(inner);
    Unrolled::new(&cost, &Descent, steps).tangent(outer, x0, (&[], &[]), (&[eta], &[1.0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nested::MixedGradient;
    use crate::{InputError, Real, UserError};

    /// A coupled non-quadratic inner cost with two parameters: `J(x, phi) = sum sin(x_i x_{i+1})
    /// + phi_0 / 2 x_i^2 - phi_1 x_i`.
    struct Inner;
    impl MixedGradient for Inner {
        fn gradient<S: Real>(
            &self,
            x: &[S],
            p: &[S],
            g: &mut [S],
            pb: &mut [S],
        ) -> Result<S, UserError> {
            let mut j = S::zero();
            let n = x.len();
            for i in 0..n {
                let next = x[(i + 1) % n];
                j += (x[i] * next).sin() + S::from_f64(0.5) * p[0] * x[i] * x[i] - p[1] * x[i];
                g[i] += (x[i] * next).cos() * next + p[0] * x[i] - p[1];
                g[(i + 1) % n] += (x[i] * next).cos() * x[i];
                pb[0] += S::from_f64(0.5) * x[i] * x[i];
                pb[1] -= x[i];
            }
            Ok(j)
        }
    }

    pub(super) struct Outer;
    impl Gradient for Outer {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
            let mut l = S::zero();
            for i in 0..x.len() {
                let d = x[i] - S::from_f64(0.1 * i as f64);
                l += d * d;
                g[i] += S::from_f64(2.0) * d;
            }
            Ok(l)
        }
    }

    const X0: [f64; 4] = [0.3, -0.8, 1.2, 0.5];
    const PHI: [f64; 2] = [1.5, 0.2];

    fn loss<U: Update>(update: &U, phi: &[f64], theta: &[f64], steps: usize) -> f64 {
        let x = Unrolled::new(&Inner, update, steps)
            .solve(&X0, phi, theta)
            .unwrap();
        Outer.gradient(&x, &mut [0.0; 4]).unwrap()
    }

    /// Methods 1 and 2 against each other (to 1e-12: a dot-product test, since 1 is a tangent
    /// and 2 an adjoint of the same map) and against central differences of the bilevel loss.
    fn methods_agree<U: Update>(update: &U, theta: &[f64], steps: usize) {
        let solver = Unrolled::new(&Inner, update, steps);
        let r = solver.reverse(&Outer, &X0, &PHI, theta).unwrap();
        let f = solver.forward_gradient(&Outer, &X0, &PHI, theta).unwrap();
        assert_eq!(r.loss, f.loss);
        assert_eq!(r.loss, loss(update, &PHI, theta, steps));
        let all = |h: &Hypergradient| [h.phi.clone(), h.theta.clone()].concat();
        let (rev, fwd) = (all(&r), all(&f));
        let scale = rev.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for (a, b) in rev.iter().zip(&fwd) {
            assert!((a - b).abs() <= 1e-12 * scale, "reverse {a} vs forward {b}");
        }
        // One tangent along a mixed direction equals the gradient's dot with it.
        let (pd, td): (Vec<f64>, Vec<f64>) = (
            (0..2).map(|i| (0.4 + i as f64).sin()).collect(),
            (0..theta.len()).map(|i| (1.1 * i as f64).cos()).collect(),
        );
        let (l, dl) = solver
            .tangent(&Outer, &X0, (&PHI, &pd), (theta, &td))
            .unwrap();
        assert_eq!(l, r.loss);
        let dot: f64 = r.phi.iter().zip(&pd).map(|(a, b)| a * b).sum::<f64>()
            + r.theta.iter().zip(&td).map(|(a, b)| a * b).sum::<f64>();
        assert!(
            (dl - dot).abs() <= 1e-12 * dl.abs().max(scale),
            "{dl} vs {dot}"
        );
        let h = 1e-6;
        for (j, &d) in rev.iter().enumerate() {
            let (mut p, mut t) = (
                (PHI.to_vec(), theta.to_vec()),
                (PHI.to_vec(), theta.to_vec()),
            );
            if j < 2 {
                p.0[j] += h;
                t.0[j] -= h;
            } else {
                p.1[j - 2] += h;
                t.1[j - 2] -= h;
            }
            let fd =
                (loss(update, &p.0, &p.1, steps) - loss(update, &t.0, &t.1, steps)) / (2.0 * h);
            assert!(
                (d - fd).abs() < 1e-7 * d.abs().max(1.0),
                "parameter {j}: {d} vs {fd}"
            );
        }
    }

    #[test]
    fn descent_preconditioned_and_momentum_hypergradients_agree_three_ways() {
        methods_agree(&Descent, &[0.2], 6);
        methods_agree(&Preconditioned { eta: 0.2 }, &[1.0, 0.9, 1.1, 1.05], 6);
        methods_agree(&Momentum, &[0.1, 0.7], 8);
    }

    /// The seed's wrapper is method 1 with plain descent; with a unit preconditioner, eta
    /// enters only as a product with theta: `eta dL/deta = sum_i dL/dtheta_i`.
    #[test]
    fn step_size_and_preconditioner_derivatives_are_consistent() {
        struct Fixed;
        impl Gradient for Fixed {
            fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
                let p = [S::from_f64(PHI[0]), S::from_f64(PHI[1])];
                Inner.gradient(x, &p, g, &mut [S::zero(); 2])
            }
        }
        let eta = 0.2;
        let (l, dl) = forward_eta(&Fixed, &Outer, &X0, eta, 6).unwrap();
        let r = Unrolled::new(&Inner, &Descent, 6)
            .reverse(&Outer, &X0, &PHI, &[eta])
            .unwrap();
        assert_eq!(l, r.loss);
        assert!((dl - r.theta[0]).abs() <= 1e-12 * dl.abs());
        let ones = Unrolled::new(&Inner, &Preconditioned { eta }, 6)
            .reverse(&Outer, &X0, &PHI, &[1.0; 4])
            .unwrap();
        assert_eq!(ones.loss, l);
        let via_theta: f64 = ones.theta.iter().sum::<f64>() / eta;
        assert!((via_theta - dl).abs() <= 1e-12 * dl.abs());
    }

    #[test]
    fn bad_input_is_named() {
        let solver = Unrolled::new(&Inner, &Preconditioned { eta: 0.1 }, 3);
        assert_eq!(
            solver.reverse(&Outer, &X0, &PHI, &[1.0]).unwrap_err(),
            NestedError::Input(InputError::WrongLength {
                what: "theta",
                expected: 4,
                found: 1
            })
        );
        assert!(matches!(
            forward_eta(&Outer, &Outer, &[0.0, f64::NAN], 0.1, 3),
            Err(NestedError::Input(InputError::NonFinite {
                what: "x0",
                index: 1,
                ..
            }))
        ));
        // A step size that makes the inner solve diverge is named, not returned as a NaN.
        let diverging = Unrolled::new(&Inner, &Descent, 400);
        assert!(matches!(
            diverging.reverse(&Outer, &X0, &PHI, &[5.0]),
            Err(NestedError::Input(InputError::NonFinite {
                what: "x_K (the inner solve diverged)",
                ..
            }))
        ));
    }
}
