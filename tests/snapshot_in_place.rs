//! Snapshots read in place and dead resets of adjoints (issue 13). A stage buffer overwritten
//! whole by loops is saved before each overwrite; when only reverse calls read it back, they
//! read the snapshot itself and the put-back copy is left out
//! (`expand/src/transform/adjoint/forwarding.rs`). An adjoint's zeroing that nothing reads
//! afterwards is left out (`resets.rs`). Each function checked three ways (finite differences,
//! the dot-product test, tangent against adjoint), the reverse-only companion against the
//! vector-Jacobian product to the bit, and through a caller by the Hessian-vector product (the
//! adjoint at `Dual`). Cases where the rules must not fire: the buffer read by a product between
//! the call and the next overwrite, and passed `&mut` to a callee; an adjoint element read
//! again after a take.

mod common;

use common::fixed::{hessian_and_gradient, three_ways, Rev, Vjp};
use tapeless::differentiable;

/// A small right-hand side read by the stages.
#[differentiable]
fn rhs(u: [f64; 3]) -> [f64; 3] {
    let mut du = [0.0; 3];
    du[0] = u[1] * u[2] - u[0];
    du[1] = (u[0] - u[2]).sin() + 0.5 * u[1];
    du[2] = u[0] * u[0] - u[2];
    du
}

/// RK4-like stages with one buffer overwritten whole three times (adversarial names: the
/// buffer is `result`, locals `s_bar` and `__adj0`): each put-back is read in place by the
/// right-hand side's reverse.
#[differentiable]
fn stages(u: [f64; 3]) -> [f64; 3] {
    let k1: [f64; 3] = rhs(u);
    let mut result = [0.0; 3];
    for i in 0..3 {
        result[i] = u[i] + 0.1 * k1[i];
    }
    let k2: [f64; 3] = rhs(result);
    let s_bar = 0.1;
    for i in 0..3 {
        result[i] = u[i] + s_bar * k2[i];
    }
    let k3: [f64; 3] = rhs(result);
    let __adj0 = 0.2;
    for i in 0..3 {
        result[i] = u[i] + __adj0 * k3[i];
    }
    let k4: [f64; 3] = rhs(result);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = u[i] + 0.05 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    out
}

/// The buffer's values read by a product between the call and the next overwrite: its put-back
/// must stay (the product's adjoint reads the buffer, not only the call).
#[differentiable]
fn read_between(u: [f64; 3]) -> [f64; 3] {
    let k1: [f64; 3] = rhs(u);
    let mut s = [0.0; 3];
    for i in 0..3 {
        s[i] = u[i] + 0.1 * k1[i];
    }
    let k2: [f64; 3] = rhs(s);
    let q = s[0] * s[1] + s[2].sin();
    for i in 0..3 {
        s[i] = u[i] * k2[i];
    }
    let k3: [f64; 3] = rhs(s);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = k3[i] * q + s[i] * s[i];
    }
    out
}

/// `d[1]` overwritten and its adjoint read again by its first assignment's adjoint: the first
/// take's reset must stay; `d[0]`'s may go.
#[differentiable]
fn elements(u: [f64; 3]) -> [f64; 3] {
    let mut d = [0.0; 3];
    d[1] = u[0] * u[1];
    d[0] = u[2].sin();
    d[1] = d[1] * u[2] + d[0];
    d[2] = d[1] * d[0];
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = d[i] * u[i];
    }
    out
}

/// A scalar cost of a few steps of `stages`, for the Hessian-vector product.
#[allow(clippy::manual_memcpy)] // the macro assigns arrays element by element
#[differentiable]
fn cost(x0: [f64; 3]) -> f64 {
    let mut u = x0;
    let mut j = 0.0;
    for _ in 0..3 {
        let next: [f64; 3] = stages(u);
        for i in 0..3 {
            u[i] = next[i];
        }
        let other: [f64; 3] = read_between(u);
        let e: [f64; 3] = elements(u);
        j += u[0] * u[1] + u[2].sin() + other[1] * e[2];
    }
    j
}

#[test]
fn stages_reading_their_snapshots_in_place_three_ways() {
    three_ways("stages", stages, stages_jvp, stages_vjp, 61);
}

#[test]
fn a_buffer_read_between_call_and_overwrite_three_ways() {
    three_ways(
        "read_between",
        read_between,
        read_between_jvp,
        read_between_vjp,
        67,
    );
}

#[test]
fn an_element_adjoint_read_again_three_ways() {
    three_ways("elements", elements, elements_jvp, elements_vjp, 71);
}

/// `__f_rev` (called through `f::rev`) agrees with `f_vjp` to the bit.
#[test]
fn the_reverse_only_companions_equal_the_vjps() {
    let (x, w) = ([0.4, -0.7, 0.9], [0.3, -1.1, 0.6]);
    let pairs: [(Vjp<3>, Rev<3>); 3] = [
        (stages_vjp, stages::rev),
        (read_between_vjp, read_between::rev),
        (elements_vjp, elements::rev),
    ];
    for (vjp, rev) in pairs {
        let mut g1 = [0.0; 3];
        vjp(x, &mut g1[..], &w);
        let mut g2 = [0.0; 3];
        rev(x, &mut g2[..], &w);
        assert_eq!(g1, g2);
    }
}

#[test]
fn the_hessian_vector_product_through_the_stages_is_symmetric() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9];
    let hv = |v: [f64; 3]| {
        let xd: [D; 3] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 3];
        cost_vjp(xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    let grad = |x: [f64; 3]| {
        let mut g = [0.0; 3];
        cost_vjp(x, &mut g[..], 1.0);
        g
    };
    hessian_and_gradient(x, &cost, &grad, &hv);
}
