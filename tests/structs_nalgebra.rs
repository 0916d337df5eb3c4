//! nalgebra fields in a `#[differentiable]` struct: `SVector<f64, 3>`, `DVector<f64>` and
//! `DMatrix<f64>` fields, the struct generic over the scalar (`SVector<S, 3>`, ...), its
//! adjoint the same shape. A function reads and writes such a field as its reals in storage
//! (column-major) order: `b.x[i]`, `b.v.len()`, `b.v.iter()`, `b.m[i + j * 2]`; a local
//! nalgebra value copied from a field (`DVector::from_column_slice(b.v.as_slice())`) carries nalgebra's
//! differentiated operations. Each derivative is proved three ways (central finite
//! differences, the dot-product test, tangent against adjoint), the scalar ones also by a
//! Hessian-vector product at dual numbers against differences of gradients and for symmetry.

mod common;

use common::{assert_close, check, Case};
use nalgebra::{DMatrix, DVector, SVector};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

/// A body: a position (static vector), a velocity of any length, a 2 x 2 matrix, a time, and
/// a step count (data).
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Body {
    x: SVector<f64, 3>,
    v: DVector<f64>,
    m: DMatrix<f64>,
    t: f64,
    n: usize,
}

/// An energy reading the nalgebra fields element-wise, through `.len()`, through an
/// iterator chain and a matrix by its storage index.
#[differentiable]
fn energy(b: &Body, k: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..b.x.len() {
        e += k * b.x[i] * b.x[i];
    }
    let s: f64 = b.v.iter().zip(b.x.iter()).map(|(a, c)| a * c).sum();
    e += 0.5 * s * b.t;
    // The determinant, `m[(0, 0)] m[(1, 1)] - m[(0, 1)] m[(1, 0)]`, column-major.
    e += (b.m[0] * b.m[3] - b.m[2] * b.m[1]) * b.t;
    for _ in 0..b.n {
        e *= 1.0 + 0.01 * b.v[0];
    }
    e
}

/// A step written through `&mut`: the static vector and the time, from the other fields.
#[differentiable]
fn drift(b: &mut Body, h: f64) {
    for i in 0..3 {
        b.x[i] += h * b.v[i] * b.t + h * b.m[i % 2];
    }
    b.t += h * b.x[0] * b.x[1];
}

/// The struct passed whole to annotated callees: read-only beside its fields, and `&mut`
/// through a time loop (the callee's saved values go through the struct's reals).
#[differentiable]
fn twice(b: &Body, k: f64) -> f64 {
    2.0 * energy(b, k) + b.t * b.v[2]
}

#[differentiable]
fn run(b: &mut Body, h: f64) {
    for _ in 0..3 {
        drift(b, h);
    }
}

/// A local nalgebra value copied from a field carries nalgebra's own operations.
#[differentiable]
fn speed_squared(b: &Body) -> f64 {
    let v = DVector::from_column_slice(b.v.as_slice());
    let w = v.component_mul(&v);
    v.dot(&v) + w.sum() * b.t
}

/// Adversarial names: the struct parameter named `result`, a real named `x_bar`, a local
/// named `__adj0`.
#[differentiable]
fn adversarial(result: &Body, x_bar: f64) -> f64 {
    let __adj0 = result.x[0] * x_bar;
    let mut r#ref = __adj0 * result.v[1];
    r#ref += result.m[3] * x_bar * x_bar;
    r#ref
}

fn body() -> Body {
    Body {
        x: SVector::<f64, 3>::new(0.3, -1.2, 0.8),
        v: DVector::from_vec(vec![1.1, 0.4, -0.7]),
        m: DMatrix::from_row_slice(2, 2, &[2.0, 0.5, -0.3, 1.5]),
        t: 0.9,
        n: 3,
    }
}

fn body_from(v: &[f64]) -> Body {
    let mut b = body();
    b.set_reals(v).expect("the body's reals");
    b
}

#[test]
fn the_struct_is_generic_over_the_scalar() {
    let b = body();
    assert_eq!(<Body>::REAL_FIELDS, ["x", "v", "m", "t"]);
    // The reals in field order, a matrix's in storage (column-major) order.
    assert_eq!(
        b.to_reals(),
        vec![0.3, -1.2, 0.8, 1.1, 0.4, -0.7, 2.0, -0.3, 0.5, 1.5, 0.9]
    );
    let z = b.zero_like();
    assert_eq!(z.to_reals(), vec![0.0; 11]);
    assert_eq!((z.n, z.v.len(), z.m.shape()), (3, 3, (2, 2)));
    let d: Body<Dual<f64, 1>> = b.lift();
    let x: &SVector<Dual<f64, 1>, 3> = &d.x;
    assert_eq!((x[1].value, d.m[(0, 1)].value), (-1.2, 0.5));
}

/// A tangent companion of a cost of the body and one real: `(value, tangent)`.
type Tangent<'a> = &'a dyn Fn(&Body, &Body, f64, f64) -> (f64, f64);

/// The three checks of a scalar cost of the body and one real.
fn check_scalar_cost(
    name: &str,
    f: &dyn Fn(&Body, f64) -> f64,
    jvp: Tangent,
    vjp: &dyn Fn(&Body, &mut Body, f64, &mut f64) -> f64,
    seed: u64,
) {
    let n = body().real_count();
    let f = |x: &[f64]| vec![f(&body_from(&x[..n]), x[n])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(&body_from(&x[..n]), &body_from(&d[..n]), x[n], d[n]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let b = body_from(&x[..n]);
        let mut b_bar = b.zero_like();
        let mut k_bar = 0.0;
        let v = vjp(&b, &mut b_bar, x[n], &mut k_bar);
        let mut g: Vec<f64> = b_bar.to_reals().iter().map(|g| g * w[0]).collect();
        g.push(k_bar * w[0]);
        (vec![v], g)
    };
    let mut x = body().to_reals();
    x.push(0.7);
    let case = Case {
        name,
        inputs: n + 1,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, seed);
}

#[test]
fn an_energy_of_nalgebra_fields_three_ways() {
    check_scalar_cost(
        "energy(b: &Body, k)",
        &energy,
        &|b, b_dot, k, k_dot| energy_jvp(b, b_dot, k, k_dot),
        &|b, b_bar, k, k_bar| energy_vjp(b, b_bar, k, k_bar, 1.0),
        1,
    );
    // The adjoint is the same shape, read by field: d e / d x = 2 k x + ..., here at t = 0
    // and no steps, exactly 2 k x.
    let mut b = body();
    b.t = 0.0;
    b.n = 0;
    let (e, (b_bar, k_bar)) = energy_grad(&b, 0.7);
    assert_eq!(e, energy(&b, 0.7));
    let want: SVector<f64, 3> = b.x * 1.4;
    assert_eq!(b_bar.x, want);
    assert_close(k_bar, b.x.norm_squared(), 1e-15, "d e / d k");
    assert_eq!((b_bar.n, b_bar.m.shape()), (0, (2, 2)));
}

#[test]
fn a_local_copied_from_a_field_three_ways() {
    check_scalar_cost(
        "speed_squared(b: &Body)",
        &|b, k| speed_squared(b) * k,
        &|b, b_dot, k, k_dot| {
            let (v, t) = speed_squared_jvp(b, b_dot);
            (v * k, t * k + v * k_dot)
        },
        &|b, b_bar, k, k_bar| {
            let v = speed_squared_vjp(b, b_bar, k);
            *k_bar += v;
            v * k
        },
        2,
    );
    let b = body();
    assert_close(
        speed_squared(&b),
        b.v.norm_squared() * (1.0 + b.t),
        1e-15,
        "the value",
    );
}

#[test]
fn the_struct_passed_whole_three_ways() {
    check_scalar_cost(
        "twice(b: &Body, k)",
        &twice,
        &|b, b_dot, k, k_dot| twice_jvp(b, b_dot, k, k_dot),
        &|b, b_bar, k, k_bar| twice_vjp(b, b_bar, k, k_bar, 1.0),
        8,
    );
    let n = body().real_count();
    let f = |x: &[f64]| {
        let mut b = body_from(&x[..n]);
        run(&mut b, x[n]);
        b.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut b, mut b_dot) = (body_from(&x[..n]), body_from(&d[..n]));
        run_jvp(&mut b, &mut b_dot, x[n], d[n]);
        (b.to_reals(), b_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut b = body_from(&x[..n]);
        let mut b_bar = body_from(w);
        let mut h_bar = 0.0;
        run_vjp(&mut b, &mut b_bar, x[n], &mut h_bar);
        let mut g = b_bar.to_reals();
        g.push(h_bar);
        (b.to_reals(), g)
    };
    let mut x = body().to_reals();
    x.push(0.05);
    let case = Case {
        name: "run(b: &mut Body, h)",
        inputs: n + 1,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 9);
}

#[test]
fn adversarial_names_three_ways() {
    check_scalar_cost(
        "adversarial(result: &Body, x_bar)",
        &adversarial,
        &|b, b_dot, k, k_dot| adversarial_jvp(b, b_dot, k, k_dot),
        &|b, b_bar, k, k_bar| adversarial_vjp(b, b_bar, k, k_bar, 1.0),
        3,
    );
}

#[test]
fn a_step_writing_a_static_vector_field_three_ways() {
    let n = body().real_count();
    let f = |x: &[f64]| {
        let mut b = body_from(&x[..n]);
        drift(&mut b, x[n]);
        b.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut b, mut b_dot) = (body_from(&x[..n]), body_from(&d[..n]));
        drift_jvp(&mut b, &mut b_dot, x[n], d[n]);
        (b.to_reals(), b_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut b = body_from(&x[..n]);
        // The adjoint of the final body goes in, the adjoint of the initial body comes out.
        let mut b_bar = body_from(w);
        let mut h_bar = 0.0;
        drift_vjp(&mut b, &mut b_bar, x[n], &mut h_bar);
        let mut g = b_bar.to_reals();
        g.push(h_bar);
        (b.to_reals(), g)
    };
    let mut x = body().to_reals();
    x.push(0.05);
    let case = Case {
        name: "drift(b: &mut Body, h)",
        inputs: n + 1,
        outputs: n,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 4);
}

/// The gradient of the energy in the body's reals (k = 0.7), through `energy_grad`.
fn energy_gradient(x: &[f64], g: &mut [f64]) {
    let (_, (b_bar, _)) = energy_grad(&body_from(x), 0.7);
    g.copy_from_slice(&b_bar.to_reals());
}

#[test]
fn hessian_vector_product_of_the_energy_at_dual_numbers() {
    let x = body().to_reals();
    let n = x.len();
    for seed in [5, 6, 7] {
        let mut draws = common::Draws::new(seed);
        let (u, w) = (draws.vec(n), draws.vec(n));
        // H u: the adjoint of the energy at dual numbers, the body's reals seeded along u.
        let hvp = |dir: &[f64]| -> Vec<f64> {
            let mut b: Body<Dual<f64, 1>> = body().lift();
            let mut k = 0;
            b.for_each_real_mut(&mut |v| {
                v.tangents[0] = dir[k];
                k += 1;
            });
            let mut b_bar = b.zero_like();
            let mut k_bar = Dual::constant(0.0);
            energy_vjp(
                &b,
                &mut b_bar,
                Dual::constant(0.7),
                &mut k_bar,
                Dual::constant(1.0),
            );
            b_bar.to_reals().iter().map(|d| d.tangents[0]).collect()
        };
        let (hu, hw) = (hvp(&u), hvp(&w));
        let report = check_hvp(energy_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
        common::assert_hvp(&report, "structs_nalgebra");
    }
}
