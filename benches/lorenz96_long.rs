//! Memory of the reverse sweep: the gradient of a loss of Lorenz-96 (n = 40) states over
//! 100,000 RK4 steps, storing every state against binomial checkpointing with 20 snapshots.
//!
//! Run: `cargo bench --bench lorenz96_long`. Prints the peak heap memory of one gradient under
//! each strategy (a counting allocator wraps the system one) and times them.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapeless::ode::{self, Memory, OdeProblem, SaveAt, SavedStateLoss, SolveOptions, Tableau};
use tapeless::{Real, UserError};
use tapeless_problems::l96::Lorenz96;

#[path = "support/peak_heap.rs"]
mod peak_heap;
use peak_heap::peak_bytes;

/// Half the squared norm of the final state.
struct FinalEnergy;
impl SavedStateLoss for FinalEnergy {
    fn value_and_gradient<S: Real>(
        &self,
        _k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        let mut e = S::zero();
        for i in 0..u.len() {
            e += S::from_f64(0.5) * u[i] * u[i];
            u_bar[i] += u[i];
        }
        Ok(e)
    }
}

const STEPS: usize = 100_000;
const H: f64 = 0.01;

fn gradient(memory: Memory, u0: &[f64]) -> Vec<f64> {
    let p = [8.0];
    let problem = OdeProblem::new(&Lorenz96, u0, &p, (0.0, STEPS as f64 * H));
    let options = SolveOptions::fixed(Tableau::rk4(), H)
        .saveat(SaveAt::Times(vec![STEPS as f64 * H]))
        .memory(memory);
    ode::gradient(&problem, &options, &FinalEnergy)
        .expect("valid problem")
        .u0_bar
}

fn bench(c: &mut Criterion) {
    let u0: Vec<f64> = (0..40)
        .map(|i| 8.0 + if i == 0 { 0.01 } else { 0.0 })
        .collect();
    for (name, memory) in [
        ("store all", Memory::StoreAll),
        ("binomial, 20 snapshots", Memory::Binomial { snapshots: 20 }),
    ] {
        println!(
            "peak heap of one gradient over {STEPS} steps, {name}: {} bytes",
            peak_bytes(|| gradient(memory, &u0))
        );
    }
    let mut group = c.benchmark_group("lorenz96, 100000 RK4 steps");
    group.sample_size(10);
    group.bench_function("primal", |b| {
        let p = [8.0];
        let problem = OdeProblem::new(&Lorenz96, &u0, &p, (0.0, STEPS as f64 * H));
        let options =
            SolveOptions::fixed(Tableau::rk4(), H).saveat(SaveAt::Times(vec![STEPS as f64 * H]));
        b.iter(|| ode::loss_value(&problem, &options, &FinalEnergy).expect("valid problem"))
    });
    group.bench_function("gradient, store all", |b| {
        b.iter(|| gradient(Memory::StoreAll, black_box(&u0)))
    });
    group.bench_function("gradient, binomial, 20 snapshots", |b| {
        b.iter(|| gradient(Memory::Binomial { snapshots: 20 }, black_box(&u0)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
