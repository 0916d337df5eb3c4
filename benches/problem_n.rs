//! Problem N: one hypergradient dL/dtheta of the learned solver (304,168 weights, K = 5 inner
//! steps, each with a full adjoint through 200 RK4 steps) against the forward learned inner
//! solve it differentiates. Goal: the ratio at most 5.
//!
//! Run: `cargo bench --bench problem_n`. Also prints the peak heap of one hypergradient (a
//! counting allocator wraps the system one) for K = 1, 5 and 10 inner steps: it grows by a few
//! state-sized vectors per inner step on top of one parameter-sized adjoint, where a tape of every
//! operation would grow by megabytes per inner step.

use tapeless_problems::n as problem_n;

use criterion::{criterion_group, criterion_main, Criterion};
use problem_n::*;
use std::hint::black_box;
use tapeless::hyper::Unrolled;
use tapeless::nested::NoParameters;

#[path = "support/peak_heap.rs"]
mod peak_heap;
use peak_heap::peak_bytes;

fn bench(c: &mut Criterion) {
    let layout = layout(STATE);
    let theta = initial_parameters(&layout);
    let window = Window::new(0);
    let cost = NoParameters(InnerCost(&window.data));
    let learned = Learned::new(ETA);
    let outer = OuterLoss(&window.truth);
    println!(
        "problem N: {} parameters (the adjoint dL/dtheta alone is {} bytes)",
        theta.len(),
        theta.len() * std::mem::size_of::<f64>()
    );
    for steps in [1, K, 2 * K] {
        let solver = Unrolled::new(&cost, &learned, steps);
        let hypergradient = peak_bytes(|| solver.reverse(&outer, &window.data.xb, &[], &theta));
        let solve = peak_bytes(|| solver.solve(&window.data.xb, &[], &theta));
        println!(
            "peak heap, K = {steps:2}: one hypergradient {hypergradient} bytes, the forward inner solve {solve} bytes"
        );
    }
    let mut group = c.benchmark_group("problem N");
    group.sample_size(20);
    group.bench_function("forward inner solve", |b| {
        b.iter(|| window.analysis(black_box(&theta)).expect("finite"))
    });
    group.bench_function("hypergradient", |b| {
        b.iter(|| window.hypergradient(black_box(&theta)).expect("finite"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
