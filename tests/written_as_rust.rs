//! Syntax written the way Rust programmers write it, accepted by lowering it to what the subset
//! already had: array patterns `let [x, y, z] = a;` (of an array, a call's result, an array
//! written out), literals with a suffix (`3f64`, `2_f64`, `1e-3_f64`), copies of arrays
//! `let d = c;`, `const` items inside the function (also in array lengths), `&Vec<f64>` and
//! `&mut Vec<f64>` parameters, `s = if ..` and `v[i] = match ..`, tuples bound whole with
//! their fields `t.0`, `t.1` read and written, `x.sin_cos()` and `x.clamp(lo, hi)`. Each is checked three ways (finite differences, the dot-product test,
//! tangent against adjoint, in `common::check`, which also compares the companions' values with
//! the function's bit for bit), and the scalar ones through Hessian-vector products at dual
//! numbers against differences of gradients.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

#[differentiable]
fn polar(r: f64, theta: f64) -> [f64; 3] {
    let (s, c) = theta.sin_cos();
    [r * c, r * s, r * r]
}

/// Array patterns of a parameter, of a differentiable call's result (with `_` and `mut`) and of
/// an array written out.
#[differentiable]
fn destructured(a: [f64; 3], w: f64) -> [f64; 3] {
    let [x, y, z] = a;
    let [px, _, mut pr] = polar(x, w);
    pr *= y;
    let [u, v] = [z * w, x - y];
    [px * u, pr + v, x * y * z]
}

fn destructured_by_hand(a: [f64; 3], w: f64) -> [f64; 3] {
    let (x, y, z) = (a[0], a[1], a[2]);
    let px = x * w.cos();
    let pr = x * x * y;
    [px * (z * w), pr + (x - y), x * y * z]
}

#[test]
fn array_patterns_bind_the_elements() {
    for (i, (a, w)) in [([0.7, -1.2, 0.4], 0.3), ([1.5, 0.2, -0.9], 2.1)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(destructured(a, w), destructured_by_hand(a, w));
        check(
            &Case {
                name: "destructured",
                inputs: 4,
                outputs: 3,
                f: &|x| destructured([x[0], x[1], x[2]], x[3]).to_vec(),
                jvp: &|x, d| {
                    let (v, t) =
                        destructured_jvp([x[0], x[1], x[2]], [d[0], d[1], d[2]], x[3], d[3]);
                    (v.to_vec(), t.to_vec())
                },
                vjp: &|x, y| {
                    let (mut a_bar, mut w_bar) = ([0.0; 3], 0.0);
                    let v = destructured_vjp([x[0], x[1], x[2]], &mut a_bar, x[3], &mut w_bar, y);
                    (v.to_vec(), vec![a_bar[0], a_bar[1], a_bar[2], w_bar])
                },
            },
            &[a[0], a[1], a[2], w],
            10 + i as u64,
        );
    }
}

/// `const` items (in array lengths, in loop bounds, naming each other, used before they are
/// declared), literals with suffixes, and a copy `let d = c;` whose writes leave `c` alone.
#[differentiable]
fn smoothed(x: &[f64]) -> Vec<f64> {
    const N: usize = 4;
    const HALF: f64 = 0.5;
    let mut c: [f64; N] = [0.0; N];
    for i in 0..N {
        c[i] = x[i] * WEIGHT;
    }
    let mut d = c;
    for i in 1..N {
        d[i] = HALF * (c[i] + c[i - 1]) + 3_f64 * d[i - 1] * 1e-1;
    }
    const WEIGHT: f64 = 2f64 * HALF + 1e-3_f64;
    let mut out = vec![0.0; LAST + 1];
    for i in 0..N {
        out[i] = c[i] * d[i];
    }
    const LAST: usize = N - 1;
    out
}

fn smoothed_by_hand(x: &[f64]) -> Vec<f64> {
    let weight = 2.0 * 0.5 + 0.001;
    let c: Vec<f64> = x.iter().map(|v| v * weight).collect();
    let mut d = c.clone();
    for i in 1..4 {
        d[i] = 0.5 * (c[i] + c[i - 1]) + 3.0 * d[i - 1] * 0.1;
    }
    c.iter().zip(&d).map(|(a, b)| a * b).collect()
}

#[test]
fn consts_suffixes_and_array_copies() {
    let x = [0.3, -1.1, 0.8, 2.0];
    assert_eq!(smoothed(&x), smoothed_by_hand(&x));
    check(
        &Case {
            name: "smoothed",
            inputs: 4,
            outputs: 4,
            f: &|x| smoothed(x),
            jvp: &|x, d| smoothed_jvp(x, d),
            vjp: &|x, y| {
                let mut x_bar = vec![0.0; 4];
                let v = smoothed_vjp(x, &mut x_bar, y);
                (v, x_bar)
            },
        },
        &x,
        20,
    );
}

/// `&Vec<f64>` and `&mut Vec<f64>` parameters are read and written as slices; the companions
/// keep the written types, so their callers pass `Vec`s as they do to the function.
#[differentiable]
#[allow(clippy::ptr_arg)] // `&Vec` parameters are what this test is about
fn squares_into(out: &mut Vec<f64>, v: &Vec<f64>, k: f64) {
    for i in 0..v.len() {
        out[i] = k * v[i] * v[i];
    }
}

#[differentiable]
#[allow(clippy::ptr_arg)] // `&Vec` parameters are what this test is about
fn sum_of_squares(v: &Vec<f64>) -> f64 {
    let mut out = vec![0.0; v.len()];
    squares_into(&mut out, v, 0.5);
    let mut s = 0.0;
    for i in 0..out.len() {
        s += out[i];
    }
    s
}

#[test]
fn vec_references_are_read_as_slices() {
    let v = vec![0.4, -1.3, 2.2];
    let mut out = vec![0.0; 3];
    squares_into(&mut out, &v, 1.5);
    assert_eq!(out, [1.5 * 0.4 * 0.4, 1.5 * -1.3 * -1.3, 1.5 * 2.2 * 2.2]);
    check(
        &Case {
            name: "squares_into",
            inputs: 4,
            outputs: 3,
            f: &|x| {
                let mut out = vec![0.0; 3];
                squares_into(&mut out, &x[..3].to_vec(), x[3]);
                out
            },
            jvp: &|x, d| {
                let (mut out, mut out_dot) = (vec![0.0; 3], vec![0.0; 3]);
                let v = x[..3].to_vec();
                squares_into_jvp(&mut out, &mut out_dot, &v, &d[..3], x[3], d[3]);
                (out, out_dot)
            },
            vjp: &|x, y| {
                let (mut out, mut out_bar) = (vec![0.0; 3], y.to_vec());
                let (mut v_bar, mut k_bar) = (vec![0.0; 3], 0.0);
                let v = x[..3].to_vec();
                squares_into_vjp(&mut out, &mut out_bar, &v, &mut v_bar, x[3], &mut k_bar);
                v_bar.push(k_bar);
                (out, v_bar)
            },
        },
        &[0.4, -1.3, 2.2, 1.5],
        30,
    );
    let (value, gradient) = sum_of_squares_grad(&v);
    assert_eq!(value, sum_of_squares(&v));
    assert_eq!(gradient, [0.4, -1.3, 2.2]);
}

/// A variable and an element assigned from an `if` or a `match` that gives a value.
#[differentiable]
fn branches_assigned(x: &[f64], k: usize) -> f64 {
    let mut s = x[0];
    s = if s > x[1] { s * x[1] } else { x[1].exp() };
    let mut v = [0.0; 2];
    v[1] = match k {
        0 => s * x[0],
        1 => s.sin(),
        _ => 2.0 * s,
    };
    v[0] = if s > 1.0 {
        let t = s * s;
        t - x[1]
    } else {
        s
    };
    s = match k % 2 {
        0 => v[0] + v[1],
        _ => v[0] * v[1],
    };
    s
}

#[test]
fn values_of_branches_are_assigned() {
    let mut seed = 40;
    for k in 0..3 {
        for x in [[0.9, 0.4], [1.6, 1.2], [-0.3, 0.5], [0.2, -0.6]] {
            seed += 1;
            check(
                &Case {
                    name: "branches_assigned",
                    inputs: 2,
                    outputs: 1,
                    f: &|x| vec![branches_assigned(x, k)],
                    jvp: &|x, d| {
                        let (v, t) = branches_assigned_jvp(x, d, k);
                        (vec![v], vec![t])
                    },
                    vjp: &|x, y| {
                        let mut x_bar = vec![0.0; 2];
                        let v = branches_assigned_vjp(x, &mut x_bar, k, y[0]);
                        (vec![v], x_bar)
                    },
                },
                &x,
                seed,
            );
        }
    }
}

#[differentiable]
fn moments(x: f64, y: f64) -> (f64, f64) {
    (x + y, x * y)
}

/// A tuple bound whole: its fields read and written.
#[differentiable]
fn tuple_fields(x: &[f64]) -> [f64; 2] {
    let mut t: (f64, f64) = moments(x[0], x[1]);
    t.1 *= t.0;
    let first = t.0 / 2.0;
    [first * t.1, t.1.sin()]
}

#[test]
fn tuple_fields_are_variables() {
    let x = [0.6, -1.4];
    let (s, p): (f64, f64) = (0.6 + -1.4, 0.6 * -1.4);
    assert_eq!(tuple_fields(&x), [s / 2.0 * (p * s), (p * s).sin()]);
    check(
        &Case {
            name: "tuple_fields",
            inputs: 2,
            outputs: 2,
            f: &|x| tuple_fields(x).to_vec(),
            jvp: &|x, d| {
                let (v, t) = tuple_fields_jvp(x, d);
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, y| {
                let mut x_bar = vec![0.0; 2];
                let v = tuple_fields_vjp(x, &mut x_bar, y);
                (v.to_vec(), x_bar)
            },
        },
        &x,
        50,
    );
}

/// `clamp` with constant and with differentiated bounds, as a method and as a path.
#[differentiable]
fn clamped(x: &[f64]) -> [f64; 4] {
    [
        x[0].clamp(-1.0, 1.0),
        (x[0] * x[1]).clamp(x[2], x[2] + 1.0),
        x[1].clamp(x[0].min(x[2]), 2.0) * x[2],
        f64::clamp(x[2] * x[2], 0.5, 1.5) * x[0],
    ]
}

fn clamped_by_hand(x: &[f64]) -> [f64; 4] {
    let between = |v: f64, lo: f64, hi: f64| {
        if v < lo {
            lo
        } else if v > hi {
            hi
        } else {
            v
        }
    };
    [
        between(x[0], -1.0, 1.0),
        between(x[0] * x[1], x[2], x[2] + 1.0),
        between(x[1], x[0].min(x[2]), 2.0) * x[2],
        between(x[2] * x[2], 0.5, 1.5) * x[0],
    ]
}

#[test]
fn clamp_differentiates_the_branch_it_takes() {
    // Below, inside and above each range, away from the kinks.
    let points = [
        [-1.7, 0.5, 0.3],
        [0.4, 0.9, -0.2],
        [1.6, 2.5, 1.1],
        [0.8, -1.4, -0.5],
        [-0.6, 3.0, -2.0],
    ];
    for (i, x) in points.into_iter().enumerate() {
        assert_eq!(clamped(&x), clamped_by_hand(&x));
        check(
            &Case {
                name: "clamped",
                inputs: 3,
                outputs: 4,
                f: &|x| clamped(x).to_vec(),
                jvp: &|x, d| {
                    let (v, t) = clamped_jvp(x, d);
                    (v.to_vec(), t.to_vec())
                },
                vjp: &|x, y| {
                    let mut x_bar = vec![0.0; 3];
                    let v = clamped_vjp(x, &mut x_bar, y);
                    (v.to_vec(), x_bar)
                },
            },
            &x,
            60 + i as u64,
        );
    }
}

#[differentiable]
fn clamp_between(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[test]
fn clamp_passes_nan_through_with_the_derivative_of_its_argument() {
    let (value, tangent) = clamp_between_jvp(f64::NAN, 1.0, -1.0, 0.0, 1.0, 0.0);
    assert!(value.is_nan() && clamp_between(f64::NAN, -1.0, 1.0).is_nan());
    assert_eq!(tangent, 1.0);
    // At a bound the argument is returned, with its derivative.
    let (value, tangent) = clamp_between_jvp(1.0, 1.0, -1.0, 0.0, 1.0, 0.0);
    assert_eq!((value, tangent), (1.0, 1.0));
}

#[test]
#[should_panic(expected = "min > max")]
fn clamp_companions_panic_as_std_does_on_bounds_out_of_order() {
    let mut bars = (0.0, 0.0, 0.0);
    clamp_between_vjp(0.5, &mut bars.0, 2.0, &mut bars.1, 1.0, &mut bars.2, 1.0);
}

/// Everything above in one scalar function, for its Hessian.
#[differentiable]
fn energy(x: &[f64]) -> f64 {
    const K: f64 = 1.5;
    let [a, b, c]: [f64; 3] = [x[0], x[1], x[2]];
    let (s, co) = (a * b).sin_cos();
    let mut e = c;
    e = if e > 0.0 { K * s * c } else { co * c * c };
    let mut m = [a, b];
    m[0] = match x.len() {
        3 => m[1] * e,
        _ => 0.0,
    };
    let t: (f64, f64) = moments(a, c);
    e + b.clamp(-1.0, 1.0) * a * a + 2f64 * c.exp() + m[0] * a + t.0 * t.1
}

type D = Dual<f64, 1>;

fn energy_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut bar = vec![D::constant(0.0); x.len()];
    energy_vjp(&xd, &mut bar, D::constant(1.0));
    bar.iter().map(|b| b.tangents[0]).collect()
}

fn energy_gradient(x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    energy_vjp(x, g, 1.0);
}

#[test]
fn hessian_vector_products_through_the_new_syntax() {
    let mut rng = common::Draws::new(70);
    for x in [[0.3, 0.7, 0.8], [-0.45, 1.3, -0.6], [1.1, -2.0, 0.25]] {
        common::check_scalar(
            "energy along x[0]",
            &|t| energy(&[t, x[1], x[2]]),
            &|t, dt| energy_jvp(&[t, x[1], x[2]], &[dt, 0.0, 0.0]),
            &|t, t_bar, y| {
                let mut g = [0.0; 3];
                let v = energy_vjp(&[t, x[1], x[2]], &mut g, y);
                *t_bar += g[0];
                v
            },
            x[0],
            71,
        );
        let (u, w) = (rng.vec(3), rng.vec(3));
        let (hu, hw) = (energy_hvp(&x, &u), energy_hvp(&x, &w));
        let report = check_hvp(energy_gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "at {x:?}: {report:?}");
    }
}
