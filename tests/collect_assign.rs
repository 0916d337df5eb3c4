//! Issue 12, items 3 and 5: a `Vec` assigned a collected chain that reads it,
//! `u = u.iter().zip(&k).map(|(a, b)| a + h * b).collect();`, the RK4 update written with
//! iterators (nested zips of the four stages). Proved three ways (central differences, the
//! dot-product test to 1e-12, tangent against adjoint), by Hessian-vector products at dual
//! numbers, and equal to the bit to the same integrator written with index loops.

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

#[differentiable]
fn lorenz(u: &[f64], sigma: f64) -> Vec<f64> {
    vec![
        sigma * (u[1] - u[0]),
        u[0] * (28.0 - u[2]) - u[1],
        u[0] * u[1] - 8.0 / 3.0 * u[2],
    ]
}

/// RK4 with the stages and the update collected from chains.
#[differentiable]
fn rk4_chains(p: &[f64]) -> f64 {
    let (sigma, h) = (p[3], 0.01);
    let mut u = p[..3].to_vec();
    for _ in 0..5 {
        let k1 = lorenz(&u, sigma);
        let u2: Vec<f64> = u.iter().zip(&k1).map(|(a, b)| a + 0.5 * h * b).collect();
        let k2 = lorenz(&u2, sigma);
        let u3: Vec<f64> = u.iter().zip(&k2).map(|(a, b)| a + 0.5 * h * b).collect();
        let k3 = lorenz(&u3, sigma);
        let u4: Vec<f64> = u.iter().zip(&k3).map(|(a, b)| a + h * b).collect();
        let k4 = lorenz(&u4, sigma);
        u = u
            .iter()
            .zip(k1.iter().zip(k2.iter()).zip(k3.iter().zip(k4.iter())))
            .map(|(a, ((b1, b2), (b3, b4)))| a + h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4))
            .collect();
    }
    u.iter().map(|v| v * v).sum::<f64>()
}

/// The same with index loops.
#[differentiable]
fn rk4_loops(p: &[f64]) -> f64 {
    let (sigma, h) = (p[3], 0.01);
    let mut u = p[..3].to_vec();
    for _ in 0..5 {
        let k1 = lorenz(&u, sigma);
        let mut u2 = vec![0.0; 3];
        for i in 0..3 {
            u2[i] = u[i] + 0.5 * h * k1[i];
        }
        let k2 = lorenz(&u2, sigma);
        let mut u3 = vec![0.0; 3];
        for i in 0..3 {
            u3[i] = u[i] + 0.5 * h * k2[i];
        }
        let k3 = lorenz(&u3, sigma);
        let mut u4 = vec![0.0; 3];
        for i in 0..3 {
            u4[i] = u[i] + h * k3[i];
        }
        let k4 = lorenz(&u4, sigma);
        let mut next = vec![0.0; 3];
        for i in 0..3 {
            next[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        u = next;
    }
    let mut s = 0.0;
    for i in 0..3 {
        s += u[i] * u[i];
    }
    s
}

#[test]
fn a_vec_assigned_a_chain_that_reads_it() {
    let s = scalar!(rk4_chains, rk4_chains_jvp, rk4_chains_vjp);
    let p = [1.0, 1.5, 2.0, 10.0];
    prove(&s, &p, 80);
    let (mut ga, mut gb) = ([0.0; 4], [0.0; 4]);
    let va = rk4_chains_vjp(&p, &mut ga, 1.0);
    let vb = rk4_loops_vjp(&p, &mut gb, 1.0);
    assert_eq!(va.to_bits(), vb.to_bits());
    assert_eq!(ga.map(f64::to_bits), gb.map(f64::to_bits));
}
