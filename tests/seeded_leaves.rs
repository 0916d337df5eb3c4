//! Reverse sweeps of small leaves inlined into their callers, and returned local arrays whose
//! adjoint is seeded by a copy of the incoming one (issue 13). A function that calls no other
//! differentiable function and has a few statements gets `#[inline(always)]` on its companions
//! (`companions::small_leaf`); a returned array that is a local of the function's own has its
//! adjoint seeded with `seed` (a copy) instead of `accumulate` into zeros, unless an earlier part
//! of a tuple result is the same array. Each function checked three ways (finite differences,
//! the dot-product test, tangent against adjoint) and, through a caller that runs the leaf per
//! stage, by the Hessian-vector product (the adjoint at `Dual`) for symmetry and against
//! differences of gradients.

mod common;

use common::fixed::{hessian_and_gradient, three_ways};
use common::{check, Case};
use tapeless::differentiable;

/// A small leaf returning a local fixed-size array (adversarial names: the local is `result`,
/// a local is `result_bar`, another `__adj0`); the returned array is read again after it is
/// written, so its adjoint is changed by the reverse sweep after the seeding.
#[differentiable]
fn leaf(u: [f64; 3]) -> [f64; 3] {
    let mut result = [0.0; 3];
    result[0] = u[1] * u[2] - u[0];
    result[1] = (u[0] - u[2]).sin() + result[0] * u[1];
    let result_bar = 0.5 * u[0];
    let __adj0 = result_bar * u[1];
    result[2] = __adj0 - u[2] * result[1];
    result
}

/// A leaf returning a `Vec` of its own.
#[differentiable]
fn leaf_vec(u: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; u.len()];
    for i in 0..u.len() {
        v[i] = u[i] * u[(i + 1) % u.len()] + (0.3 * u[i]).cos();
    }
    v
}

/// A leaf returning a copy of its parameter (the adjoint of a local initialised from it).
#[differentiable]
fn leaf_copy(u: [f64; 3]) -> [f64; 3] {
    let mut w = u;
    w[1] *= w[0];
    w[2] = w[1].exp() * 0.1;
    w
}

/// One local array returned twice: the second seeding must add to the first.
#[differentiable]
fn twice(u: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let mut a = [0.0; 2];
    a[0] = u[0] * u[1];
    a[1] = u[1].sin();
    (a, a)
}

/// Stages calling the leaves, each inlined: the callee's local adjoint seeded from the
/// caller's stage adjoint.
#[differentiable]
fn stages(u: [f64; 3]) -> [f64; 3] {
    let k1: [f64; 3] = leaf(u);
    let mut s = [0.0; 3];
    for i in 0..3 {
        s[i] = u[i] + 0.1 * k1[i];
    }
    let k2: [f64; 3] = leaf(s);
    for i in 0..3 {
        s[i] = u[i] + 0.1 * k2[i];
    }
    let k3: [f64; 3] = leaf_copy(s);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = u[i] + 0.05 * (k1[i] + 2.0 * k2[i] + k3[i]);
    }
    out[0] += k3[0] * k3[1];
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
        j += u[0] * u[1] + u[2].sin();
    }
    j
}

#[test]
fn a_leaf_returning_its_local_array_three_ways() {
    three_ways("leaf", leaf, leaf_jvp, leaf_vjp, 41);
}

#[test]
fn a_leaf_returning_a_copy_of_its_parameter_three_ways() {
    three_ways("leaf_copy", leaf_copy, leaf_copy_jvp, leaf_copy_vjp, 43);
}

#[test]
fn stages_calling_inlined_leaves_three_ways() {
    three_ways("stages", stages, stages_jvp, stages_vjp, 47);
}

#[test]
fn a_leaf_returning_a_vec_three_ways() {
    check(
        &Case {
            name: "leaf_vec",
            inputs: 5,
            outputs: 5,
            f: &leaf_vec,
            jvp: &|x, d| leaf_vec_jvp(x, d),
            vjp: &|x, w| {
                let mut g = vec![0.0; 5];
                let v = leaf_vec_vjp(x, &mut g[..], w);
                (v, g)
            },
        },
        &[0.4, -0.7, 0.9, 1.3, -0.2],
        53,
    );
}

#[test]
fn one_array_returned_twice_three_ways() {
    check(
        &Case {
            name: "twice",
            inputs: 2,
            outputs: 4,
            f: &|x| {
                let (a, b) = twice(x.try_into().unwrap());
                [a, b].concat()
            },
            jvp: &|x, d| {
                let ((a, b), (ad, bd)) = twice_jvp(x.try_into().unwrap(), d.try_into().unwrap());
                ([a, b].concat(), [ad, bd].concat())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 2];
                let (a, b) = twice_vjp(x.try_into().unwrap(), &mut g[..], (&w[..2], &w[2..]));
                ([a, b].concat(), g)
            },
        },
        &[0.4, -0.7],
        59,
    );
}

/// `__f_rev` of the reverse-only path, called through `f::rev` by `cost`'s companions, agrees
/// with `f_vjp` to the bit: the seeded copy is the accumulation into zeros.
#[test]
fn the_reverse_only_companion_equals_the_vjp() {
    let (x, w) = ([0.4, -0.7, 0.9], [0.3, -1.1, 0.6]);
    let mut g1 = [0.0; 3];
    stages_vjp(x, &mut g1[..], &w);
    let mut g2 = [0.0; 3];
    stages::rev(x, &mut g2[..], &w);
    assert_eq!(g1, g2);
}

#[test]
fn the_hessian_vector_product_through_inlined_leaves_is_symmetric() {
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
