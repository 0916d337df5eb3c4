//! Match guards and `while let`: guards on the arms of a `match` on an `Option` data parameter
//! (`Some(w) if w > 0.0 =>`, as values and as statements), a whole binding with a guard in a
//! `match` on an integer or a real (`k if k < 3 =>`, `v if v > 0.0 =>`); `while let Some(j) =
//! next(k, n)` of a function of integers that is not annotated (with `break`, `continue`, nested
//! in a `for` loop), `while let Some(h) = schedule(t)` of data reals, and `while let Some(w) =
//! weight` of an `Option` parameter left by `break`, `while let Some(n) = k` of a local `Option`
//! the body assigns (`k = if n > 0 { Some(n - 1) } else { None }`). Adversarial names and a `macro_rules!`
//! function. Each derivative is proved three ways (central differences, the dot-product test to
//! 1e-12, tangent against adjoint) and by Hessian-vector products at dual numbers against
//! differences of gradients, on every path; each function equals, to the bit in value, tangent
//! and gradient, the same function written without the construct.

mod common;

use common::slices::{prove, Scalar};
use tapeless::differentiable;

/// Guards on `Option` arms (a value and statements), on an integer and on a real.
#[differentiable(wrt(x))]
fn guarded(x: &[f64], weight: Option<f64>, n: usize) -> f64 {
    let a = match weight {
        Some(w) if w > 0.0 => w * x[0] * x[1],
        Some(w) if w < -1.0 => x[1].sin() * w,
        Some(_) => x[2] * x[2],
        None => x[0],
    };
    let mut b = x[2];
    match n {
        0 => b *= x[0],
        k if k < 3 => b += x[1] * k as f64,
        k => b = b * b + k as f64,
    }
    match weight {
        Some(w) if w * w > 2.0 => {
            b = b * w.abs() + x[3];
        }
        _ => {}
    }
    let c = match x[0] * x[3] {
        v if v > 0.1 => v.exp(),
        v => v * v,
    };
    a * b + c
}

/// `guarded` written without guards.
#[differentiable(wrt(x))]
fn unguarded(x: &[f64], weight: Option<f64>, n: usize) -> f64 {
    let a = match weight {
        Some(w) => {
            if w > 0.0 {
                w * x[0] * x[1]
            } else if w < -1.0 {
                x[1].sin() * w
            } else {
                x[2] * x[2]
            }
        }
        None => x[0],
    };
    let mut b = x[2];
    if n == 0 {
        b *= x[0];
    } else if n < 3 {
        b += x[1] * n as f64;
    } else {
        b = b * b + n as f64;
    }
    if let Some(w) = weight {
        if w * w > 2.0 {
            b = b * w.abs() + x[3];
        }
    }
    let v = x[0] * x[3];
    let c = if v > 0.1 { v.exp() } else { v * v };
    a * b + c
}

/// A real scaled by an integer the loops pass on.
#[differentiable]
fn scaled(a: f64, k: usize) -> f64 {
    a.sin() * k as f64
}

/// The next index two on, while there is one: a function of integers, not annotated.
fn next_index(k: usize, n: usize) -> Option<usize> {
    if k + 2 < n {
        Some(k + 2)
    } else {
        None
    }
}

/// A step size for each step, while the schedule lasts: data reals.
fn schedule(t: usize) -> Option<f64> {
    [0.1, 0.25, 0.05].get(t).copied()
}

/// `while let` over indices (passed on to an annotated function as integers, with `continue` and
/// `break`, and nested in a `for` loop), over
/// data reals, and over an `Option` parameter left by `break`.
#[differentiable(wrt(x))]
fn walks(x: &[f64], weight: Option<f64>) -> f64 {
    let mut s = x[0];
    let mut k = 0;
    while let Some(j) = next_index(k, x.len()) {
        s = s * x[j].cos() + x[k] * x[j] + 0.1 * scaled(s, j);
        k = j;
    }
    let mut t = 0;
    let mut y = x[1];
    while let Some(h) = schedule(t) {
        y = y + h * (y * s).sin();
        t += 1;
    }
    for r in 0..2 {
        let mut i = r;
        'inner: while let Some(mut j) = next_index(i, x.len()) {
            i = j;
            if x[j] < -0.2 {
                continue;
            }
            j -= 1;
            y = y * x[j] + x[i];
            if y.abs() > 2.0 {
                break 'inner;
            }
        }
    }
    let mut m = 0;
    while let Some(w) = weight {
        if m == 2 {
            break;
        }
        y = y * w + x[m] * x[m];
        m += 1;
    }
    s * y
}

/// `walks` written with `while` loops.
#[differentiable(wrt(x))]
fn walks_written_out(x: &[f64], weight: Option<f64>) -> f64 {
    let mut s = x[0];
    let mut k = 0;
    while k + 2 < x.len() {
        let j = k + 2;
        s = s * x[j].cos() + x[k] * x[j] + 0.1 * scaled(s, j);
        k = j;
    }
    let steps = [0.1, 0.25, 0.05];
    let mut t = 0;
    let mut y = x[1];
    while t < 3 {
        let h = steps[t];
        y = y + h * (y * s).sin();
        t += 1;
    }
    for r in 0..2 {
        let mut i = r;
        'inner: while i + 2 < x.len() {
            let mut j = i + 2;
            i = j;
            if x[j] < -0.2 {
                continue;
            }
            j -= 1;
            y = y * x[j] + x[i];
            if y.abs() > 2.0 {
                break 'inner;
            }
        }
    }
    if let Some(w) = weight {
        for m in 0..2 {
            y = y * w + x[m] * x[m];
        }
    }
    s * y
}

/// `while let` over a local `Option` the body assigns (`k = if .. { Some(..) } else { None }`).
#[differentiable]
fn countdown(x: &[f64]) -> f64 {
    let mut y = x[0];
    let mut k = Some(3);
    while let Some(n) = k {
        y = y * x[n % x.len()] + 0.5 * y.sin();
        k = if n > 0 { Some(n - 1) } else { None };
    }
    y
}

/// `countdown` written with `while`.
#[differentiable]
fn countdown_written_out(x: &[f64]) -> f64 {
    let mut y = x[0];
    let mut k = 4;
    while k > 0 {
        let n = k - 1;
        y = y * x[n % x.len()] + 0.5 * y.sin();
        k = n;
    }
    y
}

/// Names the generated code also uses.
#[differentiable(wrt(x_bar))]
fn adversarial(x_bar: &[f64], result: Option<f64>) -> f64 {
    let mut __adj0 = x_bar[0];
    let mut __next = 0;
    while let Some(__ended) = next_index(__next, x_bar.len()) {
        __adj0 = __adj0 * x_bar[__ended] + 0.5;
        __next = __ended;
    }
    let r#__guard = match result {
        Some(x_dot) if x_dot > 0.0 => x_dot * __adj0,
        _ => __adj0.sin(),
    };
    match __next {
        __matched if __matched > 1 => r#__guard * x_bar[__matched],
        _ => r#__guard,
    }
}

macro_rules! walking_fn {
    ($name:ident, $opt:ident, $w:ident, $j:ident) => {
        /// A function written by a macro: the `Option`, the guard and the loop's binding come
        /// from `macro_rules!`.
        #[differentiable(wrt(x))]
        fn $name(x: &[f64], $opt: Option<f64>) -> f64 {
            let mut s = x[1];
            let mut k = 1;
            while let Some($j) = next_index(k, x.len()) {
                s = s * x[$j] - x[k];
                k = $j;
            }
            match $opt {
                Some($w) if $w > 0.5 => s * $w,
                Some($w) => s + $w * x[0],
                None => s,
            }
        }
    };
}

walking_fn!(macro_walk, given, value, step);

const X: [f64; 6] = [0.5, -0.3, 1.1, 0.7, -0.4, 0.9];
const WEIGHTS: [Option<f64>; 5] = [Some(1.5), Some(-2.0), Some(-0.5), Some(0.0), None];

#[test]
fn guards_three_ways_on_every_path() {
    for (seed, weight) in WEIGHTS.into_iter().enumerate() {
        for n in [0, 2, 5] {
            let s = Scalar {
                name: "guarded",
                f: &|x| guarded(x, weight, n),
                jvp: &|x, d| guarded_jvp(x, d, weight, n),
                vjp: &|x, g, y| guarded_vjp(x, g, weight, n, y),
                vjp_dual: &|x, g, y| guarded_vjp(x, g, weight, n, y),
            };
            prove(&s, &X, 10 * seed as u64 + n as u64);
            // The real guard's other branch.
            let mut x = X;
            x[3] = -0.7;
            prove(&s, &x, 100 + 10 * seed as u64 + n as u64);
        }
    }
}

#[test]
fn guards_equal_the_function_without_them_to_the_bit() {
    let d = [0.3, -0.2, 0.7, 0.1, 0.4, -0.6];
    for weight in WEIGHTS {
        for n in [0, 2, 5] {
            for x3 in [0.7, -0.7] {
                let mut x = X;
                x[3] = x3;
                let (a, b) = (guarded(&x, weight, n), unguarded(&x, weight, n));
                assert_eq!(a.to_bits(), b.to_bits());
                assert_eq!(
                    guarded_jvp(&x, &d, weight, n),
                    unguarded_jvp(&x, &d, weight, n)
                );
                let (mut ga, mut gb) = ([0.0; 6], [0.0; 6]);
                let va = guarded_vjp(&x, &mut ga, weight, n, 1.0);
                let vb = unguarded_vjp(&x, &mut gb, weight, n, 1.0);
                assert_eq!((va, ga), (vb, gb));
            }
        }
    }
}

/// Points where the walks take different paths: `X` continues once and breaks once, `far`
/// breaks twice, `small` (of 6 and of 5) neither continues nor breaks.
fn walk_points() -> Vec<Vec<f64>> {
    let mut far = X.to_vec();
    far[2] = 3.0;
    far[3] = 4.0;
    far[5] = 2.5;
    let small: Vec<f64> = X.iter().map(|v| v * 0.3).collect();
    vec![X.to_vec(), far, small[..5].to_vec(), small]
}

#[test]
fn while_let_three_ways_on_every_path() {
    for (seed, x) in walk_points().iter().enumerate() {
        for (k, weight) in [Some(0.8), None].into_iter().enumerate() {
            let s = Scalar {
                name: "walks",
                f: &|x| walks(x, weight),
                jvp: &|x, d| walks_jvp(x, d, weight),
                vjp: &|x, g, y| walks_vjp(x, g, weight, y),
                vjp_dual: &|x, g, y| walks_vjp(x, g, weight, y),
            };
            prove(&s, x, 200 + 10 * seed as u64 + k as u64);
        }
    }
}

#[test]
fn while_let_equals_while_to_the_bit() {
    for x in walk_points() {
        let d: Vec<f64> = (0..x.len()).map(|k| 0.3 - 0.1 * k as f64).collect();
        for weight in [Some(0.8), None] {
            let (a, b) = (walks(&x, weight), walks_written_out(&x, weight));
            assert_eq!(a.to_bits(), b.to_bits());
            assert_eq!(
                walks_jvp(&x, &d, weight),
                walks_written_out_jvp(&x, &d, weight)
            );
            let (mut ga, mut gb) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            let va = walks_vjp(&x, &mut ga, weight, 1.0);
            let vb = walks_written_out_vjp(&x, &mut gb, weight, 1.0);
            assert_eq!((va, ga), (vb, gb));
        }
    }
}

#[test]
fn while_let_of_a_local_option_three_ways_and_to_the_bit() {
    let s = Scalar {
        name: "countdown",
        f: &|x| countdown(x),
        jvp: &|x, d| countdown_jvp(x, d),
        vjp: &|x, g, y| countdown_vjp(x, g, y),
        vjp_dual: &|x, g, y| countdown_vjp(x, g, y),
    };
    prove(&s, &X, 500);
    let d = [0.3, -0.2, 0.7, 0.1, 0.4, -0.6];
    assert_eq!(countdown(&X).to_bits(), countdown_written_out(&X).to_bits());
    assert_eq!(countdown_jvp(&X, &d), countdown_written_out_jvp(&X, &d));
    let (mut ga, mut gb) = ([0.0; 6], [0.0; 6]);
    let va = countdown_vjp(&X, &mut ga, 1.0);
    let vb = countdown_written_out_vjp(&X, &mut gb, 1.0);
    assert_eq!((va, ga), (vb, gb));
}

#[test]
fn adversarial_names_and_macro_three_ways() {
    for (seed, weight) in WEIGHTS.into_iter().enumerate() {
        let s = Scalar {
            name: "adversarial",
            f: &|x| adversarial(x, weight),
            jvp: &|x, d| adversarial_jvp(x, d, weight),
            vjp: &|x, g, y| adversarial_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| adversarial_vjp(x, g, weight, y),
        };
        prove(&s, &X, 300 + seed as u64);
        let s = Scalar {
            name: "macro_walk",
            f: &|x| macro_walk(x, weight),
            jvp: &|x, d| macro_walk_jvp(x, d, weight),
            vjp: &|x, g, y| macro_walk_vjp(x, g, weight, y),
            vjp_dual: &|x, g, y| macro_walk_vjp(x, g, weight, y),
        };
        prove(&s, &X, 400 + seed as u64);
    }
}
