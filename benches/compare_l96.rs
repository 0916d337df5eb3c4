//! For the comparison with JAX and PyTorch (`benches/compare/`): the one problem-L quantity the
//! other benches do not time, the Hessian-vector product H(xb) v by forward over the generated
//! adjoint; and, before it, the values of problems L and N behind every timed row, which
//! `benches/compare/run.py` checks the Python versions against.
//!
//! Run: `cargo bench --bench compare_l96`, or `python3 benches/compare/run.py` for the whole
//! comparison.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapeless::hyper::{forward_eta, Preconditioned, Unrolled};
use tapeless::nested::NoParameters;

use tapeless_problems::{l96, n as problem_n};

use l96::*;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The values behind the timed rows, as `value <name> = <17 digits>` lines (the names of the
/// Python scripts' report).
fn print_values(d: &Data, truth: &[f64], v: &[f64]) {
    let (k, eta) = (5, 1e-5);
    let mut g = vec![0.0; N];
    let j = cost_vjp(&d.xb, &mut g, &d.obs, &d.xb, 1.0);
    let hv = tapeless::nested::hvp(&InnerCost(d), &d.xb, v).unwrap();
    let (l, dl) = forward_eta(&InnerCost(d), &OuterLoss(truth), &d.xb, eta, k).unwrap();
    let theta: Vec<f64> = (0..N).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let cost = NoParameters(InnerCost(d));
    let preconditioned = Preconditioned { eta };
    let r = Unrolled::new(&cost, &preconditioned, k)
        .reverse(&OuterLoss(truth), &d.xb, &[], &theta)
        .unwrap();
    println!("value J = {j:.16e}");
    println!("value |grad J| = {:.16e}", norm(&g));
    println!("value |H v| = {:.16e}", norm(&hv.hessian_vector));
    println!("value L = {l:.16e}");
    println!("value dL/deta = {dl:.16e}");
    println!("value |dL/dtheta| = {:.16e}", norm(&r.theta));

    let layout = problem_n::layout(problem_n::STATE);
    let window = problem_n::Window::new(0);
    let r = window
        .hypergradient(&problem_n::initial_parameters(&layout))
        .unwrap();
    println!("value N: L = {:.16e}", r.loss);
    println!("value N: |dL/dtheta| = {:.16e}", norm(&r.theta));
    for (layer, name) in problem_n::WEIGHTS.iter().enumerate() {
        let first: Vec<String> = layout.view(&r.theta, name).unwrap()[..5]
            .iter()
            .map(|x| format!("{x:.16e}"))
            .collect();
        println!(
            "value N: dL/dW{} first 5 = [{}]",
            layer + 1,
            first.join(", ")
        );
    }
}

fn bench(c: &mut Criterion) {
    let d = data();
    let truth: Vec<f64> = d.truth.iter().flatten().copied().collect();
    let v: Vec<f64> = (0..N).map(|i| (0.3 * i as f64).cos()).collect();
    print_values(&d, &truth, &v);
    let mut group = c.benchmark_group("compare, problem L");
    group.bench_function("hessian-vector", |b| {
        b.iter(|| tapeless::nested::hvp(&InnerCost(&d), black_box(&d.xb), &v).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
