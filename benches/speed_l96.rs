//! Problem L (Lorenz-96 4D-Var, n = 40, 200 RK4 steps), every way this repository computes J,
//! its gradient, its tangent `J' v` and its Hessian-vector product `H v` (the adjoint at
//! `Dual<f64, 1>`), in one criterion group so every ratio comes from one run (issue 13):
//!
//! - `fast hand-written`: fixed-size `[f64; 40]`, boundaries split off, gather-form discrete
//!   adjoint (`problems/src/l96_fast.rs`), the reference for speed;
//! - `project hand-written`: the project's hand-written adjoint (slices, `%`;
//!   `l96::cost_and_gradient_by_hand`);
//! - `ode`: `ode::gradient` / `ode::tangent` / `ode::loss_value`, RK4 storing every state, with
//!   the generated right-hand side `l96::Lorenz96`; `ode fixed`: the same through
//!   `ode::gradient_fixed::<40>` / `ode::tangent_fixed::<40>` (the state's length a constant);
//!   `ode fixed, wrt x0`: the same gradient with respect to the initial state only
//!   (`Wrt::InitialState`: `dJ/dF` not computed, as the fast reference does not compute it);
//! - `user loop`: the user's RK4 loop through `#[differentiable]` (`l96::cost_window`);
//! - `speed style`: the same problem written for speed (`[f64; 40]` by value, split boundaries)
//!   through `#[differentiable]` (`l96_fast::cost`);
//! - `ode fixed, hand rhs`: `ode::gradient_fixed::<40>` with the right-hand side's adjoint
//!   written by hand in gather form ([`HandLorenz96`]): the integrator's own cost, for
//!   attributing the gap of `ode fixed` between the integrator and the generated `vjp`.
//!
//! Run: `cargo bench --bench speed_l96` (about two and a half minutes). Before timing, every row's J is
//! checked against the fast reference's (and the gradients to 1e-10 relative), so the ratios
//! compare the same numbers.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

use tapeless::ode::{self, Memory, OdeProblem, Wrt};
use tapeless::Dual;
use tapeless_problems::{l96, l96_fast};

use l96::{Lorenz96, FORCING, H, N, STEPS};
use tapeless::ode::{Rhs, RhsVjp};
use tapeless::Real;

/// Lorenz-96 with `N` components and its adjoint written by hand, boundaries peeled off, the
/// adjoint in gather form (as `l96_fast::rhs_adjoint`, plus the forcing's adjoint): not what
/// the macro generates, but what the integrator would be fed by an ideal one. Same primal
/// expression as `l96::lorenz96`, so the same states bit for bit.
struct HandLorenz96;

impl Rhs for HandLorenz96 {
    #[inline]
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        let (du, u): (&mut [S; N], &[S; N]) = (du.try_into().unwrap(), u.try_into().unwrap());
        let f = p[0];
        let at = |i: usize| (u[(i + 1) % N] - u[(i + N - 2) % N]) * u[(i + N - 1) % N] - u[i] + f;
        du[0] = at(0);
        du[1] = at(1);
        for i in 2..N - 1 {
            du[i] = (u[i + 1] - u[i - 2]) * u[i - 1] - u[i] + f;
        }
        du[N - 1] = at(N - 1);
    }
}

impl RhsVjp for HandLorenz96 {
    #[inline]
    fn vjp<S: Real>(
        &self,
        (_du, r): (&mut [S], &mut [S]),
        (x, x_bar): (&[S], &mut [S]),
        (_p, p_bar): (&[S], &mut [S]),
        _t: S,
    ) {
        let (r, x, x_bar): (&mut [S; N], &[S; N], &mut [S; N]) = (
            r.try_into().unwrap(),
            x.try_into().unwrap(),
            x_bar.try_into().unwrap(),
        );
        let at = |j: usize| {
            let (m2, m1, p1, p2) = ((j + N - 2) % N, (j + N - 1) % N, (j + 1) % N, (j + 2) % N);
            r[p1] * (x[p2] - x[m1]) + r[m1] * x[m2] - r[p2] * x[p1] - r[j]
        };
        x_bar[0] += at(0);
        x_bar[1] += at(1);
        for j in 2..N - 2 {
            x_bar[j] +=
                r[j + 1] * (x[j + 2] - x[j - 1]) + r[j - 1] * x[j - 2] - r[j + 2] * x[j + 1] - r[j];
        }
        x_bar[N - 2] += at(N - 2);
        x_bar[N - 1] += at(N - 1);
        p_bar[0] += r.iter().fold(S::zero(), |s, &ri| s + ri);
        r.fill(S::zero());
    }
}

type D1 = Dual<f64, 1>;

/// The evaluation point: the background, and a fixed direction for tangents and `H v`.
struct Point {
    d: l96::Data,
    x: [f64; N],
    xb: [f64; N],
    v: [f64; N],
}

fn point() -> Point {
    let d = l96::data();
    let x: [f64; N] = d.xb.as_slice().try_into().unwrap();
    let v = std::array::from_fn(|i| (0.3 * i as f64).cos());
    Point { x, xb: x, v, d }
}

fn max_relative(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// Every row computes the same J and gradient before any is timed.
fn check_rows(pt: &Point) {
    let Point { d, x, xb, .. } = pt;
    let mut reference = [0.0; N];
    let j = l96_fast::cost_and_gradient(x, &d.obs, xb, &mut reference, &mut Vec::new());
    let mut grads: Vec<(&str, f64, Vec<f64>)> = Vec::new();
    let mut g = vec![0.0; N];
    let jh = l96::cost_and_gradient_by_hand(x, &d.obs, xb, &mut g);
    grads.push(("project hand-written", jh, g.clone()));
    let (jo, go) = l96::cost_and_gradient_by_integrator(x, d, Memory::StoreAll).unwrap();
    grads.push(("ode", jo, go));
    let problem = OdeProblem::new(&Lorenz96, &x[..], &[FORCING], (0.0, STEPS as f64 * H));
    let options = l96::options(Memory::StoreAll);
    let gf = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &l96::four_dvar_cost(d));
    let gf = gf.unwrap();
    grads.push(("ode fixed", gf.value, gf.u0_bar));
    let state = options.clone().wrt(Wrt::InitialState);
    let gs = ode::gradient_fixed::<N, _, _, _>(&problem, &state, &l96::four_dvar_cost(d));
    let gs = gs.unwrap();
    grads.push(("ode fixed, wrt x0", gs.value, gs.u0_bar));
    let problem = OdeProblem::new(&HandLorenz96, &x[..], &[FORCING], (0.0, STEPS as f64 * H));
    let gh = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &l96::four_dvar_cost(d));
    let gh = gh.unwrap();
    grads.push(("ode fixed, hand rhs", gh.value, gh.u0_bar));
    g.fill(0.0);
    let ju = l96::cost_vjp(x, &mut g, &d.obs, xb, 1.0);
    grads.push(("user loop", ju, g.clone()));
    let mut gs = [0.0; N];
    let js = l96_fast::cost_vjp(*x, &mut gs, &d.obs, xb, 1.0);
    grads.push(("speed style", js, gs.to_vec()));
    for (name, jr, gr) in grads {
        let (ej, eg) = (((jr - j) / j).abs(), max_relative(&gr, &reference));
        println!("{name}: J relative {ej:.1e}, gradient relative {eg:.1e} to the fast reference");
        assert!(
            ej < 1e-13 && eg < 1e-10,
            "{name} computes another J or gradient"
        );
    }
}

fn bench(c: &mut Criterion) {
    let pt = point();
    check_rows(&pt);
    let Point { d, x, xb, v } = &pt;
    let obs = &d.obs[..];
    let p = [FORCING];
    let p_d = [D1::constant(FORCING)];
    let x_d: [D1; N] = std::array::from_fn(|i| D1::new(x[i], [v[i]]));
    let cost = l96::four_dvar_cost(d);
    let options = l96::options(Memory::StoreAll);
    let state_only = options.clone().wrt(Wrt::InitialState);
    let span = (0.0, STEPS as f64 * H);

    let mut group = c.benchmark_group("speed, problem L");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    // The reference for speed.
    group.bench_function("fast hand-written: J", |b| {
        b.iter(|| l96_fast::cost_by_hand(black_box(x), obs, xb))
    });
    group.bench_function("fast hand-written: gradient", |b| {
        let (mut g, mut states) = ([0.0; N], Vec::new());
        b.iter(|| l96_fast::cost_and_gradient(black_box(x), obs, xb, &mut g, &mut states))
    });

    group.bench_function("project hand-written: gradient", |b| {
        let mut g = vec![0.0; N];
        b.iter(|| l96::cost_and_gradient_by_hand(black_box(x), obs, xb, &mut g))
    });

    // ode, RK4 storing every state, generated right-hand side.
    group.bench_function("ode: J", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::loss_value(&problem, &options, &cost).unwrap()
        })
    });
    group.bench_function("ode: gradient", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::gradient(&problem, &options, &cost).unwrap()
        })
    });
    group.bench_function("ode: tangent", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::tangent(&problem, &options, &cost, v, &[0.0]).unwrap()
        })
    });
    group.bench_function("ode: hvp", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x_d[..]), &p_d, span);
            ode::gradient(&problem, &options, &cost).unwrap()
        })
    });

    group.bench_function("ode fixed: gradient", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap()
        })
    });
    group.bench_function("ode fixed: tangent", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::tangent_fixed::<N, _, _, _>(&problem, &options, &cost, v, &[0.0]).unwrap()
        })
    });
    group.bench_function("ode fixed: hvp", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x_d[..]), &p_d, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap()
        })
    });

    // Without the forcing's adjoint, which the fast reference does not compute.
    group.bench_function("ode fixed, wrt x0: gradient", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x[..]), &p, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &state_only, &cost).unwrap()
        })
    });
    group.bench_function("ode fixed, wrt x0: hvp", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&Lorenz96, black_box(&x_d[..]), &p_d, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &state_only, &cost).unwrap()
        })
    });

    // The integrator alone: a hand-written gather-form right-hand side.
    group.bench_function("ode fixed, hand rhs: gradient", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&HandLorenz96, black_box(&x[..]), &p, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap()
        })
    });
    group.bench_function("ode fixed, hand rhs: hvp", |b| {
        b.iter(|| {
            let problem = OdeProblem::new(&HandLorenz96, black_box(&x_d[..]), &p_d, span);
            ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap()
        })
    });

    // The user's RK4 loop through #[differentiable].
    group.bench_function("user loop: J", |b| {
        b.iter(|| l96::cost(black_box(x), obs, xb))
    });
    group.bench_function("user loop: gradient", |b| {
        let mut g = vec![0.0; N];
        b.iter(|| {
            g.fill(0.0);
            l96::cost_vjp(black_box(x), &mut g, obs, xb, 1.0)
        })
    });
    group.bench_function("user loop: tangent", |b| {
        b.iter(|| l96::cost_window_jvp(black_box(x), v, obs, xb, STEPS))
    });
    group.bench_function("user loop: hvp", |b| {
        let mut g = vec![D1::constant(0.0); N];
        b.iter(|| {
            g.fill(D1::constant(0.0));
            l96::cost_window_vjp(black_box(&x_d), &mut g, obs, xb, STEPS, D1::constant(1.0))
        })
    });

    // The same problem written for speed, through #[differentiable].
    group.bench_function("speed style: J", |b| {
        b.iter(|| l96_fast::cost(black_box(*x), obs, xb))
    });
    group.bench_function("speed style: gradient", |b| {
        let mut g = [0.0; N];
        b.iter(|| {
            g = [0.0; N];
            l96_fast::cost_vjp(black_box(*x), &mut g, obs, xb, 1.0)
        })
    });
    group.bench_function("speed style: tangent", |b| {
        b.iter(|| l96_fast::cost_jvp(black_box(*x), *v, obs, xb))
    });
    group.bench_function("speed style: hvp", |b| {
        let mut g = [D1::constant(0.0); N];
        b.iter(|| {
            g = [D1::constant(0.0); N];
            l96_fast::cost_vjp(black_box(x_d), &mut g, obs, xb, D1::constant(1.0))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
