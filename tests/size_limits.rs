//! Functions far bigger than usual compile through the macro wherever the plain function does,
//! and their derivatives pass the three checks: a sum of 2,000 terms, a method chain of 1,000
//! calls, a `match` of 1,000 arms, 100 nested loops, 250 loops in sequence, 50 nested matrix
//! negations. The functions are in `tests/size_limits/`, written by
//! `expand/tests/size_limits.rs`, which also expands bigger ones without rustc. (rustc's borrow
//! checker takes time superlinear in the number of loops of one function: on the adjoint of
//! 1,000 loops in sequence it takes minutes, so this test stays at 250.)

mod common;

use common::{check, Case};
use nalgebra::DMatrix;
use tapeless::differentiable;

include!("size_limits/long_sum.rs");
include!("size_limits/method_chain.rs");
include!("size_limits/long_match.rs");
include!("size_limits/nested_loops.rs");
include!("size_limits/sequential_loops.rs");
include!("size_limits/nested_negation.rs");

#[test]
fn a_sum_of_two_thousand_terms() {
    check(
        &Case {
            name: "long_sum",
            inputs: 2,
            outputs: 1,
            f: &|x| vec![long_sum(x[0], x[1])],
            jvp: &|x, d| {
                let (v, t) = long_sum_jvp(x[0], d[0], x[1], d[1]);
                (vec![v], vec![t])
            },
            vjp: &|x, b| {
                let (mut xb, mut yb) = (0.0, 0.0);
                let v = long_sum_vjp(x[0], &mut xb, x[1], &mut yb, b[0]);
                (vec![v], vec![xb, yb])
            },
        },
        &[0.3, -1.2],
        1,
    );
    // The coefficients are integers: the derivatives are exact, whatever the temporaries.
    let (_, dx) = long_sum_jvp(0.3, 1.0, -1.2, 0.0);
    let (_, dy) = long_sum_jvp(0.3, 0.0, -1.2, 1.0);
    let even: f64 = (1..=2000).filter(|k| k % 2 == 0).map(|k| k as f64).sum();
    let odd: f64 = (1..=2000).filter(|k| k % 2 == 1).map(|k| k as f64).sum();
    assert_eq!((dx, dy), (even, odd));
    let (_, grad) = long_sum_grad(0.3, -1.2);
    assert_eq!(grad, (even, odd));
}

#[test]
fn a_chain_of_a_thousand_methods() {
    check(
        &Case {
            name: "method_chain",
            inputs: 1,
            outputs: 1,
            f: &|x| vec![method_chain(x[0])],
            jvp: &|x, d| {
                let (v, t) = method_chain_jvp(x[0], d[0]);
                (vec![v], vec![t])
            },
            vjp: &|x, b| {
                let mut xb = 0.0;
                let v = method_chain_vjp(x[0], &mut xb, b[0]);
                (vec![v], vec![xb])
            },
        },
        &[0.7],
        2,
    );
    // Every four calls are the identity: value and derivative stay at `x` and 1.
    let (v, d): (f64, f64) = method_chain_jvp(0.7, 1.0);
    assert!(
        (v - 0.7).abs() < 1e-12 && (d - 1.0).abs() < 1e-10,
        "{v} {d}"
    );
}

#[test]
fn a_match_of_a_thousand_arms_takes_the_arm_the_plain_function_takes() {
    // Arms 0 (guarded, then not), `1 | 2`, `3..=5`, the numbered ones and `_`.
    for (k, x) in [
        (0, 1.5),
        (0, 0.5),
        (2, 0.3),
        (4, 0.3),
        (6, 0.3),
        (517, 0.9),
        (998, -0.4),
        (999, 0.2),
        (5000, 0.2),
    ] {
        check(
            &Case {
                name: "long_match",
                inputs: 1,
                outputs: 1,
                f: &|x| vec![long_match(x[0], k)],
                jvp: &|x, d| {
                    let (v, t) = long_match_jvp(x[0], d[0], k);
                    (vec![v], vec![t])
                },
                vjp: &|x, b| {
                    let mut xb = 0.0;
                    let v = long_match_vjp(x[0], &mut xb, k, b[0]);
                    (vec![v], vec![xb])
                },
            },
            &[x],
            3 + k as u64,
        );
    }
}

#[test]
fn a_hundred_nested_loops() {
    check(
        &Case {
            name: "nested_loops",
            inputs: 1,
            outputs: 1,
            f: &|x| vec![nested_loops(x[0])],
            jvp: &|x, d| {
                let (v, t) = nested_loops_jvp(x[0], d[0]);
                (vec![v], vec![t])
            },
            vjp: &|x, b| {
                let mut xb = 0.0;
                let v = nested_loops_vjp(x[0], &mut xb, b[0]);
                (vec![v], vec![xb])
            },
        },
        &[0.8],
        4,
    );
}

#[test]
fn loops_in_sequence() {
    let u = [0.9, -0.8, 1.1];
    check(
        &Case {
            name: "sequential_loops",
            inputs: 3,
            outputs: 1,
            f: &|x| vec![sequential_loops(x)],
            jvp: &|x, d| {
                let (v, t) = sequential_loops_jvp(x, d);
                (vec![v], vec![t])
            },
            vjp: &|x, b| {
                let mut xb = vec![0.0; x.len()];
                let v = sequential_loops_vjp(x, &mut xb, b[0]);
                (vec![v], xb)
            },
        },
        &u,
        5,
    );
}

#[test]
fn fifty_nested_matrix_negations() {
    let w = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 0.25, 3.0, -0.75]);
    let (v, g) = nested_negation_grad(&w);
    // Fifty negations are the identity.
    assert_eq!(v, w.sum());
    assert_eq!(nested_negation(&w), v);
    assert_eq!(g, DMatrix::from_element(2, 3, 1.0));
    let (v, t) = nested_negation_jvp(&w, &DMatrix::from_element(2, 3, 0.5));
    assert_eq!((v, t), (w.sum(), 3.0));
}
