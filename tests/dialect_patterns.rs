//! Issue 12, item 5: array patterns with a rest (`let [a, b, rest @ ..] = x;`,
//! `let [first, .., last] = x;`), `let [x, y, z] = *u;` of a `&[f64; 3]`, array constants in the
//! body (`const W: [f64; 3] = [..];`), and assertion messages with names in the format string
//! (`"x = {x}"`, `"{v:.3}"`, `"{a}", a = ..`). Each is checked three ways (finite differences,
//! the dot-product test, tangent against adjoint, in `common::check`), against the function
//! written in the older subset to the bit, and with adversarial names.

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn norm2(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * v[i];
    }
    s
}

#[differentiable]
fn rest_patterns(x: [f64; 5], w: f64) -> [f64; 3] {
    let [a, b, rest @ ..] = x;
    let [first, .., last] = x;
    let [_, middle @ .., _] = x;
    let [.., mut tail] = rest;
    tail *= w;
    [
        a * b + rest[0] * rest[2],
        first * last + norm2(&middle),
        tail + middle[1] * w,
    ]
}

fn rest_patterns_by_hand(x: [f64; 5], w: f64) -> [f64; 3] {
    let middle = [x[1], x[2], x[3]];
    let tail = x[4] * w;
    [
        x[0] * x[1] + x[2] * x[4],
        x[0] * x[4] + (middle[0] * middle[0] + middle[1] * middle[1] + middle[2] * middle[2]),
        tail + middle[1] * w,
    ]
}

/// `*u` of a `&[f64; 3]`, and an array constant used before its declaration, indexed, passed to
/// a call and destructured.
#[differentiable]
fn weighted(u: &[f64; 3], p: f64) -> f64 {
    let [x, y, z] = *u;
    let mut s = 0.0;
    for i in 0..3 {
        s += W[i] * u[i] * p;
    }
    const W: [f64; N] = [0.5, 1.5, -2.0];
    const N: usize = 3;
    const ONES: [f64; 2] = [1.0; 2];
    let [w0, ..] = W;
    s + w0 * x * y * z + norm2(&W) * ONES[1] * p
}

fn weighted_by_hand(u: &[f64; 3], p: f64) -> f64 {
    let w = [0.5, 1.5, -2.0];
    let mut s = 0.0;
    for i in 0..3 {
        s += w[i] * u[i] * p;
    }
    s + 0.5 * u[0] * u[1] * u[2] + (0.25 + 2.25 + 4.0) * 1.0 * p
}

#[test]
fn rest_patterns_bind_elements_and_copies() {
    let x = [0.7, -1.2, 0.4, 2.1, -0.3];
    let w = 1.3;
    assert_eq!(rest_patterns(x, w), rest_patterns_by_hand(x, w));
    let x5 = |v: &[f64]| [v[0], v[1], v[2], v[3], v[4]];
    check(
        &Case {
            name: "rest_patterns",
            inputs: 6,
            outputs: 3,
            f: &|v| rest_patterns(x5(v), v[5]).to_vec(),
            jvp: &|v, d| {
                let (y, t) = rest_patterns_jvp(x5(v), x5(d), v[5], d[5]);
                (y.to_vec(), t.to_vec())
            },
            vjp: &|v, y| {
                let (mut x_bar, mut w_bar) = ([0.0; 5], 0.0);
                let r = rest_patterns_vjp(x5(v), &mut x_bar, v[5], &mut w_bar, y);
                let mut g = x_bar.to_vec();
                g.push(w_bar);
                (r.to_vec(), g)
            },
        },
        &[x[0], x[1], x[2], x[3], x[4], w],
        11,
    );
}

#[test]
fn deref_patterns_and_array_consts() {
    let u = [0.9, -0.4, 1.7];
    assert_eq!(weighted(&u, 0.6), weighted_by_hand(&u, 0.6));
    check(
        &Case {
            name: "weighted",
            inputs: 4,
            outputs: 1,
            f: &|v| vec![weighted(&[v[0], v[1], v[2]], v[3])],
            jvp: &|v, d| {
                let (y, t) = weighted_jvp(&[v[0], v[1], v[2]], &[d[0], d[1], d[2]], v[3], d[3]);
                (vec![y], vec![t])
            },
            vjp: &|v, y| {
                let (mut u_bar, mut p_bar) = ([0.0; 3], 0.0);
                let r = weighted_vjp(&[v[0], v[1], v[2]], &mut u_bar, v[3], &mut p_bar, y[0]);
                (vec![r], vec![u_bar[0], u_bar[1], u_bar[2], p_bar])
            },
        },
        &[u[0], u[1], u[2], 0.6],
        12,
    );
}

/// Names captured in messages, with format specs, named arguments and `debug_assert!`.
#[differentiable]
fn asserted(x: f64, n: usize) -> f64 {
    let y = x * x;
    assert!(y >= 0.0, "y = {y}, x = {x:.3}, n = {}", n);
    assert_eq!(n % 2, 1, "n = {n} is even; {half} is half", half = n / 2);
    debug_assert!(x.abs() < 1e6, "x = {x:>width$e}", width = 12);
    debug_assert_ne!(y, -1.0, "{y}{{literal}}");
    y * x
}

#[test]
fn messages_read_names_in_the_format_string() {
    common::check_scalar(
        "asserted",
        &|x| asserted(x, 3),
        &|x, d| asserted_jvp(x, d, 3),
        &|x, b, w| asserted_vjp(x, b, 3, w),
        0.7,
        13,
    );
}

#[test]
fn a_failing_message_prints_the_captured_values() {
    let err = std::panic::catch_unwind(|| asserted(0.5, 4)).expect_err("n is even");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(
        msg,
        "assertion `left == right` failed: n = 4 is even; 2 is half\n  left: 0\n right: 1"
    );
    let mut b = 0.0;
    let err = std::panic::catch_unwind(move || asserted_vjp(0.5, &mut b, 4, 1.0))
        .expect_err("the adjoint's forward sweep asserts too");
    let msg2 = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert_eq!(msg, msg2);
}

/// Adversarial names: a rest called `result`, elements `__adj0` and `x_bar`, a constant named
/// like a generated temporary, a raw identifier.
#[allow(non_upper_case_globals)]
#[differentiable]
fn adversarial(x: [f64; 4], r#type: f64) -> f64 {
    let [__adj0, result @ .., x_bar] = x;
    const __array: [f64; 2] = [2.0, 3.0];
    assert!(
        r#type > -10.0,
        "type = {}, result[0] = {}",
        r#type,
        result[0]
    );
    __adj0 * x_bar * r#type + result[0] * __array[0] + result[1] * __array[1] * x_bar
}

#[test]
fn adversarial_names() {
    let x4 = |v: &[f64]| [v[0], v[1], v[2], v[3]];
    check(
        &Case {
            name: "adversarial",
            inputs: 5,
            outputs: 1,
            f: &|v| vec![adversarial(x4(v), v[4])],
            jvp: &|v, d| {
                let (y, t) = adversarial_jvp(x4(v), x4(d), v[4], d[4]);
                (vec![y], vec![t])
            },
            vjp: &|v, y| {
                let (mut x_bar, mut t_bar) = ([0.0; 4], 0.0);
                let r = adversarial_vjp(x4(v), &mut x_bar, v[4], &mut t_bar, y[0]);
                let mut g = x_bar.to_vec();
                g.push(t_bar);
                (vec![r], g)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, 1.9],
        14,
    );
}
