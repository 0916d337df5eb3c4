//! The last and first rows of arrays of arrays: `*traj.last().unwrap()` (also without `*`, and
//! through `.copied()`) and `if let Some(r) = traj.last()` / `Some(&r)` / `traj.first()` of a
//! `Vec<[f64; K]>` grown by `push` and of a `&[[f64; K]]` parameter in `wrt(..)`, the `else`
//! branch of an empty one; `if let` of the ends of data outside `wrt(..)` (rows `&[[f64; 2]]`,
//! tuples `&[(usize, f64)]`); adversarial names and a `macro_rules!` function. Each derivative
//! is proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint) and by Hessian-vector products at dual numbers against differences of gradients.

mod common;

use common::slices::{prove, Scalar};
use tapeless::differentiable;

#[differentiable]
fn step(x: &[f64; 2], h: f64) -> [f64; 2] {
    [x[0] + h * x[1], x[1] - h * x[0].sin()]
}

/// The ends of a stored trajectory, every way of reading them.
#[differentiable(wrt(x0))]
fn trajectory_ends(x0: &[f64; 2], n: usize, h: f64) -> f64 {
    let mut traj: Vec<[f64; 2]> = Vec::new();
    let mut u = *x0;
    for _ in 0..n {
        u = step(&u, h);
        traj.push(u);
    }
    let mut s = x0[0] * x0[1];
    if let Some(r) = traj.last() {
        s += r[0] * r[1] + r.len() as f64;
    } else {
        s += x0[0].exp();
    }
    if let Some(&r) = traj.first() {
        s += (r[0] - r[1]).powi(2);
    }
    if n > 0 {
        let last = *traj.last().unwrap();
        let first = traj.first().unwrap();
        let again = traj.last().copied().unwrap();
        s += last[0] * first[1] + again[1].sin();
    }
    s
}

/// The same with indices: the reference.
fn trajectory_ends_indexed(x0: &[f64; 2], n: usize, h: f64) -> f64 {
    let mut traj: Vec<[f64; 2]> = Vec::new();
    let mut u = *x0;
    for _ in 0..n {
        u = step(&u, h);
        traj.push(u);
    }
    let mut s = x0[0] * x0[1];
    if !traj.is_empty() {
        let r = traj[traj.len() - 1];
        s += r[0] * r[1] + 2.0;
    } else {
        s += x0[0].exp();
    }
    if !traj.is_empty() {
        let r = traj[0];
        s += (r[0] - r[1]).powi(2);
    }
    if n > 0 {
        let (last, first) = (traj[traj.len() - 1], traj[0]);
        s += last[0] * first[1] + last[1].sin();
    }
    s
}

/// The ends of a rows parameter in `wrt(..)`.
#[differentiable(wrt(x))]
fn param_ends(x: &[[f64; 2]], w: f64) -> f64 {
    let o = *x.last().unwrap();
    let mut s = o[0] * o[1] * w;
    if let Some(&r) = x.first() {
        s += r[0] * r[1];
    }
    if let Some(r) = x.last() {
        s += r[1].cos();
    }
    s
}

/// The ends of data outside `wrt(..)`: rows and tuples.
#[differentiable(wrt(x))]
fn data_ends(x: &[f64], obs: &[[f64; 2]], sparse: &[(usize, f64)]) -> f64 {
    let o = *obs.last().unwrap();
    let mut s = x[0] * o[1];
    if let Some(r) = obs.first() {
        s += r[0] * x[1].sin();
    }
    if let Some(&[t, y]) = obs.last() {
        s += t * x[2] * y;
    }
    if let Some(&(k, y)) = sparse.last() {
        s += (x[k] - y).powi(2);
    } else {
        s += x[0];
    }
    if let Some((k, y)) = sparse.first() {
        s += x[*k] * y;
    }
    s
}

/// Ends bound to names the generated code also uses.
#[differentiable(wrt(x0))]
fn adversarial(x0: &[f64; 2], n: usize) -> f64 {
    let mut x_bar: Vec<[f64; 2]> = Vec::new();
    let mut u = *x0;
    for _ in 0..n {
        u = step(&u, 0.1);
        x_bar.push(u);
    }
    let mut result = 0.0;
    if let Some(__adj0) = x_bar.last() {
        result += __adj0[0] * __adj0[1];
    }
    if let Some(&r#x_dot) = x_bar.first() {
        result += r#x_dot[0].sin();
    }
    let result_bar = *x_bar.last().unwrap();
    result * result_bar[1]
}

macro_rules! ends_fn {
    ($name:ident, $traj:ident, $r:ident) => {
        /// A function written by a macro: the trajectory, its ends and their reads come from
        /// `macro_rules!`.
        #[differentiable(wrt(x0))]
        fn $name(x0: &[f64; 2], n: usize) -> f64 {
            let mut $traj: Vec<[f64; 2]> = Vec::new();
            let mut u = *x0;
            for _ in 0..n {
                u = step(&u, 0.2);
                $traj.push(u);
            }
            let mut s = 0.0;
            if let Some($r) = $traj.last() {
                s += $r[0] * $r[1];
            }
            let $r = *$traj.first().unwrap();
            s + $r[1]
        }
    };
}

ends_fn!(macro_ends, stored, row);

fn array2<T: Copy>(x: &[T]) -> [T; 2] {
    [x[0], x[1]]
}

#[test]
fn trajectory_ends_three_ways() {
    for n in [0, 1, 4] {
        let s = Scalar {
            name: "trajectory_ends",
            f: &|x| trajectory_ends(&array2(x), n, 0.1),
            jvp: &|x, d| trajectory_ends_jvp(&array2(x), d, n, 0.1),
            vjp: &|x, g, y| trajectory_ends_vjp(&array2(x), g, n, 0.1, y),
            vjp_dual: &|x, g, y| trajectory_ends_vjp(&array2(x), g, n, 0.1, y),
        };
        for (seed, x0) in [[0.4, -0.3], [1.2, 0.7]].iter().enumerate() {
            assert_eq!(
                trajectory_ends(x0, n, 0.1),
                trajectory_ends_indexed(x0, n, 0.1)
            );
            prove(&s, x0, 10 * n as u64 + seed as u64);
        }
    }
}

#[test]
fn param_ends_three_ways() {
    let rows = |x: &[f64]| -> Vec<[f64; 2]> { x.chunks(2).map(array2).collect() };
    let s = Scalar {
        name: "param_ends",
        f: &|x| param_ends(&rows(x), 0.7),
        jvp: &|x, d| param_ends_jvp(&rows(x), &rows(d), 0.7),
        vjp: &|x, g, y| {
            let mut gb = rows(g);
            let v = param_ends_vjp(&rows(x), &mut gb, 0.7, y);
            g.copy_from_slice(gb.as_flattened());
            v
        },
        vjp_dual: &|x, g, y| {
            let xr: Vec<[_; 2]> = x.chunks(2).map(array2).collect();
            let mut gb: Vec<[_; 2]> = g.chunks(2).map(array2).collect();
            let v = param_ends_vjp(&xr, &mut gb, 0.7, y);
            g.copy_from_slice(gb.as_flattened());
            v
        },
    };
    prove(&s, &[0.3, -0.7, 1.1, 0.25, -0.4, 0.9], 40);
}

#[test]
fn data_ends_three_ways() {
    let obs = [[0.5, 1.5], [2.0, -0.5], [1.25, 0.75]];
    for sparse in [vec![(1, 0.3), (2, -0.6)], vec![]] {
        let s = Scalar {
            name: "data_ends",
            f: &|x| data_ends(x, &obs, &sparse),
            jvp: &|x, d| data_ends_jvp(x, d, &obs, &sparse),
            vjp: &|x, g, y| data_ends_vjp(x, g, &obs, &sparse, y),
            vjp_dual: &|x, g, y| data_ends_vjp(x, g, &obs, &sparse, y),
        };
        prove(&s, &[0.3, -0.7, 1.1], 50 + sparse.len() as u64);
    }
}

#[test]
fn adversarial_names_three_ways() {
    let s = Scalar {
        name: "adversarial",
        f: &|x| adversarial(&array2(x), 3),
        jvp: &|x, d| adversarial_jvp(&array2(x), d, 3),
        vjp: &|x, g, y| adversarial_vjp(&array2(x), g, 3, y),
        vjp_dual: &|x, g, y| adversarial_vjp(&array2(x), g, 3, y),
    };
    prove(&s, &[0.3, -0.7], 60);
}

#[test]
fn macro_rules_function_three_ways() {
    let s = Scalar {
        name: "macro_ends",
        f: &|x| macro_ends(&array2(x), 3),
        jvp: &|x, d| macro_ends_jvp(&array2(x), d, 3),
        vjp: &|x, g, y| macro_ends_vjp(&array2(x), g, 3, y),
        vjp_dual: &|x, g, y| macro_ends_vjp(&array2(x), g, 3, y),
    };
    prove(&s, &[0.3, -0.7], 70);
}
