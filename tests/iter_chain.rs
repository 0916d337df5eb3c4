//! Issue 12, item 3: `a.iter().chain(b.iter())`, the concatenation scientists write to build a
//! network's input from a state and its gradient, or to sum over two arrays: summed, folded,
//! collected, looped over, enumerated, zipped, reversed, mapped before and after, from ranges
//! and from nalgebra vectors. Each is checked three ways (central differences, the dot-product
//! test, tangent against adjoint), by Hessian-vector products at dual numbers against
//! differences of gradients, and against the same function written with loops (values to the
//! bit, derivatives to rounding).

mod common;

use common::slices::{prove, Scalar, D};
use nalgebra::{DMatrix, DVector};
use tapeless::differentiable;

/// Every consumer of a chain, the halves of `x` joined.
#[differentiable]
fn joined(x: &[f64], w: &[f64]) -> f64 {
    let h = x.len() / 2;
    let a = &x[..h];
    let b = &x[h..];
    let energy: f64 = a.iter().chain(b.iter()).map(|v| v * v).sum();
    let both: Vec<f64> = a.iter().chain(b).copied().collect();
    let mut looped = 0.0;
    for v in a.iter().chain(b.iter()) {
        looped += v.sin() * both[0];
    }
    let ranked = a
        .iter()
        .chain(b.iter())
        .enumerate()
        .map(|(i, v)| v * (i as f64 + 1.0))
        .sum::<f64>();
    let weighted = a
        .iter()
        .map(|v| v * 2.0)
        .chain(b.iter().map(|v| v.exp()))
        .zip(w.iter())
        .map(|(p, q)| p * q)
        .sum::<f64>();
    let backwards = a
        .iter()
        .chain(b.iter())
        .rev()
        .fold(0.0, |acc, v| acc * 0.5 + v);
    let ramp = (0..h)
        .map(|i| a[i] * i as f64)
        .chain(b.iter().copied())
        .sum::<f64>();
    energy + both[both.len() - 1] * looped + ranked + weighted + backwards * ramp
}

/// The same with the loops written out.
#[differentiable]
fn joined_by_hand(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let h = n / 2;
    let mut energy = 0.0;
    for i in 0..n {
        energy += x[i] * x[i];
    }
    let both = x.to_vec();
    let mut looped = 0.0;
    for i in 0..n {
        looped += x[i].sin() * both[0];
    }
    let mut ranked = 0.0;
    for i in 0..n {
        ranked += x[i] * (i as f64 + 1.0);
    }
    let mut weighted = 0.0;
    for i in 0..n.min(w.len()) {
        let p = if i < h { x[i] * 2.0 } else { x[i].exp() };
        weighted += p * w[i];
    }
    let mut backwards = 0.0;
    for i in (0..n).rev() {
        backwards = backwards * 0.5 + x[i];
    }
    let mut ramp = 0.0;
    for i in 0..h {
        ramp += x[i] * i as f64;
    }
    for i in h..n {
        ramp += x[i];
    }
    energy + both[n - 1] * looped + ranked + weighted + backwards * ramp
}

/// A learned solver's step: the network reads the state and its gradient joined, `.chain`ed
/// from nalgebra vectors and collected (a local named as generated temporaries are).
#[differentiable]
fn solver_step(
    w1: &DMatrix<f64>,
    w2: &DMatrix<f64>,
    x: &DVector<f64>,
    g: &DVector<f64>,
) -> DVector<f64> {
    let __item: Vec<f64> = x.iter().chain(g.iter()).copied().collect();
    let input = DVector::from_column_slice(&__item);
    let h = (w1 * input).map(|v| v.tanh());
    x - w2 * h
}

macro_rules! chained_sum {
    ($name:ident) => {
        #[differentiable]
        fn $name(a: &[f64], b: &[f64]) -> f64 {
            a.iter().chain(b.iter()).map(|v| v * v.cos()).sum()
        }
    };
}

chained_sum!(chained_from_macro);

const W: [f64; 7] = [0.5, -1.25, 0.75, 2.0, -0.5, 1.5, 0.25];

#[test]
fn chains_pass_the_three_checks_and_hessian_vector_products() {
    for n in [2, 5, 6] {
        let x: Vec<f64> = (0..n)
            .map(|i| 0.3 + 0.41 * i as f64 - 0.07 * (i * i) as f64)
            .collect();
        prove(
            &Scalar {
                name: "joined",
                f: &|x| joined(x, &W),
                jvp: &|x, d| joined_jvp(x, d, &W[..], &[0.0; 7][..]),
                vjp: &|x, b, y| joined_vjp(x, b, &W[..], &mut [0.0; 7][..], y),
                vjp_dual: &|x, b, y| {
                    let w: Vec<D> = W.iter().map(|&v| D::constant(v)).collect();
                    joined_vjp(x, b, &w[..], &mut [D::constant(0.0); 7][..], y)
                },
            },
            &x,
            n as u64,
        );
    }
}

#[test]
fn chains_equal_the_loops_written_out_to_the_bit() {
    for n in [2, 5, 6] {
        let x: Vec<f64> = (0..n).map(|i| 0.7 - 0.29 * i as f64).collect();
        assert_eq!(joined(&x, &W), joined_by_hand(&x, &W));
        // The values to the bit; the adjoints sum the same terms, in another order.
        let (v1, (g1, w1)) = joined_grad(&x[..], &W[..]);
        let (v2, (g2, w2)) = joined_by_hand_grad(&x[..], &W[..]);
        assert_eq!(v1, v2, "n = {n}");
        for (a, b) in g1.iter().chain(&w1).zip(g2.iter().chain(&w2)) {
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b.abs(),
                "n = {n}: {a} against {b}"
            );
        }
        let d: Vec<f64> = (0..n).map(|i| 1.0 - 0.3 * i as f64).collect();
        let t1 = joined_jvp(&x[..], &d[..], &W[..], &[0.0; 7][..]);
        let t2 = joined_by_hand_jvp(&x[..], &d[..], &W[..], &[0.0; 7][..]);
        assert_eq!(t1.0, t2.0);
        assert!((t1.1 - t2.1).abs() <= 4.0 * f64::EPSILON * t2.1.abs());
    }
    let (a, b) = ([0.5, -1.0], [2.0, 0.25, 1.5]);
    let (_, (ga, gb)) = chained_from_macro_grad(&a[..], &b[..]);
    let rule = |v: f64| v.cos() - v * v.sin();
    assert_eq!(ga, a.iter().map(|&v| rule(v)).collect::<Vec<_>>());
    assert_eq!(gb, b.iter().map(|&v| rule(v)).collect::<Vec<_>>());
}

#[test]
fn a_network_reading_a_state_and_its_gradient_joined() {
    let (n, m) = (3, 4);
    let w1 = DMatrix::from_fn(m, 2 * n, |i, j| ((i + 2 * j) as f64 * 0.3).sin());
    let w2 = DMatrix::from_fn(n, m, |i, j| ((i * 3 + j) as f64 * 0.7).cos() * 0.2);
    let x = DVector::from_vec(vec![1.0, -0.5, 0.25]);
    let g = DVector::from_vec(vec![0.3, 0.2, -0.1]);
    let seed = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    // J^T seed against the tangent along every direction of (x, g): <seed, J e_k> = (J^T seed)_k.
    let (mut w1b, mut w2b) = (DMatrix::zeros(m, 2 * n), DMatrix::zeros(n, m));
    let (mut xb, mut gb) = (DVector::zeros(n), DVector::zeros(n));
    let y = solver_step_vjp(
        &w1, &mut w1b, &w2, &mut w2b, &x, &mut xb, &g, &mut gb, &seed,
    );
    assert_eq!(y, solver_step(&w1, &w2, &x, &g));
    let (zm1, zm2) = (DMatrix::zeros(m, 2 * n), DMatrix::zeros(n, m));
    for k in 0..2 * n {
        let mut e = DVector::zeros(2 * n);
        e[k] = 1.0;
        let (ex, eg) = (e.rows(0, n).into_owned(), e.rows(n, n).into_owned());
        let (_, t) = solver_step_jvp(&w1, &zm1, &w2, &zm2, &x, &ex, &g, &eg);
        let adjoint = if k < n { xb[k] } else { gb[k - n] };
        assert!((seed.dot(&t) - adjoint).abs() < 1e-14, "direction {k}");
        // Central differences.
        let h = 1e-6;
        let (mut xp, mut xm, mut gp, mut gm) = (x.clone(), x.clone(), g.clone(), g.clone());
        if k < n {
            xp[k] += h;
            xm[k] -= h;
        } else {
            gp[k - n] += h;
            gm[k - n] -= h;
        }
        let fd = (solver_step(&w1, &w2, &xp, &gp) - solver_step(&w1, &w2, &xm, &gm)) / (2.0 * h);
        assert!(
            (seed.dot(&fd) - adjoint).abs() < 1e-8,
            "direction {k}: {fd} against {t}"
        );
    }
}
