//! `assert!`, `assert_eq!`, `assert_ne!` and their `debug_` forms in a differentiable function:
//! kept where they were written, not differentiated. They run in the function, in its tangent
//! and in the forward sweep of its adjoint, reading the forward values at their place (reals by
//! their `f64` value, so at dual numbers they compare the values); the reverse-only companion
//! `__f_rev` leaves them out (the caller's forward sweep ran them). The derivatives of a
//! function with assertions are checked three ways and through Hessian-vector products.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// Assertions before, inside and after a loop whose accumulator is overwritten (the one
/// inside reads its current value), with messages, on integers, bools and reals.
#[differentiable]
fn checked(x: &[f64], w: f64) -> f64 {
    assert!(x.len() >= 2, "need two values, got {}", x.len());
    debug_assert!(w > 0.0);
    let mut s = 0.0;
    let n = x.len();
    for i in 0..n {
        s = s * w + x[i].sin();
        assert!(s < 1e10 && s > -1e10, "s = {} at step {}", s, i);
        debug_assert_ne!(s, 1e300, "s = {:?}", s);
    }
    assert_eq!(n, x.len());
    debug_assert_eq!(w * 2.0, w + w);
    assert_ne!(n, 0, "empty");
    s * s * w
}

/// An assertion of a value computed from a call, and a call of a function with assertions.
#[differentiable]
fn calls_checked(x: &[f64], w: f64) -> f64 {
    let c = checked(x, w);
    assert!(c >= 0.0, "{} is a square", c);
    c.sqrt() + positive_root(w)
}

/// A call of a function whose assertion may fail.
#[differentiable]
fn calls_root(a: f64) -> f64 {
    let r = positive_root(a - 1.0);
    r * a
}

#[differentiable]
fn positive_root(x: f64) -> f64 {
    assert!(x >= 0.0, "positive_root of a negative number: {}", x);
    x.sqrt()
}

fn checked_by_hand(x: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for xi in x {
        s = s * w + xi.sin();
    }
    s * s * w
}

type D = Dual<f64, 1>;

fn hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut bar = vec![D::constant(0.0); x.len()];
    let mut w_bar = D::constant(0.0);
    calls_checked_vjp(
        &xd[..x.len() - 1],
        &mut bar[..x.len() - 1],
        xd[x.len() - 1],
        &mut w_bar,
        D::constant(1.0),
    );
    bar[x.len() - 1] = w_bar;
    bar.iter().map(|b| b.tangents[0]).collect()
}

fn gradient(x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    let (xs, w) = x.split_at(x.len() - 1);
    let (gs, gw) = g.split_at_mut(x.len() - 1);
    calls_checked_vjp(xs, gs, w[0], &mut gw[0], 1.0);
}

#[test]
fn functions_with_assertions_three_ways_and_their_hessian() {
    let mut rng = common::Draws::new(40);
    for (k, x) in [
        vec![0.3, -0.7, 0.8, 0.45],
        vec![1.1, 0.2, -0.35, 0.6, 1.7],
        vec![-0.45, 0.5, 0.9],
    ]
    .into_iter()
    .enumerate()
    {
        let n = x.len();
        let (xs, w) = (&x[..n - 1], x[n - 1]);
        assert_eq!(checked(xs, w), checked_by_hand(xs, w));
        for (name, f, jvp, vjp) in [
            (
                "checked",
                checked as fn(&[f64], f64) -> f64,
                checked_jvp as fn(&[f64], &[f64], f64, f64) -> (f64, f64),
                checked_vjp as fn(&[f64], &mut [f64], f64, &mut f64, f64) -> f64,
            ),
            (
                "calls_checked",
                calls_checked,
                calls_checked_jvp,
                calls_checked_vjp,
            ),
        ] {
            check(
                &Case {
                    name,
                    inputs: n,
                    outputs: 1,
                    f: &|x| vec![f(&x[..n - 1], x[n - 1])],
                    jvp: &|x, d| {
                        let (v, t) = jvp(&x[..n - 1], &d[..n - 1], x[n - 1], d[n - 1]);
                        (vec![v], vec![t])
                    },
                    vjp: &|x, y| {
                        let mut g = vec![0.0; n];
                        let mut w_bar = 0.0;
                        let v = vjp(&x[..n - 1], &mut g[..n - 1], x[n - 1], &mut w_bar, y[0]);
                        g[n - 1] = w_bar;
                        (vec![v], g)
                    },
                },
                &x,
                41 + k as u64,
            );
        }
        let (u, v) = (rng.vec(n), rng.vec(n));
        let (hu, hv) = (hvp(&x, &u), hvp(&x, &v));
        let report = check_hvp(gradient, &x, &u, &hu, &v, &hv, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "at {x:?}: {report:?}");
    }
}

#[test]
#[should_panic(expected = "positive_root of a negative number: -1")]
fn a_failing_assertion_stops_the_adjoint_with_the_users_message() {
    let mut x_bar = 0.0;
    positive_root_vjp(-1.0, &mut x_bar, 1.0);
}

#[test]
#[should_panic(expected = "need two values, got 1")]
fn a_failing_assertion_stops_the_tangent_with_the_users_message() {
    checked_jvp(&[0.5], &[1.0], 2.0, 0.0);
}

#[test]
#[should_panic(expected = "positive_root of a negative number: -1")]
fn a_failing_assertion_in_a_callee_stops_the_callers_adjoint() {
    let mut a_bar = 0.0;
    calls_root_vjp(0.0, &mut a_bar, 1.0);
}

#[test]
#[should_panic(expected = "assertion failed: w > 0.0")]
fn a_failing_assertion_without_a_message_names_the_users_condition() {
    let (mut x_bar, mut w_bar) = ([0.0; 2], 0.0);
    checked_vjp(&[0.5, 0.1], &mut x_bar, -2.0, &mut w_bar, 1.0);
}

#[test]
fn passing_assertions_leave_the_derivatives_of_a_call_alone() {
    let mut a_bar = 0.0;
    let v = calls_root_vjp(2.0, &mut a_bar, 1.0);
    assert_eq!(v, calls_root(2.0));
    // d/da (sqrt(a - 1) a) = a / (2 sqrt(a - 1)) + sqrt(a - 1) = 2.
    assert!((a_bar - 2.0).abs() < 1e-15, "{a_bar}");
}
