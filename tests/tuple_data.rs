//! Sparse observations as tuples, read as data (`obs: &[(usize, f64)]`, `&[(usize, usize,
//! f64)]`, `&Vec<(usize, f64)>`, `[(usize, f64); M]`, outside `wrt(..)`): `for &(k, y) in obs`,
//! `for (k, y) in obs.iter()`, `obs[j].0`, `let (k, y) = obs[j];`, `let o = obs[j];`, closures
//! `|&(k, y)|` in iterator chains, `enumerate` and `zip` over them, a slice of tuples passed on to
//! an annotated callee, adversarial names and a `macro_rules!` function. Each derivative is
//! proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint) and by Hessian-vector products at dual numbers against differences of gradients.

mod common;

use common::slices::{prove, Scalar};
use tapeless::differentiable;

/// Sparse misfit by a `for` over the tuples, bound by reference pattern.
#[differentiable(wrt(x))]
fn misfit_for(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let mut j = 0.0;
    for &(k, y) in obs {
        let d = x[k] - y;
        j += d * d;
    }
    j
}

/// The same, by `iter()` with references dereferenced, `obs[j].0` and `let` patterns.
#[differentiable(wrt(x))]
fn misfit_forms(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let mut s = 0.0;
    for (k, y) in obs.iter() {
        s += (x[*k] - *y).powi(2);
    }
    for j in 0..obs.len() {
        let (k, y) = obs[j];
        s += 0.5 * x[k].sin() * y;
        let o = obs[j];
        s += x[o.0] * o.1 * 0.25;
        s += x[obs[j].0] * obs[j].1;
    }
    let again = obs;
    for &(k, y) in again {
        s += x[k] * y * y;
    }
    s
}

/// Iterator chains: `map` with a tuple pattern, `enumerate`, a closure reading fields.
#[differentiable(wrt(x))]
fn misfit_chain(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let a = obs.iter().map(|&(k, y)| (x[k] - y).powi(2)).sum::<f64>();
    let b: f64 = obs
        .iter()
        .enumerate()
        .map(|(m, &(k, y))| (m as f64 + 1.0) * x[k] * y)
        .sum();
    let c = obs.iter().map(|o| x[o.0] * o.1).sum::<f64>();
    a + 0.1 * b + 0.01 * c
}

/// Triples `(k, i, y)` of a state of `n` components at time `k`.
#[differentiable(wrt(x))]
fn misfit_triples(x: &[f64], n: usize, obs: &[(usize, usize, f64)]) -> f64 {
    let mut j = 0.0;
    for &(k, i, y) in obs {
        let d = x[k * n + i] - y;
        j += d * d;
    }
    j
}

fn slice_obs() -> Vec<(usize, f64)> {
    vec![(0, 0.3), (2, -0.4), (1, 0.9), (2, 0.1)]
}

#[test]
fn tuples_read_by_for() {
    let obs = slice_obs();
    let s = Scalar {
        name: "misfit_for",
        f: &|x| misfit_for(x, &obs),
        jvp: &|x, d| misfit_for_jvp(x, d, &obs),
        vjp: &|x, g, y| misfit_for_vjp(x, g, &obs, y),
        vjp_dual: &|x, g, y| misfit_for_vjp(x, g, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 1);
}

#[test]
fn tuples_read_every_way() {
    let obs = slice_obs();
    let s = Scalar {
        name: "misfit_forms",
        f: &|x| misfit_forms(x, &obs),
        jvp: &|x, d| misfit_forms_jvp(x, d, &obs),
        vjp: &|x, g, y| misfit_forms_vjp(x, g, &obs, y),
        vjp_dual: &|x, g, y| misfit_forms_vjp(x, g, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 2);
}

#[test]
fn tuples_in_chains() {
    let obs = slice_obs();
    let s = Scalar {
        name: "misfit_chain",
        f: &|x| misfit_chain(x, &obs),
        jvp: &|x, d| misfit_chain_jvp(x, d, &obs),
        vjp: &|x, g, y| misfit_chain_vjp(x, g, &obs, y),
        vjp_dual: &|x, g, y| misfit_chain_vjp(x, g, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 3);
}

#[test]
fn triples() {
    let obs = vec![(0, 1, 0.3), (1, 0, -0.4), (1, 1, 0.9), (2, 1, 0.1)];
    let s = Scalar {
        name: "misfit_triples",
        f: &|x| misfit_triples(x, 2, &obs),
        jvp: &|x, d| misfit_triples_jvp(x, d, 2, &obs),
        vjp: &|x, g, y| misfit_triples_vjp(x, g, 2, &obs, y),
        vjp_dual: &|x, g, y| misfit_triples_vjp(x, g, 2, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1, 0.7, -0.9, 0.4], 4);
}

/// A callee that takes the tuples as data, with its own `wrt(..)`.
#[differentiable(wrt(u))]
fn obs_misfit(u: &[f64], obs: &[(usize, f64)]) -> f64 {
    obs.iter().map(|&(i, y)| (u[i] - y).powi(2)).sum::<f64>()
}

/// A callee without `wrt(..)`: every real parameter differentiated, the tuples data.
#[allow(clippy::ptr_arg)] // `&Vec<..>` on purpose: the type a user may write
#[differentiable]
fn weighted_misfit(u: &[f64], w: f64, obs: &Vec<(usize, f64)>) -> f64 {
    let mut s = 0.0;
    for (i, y) in obs.iter() {
        s += w * (u[*i] - y).powi(2);
    }
    s
}

/// The tuples passed on to both callees, from a `&Vec` and a slice.
#[allow(clippy::ptr_arg)] // `&Vec<..>` on purpose: the type a user may write
#[differentiable(wrt(x))]
fn passes_on(x: &[f64], obs: &Vec<(usize, f64)>, few: &[(usize, f64)]) -> f64 {
    let mut u = vec![0.0; x.len()];
    for i in 0..x.len() {
        u[i] = x[i].sin() * x[(i + 1) % x.len()];
    }
    let w = x[0].exp();
    obs_misfit(&u, obs) + weighted_misfit(&u, w, obs) + 0.5 * obs_misfit(&u, few)
}

#[test]
fn tuples_passed_on_to_callees() {
    let obs = slice_obs();
    let few = [(1, 0.2), (0, -0.5)];
    let s = Scalar {
        name: "passes_on",
        f: &|x| passes_on(x, &obs, &few),
        jvp: &|x, d| passes_on_jvp(x, d, &obs, &few),
        vjp: &|x, g, y| passes_on_vjp(x, g, &obs, &few, y),
        vjp_dual: &|x, g, y| passes_on_vjp(x, g, &obs, &few, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 5);
}

/// An array of tuples by value, and one by reference; `zip` of reals with tuples.
#[differentiable(wrt(x))]
fn arrays_of_tuples(x: &[f64], pairs: [(usize, f64); 3], more: &[(u32, f64, bool); 2]) -> f64 {
    let mut s = 0.0;
    for (a, &(k, y)) in x.iter().zip(pairs.iter()) {
        s += a * x[k] * y;
    }
    for &(k, y, on) in more.iter() {
        if on {
            s += (x[k as usize] * y).exp();
        } else {
            s -= x[k as usize] * y;
        }
    }
    s
}

#[test]
fn arrays_of_tuples_three_ways() {
    let pairs = [(2, 0.5), (0, -1.5), (1, 0.25)];
    let more = [(1, 0.3, true), (2, -0.7, false)];
    let s = Scalar {
        name: "arrays_of_tuples",
        f: &|x| arrays_of_tuples(x, pairs, &more),
        jvp: &|x, d| arrays_of_tuples_jvp(x, d, pairs, &more),
        vjp: &|x, g, y| arrays_of_tuples_vjp(x, g, pairs, &more, y),
        vjp_dual: &|x, g, y| arrays_of_tuples_vjp(x, g, pairs, &more, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 6);
}

/// Fields bound to names the generated code also uses: `result`, `x_bar`, `__adj0`, raw idents.
#[differentiable(wrt(x))]
#[allow(non_snake_case)]
fn adversarial(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let mut result = 0.0;
    for &(r#k, x_bar) in obs {
        let __adj0 = x[k] - x_bar;
        result += __adj0 * __adj0 * x_bar.abs();
    }
    let (result_bar, x_dot) = obs[0];
    result + x[result_bar] * x_dot
}

#[test]
fn adversarial_names_three_ways() {
    let obs = slice_obs();
    let s = Scalar {
        name: "adversarial",
        f: &|x| adversarial(x, &obs),
        jvp: &|x, d| adversarial_jvp(x, d, &obs),
        vjp: &|x, g, y| adversarial_vjp(x, g, &obs, y),
        vjp_dual: &|x, g, y| adversarial_vjp(x, g, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 7);
}

macro_rules! tuple_fn {
    ($name:ident, $obs:ident, $t:ty, $k:ident, $y:ident) => {
        /// A function written by a macro: the tuples' type, pattern and reads come from
        /// `macro_rules!`.
        #[differentiable(wrt(x))]
        fn $name(x: &[f64], $obs: &[$t]) -> f64 {
            let mut s = 0.0;
            for &($k, $y) in $obs {
                s += (x[$k] * $y).sin();
            }
            s + $obs.iter().map(|o| x[o.0] * o.1).sum::<f64>()
        }
    };
}

tuple_fn!(macro_tuples, observed, (usize, f64), idx, val);

#[test]
fn macro_rules_function_three_ways() {
    let obs = slice_obs();
    let s = Scalar {
        name: "macro_tuples",
        f: &|x| macro_tuples(x, &obs),
        jvp: &|x, d| macro_tuples_jvp(x, d, &obs),
        vjp: &|x, g, y| macro_tuples_vjp(x, g, &obs, y),
        vjp_dual: &|x, g, y| macro_tuples_vjp(x, g, &obs, y),
    };
    prove(&s, &[0.5, -0.2, 1.1], 8);
}

/// The Lorenz-63 right-hand side.
#[differentiable]
fn l63(u: &[f64; 3]) -> [f64; 3] {
    [
        10.0 * (u[1] - u[0]),
        u[0] * (28.0 - u[2]) - u[1],
        u[0] * u[1] - 8.0 / 3.0 * u[2],
    ]
}

/// One classic RK4 step.
#[differentiable]
fn rk4(u: &[f64; 3], h: f64) -> [f64; 3] {
    let k1 = l63(u);
    let mut s = [0.0; 3];
    for i in 0..3 {
        s[i] = u[i] + 0.5 * h * k1[i];
    }
    let k2 = l63(&s);
    for i in 0..3 {
        s[i] = u[i] + 0.5 * h * k2[i];
    }
    let k3 = l63(&s);
    for i in 0..3 {
        s[i] = u[i] + h * k3[i];
    }
    let k4 = l63(&s);
    let mut next = [0.0; 3];
    for i in 0..3 {
        next[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    next
}

/// The 4D-Var cost of the story with sparse observations `(k, i, y)`: integrate with
/// RK4, store the trajectory, read `traj[k][i]` at each observation; a background term, and a
/// penalty on the final state (`*traj.last().unwrap()`, `if let Some(r) = traj.last()`).
#[differentiable(wrt(x0))]
fn sparse_cost(
    x0: &[f64; 3],
    xb: &[f64; 3],
    obs: &[(usize, usize, f64)],
    steps: usize,
    h: f64,
) -> f64 {
    let mut traj: Vec<[f64; 3]> = Vec::with_capacity(steps + 1);
    let mut u = *x0;
    traj.push(u);
    for _ in 0..steps {
        u = rk4(&u, h);
        traj.push(u);
    }
    let mut j = 0.0;
    for &(k, i, y) in obs {
        let d = traj[k][i] - y;
        j += 0.5 * d * d;
    }
    for i in 0..3 {
        j += 0.05 * (x0[i] - xb[i]).powi(2);
    }
    let last = *traj.last().unwrap();
    j += 1e-3 * last[2] * last[2];
    if let Some(r) = traj.last() {
        j += 1e-3 * r[0] * r[1];
    }
    j
}

/// The same cost with the observations' fields in slices of their own (what was written before
/// tuples were read): the reference, equal to the bit.
#[differentiable(wrt(x0))]
#[allow(clippy::too_many_arguments)]
fn split_cost(
    x0: &[f64; 3],
    xb: &[f64; 3],
    ks: &[usize],
    is: &[usize],
    ys: &[f64],
    steps: usize,
    h: f64,
) -> f64 {
    let mut traj: Vec<[f64; 3]> = Vec::with_capacity(steps + 1);
    let mut u = *x0;
    traj.push(u);
    for _ in 0..steps {
        u = rk4(&u, h);
        traj.push(u);
    }
    let mut j = 0.0;
    for m in 0..ys.len() {
        let d = traj[ks[m]][is[m]] - ys[m];
        j += 0.5 * d * d;
    }
    for i in 0..3 {
        j += 0.05 * (x0[i] - xb[i]).powi(2);
    }
    let n = traj.len();
    j += 1e-3 * traj[n - 1][2] * traj[n - 1][2];
    j += 1e-3 * traj[n - 1][0] * traj[n - 1][1];
    j
}

/// Observations of components `i` at times `k`, as a user would store them.
fn story_observations(steps: usize) -> Vec<(usize, usize, f64)> {
    (1..=steps)
        .filter(|k| k % 3 == 0)
        .flat_map(|k| {
            let t = k as f64;
            [(k, 0, 1.0 + 0.3 * t.sin()), (k, (k / 3) % 3, 2.0 - 0.1 * t)]
        })
        .collect()
}

#[test]
fn sparse_observation_cost_three_ways() {
    let (steps, h) = (24, 0.01);
    let obs = story_observations(steps);
    let xb = [1.2, 1.9, 20.5];
    let s = Scalar {
        name: "sparse_cost",
        f: &|x| sparse_cost(&[x[0], x[1], x[2]], &xb, &obs, steps, h),
        jvp: &|x, d| sparse_cost_jvp(&[x[0], x[1], x[2]], d, &xb, &obs, steps, h),
        vjp: &|x, g, y| sparse_cost_vjp(&[x[0], x[1], x[2]], g, &xb, &obs, steps, h, y),
        vjp_dual: &|x, g, y| sparse_cost_vjp(&[x[0], x[1], x[2]], g, &xb, &obs, steps, h, y),
    };
    for (seed, x0) in [[1.0, 2.0, 20.0], [-3.0, 0.5, 25.0]].iter().enumerate() {
        prove(&s, x0, 20 + seed as u64);
    }
}

#[test]
fn sparse_observation_cost_equals_split_fields_to_the_bit() {
    let (steps, h) = (24, 0.01);
    let obs = story_observations(steps);
    let ks: Vec<usize> = obs.iter().map(|o| o.0).collect();
    let is: Vec<usize> = obs.iter().map(|o| o.1).collect();
    let ys: Vec<f64> = obs.iter().map(|o| o.2).collect();
    let xb = [1.2, 1.9, 20.5];
    let x0 = [1.0, 2.0, 20.0];
    let a = sparse_cost(&x0, &xb, &obs, steps, h);
    assert_eq!(a, split_cost(&x0, &xb, &ks, &is, &ys, steps, h));
    let (mut ga, mut gb) = ([0.0; 3], [0.0; 3]);
    let va = sparse_cost_vjp(&x0, &mut ga, &xb, &obs, steps, h, 1.0);
    let vb = split_cost_vjp(&x0, &mut gb, &xb, &ks, &is, &ys, steps, h, 1.0);
    assert_eq!((va, ga), (vb, gb));
    let d = [0.3, -0.2, 0.7];
    assert_eq!(
        sparse_cost_jvp(&x0, &d, &xb, &obs, steps, h),
        split_cost_jvp(&x0, &d, &xb, &ks, &is, &ys, steps, h)
    );
}
