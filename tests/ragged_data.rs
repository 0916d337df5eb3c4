//! Issue 12, item 5: observations of varying counts as Rust holds them, `obs: &[Vec<f64>]`
//! (also `&Vec<Vec<f64>>` and `&[&[f64]]`) with the observed positions `&[Vec<usize>]`, read as
//! data outside `wrt(..)`: rows bound by `for y in obs`, `let y = &obs[k];`, enumerated and
//! zipped, indexed twice (`obs[k][j]`), passed on to a misfit, and the whole table passed on.
//! Each cost is proved three ways (central differences, the dot-product test to 1e-12, tangent
//! against adjoint), by Hessian-vector products at dual numbers against differences of
//! gradients, and against the same cost reading the observations flat with their offsets
//! (values and gradients to the bit).

mod common;

use common::slices::{prove, Scalar, D};
use tapeless::differentiable;

/// One explicit Euler step of a damped, coupled linear chain.
#[differentiable]
fn euler(u: &mut [f64], h: f64) {
    let n = u.len();
    let old = u.to_vec();
    for i in 0..n {
        let left = if i > 0 { old[i - 1] } else { 0.0 };
        u[i] += h * (left - 0.5 * old[i] + 0.1 * old[i] * old[i]);
    }
}

/// The misfit of the observed positions of `u`.
#[differentiable(wrt(u))]
fn misfit(u: &[f64], y: &[f64], at: &[usize]) -> f64 {
    y.iter()
        .zip(at.iter())
        .map(|(yk, &i)| (u[i] - yk).powi(2))
        .sum::<f64>()
}

/// The 4D-Var cost: a step before each observation time, the rows read every way.
#[differentiable(wrt(x0))]
fn cost_rows(x0: &[f64], obs: &[Vec<f64>], at: &[Vec<usize>], h: f64) -> f64 {
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for (k, y) in obs.iter().enumerate() {
        euler(&mut u, h);
        for (yk, &i) in y.iter().zip(at[k].iter()) {
            j += 0.5 * (u[i] - yk).powi(2);
        }
        let row = &obs[k];
        if !row.is_empty() {
            j += 0.25 * misfit(&u, row, &at[k]) + 0.125 * misfit(&u, &obs[k], &at[k]);
            j += 0.01 * u[at[k][0]] * obs[k][0];
        }
    }
    j
}

/// The same with the observations flat, row `k` at `offsets[k]..offsets[k + 1]` (the bounds
/// bound untyped, `let a = offsets[k];`: integers, passed on as such; the positions passed on
/// as a sub-slice of integer data, `&at[a..b]`).
#[differentiable(wrt(x0))]
fn cost_flat(x0: &[f64], obs: &[f64], at: &[usize], offsets: &[usize], h: f64) -> f64 {
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..offsets.len() - 1 {
        euler(&mut u, h);
        let a = offsets[k];
        let b = offsets[k + 1];
        for m in a..b {
            j += 0.5 * (u[at[m]] - obs[m]).powi(2);
        }
        if b > a {
            j += 0.25 * misfit(&u, &obs[a..b], &at[a..b])
                + 0.125 * misfit(&u, &obs[a..b], &at[a..b]);
            j += 0.01 * u[at[a]] * obs[a];
        }
    }
    j
}

/// `for y in obs` of `&Vec<Vec<f64>>`, the table passed on whole, names like the generated
/// ones (`obs_bar`, `__tl_row`, `result`).
#[differentiable(wrt(x0))]
fn cost_whole(x0: &[f64], obs_bar: &Vec<Vec<f64>>, at: &[Vec<usize>], h: f64) -> f64 {
    let mut result = 0.0;
    let mut __tl_row = 1;
    for y in obs_bar {
        result += y.len() as f64 * x0[__tl_row % x0.len()];
        __tl_row *= 2;
    }
    result + cost_rows(x0, obs_bar, at, h)
}

/// Rows as borrowed slices, `&[&[f64]]`, from a `macro_rules!` macro.
macro_rules! sliced_cost {
    ($name:ident) => {
        #[differentiable(wrt(x0))]
        fn $name(x0: &[f64], obs: &[&[f64]], at: &[Vec<usize>]) -> f64 {
            let mut j = 0.0;
            for k in 0..obs.len() {
                let y = obs[k];
                j += y
                    .iter()
                    .enumerate()
                    .map(|(m, v)| (x0[at[k][m]] * x0[at[k][m]] - v).powi(2))
                    .sum::<f64>();
            }
            j
        }
    };
}

sliced_cost!(cost_sliced);

/// Observations at times 1..=4 of 2, 0, 3 and 1 of the 5 positions.
fn table() -> (Vec<Vec<f64>>, Vec<Vec<usize>>) {
    let obs = vec![vec![0.3, -0.2], vec![], vec![0.1, 0.4, -0.5], vec![0.7]];
    let at = vec![vec![0, 3], vec![], vec![1, 2, 4], vec![2]];
    (obs, at)
}

#[test]
fn rows_of_varying_counts_proved_and_equal_to_flat() {
    let (obs, at) = table();
    let flat: Vec<f64> = obs.concat();
    let flat_at: Vec<usize> = at.concat();
    let mut offsets = vec![0];
    for r in &obs {
        offsets.push(offsets.last().unwrap() + r.len());
    }
    let h = 0.3;
    let s = Scalar {
        name: "cost_rows",
        f: &|x| cost_rows(x, &obs, &at, h),
        jvp: &|x, d| cost_rows_jvp(x, d, &obs, &at, h),
        vjp: &|x, g, s| cost_rows_vjp(x, g, &obs, &at, h, s),
        vjp_dual: &|x, g, s| cost_rows_vjp::<D>(x, g, &obs, &at, h, s),
    };
    for (seed, x0) in [[0.5, -0.3, 0.8, 0.1, -0.6], [1.2, 0.4, -0.9, 0.3, 0.2]]
        .iter()
        .enumerate()
    {
        prove(&s, x0, 50 + seed as u64);
        let mut g_rows = [0.0; 5];
        let mut g_flat = [0.0; 5];
        let v_rows = cost_rows_vjp(x0, &mut g_rows, &obs, &at, h, 1.0);
        let v_flat = cost_flat_vjp(x0, &mut g_flat, &flat, &flat_at, &offsets, h, 1.0);
        assert_eq!(v_rows.to_bits(), v_flat.to_bits(), "value at {x0:?}");
        assert_eq!(
            g_rows.map(f64::to_bits),
            g_flat.map(f64::to_bits),
            "gradient at {x0:?}"
        );
        assert_eq!(v_rows, cost_flat(x0, &flat, &flat_at, &offsets, h));
    }
}

#[test]
fn a_table_passed_on_whole_and_rows_as_slices() {
    let (obs, at) = table();
    let h = 0.2;
    let s = Scalar {
        name: "cost_whole",
        f: &|x| cost_whole(x, &obs, &at, h),
        jvp: &|x, d| cost_whole_jvp(x, d, &obs, &at, h),
        vjp: &|x, g, s| cost_whole_vjp(x, g, &obs, &at, h, s),
        vjp_dual: &|x, g, s| cost_whole_vjp::<D>(x, g, &obs, &at, h, s),
    };
    prove(&s, &[0.5, -0.3, 0.8, 0.1, -0.6], 60);
    let rows: Vec<&[f64]> = obs.iter().map(|r| &r[..]).collect();
    let s = Scalar {
        name: "cost_sliced",
        f: &|x| cost_sliced(x, &rows, &at),
        jvp: &|x, d| cost_sliced_jvp(x, d, &rows, &at),
        vjp: &|x, g, s| cost_sliced_vjp(x, g, &rows, &at, s),
        vjp_dual: &|x, g, s| cost_sliced_vjp::<D>(x, g, &rows, &at, s),
    };
    prove(&s, &[0.5, -0.3, 0.8, 0.1, -0.6], 61);
}
