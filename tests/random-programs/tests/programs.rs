//! The random programs written by `build.rs`, each compiled through `#[differentiable]` and
//! checked by the shared oracle: values of the companions equal the function's, tangents agree
//! with central finite differences, adjoints pass the dot-product test.
//!
//! The programs branch on the values they compute, so they are smooth only piecewise. Finite
//! differences are meaningful only where no kink or jump lies inside their stencil, so each test
//! first picks, among a few deterministic random points, one where the function is smooth along
//! the oracle's directions ([`smooth_along`]); the derivative checks themselves are the oracle's,
//! unchanged.

// The generated programs are random code, written for the patterns they exercise, not for style:
// `mut` bindings that some paths never assign, values overwritten before they are read,
// `t = t * x` rather than `t *= x` (the overwrite is the point), `a - a`, `t = t`, repeated
// conditions, and scaling coefficients that may happen to be close to `1/pi`. The generator
// parenthesises every operation, which keeps precedence right without reasoning about it.
#![allow(
    unused_mut,
    unused_variables,
    unused_assignments,
    unused_parens,
    dead_code,
    non_snake_case
)]
#![allow(
    // `for (i, e) in x.iter_mut().enumerate()` whose body happens not to read `i`.
    clippy::unused_enumerate_index,
    // `.map(|v| v)`: a random closure body that happens to be its parameter (`.map(|&v| v)`,
    // `map_clone`, the same by a pattern: seen once tuple data shifted the stream).
    clippy::map_identity,
    clippy::map_clone,
    // `k % 2 == 0`: the generator exercises `%` (`is_multiple_of` is lowered too, in `h_step`).
    clippy::manual_is_multiple_of,
    clippy::approx_constant,
    clippy::clone_on_copy,
    clippy::if_same_then_else,
    clippy::misrefactored_assign_op,
    clippy::type_complexity,
    clippy::assign_op_pattern,
    clippy::double_parens,
    clippy::eq_op,
    clippy::ifs_same_cond,
    clippy::let_and_return,
    clippy::neg_cmp_op_on_partial_ord,
    clippy::neg_multiply,
    clippy::redundant_locals,
    clippy::self_assignment,
    clippy::useless_vec,
    clippy::vec_init_then_push
)]

#[path = "../../common/mod.rs"]
mod common;

use common::{check, Case, Draws};
use tapeless::check::{check_hvp, check_jvp};
use tapeless::{differentiable, Dual, Real, Struct};
use tapeless_random_programs::*;

include!(concat!(env!("OUT_DIR"), "/programs.rs"));

/// Rows of `K` reals from a flat slice: the tests' flat input to a parameter `obs: &[[f64; K]]`
/// named in `wrt(..)`.
fn nest<const K: usize, T: Copy>(x: &[T]) -> Vec<[T; K]> {
    x.chunks_exact(K)
        .map(|c| std::array::from_fn(|j| c[j]))
        .collect()
}

/// How many points are tried before a program is declared nowhere smooth.
const ATTEMPTS: u64 = 8;

/// Checks program `index` at the first smooth point of its deterministic sequence.
fn check_program(case: &Case, index: u64) {
    for attempt in 0..ATTEMPTS {
        let x = Draws::new(1_000_003 * (index + 1) + attempt).vec(case.inputs);
        if smooth_along(case, &x, index) {
            if attempt > 0 {
                eprintln!(
                    "{}: {attempt} point(s) skipped, a kink lies within the finite-difference stencil",
                    case.name
                );
            }
            check(case, &x, index);
            return;
        }
    }
    panic!(
        "{}: none of {ATTEMPTS} points is smooth along the test directions",
        case.name
    );
}

/// Whether `case.f` is smooth near `x` along the directions that `check(case, x, seed)` draws.
///
/// A Richardson test of the second difference `D(H) = f(x + H v) - 2 f(x) + f(x - H v)`: the
/// residual `R(H) = |D(H) - 4 D(H / 2)|` is `O(H^4)` where `f` is smooth, about `J H` with a kink
/// of slope jump `J` within `H` of `x`, and about three times the size of a jump. From `H = 1e-4`
/// to `H = 1e-5`, `R` falls by `1e4` where `f` is smooth (however steep: some programs have
/// fourth derivatives near `1e12`) but only by 10 across a kink inside the finite-difference
/// stencil (`|s| <= 1e-6`), and not at all across a jump. Residuals below rounding level pass.
fn smooth_along(case: &Case, x: &[f64], seed: u64) -> bool {
    let mut rng = Draws::new(seed);
    let at = |v: &[f64], t: f64| -> Vec<f64> {
        let p: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + t * b).collect();
        (case.f)(&p)
    };
    let f0 = (case.f)(x);
    let residuals = |v: &[f64], h: f64| -> Vec<f64> {
        let (p1, m1) = (at(v, h), at(v, -h));
        let (p2, m2) = (at(v, h / 2.0), at(v, -h / 2.0));
        (0..f0.len())
            .map(|k| {
                let d1 = p1[k] - 2.0 * f0[k] + m1[k];
                let d2 = p2[k] - 2.0 * f0[k] + m2[k];
                (d1 - 4.0 * d2).abs()
            })
            .collect()
    };
    for _ in 0..3 {
        // The same draws as `check`: a direction, then an output seed.
        let v = rng.vec(case.inputs);
        let _ = rng.vec(case.outputs);
        let (coarse, fine) = (residuals(&v, 1e-4), residuals(&v, 1e-5));
        for k in 0..f0.len() {
            let rounding = 1e-11 * f0[k].abs().max(1.0);
            if fine[k] > rounding && fine[k] > coarse[k] / 100.0 {
                return false;
            }
        }
    }
    true
}

#[test]
fn the_smoothness_test_tells_kinks_and_jumps_from_steep_smooth_functions() {
    let seed = 5;
    // The first direction `check` draws, to put a kink 5e-7 from the point along it.
    let v = Draws::new(seed).vec(1)[0];
    let at = 0.3;
    let edge = at + 5e-7 * v;
    let unused: &dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>) = &|_, _| unreachable!();
    let case = |f: &dyn Fn(&[f64]) -> Vec<f64>| {
        let c = Case {
            name: "probe",
            inputs: 1,
            outputs: 1,
            f,
            jvp: unused,
            vjp: unused,
        };
        smooth_along(&c, &[at], seed)
    };
    assert!(!case(&|x| vec![(x[0] - edge).abs()]), "a kink");
    assert!(
        !case(&|x| vec![0.1 * (x[0] - edge).max(0.0)]),
        "a small kink"
    );
    assert!(
        !case(&|x| vec![if x[0] > edge { 1.0 } else { 0.0 }]),
        "a jump"
    );
    assert!(case(&|x| vec![x[0] * x[0]]), "a parabola");
    assert!(case(&|x| vec![(300.0 * x[0]).sin()]), "a steep sine");
    assert!(
        case(&|x| vec![(x[0] - at - 1e-3).abs()]),
        "a kink outside the stencil"
    );
}

/// Forward over reverse on a random program: `H v` from the gradient at dual numbers must be
/// symmetric (`<w, H v> = <v, H w>`) and agree with central differences of the f64 gradient.
/// Points where a branch switches inside the difference stencil (the gradient jumps) are
/// skipped, as for the first-order checks.
fn check_hessian(
    name: &str,
    inputs: usize,
    gradient: &dyn Fn(&[f64]) -> Vec<f64>,
    gradient_dual: &dyn Fn(&[Dual<f64, 1>]) -> Vec<Dual<f64, 1>>,
    index: u64,
) {
    let hvp = |x: &[f64], v: &[f64]| -> Vec<f64> {
        let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        gradient_dual(&xd).iter().map(|d| d.tangents[0]).collect()
    };
    let gradient_into = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&gradient(x));
    for attempt in 0..ATTEMPTS {
        let mut rng = Draws::new(7_000_003 * (index + 1) + attempt);
        let x = rng.vec(inputs);
        let (v, w) = (rng.vec(inputs), rng.vec(inputs));
        let (hv, hw) = (hvp(&x, &v), hvp(&x, &w));
        let report = check_hvp(gradient_into, &x, &v, &hv, &w, &hw, 1e-5).expect("lengths fit");
        let finer = check_jvp(gradient_into, &x, &v, &hv, 5e-6).expect("lengths fit");
        let (d1, d2) = (&report.finite_difference, &finer);
        let scale = hv
            .iter()
            .chain(&d1.finite_difference)
            .fold(1.0_f64, |m, a| m.max(a.abs()));
        // A kink inside the stencil shows as differences that disagree between step sizes.
        if d1
            .finite_difference
            .iter()
            .zip(&d2.finite_difference)
            .any(|(a, b)| (a - b).abs() > 1e-6 * scale)
        {
            continue;
        }
        let k = d1.worst_component;
        assert!(
            d1.passes(1e-5),
            "{name}: (H v)[{k}] = {:e}, differences of gradients {:e}",
            hv[k],
            d1.finite_difference[k]
        );
        let t = report.symmetry;
        assert!(
            t.relative_error <= 1e-10,
            "{name}: <w, H v> = {:e} but <v, H w> = {:e}",
            t.tangent_side,
            t.adjoint_side
        );
        return;
    }
    panic!("{name}: none of {ATTEMPTS} points is smooth enough for the Hessian check");
}
