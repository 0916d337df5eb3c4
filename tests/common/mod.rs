//! The numerical oracle every derivative test uses: finite differences for tangents, the
//! dot-product test for adjoints, and tangent-against-adjoint agreement.
#![allow(dead_code)] // each test binary uses part of the oracle

use tapeless::check::{central_difference, dot_product_test, relative_error};

/// A deterministic stream of numbers in [-1, 1] (no dependency needed for test directions).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
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
    let mut rng = Lcg(seed);
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
        let h = 1e-6;
        let mut fd = vec![0.0; case.outputs];
        central_difference(
            |x, y| y.copy_from_slice(&(case.f)(x)),
            x,
            &x_dot,
            h,
            &mut fd,
        )
        .expect("lengths fit");
        let scale = fd
            .iter()
            .chain(&j_x_dot)
            .fold(1.0_f64, |m, v| m.max(v.abs()));
        for (k, (a, b)) in j_x_dot.iter().zip(&fd).enumerate() {
            assert!(
                (a - b).abs() <= FD_TOLERANCE * scale,
                "{} trial {trial}: tangent component {k} = {a:e}, finite differences {b:e}",
                case.name
            );
        }
        // 2. The dot-product test, and 3. tangent against adjoint.
        let t = dot_product_test(&y_bar, &j_x_dot, &jt_y_bar, &x_dot).expect("lengths fit");
        // A Jacobian that cancels to exactly zero leaves rounding of the size of the operands in
        // the adjoint: an absolute floor at that size, far below any real derivative.
        let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
        let floor = 1e-14 * norm(&y_bar) * norm(&x_dot);
        assert!(
            t.relative_error <= DOT_TOLERANCE || (t.tangent_side - t.adjoint_side).abs() <= floor,
            "{} trial {trial}: <y_bar, J x_dot> = {:e} but <J^T y_bar, x_dot> = {:e} (relative error {:e})",
            case.name,
            t.tangent_side,
            t.adjoint_side,
            t.relative_error
        );
    }
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
