//! `#[differentiable(rhs = Name)]`: the right-hand side as an `ode::Rhs`, checked three ways.

mod common;

use common::{check, Case};
use tapeless::differentiable;
use tapeless::ode::Rhs;

#[differentiable(rhs = Lorenz96)]
fn lorenz96(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0];
    }
}

#[test]
fn generated_rhs_is_differentiated_three_ways() {
    let n = 7;
    let f = |x: &[f64]| {
        let mut du = vec![0.0; n];
        Lorenz96.eval(&mut du, &x[..n], &x[n..], 0.3);
        du
    };
    check(
        &Case {
            name: "Lorenz96 as Rhs",
            inputs: n + 1,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
                Lorenz96.jvp(
                    &mut du,
                    &mut du_dot,
                    &x[..n],
                    &d[..n],
                    &x[n..],
                    &d[n..],
                    0.3,
                );
                (du, du_dot)
            },
            vjp: &|x, w| {
                let mut du = vec![0.0; n];
                let mut du_bar = w.to_vec();
                let mut g = vec![0.0; n + 1];
                let (ub, pb) = g.split_at_mut(n);
                Lorenz96.vjp(&mut du, &mut du_bar, &x[..n], ub, &x[n..], pb, 0.3);
                // The right-hand side overwrites `du`: its initial value has zero adjoint.
                assert!(du_bar.iter().all(|&v| v == 0.0));
                // `du` is scratch for `vjp`; the value comes from `eval`.
                let mut value = vec![0.0; n];
                lorenz96(&mut value, &x[..n], &x[n..], 0.3);
                (value, g)
            },
        },
        &[1.0, 2.0, -0.5, 0.3, 4.0, -1.2, 0.7, 8.0],
        51,
    );
}
