//! The macro names a struct's fields in the flattened function it differentiates (`p.a` as
//! `p__a`). Those names must not meet the user's: a local written `p__a`, or two parameters
//! whose root and field join to the same string (`p_` with `a`, `p` with `_a`), once read the
//! wrong value. Each function is proved three ways (central differences, the dot-product test,
//! tangent against adjoint) and against its value and gradient written out by hand.

// The locals are named as the macro once named fields, `p__a`; and the generated wrappers'
// names for the parameter `p_` (`p__dot`, `p__bar`) are not snake case either (a warning, left
// for the struct layer's wrappers to allow).
#![allow(non_snake_case)]

mod common;

use common::{assert_close, check, Case};
use tapeless::{differentiable, Struct};

/// Two fields whose names differ by a leading underscore.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    a: f64,
    _a: f64,
}

/// Locals named as the macro once named fields (`p__a`, `self__`), and two struct parameters
/// whose root and field join alike (`p_` + `a`, `p` + `_a`).
#[differentiable]
fn clash(x: f64, p: &Pair, p_: &Pair) -> f64 {
    let p__a = 3.0 * x;
    let self__ = x * x;
    p.a * p__a + p._a * x + p_.a * self__ + x * p_._a * p.a
}

fn pair(x: &[f64]) -> Pair {
    Pair { a: x[0], _a: x[1] }
}

#[test]
fn flat_names_never_meet_the_users() {
    let f = |x: &[f64]| vec![clash(x[0], &pair(&x[1..3]), &pair(&x[3..5]))];
    // The same function, written out: every read takes the value the user wrote.
    let by_hand = |x: &[f64]| {
        let (x0, a, a_, b, b_) = (x[0], x[1], x[2], x[3], x[4]);
        let value = a * 3.0 * x0 + a_ * x0 + b * x0 * x0 + x0 * b_ * a;
        let gradient = [
            3.0 * a + a_ + 2.0 * b * x0 + b_ * a,
            3.0 * x0 + x0 * b_,
            x0,
            x0 * x0,
            x0 * a,
        ];
        (value, gradient)
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, p_) = (pair(&x[1..3]), pair(&x[3..5]));
        let (pd, pd_) = (pair(&d[1..3]), pair(&d[3..5]));
        let (v, t) = clash_jvp(x[0], d[0], &p, &pd, &p_, &pd_);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (p, p_) = (pair(&x[1..3]), pair(&x[3..5]));
        let (mut pb, mut pb_) = (p.zero_like(), p_.zero_like());
        let mut xb = 0.0;
        let v = clash_vjp(x[0], &mut xb, &p, &mut pb, &p_, &mut pb_, w[0]);
        let mut g = vec![xb];
        g.extend(pb.to_reals());
        g.extend(pb_.to_reals());
        (vec![v], g)
    };
    let x = [0.7, -1.3, 0.4, 2.1, -0.6];
    let (value, gradient) = by_hand(&x);
    assert_close(f(&x)[0], value, 1e-15, "the primal");
    let (v, g) = vjp(&x, &[1.0]);
    assert_close(v[0], value, 1e-15, "the adjoint's value");
    for (i, (gi, hi)) in g.iter().zip(&gradient).enumerate() {
        assert_close(*gi, *hi, 1e-14, &format!("gradient component {i}"));
    }
    let case = Case {
        name: "clash(x, p, p_) with locals named p__a and self__",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 21);
}

/// A `mut` parameter beside a struct (found by the random programs: the wrappers forwarded it
/// as `mut a`, which did not compile).
#[differentiable]
fn scaled(p: &Pair, mut a: f64) -> f64 {
    a *= p.a;
    a * a + p._a
}

#[test]
fn a_mut_parameter_beside_a_struct() {
    let f = |x: &[f64]| vec![scaled(&pair(&x[..2]), x[2])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = scaled_jvp(&pair(&x[..2]), &pair(&d[..2]), x[2], d[2]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = pair(&x[..2]);
        let mut pb = p.zero_like();
        let mut ab = 0.0;
        let v = scaled_vjp(&p, &mut pb, x[2], &mut ab, w[0]);
        let mut g = pb.to_reals();
        g.push(ab);
        (vec![v], g)
    };
    let x = [1.3, -0.4, 0.8];
    // d/da (a p.a)^2 = 2 a p.a^2, d/dp.a = 2 a^2 p.a, d/dp._a = 1.
    let (_, g) = vjp(&x, &[1.0]);
    assert_close(g[0], 2.0 * x[2] * x[2] * x[0], 1e-15, "d/dp.a");
    assert_close(g[1], 1.0, 1e-15, "d/dp._a");
    assert_close(g[2], 2.0 * x[2] * x[0] * x[0], 1e-15, "d/da");
    let case = Case {
        name: "scaled(p, mut a)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 22);
}
