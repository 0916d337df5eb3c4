//! Problem L's hypergradients through K = 5 inner steps (eta = 1e-5), each timed against the
//! forward inner solve they differentiate (K gradient evaluations): dL/deta by forward mode over
//! the solve (method 1), dL/dtheta for the 40-parameter preconditioner by one backward sweep
//! (method 2) and by forward lanes (method 1, five passes of eight lanes).
//!
//! Run: `cargo bench --bench hyper`; report each time over "forward inner solve".

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapeless::hyper::{forward_eta, Preconditioned, Unrolled};
use tapeless::nested::NoParameters;

use tapeless_problems::l96 as problem;

use problem::*;

fn bench(c: &mut Criterion) {
    let d = data();
    let truth: Vec<f64> = d.truth.iter().flatten().copied().collect();
    let (inner, outer) = (InnerCost(&d), OuterLoss(&truth));
    let cost = NoParameters(InnerCost(&d));
    let (k, eta) = (5, 1e-5);
    let theta: Vec<f64> = (0..N).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let update = Preconditioned { eta };
    let solver = Unrolled::new(&cost, &update, k);
    let mut group = c.benchmark_group("hypergradients, problem L, K = 5");
    group.bench_function("forward inner solve", |b| {
        b.iter(|| solver.solve(black_box(&d.xb), &[], &theta).unwrap())
    });
    group.bench_function("dL/deta, method 1", |b| {
        b.iter(|| forward_eta(&inner, &outer, black_box(&d.xb), eta, k).unwrap())
    });
    group.bench_function("dL/dtheta (40), method 2", |b| {
        b.iter(|| {
            solver
                .reverse(&outer, black_box(&d.xb), &[], &theta)
                .unwrap()
        })
    });
    group.bench_function("dL/dtheta (40), method 1", |b| {
        b.iter(|| {
            solver
                .forward_gradient(&outer, black_box(&d.xb), &[], &theta)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
