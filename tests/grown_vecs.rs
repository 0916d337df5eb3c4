//! `Vec`s created empty (`Vec::new()`, `Vec::with_capacity(n)`, `vec![]`) and grown by `push`:
//! the stored trajectory of a 4D-Var cost (`Vec<[f64; 3]>` pushed whole rows), reals pushed in
//! `for` and `while` loops and under `if`, read between pushes (`v[v.len() - 1]`, `v.len()`,
//! `*v.last().unwrap()`) and after them (`v[k]`, `v.iter()`, `zip`), a `Vec` created inside a
//! loop body, adversarial names and a `macro_rules!` function; the cost as a user writes it
//! (`let mut x = *x0;`, each stored row passed to a differentiable function from `zip` and
//! `map`), a row of a parameter passed on whole, and `if let Some(v) = x.last()` / `x.first()`. Each derivative is proved three
//! ways (central differences, the dot-product test to 1e-12, tangent against adjoint) and by
//! Hessian-vector products at dual numbers against differences of gradients.

mod common;

use common::slices::{prove, Scalar};
use common::{check, Case};
use tapeless::differentiable;

/// One explicit step of a Lorenz-63-like flow.
#[differentiable]
fn step(x: &[f64; 3], dt: f64) -> [f64; 3] {
    [
        x[0] + dt * 10.0 * (x[1] - x[0]),
        x[1] + dt * (x[0] * (28.0 - x[2]) - x[1]),
        x[2] + dt * (x[0] * x[1] - 8.0 / 3.0 * x[2]),
    ]
}

/// The 4D-Var cost with the trajectory stored as it is computed.
#[differentiable(wrt(x0))]
fn stored_cost(x0: &[f64; 3], obs: &[[f64; 3]], dt: f64) -> f64 {
    let mut traj: Vec<[f64; 3]> = Vec::with_capacity(obs.len());
    let mut x = [x0[0], x0[1], x0[2]];
    for _ in 0..obs.len() {
        x = step(&x, dt);
        traj.push(x);
    }
    let misfit = traj
        .iter()
        .zip(obs)
        .map(|(a, b)| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2))
        .sum::<f64>();
    misfit / traj.len() as f64 + 0.1 * traj[traj.len() / 2][1]
}

/// The same cost with the trajectory made at its final length: the reference (its rows written
/// element by element, as the macro's subset wrote them before `push`).
#[allow(clippy::manual_memcpy)]
#[differentiable(wrt(x0))]
fn sized_cost(x0: &[f64; 3], obs: &[[f64; 3]], dt: f64) -> f64 {
    let mut traj = vec![[0.0; 3]; obs.len()];
    let mut x = [x0[0], x0[1], x0[2]];
    for k in 0..obs.len() {
        x = step(&x, dt);
        for j in 0..3 {
            traj[k][j] = x[j];
        }
    }
    let misfit = traj
        .iter()
        .zip(obs)
        .map(|(a, b)| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2))
        .sum::<f64>();
    misfit / traj.len() as f64 + 0.1 * traj[traj.len() / 2][1]
}

fn observations() -> Vec<[f64; 3]> {
    (0..12)
        .map(|k| {
            let t = k as f64;
            [(0.3 * t).sin(), (0.2 * t).cos(), 1.0 + 0.1 * t]
        })
        .collect()
}

fn array3<T: Copy>(x: &[T]) -> [T; 3] {
    [x[0], x[1], x[2]]
}

#[test]
fn stored_trajectory_three_ways() {
    let obs = observations();
    let dt = 0.01;
    let s = Scalar {
        name: "stored_cost",
        f: &|x| stored_cost(&array3(x), &obs, dt),
        jvp: &|x, d| stored_cost_jvp(&array3(x), &array3(d), &obs, dt),
        vjp: &|x, g, y| stored_cost_vjp(&array3(x), g, &obs, dt, y),
        vjp_dual: &|x, g, y| stored_cost_vjp(&array3(x), g, &obs, dt, y),
    };
    for (seed, x0) in [[1.0, 0.5, -0.3], [-0.4, 0.9, 1.2], [0.2, -0.6, 0.8]]
        .iter()
        .enumerate()
    {
        prove(&s, x0, seed as u64);
        // The same numbers as the trajectory made at its final length, to the bit.
        assert_eq!(stored_cost(x0, &obs, dt), sized_cost(x0, &obs, dt));
        let d = [0.3, -0.2, 0.7];
        assert_eq!(
            stored_cost_jvp(x0, &d, &obs, dt),
            sized_cost_jvp(x0, &d, &obs, dt)
        );
        let (mut g, mut g_sized) = ([0.0; 3], [0.0; 3]);
        let v = stored_cost_vjp(x0, &mut g, &obs, dt, 0.5);
        assert_eq!(v, sized_cost_vjp(x0, &mut g_sized, &obs, dt, 0.5));
        assert_eq!(g, g_sized);
        let (value, grad) = stored_cost_grad(x0, &obs, dt);
        assert_eq!(
            (value, grad),
            (v, {
                let mut g1 = [0.0; 3];
                stored_cost_vjp(x0, &mut g1, &obs, dt, 1.0);
                g1.to_vec()
            })
        );
    }
}

/// The squared distance of a state to an observation, called on each stored row.
#[differentiable]
fn misfit(a: &[f64; 3], b0: f64, b1: f64, b2: f64) -> f64 {
    (a[0] - b0).powi(2) + (a[1] - b1).powi(2) + (a[2] - b2).powi(2)
}

/// The cost as a user writes it: the state copied out of its reference (`*x0`), each stored
/// row passed to a differentiable function from an iterator chain.
#[differentiable(wrt(x0))]
fn story_cost(x0: &[f64; 3], obs: &[[f64; 3]], dt: f64) -> f64 {
    let mut traj: Vec<[f64; 3]> = Vec::new();
    let mut x = *x0;
    for _ in 0..obs.len() {
        x = step(&x, dt);
        traj.push(x);
    }
    let misfit = traj
        .iter()
        .zip(obs)
        .map(|(a, b)| misfit(a, b[0], b[1], b[2]))
        .sum::<f64>();
    misfit / traj.len() as f64 + 0.1 * traj[traj.len() / 2][1]
}

#[test]
fn story_as_written_three_ways() {
    let obs = observations();
    let dt = 0.01;
    let s = Scalar {
        name: "story_cost",
        f: &|x| story_cost(&array3(x), &obs, dt),
        jvp: &|x, d| story_cost_jvp(&array3(x), &array3(d), &obs, dt),
        vjp: &|x, g, y| story_cost_vjp(&array3(x), g, &obs, dt, y),
        vjp_dual: &|x, g, y| story_cost_vjp(&array3(x), g, &obs, dt, y),
    };
    for (seed, x0) in [[1.0, 0.5, -0.3], [-0.4, 0.9, 1.2]].iter().enumerate() {
        prove(&s, x0, 50 + seed as u64);
        let (mut g, mut g_stored) = ([0.0; 3], [0.0; 3]);
        let v = story_cost_vjp(x0, &mut g, &obs, dt, 1.0);
        let w = stored_cost_vjp(x0, &mut g_stored, &obs, dt, 1.0);
        assert_eq!((v, g), (w, g_stored));
    }
}

#[differentiable]
fn norm2(p: &[f64]) -> f64 {
    p[0] * p[0] + p[1] * p[1].sin()
}

/// A row of a parameter given by the iterator, passed on whole (once refused: copy it first).
#[differentiable(wrt(pos))]
fn row_passed_on(pos: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for p in pos {
        s += norm2(p) * p[0];
    }
    s
}

fn rows2<T: Copy>(x: &[T]) -> Vec<[T; 2]> {
    x.chunks(2).map(|c| [c[0], c[1]]).collect()
}

#[test]
fn row_passed_to_a_call_three_ways() {
    let s = Scalar {
        name: "row_passed_on",
        f: &|x| row_passed_on(&rows2(x)),
        jvp: &|x, d| row_passed_on_jvp(&rows2(x), &rows2(d)),
        vjp: &|x, g, y| {
            let mut gb = rows2(g);
            let v = row_passed_on_vjp(&rows2(x), &mut gb, y);
            g.copy_from_slice(gb.as_flattened());
            v
        },
        vjp_dual: &|x, g, y| {
            let mut gb = rows2(g);
            let v = row_passed_on_vjp(&rows2(x), &mut gb, y);
            g.copy_from_slice(gb.as_flattened());
            v
        },
    };
    prove(&s, &[0.3, -0.7, 1.1, 0.4, -0.2, 0.9], 60);
}

/// `if let Some(a) = v.last()` (the element read as `a` and `*a`), `Some(&b)` of `first`, an
/// `else` taken when the `Vec` is empty, and a push in the branch after the element is read.
#[differentiable]
fn if_let_ends(p: &[f64], n: usize) -> f64 {
    let mut v = Vec::new();
    for k in 0..n {
        v.push(p[k % p.len()] * (1.5 + k as f64));
    }
    let mut s = 0.0;
    if let Some(a) = v.last() {
        s += a * a.sin() + *a;
    } else {
        s = p[0] * p[1];
    }
    if let Some(&b) = p.first() {
        s += b.exp() * s;
    }
    if let Some(c) = v.first() {
        let d = *c;
        v.push(d * 2.0);
        s += v[v.len() - 1] * d;
    }
    s
}

#[test]
fn if_let_on_first_and_last_three_ways() {
    for n in [0, 1, 3] {
        let s = Scalar {
            name: "if_let_ends",
            f: &|x| if_let_ends(x, n),
            jvp: &|x, d| if_let_ends_jvp(x, d, n),
            vjp: &|x, g, y| if_let_ends_vjp(x, g, n, y),
            vjp_dual: &|x, g, y| if_let_ends_vjp(x, g, n, y),
        };
        prove(&s, &[0.3, -0.7, 1.1], 70 + n as u64);
    }
}

#[differentiable]
fn weighted_sum(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..v.len() {
        s += v[k] * (k as f64 + 0.5).cos();
    }
    s
}

/// A `Vec` passed to a call and copied between pushes (the callee's adjoint and the copy's
/// see the length it had there), and returned whole.
#[differentiable]
fn passed_between(x: &[f64]) -> Vec<f64> {
    let mut v = Vec::new();
    let mut s = 0.0;
    for k in 0..x.len() {
        v.push(x[k] * x[(k + 1) % x.len()] + s);
        s += weighted_sum(&v);
        let w = v.clone();
        s += w[w.len() - 1].sin();
    }
    v.push(s);
    v
}

#[test]
fn passed_to_calls_between_pushes_three_ways() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let n = x.len();
    check(
        &Case {
            name: "passed_between",
            inputs: n,
            outputs: n + 1,
            f: &|x| passed_between(x),
            jvp: &|x, d| passed_between_jvp(x, d),
            vjp: &|x, y| {
                let mut g = vec![0.0; n];
                let v = passed_between_vjp(x, &mut g, y);
                (v, g)
            },
        },
        &x,
        80,
    );
}

/// Reals pushed in a `for` loop and read between pushes, pushed in a `while` loop under `if`,
/// then read by index, by iterator and by `last`.
#[differentiable]
fn pushed_between(p: &[f64], n: usize) -> f64 {
    let mut v = Vec::new();
    let mut s = 0.0;
    for k in 0..n {
        v.push(p[k % p.len()] * (k as f64 + 1.0).sin());
        s += v[v.len() - 1] * v[0] + *v.last().unwrap();
    }
    let mut t = 0.0;
    while t < 4.0 {
        if t > 1.0 {
            v.push(s * t + p[0] * v[v.len() / 2]);
        }
        t += 1.0;
    }
    for a in v.iter() {
        s += a * a.cos();
    }
    let mut r = 0.0;
    for k in 0..v.len() {
        r += v[k] * p[1];
    }
    s + r * v.len() as f64 + *v.last().unwrap()
}

#[test]
fn pushed_in_loops_and_branches_three_ways() {
    for n in [1, 3, 6] {
        let s = Scalar {
            name: "pushed_between",
            f: &|x| pushed_between(x, n),
            jvp: &|x, d| pushed_between_jvp(x, d, n),
            vjp: &|x, g, y| pushed_between_vjp(x, g, n, y),
            vjp_dual: &|x, g, y| pushed_between_vjp(x, g, n, y),
        };
        prove(&s, &[0.3, -0.7, 1.1], n as u64);
        prove(&s, &[-0.5, 0.2, 0.4, 0.9], 10 + n as u64);
    }
}

/// A `Vec` created inside a loop body (`vec![]`, its type written) and grown by an inner
/// loop whose trip count changes from one iteration to the next, a `while` loop that pushes
/// until a real condition holds.
#[differentiable]
fn grown_in_loop(p: &[f64]) -> f64 {
    let mut total: f64 = 0.0;
    for i in 0..3 {
        let mut w: Vec<f64> = vec![];
        for k in 0..i + 2 {
            w.push(p[k % p.len()] * total.cos() + (i + k) as f64);
        }
        let mut acc = 0.0;
        for a in &w {
            acc += a.sin();
        }
        total += acc * w[w.len() - 1];
    }
    let mut grown = Vec::<f64>::new();
    let mut x = p[0];
    while grown.len() < 5 && x.abs() < 50.0 {
        x = x * 1.5 + p[1];
        grown.push(x);
    }
    for k in 0..grown.len() {
        total += grown[k] * (k + 1) as f64;
    }
    total
}

#[test]
fn grown_inside_loops_three_ways() {
    let s = Scalar {
        name: "grown_in_loop",
        f: &grown_in_loop,
        jvp: &|x, d| grown_in_loop_jvp(x, d),
        vjp: &|x, g, y| grown_in_loop_vjp(x, g, y),
        vjp_dual: &|x, g, y| grown_in_loop_vjp(x, g, y),
    };
    for (seed, x) in [[0.3, -0.7, 1.1], [1.5, 0.2, -0.4]].iter().enumerate() {
        prove(&s, x, 20 + seed as u64);
    }
}

/// Locals named like generated ones: a pushed `Vec` called `result`, pushes of `x_bar`,
/// `__adj0`, `traj_bar` and a raw identifier.
#[differentiable]
#[allow(non_snake_case)]
fn adversarial(x: &[f64]) -> f64 {
    let mut result: Vec<[f64; 2]> = Vec::new();
    let mut traj_bar = Vec::with_capacity(4);
    let mut r#type = 0.0;
    for k in 0..x.len() {
        let x_bar = x[k] * 2.0;
        let __adj0 = x_bar.sin();
        result.push([x_bar, __adj0]);
        traj_bar.push(__adj0 * x_bar + r#type);
        r#type += result[k][1];
    }
    let mut out = 0.0;
    for (k, row) in result.iter().enumerate() {
        out += row[0] * row[1] * traj_bar[k];
    }
    out + r#type
}

#[test]
fn adversarial_names_three_ways() {
    let s = Scalar {
        name: "adversarial",
        f: &adversarial,
        jvp: &|x, d| adversarial_jvp(x, d),
        vjp: &|x, g, y| adversarial_vjp(x, g, y),
        vjp_dual: &|x, g, y| adversarial_vjp(x, g, y),
    };
    prove(&s, &[0.3, -0.7, 1.1, 0.25], 30);
}

macro_rules! pushing_fn {
    ($name:ident, $v:ident, $c:expr) => {
        /// A function written by a macro: the `Vec`, its pushes and its reads come from
        /// `macro_rules!`.
        #[differentiable]
        fn $name(x: &[f64]) -> f64 {
            let mut $v = Vec::new();
            for k in 0..x.len() {
                $v.push($c * x[k] * x[(k + 1) % x.len()]);
            }
            let mut s = 0.0;
            for a in $v.iter() {
                s += a.exp();
            }
            s * $v[0]
        }
    };
}

pushing_fn!(macro_pushed, acc, 0.5);

#[test]
fn macro_rules_function_three_ways() {
    let s = Scalar {
        name: "macro_pushed",
        f: &macro_pushed,
        jvp: &|x, d| macro_pushed_jvp(x, d),
        vjp: &|x, g, y| macro_pushed_vjp(x, g, y),
        vjp_dual: &|x, g, y| macro_pushed_vjp(x, g, y),
    };
    prove(&s, &[0.3, -0.7, 1.1], 40);
}
