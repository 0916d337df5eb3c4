//! Every construct of the supported subset, checked three ways (finite differences, the
//! dot-product test, tangent against adjoint) through the generated companions.

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn straight_line(x: f64, y: f64) -> f64 {
    let a = x * y;
    let b = a.sin() + x / y;
    let c = -b * b - y.exp();
    c / (1.0 + x * x)
}

#[test]
fn straight_line_code() {
    check(
        &Case {
            name: "straight_line",
            inputs: 2,
            outputs: 1,
            f: &|x| vec![straight_line(x[0], x[1])],
            jvp: &|x, d| {
                let (v, t) = straight_line_jvp(x[0], d[0], x[1], d[1]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let (mut xb, mut yb) = (0.0, 0.0);
                let v = straight_line_vjp(x[0], &mut xb, x[1], &mut yb, w[0]);
                (vec![v], vec![xb, yb])
            },
        },
        &[0.7, 1.3],
        1,
    );
}

#[differentiable]
fn lorenz96(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0];
    }
}

#[differentiable]
fn rk4_step(u: &mut [f64], p: &[f64], t: f64, h: f64) {
    let n = u.len();
    let mut k1 = vec![0.0; n];
    let mut k2 = vec![0.0; n];
    let mut k3 = vec![0.0; n];
    let mut k4 = vec![0.0; n];
    let mut tmp = vec![0.0; n];
    lorenz96(&mut k1, u, p, t);
    for i in 0..n {
        tmp[i] = u[i] + 0.5 * h * k1[i];
    }
    lorenz96(&mut k2, &tmp, p, t + 0.5 * h);
    for i in 0..n {
        tmp[i] = u[i] + 0.5 * h * k2[i];
    }
    lorenz96(&mut k3, &tmp, p, t + 0.5 * h);
    for i in 0..n {
        tmp[i] = u[i] + h * k3[i];
    }
    lorenz96(&mut k4, &tmp, p, t + h);
    for i in 0..n {
        u[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

#[differentiable]
fn trajectory_cost(x0: &[f64], p: &[f64], obs: &[f64], steps: usize) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..steps {
        rk4_step(&mut u, p, 0.01 * k as f64, 0.01);
        if k % 3 == 2 {
            for i in (0..n).step_by(2) {
                let d = u[i] - obs[i];
                j += 0.5 * d * d;
            }
        }
    }
    j
}

#[test]
fn in_place_right_hand_side() {
    let n = 6;
    let f = |x: &[f64]| {
        let mut du = vec![0.0; n];
        lorenz96(&mut du, &x[..n], &x[n..n + 1], x[n + 1]);
        du
    };
    check(
        &Case {
            name: "lorenz96",
            inputs: n + 2,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
                lorenz96_jvp(
                    &mut du,
                    &mut du_dot,
                    &x[..n],
                    &d[..n],
                    &x[n..n + 1],
                    &d[n..n + 1],
                    x[n + 1],
                    d[n + 1],
                );
                (du, du_dot)
            },
            vjp: &|x, w| {
                let mut du = vec![0.0; n];
                let mut du_bar = w.to_vec();
                let mut x_bar = vec![0.0; n + 2];
                let (ub, rest) = x_bar.split_at_mut(n);
                let (pb, tb) = rest.split_at_mut(1);
                lorenz96_vjp(
                    &mut du,
                    &mut du_bar,
                    &x[..n],
                    ub,
                    &x[n..n + 1],
                    pb,
                    x[n + 1],
                    &mut tb[0],
                );
                // du's initial value does not matter: its adjoint must come back zero.
                assert!(du_bar.iter().all(|&v| v == 0.0));
                (du, x_bar)
            },
        },
        &[1.0, 2.0, -0.5, 0.3, 4.0, -1.2, 8.0, 0.0],
        2,
    );
}

#[test]
fn rk4_step_calls_the_right_hand_side() {
    let n = 5;
    let f = |x: &[f64]| {
        let mut u = x[..n].to_vec();
        rk4_step(&mut u, &x[n..n + 1], x[n + 1], x[n + 2]);
        u
    };
    check(
        &Case {
            name: "rk4_step",
            inputs: n + 3,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let mut u = x[..n].to_vec();
                let mut u_dot = d[..n].to_vec();
                rk4_step_jvp(
                    &mut u,
                    &mut u_dot,
                    &x[n..n + 1],
                    &d[n..n + 1],
                    x[n + 1],
                    d[n + 1],
                    x[n + 2],
                    d[n + 2],
                );
                (u, u_dot)
            },
            vjp: &|x, w| {
                let mut u = x[..n].to_vec();
                let mut u_bar = w.to_vec();
                let mut pb = [0.0];
                let (mut tb, mut hb) = (0.0, 0.0);
                rk4_step_vjp(
                    &mut u,
                    &mut u_bar,
                    &x[n..n + 1],
                    &mut pb,
                    x[n + 1],
                    &mut tb,
                    x[n + 2],
                    &mut hb,
                );
                let mut g = u_bar;
                g.extend([pb[0], tb, hb]);
                (u, g)
            },
        },
        &[1.0, 2.0, -0.5, 0.3, 4.0, 8.0, 0.1, 0.05],
        3,
    );
}

#[test]
fn loops_branches_and_calls_compose() {
    let n = 4;
    let obs = [0.5, -1.0, 2.0, 0.1];
    let f = |x: &[f64]| vec![trajectory_cost(&x[..n], &x[n..], &obs, 7)];
    check(
        &Case {
            name: "trajectory_cost",
            inputs: n + 1,
            outputs: 1,
            f: &f,
            jvp: &|x, d| {
                let (v, t) =
                    trajectory_cost_jvp(&x[..n], &d[..n], &x[n..], &d[n..], &obs, &[0.0; 4], 7);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; n + 1];
                let (xb, pb) = g.split_at_mut(n);
                let mut ob = [0.0; 4];
                let v = trajectory_cost_vjp(&x[..n], xb, &x[n..], pb, &obs, &mut ob, 7, w[0]);
                (vec![v], g)
            },
        },
        &[1.0, 2.0, -0.5, 0.3, 8.0],
        4,
    );
}
