//! Method 3: implicit differentiation at the inner optimum, for parameters of the cost itself.

use super::in_inner_cost;
use crate::linalg::conjugate_gradients;
use crate::nested::{check_finite, mixed_hvp, Gradient, MixedGradient, NestedError};

/// The result of [`implicit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Implicit {
    /// `L(x*)`.
    pub loss: f64,
    /// `dL/dphi` at the optimum.
    pub phi: Vec<f64>,
    /// Conjugate-gradient iterations used.
    pub iterations: usize,
    /// The final residual `|H w - grad L|`.
    pub residual: f64,
}

/// Implicit differentiation at an inner optimum `x*` of `J(x, phi)` (where `grad_x J = 0`):
/// `dx*/dphi = -H^-1 (d^2 J / dx dphi)`, so `dL/dphi = -(d^2 J / dphi dx) w` with
/// `H w = grad L(x*)`, solved by conjugate gradients on Hessian-vector products (`H` must be
/// positive definite at `x*`, as at a strict minimum). Stops at `tolerance * |grad L|` or after
/// `max_iterations`.
///
/// ```
/// use tapeless_runtime::hyper::implicit;
/// use tapeless_runtime::nested::{Gradient, MixedGradient};
/// use tapeless_runtime::{Real, UserError};
/// // J(x, phi) = x^2 - phi x, so x* = phi / 2; L(x) = x^2 / 2: dL/dphi = x* / 2.
/// struct J;
/// impl MixedGradient for J {
///     fn gradient<S: Real>(&self, x: &[S], t: &[S], xb: &mut [S], tb: &mut [S]) -> Result<S, UserError> {
///         xb[0] += S::from_f64(2.0) * x[0] - t[0];
///         tb[0] -= x[0];
///         Ok(x[0] * x[0] - t[0] * x[0])
///     }
/// }
/// struct L;
/// impl Gradient for L {
///     fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
///         g[0] += x[0];
///         Ok(x[0] * x[0] / S::from_f64(2.0))
///     }
/// }
/// let r = implicit(&J, &L, &[1.5], &[3.0], 10, 1e-12).unwrap();
/// assert!((r.phi[0] - 0.75).abs() < 1e-14);
/// ```
///
/// # Errors
///
/// A non-finite `x*`, `phi` or `grad L(x*)`, or the error of the inner cost or the outer loss
/// ([`NestedError::User`]).
pub fn implicit<J: MixedGradient + ?Sized, L: Gradient + ?Sized>(
    inner: &J,
    outer: &L,
    x_star: &[f64],
    phi: &[f64],
    max_iterations: usize,
    tolerance: f64,
) -> Result<Implicit, NestedError> {
    let n = x_star.len();
    check_finite("x*", x_star)?;
    check_finite("phi", phi)?;
    let mut b = vec![0.0; n];
    let loss = outer
        .gradient(x_star, &mut b)
        .map_err(NestedError::user("the outer loss"))?;
    check_finite("grad L(x*)", &b)?;
    let h = |v: &[f64]| -> Result<Vec<f64>, NestedError> {
        Ok(mixed_hvp(inner, x_star, phi, v).map_err(in_inner_cost)?.0)
    };
    let cg = conjugate_gradients(h, &b, max_iterations, tolerance)?;
    let w = cg.solution;
    let mixed = mixed_hvp(inner, x_star, phi, &w).map_err(in_inner_cost)?.1;
    Ok(Implicit {
        loss,
        phi: mixed.iter().map(|v| -v).collect(),
        iterations: cg.iterations,
        residual: cg.residual,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::Outer;
    use super::*;
    use crate::{Real, UserError};

    /// J(x, phi) = 1/2 x^T A x - phi^T x + sum x_i^4 / 4 (a strict minimum).
    struct Regularised;
    const A: [[f64; 3]; 3] = [[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]];
    impl MixedGradient for Regularised {
        fn gradient<S: Real>(
            &self,
            x: &[S],
            t: &[S],
            xb: &mut [S],
            tb: &mut [S],
        ) -> Result<S, UserError> {
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
            Ok(j)
        }
    }

    #[test]
    fn implicit_derivative_matches_differences_of_re_solved_optima() {
        let solve = |phi: &[f64]| -> Vec<f64> {
            // Newton on grad_x J = 0 (small and well conditioned).
            let mut x = vec![0.0; 3];
            for _ in 0..50 {
                let mut g = vec![0.0; 3];
                Regularised
                    .gradient(&x, phi, &mut g, &mut [0.0; 3])
                    .unwrap();
                let cols: Vec<Vec<f64>> = (0..3)
                    .map(|c| {
                        mixed_hvp(
                            &Regularised,
                            &x,
                            phi,
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
        let phi = [0.7, -0.4, 1.3];
        let x_star = solve(&phi);
        let r = implicit(&Regularised, &Outer, &x_star, &phi, 50, 1e-14).unwrap();
        assert!(
            r.iterations <= 3 + 1,
            "CG on a 3x3 system: {} iterations",
            r.iterations
        );
        let h = 1e-6;
        for i in 0..3 {
            let (mut tp, mut tm) = (phi, phi);
            tp[i] += h;
            tm[i] -= h;
            let l = |t: &[f64]| {
                let x = solve(t);
                Outer.gradient(&x, &mut [0.0; 3]).unwrap()
            };
            let fd = (l(&tp) - l(&tm)) / (2.0 * h);
            assert!(
                (r.phi[i] - fd).abs() < 1e-8,
                "phi[{i}]: {} vs {fd}",
                r.phi[i]
            );
        }
    }
}
