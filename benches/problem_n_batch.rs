//! Problem N with batched windows (issue 14, item 2): throughput of the training step's work, the
//! losses and the summed hypergradient `sum_w dL_w/dtheta` (304,168 weights, K = 5 inner steps),
//! in windows per second on one thread, for batches of 1, 8 and 32 windows: batched (the network
//! applied to the `40 x B` matrix of the batch's gradients, one backward sweep for the batch)
//! against the per-window path (`Window::hypergradient` per window, summed in window order).
//! Goal: batched at least 4 x the per-window path at batch 32.
//!
//! Rows: "batched" is the whole batch batched (the network applied to the `40 x B` matrix, and
//! the inner costs, the gradient through 200 RK4 steps forwards and one forward-over-reverse
//! Hessian-vector product backwards per step, evaluated for the whole batch at once by
//! `l96_batch::Costs`, the states component-major); "network batched" batches the network only
//! (each window's inner costs by its own generated adjoint, the path before the inner costs were
//! batched). "ODE pieces only" and "ODE pieces only, batched" run the same batched driver with
//! plain descent in place of the network, the inner costs per window and batched: the inner
//! costs' work alone.
//!
//! Run: `cargo bench --bench problem_n_batch` (short settings: about a minute).
//!
//! Instruction counts (stable under load, unlike times): `count <mode> <B> [repeats]` runs one
//! path on the first `B` windows `repeats` times (default 1) and prints a checksum, for
//! callgrind:
//!
//! ```text
//! cargo bench --bench problem_n_batch --no-run
//! valgrind --tool=callgrind target/release/deps/problem_n_batch-<hash> count batched 32
//! ```
//!
//! Modes: `per-window`, `batched`, `network-batched`, `ode`, `ode-batched`, `solver-epoch` and
//! `solver-epoch-batched` (one epoch of the learned solver's training over the `B` windows in
//! batches of 8, per window or batched), and `none` (the setup alone, to subtract).

use tapeless_problems::n as problem_n;
use tapeless_problems::n_batch::Batch;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use nalgebra::DMatrix;
use problem_n::*;
use std::hint::black_box;
use std::time::Duration;
use tapeless::hyper::{
    BatchAdjoints, BatchHypergradient, BatchInputs, BatchUpdate, BatchWindow, UnrolledBatch,
};
use tapeless::nested::NoParameters;
use tapeless::UserError;
use tapeless_problems::l96_batch::{Costs, Losses};

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

/// The batched driver with plain descent, the inner costs per window.
fn ode_pieces(s: &[Window]) -> BatchHypergradient {
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
    UnrolledBatch::new(&FixedDescent, K)
        .reverse(black_box(&batch), &[])
        .expect("finite")
}

/// The batched driver with plain descent, the inner costs and the outer losses batched.
fn ode_pieces_batched(s: &[Window]) -> BatchHypergradient {
    let data: Vec<_> = s.iter().map(|w| &w.data).collect();
    let truths: Vec<_> = s.iter().map(|w| &w.truth[..]).collect();
    let x0: Vec<_> = data.iter().map(|d| &d.xb[..]).collect();
    let (costs, losses) = (Costs::new(&data), Losses::new(&truths));
    UnrolledBatch::new(&FixedDescent, K)
        .reverse_batched(&costs, &losses, black_box(&x0), &[])
        .expect("finite")
}

/// One epoch of the learned solver's training over windows `0..b` in batches of 8 (augmented,
/// no clipping), per window (`solver-epoch`) or batched (`solver-epoch-batched`); returns one
/// weight.
fn solver_epoch(mode: &str, b: usize) -> f64 {
    use tapeless::parallel::Serial;
    use tapeless_problems::solver::{self, Training};
    let train = solver::Window::many(0..b);
    let plan = Training {
        batch: 8,
        epochs: 30,
        learning_rate: 1e-3,
        clip: f64::INFINITY,
        augment: true,
    };
    let mut run = plan.start(solver::initial_parameters(&solver::layout(STATE), 7), 3);
    if mode == "solver-epoch" {
        plan.epoch(&Serial, &train, &mut run, |_, _| {})
    } else {
        plan.epoch_batched(&train, &mut run, |_, _| {})
    }
    .expect("finite");
    run.state.params[1000]
}

/// `count <mode> <B> [repeats]`: one path, for instruction counts.
fn count(args: &[String]) {
    let mode = args.first().map_or("batched", String::as_str);
    let b: usize = args.get(1).map_or(32, |s| s.parse().expect("a batch size"));
    let repeats: usize = args
        .get(2)
        .map_or(1, |s| s.parse().expect("a number of repeats"));
    let theta = initial_parameters(&layout(STATE));
    let windows: Vec<Window> = (0..b).map(Window::new).collect();
    let batch = Batch::new();
    let start = std::time::Instant::now();
    let mut checksum = 0.0;
    for _ in 0..repeats {
        let theta = black_box(&theta);
        checksum += match mode {
            "per-window" => per_window(&windows, theta).1[1000],
            "batched" => batch.hypergradient(&windows, theta).expect("finite").theta[1000],
            "network-batched" => {
                let r = batch.hypergradient_per_window_costs(&windows, theta);
                r.expect("finite").theta[1000]
            }
            "ode" => ode_pieces(&windows).losses[0],
            "ode-batched" => ode_pieces_batched(&windows).losses[0],
            "solver-epoch" | "solver-epoch-batched" => solver_epoch(mode, b),
            "none" => 0.0,
            other => panic!("unknown mode {other}"),
        };
    }
    let per = start.elapsed().as_secs_f64() / (repeats * b) as f64;
    eprintln!(
        "{mode} B = {b}: {:.3} ms per window (checksum {checksum:e})",
        per * 1e3
    );
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
        group.bench_with_input(BenchmarkId::new("network batched", b), slice, |bench, s| {
            bench.iter(|| {
                batch
                    .hypergradient_per_window_costs(s, black_box(&theta))
                    .expect("finite")
            })
        });
        group.bench_with_input(BenchmarkId::new("ODE pieces only", b), slice, |bench, s| {
            bench.iter(|| ode_pieces(s))
        });
        group.bench_with_input(
            BenchmarkId::new("ODE pieces only, batched", b),
            slice,
            |bench, s| bench.iter(|| ode_pieces_batched(s)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    // `cargo bench` passes `--bench`; `count` selects the instruction-count mode.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.first().map(String::as_str) == Some("count") {
        count(&args[1..]);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
