//! Issue 12, item 5: tuples given by branches, `let (left, right) = if .. { (a, b) } else {
//! (c, d) };`, by `match` arms (blocks among them), by a block, by a `loop` that breaks with a
//! tuple, with `_`, integer and typed elements. Proved three ways (central differences, the
//! dot-product test to 1e-12, tangent against adjoint), by Hessian-vector products at dual
//! numbers, and equal to the bit to the same function with one `let` per element.

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

#[differentiable]
fn by_tuples(x: &[f64]) -> f64 {
    let n = x.len() - 1;
    let c = x[n];
    let u = &x[..n];
    let mut result = 0.0;
    for i in 0..n {
        let (left, right) = if i == 0 {
            (0.0, u[1])
        } else if i + 1 == n {
            (u[i - 1], 0.0)
        } else {
            (u[i - 1], u[i + 1])
        };
        let (__tl_tuple, _, k) = match i % 3 {
            0 => (left * c, 1.0, 2),
            1 => {
                let t = right.sin();
                (t, t * t, 3)
            }
            _ => (c, right, 4),
        };
        let (p, q): (f64, f64) = {
            let m = 0.5 * (left + right);
            (m * m, m - u[i])
        };
        result += __tl_tuple * (left - 2.0 * u[i] + right) * k as f64 + p * q;
    }
    let mut y = c;
    let (root, steps) = loop {
        let next = 0.5 * (y + 2.0 / y);
        if (next - y).abs() < 1e-14 {
            break (next * result, 1);
        }
        y = next;
    };
    root + steps as f64
}

#[differentiable]
#[allow(clippy::if_same_then_else, unused_assignments)] // the values before the branches are never read
fn by_elements(x: &[f64]) -> f64 {
    let n = x.len() - 1;
    let c = x[n];
    let u = &x[..n];
    let mut result = 0.0;
    for i in 0..n {
        let left = if i == 0 {
            0.0
        } else if i + 1 == n {
            u[i - 1]
        } else {
            u[i - 1]
        };
        let right = if i == 0 {
            u[1]
        } else if i + 1 == n {
            0.0
        } else {
            u[i + 1]
        };
        let mut a = 0.0;
        let mut k = 0;
        match i % 3 {
            0 => {
                a = left * c;
                k = 2;
            }
            1 => {
                let t = right.sin();
                a = t;
                k = 3;
            }
            _ => {
                a = c;
                k = 4;
            }
        }
        let m = 0.5 * (left + right);
        let p = m * m;
        let q = m - u[i];
        result += a * (left - 2.0 * u[i] + right) * k as f64 + p * q;
    }
    let mut y = c;
    let mut root = 0.0;
    loop {
        let next = 0.5 * (y + 2.0 / y);
        if (next - y).abs() < 1e-14 {
            root = next * result;
            break;
        }
        y = next;
    }
    root + 1.0
}

#[test]
fn tuples_given_by_branches() {
    let s = scalar!(by_tuples, by_tuples_jvp, by_tuples_vjp);
    let x = [0.3, -0.5, 0.8, 1.1, 0.2, 1.7];
    prove(&s, &x, 110);
    let (mut ga, mut gb) = ([0.0; 6], [0.0; 6]);
    let va = by_tuples_vjp(&x, &mut ga, 1.0);
    let vb = by_elements_vjp(&x, &mut gb, 1.0);
    assert_eq!(va.to_bits(), vb.to_bits());
    assert_eq!(ga.map(f64::to_bits), gb.map(f64::to_bits));
}
