//! A dense network 40 -> 512 (tanh) -> 512 (tanh) -> 40 written with nalgebra inside
//! `#[differentiable]`: the cost, its gradient (adjoint) and a Hessian-vector product (the
//! adjoint at dual numbers), against each other.
//!
//! Run: `cargo bench --bench mlp`. Figures are ratios of times measured in one run: gradient /
//! cost (goal: a small factor) and Hessian-vector product / gradient (goal: at most 3); and the
//! kernels behind them: a 512 x 512 matrix-vector product (`gemv`), its adjoints' rank-one update
//! (`ger`) and transposed product (`gemv_tr`), at `f64` and at `Dual<f64, 1>` (run
//! `-- kernels` for these only).

use criterion::{criterion_group, criterion_main, Criterion};
use nalgebra::{DMatrix, DVector};
use std::hint::black_box;
use tapeless::{differentiable, Dual, Real};

/// The network's squared misfit to a target.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
fn cost(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    x: &DVector<f64>,
    target: &DVector<f64>,
) -> f64 {
    let h1 = (w1 * x + b1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    let y = w3 * &h2 + b3;
    0.5 * (y - target).norm_squared()
}

/// Weights, biases, input and target at scalar type `S`, and zeroed adjoints of the same shapes.
struct Net<S: Real> {
    w: [DMatrix<S>; 3],
    b: [DVector<S>; 3],
    x: DVector<S>,
    t: DVector<S>,
}

impl<S: Real> Net<S> {
    fn new(lift: impl Fn(f64, f64) -> S) -> Self {
        let sizes = [(512, 40), (512, 512), (40, 512)];
        let mut k = 0.0_f64;
        let mut next = |scale: f64| {
            k += 1.0;
            let v = scale * (0.7 * k).sin();
            lift(v, (1.3 * k).cos())
        };
        let w = sizes.map(|(r, c)| {
            let s = 1.0 / (c as f64).sqrt();
            DMatrix::from_fn(r, c, |_, _| next(s))
        });
        let b = sizes.map(|(r, _)| DVector::from_fn(r, |_, _| next(0.1)));
        let x = DVector::from_fn(40, |_, _| next(1.0));
        let t = DVector::from_fn(40, |i, _| lift((0.3 * i as f64).sin(), 0.0));
        Net { w, b, x, t }
    }

    fn zeros(&self) -> Self {
        let z = |m: &DMatrix<S>| m.map(|_| S::zero());
        let zv = |m: &DVector<S>| m.map(|_| S::zero());
        Net {
            w: [z(&self.w[0]), z(&self.w[1]), z(&self.w[2])],
            b: [zv(&self.b[0]), zv(&self.b[1]), zv(&self.b[2])],
            x: zv(&self.x),
            t: zv(&self.t),
        }
    }

    fn gradient(&self, bar: &mut Self) -> S {
        let [w1, w2, w3] = &self.w;
        let [b1, b2, b3] = &self.b;
        let [w1b, w2b, w3b] = &mut bar.w;
        let [b1b, b2b, b3b] = &mut bar.b;
        cost_vjp(
            w1,
            w1b,
            b1,
            b1b,
            w2,
            w2b,
            b2,
            b2b,
            w3,
            w3b,
            b3,
            b3b,
            &self.x,
            &mut bar.x,
            &self.t,
            &mut bar.t,
            S::one(),
        )
    }
}

fn bench(c: &mut Criterion) {
    let net = Net::<f64>::new(|v, _| v);
    let dual = Net::<Dual<f64, 1>>::new(|v, d| Dual::new(v, [d]));
    let mut group = c.benchmark_group("mlp 40-512-512-40");
    group.bench_function("cost", |b| {
        let [w1, w2, w3] = &net.w;
        let [b1, b2, b3] = &net.b;
        b.iter(|| cost(black_box(w1), b1, w2, b2, w3, b3, &net.x, &net.t))
    });
    group.bench_function("gradient", |b| {
        let mut bar = net.zeros();
        b.iter(|| black_box(&net).gradient(&mut bar))
    });
    group.bench_function("hessian-vector", |b| {
        let mut bar = dual.zeros();
        b.iter(|| black_box(&dual).gradient(&mut bar))
    });
    group.finish();
    // The kernels behind the ratios, as generated code calls them: nalgebra's at `f64`, plain
    // loops at `Dual<f64, 1>` (`Real::PLAIN_KERNELS`).
    let mut g2 = c.benchmark_group("kernels 512");
    let a = DMatrix::from_fn(512, 512, |i, j| ((i * 7 + j) as f64).sin());
    let x = DVector::from_fn(512, |i, _| (i as f64).cos());
    let ad = a.map(|v| Dual::<f64, 1>::new(v, [v * 0.5]));
    let xd = x.map(|v| Dual::<f64, 1>::new(v, [v * 0.3]));
    g2.bench_function("gemv f64", |b| {
        b.iter(|| tapeless::linalg::mul(black_box(&a), &x))
    });
    g2.bench_function("gemv dual", |b| {
        b.iter(|| tapeless::linalg::mul(black_box(&ad), &xd))
    });
    g2.bench_function("ger f64", |b| {
        let mut m = a.clone();
        b.iter(|| tapeless::linalg::mul_adjoint_lhs_acc(&mut m, &x, black_box(&x), 1.0))
    });
    g2.bench_function("ger dual", |b| {
        let mut m = ad.clone();
        b.iter(|| {
            tapeless::linalg::mul_adjoint_lhs_acc(&mut m, &xd, black_box(&xd), Dual::constant(1.0))
        })
    });
    g2.bench_function("gemv_tr f64", |b| {
        let mut y = x.clone();
        b.iter(|| tapeless::linalg::mul_adjoint_rhs_acc(&mut y, black_box(&a), &x, 1.0))
    });
    g2.bench_function("gemv_tr dual", |b| {
        let mut y = xd.clone();
        b.iter(|| {
            tapeless::linalg::mul_adjoint_rhs_acc(&mut y, black_box(&ad), &xd, Dual::constant(1.0))
        })
    });
    g2.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
