//! The numerical oracle every derivative test uses: finite differences for tangents, the
//! dot-product test for adjoints, and tangent-against-adjoint agreement.
#![allow(dead_code)] // each test binary uses part of the oracle

pub mod caller;
pub mod fixed;
pub mod rows;
pub mod slices;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tapeless::check::{check_jvp, check_vjp, relative_error};

/// Seeded draws in [-1, 1) for test points and directions.
pub struct Draws(Xoshiro256PlusPlus);

impl Draws {
    pub fn new(seed: u64) -> Self {
        Draws(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    pub fn next(&mut self) -> f64 {
        self.0.random_range(-1.0..1.0)
    }

    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// `(value, derivative)` of a companion adapted to flat vectors.
pub type Companion<'a> = &'a dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);

/// A function of flat inputs to flat outputs with its generated derivatives, adapted to vectors.
pub struct Case<'a> {
    pub name: &'a str,
    pub inputs: usize,
    pub outputs: usize,
    /// The user's function.
    pub f: &'a dyn Fn(&[f64]) -> Vec<f64>,
    /// `(value, J x_dot)` from the `_jvp` companion.
    pub jvp: Companion<'a>,
    /// `(value, J^T y_bar)` from the `_vjp` companion.
    pub vjp: Companion<'a>,
}

/// Tolerances of the three checks.
pub const FD_TOLERANCE: f64 = 1e-6;
pub const DOT_TOLERANCE: f64 = 1e-12;

/// Runs the three checks at `x` along several random directions; panics with a message naming
/// the case and the check that failed.
pub fn check(case: &Case, x: &[f64], seed: u64) {
    assert_eq!(x.len(), case.inputs, "{}: wrong input length", case.name);
    let mut rng = Draws::new(seed);
    let value = (case.f)(x);
    assert_eq!(
        value.len(),
        case.outputs,
        "{}: wrong output length",
        case.name
    );
    for trial in 0..3 {
        let x_dot = rng.vec(case.inputs);
        let y_bar = rng.vec(case.outputs);
        let (v1, j_x_dot) = (case.jvp)(x, &x_dot);
        let (v2, jt_y_bar) = (case.vjp)(x, &y_bar);
        // The companions compute the value with the same operations as the user's function.
        assert_eq!(
            v1, value,
            "{}: jvp value differs from the function",
            case.name
        );
        assert_eq!(
            v2, value,
            "{}: vjp value differs from the function",
            case.name
        );
        // 1. Central finite differences.
        let fd = check_jvp(
            |x, y| y.copy_from_slice(&(case.f)(x)),
            x,
            &x_dot,
            &j_x_dot,
            1e-6,
        )
        .expect("lengths fit");
        assert!(
            fd.passes(FD_TOLERANCE),
            "{} trial {trial}: tangent component {k} = {a:e}, finite differences {b:e}",
            case.name,
            k = fd.worst_component,
            a = j_x_dot[fd.worst_component],
            b = fd.finite_difference[fd.worst_component],
        );
        // 2. The dot-product test, and 3. tangent against adjoint.
        let dot = check_vjp(&y_bar, &j_x_dot, &jt_y_bar, &x_dot).expect("lengths fit");
        let t = dot.dot_product;
        assert!(
            dot.passes(DOT_TOLERANCE),
            "{} trial {trial}: <y_bar, J x_dot> = {:e} but <J^T y_bar, x_dot> = {:e} (relative error {:e})",
            case.name,
            t.tangent_side,
            t.adjoint_side,
            t.relative_error
        );
    }
}

/// Asserts that Hessian-vector products agree with differences of gradients to
/// [`FD_TOLERANCE`] and are symmetric, `<w, H u> = <H w, u>`, to [`DOT_TOLERANCE`].
pub fn assert_hvp(report: &tapeless::check::HvpReport, what: &str) {
    assert!(
        report.passes(FD_TOLERANCE, DOT_TOLERANCE),
        "{what}: H u against differences of gradients: {:e}; symmetry <w, H u> = <H w, u>: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// Asserts `a` and `b` agree to `tol` relative.
pub fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        relative_error(a, b, 1e-300) <= tol,
        "{what}: {a:e} vs {b:e}"
    );
}

/// Runs the three checks on a function of one real with one real value, given as the function
/// and its `_jvp` and `_vjp` companions, at `at`.
pub fn check_scalar(
    name: &str,
    f: &dyn Fn(f64) -> f64,
    jvp: &dyn Fn(f64, f64) -> (f64, f64),
    vjp: &dyn Fn(f64, &mut f64, f64) -> f64,
    at: f64,
    seed: u64,
) {
    check(
        &Case {
            name,
            inputs: 1,
            outputs: 1,
            f: &|x| vec![f(x[0])],
            jvp: &|x, d| {
                let (v, t) = jvp(x[0], d[0]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut b = 0.0;
                let v = vjp(x[0], &mut b, w[0]);
                (vec![v], vec![b])
            },
        },
        &[at],
        seed,
    );
}
