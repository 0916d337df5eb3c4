//! Problem L quantities for the comparison with JAX and PyTorch (`benches/compare/`) that
//! `benches/lorenz96.rs` does not time: the Hessian-vector product H(xb) v by forward over
//! reverse, and the K = 5 hypergradients of the learned solver (dL/deta by forward mode over the
//! inner solve, dL/dtheta of the diagonal preconditioner by reverse mode through it).
//!
//! Run: `cargo bench --bench compare_l96`, or `benches/compare/run.sh` for the whole comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapeless::nested::Gradient;
use tapeless::Real;

#[path = "../examples/support/lorenz96_problem.rs"]
#[allow(dead_code)]
mod problem;

use problem::*;

/// J over the whole window, as the inner solver's objective.
struct InnerCost<'a>(&'a Data);
impl Gradient for InnerCost<'_> {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
        cost_window_vjp(x, g, &self.0.obs, &self.0.xb, STEPS, S::one())
    }
}

/// The outer loss: mean squared error of the trajectory against the truth.
struct OuterLoss<'a>(&'a [f64]);
impl Gradient for OuterLoss<'_> {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> S {
        trajectory_error_vjp(x, g, self.0, S::one())
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The values behind the timings, in the `value <name> = <17 digits>` lines that
/// `benches/compare/run.py` compares with JAX's and PyTorch's.
fn print_values(d: &Data, truth: &[f64], v: &[f64], theta: &[f64], eta: f64, k_inner: usize) {
    let mut g = vec![0.0; N];
    let j = cost_vjp(&d.xb, &mut g, &d.obs, &d.xb, 1.0);
    let hv = tapeless::nested::hvp(&InnerCost(d), &d.xb, v).unwrap();
    let (l, dl) =
        tapeless::hyper::forward_eta(&InnerCost(d), &OuterLoss(truth), &d.xb, eta, k_inner)
            .unwrap();
    let r = tapeless::hyper::reverse_unrolled(
        &InnerCost(d),
        &OuterLoss(truth),
        &d.xb,
        eta,
        theta,
        k_inner,
    )
    .unwrap();
    println!("value J = {j:.16e}");
    println!("value |grad J| = {:.16e}", norm(&g));
    println!("value |H v| = {:.16e}", norm(&hv.hessian_vector));
    println!("value L = {l:.16e}");
    println!("value dL/deta = {dl:.16e}");
    println!("value |dL/dtheta| = {:.16e}", norm(&r.theta));
}

fn bench(c: &mut Criterion) {
    let d = data();
    let truth: Vec<f64> = d.truth.iter().flatten().copied().collect();
    let v: Vec<f64> = (0..N).map(|i| (0.3 * i as f64).cos()).collect();
    let theta: Vec<f64> = (0..N).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let (k_inner, eta) = (5, 1e-5);
    print_values(&d, &truth, &v, &theta, eta, k_inner);
    let mut group = c.benchmark_group("compare, problem L");
    group.bench_function("hessian-vector", |b| {
        b.iter(|| tapeless::nested::hvp(&InnerCost(&d), black_box(&d.xb), &v).unwrap())
    });
    group.bench_function("dL/deta, forward", |b| {
        b.iter(|| {
            tapeless::hyper::forward_eta(
                &InnerCost(&d),
                &OuterLoss(&truth),
                black_box(&d.xb),
                eta,
                k_inner,
            )
            .unwrap()
        })
    });
    group.bench_function("dL/dtheta, reverse unrolled", |b| {
        b.iter(|| {
            tapeless::hyper::reverse_unrolled(
                &InnerCost(&d),
                &OuterLoss(&truth),
                black_box(&d.xb),
                eta,
                &theta,
                k_inner,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
