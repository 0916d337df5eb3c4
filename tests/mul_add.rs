//! `a.mul_add(b, c)` and `f64::mul_add(a, b, c)`: the primal stays the fused multiply-add (its
//! value bit-identical to std's in the function and in every companion), the tangent is
//! `b a_dot + a b_dot + c_dot`, the adjoint adds `b s` to `a`, `a s` to `b` and `s` to `c`.
//! Checked three ways (finite differences, the dot-product test, tangent against adjoint, in
//! `common::check`), and through Hessian-vector products at dual numbers against differences of
//! gradients; in loops whose accumulator is overwritten, so the adjoint's saves and restores of
//! the values it reads are exercised.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// One fused multiply-add, both spellings.
#[differentiable]
fn fma(a: f64, b: f64, c: f64) -> [f64; 2] {
    [a.mul_add(b, c), f64::mul_add(c, a, b)]
}

#[test]
fn the_value_is_the_fused_one_in_the_function_and_its_companions() {
    // 0.1 * 10.0 - 1.0 is 0.0 rounded twice, 2^-54 fused.
    let (a, b, c): (f64, f64, f64) = (0.1, 10.0, -1.0);
    assert_ne!(a.mul_add(b, c), a * b + c);
    let want = [a.mul_add(b, c).to_bits(), c.mul_add(a, b).to_bits()];
    assert_eq!(fma(a, b, c).map(f64::to_bits), want);
    let (v, _) = fma_jvp(a, 1.0, b, 0.0, c, 0.0);
    assert_eq!(v.map(f64::to_bits), want);
    let mut bars = (0.0, 0.0, 0.0);
    let v = fma_vjp(a, &mut bars.0, b, &mut bars.1, c, &mut bars.2, &[1.0, 0.0]);
    assert_eq!(v.map(f64::to_bits), want);
    assert_eq!(bars, (b, a, 1.0));
    // The generic primal at dual numbers: the value part is fused too.
    let d = |x: f64| Dual::<f64, 1>::new(x, [1.0]);
    let v = fma_vjp(
        d(a),
        &mut Dual::constant(0.0),
        d(b),
        &mut Dual::constant(0.0),
        d(c),
        &mut Dual::constant(0.0),
        &[Dual::constant(1.0), Dual::constant(0.0)],
    );
    assert_eq!(v.map(|x| x.value.to_bits()), want);
}

#[test]
fn one_fused_multiply_add_three_ways() {
    for (i, x) in [[0.7, -1.2, 0.4], [0.1, 10.0, -1.0], [-2.5, 0.3, 1.9]]
        .into_iter()
        .enumerate()
    {
        check(
            &Case {
                name: "fma",
                inputs: 3,
                outputs: 2,
                f: &|x| fma(x[0], x[1], x[2]).to_vec(),
                jvp: &|x, d| {
                    let (v, t) = fma_jvp(x[0], d[0], x[1], d[1], x[2], d[2]);
                    (v.to_vec(), t.to_vec())
                },
                vjp: &|x, y| {
                    let mut b = [0.0; 3];
                    let (b0, rest) = b.split_at_mut(1);
                    let (b1, b2) = rest.split_at_mut(1);
                    let v = fma_vjp(x[0], &mut b0[0], x[1], &mut b1[0], x[2], &mut b2[0], y);
                    (v.to_vec(), b.to_vec())
                },
            },
            &x,
            20 + i as u64,
        );
    }
}

/// A fused dot product (the accumulator is `mul_add`'s addend, overwritten each step), then
/// Horner's rule (the accumulator is the multiplied operand, which the adjoint reads: its
/// overwritten values are saved and restored), then a fused product of two reals.
#[differentiable]
fn fused(x: &[f64]) -> f64 {
    let n = x.len() / 2;
    let mut s = 0.25;
    for i in 0..n {
        s = x[i].mul_add(x[n + i], s);
    }
    let mut p = x[0];
    for i in 1..x.len() {
        p = p.mul_add(s, x[i]);
    }
    let mut q = 1.0;
    for i in 0..n {
        q = f64::mul_add(q, x[i].sin(), p * x[n + i]);
    }
    q.mul_add(p, s)
}

fn fused_by_hand(x: &[f64]) -> f64 {
    let n = x.len() / 2;
    let mut s: f64 = 0.25;
    for i in 0..n {
        s = x[i].mul_add(x[n + i], s);
    }
    let mut p = x[0];
    for &xi in &x[1..] {
        p = p.mul_add(s, xi);
    }
    let mut q: f64 = 1.0;
    for i in 0..n {
        q = q.mul_add(x[i].sin(), p * x[n + i]);
    }
    q.mul_add(p, s)
}

type D = Dual<f64, 1>;

fn fused_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut bar = vec![D::constant(0.0); x.len()];
    fused_vjp(&xd, &mut bar, D::constant(1.0));
    bar.iter().map(|b| b.tangents[0]).collect()
}

fn fused_gradient(x: &[f64], g: &mut [f64]) {
    g.fill(0.0);
    fused_vjp(x, g, 1.0);
}

#[test]
fn fused_loops_three_ways_and_their_hessian() {
    let mut rng = common::Draws::new(30);
    for (k, x) in [
        vec![0.3, -0.7, 0.8, 0.45],
        vec![0.1, 10.0, -1.0, 0.2, -0.35, 0.6],
        vec![-0.45, 0.5, 0.3, -0.6],
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(fused(&x).to_bits(), fused_by_hand(&x).to_bits());
        let n = x.len();
        check(
            &Case {
                name: "fused",
                inputs: n,
                outputs: 1,
                f: &|x| vec![fused(x)],
                jvp: &|x, d| {
                    let (v, t) = fused_jvp(x, d);
                    (vec![v], vec![t])
                },
                vjp: &|x, y| {
                    let mut g = vec![0.0; x.len()];
                    let v = fused_vjp(x, &mut g, y[0]);
                    (vec![v], g)
                },
            },
            &x,
            31 + k as u64,
        );
        let (u, w) = (rng.vec(n), rng.vec(n));
        let (hu, hw) = (fused_hvp(&x, &u), fused_hvp(&x, &w));
        let report = check_hvp(fused_gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "at {x:?}: {report:?}");
    }
}
