//! The rest of `f64`'s elementary functions: inverse trigonometric and hyperbolic functions,
//! other bases and accurate variants of `exp` and `ln`, `recip`, `log(b)`, and the
//! piecewise-constant `signum`, `floor`, `ceil`, `round` and `trunc` (derivative zero). Each is
//! checked three ways (finite differences, the dot-product test, tangent against adjoint) inside
//! its domain, in method and in path syntax; its primal against `f64`'s own method, bit for bit;
//! and its second derivative through a Hessian-vector product (the adjoint at dual numbers)
//! against differences of gradients.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// Functions defined on the whole line (but zero, for `recip`).
#[differentiable]
fn anywhere(x: f64) -> [f64; 10] {
    [
        x.cbrt(),
        x.asinh(),
        x.exp2(),
        x.exp_m1(),
        x.recip(),
        f64::cbrt(2.0 * x),
        f64::asinh(x * x),
        f64::exp2(-x),
        f64::exp_m1(x) * x,
        f64::recip(x + 3.0),
    ]
}

fn anywhere_by_hand(x: f64) -> [f64; 10] {
    [
        x.cbrt(),
        x.asinh(),
        x.exp2(),
        x.exp_m1(),
        x.recip(),
        (2.0 * x).cbrt(),
        (x * x).asinh(),
        (-x).exp2(),
        x.exp_m1() * x,
        (x + 3.0).recip(),
    ]
}

/// Functions defined on `(-1, 1)`.
#[differentiable]
fn inside_unit(x: f64) -> [f64; 8] {
    [
        x.asin(),
        x.acos(),
        x.atanh(),
        x.ln_1p(),
        f64::asin(0.5 * x),
        f64::acos(x) * x,
        f64::atanh(-x),
        f64::ln_1p(x * x),
    ]
}

fn inside_unit_by_hand(x: f64) -> [f64; 8] {
    [
        x.asin(),
        x.acos(),
        x.atanh(),
        x.ln_1p(),
        (0.5 * x).asin(),
        x.acos() * x,
        (-x).atanh(),
        (x * x).ln_1p(),
    ]
}

/// Functions defined above one (`acosh`) or above zero (`log2`, `log`).
#[differentiable]
fn above_one(x: f64) -> [f64; 6] {
    [
        x.acosh(),
        x.log2(),
        f64::acosh(x * x),
        f64::log2(x + 1.0),
        x.log(10.0),
        f64::log(2.0 * x, x),
    ]
}

fn above_one_by_hand(x: f64) -> [f64; 6] {
    [
        x.acosh(),
        x.log2(),
        (x * x).acosh(),
        (x + 1.0).log2(),
        x.log(10.0),
        (2.0 * x).log(x),
    ]
}

/// `log` with both arguments active, in both syntaxes.
#[differentiable]
fn logs(x: f64, b: f64) -> (f64, f64) {
    (x.log(b), f64::log(b, x + b))
}

/// The piecewise-constant functions: their values pass through, their derivatives are zero, so
/// only the factors around them are differentiated.
#[differentiable]
fn steps(x: f64) -> f64 {
    let k = x.floor();
    x.signum() * x * x + k * x + x.ceil() * x.sin() + f64::round(x) * x + f64::trunc(3.0 * x)
}

fn steps_by_hand(x: f64) -> f64 {
    let k = x.floor();
    x.signum() * x * x + k * x + x.ceil() * x.sin() + x.round() * x + (3.0 * x).trunc()
}

/// `signum` and `abs` of an integer stay integer methods.
#[differentiable]
fn integer_signum(x: f64, k: i32) -> f64 {
    let s = k.signum() * k.abs();
    x * f64::from(s)
}

fn check_unary<const N: usize>(
    name: &str,
    f: fn(f64) -> [f64; N],
    jvp: fn(f64, f64) -> ([f64; N], [f64; N]),
    vjp: fn(f64, &mut f64, &[f64]) -> [f64; N],
    by_hand: fn(f64) -> [f64; N],
    points: &[f64],
) {
    for (i, &x) in points.iter().enumerate() {
        // The primal is `f64`'s own method, bit for bit, in the function and its companions.
        assert_eq!(f(x), by_hand(x), "{name}({x})");
        assert_eq!(jvp(x, 1.0).0, by_hand(x), "{name}_jvp({x})");
        check(
            &Case {
                name,
                inputs: 1,
                outputs: N,
                f: &|x| f(x[0]).to_vec(),
                jvp: &|x, d| {
                    let (v, t) = jvp(x[0], d[0]);
                    (v.to_vec(), t.to_vec())
                },
                vjp: &|x, w| {
                    let mut xb = 0.0;
                    let v = vjp(x[0], &mut xb, w);
                    (v.to_vec(), vec![xb])
                },
            },
            &[x],
            100 + i as u64,
        );
    }
}

#[test]
fn functions_of_the_whole_line() {
    check_unary(
        "anywhere",
        anywhere,
        anywhere_jvp::<f64>,
        anywhere_vjp::<f64>,
        anywhere_by_hand,
        &[-1.7, -0.4, 0.3, 1.1, 2.6],
    );
}

#[test]
fn functions_inside_the_unit_interval() {
    check_unary(
        "inside_unit",
        inside_unit,
        inside_unit_jvp::<f64>,
        inside_unit_vjp::<f64>,
        inside_unit_by_hand,
        &[-0.8, -0.3, 0.2, 0.7],
    );
}

#[test]
fn functions_above_one() {
    check_unary(
        "above_one",
        above_one,
        above_one_jvp::<f64>,
        above_one_vjp::<f64>,
        above_one_by_hand,
        &[1.2, 1.9, 3.5],
    );
}

#[test]
fn log_differentiates_in_its_base_too() {
    for (i, (x, b)) in [(0.7, 1.3), (1.9, 0.4), (2.5, 10.0)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(logs(x, b), (x.log(b), b.log(x + b)));
        check(
            &Case {
                name: "logs",
                inputs: 2,
                outputs: 2,
                f: &|x| {
                    let (p, q) = logs(x[0], x[1]);
                    vec![p, q]
                },
                jvp: &|x, d| {
                    let ((p, q), (pd, qd)) = logs_jvp(x[0], d[0], x[1], d[1]);
                    (vec![p, q], vec![pd, qd])
                },
                vjp: &|x, w| {
                    let (mut xb, mut bb) = (0.0, 0.0);
                    let (p, q) = logs_vjp(x[0], &mut xb, x[1], &mut bb, (w[0], w[1]));
                    (vec![p, q], vec![xb, bb])
                },
            },
            &[x, b],
            200 + i as u64,
        );
    }
}

#[test]
fn piecewise_constant_functions_have_zero_derivative() {
    for (i, x) in [-1.7, -0.6, 0.3, 0.45, 1.6, 2.3].into_iter().enumerate() {
        assert_eq!(steps(x), steps_by_hand(x), "steps({x})");
        common::check_scalar("steps", &steps, &steps_jvp, &steps_vjp, x, 300 + i as u64);
        // The derivative in closed form: the steps are constants.
        let expected = 2.0 * x.signum() * x + x.floor() + x.ceil() * x.cos() + x.round();
        let (value, derivative) = steps_jvp(x, 1.0);
        assert_eq!(value, steps_by_hand(x));
        assert!((derivative - expected).abs() <= 1e-14 * (1.0 + expected.abs()));
        let mut x_bar = 0.0;
        steps_vjp(x, &mut x_bar, 1.0);
        assert!((x_bar - expected).abs() <= 1e-14 * (1.0 + expected.abs()));
    }
}

#[test]
fn integer_signum_and_abs_stay_integer() {
    assert_eq!(integer_signum(1.5, -3), -4.5);
    let (value, derivative) = integer_signum_jvp(1.5, 1.0, -3);
    assert_eq!((value, derivative), (-4.5, -3.0));
    let mut x_bar = 0.0;
    integer_signum_vjp(1.5, &mut x_bar, 4, 1.0);
    assert_eq!(x_bar, 4.0);
}

/// Every new rule in one scalar function of four inputs, each inside its domain at the test
/// point, so that its Hessian involves every rule's second derivative.
#[differentiable]
fn mixture(x: &[f64]) -> f64 {
    let a = x[0];
    let b = x[1];
    let c = x[2];
    let d = x[3];
    a.asin() * c
        + a.acos() * d * d
        + (0.5 * a).atanh() * b
        + a.ln_1p() * d
        + b.acosh() * a
        + b.log2() * c
        + c.log(b)
        + d.cbrt() * b
        + c.asinh() * d
        + d.exp2() * a
        + d.exp_m1() * c
        + c.recip() * b
        + (a.floor() + d.round() + c.ceil() + b.trunc() + d.signum()) * c * d
}

type D = Dual<f64, 1>;

/// `H v` by forward over reverse: the adjoint at dual numbers seeded with `v`.
fn mixture_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut bar = vec![D::constant(0.0); x.len()];
    mixture_vjp(&xd, &mut bar, D::constant(1.0));
    bar.iter().map(|b| b.tangents[0]).collect()
}

fn mixture_gradient(x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    mixture_vjp(x, g, 1.0);
}

#[test]
fn hessian_vector_products_through_every_new_rule() {
    let mut rng = Draws::new(400);
    for x in [[0.3, 1.7, 0.8, 1.4], [-0.45, 2.3, 1.3, -0.7]] {
        let mut g = [0.0; 4];
        assert_eq!(mixture_vjp(&x, &mut g, 1.0), mixture(&x));
        let (u, w) = (rng.vec(4), rng.vec(4));
        let (hu, hw) = (mixture_hvp(&x, &u), mixture_hvp(&x, &w));
        let report = check_hvp(mixture_gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "at {x:?}: {report:?}");
    }
}

/// The two-argument functions in path syntax, and `f64::consts` in expressions (constants:
/// their derivative is zero).
#[differentiable]
fn paths_and_constants(a: f64, b: f64) -> (f64, f64, f64, f64) {
    (
        f64::min(a, b) * std::f64::consts::PI,
        f64::max(a, 2.0 * b) + f64::hypot(a, b) * core::f64::consts::E,
        f64::atan2(a, b) * std::f64::consts::LN_2 + std::f64::consts::FRAC_PI_2,
        a * std::f64::consts::SQRT_2 - b / std::f64::consts::LN_10,
    )
}

#[test]
fn paths_of_two_arguments_and_constants() {
    use std::f64::consts::{E, FRAC_PI_2, LN_10, LN_2, PI, SQRT_2};
    for (i, (a, b)) in [(0.7_f64, 1.3_f64), (1.9, 0.4), (-0.5, -0.8)]
        .into_iter()
        .enumerate()
    {
        let by_hand = (
            a.min(b) * PI,
            a.max(2.0 * b) + a.hypot(b) * E,
            a.atan2(b) * LN_2 + FRAC_PI_2,
            a * SQRT_2 - b / LN_10,
        );
        assert_eq!(paths_and_constants(a, b), by_hand);
        let as_vec = |t: (f64, f64, f64, f64)| vec![t.0, t.1, t.2, t.3];
        check(
            &Case {
                name: "paths_and_constants",
                inputs: 2,
                outputs: 4,
                f: &|x| as_vec(paths_and_constants(x[0], x[1])),
                jvp: &|x, d| {
                    let (v, t) = paths_and_constants_jvp(x[0], d[0], x[1], d[1]);
                    (as_vec(v), as_vec(t))
                },
                vjp: &|x, w| {
                    let (mut ab, mut bb) = (0.0, 0.0);
                    let seed = (w[0], w[1], w[2], w[3]);
                    let v = paths_and_constants_vjp(x[0], &mut ab, x[1], &mut bb, seed);
                    (as_vec(v), vec![ab, bb])
                },
            },
            &[a, b],
            500 + i as u64,
        );
    }
}
