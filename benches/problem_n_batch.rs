//! Problem N with batched windows (issue 14, item 2): throughput of the training step's work, the
//! losses and the summed hypergradient `sum_w dL_w/dtheta` (304,168 weights, K = 5 inner steps),
//! in windows per second on one thread, for batches of 1, 8 and 32 windows: batched (the network
//! applied to the `40 x B` matrix of the batch's gradients, one backward sweep for the batch)
//! against the per-window path (`Window::hypergradient` per window, summed in window order).
//! Goal: batched at least 4 x the per-window path at batch 32.
//!
//! The split: "ODE pieces only" runs the same batched driver with plain descent in place of the
//! network, so it is the inner costs' work alone (per window and step: the gradient through 200
//! RK4 steps and one forward-over-reverse Hessian-vector product), which no batching of the
//! network removes.
//!
//! Run: `cargo bench --bench problem_n_batch` (short settings: about a minute).

use tapeless_problems::n as problem_n;
use tapeless_problems::n_batch::Batch;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nalgebra::DMatrix;
use problem_n::*;
use std::hint::black_box;
use std::time::Duration;
use tapeless::hyper::{BatchAdjoints, BatchInputs, BatchUpdate, BatchWindow, UnrolledBatch};
use tapeless::nested::NoParameters;
use tapeless::UserError;

/// `X <- X - eta G` with no parameters: the batched driver's work without a network.
struct FixedDescent;
impl BatchUpdate for FixedDescent {
    type Unpacked = ();
    fn parameters(&self, _n: usize) -> usize {
        0
    }
    fn unpack(&self, _theta: &[f64]) {}
    fn step(
        &self,
        _: &(),
        at: BatchInputs<'_>,
        x: &mut DMatrix<f64>,
        _carry: &mut DMatrix<f64>,
    ) -> Result<(), UserError> {
        *x -= ETA * at.grad;
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        _at: BatchInputs<'_>,
        bar: BatchAdjoints<'_>,
    ) -> Result<(), UserError> {
        *bar.grad -= ETA * &*bar.x;
        Ok(())
    }
}

/// The per-window path: each window's hypergradient, summed in window order.
fn per_window(windows: &[Window], theta: &[f64]) -> (f64, Vec<f64>) {
    let mut loss = 0.0;
    let mut grad = vec![0.0; theta.len()];
    for w in windows {
        let r = w.hypergradient(theta).expect("finite");
        loss += r.loss;
        grad.iter_mut().zip(&r.theta).for_each(|(g, d)| *g += d);
    }
    (loss, grad)
}

fn bench(c: &mut Criterion) {
    let theta = initial_parameters(&layout(STATE));
    let windows = Window::many(0..32);
    let batch = Batch::new();
    let mut group = c.benchmark_group("problem N batched windows");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for b in [1, 8, 32] {
        let slice = &windows[..b];
        group.throughput(Throughput::Elements(b as u64));
        group.bench_with_input(BenchmarkId::new("per-window", b), slice, |bench, s| {
            bench.iter(|| per_window(s, black_box(&theta)))
        });
        group.bench_with_input(BenchmarkId::new("batched", b), slice, |bench, s| {
            bench.iter(|| batch.hypergradient(s, black_box(&theta)).expect("finite"))
        });
        group.bench_with_input(BenchmarkId::new("ODE pieces only", b), slice, |bench, s| {
            let costs: Vec<_> = s.iter().map(|w| NoParameters(InnerCost(&w.data))).collect();
            let outers: Vec<_> = s.iter().map(|w| OuterLoss(&w.truth)).collect();
            let batch: Vec<_> = (0..s.len())
                .map(|w| BatchWindow {
                    cost: &costs[w],
                    outer: &outers[w],
                    x0: &s[w].data.xb[..],
                    phi: &[][..],
                })
                .collect();
            let solver = UnrolledBatch::new(&FixedDescent, K);
            bench.iter(|| solver.reverse(black_box(&batch), &[]).expect("finite"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
