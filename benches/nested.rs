//! Second derivatives against the gradient on a 40-dimensional smooth function with loops.
//!
//! Run: `cargo bench --bench nested`. Figures are ratios of times measured in one run:
//! Hessian-vector product / gradient (goal: at most 3) and eight directions at once / one
//! direction (goal: at most 3).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tapeless::{differentiable, Dual};

/// A Lorenz-96-shaped energy with a smooth nonlinearity: loops, modular indices, products.
#[differentiable]
fn energy(x: &[f64]) -> f64 {
    let n = x.len();
    let mut e = 0.0;
    for i in 0..n {
        let r = (x[(i + 1) % n] - x[(i + n - 2) % n]) * x[(i + n - 1) % n] - x[i] + 8.0;
        e += 0.5 * r * r + x[i].tanh() * x[i];
    }
    e
}

fn bench(c: &mut Criterion) {
    let n = 40;
    let x: Vec<f64> = (0..n).map(|i| (0.37 * i as f64).sin() * 3.0).collect();
    let mut group = c.benchmark_group("nested, n = 40");
    group.bench_function("value", |b| b.iter(|| energy(black_box(&x))));
    group.bench_function("gradient", |b| {
        let mut g = vec![0.0; n];
        b.iter(|| {
            g.iter_mut().for_each(|v| *v = 0.0);
            energy_vjp(black_box(&x[..]), &mut g, 1.0)
        })
    });
    group.bench_function("hessian-vector, 1 direction", |b| {
        let xd: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::new(v, [1.0])).collect();
        let mut g = vec![Dual::constant(0.0); n];
        b.iter(|| {
            g.iter_mut().for_each(|v| *v = Dual::constant(0.0));
            energy_vjp(black_box(&xd[..]), &mut g, Dual::constant(1.0))
        })
    });
    group.bench_function("hessian-vector, 8 directions", |b| {
        let xd: Vec<Dual<f64, 8>> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| Dual::new(v, core::array::from_fn(|k| ((i + k) % 3) as f64)))
            .collect();
        let mut g = vec![Dual::constant(0.0); n];
        b.iter(|| {
            g.iter_mut().for_each(|v| *v = Dual::constant(0.0));
            energy_vjp(black_box(&xd[..]), &mut g, Dual::constant(1.0))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
