//! nalgebra fields in struct results and struct literals: a result whose fixed-size vector and
//! matrix fields are built by constructors (`x: Vector3::new(a, b, c)`, `m:
//! Matrix2::from_column_slice(&[..])`, written real by real in storage order) or copied from a
//! parameter's (`x: b.x`, a `DVector` too); an annotated caller holding such a struct as its
//! reals (`let b2 = grow(b, h); b2.x[1]`, the time loop `let mut b = Body { x: Vector3::new(..),
//! .. }; b = grow(&b, h);`), the fields' places from their written types, and the held struct
//! passed on (`energy(&b2)`). Each derivative is proved three ways (central finite
//! differences, the dot-product test, tangent against adjoint), the time loop's Hessian-vector
//! product at dual numbers, with adversarial names and a `macro_rules!` caller.

mod common;

use common::{check, Case};
use nalgebra::{DVector, Matrix2, SVector, Vector3};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Body {
    t: f64,
    x: SVector<f64, 3>,
    m: Matrix2<f64>,
}

/// Fixed-size nalgebra fields built by constructors.
#[differentiable]
fn grow(b: &Body, h: f64) -> Body {
    Body {
        t: b.t + h * b.x[2],
        x: Vector3::new(
            b.x[0] * (1.0 + h * b.m[0]),
            b.x[1] + h * b.m[1] * b.t,
            b.x[2] - h * b.x[0] * b.x[1],
        ),
        m: Matrix2::from_column_slice(&[
            b.m[0] * (1.0 - h),
            b.m[1] + h * b.x[0],
            b.m[2],
            b.m[3] * b.t,
        ]),
    }
}

/// nalgebra fields copied whole.
#[differentiable]
fn tick(b: &Body, h: f64) -> Body {
    Body {
        t: b.t * (1.0 + h * b.x[0] * b.m[3]),
        x: b.x,
        m: b.m,
    }
}

#[differentiable]
fn energy(b: &Body) -> f64 {
    let mut e = 0.5 * b.t * b.t;
    for i in 0..3 {
        e += b.x[i] * b.x[i] * b.m[i % 4];
    }
    e + b.m[0] * b.m[3] - b.m[1] * b.m[2]
}

fn body_from(v: &[f64]) -> Body {
    Body {
        t: v[0],
        x: Vector3::new(v[1], v[2], v[3]),
        m: Matrix2::from_column_slice(&v[4..8]),
    }
}

const X: [f64; 9] = [0.5, 1.0, 2.0, 3.0, 1.5, -0.5, 0.25, 2.0, 0.1];

type Result = fn(&Body, f64) -> Body;
type ResultJvp = fn(&Body, &Body, f64, f64) -> (Body, Body);
type ResultVjp = fn(&Body, &mut Body, f64, &mut f64, &Body) -> Body;

/// The three checks of a function `(b, h) -> Body` at `x = (b, h)`.
fn check_result(name: &str, f: Result, jvp: ResultJvp, vjp: ResultVjp, seed: u64) {
    let value = |x: &[f64]| f(&body_from(x), x[8]).to_reals();
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(&body_from(x), &body_from(d), x[8], d[8]);
        (v.to_reals(), t.to_reals())
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let b = body_from(x);
        let (mut b_bar, mut h_bar) = (b.zero_like(), 0.0);
        let v = vjp(&b, &mut b_bar, x[8], &mut h_bar, &body_from(w));
        let mut g = b_bar.to_reals();
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name,
        inputs: 9,
        outputs: 8,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &X, seed);
}

#[test]
fn nalgebra_fields_built_by_constructors_in_a_result() {
    check_result("grow", grow, grow_jvp, grow_vjp, 1);
    let b = body_from(&X);
    let g = grow(&b, 0.1);
    assert_eq!(g.x[2], 3.0 - 0.1 * 1.0 * 2.0);
    assert_eq!(g.m[(1, 0)], -0.5 + 0.1);
}

#[test]
fn nalgebra_fields_copied_in_a_result() {
    check_result("tick", tick, tick_jvp, tick_vjp, 2);
}

/// A caller holding results with nalgebra fields as their reals, reading them and passing
/// them on.
#[differentiable]
fn run(b: &Body, h: f64) -> f64 {
    let b2 = grow(b, h);
    let b3 = tick(&b2, h);
    b3.x[1] * b2.m[2] + b3.t + energy(&b3) * b2.x[0]
}

#[test]
fn a_caller_holding_nalgebra_fields() {
    let f = |x: &[f64]| vec![run(&body_from(x), x[8])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = run_jvp(&body_from(x), &body_from(d), x[8], d[8]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let b = body_from(x);
        let (mut b_bar, mut h_bar) = (b.zero_like(), 0.0);
        let v = run_vjp(&b, &mut b_bar, x[8], &mut h_bar, w[0]);
        let mut g = b_bar.to_reals();
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "run",
        inputs: 9,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 3);
    let b = body_from(&X);
    let (b2, h) = (grow(&b, X[8]), X[8]);
    let b3 = tick(&b2, h);
    assert_eq!(run(&b, h), b3.x[1] * b2.m[2] + b3.t + energy(&b3) * b2.x[0]);
}

/// The time loop over a literal with nalgebra constructors; locals named as the generated
/// code's.
#[differentiable]
fn cost(x_bar: &[f64], result: f64, n: usize) -> f64 {
    let mut __adj0 = Body {
        t: 0.0,
        x: Vector3::new(x_bar[0], x_bar[1], x_bar[2]),
        m: Matrix2::from_column_slice(&[x_bar[3], 0.5, -0.25, x_bar[3] * x_bar[0]]),
    };
    let mut s_bar = 0.0;
    for _ in 0..n {
        __adj0 = grow(&__adj0, result);
        s_bar += energy(&__adj0);
    }
    s_bar + __adj0.x[0] * __adj0.m[3]
}

fn cost_gradient_at(x: &[f64], w: f64) -> (Vec<f64>, f64) {
    let (mut g, mut h_bar) = (vec![0.0; 4], 0.0);
    let v = cost_vjp(&x[..4], &mut g, x[4], &mut h_bar, 4, w);
    g.push(h_bar);
    (g, v)
}

const Y: [f64; 5] = [1.0, 0.5, -0.75, 1.25, 0.05];

#[test]
fn a_time_loop_over_a_literal_with_nalgebra_constructors() {
    let f = |x: &[f64]| vec![cost(&x[..4], x[4], 4)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = cost_jvp(&x[..4], &d[..4], x[4], d[4], 4);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (g, v) = cost_gradient_at(x, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "cost",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Y, 4);
}

#[test]
fn hessian_vector_product_of_the_time_loop_at_dual_numbers() {
    let mut draws = common::Draws::new(5);
    let (u, w) = (draws.vec(5), draws.vec(5));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = Y
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let (mut g, mut h_bar) = (vec![Dual::constant(0.0); 4], Dual::constant(0.0));
        cost_vjp(&z[..4], &mut g, z[4], &mut h_bar, 4, Dual::constant(1.0));
        g.push(h_bar);
        g.iter().map(|d| d.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&cost_gradient_at(x, 1.0).0);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &Y, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// A `DVector` field copied whole in a result (a caller cannot hold this struct as its reals).
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Chain {
    v: DVector<f64>,
    k: f64,
}

#[differentiable]
fn relax(c: &Chain, h: f64) -> Chain {
    let mut s = 0.0;
    for i in 0..c.v.len() {
        s += c.v[i] * c.v[i];
    }
    Chain {
        v: c.v.clone(),
        k: c.k * (1.0 - h * s),
    }
}

#[test]
fn a_dvector_field_copied_in_a_result() {
    let chain = |x: &[f64]| Chain {
        v: DVector::from_column_slice(&x[..3]),
        k: x[3],
    };
    let f = |x: &[f64]| relax(&chain(x), x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = relax_jvp(&chain(x), &chain(d), x[4], d[4]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let c = chain(x);
        let (mut c_bar, mut h_bar) = (c.zero_like(), 0.0);
        let v = relax_vjp(&c, &mut c_bar, x[4], &mut h_bar, &chain(w));
        let mut g = c_bar.to_reals();
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "relax",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, -1.0, 0.25, 2.0, 0.1], 6);
}

/// A caller written by a `macro_rules!` macro.
macro_rules! grown {
    ($name:ident) => {
        #[differentiable]
        fn $name(b: &Body, h: f64) -> f64 {
            let b2 = grow(b, h);
            energy(&b2) + b2.m[1]
        }
    };
}

grown!(grown_energy);

#[test]
fn a_caller_written_by_a_macro() {
    let f = |x: &[f64]| vec![grown_energy(&body_from(x), x[8])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = grown_energy_jvp(&body_from(x), &body_from(d), x[8], d[8]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let b = body_from(x);
        let (mut b_bar, mut h_bar) = (b.zero_like(), 0.0);
        let v = grown_energy_vjp(&b, &mut b_bar, x[8], &mut h_bar, w[0]);
        let mut g = b_bar.to_reals();
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "grown_energy (macro_rules!)",
        inputs: 9,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 7);
}
