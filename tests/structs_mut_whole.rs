//! A `&mut` struct passed whole to an annotated call (`advance(s, p, h)` in a time loop), and a
//! `&mut self` method calling a method of `self` (`self.advance(h)`): the caller does not use the
//! struct's fields itself, so the whole struct stands for itself in the flattened function,
//! saved and restored around the calls through its reals. Each derivative is proved three ways
//! (central finite differences, the dot-product test, tangent against adjoint), a cost of the
//! final state has its Hessian-vector product at dual numbers checked, and names are
//! adversarial (`result`, `x_bar`, `__adj0`).

mod common;

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

/// A state with an array of reals, a time and a step count.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 3],
    t: f64,
    steps: usize,
}

/// One Euler step of Lorenz-63 in place, with a nonlinear time update.
#[differentiable]
fn advance(result: &mut State, x_bar: &Params, h: f64) {
    let __adj0 = [
        x_bar.sigma * (result.x[1] - result.x[0]),
        result.x[0] * (x_bar.rho - result.x[2]) - result.x[1],
        result.x[0] * result.x[1] - x_bar.beta * result.x[2],
    ];
    for i in 0..3 {
        result.x[i] += h * __adj0[i];
    }
    result.t += h * (1.0 + 0.1 * result.x[0].sin());
}

/// A time loop passing the `&mut` state whole, and the parameters whole.
#[differentiable]
fn run(s: &mut State, p: &Params, h: f64, n: usize) {
    for _k in 0..n {
        advance(s, p, h);
    }
}

/// Two calls and a call through `&mut *`, the state named as the generated code's locals.
#[differentiable]
fn two_stages(x_bar: &mut State, p: &Params, h: f64) {
    advance(x_bar, p, 0.5 * h);
    advance(&mut *x_bar, p, h * h);
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

/// The tangent companion of an in-place step: `(s, s_dot, p, p_dot, h, h_dot)`.
type Tangent<'a> = &'a dyn Fn(&mut State, &mut State, &Params, &Params, f64, f64);
/// The adjoint companion of an in-place step: `(s, s_bar, p, p_bar, h, h_bar)`.
type Adjoint<'a> = &'a dyn Fn(&mut State, &mut State, &Params, &mut Params, f64, &mut f64);

/// `(s, p, h)` from 8 reals, checked three ways for the in-place function `call`.
fn check_in_place(
    name: &str,
    call: &dyn Fn(&mut State, &Params, f64),
    jvp: Tangent,
    vjp: Adjoint,
    seed: u64,
) {
    let f = |x: &[f64]| {
        let mut s = state_from(x);
        call(&mut s, &params_from(&x[4..7]), x[7]);
        s.to_reals()
    };
    let tangent = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        jvp(
            &mut s,
            &mut s_dot,
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        assert_eq!((s.steps, s_dot.steps), (7, 7));
        (s.to_reals(), s_dot.to_reals())
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let mut s = state_from(x);
        // The adjoint of the final state goes in, that of the initial state comes out.
        let mut s_bar = state_from(w);
        let p = params_from(&x[4..7]);
        let (mut p_bar, mut h_bar) = (p.zero_like(), 0.0);
        vjp(&mut s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar);
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (s.to_reals(), g)
    };
    let case = Case {
        name,
        inputs: 8,
        outputs: 4,
        f: &f,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(
        &case,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01],
        seed,
    );
    check(
        &case,
        &[-2.0, 0.5, 9.0, 0.0, 9.0, 25.0, 2.0, 0.02],
        seed + 1,
    );
}

#[test]
fn a_mut_struct_passed_whole_in_a_time_loop() {
    for n in [0, 1, 5] {
        check_in_place(
            &format!("run(s: &mut State, p, h, {n}) calling advance(s, p, h)"),
            &|s, p, h| run(s, p, h, n),
            &|s, sd, p, pd, h, hd| run_jvp(s, sd, p, pd, h, hd, n),
            &|s, sb, p, pb, h, hb| run_vjp(s, sb, p, pb, h, hb, n),
            10 + n as u64,
        );
    }
}

#[test]
fn two_calls_on_a_mut_struct_with_an_adversarial_name() {
    check_in_place(
        "two_stages(x_bar: &mut State, p, h)",
        &two_stages,
        &two_stages_jvp,
        &two_stages_vjp,
        20,
    );
}

/// The gradient of `J = |run(s, p, h, 4)|^2 / 2`, whose adjoint seed is the final state.
fn cost_gradient(x: &[f64], g: &mut [f64]) {
    let mut s = state_from(x);
    let p = params_from(&x[4..7]);
    let mut fin = s.clone();
    run(&mut fin, &p, x[7], 4);
    let mut s_bar = fin;
    let (mut p_bar, mut h_bar) = (p.zero_like(), 0.0);
    run_vjp(&mut s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, 4);
    let mut all = s_bar.to_reals();
    all.extend(p_bar.to_reals());
    all.push(h_bar);
    g.copy_from_slice(&all);
}

#[test]
fn hessian_vector_product_through_a_mut_struct_at_dual_numbers() {
    let x = [1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01];
    let mut draws = common::Draws::new(30);
    let (u, w) = (draws.vec(8), draws.vec(8));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = x
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let mut s: State<Dual<f64, 1>> = state_from(&x).lift();
        s.set_reals(&z[..4]).expect("four reals");
        let mut p: Params<Dual<f64, 1>> = params_from(&x[4..7]).lift();
        p.set_reals(&z[4..7]).expect("three reals");
        let mut fin = s.clone();
        run_generic(&mut fin, &p, z[7], 4);
        let mut s_bar = fin;
        let (mut p_bar, mut h_bar) = (p.zero_like(), Dual::constant(0.0));
        run_vjp(&mut s, &mut s_bar, &p, &mut p_bar, z[7], &mut h_bar, 4);
        let mut all: Vec<f64> = s_bar.to_reals().iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(cost_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "structs_mut_whole");
}

/// An oscillator whose `&mut self` methods call each other.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Osc {
    x: [f64; 2],
    k: f64,
}

impl Osc {
    /// One symplectic Euler step in place.
    #[differentiable]
    fn advance(&mut self, h: f64) {
        self.x[1] -= h * self.k * self.x[0].sin();
        self.x[0] += h * self.x[1];
    }

    /// `n` steps: a `&mut self` method calling a method of `self`.
    #[differentiable]
    fn run(&mut self, h: f64, n: usize) {
        for _ in 0..n {
            self.advance(h);
            self.advance(0.5 * h);
        }
    }
}

fn osc_from(v: &[f64]) -> Osc {
    Osc {
        x: [v[0], v[1]],
        k: v[2],
    }
}

#[test]
fn a_mut_self_method_calling_a_method_of_self() {
    let n = 3;
    let f = |x: &[f64]| {
        let mut o = osc_from(x);
        o.run(x[3], n);
        o.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut o, mut o_dot) = (osc_from(x), osc_from(d));
        Osc::run_jvp_at(&mut o, &mut o_dot, x[3], d[3], n);
        (o.to_reals(), o_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut o, mut o_bar) = (osc_from(x), osc_from(w));
        let mut h_bar = 0.0;
        Osc::run_vjp_at(&mut o, &mut o_bar, x[3], &mut h_bar, n);
        let mut g = o_bar.to_reals();
        g.push(h_bar);
        (o.to_reals(), g)
    };
    let case = Case {
        name: "Osc::run(&mut self, h, n) calling self.advance(h)",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, -0.2, 2.0, 0.1], 40);
}
