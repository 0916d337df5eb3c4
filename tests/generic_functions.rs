//! Functions written once generic over the scalar (`fn f<S: Real>(..)`), usable at every scalar
//! as written, with companions as a function written at `f64` has: checked three ways
//! (central differences, the dot-product test, tangent against adjoint), with Hessian-vector
//! products at dual numbers, and called from annotated code.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Real};

/// A chain of springs with a nonlinear term, written generic over the scalar.
#[differentiable]
fn energy<S: Real>(x: &[S], k: f64) -> S {
    let mut e = S::zero();
    for i in 0..x.len() - 1 {
        let d = x[i + 1] - x[i] - S::one();
        e += S::from_f64(0.5 * k) * d * d + (x[i] * x[i + 1]).sin();
    }
    let tail = vec![S::from_f64(0.25); x.len()];
    e + tail[0] * x[0] * x[0]
}

/// The bound in a `where` clause, an array result and a scalar parameter of the type.
#[differentiable]
fn rotate<T>(v: [T; 2], angle: T) -> [T; 2]
where
    T: tapeless::Real,
{
    let (c, s) = (angle.cos(), angle.sin());
    [c * v[0] - s * v[1], s * v[0] + c * v[1]]
}

/// Annotated code calls a generic function as any other.
#[differentiable]
fn energy_twice(x: &[f64]) -> f64 {
    let a = energy(x, 2.0);
    a * a
}

#[test]
fn a_generic_function_runs_at_every_scalar_as_written() {
    let x = [0.3, -0.2, 1.1, 0.4];
    let at_f64 = energy(&x, 2.0);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    assert!((f64::from(energy(&x32, 2.0)) - at_f64).abs() < 1e-5);
    let xd: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::constant(v)).collect();
    assert_eq!(energy(&xd, 2.0).value, at_f64);
    // Its generated primal computes what it computes.
    assert_eq!(energy_generic(&x[..], 2.0), at_f64);
    assert_eq!(rotate_generic([1.0, 0.5], 0.3), rotate([1.0, 0.5], 0.3));
}

#[test]
fn the_companions_of_a_generic_function_pass_three_checks() {
    let x = [0.3, -0.2, 1.1, 0.4];
    // Differentiated along `x` and `k` (an `f64` parameter is a real like any other).
    let case = Case {
        name: "energy",
        inputs: 5,
        outputs: 1,
        f: &|x| vec![energy(&x[..4], x[4])],
        jvp: &|x, d| {
            let (v, t) = energy_jvp(&x[..4], &d[..4], x[4], d[4]);
            (vec![v], vec![t])
        },
        vjp: &|x, w| {
            let (mut b, mut kb) = (vec![0.0; 4], 0.0);
            let v = energy_vjp(&x[..4], &mut b, x[4], &mut kb, w[0]);
            b.push(kb);
            (vec![v], b)
        },
    };
    let mut at: Vec<f64> = x.to_vec();
    at.push(2.0);
    check(&case, &at, 51);
    let case = Case {
        name: "rotate",
        inputs: 3,
        outputs: 2,
        f: &|x| rotate([x[0], x[1]], x[2]).to_vec(),
        jvp: &|x, d| {
            let (v, t) = rotate_jvp([x[0], x[1]], [d[0], d[1]], x[2], d[2]);
            (v.to_vec(), t.to_vec())
        },
        vjp: &|x, w| {
            let (mut vb, mut ab) = ([0.0; 2], 0.0);
            let v = rotate_vjp([x[0], x[1]], &mut vb, x[2], &mut ab, w);
            (v.to_vec(), vec![vb[0], vb[1], ab])
        },
    };
    check(&case, &[0.4, -0.9, 0.7], 52);
    let case = Case {
        name: "energy_twice",
        inputs: 4,
        outputs: 1,
        f: &|x| vec![energy_twice(x)],
        jvp: &|x, d| {
            let (v, t) = energy_twice_jvp(x, d);
            (vec![v], vec![t])
        },
        vjp: &|x, w| {
            let mut b = vec![0.0; 4];
            let v = energy_twice_vjp(x, &mut b, w[0]);
            (vec![v], b)
        },
    };
    check(&case, &x, 53);
}

#[test]
fn hessian_vector_products_of_a_generic_function_at_dual_numbers() {
    let x = [0.3, -0.2, 1.1, 0.4];
    let gradient = |x: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        energy_twice_vjp(x, g, 1.0);
    };
    let h_along = |v: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let mut g = vec![Dual::constant(0.0); 4];
        energy_twice_vjp(&d, &mut g, Dual::constant(1.0));
        g.iter().map(|g| g.tangents[0]).collect()
    };
    let mut draws = Draws::new(54);
    let (u, w) = (draws.vec(4), draws.vec(4));
    let (hu, hw) = (h_along(&u), h_along(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
}
