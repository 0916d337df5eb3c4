//! A scalar function of a slice with its companions at `f64` and at dual numbers, proved three
//! ways and by Hessian-vector products (shared by `grown_vecs.rs` and `unbounded_loops.rs`).

use super::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::Dual;

/// The dual numbers of the Hessian-vector products.
pub type D = Dual<f64, 1>;

/// A `_jvp` companion of a scalar function of a slice.
pub type Jvp<'a> = &'a dyn Fn(&[f64], &[f64]) -> (f64, f64);
/// A `_vjp` companion, at `f64` or at dual numbers.
pub type Vjp<'a, T> = &'a dyn Fn(&[T], &mut [T], T) -> T;

/// A scalar function of a slice with its companions, at `f64` and at dual numbers.
pub struct Scalar<'a> {
    pub name: &'a str,
    pub f: &'a dyn Fn(&[f64]) -> f64,
    pub jvp: Jvp<'a>,
    pub vjp: Vjp<'a, f64>,
    pub vjp_dual: Vjp<'a, D>,
}

/// The [`Scalar`] of `f`, a function of a slice, with its generated `f_jvp` and `f_vjp` (at
/// `f64` and at dual numbers): `scalar!(f, f_jvp, f_vjp)`.
#[allow(unused_macros)] // each test binary uses part of the oracle
macro_rules! scalar {
    ($f:ident, $jvp:ident, $vjp:ident) => {
        $crate::common::slices::Scalar {
            name: stringify!($f),
            f: &$f,
            jvp: &$jvp::<f64>,
            vjp: &$vjp::<f64>,
            vjp_dual: &$vjp::<$crate::common::slices::D>,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use scalar;

/// The three checks at `x`, then H u and H w (the adjoint at dual numbers) checked for symmetry
/// and against differences of gradients.
pub fn prove(s: &Scalar, x: &[f64], seed: u64) {
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
    let mut rng = Draws::new(seed + 1000);
    let (u, w) = (rng.vec(n), rng.vec(n));
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "{} at {x:?}: {report:?}",
        s.name
    );
}
