//! Issue 12, items 5 and 3: the Rust of a Lorenz-63 study as written, without the annotations and
//! loops the subset used to ask for. `let k1 = lorenz(u, p);` with no type (the kind found from
//! how `k1` is used) and whole-array assignment `u = rk4(u, h, p);`, `u = v;`, `u = [..];` of
//! fixed-size arrays. Each is checked three ways (finite differences, the dot-product test,
//! tangent against adjoint, in `common::check`, which also compares the companions' values with
//! the function's bit for bit), against a version written in the older subset to the bit, and
//! with adversarial names.

// The element loops and `vec!`s are the forms under test (each function's typed or
// hand-written twin is compared with it), not style to improve.
#![allow(clippy::manual_memcpy)]

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn lorenz(u: [f64; 3], p: &[f64]) -> [f64; 3] {
    let [x, y, z] = u;
    [p[0] * (y - x), x * (p[1] - z) - y, x * y - p[2] * z]
}

#[differentiable]
fn energy(u: [f64; 3]) -> f64 {
    0.5 * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2])
}

/// RK4 as a Rust programmer writes it: no types on the stages. `k4` is passed whole to `energy`
/// before it is indexed, and `e` is a real.
#[differentiable]
fn rk4(u: [f64; 3], h: f64, p: &[f64]) -> [f64; 3] {
    let k1 = lorenz(u, p);
    let mut v = [0.0; 3];
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k1[i];
    }
    let k2 = lorenz(v, p);
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k2[i];
    }
    let k3 = lorenz(v, p);
    for i in 0..3 {
        v[i] = u[i] + h * k3[i];
    }
    let k4 = lorenz(v, p);
    let e = energy(k4);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) + 1e-9 * e;
    }
    out
}

/// The same in the older subset: every stage typed.
#[differentiable]
fn rk4_typed(u: [f64; 3], h: f64, p: &[f64]) -> [f64; 3] {
    let k1: [f64; 3] = lorenz(u, p);
    let mut v = [0.0; 3];
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k1[i];
    }
    let k2: [f64; 3] = lorenz(v, p);
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k2[i];
    }
    let k3: [f64; 3] = lorenz(v, p);
    for i in 0..3 {
        v[i] = u[i] + h * k3[i];
    }
    let k4: [f64; 3] = lorenz(v, p);
    let e: f64 = energy(k4);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) + 1e-9 * e;
    }
    out
}

const P: [f64; 3] = [10.0, 28.0, 8.0 / 3.0];

fn u3(x: &[f64]) -> [f64; 3] {
    [x[0], x[1], x[2]]
}

macro_rules! step_case {
    ($name:literal, $f:ident, $jvp:ident, $vjp:ident) => {
        Case {
            name: $name,
            inputs: 7,
            outputs: 3,
            f: &|x| $f(u3(x), x[3], &x[4..]).to_vec(),
            jvp: &|x, d| {
                let (v, t) = $jvp(u3(x), u3(d), x[3], d[3], &x[4..], &d[4..]);
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, y| {
                let (mut u_bar, mut h_bar, mut p_bar) = ([0.0; 3], 0.0, [0.0; 3]);
                let v = $vjp(u3(x), &mut u_bar, x[3], &mut h_bar, &x[4..], &mut p_bar, y);
                let mut g = u_bar.to_vec();
                g.push(h_bar);
                g.extend(p_bar);
                (v.to_vec(), g)
            },
        }
    };
}

#[test]
fn untyped_call_results_are_found_by_their_uses() {
    let x = [1.2, -0.7, 20.5, 0.01, P[0], P[1], P[2]];
    assert_eq!(rk4(u3(&x), x[3], &P), rk4_typed(u3(&x), x[3], &P));
    let (a, ad) = rk4_jvp(u3(&x), [1.0, 0.5, -0.2], 0.01, 0.3, &P, &[0.1, 0.2, 0.3]);
    let (b, bd) = rk4_typed_jvp(u3(&x), [1.0, 0.5, -0.2], 0.01, 0.3, &P, &[0.1, 0.2, 0.3]);
    assert_eq!((a, ad), (b, bd));
    check(&step_case!("rk4", rk4, rk4_jvp, rk4_vjp), &x, 1);
    check(
        &step_case!("rk4_typed", rk4_typed, rk4_typed_jvp, rk4_typed_vjp),
        &x,
        2,
    );
}

/// Whole-array assignment: `u = rk4(u, h, p);` in a loop, `u = v;`, `u = [..];`.
#[differentiable]
fn trajectory(u0: [f64; 3], h: f64, p: &[f64]) -> [f64; 3] {
    let mut u = u0;
    let mut best = [0.0; 3];
    for k in 0..20 {
        u = rk4(u, h, p);
        if k == 7 {
            best = u;
        }
    }
    if u[2] > best[2] {
        u = [u[0] + best[0], u[1] * best[1], u[2]];
    }
    u = rk4(u, h, p);
    u
}

#[differentiable]
fn trajectory_by_elements(u0: [f64; 3], h: f64, p: &[f64]) -> [f64; 3] {
    let mut u = u0;
    let mut best = [0.0; 3];
    for k in 0..20 {
        let next: [f64; 3] = rk4(u, h, p);
        for i in 0..3 {
            u[i] = next[i];
        }
        if k == 7 {
            for i in 0..3 {
                best[i] = u[i];
            }
        }
    }
    if u[2] > best[2] {
        let w = [u[0] + best[0], u[1] * best[1], u[2]];
        for i in 0..3 {
            u[i] = w[i];
        }
    }
    let last: [f64; 3] = rk4(u, h, p);
    last
}

#[test]
fn whole_arrays_are_assigned() {
    let x = [1.2, -0.7, 20.5, 0.01, P[0], P[1], P[2]];
    assert_eq!(
        trajectory(u3(&x), x[3], &P),
        trajectory_by_elements(u3(&x), x[3], &P)
    );
    check(
        &step_case!("trajectory", trajectory, trajectory_jvp, trajectory_vjp),
        &x,
        3,
    );
    let mut g1 = ([0.0; 3], 0.0, [0.0; 3]);
    let mut g2 = g1;
    let w = [0.3, -1.0, 0.7];
    trajectory_vjp(u3(&x), &mut g1.0, x[3], &mut g1.1, &P, &mut g1.2, &w);
    trajectory_by_elements_vjp(u3(&x), &mut g2.0, x[3], &mut g2.1, &P, &mut g2.2, &w);
    for (a, b) in g1.0.iter().chain(&g1.2).zip(g2.0.iter().chain(&g2.2)) {
        common::assert_close(*a, *b, 1e-13, "trajectory against trajectory_by_elements");
    }
}

/// Names of the generated code's (`result`, `__adj0`, `x_bar`, `__whole`, `__i`) and raw
/// identifiers for the untyped results and the arrays assigned whole.
#[differentiable]
fn adversarial(r#u: [f64; 3], h: f64, p: &[f64]) -> [f64; 3] {
    let result = lorenz(u, p);
    let __adj0 = energy(result);
    let mut x_bar = [0.0; 3];
    let __i = 2;
    let mut __whole = u;
    for r#i in 0..3 {
        x_bar[i] = result[i] * h + __adj0 * 1e-3;
    }
    __whole = rk4(x_bar, h, p);
    x_bar = __whole;
    x_bar[__i] += __adj0;
    x_bar
}

#[test]
fn adversarial_names() {
    let x = [1.2, -0.7, 2.5, 0.05, P[0], P[1], P[2]];
    check(
        &step_case!("adversarial", adversarial, adversarial_jvp, adversarial_vjp),
        &x,
        4,
    );
}
