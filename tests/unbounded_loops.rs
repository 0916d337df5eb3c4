//! Unbounded loops: `while` (integer, bool and real conditions), `loop` with `break`,
//! `continue`, `break`/`continue` under `if`/`match` at any depth, labelled exits, `for` loops
//! that stop early and `return` from inside a loop. Each derivative is proved three ways (finite
//! differences, the dot-product test to 1e-12, tangent against adjoint) and, at dual numbers,
//! by Hessian-vector products against differences of gradients. The derivative is the one
//! along the path taken: the points tested are away from the switching points of conditions.

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

/// Newton's method for the root of `y^3 + p0 y - p1`, to a tolerance on the step.
#[differentiable]
fn newton_root(p: &[f64]) -> f64 {
    let mut y = 1.0;
    let mut g = y * y * y + p[0] * y - p[1];
    let mut dg = 3.0 * y * y + p[0];
    while (g / dg).abs() > 1e-10 {
        y -= g / dg;
        g = y * y * y + p[0] * y - p[1];
        dg = 3.0 * y * y + p[0];
    }
    y * y + p[0] * y
}

#[test]
fn newton_iteration_with_a_tolerance() {
    let s = scalar!(newton_root, newton_root_jvp, newton_root_vjp);
    for (k, p) in [[1.0, 2.5], [2.0, -1.0], [0.5, 7.0]].iter().enumerate() {
        let y = newton_root(p);
        assert!(y.is_finite());
        prove(&s, p, 10 + k as u64);
    }
}

/// A fixed-point iteration `x = p1 cos(p0 x) + p2`, left by `break` once the change is small.
#[differentiable]
fn fixed_point(p: &[f64]) -> f64 {
    let mut x = 0.0;
    loop {
        let next = p[1] * (p[0] * x).cos() + p[2];
        let err = (next - x).abs();
        x = next;
        if err < 1e-12 {
            break;
        }
    }
    x * p[0]
}

#[test]
fn fixed_point_iteration_left_by_break() {
    let s = scalar!(fixed_point, fixed_point_jvp, fixed_point_vjp);
    for (k, p) in [[0.7, 0.5, 0.2], [1.3, -0.4, 0.6]].iter().enumerate() {
        prove(&s, p, 20 + k as u64);
    }
}

/// A `for` loop left early: the sum of `x[i] sin(x[i])` up to the first negative element.
#[differentiable]
fn until_negative(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] < 0.0 {
            break;
        }
        s += x[i] * x[i].sin();
    }
    s * x[0]
}

fn until_negative_by_hand(x: &[f64]) -> f64 {
    let s: f64 = x
        .iter()
        .take_while(|v| **v >= 0.0)
        .map(|v| v * v.sin())
        .sum();
    s * x[0]
}

#[test]
fn for_loop_with_an_early_break() {
    let s = scalar!(until_negative, until_negative_jvp, until_negative_vjp);
    for (k, x) in [
        vec![0.5, 1.2, -0.3, 2.0, 0.7],
        vec![0.9, 0.4, 0.8],
        vec![-0.5, 0.4],
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(until_negative(x), until_negative_by_hand(x));
        prove(&s, x, 30 + k as u64);
    }
}

/// `continue` skips elements, in a `for` loop and in a `while` loop over a counter.
#[differentiable]
fn skip_some(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] < 0.0 {
            continue;
        }
        s += x[i].exp() * x[0];
    }
    let mut i = 0;
    while i < x.len() {
        i += 1;
        if i % 2 == 0 {
            continue;
        }
        s = s * 0.5 + x[i - 1] * x[i - 1];
    }
    s
}

fn skip_some_by_hand(x: &[f64]) -> f64 {
    let mut s: f64 = x
        .iter()
        .filter(|v| **v >= 0.0)
        .map(|v| v.exp() * x[0])
        .sum();
    for (i, v) in x.iter().enumerate() {
        if i % 2 == 0 {
            s = s * 0.5 + v * v;
        }
    }
    s
}

#[test]
fn continue_skips_elements() {
    let s = scalar!(skip_some, skip_some_jvp, skip_some_vjp);
    for (k, x) in [vec![0.5, -1.2, 0.3, 2.0, -0.7], vec![0.9, 0.4, 0.8, 0.1]]
        .iter()
        .enumerate()
    {
        assert_eq!(skip_some(x), skip_some_by_hand(x));
        prove(&s, x, 40 + k as u64);
    }
}

/// Nested loops: an inner `while` halves each element until it is small, a trip count that
/// differs from one outer iteration to the next, and counts the halvings.
#[differentiable]
fn halvings(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() {
        let mut v = x[k] * (1.0 + s);
        let mut m = 0;
        while v.abs() > 0.1 {
            v *= 0.5;
            m += 1;
        }
        s = s + v * v + (m as f64) * 0.01 * x[k];
    }
    s
}

#[test]
fn nested_loops_with_an_inner_while_of_varying_trip_count() {
    let s = scalar!(halvings, halvings_jvp, halvings_vjp);
    // Away from the switching points |v| = 0.1 2^m.
    for (k, x) in [vec![0.93, -2.7, 0.33, 5.1], vec![0.07, 1.9, -0.61]]
        .iter()
        .enumerate()
    {
        prove(&s, x, 50 + k as u64);
    }
}

/// A `while` on a real condition: explicit Euler steps of `y' = p0 sin(y)` of size `p1` until
/// the time passes 2, so the number of steps depends on `p1`; the derivative is along the path.
#[differentiable]
fn euler_until(p: &[f64]) -> f64 {
    let mut t = 0.0;
    let mut y = p[2];
    while t < 2.0 {
        y = y + p[1] * p[0] * y.sin();
        t += p[1];
    }
    y + t * p[0]
}

#[test]
fn while_with_a_real_condition_differentiates_along_the_path() {
    let s = scalar!(euler_until, euler_until_jvp, euler_until_vjp);
    // 2 / p1 is away from an integer: the step count does not switch under the differences.
    for (k, p) in [[0.8, 0.13, 0.4], [-0.5, 0.3, 1.1]].iter().enumerate() {
        prove(&s, p, 60 + k as u64);
    }
}

/// One relaxation sweep, in place.
#[differentiable]
fn relax(u: &mut [f64], c: f64) {
    for i in 1..u.len() - 1 {
        u[i] = u[i] + 0.25 * (u[i - 1] - 2.0 * u[i] + u[i + 1]) + c * u[i] * u[i];
    }
}

#[differentiable]
fn energy(u: &[f64]) -> f64 {
    let mut e = 0.0;
    for i in 0..u.len() {
        e += u[i] * u[i];
    }
    e
}

/// A `while` loop calling other differentiable functions and overwriting array elements: sweeps
/// until the energy falls below a threshold (or 40 sweeps), then one element is overwritten by
/// a value read before.
#[differentiable]
fn relax_until(x: &[f64]) -> f64 {
    let mut u = x.to_vec();
    let mut e = energy(&u);
    let mut sweeps = 0;
    while e > 0.6 && sweeps < 40 {
        relax(&mut u, 0.05);
        u[0] = u[0] * 0.9 + u[1] * 0.1;
        e = energy(&u);
        sweeps += 1;
    }
    e + u[1] * u[2]
}

#[test]
fn while_loop_with_calls_and_overwritten_elements() {
    let s = scalar!(relax_until, relax_until_jvp, relax_until_vjp);
    for (k, x) in [vec![0.9, 0.5, -0.4, 0.7, 0.2], vec![1.1, -0.3, 0.6, 0.45]]
        .iter()
        .enumerate()
    {
        prove(&s, x, 70 + k as u64);
    }
}

/// Labelled exits: `continue 'rows` from the inner loop, `break 'rows` out of both, under a
/// `match` and an `if`.
#[differentiable]
fn labelled(x: &[f64]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..x.len() {
        for j in 0..x.len() {
            let v = x[i] * x[j];
            #[allow(clippy::single_match)] // a `match` arm that continues: what is tested
            match j > i {
                true => continue 'rows,
                false => {}
            }
            if s > 3.0 {
                break 'rows;
            }
            s += v.sin() + v * x[0];
        }
    }
    s
}

fn labelled_by_hand(x: &[f64]) -> f64 {
    let mut s = 0.0;
    'rows: for i in 0..x.len() {
        for j in 0..x.len() {
            let v = x[i] * x[j];
            if j > i {
                continue 'rows;
            }
            if s > 3.0 {
                break 'rows;
            }
            s += v.sin() + v * x[0];
        }
    }
    s
}

#[test]
fn labelled_break_and_continue() {
    let s = scalar!(labelled, labelled_jvp, labelled_vjp);
    for (k, x) in [vec![0.5, 1.2, -0.3, 2.0], vec![1.5, 1.4, 1.3, 1.2, 1.1]]
        .iter()
        .enumerate()
    {
        assert_eq!(labelled(x), labelled_by_hand(x));
        prove(&s, x, 80 + k as u64);
    }
}

/// `return` from inside nested loops.
#[differentiable]
fn first_large(x: &[f64]) -> f64 {
    for i in 0..x.len() {
        let mut k = 0;
        while k < i {
            if x[i] * x[k] > 1.0 {
                return x[i] * x[k].sin();
            }
            k += 1;
        }
    }
    x[0] * x[0]
}

fn first_large_by_hand(x: &[f64]) -> f64 {
    for i in 0..x.len() {
        for k in 0..i {
            if x[i] * x[k] > 1.0 {
                return x[i] * x[k].sin();
            }
        }
    }
    x[0] * x[0]
}

#[test]
fn return_from_inside_loops() {
    let s = scalar!(first_large, first_large_jvp, first_large_vjp);
    for (k, x) in [vec![0.5, 1.2, 0.3, 2.3], vec![0.5, 0.4, 0.3]]
        .iter()
        .enumerate()
    {
        assert_eq!(first_large(x), first_large_by_hand(x));
        prove(&s, x, 90 + k as u64);
    }
}

/// `break` in a `match` arm inside `loop`, a `for` with `.rev()` and one with `.step_by(2)`
/// that stop early.
#[differentiable]
fn ranges_that_stop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len()).rev() {
        s = s * x[i] + 1.0;
        if s > 4.0 {
            break;
        }
    }
    for i in (0..x.len()).step_by(2) {
        if x[i] < -0.5 {
            break;
        }
        s += x[i].cos();
    }
    let mut k = 0;
    loop {
        k += 1;
        match k {
            3 => break,
            _ => s = s * 0.9 + x[k % x.len()],
        }
    }
    s
}

fn ranges_that_stop_by_hand(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len()).rev() {
        s = s * x[i] + 1.0;
        if s > 4.0 {
            break;
        }
    }
    for i in (0..x.len()).step_by(2) {
        if x[i] < -0.5 {
            break;
        }
        s += x[i].cos();
    }
    for k in 1..3 {
        s = s * 0.9 + x[k % x.len()];
    }
    s
}

#[test]
fn reversed_and_strided_ranges_and_break_in_match() {
    let s = scalar!(ranges_that_stop, ranges_that_stop_jvp, ranges_that_stop_vjp);
    for (k, x) in [vec![1.5, 2.2, 0.3, 1.9, -0.8, 0.4], vec![0.2, 0.3, 0.4]]
        .iter()
        .enumerate()
    {
        assert_eq!(ranges_that_stop(x), ranges_that_stop_by_hand(x));
        prove(&s, x, 100 + k as u64);
    }
}

/// Locals named like the flags and counters lowering introduces.
#[differentiable]
fn names_like_the_generated_ones(x: &[f64]) -> f64 {
    let mut __broken = 0.0;
    let mut __trips = 0;
    let mut __continued = x[0];
    while __trips < x.len() {
        __trips += 1;
        if __trips == 2 {
            continue;
        }
        __broken = __broken * 0.5 + __continued * x[__trips - 1];
        __continued = __continued.sin();
        if __trips > 3 {
            break;
        }
    }
    __broken
}

fn names_like_the_generated_ones_by_hand(x: &[f64]) -> f64 {
    let (mut b, mut c) = (0.0, x[0]);
    for t in 1..=x.len().min(4) {
        if t == 2 {
            continue;
        }
        b = b * 0.5 + c * x[t - 1];
        c = c.sin();
    }
    b
}

#[test]
fn user_names_like_the_generated_ones() {
    let s = scalar!(
        names_like_the_generated_ones,
        names_like_the_generated_ones_jvp,
        names_like_the_generated_ones_vjp
    );
    for (k, x) in [vec![0.5, 1.2, -0.3, 2.0, 0.7], vec![0.9, 0.4]]
        .iter()
        .enumerate()
    {
        assert_eq!(
            names_like_the_generated_ones(x),
            names_like_the_generated_ones_by_hand(x)
        );
        prove(&s, x, 110 + k as u64);
    }
}

/// A caller of functions with `while` loops: their reverse-only companions (`__newton_root_rev`,
/// `__fixed_point_rev`) rerun only what their reverse sweeps need, trip counts included.
#[differentiable]
fn calls_loops(x: &[f64]) -> f64 {
    let mut p = [0.0; 2];
    p[0] = x[0] * x[0] + 0.5;
    p[1] = x[1];
    let r = newton_root(&p);
    let q = [x[0], 0.5 * x[1], r * 0.1];
    let s = fixed_point(&q);
    r * s + x[1]
}

#[test]
fn calls_of_functions_with_while_loops() {
    let s = scalar!(calls_loops, calls_loops_jvp, calls_loops_vjp);
    for (k, x) in [[0.7, 2.5], [1.2, -0.8]].iter().enumerate() {
        prove(&s, x, 120 + k as u64);
    }
}

/// Every range a `for` loop that stops early runs over, with literal and computed bounds.
#[differentiable]
fn every_range(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in (1..=n - 1).rev() {
        s = s * 0.5 + x[i];
        if s > 2.5 {
            break;
        }
    }
    for i in (0..n).rev().step_by(2) {
        if x[i] < -0.9 {
            break;
        }
        s += x[i] * x[0];
    }
    for i in (1..n).rev().step_by(3) {
        if i == 0 {
            break;
        }
        s += x[i].sin();
    }
    for i in (0..7).rev().step_by(3) {
        if s > 100.0 {
            break;
        }
        s += x[i % n] * 0.1;
    }
    for i in (0..=n - 1).step_by(2) {
        if x[i] > 5.0 {
            break;
        }
        s *= x[i];
    }
    for i in (2..=4).rev() {
        if s > 100.0 {
            return s;
        }
        s += x[i % n].cos();
    }
    s
}

fn every_range_by_hand(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in (1..=n - 1).rev() {
        s = s * 0.5 + x[i];
        if s > 2.5 {
            break;
        }
    }
    for i in (0..n).rev().step_by(2) {
        if x[i] < -0.9 {
            break;
        }
        s += x[i] * x[0];
    }
    for i in (1..n).rev().step_by(3) {
        s += x[i].sin();
    }
    for i in (0..7).rev().step_by(3) {
        s += x[i % n] * 0.1;
    }
    for i in (0..=n - 1).step_by(2) {
        if x[i] > 5.0 {
            break;
        }
        s *= x[i];
    }
    for i in (2..=4).rev() {
        if s > 100.0 {
            return s;
        }
        s += x[i % n].cos();
    }
    s
}

#[test]
fn every_range_of_a_loop_that_stops_early() {
    let s = scalar!(every_range, every_range_jvp, every_range_vjp);
    for (k, x) in [
        vec![0.5, 1.2, -0.3, 2.0, 0.7, 0.9, 1.3],
        vec![0.9, -1.4, 0.8, 0.2],
        vec![1.1, 0.6, 0.35, -0.2, 0.4, 0.3],
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(every_range(x), every_range_by_hand(x));
        prove(&s, x, 130 + k as u64);
    }
}
