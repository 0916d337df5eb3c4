//! Issue 12, item 3: chains that start at a range of integers, `(0..n).map(|i| ..)`, as
//! scientists write a stencil or a weighted sum: summed, folded, collected into a `let` or
//! returned as the function's `Vec<f64>` result, zipped with arrays, filtered, reversed, with
//! literal and inclusive bounds. Checked three ways (central differences, the dot-product test,
//! tangent against adjoint), against the loops written by hand to the bit, with the Hessian of
//! a scalar cost at dual numbers against differences of gradients, adversarial names and a
//! `macro_rules!` caller.

mod common;

use common::{check, Case};
use tapeless::{differentiable, Dual};

/// The Lorenz-96 right-hand side returned straight from the chain.
#[differentiable]
fn l96(u: &[f64], forcing: f64) -> Vec<f64> {
    let n = u.len();
    (0..n)
        .map(|i| (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing)
        .collect()
}

#[allow(clippy::needless_range_loop)] // written the way the chain is lowered
fn l96_by_hand(u: &[f64], forcing: f64) -> Vec<f64> {
    let n = u.len();
    let mut du = vec![0.0; n];
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + forcing;
    }
    du
}

/// Sums, a fold, a collected local, a zip with an array, a filter, a reversed range and
/// bounds that are literals, inclusive, or expressions.
#[differentiable]
fn chains(x: &[f64]) -> f64 {
    let n = x.len();
    let energy = (0..n).map(|i| x[i] * x[i]).sum::<f64>();
    let weighted: f64 = (0..n)
        .zip(x.iter())
        .map(|(i, v)| (i as f64 + 1.0) * v.sin())
        .sum();
    let pairs = (1..=n - 1).map(|i| x[i] * x[i - 1]).product::<f64>();
    let even = (0..n)
        .filter(|i| i % 2 == 0)
        .map(|i| x[i].exp())
        .sum::<f64>();
    let horner = (0..n).rev().map(|i| x[i]).fold(0.0, |acc, c| acc * 0.5 + c);
    let squares: Vec<f64> = (2..n).map(|i| x[i] * x[i - 2]).collect();
    let first_two = (0..2).map(|i| x[i].cos()).sum::<f64>();
    let shifted = (0..n)
        .skip(1)
        .zip(x.iter())
        .map(|(i, v)| i as f64 * v)
        .sum::<f64>();
    shifted * 0.1
        + energy
        + weighted
        + pairs
        + even
        + horner * squares[0]
        + squares[squares.len() - 1] * first_two
}

#[allow(clippy::needless_range_loop)]
fn chains_by_hand(x: &[f64]) -> f64 {
    let n = x.len();
    let mut energy = 0.0;
    for i in 0..n {
        energy += x[i] * x[i];
    }
    let mut weighted = 0.0;
    for i in 0..n {
        weighted += (i as f64 + 1.0) * x[i].sin();
    }
    let mut pairs = 1.0;
    for i in 1..n {
        pairs *= x[i] * x[i - 1];
    }
    let mut even = 0.0;
    for i in 0..n {
        if i % 2 == 0 {
            even += x[i].exp();
        }
    }
    let mut horner = 0.0;
    for i in (0..n).rev() {
        horner = horner * 0.5 + x[i];
    }
    let mut squares = vec![0.0; n - 2];
    for i in 2..n {
        squares[i - 2] = x[i] * x[i - 2];
    }
    let mut first_two = 0.0;
    for i in 0..2 {
        first_two += x[i].cos();
    }
    let mut shifted = 0.0;
    for i in 1..n {
        shifted += i as f64 * x[i - 1];
    }
    shifted * 0.1
        + energy
        + weighted
        + pairs
        + even
        + horner * squares[0]
        + squares[squares.len() - 1] * first_two
}

/// Names of the generated code's in the closures and the bounds, and a local `result`.
#[differentiable]
fn adversarial(x_bar: &[f64], __start: usize) -> f64 {
    let __end = x_bar.len();
    let result = (__start..__end)
        .map(|__i| x_bar[__i] * x_bar[__i - __start])
        .sum::<f64>();
    let r#type: Vec<f64> = (__start..=__end - 1)
        .map(|__adj0| x_bar[__adj0].sqrt())
        .collect();
    result + r#type[0]
}

macro_rules! stencil_sum {
    ($name:ident, $w:expr) => {
        #[differentiable]
        fn $name(x: &[f64]) -> f64 {
            let n = x.len();
            (1..n - 1)
                .map(|i| $w * (x[i - 1] - 2.0 * x[i] + x[i + 1]).powi(2))
                .sum::<f64>()
        }
    };
}
stencil_sum!(laplacian_energy, 0.5);

/// The `_jvp` companion of a scalar function of a slice.
type Jvp<'a> = &'a dyn Fn(&[f64], &[f64]) -> (f64, f64);
/// Its `_vjp` companion.
type Vjp<'a> = &'a dyn Fn(&[f64], &mut [f64], f64) -> f64;

/// The three checks of a scalar function of a slice of `x.len()` reals.
fn check_slice(name: &str, f: &dyn Fn(&[f64]) -> f64, jvp: Jvp, vjp: Vjp, x: &[f64], seed: u64) {
    let n = x.len();
    check(
        &Case {
            name,
            inputs: n,
            outputs: 1,
            f: &|x| vec![f(x)],
            jvp: &|x, d| {
                let (v, t) = jvp(x, d);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; n];
                let v = vjp(x, &mut g, w[0]);
                (vec![v], g)
            },
        },
        x,
        seed,
    );
}

const X: [f64; 6] = [0.7, 1.2, 0.4, 2.1, 0.3, 0.9];

#[test]
fn a_range_chain_returned_as_the_result_three_ways() {
    let u = [8.1, 7.9, 8.3, 8.0, 7.7, 8.2, 8.05];
    assert_eq!(l96(&u, 8.0), l96_by_hand(&u, 8.0));
    let mut v = u.to_vec();
    v.push(8.0);
    check(
        &Case {
            name: "l96",
            inputs: 8,
            outputs: 7,
            f: &|v| l96(&v[..7], v[7]),
            jvp: &|v, d| l96_jvp(&v[..7], &d[..7], v[7], d[7]),
            vjp: &|v, w| {
                let (mut u_bar, mut f_bar) = (vec![0.0; 7], 0.0);
                let r = l96_vjp(&v[..7], &mut u_bar, v[7], &mut f_bar, w);
                u_bar.push(f_bar);
                (r, u_bar)
            },
        },
        &v,
        501,
    );
}

#[test]
fn range_chains_equal_the_loops_and_are_right_three_ways() {
    assert_eq!(chains(&X), chains_by_hand(&X));
    check_slice(
        "chains",
        &chains,
        &|x, d| chains_jvp(x, d),
        &|x, g, w| chains_vjp(x, g, w),
        &X,
        502,
    );
    check_slice(
        "laplacian_energy",
        &laplacian_energy,
        &|x, d| laplacian_energy_jvp(x, d),
        &|x, g, w| laplacian_energy_vjp(x, g, w),
        &X,
        503,
    );
}

#[test]
fn adversarial_names_three_ways() {
    check_slice(
        "adversarial",
        &|x| adversarial(x, 2),
        &|x, d| adversarial_jvp(x, d, 2),
        &|x, g, w| adversarial_vjp(x, g, 2, w),
        &X,
        504,
    );
}

#[test]
fn the_hessian_of_range_chains_at_dual_numbers_is_symmetric_and_differences_gradients() {
    type D = Dual<f64, 1>;
    let grad = |x: &[f64]| {
        let mut g = vec![0.0; 6];
        chains_vjp(x, &mut g, 1.0);
        g
    };
    let hv = |v: &[f64]| {
        let xd: Vec<D> = X.iter().zip(v).map(|(&a, &b)| D::new(a, [b])).collect();
        let mut g = vec![D::constant(0.0); 6];
        chains_vjp(&xd, &mut g, D::constant(1.0));
        g.iter().map(|gi| gi.tangents[0]).collect::<Vec<f64>>()
    };
    let a = [1.0, 0.5, -0.3, 0.2, -0.7, 0.4];
    let b = [-0.4, 0.9, 0.1, -0.6, 0.3, 0.8];
    let (ha, hb) = (hv(&a), hv(&b));
    let dot = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(&b, &ha), dot(&a, &hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()),
        "H not symmetric: {l} vs {r}"
    );
    let eps = 1e-5;
    let shifted = |s: f64| -> Vec<f64> { X.iter().zip(a).map(|(x, d)| x + s * d).collect() };
    let (gp, gm) = (grad(&shifted(eps)), grad(&shifted(-eps)));
    for i in 0..6 {
        let fd = (gp[i] - gm[i]) / (2.0 * eps);
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "H a [{i}]: {} vs differences of gradients {fd}",
            ha[i]
        );
    }
}
