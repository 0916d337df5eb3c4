//! Fixed-size arrays declared by the loop that fills them (`expand/src/emit/fill.rs`, issue 13):
//! `let mut s = [0.0; N]; for i in 0..N { s[i] = e; }` is printed as one `core::array::from_fn`
//! (no zeros stored), and a whole-array snapshot before such a loop at the top level of a sweep
//! as a move of the old array and a fresh binding (no copy). Each function has a twin whose
//! loops run `.rev()` (the same values, which the rule leaves alone): every companion of the
//! two agrees to the bit; each is also checked three ways (finite differences, the dot-product
//! test, tangent against adjoint) and through a caller by the Hessian-vector product.
//! Adversarial names (`s_saved`, `__s_saved3`, `from_fn`), a fill inside a loop body, a fill
//! reading the array it is not (`t` from `s`), periodic indices, and a `macro_rules!` function.

mod common;

use common::fixed::{hessian_and_gradient, three_ways, Rev, Vjp};
use tapeless::differentiable;

/// A right-hand side that reads its input at periodic offsets.
#[differentiable]
fn rhs(u: [f64; 4]) -> [f64; 4] {
    let mut du = [0.0; 4];
    du[0] = (u[1] - u[2]) * u[3] - u[0];
    du[1] = (u[2] - u[3]) * u[0] - u[1].sin();
    du[2] = (u[3] - u[0]) * u[1] - u[2];
    du[3] = (u[0] - u[1]) * u[2] + 0.5 * u[3];
    du
}

/// Stages through one buffer `s` overwritten whole (snapshots at the top level: moved, not
/// copied), a fill inside a loop body, fills reading `%` indices and another fill's array.
#[differentiable]
fn filled(u: [f64; 4]) -> [f64; 4] {
    let s_saved: [f64; 4] = rhs(u);
    let mut s = [0.0; 4];
    for i in 0..4 {
        s[i] = u[i] + 0.1 * s_saved[i];
    }
    let __s_saved3: [f64; 4] = rhs(s);
    for i in 0..4 {
        s[i] = u[(i + 1) % 4] * 0.3 + 0.2 * __s_saved3[i];
    }
    let from_fn: [f64; 4] = rhs(s);
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = s[i] * from_fn[(i + 3) % 4] + s_saved[i];
    }
    for _ in 0..2 {
        let mut t = [1.0; 4];
        for i in 0..4 {
            t[i] = out[i] * s[i] - 0.25 * u[i];
        }
        let k: [f64; 4] = rhs(t);
        for i in 0..4 {
            out[i] += 0.05 * k[i];
        }
    }
    out
}

/// `filled` with every filling loop run `.rev()`: the rule does not fire, the values are the same.
#[differentiable]
fn filled_rev(u: [f64; 4]) -> [f64; 4] {
    let s_saved: [f64; 4] = rhs(u);
    let mut s = [0.0; 4];
    for i in (0..4).rev() {
        s[i] = u[i] + 0.1 * s_saved[i];
    }
    let __s_saved3: [f64; 4] = rhs(s);
    for i in (0..4).rev() {
        s[i] = u[(i + 1) % 4] * 0.3 + 0.2 * __s_saved3[i];
    }
    let from_fn: [f64; 4] = rhs(s);
    let mut out = [0.0; 4];
    for i in (0..4).rev() {
        out[i] = s[i] * from_fn[(i + 3) % 4] + s_saved[i];
    }
    for _ in 0..2 {
        let mut t = [1.0; 4];
        for i in (0..4).rev() {
            t[i] = out[i] * s[i] - 0.25 * u[i];
        }
        let k: [f64; 4] = rhs(t);
        for i in 0..4 {
            out[i] += 0.05 * k[i];
        }
    }
    out
}

macro_rules! stage_fn {
    ($name:ident, $c:expr) => {
        /// A stage written by a macro: the fill's loop comes from `macro_rules!`.
        #[differentiable]
        fn $name(u: [f64; 4]) -> [f64; 4] {
            let k: [f64; 4] = rhs(u);
            let mut s = [0.0; 4];
            for i in 0..4 {
                s[i] = u[i] + $c * k[i];
            }
            let k2: [f64; 4] = rhs(s);
            for i in 0..4 {
                s[i] = u[i] - $c * k2[i];
            }
            s
        }
    };
}

stage_fn!(macro_stage, 0.125);

/// A scalar cost through the filled stages, for the Hessian-vector product.
#[allow(clippy::manual_memcpy)] // the macro assigns arrays element by element
#[differentiable(wrt(x0))]
fn cost(x0: [f64; 4]) -> f64 {
    let mut u = x0;
    let mut j = 0.0;
    for _ in 0..2 {
        let next: [f64; 4] = filled(u);
        for i in 0..4 {
            u[i] = next[i];
        }
        let m: [f64; 4] = macro_stage(u);
        j += u[0] * u[1] + m[2].cos() + m[3] * u[3];
    }
    j
}

#[test]
fn filled_arrays_three_ways() {
    three_ways("filled", filled, filled_jvp, filled_vjp, 211);
    three_ways(
        "macro_stage",
        macro_stage,
        macro_stage_jvp,
        macro_stage_vjp,
        223,
    );
}

/// The declared fills give the bits of the loops they replace: every companion of `filled`
/// equals its `.rev()` twin's (where the rule does not fire) to the bit, at `f64` and at
/// `Dual`, and the reverse-only companion equals the vector-Jacobian product.
#[test]
fn fills_equal_the_loops_to_the_bit() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let bits = |a: [f64; 4]| a.map(f64::to_bits);
    let (x, d, w) = (
        [0.4, -0.7, 0.9, 0.3],
        [0.2, 0.5, -1.1, 0.6],
        [0.3, -1.1, 0.6, 0.8],
    );
    assert_eq!(bits(filled(x)), bits(filled_rev(x)));
    let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [d[i]]));
    let (a, b) = (filled_generic(xd), filled_rev_generic(xd));
    assert_eq!(
        a.map(|v| (v.value.to_bits(), v.tangents[0].to_bits())),
        b.map(|v| (v.value.to_bits(), v.tangents[0].to_bits()))
    );
    let ((v1, t1), (v2, t2)) = (filled_jvp(x, d), filled_rev_jvp(x, d));
    assert_eq!((bits(v1), bits(t1)), (bits(v2), bits(t2)));
    let pairs: [(Vjp<4>, Rev<4>); 2] =
        [(filled_vjp, filled::rev), (filled_rev_vjp, filled_rev::rev)];
    let mut grads = Vec::new();
    for (vjp, rev) in pairs {
        let mut g1 = [0.0; 4];
        let v = vjp(x, &mut g1[..], &w);
        assert_eq!(bits(v), bits(filled(x)));
        let mut g2 = [0.0; 4];
        rev(x, &mut g2[..], &w);
        assert_eq!(bits(g1), bits(g2));
        grads.push(bits(g1));
    }
    assert_eq!(grads[0], grads[1]);
    let wd: [D; 4] = std::array::from_fn(|i| D::new(w[i], [d[i]]));
    let (mut g1, mut g2) = ([D::constant(0.0); 4], [D::constant(0.0); 4]);
    filled_vjp(xd, &mut g1[..], &wd);
    filled_rev_vjp(xd, &mut g2[..], &wd);
    assert_eq!(
        g1.map(|v| (v.value.to_bits(), v.tangents[0].to_bits())),
        g2.map(|v| (v.value.to_bits(), v.tangents[0].to_bits()))
    );
}

/// The adjoint at `Dual` (forward over reverse): its values are the gradient's to the bit, its
/// tangents a symmetric Hessian equal to central differences of gradients; the gradient equals
/// central differences of the cost.
#[test]
fn the_hessian_vector_product_through_fills_is_symmetric_and_equals_differences_of_gradients() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9, 0.3];
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        cost_vjp(x, &mut g[..], 1.0);
        g
    };
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        cost_vjp(xd, &mut g[..], D::constant(1.0));
        assert_eq!(g.map(|gi| gi.value), grad(x));
        g.map(|gi| gi.tangents[0])
    };
    hessian_and_gradient(x, &cost, &grad, &hv);
}
