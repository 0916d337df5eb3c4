//! Fixed-size data passed on: a callee's `[f64; N]` and `&[f64; N]` parameters outside its
//! `wrt(..)` (`fn misfit(u: &[f64; 3], obs: [f64; 3])`), given a row of the caller's
//! array-of-arrays data (`obs[k]`, `&obs[k]`, `o` of `let o = obs[k];`), the caller's own
//! `[f64; N]` data or an inactive local array; and rows of data passed to a callee that
//! differentiates the parameter (its derivative there is dropped: the caller does not
//! differentiate its data). A caller sends a row lifted to its scalar with a zero tangent and
//! adjoint (`[S; N]` on the stack), as every real argument; the callee reads its `f64`
//! values. Each caller is checked three ways (central differences, the dot-product test,
//! tangent against adjoint), against a hand-written sum, and by Hessian-vector products at
//! dual numbers against differences of gradients, with locals named as generated code would
//! (`obs_bar`, `result`, `__adj0`) and a `macro_rules!` caller.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

const K: usize = 3;
const STEPS: usize = 4;

/// Observations by value.
#[differentiable(wrt(u))]
fn misfit(u: &[f64; K], obs: [f64; K]) -> f64 {
    let mut result = 0.0;
    for i in 0..K {
        let obs_bar = u[i] - obs[i];
        result += obs_bar * obs_bar;
    }
    result
}

/// Observations by reference, named as a generated adjoint.
#[differentiable(wrt(u))]
fn misfit_ref(u: &[f64; K], __adj0: &[f64; K]) -> f64 {
    let mut s = 0.0;
    for i in 0..K {
        s += (u[i] * __adj0[i]).sin();
    }
    s
}

/// A slice parameter given a row.
#[differentiable(wrt(u))]
fn misfit_slice(u: &[f64; K], obs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..K {
        s += obs[i] * u[i] * u[i];
    }
    s
}

/// Differentiates its row parameter too: given data, that derivative is dropped.
#[differentiable]
fn both(u: &[f64; K], o: [f64; K]) -> f64 {
    u[0] * o[1] + (u[2] * o[0]).sin() + o[2] * o[2] * u[1]
}

#[differentiable(wrt(x0))]
#[allow(clippy::needless_range_loop)] // indices as the users write them
fn cost(x0: [f64; K], obs: &[[f64; K]], xb: [f64; K]) -> f64 {
    let mut u = x0;
    let mut j = misfit(&u, xb);
    for k in 0..obs.len() {
        for i in 0..K {
            u[i] = u[i] * (1.0 + 0.1 * u[i]);
        }
        j += misfit(&u, obs[k]) + misfit_ref(&u, &obs[k]);
        let o = obs[k];
        j += misfit_ref(&u, &o) + misfit(&u, o) + misfit_slice(&u, &o);
        j += both(&u, obs[k]) + both(&u, o);
    }
    let mut half = [0.0; K];
    for i in 0..K {
        half[i] = 0.5 * xb[i];
    }
    j + misfit(&u, half) + misfit_ref(&u, &half) + both(&u, xb)
}

fn hand_cost(x0: &[f64], obs: &[[f64; K]], xb: [f64; K]) -> f64 {
    let misfit = |u: &[f64], o: &[f64]| -> f64 { (0..K).map(|i| (u[i] - o[i]).powi(2)).sum() };
    let misfit_ref = |u: &[f64], o: &[f64]| -> f64 { (0..K).map(|i| (u[i] * o[i]).sin()).sum() };
    let slice = |u: &[f64], o: &[f64]| -> f64 { (0..K).map(|i| o[i] * u[i] * u[i]).sum() };
    let both = |u: &[f64], o: &[f64]| u[0] * o[1] + (u[2] * o[0]).sin() + o[2] * o[2] * u[1];
    let mut u = x0.to_vec();
    let mut j = misfit(&u, &xb);
    for o in obs {
        for v in u.iter_mut() {
            *v *= 1.0 + 0.1 * *v;
        }
        j += misfit(&u, o) + misfit_ref(&u, o) + misfit_ref(&u, o) + misfit(&u, o) + slice(&u, o);
        j += 2.0 * both(&u, o);
    }
    let half: Vec<f64> = xb.iter().map(|v| 0.5 * v).collect();
    j + misfit(&u, &half) + misfit_ref(&u, &half) + both(&u, &xb)
}

fn data(seed: u64) -> (Vec<[f64; K]>, [f64; K]) {
    let mut d = Draws::new(seed);
    let obs = (0..STEPS).map(|_| [d.next(), d.next(), d.next()]).collect();
    (obs, [d.next(), d.next(), d.next()])
}

fn arr(x: &[f64]) -> [f64; K] {
    [x[0], x[1], x[2]]
}

fn gradient(x: &[f64], g: &mut [f64], obs: &[[f64; K]], xb: [f64; K]) -> f64 {
    g.iter_mut().for_each(|v| *v = 0.0);
    cost_vjp(arr(x), g, obs, xb, 1.0)
}

#[test]
fn the_cost_equals_a_hand_written_sum() {
    for seed in 1..4 {
        let (obs, xb) = data(seed);
        let x0 = Draws::new(seed + 10).vec(K);
        let (j, h) = (cost(arr(&x0), &obs, xb), hand_cost(&x0, &obs, xb));
        assert!((j - h).abs() <= 1e-13 * h.abs(), "{j} vs {h}");
        let mut g = [0.0; K];
        assert_eq!(gradient(&x0, &mut g, &obs, xb), j);
    }
}

#[test]
fn rows_and_fixed_size_data_pass_three_checks() {
    for seed in 1..4 {
        let (obs, xb) = data(seed);
        let case = Case {
            name: "rows of data to [f64; N] parameters outside the callee's wrt",
            inputs: K,
            outputs: 1,
            f: &|x| vec![cost(arr(x), &obs, xb)],
            jvp: &|x, t| {
                let (v, dv) = cost_jvp(arr(x), arr(t), &obs, xb);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; K];
                let v = cost_vjp(arr(x), &mut g, &obs, xb, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(K), seed + 30);
    }
}

#[test]
fn hessian_vector_products_at_dual_numbers() {
    for seed in 1..4 {
        let (obs, xb) = data(seed);
        let x = Draws::new(seed + 40).vec(K);
        let h_along = |v: &[f64]| -> Vec<f64> {
            let xd: [Dual<f64, 1>; K] = core::array::from_fn(|i| Dual::new(x[i], [v[i]]));
            let mut g = [Dual::constant(0.0); K];
            cost_vjp(xd, &mut g, &obs, xb, Dual::constant(1.0));
            g.iter().map(|g| g.tangents[0]).collect()
        };
        let mut draws = Draws::new(seed + 50);
        let (u, w) = (draws.vec(K), draws.vec(K));
        let (hu, hw) = (h_along(&u), h_along(&w));
        let report = check_hvp(
            |x: &[f64], g: &mut [f64]| {
                gradient(x, g, &obs, xb);
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

/// A caller written by a `macro_rules!` macro, passing rows on.
macro_rules! row_caller {
    ($name:ident, $callee:ident) => {
        #[differentiable(wrt(x0))]
        fn $name(x0: [f64; K], obs: &[[f64; K]]) -> f64 {
            let mut result = x0;
            let mut j = 0.0;
            for k in 0..obs.len() {
                for i in 0..K {
                    result[i] = result[i] * (1.0 + 0.2 * result[i]);
                }
                let obs_bar = obs[k];
                j += $callee(&result, obs_bar) + $callee(&result, obs[k]);
            }
            j
        }
    };
}

row_caller!(macro_cost, misfit);

#[test]
fn a_macro_rules_caller_passes_three_checks() {
    for seed in 1..4 {
        let (obs, _) = data(seed);
        let case = Case {
            name: "macro_rules! caller passing rows to misfit(u, obs: [f64; 3])",
            inputs: K,
            outputs: 1,
            f: &|x| vec![macro_cost(arr(x), &obs)],
            jvp: &|x, t| {
                let (v, dv) = macro_cost_jvp(arr(x), arr(t), &obs);
                (vec![v], vec![dv])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; K];
                let v = macro_cost_vjp(arr(x), &mut g, &obs, w[0]);
                (vec![v], g)
            },
        };
        check(&case, &Draws::new(seed + 20).vec(K), seed + 30);
    }
}
