//! Struct results: `fn step(s: &State, p: &Params, h: f64) -> State { .. State { .. } }`, the
//! companions returning the struct at the scalar type (`step_jvp` its value and tangent,
//! `step_vjp` taking the result's adjoint `result_bar: &State<S>`). Each derivative is proved
//! three ways (central finite differences, the dot-product test, tangent against adjoint), a
//! least-squares cost of the result has its Hessian-vector product at dual numbers checked
//! against differences of gradients and for symmetry, and names are adversarial (`result`,
//! `x_bar`, `__adj0`).

mod common;

use common::{assert_close, check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
}

/// A state with an array of reals, a time and a step count.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 3],
    t: f64,
    steps: usize,
}

/// One midpoint (RK2) step of Lorenz-63 returning the new state; the locals have the names of
/// the generated code's.
#[differentiable]
fn step(s: &State, p: &Params, h: f64) -> State {
    let result = [
        p.sigma * (s.x[1] - s.x[0]),
        s.x[0] * (p.rho - s.x[2]) - s.x[1],
        s.x[0] * s.x[1] - p.beta * s.x[2],
    ];
    let x_bar = [
        s.x[0] + 0.5 * h * result[0],
        s.x[1] + 0.5 * h * result[1],
        s.x[2] + 0.5 * h * result[2],
    ];
    let __adj0 = [
        p.sigma * (x_bar[1] - x_bar[0]),
        x_bar[0] * (p.rho - x_bar[2]) - x_bar[1],
        x_bar[0] * x_bar[1] - p.beta * x_bar[2],
    ];
    State {
        x: [
            s.x[0] + h * __adj0[0],
            s.x[1] + h * __adj0[1],
            s.x[2] + h * __adj0[2],
        ],
        t: s.t + h,
        steps: s.steps + 1,
    }
}

/// A result field copied from a local array, the fields written out of declaration order, and
/// parameters named `result` and `x_bar` (whose adjoints are `result_bar` and `x_bar_bar`).
#[differentiable]
fn damp(result: &State, x_bar: f64) -> State {
    let mut q = [0.0; 3];
    for i in 0..3 {
        q[i] = result.x[i] * (-x_bar * result.t).exp();
    }
    State {
        steps: 0,
        t: result.t * x_bar,
        x: q,
    }
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    a: f64,
    b: f64,
}

/// Nested structs, an array written by a repeat, an integer and a bool.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Summary {
    mean: f64,
    spread: Pair,
    w: [f64; 2],
    n: usize,
    ok: bool,
}

/// A result built from plain parameters only (no struct parameter).
#[differentiable]
fn summarize(x: &[f64], n: usize) -> Summary {
    let mut m = 0.0;
    for i in 0..n {
        m += x[i];
    }
    m /= n as f64;
    let mut v = 0.0;
    for i in 0..n {
        v += (x[i] - m) * (x[i] - m);
    }
    Summary {
        mean: m,
        spread: Pair {
            a: v.sqrt(),
            b: x[0].sin() * m,
        },
        w: [x[1] * m; 2],
        n,
        ok: n > 1,
    }
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
        steps: 7,
    }
}

/// The result's adjoint: the result's shape with the reals `w`.
fn seed_like<T: Struct<Scalar = f64>>(value: &T, w: &[f64]) -> T {
    let mut seed = value.zero_like();
    seed.set_reals(w).expect("one weight per real");
    seed
}

#[test]
fn a_state_returned_by_a_step() {
    let f = |x: &[f64]| step(&state_from(x), &params_from(&x[4..7]), x[7]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = step_jvp(
            &state_from(x),
            &state_from(d),
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        assert_eq!((v.steps, t.steps), (8, 8));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let p = params_from(&x[4..7]);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
        let seed = seed_like(&step(&s, &p, x[7]), w);
        let v = step_vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, &seed);
        assert_eq!(v.steps, 8);
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "step(s: &State, p: &Params, h) -> State",
        inputs: 8,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(
        &case,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01],
        11,
    );
    check(&case, &[-4.0, 1.5, 20.0, 0.0, 9.0, 30.0, 2.0, 0.05], 12);
}

#[test]
fn adversarial_parameter_names_and_a_copied_array_field() {
    let f = |x: &[f64]| damp(&state_from(x), x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = damp_jvp(&state_from(x), &state_from(d), x[4], d[4]);
        assert_eq!(v.steps, 0);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let (mut s_bar, mut k_bar) = (s.zero_like(), 0.0);
        // The parameter `result`'s adjoint is `result_bar`: the seed comes after it.
        let seed = seed_like(&damp(&s, x[4]), w);
        let v = damp_vjp(&s, &mut s_bar, x[4], &mut k_bar, &seed);
        let mut g = s_bar.to_reals();
        g.push(k_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "damp(result: &State, x_bar) -> State",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, -2.0, 3.0, 0.7, 0.3], 21);
}

#[test]
fn nested_integer_and_bool_fields_of_a_result() {
    let n = 4;
    let f = |x: &[f64]| summarize(x, n).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = summarize_jvp(x, d, n);
        assert_eq!((v.n, v.ok, t.n, t.ok), (4, true, 4, true));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut g = vec![0.0; x.len()];
        let seed = seed_like(&summarize(x, n), w);
        let v = summarize_vjp(x, &mut g, n, &seed);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "summarize(x: &[f64], n) -> Summary",
        inputs: 4,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, 1.7, -0.4, 2.2], 31);
    assert!(!summarize(&[1.0, 2.0], 1).ok);
    assert_eq!(
        summarize_generic(&[1.0f64, 2.0], 1),
        summarize(&[1.0, 2.0], 1)
    );
}

/// The reals of `(s, p, h)` at dual numbers, seeded along `dir`.
fn lift_along(x: &[f64], dir: &[f64]) -> (State<Dual<f64, 1>>, Params<Dual<f64, 1>>, Dual<f64, 1>) {
    let z: Vec<Dual<f64, 1>> = x
        .iter()
        .zip(dir)
        .map(|(v, d)| Dual::new(*v, [*d]))
        .collect();
    let mut s: State<Dual<f64, 1>> = state_from(x).lift();
    s.set_reals(&z[..4]).expect("four reals");
    let mut p: Params<Dual<f64, 1>> = params_from(&x[4..7]).lift();
    p.set_reals(&z[4..7]).expect("three reals");
    (s, p, z[7])
}

/// The gradient of `J = |step(s, p, h)|^2 / 2` at `x`: `step_vjp` seeded with the result.
fn cost_gradient(x: &[f64], g: &mut [f64]) {
    let (s, p) = (state_from(x), params_from(&x[4..7]));
    let r = step(&s, &p, x[7]);
    let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
    step_vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, &r);
    let mut all = s_bar.to_reals();
    all.extend(p_bar.to_reals());
    all.push(h_bar);
    g.copy_from_slice(&all);
}

#[test]
fn hessian_vector_product_of_a_cost_of_the_result_at_dual_numbers() {
    let x = [1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01];
    let mut draws = common::Draws::new(41);
    let (u, w) = (draws.vec(8), draws.vec(8));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let (s, p, h) = lift_along(&x, dir);
        // The value at dual numbers seeds the adjoint: the gradient's tangent is H dir.
        let r = step_generic(&s, &p, h);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), Dual::constant(0.0));
        let v = step_vjp(&s, &mut s_bar, &p, &mut p_bar, h, &mut h_bar, &r);
        assert_eq!(v, r);
        let mut all: Vec<f64> = s_bar.to_reals().iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(cost_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_results");
    // The generic companion at dual numbers carries the tangent of `step_jvp`.
    let (s, p, h) = lift_along(&x, &u);
    let r = step_generic(&s, &p, h);
    let (_, t) = step_jvp(
        &state_from(&x),
        &state_from(&u),
        &params_from(&x[4..7]),
        &params_from(&u[4..7]),
        x[7],
        u[7],
    );
    for (a, b) in r.to_reals().iter().zip(t.to_reals()) {
        assert_close(
            a.tangents[0],
            b,
            1e-13,
            "step_generic at Dual against step_jvp",
        );
    }
    assert_eq!(r.steps, 8);
}

/// Fields named as the generated code's locals.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Odd {
    result: f64,
    x_bar: [f64; 2],
    __adj0: f64,
}

/// A struct result whose fields and parameters have the generated code's names.
#[differentiable]
fn odd_step(result: &Odd, x_bar: f64) -> Odd {
    let __adj0 = result.result * x_bar;
    Odd {
        x_bar: [result.x_bar[1] * __adj0, result.x_bar[0] * x_bar.sin()],
        __adj0: result.__adj0 + result.result * result.x_bar[0],
        result: __adj0.exp(),
    }
}

/// In place, with the same names, and a time loop passing it whole.
#[differentiable]
fn odd_advance(result: &mut Odd, x_bar: f64) {
    let __adj0 = result.result * x_bar;
    result.x_bar[0] += __adj0 * result.x_bar[1];
    result.__adj0 *= result.x_bar[0].cos();
    result.result += x_bar * result.__adj0;
}

#[differentiable]
fn odd_run(result_bar: &mut Odd, x_bar: f64, n: usize) {
    for _ in 0..n {
        odd_advance(result_bar, x_bar);
    }
}

fn odd_from(v: &[f64]) -> Odd {
    Odd {
        result: v[0],
        x_bar: [v[1], v[2]],
        __adj0: v[3],
    }
}

#[test]
fn adversarial_field_names_in_a_result_and_in_place() {
    let f = |x: &[f64]| odd_step(&odd_from(x), x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = odd_step_jvp(&odd_from(x), &odd_from(d), x[4], d[4]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let o = odd_from(x);
        let (mut o_bar, mut k_bar) = (o.zero_like(), 0.0);
        let seed = odd_from(w);
        let v = odd_step_vjp(&o, &mut o_bar, x[4], &mut k_bar, &seed);
        let mut g = o_bar.to_reals();
        g.push(k_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "odd_step(result: &Odd, x_bar) -> Odd",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, -1.2, 0.8, 0.5, 0.9], 51);
    let n = 3;
    let f = |x: &[f64]| {
        let mut o = odd_from(x);
        odd_run(&mut o, x[4], n);
        o.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut o, mut o_dot) = (odd_from(x), odd_from(d));
        odd_run_jvp(&mut o, &mut o_dot, x[4], d[4], n);
        (o.to_reals(), o_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut o, mut o_bar) = (odd_from(x), odd_from(w));
        let mut k_bar = 0.0;
        odd_run_vjp(&mut o, &mut o_bar, x[4], &mut k_bar, n);
        let mut g = o_bar.to_reals();
        g.push(k_bar);
        (o.to_reals(), g)
    };
    let case = Case {
        name: "odd_run(result_bar: &mut Odd, x_bar, n) calling odd_advance",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, -1.2, 0.8, 0.5, 0.9], 52);
}

/// Differentiated in `s` only: `h` takes no tangent or adjoint.
#[differentiable(wrt(s))]
fn shift(s: &State, h: f64) -> State {
    State {
        x: [
            s.x[0] * h.cos(),
            s.x[1] + s.x[0] * s.x[2],
            (s.x[2] * h).sin(),
        ],
        t: s.t * s.t,
        steps: s.steps,
    }
}

#[test]
fn a_struct_result_with_wrt() {
    let h = 0.3;
    let f = |x: &[f64]| shift(&state_from(x), h).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = shift_jvp(&state_from(x), &state_from(d), h);
        assert_eq!(v.steps, 7);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let mut s_bar = s.zero_like();
        let v = shift_vjp(&s, &mut s_bar, h, &state_from(w));
        (v.to_reals(), s_bar.to_reals())
    };
    let case = Case {
        name: "shift(s: &State, h) -> State, wrt(s)",
        inputs: 4,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, -1.0, 2.0, 1.5], 61);
}

/// A `&mut` state written by the body and a result copying its last values and the other
/// parameter's.
#[differentiable]
fn relax(s: &mut State, p: &Params, h: f64) -> Params {
    for i in 0..3 {
        s.x[i] *= 1.0 - h * p.beta;
    }
    s.t += h * s.x[0];
    Params {
        sigma: s.t,
        rho: p.rho,
        beta: s.x[1] * p.sigma,
    }
}

/// Fields copied whole from a struct parameter (`x: s.x`, `steps: s.steps`): their kind is not
/// visible, so the companions copy them with their tangents and adjoints.
#[differentiable]
fn hold(s: &State) -> State {
    State {
        t: s.t * s.x[0],
        x: s.x,
        steps: s.steps,
    }
}

#[test]
fn fields_copied_from_parameters() {
    let f = |x: &[f64]| hold(&state_from(x)).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = hold_jvp(&state_from(x), &state_from(d));
        assert_eq!((v.steps, t.steps), (7, 7));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let mut s_bar = s.zero_like();
        let v = hold_vjp(&s, &mut s_bar, &state_from(w));
        (v.to_reals(), s_bar.to_reals())
    };
    let case = Case {
        name: "hold(s: &State) -> State copying s.x, s.steps",
        inputs: 4,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, -1.0, 2.0, 1.5], 71);
    let f = |x: &[f64]| {
        let mut s = state_from(x);
        let r = relax(&mut s, &params_from(&x[4..7]), x[7]);
        let mut out = s.to_reals();
        out.extend(r.to_reals());
        out
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        let (p, p_dot) = (params_from(&x[4..7]), params_from(&d[4..7]));
        let (r, r_dot) = relax_jvp(&mut s, &mut s_dot, &p, &p_dot, x[7], d[7]);
        let (mut v, mut t) = (s.to_reals(), s_dot.to_reals());
        v.extend(r.to_reals());
        t.extend(r_dot.to_reals());
        (v, t)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut s = state_from(x);
        let mut s_bar = state_from(&w[..4]);
        let p = params_from(&x[4..7]);
        let (mut p_bar, mut h_bar) = (p.zero_like(), 0.0);
        let r = relax_vjp(
            &mut s,
            &mut s_bar,
            &p,
            &mut p_bar,
            x[7],
            &mut h_bar,
            &params_from(&w[4..7]),
        );
        let mut v = s.to_reals();
        v.extend(r.to_reals());
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (v, g)
    };
    let case = Case {
        name: "relax(s: &mut State, p: &Params, h) -> Params copying s.t, p.rho",
        inputs: 8,
        outputs: 7,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(
        &case,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01],
        72,
    );
    assert_eq!(hold(&state_from(&[2.0; 4])).x, [2.0; 3]);
}
