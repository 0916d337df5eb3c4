//! Const generic parameters in the company of everything else: named like the companions'
//! scalar (`S`, `T`), like generated names (`N_bar`, a local `__n`), two of them, one that no
//! parameter's type names, rows `[[f64; 3]; N]`, several activity patterns, `constants(..)`, a
//! struct parameter and a `macro_rules!` caller. Each derivative checked three ways, the
//! scalar ones also by H v at `Dual` against differences of gradients.

// `N_bar` is named like a generated adjoint on purpose, not in upper case.
#![allow(non_upper_case_globals)]

use tapeless::{differentiable, Dual};

mod common;

use common::fixed::hessian_and_gradient;
use common::{check, Case};

type D = Dual<f64, 1>;

/// Named `S`, the companions' usual scalar: the scalar is named otherwise.
#[differentiable]
fn energy<const S: usize>(x: &[f64; S]) -> f64 {
    let mut e = 0.0;
    for i in 0..S {
        e += x[i] * x[(i + 1) % S] + (x[i] / S as f64).sin();
    }
    e
}

/// Two const parameters, `T` and `N_bar` (the adjoint name of an `N`), with a local named
/// like the variable the body binds to a const parameter (`__n`, `__t`), rows `[[f64; 3]; T]`
/// and a call passing both, `energy::<T>` inferred from an array `[f64; T]`.
#[differentiable]
fn rows<const T: usize, const N_bar: usize>(pos: &[[f64; 3]; T], w: &[f64; N_bar]) -> f64 {
    let __n = N_bar;
    let mut flat = [0.0; T];
    for k in 0..T {
        flat[k] = pos[k][0] * pos[k][1] - pos[(k + 1) % T][2].cos();
    }
    let mut s = energy(&flat);
    for j in 0..__n {
        let __t = w[j] * w[(j + N_bar - 1) % N_bar];
        s += __t * pos[j % T][2];
    }
    s
}

/// A length that no parameter's type names: read in the body only, passed by the caller.
#[differentiable]
fn head_sum<const K: usize>(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..K {
        s += x[i] * x[i] * (i + 1) as f64;
    }
    s
}

fn noise(k: usize) -> f64 {
    0.01 * (12.9898 * k as f64).sin()
}

/// Several patterns and a constant function, at a const length.
#[differentiable(wrt(x), wrt(x, c) as misfit_both, constants(noise))]
fn misfit<const N: usize>(x: &[f64; N], c: f64) -> f64 {
    let mut s = head_sum::<N>(x) * c;
    for i in 0..N {
        s += (x[i] * c - noise(i)).powi(2);
    }
    s
}

#[differentiable]
#[derive(Clone, Debug)]
struct Forcing {
    f: f64,
    damping: f64,
}

/// A struct parameter beside a const length.
#[differentiable]
fn forced<const N: usize>(x: &[f64; N], p: &Forcing) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        s += (x[i] * p.f - p.damping * x[(i + N - 1) % N]).powi(2);
    }
    s
}

/// A caller written by a `macro_rules!` macro, naming the length with a literal fragment.
macro_rules! caller_of {
    ($name:ident, $len:literal) => {
        #[differentiable]
        fn $name(x: &[f64; $len], c: f64) -> f64 {
            let e = energy::<$len>(x);
            misfit_both::<$len>(x, c) + e * c
        }
    };
}

caller_of!(by_macro, 5);

fn at<const N: usize>() -> [f64; N] {
    std::array::from_fn(|i| 0.4 + 0.3 * (1.3 * i as f64).sin())
}

/// A `_jvp` companion of a scalar function of `N` reals: `(value, tangent)`.
type Jvp<'a, const N: usize> = &'a dyn Fn(&[f64; N], &[f64]) -> (f64, f64);
/// A `_vjp` companion of it, accumulating into the slice: `(x, x_bar, y_bar)`.
type Vjp<'a, const N: usize> = &'a dyn Fn(&[f64; N], &mut [f64], f64) -> f64;

/// A scalar function of `N` reals, with its companions, on flat vectors.
fn scalar_case<const N: usize>(
    name: &str,
    f: &dyn Fn(&[f64; N]) -> f64,
    jvp: Jvp<N>,
    vjp: Vjp<N>,
    seed: u64,
) {
    check(
        &Case {
            name,
            inputs: N,
            outputs: 1,
            f: &|x| vec![f(x.try_into().unwrap())],
            jvp: &|x, d| {
                let (v, t) = jvp(x.try_into().unwrap(), d);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = vjp(x.try_into().unwrap(), &mut g, w[0]);
                (vec![v], g)
            },
        },
        &at::<N>(),
        seed,
    );
}

#[test]
fn a_const_parameter_named_like_the_scalar_three_ways_and_hessian() {
    scalar_case::<4>(
        "energy::<4>",
        &|x| energy(x),
        &|x, d| energy_jvp(x, d),
        &|x, g, w| energy_vjp(x, g, w),
        1,
    );
    scalar_case::<7>(
        "energy::<7>",
        &|x| energy(x),
        &|x, d| energy_jvp(x, d),
        &|x, g, w| energy_vjp(x, g, w),
        2,
    );
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        energy_vjp(&x, &mut g[..], 1.0);
        g
    };
    let x = at::<4>();
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        energy_vjp::<D, 4>(&xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    hessian_and_gradient(x, &|x| energy(&x), &grad, &hv);
}

#[test]
fn two_const_parameters_with_rows_and_adversarial_locals_three_ways() {
    // `pos` (4 rows of 3) then `w` (2 reals), flat.
    let split = |x: &[f64]| -> ([[f64; 3]; 4], [f64; 2]) {
        (
            std::array::from_fn(|k| std::array::from_fn(|c| x[3 * k + c])),
            [x[12], x[13]],
        )
    };
    let flat = |p: &[[f64; 3]; 4], w: &[f64; 2]| -> Vec<f64> {
        p.iter().flatten().chain(w).copied().collect()
    };
    check(
        &Case {
            name: "rows::<4, 2>",
            inputs: 14,
            outputs: 1,
            f: &|x| {
                let (p, w) = split(x);
                vec![rows::<4, 2>(&p, &w)]
            },
            jvp: &|x, d| {
                let ((p, w), (pd, wd)) = (split(x), split(d));
                // `T` is the length of rows, taken as `&[[S; 3]]`: named.
                let (v, t) = rows_jvp::<f64, 4, 2>(&p, &pd, &w, &wd);
                (vec![v], vec![t])
            },
            vjp: &|x, y| {
                let (p, w) = split(x);
                let (mut pb, mut wb) = ([[0.0; 3]; 4], [0.0; 2]);
                let v = rows_vjp::<f64, 4, 2>(&p, &mut pb, &w, &mut wb, y[0]);
                (vec![v], flat(&pb, &wb))
            },
        },
        &(0..14)
            .map(|i| 0.3 + 0.2 * (0.7 * i as f64).cos())
            .collect::<Vec<_>>(),
        3,
    );
}

#[test]
fn patterns_constants_and_a_length_read_in_the_body_only_three_ways() {
    let c = 1.3;
    scalar_case::<4>(
        "misfit::<4>",
        &|x| misfit(x, c),
        &|x, d| misfit_jvp(x, d, c),
        &|x, g, w| misfit_vjp(x, g, c, w),
        4,
    );
    // `wrt(x, c)`: inputs `[x.., c]`.
    check(
        &Case {
            name: "misfit_both::<3>",
            inputs: 4,
            outputs: 1,
            f: &|x| vec![misfit::<3>(x[..3].try_into().unwrap(), x[3])],
            jvp: &|x, d| {
                let (v, t) =
                    misfit_both_jvp::<f64, 3>(x[..3].try_into().unwrap(), &d[..3], x[3], d[3]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let (gx, gc) = g.split_at_mut(3);
                let v = misfit_both_vjp::<f64, 3>(
                    x[..3].try_into().unwrap(),
                    gx,
                    x[3],
                    &mut gc[0],
                    w[0],
                );
                (vec![v], g)
            },
        },
        &[0.4, -0.2, 0.9, 1.3],
        5,
    );
    let (v, g) = misfit_both_grad(&[0.4, -0.2, 0.9], 1.3);
    let (v1, gx) = misfit_grad(&[0.4, -0.2, 0.9], 1.3);
    assert_eq!((v, g.0), (v1, gx));
    // `K` only in the body: passed, never inferred.
    scalar_case::<6>(
        "head_sum::<3>",
        &|x| head_sum::<3>(x),
        &|x, d| head_sum_jvp::<f64, 3>(x, d),
        &|x, g, w| head_sum_vjp::<f64, 3>(x, g, w),
        6,
    );
}

#[test]
fn a_struct_parameter_beside_a_const_length_three_ways() {
    check(
        &Case {
            name: "forced::<5>",
            inputs: 7,
            outputs: 1,
            f: &|x| {
                let p = Forcing {
                    f: x[5],
                    damping: x[6],
                };
                vec![forced::<5>(x[..5].try_into().unwrap(), &p)]
            },
            jvp: &|x, d| {
                let p = Forcing {
                    f: x[5],
                    damping: x[6],
                };
                let pd = Forcing {
                    f: d[5],
                    damping: d[6],
                };
                let (v, t) = forced_jvp(&<[f64; 5]>::try_from(&x[..5]).unwrap(), &d[..5], &p, &pd);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let p = Forcing {
                    f: x[5],
                    damping: x[6],
                };
                let mut g = vec![0.0; 7];
                let mut pb = Forcing {
                    f: 0.0,
                    damping: 0.0,
                };
                let v = forced_vjp(
                    &<[f64; 5]>::try_from(&x[..5]).unwrap(),
                    &mut g[..5],
                    &p,
                    &mut pb,
                    w[0],
                );
                g[5] = pb.f;
                g[6] = pb.damping;
                (vec![v], g)
            },
        },
        &[0.4, -0.2, 0.9, 1.3, 0.5, 1.1, 0.3],
        7,
    );
}

#[test]
fn a_macro_rules_caller_naming_the_length_three_ways() {
    let c = 0.7;
    scalar_case::<5>(
        "by_macro",
        &|x| by_macro(x, c),
        &|x, d| by_macro_jvp(x, d, c, 0.0),
        &|x, g, w| {
            let mut cb = 0.0;
            by_macro_vjp(x, g, c, &mut cb, w)
        },
        8,
    );
}
