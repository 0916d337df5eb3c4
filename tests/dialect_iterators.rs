//! Issue 12, item 3: iterators over index lists (`for &k in idx`, `idx.iter().map(|&k| x[k])`,
//! the sparse observations of 4D-Var) and `filter` (closures over reals and indices, capturing a
//! tolerance), with `fold(f64::NEG_INFINITY, f64::max)` for a maximum. Checked three ways
//! (finite differences, the dot-product test, tangent against adjoint, in `common::check`),
//! against the loops written by hand to the bit, and with adversarial names.

mod common;

use common::{check, Case};
use tapeless::differentiable;

/// A sparse misfit: the state observed at the indices `idx`.
#[differentiable]
fn sparse_misfit(x: &[f64], idx: &[usize], y: &[f64]) -> f64 {
    let mut j = 0.0;
    for (m, &k) in idx.iter().enumerate() {
        let d = x[k] - y[m];
        j += d * d;
    }
    let s: f64 = idx.iter().map(|&k| x[k] * x[k]).sum();
    for &k in idx {
        j += 0.1 * x[k];
    }
    for k in idx.iter().rev() {
        j += 0.01 * x[*k] * x[*k];
    }
    j + s
}

fn sparse_misfit_by_hand(x: &[f64], idx: &[usize], y: &[f64]) -> f64 {
    let mut j = 0.0;
    for m in 0..idx.len() {
        let d = x[idx[m]] - y[m];
        j += d * d;
    }
    let mut s = 0.0;
    for m in 0..idx.len() {
        s += x[idx[m]] * x[idx[m]];
    }
    for m in 0..idx.len() {
        j += 0.1 * x[idx[m]];
    }
    for m in (0..idx.len()).rev() {
        j += 0.01 * x[idx[m]] * x[idx[m]];
    }
    j + s
}

/// `filter` before `map`, after `enumerate`, after `copied` into a maximum, with a captured
/// tolerance, and in a reversed `for` loop.
#[differentiable]
fn filtered(x: &[f64], tol: f64) -> f64 {
    let logs = x.iter().filter(|v| **v > tol).map(|v| v.ln()).sum::<f64>();
    let mut even = 0.0;
    for (i, &v) in x.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        even += v * v * (i as f64 + 1.0);
    }
    let m = x
        .iter()
        .copied()
        .filter(|&v| v < 1.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut odd = 0.0;
    for v in x.iter().filter(|&&v| v > 0.2).rev() {
        if *v <= 2.0 {
            odd = odd * 0.5 + v.sqrt().abs() * 0.0 + v;
        }
    }
    logs + even + m * tol + odd
}

// Index loops on purpose: the reference is written the way the chain is lowered.
#[allow(clippy::needless_range_loop)]
fn filtered_by_hand(x: &[f64], tol: f64) -> f64 {
    let mut logs = 0.0;
    for i in 0..x.len() {
        if x[i] > tol {
            logs += x[i].ln();
        }
    }
    let mut even = 0.0;
    for i in (0..x.len()).step_by(2) {
        even += x[i] * x[i] * (i as f64 + 1.0);
    }
    let mut m = f64::NEG_INFINITY;
    for i in 0..x.len() {
        if x[i] < 1.0 {
            m = m.max(x[i]);
        }
    }
    let mut odd = 0.0;
    for i in (0..x.len()).rev() {
        if x[i] > 0.2 && x[i] <= 2.0 {
            odd = odd * 0.5 + x[i].sqrt().abs() * 0.0 + x[i];
        }
    }
    logs + even + m * tol + odd
}

#[test]
fn index_lists_are_iterated() {
    let x = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9];
    let idx = [4, 0, 3];
    let y = [0.1, 0.2, -0.5];
    assert_eq!(
        sparse_misfit(&x, &idx, &y),
        sparse_misfit_by_hand(&x, &idx, &y)
    );
    let mut v = x.to_vec();
    v.extend(y);
    check(
        &Case {
            name: "sparse_misfit",
            inputs: 9,
            outputs: 1,
            f: &|v| vec![sparse_misfit(&v[..6], &idx, &v[6..])],
            jvp: &|v, d| {
                let (r, t) = sparse_misfit_jvp(&v[..6], &d[..6], &idx, &v[6..], &d[6..]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut x_bar, mut y_bar) = (vec![0.0; 6], vec![0.0; 3]);
                let r = sparse_misfit_vjp(&v[..6], &mut x_bar, &idx, &v[6..], &mut y_bar, w[0]);
                x_bar.extend(y_bar);
                (vec![r], x_bar)
            },
        },
        &v,
        40,
    );
}

#[test]
fn filters_keep_the_items_that_pass() {
    // Negative items: `ln` and `sqrt` would be NaN where the filters drop them.
    let x = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9, 2.5, 0.1];
    assert_eq!(filtered(&x, 0.3), filtered_by_hand(&x, 0.3));
    let mut v = x.to_vec();
    v.push(0.3);
    check(
        &Case {
            name: "filtered",
            inputs: 9,
            outputs: 1,
            f: &|v| vec![filtered(&v[..8], v[8])],
            jvp: &|v, d| {
                let (r, t) = filtered_jvp(&v[..8], &d[..8], v[8], d[8]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut x_bar, mut tol_bar) = (vec![0.0; 8], 0.0);
                let r = filtered_vjp(&v[..8], &mut x_bar, v[8], &mut tol_bar, w[0]);
                assert!(x_bar.iter().all(|g| f64::is_finite(*g)));
                x_bar.push(tol_bar);
                (vec![r], x_bar)
            },
        },
        &v,
        41,
    );
}

/// Names of the generated code's, raw identifiers, in the closures and index lists.
#[differentiable]
fn adversarial(x_bar: &[f64], r#match: &[usize], result: f64) -> f64 {
    let __adj0 = r#match.iter().map(|&__i| x_bar[__i]).sum::<f64>();
    let __sum = x_bar
        .iter()
        .filter(|r#type| **r#type > result)
        .fold(0.0, |__acc, x_dot| __acc + x_dot * x_dot);
    __adj0 * result + __sum
}

#[test]
fn adversarial_names() {
    let idx = [2, 0];
    check(
        &Case {
            name: "adversarial",
            inputs: 5,
            outputs: 1,
            f: &|v| vec![adversarial(&v[..4], &idx, v[4])],
            jvp: &|v, d| {
                let (r, t) = adversarial_jvp(&v[..4], &d[..4], &idx, v[4], d[4]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut b, mut rb) = (vec![0.0; 4], 0.0);
                let r = adversarial_vjp(&v[..4], &mut b, &idx, v[4], &mut rb, w[0]);
                b.push(rb);
                (vec![r], b)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, 0.2],
        42,
    );
}
