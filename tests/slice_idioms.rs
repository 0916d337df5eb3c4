//! Issue 12, items 3 and 5: the slice and tuple idioms a scientist writes, as written.
//!
//! - `u.copy_from_slice(&v)`, `u.clone_from_slice(x)`, `u.fill(c)` on local `Vec`s, local
//!   arrays, `&mut` parameters and sub-slices of each, panicking with std's message where the
//!   function does;
//! - `*x.last().unwrap()`, `x.last().copied().unwrap()`, `*x.first().unwrap()`, panicking on an
//!   empty slice as the function does;
//! - sub-slices bound to locals, `let tail = &x[1..];`, read, iterated, passed on, copied with
//!   `to_vec()`, and `let blk = &mut u[a..b];` written;
//! - tuples held in locals, `let p = (a * b, c.exp());`, `p.0`, `let (q, r) = p;`,
//!   `(a, b) = (b, a);`.
//!
//! Each function is checked three ways (central differences, the dot-product test, tangent
//! against adjoint, in `common::check`), against the function written with loops and indices
//! to the bit, and the scalar ones by Hessian-vector products at `Dual` (symmetric, equal to
//! differences of gradients). Adversarial names (`result`, `x_bar`, `__adj0`, `__i`, raw
//! identifiers) and a `macro_rules!` case.

// The loops are the hand-written twins the idioms are compared with, not style to improve.
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

mod common;

use common::{check, Case};
use tapeless::{differentiable, Dual};

type D = Dual<f64, 1>;

/// `H v` at `x`, given `x` and `v`.
type Hvp<'a> = &'a dyn Fn(&[f64], &[f64]) -> Vec<f64>;

/// Checks a scalar function of `x` by Hessian-vector products: `hv(x, v)` (the adjoint at
/// `Dual`) symmetric, and equal to differences of the gradient `grad`.
fn check_hvp(name: &str, x: &[f64], hv: Hvp, grad: &dyn Fn(&[f64]) -> Vec<f64>) {
    let n = x.len();
    let mut draws = common::Draws::new(7);
    let (a, b) = (draws.vec(n), draws.vec(n));
    let (ha, hb) = (hv(x, &a), hv(x, &b));
    let dot = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(&b, &ha), dot(&a, &hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()).max(1e-300),
        "{name}: H not symmetric: {l} vs {r}"
    );
    // Central differences of the gradient, Richardson-extrapolated (error O(eps^4)): a time
    // loop's third derivatives are large enough to show in plain central differences.
    let eps = 1e-4;
    let at = |s: f64| -> Vec<f64> { x.iter().zip(&a).map(|(x, a)| x + s * a).collect() };
    let central = |e: f64| -> Vec<f64> {
        let (gp, gm) = (grad(&at(e)), grad(&at(-e)));
        gp.iter()
            .zip(&gm)
            .map(|(p, m)| (p - m) / (2.0 * e))
            .collect()
    };
    let (coarse, fine) = (central(eps), central(eps / 2.0));
    for i in 0..n {
        let fd = (4.0 * fine[i] - coarse[i]) / 3.0;
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "{name}: H a [{i}] = {} but differences of gradients give {fd}",
            ha[i]
        );
    }
}

/// Duals `x + t v`.
fn duals(x: &[f64], v: &[f64]) -> Vec<D> {
    x.iter().zip(v).map(|(&x, &v)| D::new(x, [v])).collect()
}

fn tangents(g: &[D]) -> Vec<f64> {
    g.iter().map(|g| g.tangents[0]).collect()
}

/// The panic message of `f`.
fn panic_of<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).err().expect("it panics");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ---- 1. copy_from_slice, clone_from_slice, fill -------------------------------------------

/// Copies and fills of a local `Vec`, a local array and sub-slices of each.
#[differentiable]
fn copies(x: &[f64], c: f64) -> Vec<f64> {
    let n = x.len();
    let mut u = vec![0.0; n];
    u.copy_from_slice(x);
    u[1..].fill(c * x[0]);
    u[..2].copy_from_slice(&x[n - 2..]);
    let mut a = [0.0; 3];
    a.clone_from_slice(&u[n - 3..]);
    a[1..].fill(c.sin());
    let mut out = vec![0.0; n];
    out.copy_from_slice(&u);
    out[0] = out[0] * a[0] + a[1] * a[2].cos();
    out[n - 1] *= x[1];
    out
}

fn copies_by_hand(x: &[f64], c: f64) -> Vec<f64> {
    let n = x.len();
    let mut u = x.to_vec();
    for i in 1..n {
        u[i] = c * x[0];
    }
    u[0] = x[n - 2];
    u[1] = x[n - 1];
    let mut a = [u[n - 3], u[n - 2], u[n - 1]];
    a[1] = c.sin();
    a[2] = c.sin();
    let mut out = u.clone();
    out[0] = out[0] * a[0] + a[1] * a[2].cos();
    out[n - 1] *= x[1];
    out
}

fn copies_case() -> Case<'static> {
    Case {
        name: "copies",
        inputs: 6,
        outputs: 5,
        f: &|v| copies(&v[..5], v[5]),
        jvp: &|v, d| copies_jvp(&v[..5], &d[..5], v[5], d[5]),
        vjp: &|v, y| {
            let (mut x_bar, mut c_bar) = (vec![0.0; 5], 0.0);
            let r = copies_vjp(&v[..5], &mut x_bar, v[5], &mut c_bar, y);
            x_bar.push(c_bar);
            (r, x_bar)
        },
    }
}

#[test]
fn copies_and_fills_of_locals() {
    let v = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9];
    assert_eq!(copies(&v[..5], v[5]), copies_by_hand(&v[..5], v[5]));
    check(&copies_case(), &v, 1);
}

/// In place, on `&mut` parameters: a right-hand side written by whole copies and fills.
#[differentiable]
fn rhs_copies(du: &mut [f64], u: &[f64], c: f64) {
    let n = u.len();
    du.copy_from_slice(u);
    du[..2].fill(c);
    du[2..].copy_from_slice(&u[..n - 2]);
    for i in 0..n {
        du[i] *= u[(i + 1) % n];
    }
}

fn rhs_copies_case(n: usize) -> Case<'static> {
    Case {
        name: "rhs_copies",
        inputs: n + 1,
        outputs: n,
        f: Box::leak(Box::new(move |v: &[f64]| {
            let mut du = vec![0.0; n];
            rhs_copies(&mut du, &v[..n], v[n]);
            du
        })),
        jvp: Box::leak(Box::new(move |v: &[f64], d: &[f64]| {
            let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
            rhs_copies_jvp(&mut du, &mut du_dot, &v[..n], &d[..n], v[n], d[n]);
            (du, du_dot)
        })),
        vjp: Box::leak(Box::new(move |v: &[f64], y: &[f64]| {
            let mut du = vec![0.0; n];
            let mut du_bar = y.to_vec();
            let (mut u_bar, mut c_bar) = (vec![0.0; n], 0.0);
            rhs_copies_vjp(&mut du, &mut du_bar, &v[..n], &mut u_bar, v[n], &mut c_bar);
            u_bar.push(c_bar);
            (du, u_bar)
        })),
    }
}

#[test]
fn copies_and_fills_of_mut_parameters() {
    let v = [0.3, -0.8, 1.1, 0.5, 1.9, -0.4, 0.8];
    let mut du = [9.0; 6];
    rhs_copies(&mut du, &v[..6], v[6]);
    let mut by_hand = [v[6], v[6], v[0], v[1], v[2], v[3]];
    for i in 0..6 {
        by_hand[i] *= v[(i + 1) % 6];
    }
    assert_eq!(du, by_hand);
    check(&rhs_copies_case(6), &v, 2);
}

/// A copy between arrays of different lengths: std panics, and so do the companions, with
/// std's message.
#[differentiable]
fn mismatched(x: &[f64], k: usize, clone: bool) -> f64 {
    let mut u = vec![0.0; k];
    if clone {
        u.clone_from_slice(x);
    } else {
        u.copy_from_slice(x);
    }
    u[0] * x[0]
}

#[test]
fn mismatched_lengths_panic_as_std_does() {
    let x = [0.5, 1.5, 2.5];
    assert_eq!(mismatched(&x, 3, false), 0.25);
    for clone in [false, true] {
        let expected = panic_of(|| mismatched(&x, 2, clone));
        assert!(expected.contains("length"), "{expected}");
        assert_eq!(panic_of(|| mismatched_jvp(&x, &x, 2, clone)), expected);
        assert_eq!(
            panic_of(|| mismatched_vjp(&x, &mut [0.0; 3], 2, clone, 1.0)),
            expected
        );
    }
    // A sub-slice out of range panics in the companions as well.
    let short = [0.5];
    assert!(std::panic::catch_unwind(|| copies(&short, 1.0)).is_err());
    assert!(std::panic::catch_unwind(|| copies_jvp(&short, &short, 1.0, 0.0)).is_err());
}

// ---- 2. first and last -------------------------------------------------------------------

#[differentiable]
fn ends(x: &[f64]) -> f64 {
    let l = *x.last().unwrap();
    let f = x.first().copied().unwrap();
    l * f + x.last().cloned().unwrap().sin() * *x[1..].first().unwrap() + x.last().unwrap() * 2.0
}

fn ends_by_hand(x: &[f64]) -> f64 {
    let n = x.len();
    x[n - 1] * x[0] + x[n - 1].sin() * x[1] + x[n - 1] * 2.0
}

fn scalar_case(
    name: &'static str,
    n: usize,
    f: fn(&[f64]) -> f64,
    jvp: fn(&[f64], &[f64]) -> (f64, f64),
    vjp: fn(&[f64], &mut [f64], f64) -> f64,
) -> Case<'static> {
    Case {
        name,
        inputs: n,
        outputs: 1,
        f: Box::leak(Box::new(move |v: &[f64]| vec![f(v)])),
        jvp: Box::leak(Box::new(move |v: &[f64], d: &[f64]| {
            let (y, t) = jvp(v, d);
            (vec![y], vec![t])
        })),
        vjp: Box::leak(Box::new(move |v: &[f64], w: &[f64]| {
            let mut b = vec![0.0; n];
            let y = vjp(v, &mut b, w[0]);
            (vec![y], b)
        })),
    }
}

#[test]
fn first_and_last() {
    let x = [0.7, -1.2, 0.4, 2.1];
    assert_eq!(ends(&x), ends_by_hand(&x));
    check(&scalar_case("ends", 4, ends, ends_jvp, ends_vjp), &x, 3);
    check_hvp(
        "ends",
        &x,
        &|x, v| {
            let mut g = vec![D::constant(0.0); x.len()];
            ends_vjp(&duals(x, v), &mut g, D::constant(1.0));
            tangents(&g)
        },
        &|x| {
            let mut g = vec![0.0; x.len()];
            ends_vjp(x, &mut g, 1.0);
            g
        },
    );
}

#[test]
fn first_and_last_of_an_empty_slice_panic_as_unwrap_does() {
    let expected = panic_of(|| ends(&[]));
    assert!(expected.contains("None"), "{expected}");
    assert_eq!(panic_of(|| ends_jvp::<f64>(&[], &[])), expected);
    assert_eq!(panic_of(|| ends_vjp::<f64>(&[], &mut [], 1.0)), expected);
}

/// `first` and `last` of a list of indices, data copied as written.
#[differentiable]
fn last_observed(x: &[f64], idx: &[usize]) -> f64 {
    x[*idx.last().unwrap()] * x[idx.first().copied().unwrap()].sin()
}

#[test]
fn first_and_last_of_index_lists() {
    let x = [0.7, -1.2, 0.4, 2.1];
    let idx = [2, 0, 3];
    assert_eq!(last_observed(&x, &idx), 2.1 * 0.4_f64.sin());
    let mut g = [0.0; 4];
    let y = last_observed_vjp(&x, &mut g, &idx, 1.0);
    assert_eq!(y, last_observed(&x, &idx));
    assert_eq!(g, [0.0, 0.0, 2.1 * 0.4_f64.cos(), 0.4_f64.sin()]);
    let (_, t) = last_observed_jvp(&x, &[0.0, 0.0, 1.0, 0.0], &idx);
    assert_eq!(t, g[2]);
}

// ---- 3. sub-slices bound to locals -----------------------------------------------------------

#[differentiable]
fn sq(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum()
}

#[differentiable]
fn scale_into(du: &mut [f64], u: &[f64], c: f64) {
    for i in 0..du.len() {
        du[i] = du[i] * c + u[i] * u[i];
    }
}

/// Neighbours through sub-slice locals: read, iterated (`zip`, `windows`, `for`), their own
/// sub-slices, passed on, copied.
#[differentiable]
fn neighbours(x: &[f64]) -> f64 {
    let n = x.len();
    let tail = &x[1..];
    let head: &[f64] = &x[..n - 1];
    let s: f64 = tail.iter().zip(head).map(|(a, b)| a * b).sum();
    let mut t = 0.0;
    for i in 0..tail.len() {
        t += (tail[i] - head[i]).powi(2);
    }
    for v in head {
        t += v.sin();
    }
    for w in x[1..].windows(2) {
        t += w[0] * w[1];
    }
    let inner = &tail[1..];
    let copy = inner.to_vec();
    s + t * x[0] + sq(inner) + sq(&head[..2]) + *inner.last().unwrap() * copy[0]
}

fn neighbours_by_hand(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 1 {
        s += x[i + 1] * x[i];
    }
    let mut t = 0.0;
    for i in 0..n - 1 {
        t += (x[i + 1] - x[i]).powi(2);
    }
    for i in 0..n - 1 {
        t += x[i].sin();
    }
    for i in 1..n - 1 {
        t += x[i] * x[i + 1];
    }
    let mut q = 0.0;
    for i in 2..n {
        q += x[i] * x[i];
    }
    s + t * x[0] + q + (x[0] * x[0] + x[1] * x[1]) + x[n - 1] * x[2]
}

/// A `&mut` sub-slice local of a `&mut` parameter, written by index and by a call.
#[differentiable]
fn halves(du: &mut [f64], u: &[f64], c: f64) {
    let n = u.len() / 2;
    du.fill(0.5);
    let lo = &mut du[..n];
    for i in 0..lo.len() {
        lo[i] = c * u[n + i];
    }
    lo[0] += u[0] * u[1];
    scale_into(lo, &u[n..], c);
    let hi = &mut du[n..];
    scale_into(&mut hi[1..], &u[..n - 1], -c);
}

fn halves_case(n: usize) -> Case<'static> {
    Case {
        name: "halves",
        inputs: n + 1,
        outputs: n,
        f: Box::leak(Box::new(move |v: &[f64]| {
            let mut du = vec![0.0; n];
            halves(&mut du, &v[..n], v[n]);
            du
        })),
        jvp: Box::leak(Box::new(move |v: &[f64], d: &[f64]| {
            let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
            halves_jvp(&mut du, &mut du_dot, &v[..n], &d[..n], v[n], d[n]);
            (du, du_dot)
        })),
        vjp: Box::leak(Box::new(move |v: &[f64], y: &[f64]| {
            let mut du = vec![0.0; n];
            let mut du_bar = y.to_vec();
            let (mut u_bar, mut c_bar) = (vec![0.0; n], 0.0);
            halves_vjp(&mut du, &mut du_bar, &v[..n], &mut u_bar, v[n], &mut c_bar);
            u_bar.push(c_bar);
            (du, u_bar)
        })),
    }
}

#[test]
fn subslice_locals_are_read_iterated_and_passed_on() {
    let x = [0.7, -1.2, 0.4, 2.1, -0.3, 0.9];
    assert_eq!(neighbours(&x), neighbours_by_hand(&x));
    check(
        &scalar_case("neighbours", 6, neighbours, neighbours_jvp, neighbours_vjp),
        &x,
        4,
    );
    check_hvp(
        "neighbours",
        &x,
        &|x, v| {
            let mut g = vec![D::constant(0.0); x.len()];
            neighbours_vjp(&duals(x, v), &mut g, D::constant(1.0));
            tangents(&g)
        },
        &|x| {
            let mut g = vec![0.0; x.len()];
            neighbours_vjp(x, &mut g, 1.0);
            g
        },
    );
}

#[test]
fn mut_subslice_locals_are_written() {
    let v = [0.3, -0.8, 1.1, 0.5, 1.9, -0.4, 0.8];
    let (u, c) = (&v[..6], v[6]);
    let mut du = [0.0; 6];
    halves(&mut du, u, c);
    let mut by_hand = [0.5; 6];
    for i in 0..3 {
        by_hand[i] = c * u[3 + i];
    }
    by_hand[0] += u[0] * u[1];
    for i in 0..3 {
        by_hand[i] = by_hand[i] * c + u[3 + i] * u[3 + i];
    }
    for i in 0..2 {
        by_hand[4 + i] = by_hand[4 + i] * -c + u[i] * u[i];
    }
    assert_eq!(du, by_hand);
    check(&halves_case(6), &v, 5);
}

#[test]
fn subslice_locals_out_of_range_panic_in_the_companions_too() {
    let x = [0.7];
    let expected = panic_of(|| neighbours(&x));
    assert!(std::panic::catch_unwind(|| neighbours_jvp(&x, &x)).is_err());
    assert!(std::panic::catch_unwind(|| neighbours_vjp(&x, &mut [0.0], 1.0)).is_err());
    assert!(!expected.is_empty());
}

// ---- 4. tuples held in locals ------------------------------------------------------------------

#[differentiable]
fn pairs(a: f64, b: f64, c: f64) -> f64 {
    let mut p = (a * b, c.exp());
    let (q, r): (f64, f64) = (a, b);
    let (mut s, t) = p;
    p.0 += q * r;
    s *= t;
    let (mut x, mut y) = (a, c);
    (x, y) = (y, x * 2.0);
    p = (p.1, p.0 + x * y);
    let k = (3, a);
    p.0 + p.1 * s + k.1 * k.0 as f64
}

fn pairs_by_hand(a: f64, b: f64, c: f64) -> f64 {
    let p0 = a * b + a * b;
    let p1 = c.exp();
    let s = a * b * c.exp();
    let (x, y) = (c, a * 2.0);
    let (p0, p1) = (p1, p0 + x * y);
    p0 + p1 * s + a * 3.0
}

fn pairs_case() -> Case<'static> {
    Case {
        name: "pairs",
        inputs: 3,
        outputs: 1,
        f: &|v| vec![pairs(v[0], v[1], v[2])],
        jvp: &|v, d| {
            let (y, t) = pairs_jvp(v[0], d[0], v[1], d[1], v[2], d[2]);
            (vec![y], vec![t])
        },
        vjp: &|v, w| {
            let mut b = [0.0; 3];
            let [b0, b1, b2] = &mut b;
            let y = pairs_vjp(v[0], b0, v[1], b1, v[2], b2, w[0]);
            (vec![y], b.to_vec())
        },
    }
}

#[test]
fn tuple_locals() {
    let v = [0.3, 0.7, -0.4];
    assert_eq!(pairs(v[0], v[1], v[2]), pairs_by_hand(v[0], v[1], v[2]));
    check(&pairs_case(), &v, 6);
    check_hvp(
        "pairs",
        &v,
        &|x, d| {
            let z = D::constant(0.0);
            let (mut b0, mut b1, mut b2) = (z, z, z);
            let x = duals(x, d);
            pairs_vjp(
                x[0],
                &mut b0,
                x[1],
                &mut b1,
                x[2],
                &mut b2,
                D::constant(1.0),
            );
            tangents(&[b0, b1, b2])
        },
        &|x| {
            let (mut b0, mut b1, mut b2) = (0.0, 0.0, 0.0);
            pairs_vjp(x[0], &mut b0, x[1], &mut b1, x[2], &mut b2, 1.0);
            vec![b0, b1, b2]
        },
    );
}

/// A tuple local returned, early and at the end.
#[differentiable]
fn polar(x: f64, y: f64) -> (f64, f64) {
    let p = (x.hypot(y), y.atan2(x));
    if x > 10.0 {
        return p;
    }
    let mut q = (p.0 * p.1, p.1 - x * y);
    q.1 += 0.5;
    q
}

#[test]
fn tuple_locals_returned() {
    assert_eq!(polar(20.0, 1.0), (20.0_f64.hypot(1.0), 1.0_f64.atan2(20.0)));
    let (r, t) = (0.3_f64.hypot(-0.7), (-0.7_f64).atan2(0.3));
    assert_eq!(polar(0.3, -0.7), (r * t, t - 0.3 * -0.7 + 0.5));
    for at in [[0.3, -0.7], [20.0, 1.0]] {
        check(
            &Case {
                name: "polar",
                inputs: 2,
                outputs: 2,
                f: &|v| {
                    let (a, b) = polar(v[0], v[1]);
                    vec![a, b]
                },
                jvp: &|v, d| {
                    let ((a, b), (ad, bd)) = polar_jvp(v[0], d[0], v[1], d[1]);
                    (vec![a, b], vec![ad, bd])
                },
                vjp: &|v, w| {
                    let (mut xb, mut yb) = (0.0, 0.0);
                    let (a, b) = polar_vjp(v[0], &mut xb, v[1], &mut yb, (w[0], w[1]));
                    (vec![a, b], vec![xb, yb])
                },
            },
            &at,
            9,
        );
    }
}

// ---- in time loops: the trajectory-collection idiom, swaps that overwrite -------------------

#[differentiable]
fn ring(du: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = u[(i + 1) % n] * u[(i + n - 1) % n] - u[i];
    }
}

/// Euler steps storing the trajectory by sub-slice copies, `traj[k * n..].copy_from_slice(&u)`,
/// reading the last state through a sub-slice local, a recurrence by tuple swaps.
#[differentiable]
fn trajectory_cost(x0: &[f64], h: f64, steps: usize) -> f64 {
    let n = x0.len();
    let mut u = vec![0.0; n];
    u.copy_from_slice(x0);
    let mut traj = vec![0.0; n * (steps + 1)];
    traj[..n].copy_from_slice(&u);
    let mut du = vec![0.0; n];
    let (mut p, mut q) = (1.0, h);
    for k in 0..steps {
        du.fill(0.0);
        ring(&mut du, &u);
        for i in 0..n {
            u[i] += h * du[i];
        }
        traj[(k + 1) * n..(k + 2) * n].copy_from_slice(&u);
        (p, q) = (q, p * u[0] + q);
    }
    let last = &traj[steps * n..];
    let mut j = 0.0;
    for (a, b) in last.iter().zip(x0) {
        j += (a - b).powi(2);
    }
    j + traj.iter().map(|t| t * t).sum::<f64>() * 0.01 + p * q
}

fn trajectory_cost_by_hand(x0: &[f64], h: f64, steps: usize) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut traj = u.clone();
    let (mut p, mut q) = (1.0, h);
    for _ in 0..steps {
        let mut du = vec![0.0; n];
        ring(&mut du, &u);
        for i in 0..n {
            u[i] += h * du[i];
        }
        traj.extend_from_slice(&u);
        let next = p * u[0] + q;
        p = q;
        q = next;
    }
    let mut j = 0.0;
    for i in 0..n {
        j += (u[i] - x0[i]).powi(2);
    }
    j + traj.iter().map(|t| t * t).sum::<f64>() * 0.01 + p * q
}

#[test]
fn trajectories_collected_by_subslice_copies() {
    let x = [0.7, -1.2, 0.4, 2.1, 0.1];
    let (h, steps) = (0.1, 6);
    assert_eq!(
        trajectory_cost(&x[..4], x[4] + h, steps),
        trajectory_cost_by_hand(&x[..4], x[4] + h, steps)
    );
    check(
        &Case {
            name: "trajectory_cost",
            inputs: 5,
            outputs: 1,
            f: &|v| vec![trajectory_cost(&v[..4], v[4], steps)],
            jvp: &|v, d| {
                let (y, t) = trajectory_cost_jvp(&v[..4], &d[..4], v[4], d[4], steps);
                (vec![y], vec![t])
            },
            vjp: &|v, w| {
                let (mut b, mut h_bar) = (vec![0.0; 4], 0.0);
                let y = trajectory_cost_vjp(&v[..4], &mut b, v[4], &mut h_bar, steps, w[0]);
                b.push(h_bar);
                (vec![y], b)
            },
        },
        &x,
        10,
    );
    check_hvp(
        "trajectory_cost",
        &x,
        &|x, v| {
            let d = duals(x, v);
            let (mut b, mut h_bar) = (vec![D::constant(0.0); 4], D::constant(0.0));
            trajectory_cost_vjp(&d[..4], &mut b, d[4], &mut h_bar, steps, D::constant(1.0));
            b.push(h_bar);
            tangents(&b)
        },
        &|x| {
            let (mut b, mut h_bar) = (vec![0.0; 4], 0.0);
            trajectory_cost_vjp(&x[..4], &mut b, x[4], &mut h_bar, steps, 1.0);
            b.push(h_bar);
            b
        },
    );
}

// ---- adversarial names and macro_rules! ----------------------------------------------------------

/// Locals named like the generated code's (`result`, `x_bar`, `__adj0`, `__i`, `__len`,
/// `__from`, `__val`, a raw identifier).
#[differentiable]
fn adversarial(x: &[f64], r#type: f64) -> f64 {
    let n = x.len();
    let mut result = vec![0.0; n];
    result.copy_from_slice(x);
    let x_bar = &result[1..];
    let __adj0 = (x_bar[0] * r#type, *x_bar.last().unwrap());
    let mut __i = [0.0; 2];
    __i.fill(__adj0.1);
    let (__len, __from) = __adj0;
    let mut __val = vec![0.0; n - 1];
    __val.clone_from_slice(x_bar);
    __len * __from + __i[0] * __i[1] + sq(&__val) + *x.first().unwrap()
}

fn adversarial_by_hand(x: &[f64], t: f64) -> f64 {
    let n = x.len();
    let (a, b) = (x[1] * t, x[n - 1]);
    let mut q = 0.0;
    for i in 1..n {
        q += x[i] * x[i];
    }
    a * b + b * b + q + x[0]
}

macro_rules! idioms_in_macro {
    ($name:ident, $x:ident, $u:ident) => {
        #[differentiable]
        fn $name($x: &[f64], c: f64) -> f64 {
            let mut $u = vec![0.0; $x.len()];
            $u.copy_from_slice($x);
            $u[1..].fill(c);
            let tail = &$u[..2];
            let p = (tail[0] * tail[1], *$x.last().unwrap());
            p.0 + p.1 * c
        }
    };
}
idioms_in_macro!(from_macro, xs, us);

#[test]
fn adversarial_names_and_macro_rules() {
    let x = [0.7, -1.2, 0.4, 2.1];
    let t = 1.3;
    assert_eq!(adversarial(&x, t), adversarial_by_hand(&x, t));
    assert_eq!(from_macro(&x, t), x[0] * t + x[3] * t);
    for (name, f, jvp, vjp) in [
        (
            "adversarial",
            adversarial as fn(&[f64], f64) -> f64,
            adversarial_jvp as fn(&[f64], &[f64], f64, f64) -> (f64, f64),
            adversarial_vjp as fn(&[f64], &mut [f64], f64, &mut f64, f64) -> f64,
        ),
        ("from_macro", from_macro, from_macro_jvp, from_macro_vjp),
    ] {
        let n = x.len();
        check(
            &Case {
                name,
                inputs: n + 1,
                outputs: 1,
                f: &|v| vec![f(&v[..n], v[n])],
                jvp: &|v, d| {
                    let (y, t) = jvp(&v[..n], &d[..n], v[n], d[n]);
                    (vec![y], vec![t])
                },
                vjp: &|v, w| {
                    let (mut b, mut c_bar) = (vec![0.0; n], 0.0);
                    let y = vjp(&v[..n], &mut b, v[n], &mut c_bar, w[0]);
                    b.push(c_bar);
                    (vec![y], b)
                },
            },
            &[0.7, -1.2, 0.4, 2.1, 1.3],
            8,
        );
    }
}
