//! A struct an annotated caller holds as its reals (taken from a call, or a literal stepped by
//! calls) passed to an annotated function that does not return a struct: `let s2 = step(&s, p,
//! h); energy(&s2, p)`, and the 4D-Var cost of every state of the time loop, `s = step(&s, p,
//! h); j += misfit(&s, obs[k]);`. Each derivative is proved three ways (central finite
//! differences, the dot-product test, tangent against adjoint), the time loop's Hessian-vector
//! product at dual numbers against differences of gradients and for symmetry, with adversarial
//! names (`result`, `x_bar`, `__adj0`, `s_bar`) and a `macro_rules!` caller.

mod common;

use common::caller::{check_caller, FromReals};
use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

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
fn energy(s: &State, p: &Params) -> f64 {
    0.5 * (s.x[0] * s.x[0] + s.x[1] * s.x[1]) + p.beta * s.x[2] * s.t
}

#[differentiable]
fn distance(a: &State, b: &State) -> f64 {
    let mut d = 0.0;
    for i in 0..3 {
        d += (a.x[i] - b.x[i]) * (a.x[i] - b.x[i]);
    }
    d.sqrt() + a.t * b.t
}

/// Writes an observation of the state into `y` (a function returning nothing).
#[differentiable]
fn observe(s: &State, y: &mut [f64]) {
    y[0] = s.x[0] * s.x[1];
    y[1] = (s.x[2] * s.t).sin();
}

/// Held structs passed on: to `energy` (a real, with a struct parameter of the caller), to
/// `distance` (two held structs), to `observe` (an array written), and to `step`.
#[differentiable]
fn run(s: &State, p: &Params, h: f64) -> f64 {
    let s2 = step(s, p, h);
    let s3 = step(&s2, p, h);
    let mut y = [0.0; 2];
    observe(&s3, &mut y);
    energy(&s3, p) + s2.x[0] * energy(&s2, p) + distance(&s2, &s3) * distance(s, &s3) + y[0] * y[1]
}

/// A struct taken from a call and only passed on (no field read): its type written (an array
/// result could be passed on so too).
#[differentiable]
fn passed_on_only(s: &State, p: &Params, h: f64) -> f64 {
    let s2: State = step(s, p, h);
    let e = energy(&s2, p);
    e * e
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

impl FromReals for State {
    fn from_reals(v: &[f64]) -> Self {
        state_from(v)
    }
}

impl FromReals for Params {
    fn from_reals(v: &[f64]) -> Self {
        params_from(v)
    }
}

const X: [f64; 8] = [1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01];

#[test]
fn held_structs_passed_to_functions_not_returning_a_struct() {
    check_caller("run", run, run_jvp, run_vjp, &X, 11);
    let y = [-0.5, 1.5, 2.0, 0.2, 9.0, 20.0, 2.0, 0.03];
    check_caller("run", run, run_jvp, run_vjp, &y, 12);
}

#[test]
fn a_struct_taken_and_only_passed_on() {
    check_caller(
        "passed_on_only",
        passed_on_only,
        passed_on_only_jvp,
        passed_on_only_vjp,
        &X,
        13,
    );
    // The held struct's value is the struct's: the same as calling by hand.
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let e = energy(&step(&s, &p, X[7]), &p);
    assert_eq!(passed_on_only(&s, &p, X[7]), e * e);
    assert_eq!(passed_on_only_grad(&s, &p, X[7]).0, e * e);
}

/// The misfit of a state to one observation (a row of `obs`, data).
#[differentiable(wrt(s))]
fn misfit(s: &State, o: [f64; 3]) -> f64 {
    let mut j = 0.0;
    for i in 0..3 {
        let d = s.x[i] - o[i];
        j += 0.5 * d * d;
    }
    j
}

/// The 4D-Var cost: a state built by a literal, stepped by a call returning it, and the misfit of
/// every state (the observations data, outside `wrt(..)`).
#[differentiable(wrt(x0, p, h))]
fn cost(x0: &[f64], p: &Params, h: f64, obs: &[[f64; 3]]) -> f64 {
    let mut s = State {
        x: [x0[0], x0[1], x0[2]],
        t: 0.0,
    };
    let mut j = 0.0;
    for k in 0..obs.len() {
        s = step(&s, p, h);
        j += misfit(&s, obs[k]);
    }
    j + 0.1 * energy(&s, p)
}

const OBS: [[f64; 3]; 5] = [
    [1.1, 2.3, 2.9],
    [1.4, 2.5, 2.8],
    [1.9, 2.8, 2.8],
    [2.3, 3.2, 2.9],
    [2.2, 3.9, 3.0],
];

#[test]
fn the_4dvar_time_loop_with_a_misfit_of_each_state() {
    let f = |x: &[f64]| vec![cost(&x[..3], &params_from(&x[3..6]), x[6], &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = cost_jvp(
            &x[..3],
            &d[..3],
            &params_from(&x[3..6]),
            &params_from(&d[3..6]),
            x[6],
            d[6],
            &OBS,
        );
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (g, v) = cost_gradient_at(x, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "cost: s = step(&s, p, h); j += misfit(&s, obs[k])",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01], 21);
    check(&case, &[-2.0, 0.5, 20.0, 9.0, 30.0, 2.0, 0.02], 22);
    // The value is the loop's written by hand.
    let (x0, p, h) = ([1.0, 2.0, 3.0], params_from(&[10.0, 28.0, 2.5]), 0.01);
    let mut s = state_from(&[x0[0], x0[1], x0[2], 0.0]);
    let mut j = 0.0;
    for o in &OBS {
        s = step(&s, &p, h);
        j += misfit(&s, *o);
    }
    assert_eq!(cost(&x0, &p, h, &OBS), j + 0.1 * energy(&s, &p));
}

/// The gradient of `cost` in `(x0, p, h)` times `w`, and the value.
fn cost_gradient_at(x: &[f64], w: f64) -> (Vec<f64>, f64) {
    let p = params_from(&x[3..6]);
    let (mut x_bar, mut p_bar, mut h_bar) = (vec![0.0; 3], p.zero_like(), 0.0);
    let v = cost_vjp(
        &x[..3],
        &mut x_bar,
        &p,
        &mut p_bar,
        x[6],
        &mut h_bar,
        &OBS,
        w,
    );
    x_bar.extend(p_bar.to_reals());
    x_bar.push(h_bar);
    (x_bar, v)
}

#[test]
fn hessian_vector_product_of_the_time_loop_at_dual_numbers() {
    let x = [1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01];
    let mut draws = common::Draws::new(31);
    let (u, w) = (draws.vec(7), draws.vec(7));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = x
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let mut p: Params<Dual<f64, 1>> = params_from(&x[3..6]).lift();
        p.set_reals(&z[3..6]).expect("three reals");
        let (mut x_bar, mut p_bar, mut h_bar) = (
            vec![Dual::constant(0.0); 3],
            p.zero_like(),
            Dual::constant(0.0),
        );
        cost_vjp(
            &z[..3],
            &mut x_bar,
            &p,
            &mut p_bar,
            z[6],
            &mut h_bar,
            &OBS,
            Dual::constant(1.0),
        );
        let mut all: Vec<f64> = x_bar.iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&cost_gradient_at(x, 1.0).0);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_held_calls");
}

/// Fields, parameters and locals named as the generated code's.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Odd {
    result: f64,
    x_bar: [f64; 2],
    __adj0: f64,
    s_bar: f64,
}

#[differentiable]
fn odd_step(result: &Odd, x_bar: f64) -> Odd {
    Odd {
        x_bar: [result.x_bar[1] * x_bar, result.x_bar[0] * x_bar.sin()],
        __adj0: result.__adj0 + result.result * result.x_bar[0],
        result: (0.3 * result.result).exp(),
        s_bar: result.s_bar * x_bar + result.__adj0,
    }
}

#[differentiable]
fn odd_energy(s_bar: &Odd, result: f64) -> f64 {
    s_bar.result * result + s_bar.x_bar[0] * s_bar.x_bar[1] + s_bar.__adj0 * s_bar.s_bar
}

#[differentiable]
fn odd_run(result_bar: f64, x_bar: f64, n: usize) -> f64 {
    let mut s_bar = Odd {
        result: result_bar,
        x_bar: [x_bar, 0.5 * result_bar],
        __adj0: 0.1,
        s_bar: x_bar * x_bar,
    };
    let mut __adj0 = 0.0;
    for _ in 0..n {
        s_bar = odd_step(&s_bar, x_bar);
        __adj0 += odd_energy(&s_bar, x_bar);
    }
    let result = odd_step(&s_bar, 0.5);
    __adj0 * odd_energy(&result, result_bar)
}

#[test]
fn adversarial_names_in_a_caller_passing_held_structs() {
    let f = |x: &[f64]| vec![odd_run(x[0], x[1], 3)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = odd_run_jvp(x[0], d[0], x[1], d[1], 3);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = odd_run_vjp(x[0], &mut a, x[1], &mut b, 3, w[0]);
        (vec![v], vec![a, b])
    };
    let case = Case {
        name: "odd_run(result_bar, x_bar, n)",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, 0.7], 41);
}

/// A caller written by a `macro_rules!` macro.
macro_rules! observed {
    ($name:ident, $steps:expr) => {
        #[differentiable]
        fn $name(s: &State, p: &Params, h: f64) -> f64 {
            let mut u = State {
                x: [s.x[0], s.x[1], s.x[2]],
                t: s.t,
            };
            let mut j = 0.0;
            for _ in 0..$steps {
                u = step(&u, p, h);
                j += energy(&u, p) * distance(&u, s);
            }
            j
        }
    };
}

observed!(three_observed, 3);

#[test]
fn a_caller_written_by_a_macro() {
    check_caller(
        "three_observed (macro_rules!)",
        three_observed,
        three_observed_jvp,
        three_observed_vjp,
        &X,
        51,
    );
}
