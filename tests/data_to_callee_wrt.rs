//! Data passed on to a callee that leaves it outside its own `wrt(..)`: the 4D-Var pattern as
//! users write it, `#[differentiable(wrt(u))] fn misfit(u: &[f64], obs: &[f64])` called by
//! `#[differentiable(wrt(x0))] fn cost(x0: &[f64], obs: &[f64])` as `misfit(&x, obs)`. A caller
//! cannot see its callee's `wrt(..)`: it sends every real argument at its scalar type with a
//! tangent (adjoint), and the callee's path companions take a data parameter that way, reading
//! its `f64` value; an argument active in the caller is refused there at compile time
//! (`tests/ui/active-argument-to-data-parameter.rs`). Data of every shape (`f64`, `&[f64]`,
//! sub-slices `&obs[k * n..]`, a caller's `[f64; N]` passed as `&xb`, `&Vec<f64>`,
//! `&[[f64; 2]]`, and an inactive local at the caller's scalar; also to a callee that differentiates the
//! parameter), from a time loop, from a `macro_rules!` caller and with locals named
//! as generated code would, each checked three ways (central differences, the dot-product test,
//! tangent against adjoint) and by Hessian-vector products at dual numbers against differences
//! of gradients.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

const N: usize = 4;
const STEPS: usize = 3;

/// The misfit at one time: the observations are data.
#[differentiable(wrt(u))]
fn misfit(u: &[f64], obs: &[f64]) -> f64 {
    let mut result = 0.0;
    for i in 0..u.len() {
        let x_bar = u[i] - obs[i];
        result += x_bar * x_bar;
    }
    result
}

/// A real weight outside `wrt(..)`, named as a generated adjoint once was.
#[differentiable(wrt(u))]
fn weighted(u: &[f64], __adj0: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += __adj0 * u[i] * u[i];
    }
    s
}

/// A background state outside `wrt(..)`, given a fixed-size array by its caller.
#[differentiable(wrt(u))]
fn background(u: &[f64], xb: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        let d = u[i] - xb[i];
        s += d * d;
    }
    s
}

/// Weights in a `&Vec<f64>` outside `wrt(..)`.
#[allow(clippy::ptr_arg)] // `&Vec<f64>` parameters are part of what is tested
#[differentiable(wrt(u))]
fn vec_term(u: &[f64], w: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += w[i] * u[i].sin();
    }
    s
}

/// Pairs `(weight, value)` outside `wrt(..)`.
#[differentiable(wrt(u))]
fn pair_term(u: &[f64], pairs: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for k in 0..pairs.len() {
        let d = u[k] - pairs[k][1];
        s += pairs[k][0] * d * d;
    }
    s
}

/// The cost: `x0` moved by a nonlinear map, every kind of data passed on to callees that keep
/// it out of their `wrt(..)`.
#[differentiable(wrt(x0))]
fn cost(
    x0: &[f64],
    obs: &[f64],
    weight: f64,
    xb: [f64; N],
    w: &Vec<f64>,
    pairs: &[[f64; 2]],
) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = background(&u, &xb);
    for k in 0..STEPS {
        for i in 0..n {
            u[i] = u[i] + 0.3 * (u[(i + 1) % n] * u[i]).sin();
        }
        j += misfit(&u, &obs[k * n..]);
    }
    // Data at the caller's scalar: an inactive local array and an inactive real.
    let mut half = [0.0; N];
    for i in 0..N {
        half[i] = 0.5 * xb[i];
    }
    let result = 2.0 * weight;
    j + background(&u, &half) + weighted(&u, result) + vec_term(&u, w) + pair_term(&u, pairs)
}

struct Data {
    obs: Vec<f64>,
    weight: f64,
    xb: [f64; N],
    w: Vec<f64>,
    pairs: Vec<[f64; 2]>,
}

fn data(seed: u64) -> Data {
    let mut d = Draws::new(seed);
    let xb = d.vec(N);
    let p = d.vec(2 * N);
    Data {
        obs: d.vec(N * STEPS),
        weight: 0.5 + d.next().abs(),
        xb: [xb[0], xb[1], xb[2], xb[3]],
        w: d.vec(N),
        pairs: (0..N)
            .map(|k| [1.0 + p[2 * k].abs(), p[2 * k + 1]])
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
    let half: f64 = (0..n).map(|i| (u[i] - 0.5 * d.xb[i]).powi(2)).sum();
    let weighted: f64 = u.iter().map(|v| 2.0 * d.weight * v * v).sum();
    let vec_term: f64 = (0..n).map(|i| d.w[i] * u[i].sin()).sum();
    let pairs: f64 = (0..n)
        .map(|k| d.pairs[k][0] * (u[k] - d.pairs[k][1]).powi(2))
        .sum();
    j + half + weighted + vec_term + pairs
}

fn value(x: &[f64], d: &Data) -> f64 {
    cost(x, &d.obs, d.weight, d.xb, &d.w, &d.pairs)
}

fn gradient(x: &[f64], g: &mut [f64], d: &Data) -> f64 {
    g.iter_mut().for_each(|v| *v = 0.0);
    cost_vjp(x, g, &d.obs, d.weight, d.xb, &d.w, &d.pairs, 1.0)
}

#[test]
fn the_cost_equals_a_hand_written_sum() {
    for seed in 1..4 {
        let (d, x0) = (data(seed), Draws::new(seed + 10).vec(N));
        let (j, h) = (value(&x0, &d), hand_cost(&x0, &d));
        assert!((j - h).abs() <= 1e-13 * h.abs(), "{j} vs {h}");
        let mut g = vec![0.0; N];
        assert_eq!(gradient(&x0, &mut g, &d), j);
        let (jt, _) = cost_jvp(&x0, &g, &d.obs, d.weight, d.xb, &d.w, &d.pairs);
        assert_eq!(jt, j);
    }
}

#[test]
fn data_kept_out_of_the_callees_wrt_passes_three_checks() {
    for seed in 1..4 {
        let d = data(seed);
        let case = Case {
            name: "cost passing data to callees outside their wrt",
            inputs: N,
            outputs: 1,
            f: &|x| vec![value(x, &d)],
            jvp: &|x, t| {
                let (v, dv) = cost_jvp(x, t, &d.obs, d.weight, d.xb, &d.w, &d.pairs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = cost_vjp(x, &mut g, &d.obs, d.weight, d.xb, &d.w, &d.pairs, w[0]);
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
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
            let mut g = vec![Dual::constant(0.0); N];
            let w = Dual::constant(1.0);
            cost_vjp(&xd, &mut g, &d.obs, d.weight, d.xb, &d.w, &d.pairs, w);
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(N), draws.vec(N));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(
            |x: &[f64], g: &mut [f64]| {
                gradient(x, g, &d);
            },
            &x,
            &u,
            &hu,
            &w,
            &hw,
            1e-5,
        )
        .expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{report:?}");
    }
}

/// The README's example: the callee keeps its data pattern, the caller calls it by its name.
#[differentiable(wrt(u))]
fn readme_misfit(u: &[f64], obs: &[f64]) -> f64 {
    u.iter().zip(obs).map(|(a, b)| (a - b) * (a - b)).sum()
}

#[differentiable(wrt(x0))]
fn readme_cost(x0: &[f64], obs: &[f64]) -> f64 {
    readme_misfit(x0, obs)
}

#[test]
fn the_readme_example() {
    let mut x0_bar = [0.0; 2];
    let j = readme_cost_vjp(&[1.0, 2.0], &mut x0_bar, &[0.5, 2.5], 1.0);
    assert_eq!((j, x0_bar), (0.5, [1.0, -1.0]));
    let (jt, dj) = readme_cost_jvp(&[1.0, 2.0], &[1.0, 0.0], &[0.5, 2.5]);
    assert_eq!((jt, dj), (0.5, 1.0));
}

/// Callers written by a `macro_rules!` macro, passing the data on to `misfit`.
macro_rules! sum_of_misfits {
    ($name:ident, $callee:ident) => {
        #[differentiable(wrt(x0))]
        fn $name(x0: &[f64], obs: &[f64]) -> f64 {
            let n = x0.len();
            let mut __adj0 = x0.to_vec();
            let mut j = 0.0;
            for k in 0..STEPS {
                for i in 0..n {
                    __adj0[i] = __adj0[i] * (1.0 + 0.1 * __adj0[i]);
                }
                j += $callee(&__adj0, &obs[k * n..]);
            }
            j
        }
    };
}

sum_of_misfits!(macro_cost, misfit);

#[test]
fn a_macro_rules_caller_passes_three_checks() {
    for seed in 1..4 {
        let obs = Draws::new(seed).vec(N * STEPS);
        let case = Case {
            name: "macro_rules! caller of misfit(u, obs)",
            inputs: N,
            outputs: 1,
            f: &|x| vec![macro_cost(x, &obs)],
            jvp: &|x, t| {
                let (v, dv) = macro_cost_jvp(x, t, &obs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = macro_cost_vjp(x, &mut g, &obs, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(N), seed + 30);
    }
}

/// Differentiates both parameters: given the caller's data (a view of a sub-slice, the whole
/// slice), it sees the values lifted and their derivative is dropped.
#[differentiable]
fn both_active(u: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += (u[i] * w[i]).sin() + w[i] * w[i] * u[i];
    }
    s
}

#[differentiable(wrt(x0))]
fn cost_to_active(x0: &[f64], obs: &[f64]) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = both_active(&u, obs);
    for k in 0..STEPS {
        for i in 0..n {
            u[i] = u[i] * (1.0 + 0.1 * u[i]);
        }
        j += both_active(&u, &obs[k * n..]) + misfit(&u, &obs[k * n..(k + 1) * n]);
    }
    j
}

#[test]
fn data_to_a_callee_differentiating_it_passes_three_checks_and_hvp() {
    for seed in 1..4 {
        let obs = Draws::new(seed).vec(N * STEPS);
        let hand = |x: &[f64]| -> f64 {
            let both = |u: &[f64], w: &[f64]| -> f64 {
                (0..N)
                    .map(|i| (u[i] * w[i]).sin() + w[i] * w[i] * u[i])
                    .sum()
            };
            let mut u = x.to_vec();
            let mut j = both(&u, &obs);
            for k in 0..STEPS {
                for v in u.iter_mut() {
                    *v *= 1.0 + 0.1 * *v;
                }
                let o = &obs[k * N..];
                j += both(&u, o) + (0..N).map(|i| (u[i] - o[i]).powi(2)).sum::<f64>();
            }
            j
        };
        let x = Draws::new(seed + 20).vec(N);
        let j = cost_to_active(&x, &obs);
        assert!((j - hand(&x)).abs() <= 1e-13 * j.abs());
        let gradient = |x: &[f64], g: &mut [f64]| {
            g.iter_mut().for_each(|v| *v = 0.0);
            cost_to_active_vjp(x, g, &obs, 1.0)
        };
        let case = Case {
            name: "data views to a callee differentiating them",
            inputs: N,
            outputs: 1,
            f: &|x| vec![cost_to_active(x, &obs)],
            jvp: &|x, t| {
                let (v, dv) = cost_to_active_jvp(x, t, &obs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = cost_to_active_vjp(x, &mut g, &obs, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &x, seed + 30);
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
            let mut g = vec![Dual::constant(0.0); N];
            cost_to_active_vjp(&xd, &mut g, &obs, Dual::constant(1.0));
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(N), draws.vec(N));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(
            |x: &[f64], g: &mut [f64]| {
                gradient(x, g);
            },
            &x,
            &u,
            &hu,
            &w,
            &hw,
            1e-5,
        )
        .expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{report:?}");
    }
}
