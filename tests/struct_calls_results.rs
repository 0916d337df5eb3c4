//! An annotated caller taking a struct result: `let s2 = step(&s, p, h); s2.x[0]`, the time
//! loop `let mut s = State { .. }; for _ in 0..n { s = step(&s, p, h); }` with a cost of `s`'s
//! fields (the 4D-Var case), and the struct passed on to the next call. Each derivative is
//! proved three ways (central finite differences, the dot-product test, tangent against
//! adjoint), the time loop's Hessian-vector product at dual numbers against differences of
//! gradients and for symmetry, with adversarial names (`result`, `x_bar`, `__adj0`, `s_bar`)
//! and a `macro_rules!` caller.

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

fn state_from(v: &[f64]) -> State {
    State {
        x: [v[0], v[1], v[2]],
        t: v[3],
    }
}

#[test]
fn two_steps_taken_by_a_caller() {
    check_caller(
        "twice(s, p, h) taking step's results",
        twice,
        twice_jvp,
        twice_vjp,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01],
        11,
    );
}

/// The 4D-Var time loop: a state built by a literal, stepped `n` times by a call returning it,
/// observed at every step.
#[differentiable]
fn cost(x0: &[f64], p: &Params, h: f64, obs: &[f64], n: usize) -> f64 {
    let mut s = State {
        x: [x0[0], x0[1], x0[2]],
        t: 0.0,
    };
    let mut j = 0.0;
    for k in 0..n {
        s = step(&s, p, h);
        let d = s.x[0] - obs[k];
        j += 0.5 * d * d + 0.01 * s.x[2] * s.t;
    }
    j + s.x[1] * s.x[1]
}

const OBS: [f64; 6] = [1.1, 1.4, 1.9, 2.3, 2.2, 2.6];

#[test]
fn a_time_loop_assigning_a_struct_result() {
    let n = 6;
    let f = |x: &[f64]| vec![cost(&x[..3], &params_from(&x[3..6]), x[6], &OBS, n)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = cost_jvp(
            &x[..3],
            &d[..3],
            &params_from(&x[3..6]),
            &params_from(&d[3..6]),
            x[6],
            d[6],
            &OBS,
            &[0.0; 6],
            n,
        );
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = params_from(&x[3..6]);
        let (mut x_bar, mut p_bar, mut h_bar, mut o_bar) =
            (vec![0.0; 3], p.zero_like(), 0.0, [0.0; 6]);
        let v = cost_vjp(
            &x[..3],
            &mut x_bar,
            &p,
            &mut p_bar,
            x[6],
            &mut h_bar,
            &OBS,
            &mut o_bar,
            n,
            w[0],
        );
        x_bar.extend(p_bar.to_reals());
        x_bar.push(h_bar);
        (vec![v], x_bar)
    };
    let case = Case {
        name: "cost: s = step(&s, p, h) in a loop",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01], 21);
    check(&case, &[-2.0, 0.5, 20.0, 9.0, 30.0, 2.0, 0.02], 22);
}

/// The gradient of `cost` in `(x0, p, h)`.
fn cost_gradient(x: &[f64], g: &mut [f64]) {
    let p = params_from(&x[3..6]);
    let (mut x_bar, mut p_bar, mut h_bar, mut o_bar) = (vec![0.0; 3], p.zero_like(), 0.0, [0.0; 6]);
    cost_vjp(
        &x[..3],
        &mut x_bar,
        &p,
        &mut p_bar,
        x[6],
        &mut h_bar,
        &OBS,
        &mut o_bar,
        6,
        1.0,
    );
    x_bar.extend(p_bar.to_reals());
    x_bar.push(h_bar);
    g.copy_from_slice(&x_bar);
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
        let obs: Vec<Dual<f64, 1>> = OBS.iter().map(|&o| Dual::constant(o)).collect();
        let (mut x_bar, mut p_bar, mut h_bar) = (
            vec![Dual::constant(0.0); 3],
            p.zero_like(),
            Dual::constant(0.0),
        );
        let mut o_bar = vec![Dual::constant(0.0); 6];
        cost_vjp(
            &z[..3],
            &mut x_bar,
            &p,
            &mut p_bar,
            z[6],
            &mut h_bar,
            &obs,
            &mut o_bar,
            6,
            Dual::constant(1.0),
        );
        let mut all: Vec<f64> = x_bar.iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(cost_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_calls_results");
}

/// Fields and locals named as the generated code's.
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
    let __adj0 = result.result * x_bar;
    Odd {
        x_bar: [result.x_bar[1] * __adj0, result.x_bar[0] * x_bar.sin()],
        __adj0: result.__adj0 + result.result * result.x_bar[0],
        result: (0.3 * __adj0).exp(),
        s_bar: result.s_bar * x_bar + result.__adj0,
    }
}

/// A caller whose locals and parameters have the generated code's names, stepping a literal.
#[differentiable]
fn odd_run(result_bar: f64, x_bar: f64, n: usize) -> f64 {
    let mut s_bar = Odd {
        result: result_bar,
        x_bar: [x_bar, 0.5 * result_bar],
        __adj0: 0.1,
        s_bar: x_bar * x_bar,
    };
    for _ in 0..n {
        s_bar = odd_step(&s_bar, x_bar);
    }
    let __adj0 = odd_step(&s_bar, 0.5);
    __adj0.result + s_bar.x_bar[1] * __adj0.s_bar - s_bar.__adj0
}

#[test]
fn adversarial_names_in_a_caller_taking_results() {
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
macro_rules! stepper {
    ($name:ident, $steps:expr) => {
        #[differentiable]
        fn $name(s: &State, p: &Params, h: f64) -> f64 {
            let mut u = State {
                x: [s.x[0], s.x[1], s.x[2]],
                t: s.t,
            };
            for _ in 0..$steps {
                u = step(&u, p, h);
            }
            u.x[0] + u.x[1] * u.x[2] + u.t
        }
    };
}

stepper!(three_steps, 3);

#[test]
fn a_caller_written_by_a_macro() {
    check_caller(
        "three_steps (macro_rules!)",
        three_steps,
        three_steps_jvp,
        three_steps_vjp,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.02],
        51,
    );
}

/// A raw parameter name (`r#type`) on a struct parameter of a caller taking results.
#[differentiable]
fn raw_names(r#type: &State, p: &Params, h: f64) -> f64 {
    let r#s2 = step(r#type, p, h);
    r#s2.x[0] * r#s2.t
}

#[test]
fn raw_names_in_a_caller_taking_a_result() {
    let x = [1.0, 2.0, 3.0, 0.5];
    let p = params_from(&[10.0, 28.0, 2.0]);
    let (v, g) = raw_names_grad(&state_from(&x), &p, 0.01);
    assert_eq!(v, raw_names(&state_from(&x), &p, 0.01));
    let f = |s: &State| raw_names(s, &p, 0.01);
    let (s_bar, _, _) = g;
    for k in 0..4 {
        let (mut a, mut b) = (x, x);
        a[k] += 1e-6;
        b[k] -= 1e-6;
        let fd = (f(&state_from(&a)) - f(&state_from(&b))) / 2e-6;
        common::assert_close(
            s_bar.to_reals()[k],
            fd,
            1e-6,
            "raw_names_grad against differences",
        );
    }
}

/// Fields named as each other's tangent and adjoint: the flat name of `s.x_bar` is not the
/// adjoint of `s.x`'s (a clash the mutation test found).
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Two {
    x: f64,
    x_bar: f64,
    x_dot: f64,
}

#[differentiable]
fn two_cost(s: &Two, h: f64) -> f64 {
    s.x * s.x_bar + h * s.x_dot * s.x
}

#[differentiable]
fn two_step(s: &Two, h: f64) -> Two {
    Two {
        x_bar: s.x_bar + h * s.x,
        x: s.x * h + s.x_dot,
        x_dot: s.x_bar * s.x_dot,
    }
}

fn two_from(v: &[f64]) -> Two {
    Two {
        x: v[0],
        x_bar: v[1],
        x_dot: v[2],
    }
}

#[test]
fn fields_named_as_each_others_tangent_and_adjoint() {
    let f = |x: &[f64]| vec![two_cost(&two_from(x), x[3])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = two_cost_jvp(&two_from(x), &two_from(d), x[3], d[3]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = two_from(x);
        let (mut s_bar, mut h_bar) = (s.zero_like(), 0.0);
        let v = two_cost_vjp(&s, &mut s_bar, x[3], &mut h_bar, w[0]);
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "two_cost(s: &Two { x, x_bar, x_dot }, h)",
        inputs: 4,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, -1.2, 0.8, 0.5], 61);
    let f = |x: &[f64]| two_step(&two_from(x), x[3]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = two_step_jvp(&two_from(x), &two_from(d), x[3], d[3]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = two_from(x);
        let (mut s_bar, mut h_bar) = (s.zero_like(), 0.0);
        let v = two_step_vjp(&s, &mut s_bar, x[3], &mut h_bar, &two_from(w));
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "two_step(s: &Two, h) -> Two",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, -1.2, 0.8, 0.5], 62);
}
