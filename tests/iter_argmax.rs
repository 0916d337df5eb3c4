//! The argmax and argmin with their index, as scientists write them:
//! `let (i, v) = x.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();`, the
//! comparator on the pairs' second items (`a.1`, or destructured `|(_, a), (_, b)|`), the
//! index an integer used as one (an index, a cast, a loop bound), the value's derivative the
//! chosen item's. Rust's `max_by_key` needs an `Ord` key, which `f64` is not, so this is the
//! form such code takes. Derivatives three ways (central differences, the dot-product test,
//! tangent against adjoint) and Hessian-vector products at dual numbers; ties where Rust puts
//! them; adversarial names; the empty iterator's panic kept.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// The peak and the trough with their positions: values and neighbours read by index.
#[differentiable]
fn peak(x: &[f64], y: &[f64]) -> f64 {
    let (i, v) = x
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    let j = y
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| a.partial_cmp(b).unwrap())
        .unwrap()
        .0;
    let next = x[(i + 1) % x.len()];
    v * y[j] + next * (i as f64 + 1.0) + y[j].sin() * (j as f64)
}

/// Over copies, after `map` and `skip`, `enumerate` before and after the adapters, and the
/// value taken by `.1`, `&v` and an index used as a loop bound.
#[differentiable]
fn shifted(x: &[f64], y: &[f64]) -> f64 {
    let (k, &w) = x
        .iter()
        .skip(1)
        .enumerate()
        .max_by(|a, b| a.1.partial_cmp(b.1).expect("a NaN"))
        .expect("no items");
    let m = x
        .iter()
        .zip(y)
        .map(|(a, b)| a * b)
        .enumerate()
        .skip(2)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let mut s = 0.0;
    for t in 0..k {
        s += y[t] * w;
    }
    let hi = y
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| b.1.total_cmp(&a.1))
        .unwrap()
        .1;
    s + m.1 * w + x[m.0] * hi
}

/// Names the generated code might use.
#[differentiable]
fn adversarial(result: &[f64], x_bar: &[f64]) -> f64 {
    let (__adj0, __max_by) = result
        .iter()
        .enumerate()
        .max_by(|r#a, __item| r#a.1.total_cmp(__item.1))
        .unwrap();
    let (__at, &__found) = x_bar
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    let __found = __found * __max_by;
    __found + result[__at] * (__adj0 as f64) + x_bar[__adj0 % x_bar.len()]
}

macro_rules! in_macro {
    ($name:ident) => {
        #[differentiable]
        fn $name(x: &[f64], y: &[f64]) -> f64 {
            let (i, m) = x
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
            m.tanh() * y[i % y.len()]
        }
    };
}
in_macro!(from_macro);

/// Checks a scalar function of `(x, y)` three ways and its Hessian-vector products at duals.
macro_rules! scalar_case {
    ($f:ident, $jvp:ident, $vjp:ident, $nx:expr, $ny:expr, $seed:expr) => {{
        let (nx, ny) = ($nx, $ny);
        let n = nx + ny;
        let mut rng = Draws::new($seed);
        let point: Vec<f64> = rng.vec(n).iter().map(|v| 0.9 * v).collect();
        let split = |v: &[f64]| (v[..nx].to_vec(), v[nx..].to_vec());
        let grad = |p: &[f64], out: &mut [f64]| {
            let (x, y) = split(p);
            let (mut xb, mut yb) = (vec![0.0; nx], vec![0.0; ny]);
            $vjp(&x[..], &mut xb[..], &y[..], &mut yb[..], 1.0);
            out[..nx].copy_from_slice(&xb);
            out[nx..].copy_from_slice(&yb);
        };
        check(
            &Case {
                name: stringify!($f),
                inputs: n,
                outputs: 1,
                f: &|p| {
                    let (x, y) = split(p);
                    vec![$f(&x, &y)]
                },
                jvp: &|p, d| {
                    let ((x, y), (xd, yd)) = (split(p), split(d));
                    let (v, t) = $jvp(&x[..], &xd[..], &y[..], &yd[..]);
                    (vec![v], vec![t])
                },
                vjp: &|p, w| {
                    let (x, y) = split(p);
                    let (mut xb, mut yb) = (vec![0.0; nx], vec![0.0; ny]);
                    let v = $vjp(&x[..], &mut xb[..], &y[..], &mut yb[..], w[0]);
                    xb.extend(yb);
                    (vec![v], xb)
                },
            },
            &point,
            $seed,
        );
        let hvp = |p: &[f64], u: &[f64]| -> Vec<f64> {
            let lift: Vec<Dual<f64, 1>> =
                p.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
            let (x, y) = (&lift[..nx], &lift[nx..]);
            let mut xb = vec![Dual::constant(0.0); nx];
            let mut yb = vec![Dual::constant(0.0); ny];
            $vjp(x, &mut xb[..], y, &mut yb[..], Dual::constant(1.0));
            xb.iter().chain(&yb).map(|d| d.tangents[0]).collect()
        };
        let (u, w) = (rng.vec(n), rng.vec(n));
        let (hu, hw) = (hvp(&point, &u), hvp(&point, &w));
        let report = check_hvp(grad, &point, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{}: {report:?}", stringify!($f));
    }};
}

#[test]
fn derivatives_three_ways_and_hvp() {
    for seed in [1, 2, 3] {
        scalar_case!(peak, peak_jvp, peak_vjp, 7, 5, seed);
        scalar_case!(shifted, shifted_jvp, shifted_vjp, 7, 7, seed);
        scalar_case!(adversarial, adversarial_jvp, adversarial_vjp, 5, 4, seed);
        scalar_case!(from_macro, from_macro_jvp, from_macro_vjp, 6, 3, seed);
    }
}

#[differentiable]
fn argmax_value(x: &[f64]) -> f64 {
    let (i, v) = x
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.partial_cmp(b.1).unwrap())
        .unwrap();
    v + 10.0 * i as f64
}

#[differentiable]
fn argmin_total(x: &[f64]) -> f64 {
    let (i, v) = x
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    v + 10.0 * i as f64
}

#[test]
fn ties_go_where_rust_puts_them() {
    // `max_by` picks the last maximal item, `min_by` the first minimal one: the index says
    // which (the companions' values equal the function's, which rustc compiles as written).
    let x = [1.0, 3.0, -2.0, 3.0, -2.0, 0.5];
    assert_eq!(argmax_value(&x), 33.0);
    assert_eq!(argmin_total(&x), 18.0);
    let mut g = [0.0; 6];
    assert_eq!(argmax_value_vjp(&x, &mut g, 1.0), 33.0);
    assert_eq!(g, [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    let mut g = [0.0; 6];
    assert_eq!(argmin_total_vjp(&x, &mut g, 1.0), 18.0);
    assert_eq!(g, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(
        argmax_value_jvp(&x, &[0.0, 5.0, 0.0, 1.0, 0.0, 0.0]),
        (33.0, 1.0)
    );
    // `total_cmp` orders -0.0 before 0.0; `partial_cmp` calls them equal (the last is kept).
    let z = [0.0, -0.0, -1.0];
    assert_eq!(argmin_total(&[0.0, -0.0]), 10.0);
    assert_eq!(argmax_value(&z), 10.0);
    assert_eq!(argmax_value_jvp(&z, &[1.0, 2.0, 3.0]), (10.0, 2.0));
}

#[test]
fn the_empty_iterator_panics_as_the_users_code() {
    let empty: [f64; 0] = [];
    for f in [
        std::panic::catch_unwind(|| argmax_value(&empty)),
        std::panic::catch_unwind(|| argmax_value_jvp(&empty, &empty).0),
        std::panic::catch_unwind(|| argmax_value_vjp(&empty, &mut [], 1.0)),
    ] {
        let e = f.expect_err("panics");
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(
            msg.as_deref(),
            Some("called `Option::unwrap()` on a `None` value")
        );
    }
}
