//! An annotated caller taking a struct result: `let s2 = step(&s, p, h); s2.x[0]`, the time
//! loop `s = step(&s, p, h);`, and the struct passed on to the next call.

mod common;

use common::{check, Case};
use tapeless::{differentiable, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 3],
    t: f64,
}

#[differentiable]
fn step(s: &State, p: &Params, h: f64) -> State {
    let d = [
        p.sigma * (s.x[1] - s.x[0]),
        s.x[0] * (p.rho - s.x[2]) - s.x[1],
        s.x[0] * s.x[1] - p.beta * s.x[2],
    ];
    State {
        x: [s.x[0] + h * d[0], s.x[1] + h * d[1], s.x[2] + h * d[2]],
        t: s.t + h,
    }
}

#[differentiable]
fn twice(s: &State, p: &Params, h: f64) -> f64 {
    let s2 = step(s, p, h);
    let s3 = step(&s2, p, h);
    s3.x[0] * s2.x[1] + s3.t * s2.x[2]
}

fn params_from(v: &[f64]) -> Params {
    Params {
        sigma: v[0],
        rho: v[1],
        beta: v[2],
    }
}

fn state_from(v: &[f64]) -> State {
    State {
        x: [v[0], v[1], v[2]],
        t: v[3],
    }
}

#[test]
fn two_steps_taken_by_a_caller() {
    let f = |x: &[f64]| vec![twice(&state_from(x), &params_from(&x[4..7]), x[7])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = twice_jvp(
            &state_from(x),
            &state_from(d),
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let p = params_from(&x[4..7]);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
        let v = twice_vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, w[0]);
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "twice(s, p, h) taking step's results",
        inputs: 8,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01], 11);
}
