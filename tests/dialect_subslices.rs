//! Issue 12, item 5: sub-slices passed to differentiable calls, `f(&x[1..])`, `f(&x[a..b])`,
//! `f(&x[..=2])`, `g(&mut du[..3], ..);`, `g(&mut du[a..b], ..);` (copied in, and back for
//! `&mut`). Checked three ways (finite differences, the dot-product test, tangent against
//! adjoint, in `common::check`), against the function written with offsets to the bit, with
//! adversarial names, and out-of-range bounds panicking in the companions as in the function.

// The element loops and `vec!`s are the forms under test (each function's typed or
// hand-written twin is compared with it), not style to improve.
#![allow(clippy::manual_memcpy, clippy::useless_vec)]

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn head2(u: &[f64]) -> f64 {
    u[0] * u[1] + u[u.len() - 1]
}

#[differentiable]
fn scale_into(du: &mut [f64], u: &[f64], c: f64) {
    for i in 0..du.len() {
        du[i] = du[i] * c + u[i] * u[i];
    }
}

#[differentiable]
fn blocks(x: &[f64], c: f64, a: usize, b: usize) -> Vec<f64> {
    let mut du = vec![0.0; x.len()];
    for i in 0..x.len() {
        du[i] = x[i];
    }
    let s = head2(&x[1..]) + head2(&x[a..b]) * head2(&x[..=2]);
    scale_into(&mut du[..3], &x[2..5], c);
    scale_into(&mut du[a..b], &x[..b - a], s);
    du
}

fn blocks_by_hand(x: &[f64], c: f64, a: usize, b: usize) -> Vec<f64> {
    let head = |from: usize, to: usize| x[from] * x[from + 1] + x[to - 1];
    let mut du = x.to_vec();
    let s = head(1, x.len()) + head(a, b) * head(0, 3);
    for i in 0..3 {
        du[i] = du[i] * c + x[2 + i] * x[2 + i];
    }
    for i in 0..b - a {
        du[a + i] = du[a + i] * s + x[i] * x[i];
    }
    du
}

/// In place, on a `&mut [f64]` parameter: a right-hand side written by blocks.
#[differentiable]
fn by_blocks(du: &mut [f64], u: &[f64], c: f64) {
    let n = u.len() / 2;
    for i in 0..u.len() {
        du[i] = u[i];
    }
    scale_into(&mut du[..n], &u[n..], c);
    scale_into(&mut du[n..], &u[..n], -c);
}

fn blocks_case<'a>(name: &'a str, a: usize, b: usize) -> Case<'a> {
    Case {
        name,
        inputs: 7,
        outputs: 6,
        f: Box::leak(Box::new(move |v: &[f64]| blocks(&v[..6], v[6], a, b))),
        jvp: Box::leak(Box::new(move |v: &[f64], d: &[f64]| {
            blocks_jvp(&v[..6], &d[..6], v[6], d[6], a, b)
        })),
        vjp: Box::leak(Box::new(move |v: &[f64], y: &[f64]| {
            let (mut x_bar, mut c_bar) = (vec![0.0; 6], 0.0);
            let r = blocks_vjp(&v[..6], &mut x_bar, v[6], &mut c_bar, a, b, y);
            x_bar.push(c_bar);
            (r, x_bar)
        })),
    }
}

#[test]
fn subslices_are_passed_to_calls() {
    let x = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9];
    for (a, b) in [(1, 4), (0, 6), (2, 4)] {
        assert_eq!(blocks(&x, 1.3, a, b), blocks_by_hand(&x, 1.3, a, b));
        let mut v = x.to_vec();
        v.push(1.3);
        check(&blocks_case("blocks", a, b), &v, 20 + a as u64);
    }
}

#[test]
fn mut_subslices_of_a_mut_parameter() {
    let n = 6;
    check(
        &Case {
            name: "by_blocks",
            inputs: n + 1,
            outputs: n,
            f: &|v| {
                let mut du = vec![0.0; n];
                by_blocks(&mut du, &v[..n], v[n]);
                du
            },
            jvp: &|v, d| {
                let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
                by_blocks_jvp(&mut du, &mut du_dot, &v[..n], &d[..n], v[n], d[n]);
                (du, du_dot)
            },
            vjp: &|v, y| {
                let mut du = vec![0.0; n];
                let mut du_bar = y.to_vec();
                let (mut u_bar, mut c_bar) = (vec![0.0; n], 0.0);
                by_blocks_vjp(&mut du, &mut du_bar, &v[..n], &mut u_bar, v[n], &mut c_bar);
                u_bar.push(c_bar);
                (du, u_bar)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, 1.9, -0.4, 0.8],
        30,
    );
}

#[test]
fn out_of_range_panics_in_the_companions_too() {
    let x = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9];
    assert!(std::panic::catch_unwind(|| blocks(&x, 1.0, 4, 8)).is_err());
    let err =
        std::panic::catch_unwind(|| blocks_jvp(&x, &x, 1.0, 0.0, 4, 8)).expect_err("out of range");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("out of range: 4..8 of a slice of length 6"),
        "{msg}"
    );
}

/// Names of the generated code's for the arrays and bounds.
#[differentiable]
fn adversarial(__sub: &[f64], __from: usize, r#to: usize) -> f64 {
    let mut __i = vec![0.0; 3];
    scale_into(&mut __i[1..], &__sub[__from..r#to], 2.0);
    let result = head2(&__i[..]);
    result * head2(&__sub[__from..])
}

#[test]
fn adversarial_names() {
    check(
        &Case {
            name: "adversarial",
            inputs: 5,
            outputs: 1,
            f: &|v| vec![adversarial(v, 1, 3)],
            jvp: &|v, d| {
                let (y, t) = adversarial_jvp(v, d, 1, 3);
                (vec![y], vec![t])
            },
            vjp: &|v, y| {
                let mut b = vec![0.0; 5];
                let r = adversarial_vjp(v, &mut b, 1, 3, y[0]);
                (vec![r], b)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, 1.9],
        31,
    );
}
