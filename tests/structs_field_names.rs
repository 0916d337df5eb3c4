//! Struct fields named as another field's tangent or adjoint (`x`, `x_dot`, `x_bar`: a state
//! and its velocity, as physicists write them): the flattened function's parameters `s__x`
//! and `s__x_dot` are told from the tangent of `s__x`, also named `s__x_dot` (the mutation
//! test found the struct layer taking one for the other: "parameter `s___x_dot` not found").
//! Derivatives three ways (central differences, the dot-product test, tangent against adjoint).

mod common;

use common::{check, Case};
use tapeless::{differentiable, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Osc {
    x: f64,
    x_dot: f64,
    x_bar: f64,
    n: usize,
}

/// An energy reading every field: `x` (its tangent `x_dot` and adjoint `x_bar` are generated
/// beside the fields `x_dot` and `x_bar`), and an integer after them.
#[differentiable]
fn energy(s: &Osc, k: f64) -> f64 {
    let mut e = 0.5 * k * s.x * s.x + 0.5 * s.x_dot * s.x_dot + s.x_bar * s.x;
    for _ in 0..s.n {
        e *= 1.0 + 0.1 * s.x_dot;
    }
    e
}

/// A step returning the struct, as the mutation wrote it (with every field named).
#[differentiable]
fn step(s: &Osc, h: f64) -> Osc {
    Osc {
        x: s.x + h * s.x_dot,
        x_dot: s.x_dot - h * s.x,
        x_bar: s.x_bar,
        n: s.n,
    }
}

fn osc_from(v: &[f64]) -> Osc {
    let mut s = Osc {
        x: 0.0,
        x_dot: 0.0,
        x_bar: 0.0,
        n: 2,
    };
    s.set_reals(v).expect("three reals");
    s
}

#[test]
fn an_energy_of_x_x_dot_and_x_bar_three_ways() {
    let f = |x: &[f64]| vec![energy(&osc_from(&x[..3]), x[3])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = energy_jvp(&osc_from(&x[..3]), &osc_from(&d[..3]), x[3], d[3]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = osc_from(&x[..3]);
        let mut s_bar = s.zero_like();
        let mut k_bar = 0.0;
        let v = energy_vjp(&s, &mut s_bar, x[3], &mut k_bar, w[0]);
        let mut g = s_bar.to_reals();
        g.push(k_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "energy(s: &Osc, k)",
        inputs: 4,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.3, 0.4, 2.0], 1);
    // The adjoint by field: d e / d x_bar = x (times the steps' factor).
    let s = osc_from(&[0.7, -1.3, 0.4]);
    let (_, (s_bar, _)) = energy_grad(&s, 2.0);
    let factor = (1.0 + 0.1 * s.x_dot) * (1.0 + 0.1 * s.x_dot);
    common::assert_close(s_bar.x_bar, s.x * factor, 1e-15, "d e / d x_bar");
}

#[test]
fn a_struct_result_with_x_and_x_dot_three_ways() {
    let f = |x: &[f64]| step(&osc_from(&x[..3]), x[3]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = step_jvp(&osc_from(&x[..3]), &osc_from(&d[..3]), x[3], d[3]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = osc_from(&x[..3]);
        let mut s_bar = s.zero_like();
        let mut h_bar = 0.0;
        let v = step_vjp(&s, &mut s_bar, x[3], &mut h_bar, &osc_from(w));
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "step(s: &Osc, h) -> Osc",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.3, 0.4, 0.1], 2);
}
