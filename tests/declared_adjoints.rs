//! Zeroed adjoints declared by their first writes, and products by constants (issue 13). A
//! stage adjoint first written, every element once, by the reverse of the loop that combines
//! the stages is declared by those values (`core::array::from_fn`, before the loop) instead of
//! zeros overwritten (`expand/src/transform/adjoint/declare.rs`); a product by a constant (a
//! literal, data outside `wrt(..)`, their arithmetic) is `Real::mul_constant`, one
//! multiplication per lane of a dual number (`expand/src/emit/expr.rs`). Each function checked
//! three ways (finite differences, the dot-product test, tangent against adjoint), the
//! reverse-only companion against the vector-Jacobian product to the bit, and through a caller
//! by the Hessian-vector product (the adjoint at `Dual`: symmetric, equal to differences of
//! gradients). The case the rule must not fire on: a written value that reads an adjoint the
//! loop zeroes (`overwritten`, whose gradient is wrong if it is declared before the loop).

mod common;

use common::fixed::{hessian_and_gradient, three_ways, Rev, Vjp};
use common::{check, Case};
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

/// RK4-like stages with adversarial names (`result`, `k_bar`, `__adj0`): the combining loop's
/// reverse declares the four stage adjoints, each by its own `from_fn` (the temporary they
/// share computed again in each), and keeps only `u_bar`'s accumulation.
#[differentiable]
fn stages(u: [f64; 4]) -> [f64; 4] {
    let result: [f64; 4] = rhs(u);
    let mut s = [0.0; 4];
    for i in 0..4 {
        s[i] = u[i] + 0.1 * result[i];
    }
    let k_bar: [f64; 4] = rhs(s);
    for i in 0..4 {
        s[i] = u[i] + 0.1 * k_bar[i];
    }
    let __adj0: [f64; 4] = rhs(s);
    for i in 0..4 {
        s[i] = u[i] + 0.2 * __adj0[i];
    }
    let k4: [f64; 4] = rhs(s);
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = u[i] + 0.2 / 6.0 * (result[i] + 2.0 * k_bar[i] + 2.0 * __adj0[i] + k4[i]);
    }
    out
}

/// `k`'s adjoint is first written by the reverse of the loop that overwrites `s`, with a value
/// read from `s_bar`, which that loop zeroes: it stays zeroed and written in the loop. (`a`'s
/// and `b`'s adjoints, written by the last loop from `out_bar`, are declared.)
#[differentiable]
fn overwritten(u: [f64; 4]) -> [f64; 4] {
    let mut s = [0.0; 4];
    for i in 0..4 {
        s[i] = u[i] * u[i];
    }
    let a: [f64; 4] = rhs(s);
    let k: [f64; 4] = rhs(u);
    for i in 0..4 {
        s[i] = u[i] + 0.1 * k[i];
    }
    let b: [f64; 4] = rhs(s);
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = a[i] - 0.5 * b[i];
    }
    out
}

/// Products by data outside `wrt(..)` (`w[i]`, `w[i] * 2.0`, `-w[0]`): `mul_constant`, in the
/// primal, the tangent and the adjoint.
#[differentiable(wrt(u))]
fn weighted(u: [f64; 4], w: &[f64]) -> [f64; 4] {
    let k: [f64; 4] = rhs(u);
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = w[i] * k[i] + u[i] * (w[i] * 2.0) - w[0] * u[i] * u[i];
    }
    out
}

const W: [f64; 4] = [0.7, -1.3, 0.4, 2.1];

/// A scalar cost of a few steps through the stages, with products by literals and by the data
/// `w`, for the Hessian-vector product.
#[allow(clippy::manual_memcpy)] // the macro assigns arrays element by element
#[differentiable(wrt(x0))]
fn cost(x0: [f64; 4], w: &[f64]) -> f64 {
    let mut u = x0;
    let mut j = 0.0;
    for _ in 0..3 {
        let next: [f64; 4] = stages(u);
        for i in 0..4 {
            u[i] = next[i];
        }
        let other: [f64; 4] = overwritten(u);
        j += u[0] * u[1] + u[2].sin() + other[1] * other[3] + w[2] * u[3] * (0.5 * u[0]);
    }
    j
}

#[test]
fn stages_declaring_their_adjoints_three_ways() {
    three_ways("stages", stages, stages_jvp, stages_vjp, 97);
}

#[test]
fn a_write_reading_a_zeroed_adjoint_three_ways() {
    three_ways(
        "overwritten",
        overwritten,
        overwritten_jvp,
        overwritten_vjp,
        101,
    );
}

#[test]
fn products_by_data_outside_wrt_three_ways() {
    check(
        &Case {
            name: "weighted",
            inputs: 4,
            outputs: 4,
            f: &|x| weighted(x.try_into().unwrap(), &W).to_vec(),
            jvp: &|x, d| {
                let (v, t) = weighted_jvp(x.try_into().unwrap(), d.try_into().unwrap(), &W);
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let v = weighted_vjp(x.try_into().unwrap(), &mut g[..], &W, w);
                (v.to_vec(), g)
            },
        },
        &[0.4, -0.7, 0.9, 0.3],
        103,
    );
}

/// `__f_rev` (called through `f::rev`) agrees with `f_vjp` to the bit, and the declared
/// adjoints do not depend on what the caller's adjoint held before (`u_bar` is added to).
#[test]
fn the_reverse_only_companions_equal_the_vjps() {
    let (x, w) = ([0.4, -0.7, 0.9, 0.3], [0.3, -1.1, 0.6, 0.8]);
    let pairs: [(Vjp<4>, Rev<4>); 2] = [
        (stages_vjp, stages::rev),
        (overwritten_vjp, overwritten::rev),
    ];
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

/// The adjoint at `Dual` (forward over reverse): its values are the gradient's to the bit, its
/// tangents a symmetric Hessian equal to central differences of gradients.
#[test]
fn the_hessian_vector_product_is_symmetric_and_equals_differences_of_gradients() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9, 0.3];
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        cost_vjp(x, &mut g[..], &W, 1.0);
        g
    };
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        cost_vjp(xd, &mut g[..], &W, D::constant(1.0));
        assert_eq!(g.map(|gi| gi.value), grad(x));
        g.map(|gi| gi.tangents[0])
    };
    hessian_and_gradient(x, &|x| cost(x, &W), &grad, &hv);
}

/// `Real::mul_constant` at a dual number: the product's value, and each tangent times the
/// constant (a product of duals would give the same but for zero signs).
#[test]
fn mul_constant_at_a_dual_is_the_product() {
    use tapeless::{Dual, Real};
    let x = Dual::<f64, 2>::new(1.7, [0.3, -2.5]);
    let c = Dual::<f64, 2>::constant(-0.35);
    let (p, q) = (x.mul_constant(c), x * c);
    assert_eq!(p.value.to_bits(), q.value.to_bits());
    assert_eq!(p.tangents.map(f64::to_bits), q.tangents.map(f64::to_bits));
}
