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

// ---- The oracle: one check per derivative mode, each returning the errors it measured. ----

/// A tangent `J x_dot` against central finite differences of the function along `x_dot`.
#[derive(Debug, Clone, PartialEq)]
pub struct JvpReport {
    /// The central differences `(f(x + h x_dot) - f(x - h x_dot)) / 2h`.
    pub finite_difference: Vec<f64>,
    /// The largest `|(J x_dot)_i - fd_i|`.
    pub max_abs_error: f64,
    /// `max_abs_error` over the largest component of either side (and at least 1, so a tangent
    /// near zero is judged absolutely).
    pub relative_error: f64,
    /// The index of the component where the largest error is.
    pub worst_component: usize,
}

impl JvpReport {
    /// Whether the tangent agrees with the differences to `tolerance` (relative, see
    /// [`JvpReport::relative_error`]).
    pub fn passes(&self, tolerance: f64) -> bool {
        self.relative_error <= tolerance
    }
}

/// Checks a tangent `j_x_dot = J x_dot` of `f` at `x` against central finite differences with
/// step `h` along `x_dot`. `f` writes its value into its second argument.
///
/// ```
/// use tapeless_runtime::check::check_jvp;
/// // f(x) = (x0 x1, sin x0); J x_dot at x = (2, 3) along (1, 0) is (3, cos 2).
/// let f = |x: &[f64], y: &mut [f64]| {
///     y[0] = x[0] * x[1];
///     y[1] = x[0].sin();
/// };
/// let report = check_jvp(f, &[2.0, 3.0], &[1.0, 0.0], &[3.0, 2.0_f64.cos()], 1e-6).unwrap();
/// assert!(report.passes(1e-8), "{report:?}");
/// // A wrong tangent fails.
/// let wrong = check_jvp(f, &[2.0, 3.0], &[1.0, 0.0], &[3.0, 0.0], 1e-6).unwrap();
/// assert!(!wrong.passes(1e-8));
/// ```
pub fn check_jvp(
    f: impl FnMut(&[f64], &mut [f64]),
    x: &[f64],
    x_dot: &[f64],
    j_x_dot: &[f64],
    h: f64,
) -> Result<JvpReport, CheckError> {
    let mut fd = vec![0.0; j_x_dot.len()];
    central_difference(f, x, x_dot, h, &mut fd)?;
    let scale = fd
        .iter()
        .chain(j_x_dot)
        .fold(1.0_f64, |m, v| m.max(v.abs()));
    let (mut worst_component, mut max_abs_error) = (0, 0.0_f64);
    for (k, (a, b)) in j_x_dot.iter().zip(&fd).enumerate() {
        let e = (a - b).abs();
        // A NaN is the worst error, never hidden.
        if e > max_abs_error || e.is_nan() {
            (worst_component, max_abs_error) = (k, e);
        }
    }
    Ok(JvpReport {
        finite_difference: fd,
        max_abs_error,
        relative_error: max_abs_error / scale,
        worst_component,
    })
}

/// An adjoint `J^T y_bar` against a tangent `J x_dot` by the dot-product test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VjpReport {
    /// The two sides of `<y_bar, J x_dot> = <J^T y_bar, x_dot>` and their relative error.
    pub dot_product: DotProductTest,
    /// `1e-14 |y_bar| |x_dot|`: a Jacobian that cancels to exactly zero leaves rounding of the
    /// size of the operands in the adjoint, so a difference below this floor passes whatever the
    /// relative error.
    pub absolute_floor: f64,
}

impl VjpReport {
    /// Whether the two sides agree to `tolerance` relative, or within
    /// [`VjpReport::absolute_floor`].
    pub fn passes(&self, tolerance: f64) -> bool {
        let t = &self.dot_product;
        t.relative_error <= tolerance
            || (t.tangent_side - t.adjoint_side).abs() <= self.absolute_floor
    }
}

/// The dot-product test of an adjoint `jt_y_bar = J^T y_bar` against a tangent
/// `j_x_dot = J x_dot` (cross-mode agreement), with the floor that makes it safe for Jacobians
/// that cancel to zero.
///
/// ```
/// use tapeless_runtime::check::check_vjp;
/// // J = [[1, 2], [3, 4]]
/// let (x_dot, y_bar) = ([1.0, -1.0], [0.5, 2.0]);
/// let report = check_vjp(&y_bar, &[-1.0, -1.0], &[6.5, 9.0], &x_dot).unwrap();
/// assert!(report.passes(1e-12), "{report:?}");
/// assert!(!check_vjp(&y_bar, &[-1.0, -1.0], &[6.5, 9.5], &x_dot).unwrap().passes(1e-12));
/// ```
pub fn check_vjp(
    y_bar: &[f64],
    j_x_dot: &[f64],
    jt_y_bar: &[f64],
    x_dot: &[f64],
) -> Result<VjpReport, CheckError> {
    let dot_product = dot_product_test(y_bar, j_x_dot, jt_y_bar, x_dot)?;
    let norm = |v: &[f64]| dot(v, v).sqrt();
    Ok(VjpReport {
        dot_product,
        absolute_floor: 1e-14 * norm(y_bar) * norm(x_dot),
    })
}

/// Hessian-vector products `H u` and `H w` against central differences of the gradient along
/// `u`, and against each other by symmetry, `<w, H u> = <u, H w>`.
#[derive(Debug, Clone, PartialEq)]
pub struct HvpReport {
    /// `H u` against `(grad f(x + h u) - grad f(x - h u)) / 2h`.
    pub finite_difference: JvpReport,
    /// `<w, H u>` against `<H w, u>`.
    pub symmetry: DotProductTest,
}

impl HvpReport {
    /// Whether `H u` agrees with the differences of gradients to `fd_tolerance` and the
    /// symmetry holds to `symmetry_tolerance`, both relative.
    pub fn passes(&self, fd_tolerance: f64, symmetry_tolerance: f64) -> bool {
        self.finite_difference.passes(fd_tolerance)
            && self.symmetry.relative_error <= symmetry_tolerance
    }
}

/// Checks Hessian-vector products of a scalar function at `x`: `h_u = H u` against central
/// differences (step `h`) of `gradient` along `u`, and the symmetry `<w, H u> = <H w, u>` with
/// a second product `h_w = H w`. `gradient` writes the gradient into its second argument.
///
/// ```
/// use tapeless_runtime::check::check_hvp;
/// // f(x) = x0^2 x1: gradient (2 x0 x1, x0^2), Hessian [[2 x1, 2 x0], [2 x0, 0]].
/// let gradient = |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * x[0] * x[1];
///     g[1] = x[0] * x[0];
/// };
/// let x = [1.5, -2.0];
/// let (u, w) = ([1.0, 0.5], [-0.3, 2.0]);
/// let hess = |v: &[f64]| vec![2.0 * x[1] * v[0] + 2.0 * x[0] * v[1], 2.0 * x[0] * v[0]];
/// let report = check_hvp(gradient, &x, &u, &hess(&u), &w, &hess(&w), 1e-5).unwrap();
/// assert!(report.passes(1e-8, 1e-14), "{report:?}");
/// ```
pub fn check_hvp(
    gradient: impl FnMut(&[f64], &mut [f64]),
    x: &[f64],
    u: &[f64],
    h_u: &[f64],
    w: &[f64],
    h_w: &[f64],
    h: f64,
) -> Result<HvpReport, CheckError> {
    same_length("H u", x.len(), h_u.len())?;
    let finite_difference = check_jvp(gradient, x, u, h_u, h)?;
    let symmetry = dot_product_test(w, h_u, h_w, u)?;
    Ok(HvpReport {
        finite_difference,
        symmetry,
    })
}

/// An [`Update`](crate::hyper::Update) step's adjoint `step_vjp` against its tangent (the step
/// at dual numbers), over the parameters, the gradient, the state and the carry at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateReport {
    /// `<(x_bar, c_bar), J dot>` against `<J^T (x_bar, c_bar), dot>`.
    pub dot_product: DotProductTest,
    /// Whether the step at `f64` gives exactly the values of the step at dual numbers.
    pub values_agree: bool,
}

impl UpdateReport {
    /// Whether the values agree and the dot-product test holds to `tolerance` relative.
    pub fn passes(&self, tolerance: f64) -> bool {
        self.values_agree && self.dot_product.relative_error <= tolerance
    }
}

/// The dot-product test of an [`Update`](crate::hyper::Update): the step at `at` is run at
/// dual numbers along the directions `dot` (one per input, same lengths as `at`'s), and its
/// `step_vjp` from the output adjoints `x_next_bar` and `carry_next_bar`; also checks that the
/// step at `f64` gives the values of the step at duals. Errors are the update's own, or a
/// [`CheckError`] when lengths do not fit.
///
/// ```
/// use tapeless_runtime::check::check_update;
/// use tapeless_runtime::hyper::{Momentum, StepInputs, Update};
/// // Heavy-ball momentum: theta = [eta, beta], the velocity carried.
/// let at = StepInputs { theta: &[0.1, 0.9], grad: &[1.0, -2.0], x: &[0.3, 0.4], carry: &[0.2, 0.0] };
/// let dot = StepInputs { theta: &[1.0, -0.5], grad: &[0.5, 0.1], x: &[-1.0, 2.0], carry: &[0.3, 0.7] };
/// let report = check_update(&Momentum, at, dot, &[1.0, -0.5], &[0.25, 2.0]).unwrap();
/// assert!(report.passes(1e-14), "{report:?}");
/// ```
pub fn check_update<U: crate::hyper::Update>(
    update: &U,
    at: crate::hyper::StepInputs<'_, f64>,
    dot: crate::hyper::StepInputs<'_, f64>,
    x_next_bar: &[f64],
    carry_next_bar: &[f64],
) -> Result<UpdateReport, crate::UserError> {
    use crate::hyper::{StepAdjoints, StepInputs};
    use crate::Dual;
    same_length("theta direction", at.theta.len(), dot.theta.len())?;
    same_length("grad direction", at.grad.len(), dot.grad.len())?;
    same_length("x direction", at.x.len(), dot.x.len())?;
    same_length("carry direction", at.carry.len(), dot.carry.len())?;
    same_length("x_next_bar", at.x.len(), x_next_bar.len())?;
    same_length("carry_next_bar", at.carry.len(), carry_next_bar.len())?;
    let lift = |v: &[f64], d: &[f64]| -> Vec<Dual<f64, 1>> {
        v.iter().zip(d).map(|(&a, &b)| Dual::new(a, [b])).collect()
    };
    let (theta, grad, x, carry) = (
        lift(at.theta, dot.theta),
        lift(at.grad, dot.grad),
        lift(at.x, dot.x),
        lift(at.carry, dot.carry),
    );
    let (mut x_next, mut carry_next) = (x.clone(), carry.clone());
    let at_dual = StepInputs {
        theta: &theta,
        grad: &grad,
        x: &x,
        carry: &carry,
    };
    update.step(
        &update.unpack(&theta),
        at_dual,
        &mut x_next,
        &mut carry_next,
    )?;
    let (mut x_plain, mut carry_plain) = (at.x.to_vec(), at.carry.to_vec());
    let unpacked = update.unpack(at.theta);
    update.step(&unpacked, at, &mut x_plain, &mut carry_plain)?;
    let values_agree = x_plain.iter().zip(&x_next).all(|(a, b)| *a == b.value)
        && carry_plain
            .iter()
            .zip(&carry_next)
            .all(|(a, b)| *a == b.value);
    let (mut x_bar, mut carry_bar) = (x_next_bar.to_vec(), carry_next_bar.to_vec());
    let (mut grad_bar, mut theta_bar) = (vec![0.0; at.grad.len()], vec![0.0; at.theta.len()]);
    update.step_vjp(
        &unpacked,
        at,
        StepAdjoints {
            x: &mut x_bar,
            carry: &mut carry_bar,
            grad: &mut grad_bar,
            theta: &mut theta_bar,
        },
    )?;
    let tangents = |v: &[Dual<f64, 1>]| v.iter().map(|d| d.tangents[0]).collect::<Vec<f64>>();
    let output_bar = [x_next_bar, carry_next_bar].concat();
    let output_dot = [tangents(&x_next), tangents(&carry_next)].concat();
    let input_bar = [theta_bar, grad_bar, x_bar, carry_bar].concat();
    let input_dot = [dot.theta, dot.grad, dot.x, dot.carry].concat();
    Ok(UpdateReport {
        dot_product: dot_product_test(&output_bar, &output_dot, &input_bar, &input_dot)?,
        values_agree,
    })
}
