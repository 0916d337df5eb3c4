//! Checks of functions of `[f64; N]` (stage functions of a fixed-size RK4 and the costs built on
//! them, `N` up to 4), shared by the tests of the reverse sweep's fixed-size rules
//! (`declared_adjoints.rs`, `first_writes.rs`, `filled_arrays.rs`, `seeded_leaves.rs`,
//! `snapshot_in_place.rs`).

use super::{check, Case};

/// The point every check is taken at: its first `N` entries.
const AT: [f64; 4] = [0.4, -0.7, 0.9, 0.3];
/// The two directions of the Hessian checks: their first `N` entries.
const DIRECTIONS: ([f64; 4], [f64; 4]) = ([1.0, 0.5, -0.3, 0.2], [-0.4, 0.9, 0.1, -0.6]);

/// A stage function of `N` reals.
pub type F<const N: usize> = fn([f64; N]) -> [f64; N];
/// Its `_jvp` companion: `(value, J x_dot)`.
pub type Jvp<const N: usize> = fn([f64; N], [f64; N]) -> ([f64; N], [f64; N]);
/// Its `_vjp` companion, accumulating `J^T y_bar` into the slice.
pub type Vjp<const N: usize> = fn([f64; N], &mut [f64], &[f64]) -> [f64; N];
/// Its reverse-only companion (`name::rev`).
pub type Rev<const N: usize> = fn([f64; N], &mut [f64], &[f64]);

/// The first `N` entries of `v`.
fn first<const N: usize>(v: [f64; 4]) -> [f64; N] {
    std::array::from_fn(|i| v[i])
}

/// The three checks of `f` with its companions at the first `N` of `[0.4, -0.7, 0.9, 0.3]`.
pub fn three_ways<const N: usize>(
    name: &'static str,
    f: F<N>,
    jvp: Jvp<N>,
    vjp: Vjp<N>,
    seed: u64,
) {
    check(
        &Case {
            name,
            inputs: N,
            outputs: N,
            f: &|x| f(x.try_into().unwrap()).to_vec(),
            jvp: &|x, d| {
                let (v, t) = jvp(x.try_into().unwrap(), d.try_into().unwrap());
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = vjp(x.try_into().unwrap(), &mut g[..], w);
                (v.to_vec(), g)
            },
        },
        &AT[..N],
        seed,
    );
}

/// A scalar cost of `N` reals at `x`: `hv(v)` (its adjoint at dual numbers seeded with `v`,
/// forward over reverse) is a symmetric Hessian equal to central differences of `grad`, and
/// `grad` equals central differences of `cost`.
pub fn hessian_and_gradient<const N: usize>(
    x: [f64; N],
    cost: &dyn Fn([f64; N]) -> f64,
    grad: &dyn Fn([f64; N]) -> [f64; N],
    hv: &dyn Fn([f64; N]) -> [f64; N],
) {
    let (a, b): ([f64; N], [f64; N]) = (first(DIRECTIONS.0), first(DIRECTIONS.1));
    let (ha, hb) = (hv(a), hv(b));
    let dot = |p: [f64; N], q: [f64; N]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(b, ha), dot(a, hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()),
        "H not symmetric: {l} vs {r}"
    );
    let eps = 1e-5;
    let (gp, gm) = (
        grad(std::array::from_fn(|i| x[i] + eps * a[i])),
        grad(std::array::from_fn(|i| x[i] - eps * a[i])),
    );
    for i in 0..N {
        let fd = (gp[i] - gm[i]) / (2.0 * eps);
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "H a [{i}]: {} vs differences of gradients {fd}",
            ha[i]
        );
    }
    let g = grad(x);
    for i in 0..N {
        let (mut xp, mut xm) = (x, x);
        xp[i] += eps;
        xm[i] -= eps;
        let fd = (cost(xp) - cost(xm)) / (2.0 * eps);
        assert!(
            (fd - g[i]).abs() <= 1e-7 * (1.0 + fd.abs()),
            "gradient [{i}]: {} vs {fd}",
            g[i]
        );
    }
}
