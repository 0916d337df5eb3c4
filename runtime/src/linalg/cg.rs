//! Conjugate gradients for `A x = b` with a symmetric positive definite `A` known only by its
//! products `A v` (in tapeless, Hessian-vector products by forward over reverse): the one
//! conjugate-gradient loop of the runtime, used by implicit differentiation and by Newton-CG
//! users.

/// The result of [`conjugate_gradients`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConjugateGradients {
    /// The last iterate `x`, from `x = 0`.
    pub solution: Vec<f64>,
    /// Products `A p` used that moved the iterate (the one that found negative curvature is
    /// not counted).
    pub iterations: usize,
    /// The final residual `|b - A x|`, as the recurrence computes it.
    pub residual: f64,
    /// `true` when a search direction `p` had `p^T A p <= 0`: `A` is not positive definite
    /// (say, a Hessian away from a minimum), and `solution` is the iterate before that
    /// direction.
    pub negative_curvature: bool,
}

/// Solves `A x = b` by conjugate gradients from `x = 0`, where `apply(v)` returns `A v`.
/// Stops when the residual is at most `tolerance * |b|`, after `max_iterations` products, or
/// at a direction of non-positive curvature. An error of `apply` is returned as it is.
///
/// ```
/// use tapeless_runtime::linalg::conjugate_gradients;
///
/// // A = [[4, 1], [1, 3]], b = [1, 2]: x = [1/11, 7/11].
/// let a = [[4.0, 1.0], [1.0, 3.0]];
/// let apply = |v: &[f64]| -> Result<Vec<f64>, std::convert::Infallible> {
///     Ok(a.iter().map(|row| row[0] * v[0] + row[1] * v[1]).collect())
/// };
/// let cg = conjugate_gradients(apply, &[1.0, 2.0], 10, 1e-14).unwrap();
/// assert!(!cg.negative_curvature);
/// assert!((cg.solution[0] - 1.0 / 11.0).abs() < 1e-15);
/// assert!((cg.solution[1] - 7.0 / 11.0).abs() < 1e-15);
/// assert!(cg.iterations <= 2);
/// ```
pub fn conjugate_gradients<E>(
    mut apply: impl FnMut(&[f64]) -> Result<Vec<f64>, E>,
    b: &[f64],
    max_iterations: usize,
    tolerance: f64,
) -> Result<ConjugateGradients, E> {
    let n = b.len();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut rr: f64 = r.iter().map(|v| v * v).sum();
    let target = tolerance * rr.sqrt();
    let mut iterations = 0;
    let mut negative_curvature = false;
    while iterations < max_iterations && rr.sqrt() > target {
        let ap = apply(&p)?;
        let pap: f64 = p.iter().zip(&ap).map(|(a, b)| a * b).sum();
        if pap <= 0.0 {
            negative_curvature = true;
            break;
        }
        let alpha = rr / pap;
        for i in 0..n {
            x[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
        let rr_new: f64 = r.iter().map(|v| v * v).sum();
        for i in 0..n {
            p[i] = r[i] + rr_new / rr * p[i];
        }
        rr = rr_new;
        iterations += 1;
    }
    Ok(ConjugateGradients {
        solution: x,
        iterations,
        residual: rr.sqrt(),
        negative_curvature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn solves_a_positive_definite_system_in_at_most_n_steps() {
        // A tridiagonal SPD matrix of size 6.
        let n = 6;
        let apply = |v: &[f64]| -> Result<Vec<f64>, Infallible> {
            Ok((0..n)
                .map(|i| {
                    let left = if i > 0 { -v[i - 1] } else { 0.0 };
                    let right = if i + 1 < n { -v[i + 1] } else { 0.0 };
                    4.0 * v[i] + left + right
                })
                .collect())
        };
        let b: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
        let cg = conjugate_gradients(apply, &b, 50, 1e-13).unwrap();
        assert!(!cg.negative_curvature);
        assert!(cg.iterations <= n + 2, "{} iterations", cg.iterations);
        let ax = apply(&cg.solution).unwrap();
        for (a, b) in ax.iter().zip(&b) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn reports_negative_curvature_and_keeps_the_last_iterate() {
        let apply = |v: &[f64]| -> Result<Vec<f64>, Infallible> { Ok(vec![-v[0], 2.0 * v[1]]) };
        let cg = conjugate_gradients(apply, &[1.0, 0.0], 10, 1e-12).unwrap();
        assert!(cg.negative_curvature);
        assert_eq!(cg.iterations, 0);
        assert_eq!(cg.solution, vec![0.0, 0.0]);
    }

    #[test]
    fn passes_on_the_operators_error() {
        let apply = |_: &[f64]| -> Result<Vec<f64>, &'static str> { Err("diverged") };
        assert_eq!(
            conjugate_gradients(apply, &[1.0], 10, 1e-12),
            Err("diverged")
        );
    }
}
