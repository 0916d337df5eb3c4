//! First accumulations written (issue 13). The stage adjoints of an RK4-like step are created as
//! zeros and first accumulated into by the reverse of the loop that combines the stages, every
//! element once: that accumulation is written instead (`k_bar[i] = e`,
//! `expand/src/transform/adjoint/writes.rs`). Each function checked three ways (finite
//! differences, the dot-product test, tangent against adjoint), the reverse-only companion
//! against the vector-Jacobian product to the bit, and through a caller by the Hessian-vector
//! product (the adjoint at `Dual`). Cases where the rule must not fire: a combining loop over
//! part of the stage, an index other than the loop's variable, a conditional body, the stage's
//! adjoint accumulated into by a call before the loop.

mod common;

use common::fixed::{three_ways, Rev, Vjp};
use tapeless::differentiable;

/// A small right-hand side read by the stages.
#[differentiable]
fn rhs(u: [f64; 4]) -> [f64; 4] {
    let mut du = [0.0; 4];
    du[0] = u[1] * u[2] - u[0];
    du[1] = (u[0] - u[3]).sin() + 0.5 * u[1];
    du[2] = u[0] * u[3] - u[2];
    du[3] = u[2].cos() * u[1];
    du
}

/// RK4-like stages (adversarial names: the stages are `result`, `k1_bar`, `__adj0`, `k4`): the
/// combining loop's reverse writes the four stage adjoints.
#[differentiable]
fn stages(u: [f64; 4]) -> [f64; 4] {
    let result: [f64; 4] = rhs(u);
    let mut s = [0.0; 4];
    for i in 0..4 {
        s[i] = u[i] + 0.1 * result[i];
    }
    let k1_bar: [f64; 4] = rhs(s);
    for i in 0..4 {
        s[i] = u[i] + 0.1 * k1_bar[i];
    }
    let __adj0: [f64; 4] = rhs(s);
    for i in 0..4 {
        s[i] = u[i] + 0.2 * __adj0[i];
    }
    let k4: [f64; 4] = rhs(s);
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = u[i] + 0.05 * (result[i] + 2.0 * k1_bar[i] + 2.0 * __adj0[i] + k4[i]);
    }
    out
}

/// Stages combined by loops the rule must leave alone: over part of `k1` (its last element
/// read after), at `k2[i + 1]`, under a condition on `k3`, and `k4`'s adjoint accumulated into
/// by a call (`rhs(k4)`) before the loop that reads it. (`k5`'s adjoint, first accumulated
/// into by the last loop over all of it, is written.)
#[differentiable]
fn partial(u: [f64; 4]) -> [f64; 4] {
    let k1: [f64; 4] = rhs(u);
    let k2: [f64; 4] = rhs(k1);
    let k3: [f64; 4] = rhs(k2);
    let k4: [f64; 4] = rhs(k3);
    let mut out = [0.0; 4];
    for i in 0..3 {
        out[i] = u[i] + 0.1 * k1[i];
    }
    out[3] = k1[3] * u[3];
    for i in 0..3 {
        out[i] += 0.2 * k2[i + 1];
    }
    for i in 0..4 {
        if u[i] > 0.0 {
            out[i] += k3[i] * k3[i];
        }
    }
    for i in 0..4 {
        out[i] += k4[i] * 0.3;
    }
    let k5: [f64; 4] = rhs(k4);
    for i in 0..4 {
        out[i] += k5[i];
    }
    out
}

/// A scalar cost of a few steps of `stages` and `partial`, for the Hessian-vector product.
#[allow(clippy::manual_memcpy)] // the macro assigns arrays element by element
#[differentiable]
fn cost(x0: [f64; 4]) -> f64 {
    let mut u = x0;
    let mut j = 0.0;
    for _ in 0..3 {
        let next: [f64; 4] = stages(u);
        for i in 0..4 {
            u[i] = next[i];
        }
        let other: [f64; 4] = partial(u);
        j += u[0] * u[1] + u[2].sin() + other[1] * other[3];
    }
    j
}

#[test]
fn stages_writing_their_adjoints_three_ways() {
    three_ways("stages", stages, stages_jvp, stages_vjp, 83);
}

#[test]
fn stages_combined_partially_three_ways() {
    three_ways("partial", partial, partial_jvp, partial_vjp, 89);
}

/// `__f_rev` (called through `f::rev`) agrees with `f_vjp` to the bit, and the written adjoints
/// do not depend on what the caller's adjoint held before (`u_bar` is added to, not written).
#[test]
fn the_reverse_only_companions_equal_the_vjps() {
    let (x, w) = ([0.4, -0.7, 0.9, 0.3], [0.3, -1.1, 0.6, 0.8]);
    let pairs: [(Vjp<4>, Rev<4>); 2] = [(stages_vjp, stages::rev), (partial_vjp, partial::rev)];
    for (vjp, rev) in pairs {
        let mut g1 = [0.0; 4];
        vjp(x, &mut g1[..], &w);
        let mut g2 = [0.0; 4];
        rev(x, &mut g2[..], &w);
        assert_eq!(g1, g2);
        let mut g3 = [1.0; 4];
        vjp(x, &mut g3[..], &w);
        for i in 0..4 {
            assert!((g3[i] - 1.0 - g1[i]).abs() <= 1e-15 * (1.0 + g1[i].abs()));
        }
    }
}

#[test]
fn the_hessian_vector_product_through_the_stages_is_symmetric() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9, 0.3];
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        cost_vjp(xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        cost_vjp(x, &mut g[..], 1.0);
        g
    };
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
    // The gradient itself against central differences of the cost.
    let g = grad(x);
    for i in 0..4 {
        let mut xp = x;
        let mut xm = x;
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
