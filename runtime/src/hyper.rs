//! Hypergradients of an outer loss through an unrolled inner solver.
//!
//! The inner solver is `K` steps of preconditioned gradient descent on `J`,
//! `x_{k+1} = x_k - eta * (theta ⊙ grad J(x_k))` (plain descent when every `theta_i = 1`); the
//! outer loss is `L(x_K)`. Two ways to its derivatives:
//!
//! - [`forward_eta`]: forward mode over the whole inner solve (a dual step size through gradients
//!   that are adjoints): the cheap way for one hyperparameter;
//! - [`reverse_unrolled`]: one backward sweep over the `K` inner steps, each a Hessian-vector
//!   product by forward over reverse, giving `dL/deta` and `dL/dtheta` (as many parameters as
//!   the state has) at a cost that does not grow with their number; memory `O(K n)`;
//! - [`implicit`]: implicit differentiation at the inner optimum `x*` of `J(x, theta)` for
//!   parameters of the cost itself: solve `H w = grad L(x*)` by conjugate gradients on
//!   Hessian-vector products, then `dL/dtheta = -(d^2 J / dtheta dx) w`; no inner trajectory is
//!   stored.
//!
//! ```
//! use tapeless_runtime::hyper::{forward_eta, reverse_unrolled};
//! use tapeless_runtime::nested::Gradient;
//! use tapeless_runtime::Real;
//!
//! /// J(x) = sum (x_i - 1)^4 / 4 + x_i^2 / 2.
//! struct Inner;
//! impl Gradient for Inner {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
//!         let mut j = S::zero();
//!         for i in 0..x.len() {
//!             let d = x[i] - S::one();
//!             j += d.powi(4) / S::from_f64(4.0) + x[i] * x[i] / S::from_f64(2.0);
//!             g[i] += d.powi(3) + x[i];
//!         }
//!         j
//!     }
//! }
//! /// L(x) = |x - 0.4|^2 / 2.
//! struct Outer;
//! impl Gradient for Outer {
//!     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
//!         let mut l = S::zero();
//!         for i in 0..x.len() {
//!             let d = x[i] - S::from_f64(0.4);
//!             l += d * d / S::from_f64(2.0);
//!             g[i] += d;
//!         }
//!         l
//!     }
//! }
//! let x0 = [0.0, 2.0];
//! let (l, dl) = forward_eta(&Inner, &Outer, &x0, 0.1, 5).unwrap();
//! let r = reverse_unrolled(&Inner, &Outer, &x0, 0.1, &[1.0, 1.0], 5).unwrap();
//! assert_eq!(r.loss, l);
//! assert!((r.eta - dl).abs() < 1e-12 * dl.abs());
//! ```

use crate::nested::{hvp, mixed_hvp, Gradient, MixedGradient, NestedError};
use crate::{Dual, Real};

/// The outer loss and its derivatives with respect to the inner solver's step size and
/// preconditioner.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypergradient {
    /// `L(x_K)`.
    pub loss: f64,
    /// `dL/deta`.
    pub eta: f64,
    /// `dL/dtheta`.
    pub theta: Vec<f64>,
}

fn check_finite(what: &'static str, v: &[f64]) -> Result<(), NestedError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(NestedError::NonFinite {
            what,
            index,
            value: v[index],
        }),
        None => Ok(()),
    }
}

/// `K` steps of descent at any scalar type: `x <- x - eta (theta ⊙ grad J(x))`.
fn descend<S: Real, J: Gradient + ?Sized>(
    inner: &J,
    x0: &[S],
    eta: S,
    theta: &[S],
    steps: usize,
) -> Vec<S> {
    let mut x = x0.to_vec();
    let mut g = vec![S::zero(); x.len()];
    for _ in 0..steps {
        g.iter_mut().for_each(|v| *v = S::zero());
        inner.gradient(&x, &mut g);
        for i in 0..x.len() {
            x[i] -= eta * (theta[i] * g[i]);
        }
    }
    x
}

/// `(L, dL/deta)` by forward mode over the inner solve (plain descent): one pass at dual
/// numbers, each inner gradient an adjoint evaluated at duals.
pub fn forward_eta<J: Gradient + ?Sized, L: Gradient + ?Sized>(
    inner: &J,
    outer: &L,
    x0: &[f64],
    eta: f64,
    steps: usize,
) -> Result<(f64, f64), NestedError> {
    check_finite("x0", x0)?;
    check_finite("eta", &[eta])?;
    let xd: Vec<Dual<f64, 1>> = x0.iter().map(|&v| Dual::constant(v)).collect();
    let ones = vec![Dual::constant(1.0); x0.len()];
    let x = descend(inner, &xd, Dual::seeded(eta, 0), &ones, steps);
    let mut g = vec![Dual::constant(0.0); x.len()];
    let l = outer.gradient(&x, &mut g);
    Ok((l.value, l.tangents[0]))
}

/// `L`, `dL/deta` and `dL/dtheta` by reverse mode through the unrolled descent: the forward
/// pass keeps every iterate and gradient, the backward pass takes one Hessian-vector product
/// per inner step (`x_bar <- x_bar - eta H(x_k) (theta ⊙ x_bar)`).
pub fn reverse_unrolled<J: Gradient + ?Sized, L: Gradient + ?Sized>(
    inner: &J,
    outer: &L,
    x0: &[f64],
    eta: f64,
    theta: &[f64],
    steps: usize,
) -> Result<Hypergradient, NestedError> {
    let n = x0.len();
    check_finite("x0", x0)?;
    check_finite("eta", &[eta])?;
    if theta.len() != n {
        return Err(NestedError::WrongLength {
            what: "theta",
            expected: n,
            found: theta.len(),
        });
    }
    check_finite("theta", theta)?;
    let mut iterates = Vec::with_capacity(steps + 1);
    let mut gradients = Vec::with_capacity(steps);
    let mut x = x0.to_vec();
    for _ in 0..steps {
        let mut g = vec![0.0; n];
        inner.gradient(&x, &mut g);
        iterates.push(x.clone());
        for i in 0..n {
            x[i] -= eta * (theta[i] * g[i]);
        }
        gradients.push(g);
    }
    let mut x_bar = vec![0.0; n];
    let loss = outer.gradient(&x, &mut x_bar);
    let (mut eta_bar, mut theta_bar) = (0.0, vec![0.0; n]);
    for k in (0..steps).rev() {
        let g = &gradients[k];
        for i in 0..n {
            eta_bar -= theta[i] * g[i] * x_bar[i];
            theta_bar[i] -= eta * g[i] * x_bar[i];
        }
        let w: Vec<f64> = (0..n).map(|i| theta[i] * x_bar[i]).collect();
        let hw = hvp(inner, &iterates[k], &w)?.hessian_vector;
        for i in 0..n {
            x_bar[i] -= eta * hw[i];
        }
    }
    Ok(Hypergradient {
        loss,
        eta: eta_bar,
        theta: theta_bar,
    })
}

/// The result of [`implicit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Implicit {
    /// `L(x*)`.
    pub loss: f64,
    /// `dL/dtheta` at the optimum.
    pub theta: Vec<f64>,
    /// Conjugate-gradient iterations used.
    pub iterations: usize,
    /// The final residual `|H w - grad L|`.
    pub residual: f64,
}

/// Implicit differentiation at an inner optimum `x*` of `J(x, theta)` (where `grad_x J = 0`):
/// `dx*/dtheta = -H^-1 (d^2 J / dx dtheta)`, so `dL/dtheta = -(d^2 J / dtheta dx) w` with
/// `H w = grad L(x*)`, solved by conjugate gradients on Hessian-vector products (`H` must be
/// positive definite at `x*`, as at a strict minimum). Stops at `tolerance * |grad L|` or after
/// `max_iterations`.
///
/// ```
/// use tapeless_runtime::hyper::implicit;
/// use tapeless_runtime::nested::{Gradient, MixedGradient};
/// use tapeless_runtime::Real;
/// // J(x, theta) = x^2 - theta x, so x* = theta / 2; L(x) = x^2 / 2: dL/dtheta = x* / 2.
/// struct J;
/// impl MixedGradient for J {
///     fn gradient<S: Real>(&self, x: &[S], t: &[S], xb: &mut [S], tb: &mut [S]) -> S {
///         xb[0] += S::from_f64(2.0) * x[0] - t[0];
///         tb[0] -= x[0];
///         x[0] * x[0] - t[0] * x[0]
///     }
/// }
/// struct L;
/// impl Gradient for L {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
///         g[0] += x[0];
///         x[0] * x[0] / S::from_f64(2.0)
///     }
/// }
/// let r = implicit(&J, &L, &[1.5], &[3.0], 10, 1e-12).unwrap();
/// assert!((r.theta[0] - 0.75).abs() < 1e-14);
/// ```
pub fn implicit<J: MixedGradient + ?Sized, L: Gradient + ?Sized>(
    inner: &J,
    outer: &L,
    x_star: &[f64],
    theta: &[f64],
    max_iterations: usize,
    tolerance: f64,
) -> Result<Implicit, NestedError> {
    let n = x_star.len();
    check_finite("x*", x_star)?;
    check_finite("theta", theta)?;
    let mut b = vec![0.0; n];
    let loss = outer.gradient(x_star, &mut b);
    check_finite("grad L(x*)", &b)?;
    let h =
        |v: &[f64]| -> Result<Vec<f64>, NestedError> { Ok(mixed_hvp(inner, x_star, theta, v)?.0) };
    // Conjugate gradients for H w = b from w = 0.
    let mut w = vec![0.0; n];
    let mut r = b.clone();
    let mut p = r.clone();
    let mut rr: f64 = r.iter().map(|v| v * v).sum();
    let target = tolerance * rr.sqrt();
    let mut iterations = 0;
    while iterations < max_iterations && rr.sqrt() > target {
        let hp = h(&p)?;
        let php: f64 = p.iter().zip(&hp).map(|(a, b)| a * b).sum();
        if php <= 0.0 {
            break;
        }
        let alpha = rr / php;
        for i in 0..n {
            w[i] += alpha * p[i];
            r[i] -= alpha * hp[i];
        }
        let rr_new: f64 = r.iter().map(|v| v * v).sum();
        for i in 0..n {
            p[i] = r[i] + rr_new / rr * p[i];
        }
        rr = rr_new;
        iterations += 1;
    }
    let mixed = mixed_hvp(inner, x_star, theta, &w)?.1;
    Ok(Implicit {
        loss,
        theta: mixed.iter().map(|v| -v).collect(),
        iterations,
        residual: rr.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A coupled non-quadratic inner cost.
    struct Inner;
    impl Gradient for Inner {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
            let mut j = S::zero();
            for i in 0..x.len() {
                let next = x[(i + 1) % x.len()];
                j += (x[i] * next).sin() + S::from_f64(0.5) * x[i] * x[i];
                g[i] += (x[i] * next).cos() * next + x[i];
                g[(i + 1) % x.len()] += (x[i] * next).cos() * x[i];
            }
            j
        }
    }

    struct Outer;
    impl Gradient for Outer {
        fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
            let mut l = S::zero();
            for i in 0..x.len() {
                let d = x[i] - S::from_f64(0.1 * i as f64);
                l += d * d;
                g[i] += S::from_f64(2.0) * d;
            }
            l
        }
    }

    fn loss(eta: f64, theta: &[f64], x0: &[f64], steps: usize) -> f64 {
        let x = descend(&Inner, x0, eta, theta, steps);
        Outer.gradient(&x, &mut vec![0.0; x.len()])
    }

    #[test]
    fn reverse_forward_and_differences_agree() {
        let x0 = [0.3, -0.8, 1.2, 0.5];
        let theta = [1.0, 0.9, 1.1, 1.05];
        let (eta, steps) = (0.2, 6);
        let r = reverse_unrolled(&Inner, &Outer, &x0, eta, &theta, steps).unwrap();
        let h = 1e-6;
        let fd_eta =
            (loss(eta + h, &theta, &x0, steps) - loss(eta - h, &theta, &x0, steps)) / (2.0 * h);
        assert!((r.eta - fd_eta).abs() < 1e-7, "{} vs {fd_eta}", r.eta);
        for i in 0..4 {
            let (mut tp, mut tm) = (theta, theta);
            tp[i] += h;
            tm[i] -= h;
            let fd = (loss(eta, &tp, &x0, steps) - loss(eta, &tm, &x0, steps)) / (2.0 * h);
            assert!(
                (r.theta[i] - fd).abs() < 1e-7,
                "theta[{i}]: {} vs {fd}",
                r.theta[i]
            );
        }
        // With a unit preconditioner, the two methods compute one derivative two ways.
        let ones = [1.0; 4];
        let r1 = reverse_unrolled(&Inner, &Outer, &x0, eta, &ones, steps).unwrap();
        let (l, dl) = forward_eta(&Inner, &Outer, &x0, eta, steps).unwrap();
        assert_eq!(r1.loss, l);
        assert!((r1.eta - dl).abs() <= 1e-12 * dl.abs());
        // dL/deta = sum_i theta_i dL/dtheta_i / eta, since eta and theta enter as a product.
        let via_theta: f64 = r.theta.iter().zip(&theta).map(|(a, b)| a * b).sum::<f64>() / eta;
        assert!((via_theta - r.eta).abs() <= 1e-12 * r.eta.abs());
    }

    /// J(x, theta) = 1/2 x^T A x - theta^T x + sum x_i^4 / 4 (a strict minimum).
    struct Regularised;
    const A: [[f64; 3]; 3] = [[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]];
    impl MixedGradient for Regularised {
        fn gradient<S: Real>(&self, x: &[S], t: &[S], xb: &mut [S], tb: &mut [S]) -> S {
            let mut j = S::zero();
            for i in 0..3 {
                for k in 0..3 {
                    let a = S::from_f64(A[i][k]);
                    j += S::from_f64(0.5) * a * x[i] * x[k];
                    xb[i] += a * x[k];
                }
                j += x[i].powi(4) / S::from_f64(4.0) - t[i] * x[i];
                xb[i] += x[i].powi(3) - t[i];
                tb[i] -= x[i];
            }
            j
        }
    }

    #[test]
    fn implicit_derivative_matches_differences_of_re_solved_optima() {
        let solve = |theta: &[f64]| -> Vec<f64> {
            // Newton on grad_x J = 0 (small and well conditioned).
            let mut x = vec![0.0; 3];
            for _ in 0..50 {
                let mut g = vec![0.0; 3];
                Regularised.gradient(&x, theta, &mut g, &mut [0.0; 3]);
                let cols: Vec<Vec<f64>> = (0..3)
                    .map(|c| {
                        mixed_hvp(
                            &Regularised,
                            &x,
                            theta,
                            &[0, 1, 2].map(|i| f64::from(u8::from(i == c))),
                        )
                        .unwrap()
                        .0
                    })
                    .collect();
                // Gauss-Jordan on the 3x3 Hessian.
                let mut m: Vec<Vec<f64>> = (0..3)
                    .map(|r| vec![cols[0][r], cols[1][r], cols[2][r], -g[r]])
                    .collect();
                for c in 0..3 {
                    let piv = m[c][c];
                    m[c].iter_mut().skip(c).for_each(|v| *v /= piv);
                    let pivot_row = m[c].clone();
                    for (r, row) in m.iter_mut().enumerate() {
                        if r != c {
                            let f = row[c];
                            row.iter_mut()
                                .zip(&pivot_row)
                                .skip(c)
                                .for_each(|(v, p)| *v -= f * p);
                        }
                    }
                }
                for i in 0..3 {
                    x[i] += m[i][3];
                }
            }
            x
        };
        let theta = [0.7, -0.4, 1.3];
        let x_star = solve(&theta);
        let r = implicit(&Regularised, &Outer, &x_star, &theta, 50, 1e-14).unwrap();
        assert!(
            r.iterations <= 3 + 1,
            "CG on a 3x3 system: {} iterations",
            r.iterations
        );
        let h = 1e-6;
        for i in 0..3 {
            let (mut tp, mut tm) = (theta, theta);
            tp[i] += h;
            tm[i] -= h;
            let l = |t: &[f64]| {
                let x = solve(t);
                Outer.gradient(&x, &mut [0.0; 3])
            };
            let fd = (l(&tp) - l(&tm)) / (2.0 * h);
            assert!(
                (r.theta[i] - fd).abs() < 1e-8,
                "theta[{i}]: {} vs {fd}",
                r.theta[i]
            );
        }
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(
            reverse_unrolled(&Inner, &Outer, &[0.0, 1.0], 0.1, &[1.0], 3).unwrap_err(),
            NestedError::WrongLength {
                what: "theta",
                expected: 2,
                found: 1
            }
        );
        assert!(matches!(
            forward_eta(&Inner, &Outer, &[0.0, f64::NAN], 0.1, 3),
            Err(NestedError::NonFinite {
                what: "x0",
                index: 1,
                ..
            })
        ));
    }
}
