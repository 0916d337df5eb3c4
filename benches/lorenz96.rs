//! Problem L (Lorenz-96 4D-Var, n = 40, 200 RK4 steps): the primal cost, the gradient that
//! `#[differentiable]` generates from the user's RK4 code, the runtime integrator's discrete
//! adjoint over the generated right-hand side, and a hand-written discrete adjoint.
//!
//! Run: `cargo bench --bench lorenz96`. Report ratios of times measured in one run: generated
//! gradient / primal, and generated gradient / hand-written gradient.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

use tapeless_problems::l96 as problem;

use problem::*;

fn bench(c: &mut Criterion) {
    let d = data();
    let mut group = c.benchmark_group("lorenz96 4D-Var");
    group.bench_function("primal J", |b| {
        b.iter(|| cost(black_box(&d.xb), &d.obs, &d.xb))
    });
    group.bench_function("gradient, generated", |b| {
        let mut g = vec![0.0; N];
        b.iter(|| {
            g.iter_mut().for_each(|v| *v = 0.0);
            cost_vjp(black_box(&d.xb[..]), &mut g, &d.obs, &d.xb, 1.0)
        })
    });
    group.bench_function("primal J, integrator", |b| {
        b.iter(|| cost_by_integrator(black_box(&d.xb), &d).unwrap())
    });
    group.bench_function("gradient, integrator, store all", |b| {
        b.iter(|| {
            cost_and_gradient_by_integrator(black_box(&d.xb), &d, tapeless::ode::Memory::StoreAll)
                .unwrap()
        })
    });
    group.bench_function("gradient, integrator, 20 snapshots", |b| {
        b.iter(|| {
            cost_and_gradient_by_integrator(
                black_box(&d.xb),
                &d,
                tapeless::ode::Memory::Binomial { snapshots: 20 },
            )
            .unwrap()
        })
    });
    group.bench_function("gradient, hand-written", |b| {
        let mut g = vec![0.0; N];
        b.iter(|| cost_and_gradient_by_hand(black_box(&d.xb), &d.obs, &d.xb, &mut g))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
