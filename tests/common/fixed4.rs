//! Checks of functions of `[f64; 4]` (stage functions of a fixed-size RK4 and the costs built on
//! them), shared by the tests of the reverse sweep's fixed-size rules (`declared_adjoints.rs`,
//! `first_writes.rs`, `filled_arrays.rs`).

use super::{check, Case};

/// A stage function of four reals.
pub type F4 = fn([f64; 4]) -> [f64; 4];
/// Its `_jvp` companion: `(value, J x_dot)`.
pub type Jvp4 = fn([f64; 4], [f64; 4]) -> ([f64; 4], [f64; 4]);
/// Its `_vjp` companion, accumulating `J^T y_bar` into the slice.
pub type Vjp4 = fn([f64; 4], &mut [f64], &[f64]) -> [f64; 4];
/// Its reverse-only companion (`name::rev`).
pub type Rev4 = fn([f64; 4], &mut [f64], &[f64]);

/// The three checks of `f` with its companions at `[0.4, -0.7, 0.9, 0.3]`.
pub fn three_ways(name: &'static str, f: F4, jvp: Jvp4, vjp: Vjp4, seed: u64) {
    check(
        &Case {
            name,
            inputs: 4,
            outputs: 4,
            f: &|x| f(x.try_into().unwrap()).to_vec(),
            jvp: &|x, d| {
                let (v, t) = jvp(x.try_into().unwrap(), d.try_into().unwrap());
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let v = vjp(x.try_into().unwrap(), &mut g[..], w);
                (v.to_vec(), g)
            },
        },
        &[0.4, -0.7, 0.9, 0.3],
        seed,
    );
}

/// A scalar cost of four reals at `x`: `hv(v)` (its adjoint at dual numbers seeded with `v`,
/// forward over reverse) is a symmetric Hessian equal to central differences of `grad`, and
/// `grad` equals central differences of `cost`.
pub fn hessian_and_gradient(
    x: [f64; 4],
    cost: &dyn Fn([f64; 4]) -> f64,
    grad: &dyn Fn([f64; 4]) -> [f64; 4],
    hv: &dyn Fn([f64; 4]) -> [f64; 4],
) {
    let (a, b) = ([1.0, 0.5, -0.3, 0.2], [-0.4, 0.9, 0.1, -0.6]);
    let (ha, hb) = (hv(a), hv(b));
    let dot = |p: [f64; 4], q: [f64; 4]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
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
    for i in 0..4 {
        let fd = (gp[i] - gm[i]) / (2.0 * eps);
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "H a [{i}]: {} vs differences of gradients {fd}",
            ha[i]
        );
    }
    let g = grad(x);
    for i in 0..4 {
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
