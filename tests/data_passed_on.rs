//! A function's data parameters (outside `wrt(..)`) passed on to other annotated functions: the
//! 4D-Var pattern `#[differentiable(wrt(x0))] fn cost(x0: &[f64], obs: &[f64], ..)` calling a
//! misfit, here callees that differentiate the data (all their reals, or a named pattern
//! `wrt(u, obs) as misfit_of_both`) and rows data to a callee that leaves them out of
//! `wrt(..)`; callees that leave real and slice data out of their `wrt(..)` are in
//! `tests/data_to_callee_wrt.rs`. A caller cannot see the callee's `wrt(..)`: it calls the
//! callee's companions with a tangent (adjoint) for every real, `f64`, `&[f64]` and `[f64; N]`
//! argument, and with none for an array of arrays passed as data. Each checked three ways
//! (central differences, the dot-product test, tangent against adjoint), and Hessian-vector
//! products at dual numbers against differences of gradients, with the user's locals named as
//! generated code would.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

const N: usize = 4;
const STEPS: usize = 3;

/// The misfit at step `k`; the caller's observations are data, so it calls the pattern that
/// differentiates them too (`misfit_of_both`), whose companions take them as the caller sends.
#[differentiable(wrt(u), wrt(u, obs) as misfit_of_both)]
fn misfit(u: &[f64], obs: &[f64], k: usize) -> f64 {
    let mut result = 0.0;
    for i in 0..u.len() {
        let x_bar = u[i] - obs[k * u.len() + i];
        result += x_bar * x_bar;
    }
    result
}

/// A real weight, received as a real of the scalar type.
#[differentiable]
fn weighted(u: &[f64], __adj0: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += __adj0 * u[i] * u[i];
    }
    s
}

/// A fixed-size background state.
#[differentiable]
fn background(u: &[f64], xb: [f64; N]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        let d = u[i] - xb[i];
        s += d * d;
    }
    s
}

/// Pairs `(weight, value)` kept as data by the callee too.
#[differentiable(wrt(u))]
fn pair_term(u: &[f64], pairs: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for k in 0..pairs.len() {
        let d = u[k] - pairs[k][1];
        s += pairs[k][0] * d * d;
    }
    s
}

/// The cost: `x0` moved by a nonlinear map, every kind of data passed on.
#[differentiable(wrt(x0))]
fn cost(x0: &[f64], obs: &[f64], weight: f64, xb: [f64; N], pairs: &[[f64; 2]]) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut x_bar = background(&u, xb);
    for k in 0..STEPS {
        for i in 0..n {
            u[i] = u[i] + 0.3 * (u[(i + 1) % n] * u[i]).sin();
        }
        let m = misfit_of_both(&u, obs, k);
        x_bar += m;
    }
    let result = weighted(&u, weight) + pair_term(&u, pairs);
    x_bar + result
}

struct Data {
    obs: Vec<f64>,
    weight: f64,
    xb: [f64; N],
    pairs: Vec<[f64; 2]>,
}

fn data(seed: u64) -> Data {
    let mut d = Draws::new(seed);
    let xb = d.vec(N);
    let w = d.vec(2 * N);
    Data {
        obs: d.vec(N * STEPS),
        weight: 0.5 + d.next().abs(),
        xb: [xb[0], xb[1], xb[2], xb[3]],
        pairs: (0..N)
            .map(|k| [1.0 + w[2 * k].abs(), w[2 * k + 1]])
            .collect(),
    }
}

fn hand_cost(x0: &[f64], d: &Data) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j: f64 = (0..n).map(|i| (u[i] - d.xb[i]).powi(2)).sum();
    for k in 0..STEPS {
        for i in 0..n {
            u[i] = u[i] + 0.3 * (u[(i + 1) % n] * u[i]).sin();
        }
        j += (0..n)
            .map(|i| (u[i] - d.obs[k * n + i]).powi(2))
            .sum::<f64>();
    }
    let w: f64 = u.iter().map(|v| d.weight * v * v).sum();
    let p: f64 = (0..n)
        .map(|k| d.pairs[k][0] * (u[k] - d.pairs[k][1]).powi(2))
        .sum();
    j + (w + p)
}

#[test]
fn the_cost_equals_a_hand_written_sum() {
    for seed in 1..4 {
        let (d, x0) = (data(seed), Draws::new(seed + 10).vec(N));
        let j = cost(&x0, &d.obs, d.weight, d.xb, &d.pairs);
        let h = hand_cost(&x0, &d);
        assert!((j - h).abs() <= 1e-13 * h.abs(), "{j} vs {h}");
    }
}

#[test]
fn data_passed_on_passes_three_checks() {
    for seed in 1..4 {
        let d = data(seed);
        let case = Case {
            name: "cost with data passed on",
            inputs: N,
            outputs: 1,
            f: &|x| vec![cost(x, &d.obs, d.weight, d.xb, &d.pairs)],
            jvp: &|x, t| {
                let (v, dv) = cost_jvp(x, t, &d.obs, d.weight, d.xb, &d.pairs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = cost_vjp(x, &mut g, &d.obs, d.weight, d.xb, &d.pairs, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(N), seed + 30);
    }
}

#[test]
fn hessian_vector_products_at_dual_numbers() {
    for seed in 1..4 {
        let d = data(seed);
        let x = Draws::new(seed + 40).vec(N);
        let gradient = |x: &[f64], g: &mut [f64]| {
            g.iter_mut().for_each(|v| *v = 0.0);
            cost_vjp(x, g, &d.obs, d.weight, d.xb, &d.pairs, 1.0);
        };
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
            let mut g = vec![Dual::constant(0.0); N];
            let w = Dual::constant(1.0);
            cost_vjp(&xd, &mut g, &d.obs, d.weight, d.xb, &d.pairs, w);
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(N), draws.vec(N));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{report:?}");
    }
}

/// The README's example: the data pattern for users, a second pattern for callers.
#[differentiable(wrt(u), wrt(u, obs) as readme_misfit_of_both)]
fn readme_misfit(u: &[f64], obs: &[f64]) -> f64 {
    u.iter().zip(obs).map(|(a, b)| (a - b) * (a - b)).sum()
}

#[differentiable(wrt(x0))]
fn readme_cost(x0: &[f64], obs: &[f64]) -> f64 {
    readme_misfit_of_both(x0, obs)
}

#[test]
fn the_readme_example() {
    let mut x0_bar = [0.0; 2];
    let j = readme_cost_vjp(&[1.0, 2.0], &mut x0_bar, &[0.5, 2.5], 1.0);
    assert_eq!((j, x0_bar), (0.5, [1.0, -1.0]));
    let mut u_bar = [0.0; 2];
    assert_eq!(
        readme_misfit_vjp(&[1.0, 2.0], &mut u_bar, &[0.5, 2.5], 1.0),
        j
    );
    assert_eq!(u_bar, x0_bar);
}
