//! An integer field of a struct reaching a differentiable function's `usize` parameter
//! (random-program bug 16). The attribute on the caller cannot see the struct's field types,
//! so a field passed bare, `h_step(p.c, p.n)`, is taken for a real (a compile error); bound
//! first with its type, `let k: usize = p.n;`, it is an integer, also inside arithmetic
//! (`let k: usize = p.n + 1;`), in a function and in a `&self` method. Derivatives three ways
//! (central differences, the dot-product test, tangent against adjoint).

mod common;

use common::{check, Case};
use tapeless::{differentiable, Struct};

#[differentiable]
pub fn h_step(a: f64, k: usize) -> f64 {
    a * a * k as f64
}

#[differentiable]
#[derive(Clone, Debug)]
struct P {
    c: f64,
    n: usize,
    w: f64,
}

/// The reproduction of bug 16, with the field bound to a `usize` first.
#[differentiable]
fn g(p: &P) -> f64 {
    let k: usize = p.n;
    h_step(p.c, k) + p.w * h_step(p.w, k + 1)
}

/// The field in integer arithmetic, bound with its type.
#[differentiable]
fn g_shifted(p: &P, x: f64) -> f64 {
    let k: usize = p.n + 1;
    h_step(p.c * x, k).sin()
}

/// A count of `.enumerate()` named as a real of the function: after the loop `k` is the real
/// again, so `p.w + k` makes `p.w` no integer (it did, found by the random programs at seed 7).
#[differentiable]
fn loop_count_shadows(p: &P, x: &[f64]) -> f64 {
    let k = 0.5 * p.c;
    let mut s = 0.0;
    for (k, &y) in x.iter().enumerate() {
        s += y * k as f64 * p.c;
    }
    s * (p.w + k)
}

impl P {
    /// The `&self` variant: `h_step(self.c, self.n)` with the field bound first.
    #[differentiable]
    fn m(&self, x: f64) -> f64 {
        let k: usize = self.n;
        h_step(self.c, k) * x + self.w.cos()
    }
}

fn p_from(v: &[f64]) -> P {
    let mut p = P {
        c: 0.0,
        n: 3,
        w: 0.0,
    };
    p.set_reals(v).expect("two reals");
    p
}

#[test]
fn an_integer_field_bound_then_passed_three_ways() {
    let f = |x: &[f64]| vec![g(&p_from(x))];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = g_jvp(&p_from(x), &p_from(d));
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = p_from(x);
        let mut p_bar = p.zero_like();
        let v = g_vjp(&p, &mut p_bar, w[0]);
        (vec![v], p_bar.to_reals())
    };
    let case = Case {
        name: "g(p: &P)",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.3], 1);
    // By hand: g = 3 c^2 + 4 w^3.
    let (_, p_bar) = g_grad(&p_from(&[0.7, -1.3]));
    common::assert_close(p_bar.c, 6.0 * 0.7, 1e-15, "d g / d c");
    common::assert_close(p_bar.w, 12.0 * 1.3 * 1.3, 1e-15, "d g / d w");
}

#[test]
fn an_integer_field_in_arithmetic_bound_then_passed_three_ways() {
    let f = |x: &[f64]| vec![g_shifted(&p_from(&x[..2]), x[2])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = g_shifted_jvp(&p_from(&x[..2]), &p_from(&d[..2]), x[2], d[2]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = p_from(&x[..2]);
        let mut p_bar = p.zero_like();
        let mut x_bar = 0.0;
        let v = g_shifted_vjp(&p, &mut p_bar, x[2], &mut x_bar, w[0]);
        let mut g = p_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "g_shifted(p: &P, x)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, 0.9, -0.8], 2);
}

#[test]
fn an_integer_field_of_self_bound_then_passed_three_ways() {
    let f = |x: &[f64]| vec![p_from(&x[..2]).m(x[2])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = P::m_jvp_at(&p_from(&x[..2]), &p_from(&d[..2]), x[2], d[2]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = p_from(&x[..2]);
        let mut p_bar = p.zero_like();
        let mut x_bar = 0.0;
        let v = P::m_vjp_at(&p, &mut p_bar, x[2], &mut x_bar, w[0]);
        let mut g = p_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "P::m(&self, x)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.3, 1.1], 3);
    // The method form of the adjoint agrees with the associated one.
    let p = p_from(&[0.7, -1.3]);
    let mut p_bar = p.zero_like();
    let mut x_bar = 0.0;
    let v = p.m_vjp(&mut p_bar, 1.1, &mut x_bar, 1.0);
    assert_eq!(v, p.m(1.1));
    common::assert_close(p_bar.c, 6.0 * 0.7 * 1.1, 1e-15, "d m / d c");
    common::assert_close(x_bar, 3.0 * 0.7 * 0.7, 1e-15, "d m / d x");
}

#[test]
fn a_loop_count_ends_with_its_loop_three_ways() {
    let f = |x: &[f64]| vec![loop_count_shadows(&p_from(&x[..2]), &x[2..])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = loop_count_shadows_jvp(&p_from(&x[..2]), &p_from(&d[..2]), &x[2..], &d[2..]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = p_from(&x[..2]);
        let mut p_bar = p.zero_like();
        let mut x_bar = vec![0.0; x.len() - 2];
        let v = loop_count_shadows_vjp(&p, &mut p_bar, &x[2..], &mut x_bar, w[0]);
        let mut g = p_bar.to_reals();
        g.extend_from_slice(&x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "loop_count_shadows(p: &P, x)",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.3, 0.4, 1.1, -0.6], 4);
}
