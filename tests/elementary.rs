//! Every elementary function and operator, checked three ways, and their conventions at kinks.

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn unary_chain(x: f64) -> [f64; 12] {
    [
        x.sin(),
        x.cos(),
        x.tan(),
        x.exp(),
        x.ln(),
        x.log10(),
        x.sqrt(),
        x.tanh(),
        x.sinh(),
        x.cosh(),
        x.atan(),
        (x - 2.0).abs(),
    ]
}

#[differentiable]
fn binary_ops(a: f64, b: f64) -> (f64, f64, f64, f64, f64, f64, f64, f64, f64, f64) {
    (
        a + b,
        a - b,
        a * b,
        a / b,
        a.powf(b),
        a.atan2(b),
        a.hypot(b),
        a.min(b),
        a.max(b),
        -a.powi(3) + f64::max(a, 2.0 * b) * f64::sin(b),
    )
}

fn unary_values(x: f64) -> Vec<f64> {
    unary_chain(x).to_vec()
}

#[test]
fn unary_functions() {
    for x in [0.3, 0.9, 1.4] {
        check(
            &Case {
                name: "unary_chain",
                inputs: 1,
                outputs: 12,
                f: &|x| unary_values(x[0]),
                jvp: &|x, d| {
                    let (v, t) = unary_chain_jvp(x[0], d[0]);
                    (v.to_vec(), t.to_vec())
                },
                vjp: &|x, w| {
                    let mut xb = 0.0;
                    let seed: [f64; 12] = w.try_into().expect("12 seeds");
                    let v = unary_chain_vjp(x[0], &mut xb, &seed);
                    (v.to_vec(), vec![xb])
                },
            },
            &[x],
            11,
        );
    }
}

fn tuple10(t: (f64, f64, f64, f64, f64, f64, f64, f64, f64, f64)) -> Vec<f64> {
    vec![t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9]
}

#[test]
fn binary_functions() {
    for (a, b) in [(0.7, 1.3), (1.9, 0.4), (2.5, -0.6)] {
        check(
            &Case {
                name: "binary_ops",
                inputs: 2,
                outputs: 10,
                f: &|x| tuple10(binary_ops(x[0], x[1])),
                jvp: &|x, d| {
                    let (v, t) = binary_ops_jvp(x[0], d[0], x[1], d[1]);
                    (tuple10(v), tuple10(t))
                },
                vjp: &|x, w| {
                    let (mut ab, mut bb) = (0.0, 0.0);
                    let seed = (w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]);
                    let v = binary_ops_vjp(x[0], &mut ab, x[1], &mut bb, seed);
                    (tuple10(v), vec![ab, bb])
                },
            },
            &[a, b],
            12,
        );
    }
}

#[differentiable]
fn kinks(x: f64, y: f64) -> f64 {
    x.abs() + x.min(y) + x.max(y) + x.hypot(y)
}

#[test]
fn kinks_follow_the_runtime_conventions() {
    // abs'(0) = 0; min and max pass the derivative to their first argument on ties;
    // hypot has zero partials at the origin.
    let (v, g) = kinks_grad(0.0, 0.0);
    assert_eq!(v, kinks(0.0, 0.0));
    assert_eq!(g, (2.0, 0.0));
    let (_, t) = kinks_jvp(0.0, 1.0, 0.0, 0.0);
    assert_eq!(t, 2.0);
}
