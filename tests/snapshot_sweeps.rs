//! Reverse sweeps that save fixed-size arrays whole (issue 13). A loop that overwrites elements
//! of a `[f64; N]` whose old values the reverse sweep reads, and whose own reverse reads none
//! of them, saves the array once before the loop and puts it back after the loop's reverse: a
//! local at the top level (RK4 stages reusing one buffer), a push per iteration of an
//! enclosing loop (a window copying the next state in). Adjoints of fixed-size arrays are
//! `[0; N]`, shaped by no binding, so the reverse-only companion drops the calls whose results
//! only gave a shape (the last stage of `stages` in `__stages_rev`). Next to them, a loop that
//! keeps its element saves because its reverse reads the array. Each checked three ways (finite differences, the dot-product test, tangent against adjoint), and the
//! Hessian-vector product (the adjoint at `Dual`) for symmetry.

mod common;

use common::{check, Case};
use tapeless::differentiable;

/// A small nonlinear right-hand side of a fixed-size state.
#[differentiable]
fn rhs3(u: [f64; 3]) -> [f64; 3] {
    let mut du = [0.0; 3];
    du[0] = u[1] * u[2] - u[0];
    du[1] = (u[0] - u[2]).sin();
    du[2] = 0.5 * u[0] * u[1] - u[2];
    du
}

/// An RK4-like step with one stage buffer `s` overwritten between the calls that read it:
/// snapshots at the top level. The third overwrite is partial and repeats an element; the
/// fourth reads `s` in its own adjoint and keeps its element saves.
#[differentiable]
fn stages(u: [f64; 3]) -> [f64; 3] {
    let k1: [f64; 3] = rhs3(u);
    let mut s = [0.0; 3];
    for i in 0..3 {
        s[i] = u[i] + 0.1 * k1[i];
    }
    let k2 = rhs3(s); // untyped: `[f64; _]`, its adjoint shaped by its value
    for i in 0..3 {
        s[i] = u[i] + 0.1 * k2[i];
    }
    let k3: [f64; 3] = rhs3(s);
    for i in 0..4 {
        s[2 * (i % 2)] = u[i % 3] * k3[i % 3];
    }
    let k4: [f64; 3] = rhs3(s);
    for i in 0..3 {
        s[i] = s[i].sin() + 0.1 * k4[i];
    }
    let k5: [f64; 3] = rhs3(s);
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = u[i] + 0.05 * (k1[i] + 2.0 * k2[i] + k3[i] + k4[i] + k5[i]);
    }
    out
}

/// A window of steps: the state copied in element by element (a snapshot pushed per step),
/// misfits on every other step, and a loop under a branch (its snapshot pushed when the branch
/// runs, popped when its replay does).
#[allow(clippy::manual_memcpy)] // the element-by-element overwrite is what is tested
#[differentiable]
fn window(x0: [f64; 3]) -> f64 {
    let mut u = x0;
    // Read again by the reverse sweep after the loop's reverse: the state must be back whole
    // in the function's scope, not only in the scope of the loop body that put it back.
    let mut j = u[1] * u[2];
    for k in 0..4 {
        let next: [f64; 3] = stages(u);
        for i in 0..3 {
            u[i] = next[i];
        }
        if k % 2 == 1 {
            j += u[0] * u[1] + u[2].cos();
            for i in 0..3 {
                u[i] *= 0.9;
            }
        }
    }
    j + u[0] * u[2]
}

#[test]
fn stages_reusing_one_buffer_three_ways() {
    check(
        &Case {
            name: "stages",
            inputs: 3,
            outputs: 3,
            f: &|x| stages(x.try_into().unwrap()).to_vec(),
            jvp: &|x, d| {
                let (v, t) = stages_jvp(x.try_into().unwrap(), d.try_into().unwrap());
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 3];
                let v = stages_vjp(x.try_into().unwrap(), &mut g[..], w);
                (v.to_vec(), g)
            },
        },
        &[0.4, -0.7, 0.9],
        23,
    );
}

#[test]
fn window_with_snapshots_per_step_three_ways() {
    check(
        &Case {
            name: "window",
            inputs: 3,
            outputs: 1,
            f: &|x| vec![window(x.try_into().unwrap())],
            jvp: &|x, d| {
                let (v, t) = window_jvp(x.try_into().unwrap(), d.try_into().unwrap());
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 3];
                let v = window_vjp(x.try_into().unwrap(), &mut g[..], w[0]);
                (vec![v], g)
            },
        },
        &[0.4, -0.7, 0.9],
        29,
    );
}

#[test]
fn the_hessian_vector_product_through_snapshots_is_symmetric() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.4, -0.7, 0.9];
    let hv = |v: [f64; 3]| {
        let xd: [D; 3] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 3];
        window_vjp(xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    let grad = |x: [f64; 3]| {
        let mut g = [0.0; 3];
        window_vjp(x, &mut g[..], 1.0);
        g
    };
    let (a, b) = ([1.0, 0.5, -0.3], [-0.4, 0.9, 0.1]);
    let (ha, hb) = (hv(a), hv(b));
    let dot = |p: [f64; 3], q: [f64; 3]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(b, ha), dot(a, hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()),
        "H not symmetric: {l} vs {r}"
    );
    // H a against central differences of gradients.
    let eps = 1e-5;
    let (gp, gm) = (
        grad(std::array::from_fn(|i| x[i] + eps * a[i])),
        grad(std::array::from_fn(|i| x[i] - eps * a[i])),
    );
    for i in 0..3 {
        let fd = (gp[i] - gm[i]) / (2.0 * eps);
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "H a [{i}]: {} vs differences of gradients {fd}",
            ha[i]
        );
    }
}
