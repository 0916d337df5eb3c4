//! Arrays of arrays of reals in tests: rows from flat vectors, and the three checks of a real
//! function of rows seen as a function of their flat values, with Hessian-vector products at
//! duals.

use super::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::Dual;

/// The dual numbers of the Hessian-vector products.
pub type D = Dual<f64, 1>;

/// Rows of `K` reals from a flat vector.
pub fn nest<const K: usize, T: Copy>(x: &[T]) -> Vec<[T; K]> {
    x.chunks_exact(K)
        .map(|c| std::array::from_fn(|j| c[j]))
        .collect()
}

/// Checks `f` (a function of a flat vector, adapted from rows) three ways at `x` and its
/// Hessian-vector products at duals.
#[allow(clippy::type_complexity)]
pub fn prove(
    name: &str,
    x: &[f64],
    f: &dyn Fn(&[f64]) -> f64,
    jvp: &dyn Fn(&[f64], &[f64]) -> (f64, f64),
    vjp: &dyn Fn(&[f64], &mut [f64], f64) -> f64,
    vjp_dual: &dyn Fn(&[D], &mut [D]),
    seed: u64,
) {
    let n = x.len();
    check(
        &Case {
            name,
            inputs: n,
            outputs: 1,
            f: &|p| vec![f(p)],
            jvp: &|p, d| {
                let (v, t) = jvp(p, d);
                (vec![v], vec![t])
            },
            vjp: &|p, w| {
                let mut g = vec![0.0; n];
                let v = vjp(p, &mut g, w[0]);
                (vec![v], g)
            },
        },
        x,
        seed,
    );
    // Tangent against adjoint: the gradient's components are the tangents along the axes.
    let mut g = vec![0.0; n];
    vjp(x, &mut g, 1.0);
    assert!(g.iter().all(|v| *v != 0.0), "{name}: {g:?}");
    for (k, gk) in g.iter().enumerate() {
        let mut e = vec![0.0; n];
        e[k] = 1.0;
        let (_, t) = jvp(x, &e);
        assert!(
            (t - gk).abs() <= 1e-12 * (1.0 + gk.abs()),
            "{name}: {t} vs {gk}"
        );
    }
    let hvp = |u: &[f64]| -> Vec<f64> {
        let lift: Vec<D> = x.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
        let mut xb = vec![Dual::constant(0.0); n];
        vjp_dual(&lift, &mut xb);
        xb.iter().map(|d| d.tangents[0]).collect()
    };
    let mut rng = Draws::new(seed + 100);
    let (u, w) = (rng.vec(n), rng.vec(n));
    let (hu, hw) = (hvp(&u), hvp(&w));
    let grad = |p: &[f64], out: &mut [f64]| {
        out.iter_mut().for_each(|o| *o = 0.0);
        vjp(p, out, 1.0);
    };
    let report = check_hvp(grad, x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{name}: {report:?}");
}
