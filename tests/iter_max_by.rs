//! `.max_by(cmp).unwrap()` and `.min_by(cmp).unwrap()` of iterator chains: the item Rust's own
//! `max_by`/`min_by` picks (the last maximal item, the first minimal one, by the comparator the
//! user wrote), its derivatives proved three ways (central differences, the dot-product test,
//! tangent against adjoint) with forward-over-reverse Hessian-vector products, and the user's
//! panics (an empty iterator, a NaN under `partial_cmp(..).unwrap()`) kept in the companions.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

#[differentiable]
fn max_total(x: &[f64], y: &[f64]) -> f64 {
    let m = x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap();
    m * y[0].sin() + m.powi(3)
}

#[differentiable]
fn max_partial_ref(x: &[f64], y: &[f64]) -> f64 {
    let m = *x.iter().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    let n = y
        .iter()
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .copied()
        .unwrap();
    m * n + (m - n).exp()
}

#[differentiable]
fn min_map_expect(x: &[f64], y: &[f64]) -> f64 {
    let best = x
        .iter()
        .zip(y)
        .map(|(a, b)| a * b.sin() + 0.5 * a * a)
        .min_by(|p, q| p.partial_cmp(q).expect("a NaN"))
        .expect("no items");
    best * best + x[1]
}

/// A reversed comparator on a reversed chain (the first maximal item of `x`, the last minimal
/// of the squares), and `cloned`.
#[differentiable]
fn swapped_rev(x: &[f64], y: &[f64]) -> f64 {
    let hi = x
        .iter()
        .rev()
        .copied()
        .min_by(|a, b| b.total_cmp(a))
        .unwrap();
    let lo = y
        .iter()
        .map(|v| v * v)
        .max_by(|&a, &b| b.partial_cmp(&a).unwrap())
        .unwrap();
    let mid = x
        .iter()
        .skip(1)
        .step_by(2)
        .min_by(|a, b| a.total_cmp(b))
        .cloned()
        .unwrap();
    hi.sin() * lo + mid * hi
}

/// Names the generated code might use, and a `Vec` and an array built in the function.
#[differentiable]
fn adversarial(result: &[f64], x_bar: &[f64]) -> f64 {
    let __adj0: Vec<f64> = result.iter().map(|r| r * x_bar[0]).collect();
    let __found = [x_bar[1], x_bar[0] * 2.0, result[0]];
    let mut __max_by = __adj0
        .iter()
        .copied()
        .max_by(|r#a, __item| r#a.total_cmp(__item))
        .unwrap();
    for __i in 0..2 {
        __max_by += __found
            .iter()
            .map(|v| v * (__i as f64 + 1.0))
            .min_by(|a, b| a.partial_cmp(b).unwrap())
            .unwrap();
    }
    __max_by
}

macro_rules! in_macro {
    ($name:ident) => {
        #[differentiable]
        fn $name(x: &[f64], y: &[f64]) -> f64 {
            let m = x
                .iter()
                .zip(y)
                .map(|(a, b)| a - b)
                .max_by(|a, b| a.total_cmp(b))
                .unwrap();
            m.tanh() * y[1]
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
        scalar_case!(max_total, max_total_jvp, max_total_vjp, 7, 2, seed);
        scalar_case!(
            max_partial_ref,
            max_partial_ref_jvp,
            max_partial_ref_vjp,
            6,
            5,
            seed
        );
        scalar_case!(
            min_map_expect,
            min_map_expect_jvp,
            min_map_expect_vjp,
            8,
            6,
            seed
        );
        scalar_case!(swapped_rev, swapped_rev_jvp, swapped_rev_vjp, 7, 5, seed);
        scalar_case!(adversarial, adversarial_jvp, adversarial_vjp, 5, 3, seed);
        scalar_case!(from_macro, from_macro_jvp, from_macro_vjp, 6, 6, seed);
    }
}

#[differentiable]
fn largest(x: &[f64]) -> f64 {
    x.iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap()
}

#[differentiable]
fn smallest(x: &[f64]) -> f64 {
    x.iter()
        .copied()
        .min_by(|a, b| a.partial_cmp(b).unwrap())
        .unwrap()
}

#[differentiable]
fn smallest_total(x: &[f64]) -> f64 {
    x.iter().copied().min_by(|a, b| a.total_cmp(b)).unwrap()
}

#[differentiable]
fn largest_expect(x: &[f64]) -> f64 {
    x.iter()
        .copied()
        .max_by(|a, b| a.partial_cmp(b).expect("NaN {here}"))
        .expect("empty {x}")
}

/// The index the gradient of `vjp` at `x` picks (the one nonzero component, which is 1).
fn chosen(vjp: fn(&[f64], &mut [f64], f64) -> f64, x: &[f64]) -> usize {
    let mut g = vec![0.0; x.len()];
    vjp(x, &mut g, 1.0);
    let hits: Vec<usize> = (0..x.len()).filter(|&k| g[k] != 0.0).collect();
    assert_eq!(hits.len(), 1, "one item chosen: {g:?}");
    assert_eq!(g[hits[0]], 1.0);
    hits[0]
}

#[test]
fn ties_go_where_rust_puts_them() {
    // `max_by` picks the last maximal item, `min_by` the first minimal one.
    let x = [1.0, 3.0, -2.0, 3.0, -2.0, 0.5];
    let last_max = x
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.partial_cmp(b.1).unwrap())
        .unwrap()
        .0;
    let first_min = x
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.partial_cmp(b.1).unwrap())
        .unwrap()
        .0;
    assert_eq!((last_max, first_min), (3, 2));
    assert_eq!(chosen(largest_vjp, &x), last_max);
    assert_eq!(chosen(smallest_vjp, &x), first_min);
    assert_eq!(chosen(smallest_total_vjp, &x), first_min);
    let (_, t) = largest_jvp(&x, &[0.0, 10.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(t, 1.0);
    // `total_cmp` orders -0.0 before 0.0; `partial_cmp` calls them equal.
    let z = [0.0, -0.0, 5.0];
    assert_eq!(chosen(smallest_vjp, &z), 0);
    assert_eq!(chosen(smallest_total_vjp, &z), 1);
    assert!(smallest_total(&z).is_sign_negative());
    let mut g = [0.0; 3];
    assert!(smallest_total_vjp(&z, &mut g, 1.0).is_sign_negative());
    // `total_cmp` orders NaN above every number: the maximum is the NaN, as in the user's code.
    let n = [1.0, f64::NAN, 2.0];
    assert!(largest_expect(&[1.0, 2.0]) == 2.0);
    let mut g = [0.0; 3];
    let v = from_macro_vjp(&n, &mut g, &[0.0, 1.0, 0.0], &mut [0.0; 3], 1.0);
    assert!(v.is_nan() && from_macro(&n, &[0.0, 1.0, 0.0]).is_nan());
    // The derivative flows to the chosen item, the NaN, and only there.
    assert!(g[0] == 0.0 && g[1].is_nan() && g[2] == 0.0, "{g:?}");
}

/// The panic message of `f`.
fn panic_of<R: std::fmt::Debug>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> String {
    let e = std::panic::catch_unwind(f).expect_err("panics");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn the_users_panics_are_kept() {
    let unwrap_none = "called `Option::unwrap()` on a `None` value";
    let empty: [f64; 0] = [];
    assert_eq!(
        panic_of(|| std::hint::black_box(largest(&empty))),
        unwrap_none
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_jvp(&empty, &empty))),
        unwrap_none
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_vjp(&empty, &mut [], 1.0))),
        unwrap_none
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_expect(&empty))),
        "empty {x}"
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_expect_jvp(&empty, &empty))),
        "empty {x}"
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_expect_vjp(&empty, &mut [], 1.0))),
        "empty {x}"
    );
    // `partial_cmp(..).unwrap()` of a NaN panics; `.expect(msg)` with the message.
    let n = [1.0, f64::NAN, 2.0];
    assert_eq!(panic_of(|| std::hint::black_box(largest(&n))), unwrap_none);
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_jvp(&n, &[0.0; 3]))),
        unwrap_none
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_vjp(&n, &mut [0.0; 3], 1.0))),
        unwrap_none
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_expect(&n))),
        "NaN {here}"
    );
    assert_eq!(
        panic_of(|| std::hint::black_box(largest_expect_vjp(&n, &mut [0.0; 3], 1.0))),
        "NaN {here}"
    );
    // One item is compared with nothing: no panic, even for a NaN.
    assert!(largest(&[f64::NAN]).is_nan());
    assert!(largest_jvp(&[f64::NAN], &[1.0]).0.is_nan());
}
