//! Gradient checks for users and for tapeless's own tests: central finite differences along a
//! direction, the dot-product (adjoint) test, and a relative error that is safe near zero.
//!
//! These are the three checks of "How derivatives are proved right" in the design: a tangent
//! `J v` must agree with differences of the function, and an adjoint must satisfy
//! `<y_bar, J x_dot> = <J^T y_bar, x_dot>` to rounding.

use thiserror::Error;

/// What a check was given that does not fit together.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CheckError {
    /// Two vectors that must have one length do not
    /// ([`InputError::WrongLength`](crate::InputError::WrongLength)).
    #[error(transparent)]
    Input(#[from] crate::InputError),
    /// The step of a finite difference is not a positive finite number.
    #[error("finite-difference step must be positive and finite, got {0}")]
    BadStep(f64),
}

fn same_length(what: &'static str, expected: usize, found: usize) -> Result<(), CheckError> {
    Ok(crate::InputError::check_length(what, expected, found)?)
}

/// `<a, b>`, the Euclidean inner product.
///
/// ```
/// assert_eq!(tapeless_runtime::check::dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
/// ```
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `|a - b| / max(|a|, |b|, floor)`: a relative error that stays meaningful near zero.
///
/// ```
/// use tapeless_runtime::check::relative_error;
/// assert!(relative_error(1.0, 1.0 + 1e-13, 1e-300) < 1e-12);
/// assert_eq!(relative_error(0.0, 0.0, 1e-300), 0.0);
/// ```
pub fn relative_error(a: f64, b: f64, floor: f64) -> f64 {
    let scale = a.abs().max(b.abs()).max(floor);
    if scale == 0.0 {
        (a - b).abs()
    } else {
        (a - b).abs() / scale
    }
}

/// Central difference of a vector function along `direction`:
/// `(f(x + h v) - f(x - h v)) / 2h`, written into `out`.
///
/// `f` writes its value into its second argument; `out`'s length is the output's length.
///
/// ```
/// use tapeless_runtime::check::central_difference;
/// let mut d = [0.0];
/// central_difference(|x: &[f64], y: &mut [f64]| y[0] = x[0] * x[1], &[2.0, 3.0], &[1.0, 0.0], 1e-6, &mut d)
///     .unwrap();
/// assert!((d[0] - 3.0).abs() < 1e-8);
/// ```
pub fn central_difference(
    mut f: impl FnMut(&[f64], &mut [f64]),
    x: &[f64],
    direction: &[f64],
    h: f64,
    out: &mut [f64],
) -> Result<(), CheckError> {
    same_length("direction", x.len(), direction.len())?;
    if !(h > 0.0 && h.is_finite()) {
        return Err(CheckError::BadStep(h));
    }
    let plus: Vec<f64> = x.iter().zip(direction).map(|(a, v)| a + h * v).collect();
    let minus: Vec<f64> = x.iter().zip(direction).map(|(a, v)| a - h * v).collect();
    let mut f_plus = vec![0.0; out.len()];
    let mut f_minus = vec![0.0; out.len()];
    f(&plus, &mut f_plus);
    f(&minus, &mut f_minus);
    for ((o, p), m) in out.iter_mut().zip(&f_plus).zip(&f_minus) {
        *o = (p - m) / (2.0 * h);
    }
    Ok(())
}

/// The two sides of the dot-product test and their relative disagreement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DotProductTest {
    /// `<y_bar, J x_dot>`, from the tangent.
    pub tangent_side: f64,
    /// `<J^T y_bar, x_dot>`, from the adjoint.
    pub adjoint_side: f64,
    /// Their relative difference.
    pub relative_error: f64,
}

/// The dot-product test: given a tangent result `j_x_dot = J x_dot` and an adjoint result
/// `jt_y_bar = J^T y_bar`, compares `<y_bar, J x_dot>` with `<J^T y_bar, x_dot>`.
///
/// ```
/// use tapeless_runtime::check::dot_product_test;
/// // J = [[1, 2], [3, 4]]
/// let (x_dot, y_bar) = ([1.0, -1.0], [0.5, 2.0]);
/// let j_x_dot = [1.0 - 2.0, 3.0 - 4.0];
/// let jt_y_bar = [0.5 + 6.0, 1.0 + 8.0];
/// let t = dot_product_test(&y_bar, &j_x_dot, &jt_y_bar, &x_dot).unwrap();
/// assert!(t.relative_error < 1e-15);
/// ```
pub fn dot_product_test(
    y_bar: &[f64],
    j_x_dot: &[f64],
    jt_y_bar: &[f64],
    x_dot: &[f64],
) -> Result<DotProductTest, CheckError> {
    same_length("J x_dot", y_bar.len(), j_x_dot.len())?;
    same_length("J^T y_bar", x_dot.len(), jt_y_bar.len())?;
    let tangent_side = dot(y_bar, j_x_dot);
    let adjoint_side = dot(jt_y_bar, x_dot);
    // Scale by the sizes of the summands, so cancellation in the sum is not mistaken for error.
    let scale = y_bar
        .iter()
        .zip(j_x_dot)
        .map(|(a, b)| (a * b).abs())
        .sum::<f64>()
        .max(jt_y_bar.iter().zip(x_dot).map(|(a, b)| (a * b).abs()).sum());
    Ok(DotProductTest {
        tangent_side,
        adjoint_side,
        relative_error: relative_error(tangent_side, adjoint_side, scale.max(f64::MIN_POSITIVE)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_lengths_are_named() {
        let err = dot_product_test(&[1.0], &[1.0, 2.0], &[1.0], &[1.0]).unwrap_err();
        assert_eq!(err.to_string(), "J x_dot has length 2, expected 1");
        let err = central_difference(|_, _| {}, &[1.0], &[1.0], -1.0, &mut []).unwrap_err();
        assert_eq!(err, CheckError::BadStep(-1.0));
    }
}
