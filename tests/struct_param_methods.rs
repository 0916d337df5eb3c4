//! Methods of a struct *parameter*, as a scientist writes them: `s.norm2()`, `s.weighted(p)` on
//! `s: &State`; `let t = s.scaled(x); t.norm2()` (a struct result of a parameter's method,
//! bound to a local and used through its own methods and fields); `let u = State::new(..);
//! u.norm2()` (an associated function's result); `let y: State = self.step(&s); y.energy()` (a
//! method of `self` returning a struct, its type written); `s.kick(h)` on `s: &mut State` (a
//! `&mut self` method of a `&mut` parameter). The caller passes the parameter whole to the
//! method's own companions for a receiver at any scalar (`State::norm2_jvp_at`), and holds a
//! struct result at its type's places, rustc checking that the result is of that type
//! (`ResultIs`). Each derivative is proved three ways (central finite differences, the
//! dot-product test, tangent against adjoint), the scalar ones' Hessian-vector products at dual
//! numbers against differences of gradients, with adversarial names (`t_bar`, `result`,
//! `__adj0`, a method `r#type`) and a `macro_rules!` caller.

mod common;

use common::caller::{check_caller, CallerVjp, FromReals};
use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

type D = Dual<f64, 1>;

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    y: f64,
    z: f64,
    t: f64,
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    a: f64,
    b: f64,
    c: f64,
}

impl State {
    #[differentiable(associated)]
    fn new(x: f64, y: f64, z: f64) -> State {
        State { x, y, z, t: x * z }
    }

    #[differentiable]
    fn scaled(&self, c: f64) -> State {
        State {
            x: c * self.x,
            y: self.y * self.t,
            z: self.z + c * c,
            t: self.t,
        }
    }

    #[differentiable]
    fn norm2(&self) -> f64 {
        self.x * self.x + self.y * self.y + self.z * self.z + self.t * self.t
    }

    #[differentiable]
    fn dot(&self, other: &State) -> f64 {
        self.x * other.x + self.y * other.y + self.z * other.z + self.t * other.t
    }

    #[differentiable]
    fn weighted(&self, p: &Params) -> f64 {
        p.a * self.x.sin() + p.b * self.y * self.z + p.c * self.t.exp()
    }

    /// An adversarial method name.
    #[differentiable]
    fn r#type(&self, result: f64) -> f64 {
        let __adj0 = self.x * result;
        __adj0 * self.y + self.t
    }

    /// A symplectic-Euler kick in place.
    #[differentiable]
    fn kick(&mut self, h: f64) {
        self.x += h * self.y;
        self.y -= h * self.x.sin() * self.z;
        self.t += h;
    }
}

/// Methods of a struct parameter returning reals, beside its own fields.
#[differentiable]
fn energy(s: &State, p: &Params, h: f64) -> f64 {
    s.weighted(p) * h + s.norm2() + s.x * s.r#type(h)
}

/// A struct result of a parameter's method, used through its methods and fields.
#[differentiable]
fn scaled_cost(s: &State, p: &Params, h: f64) -> f64 {
    let t_bar = s.scaled(h);
    let result = t_bar.scaled(p.a);
    t_bar.norm2() + result.dot(&t_bar) + t_bar.x * s.y + result.weighted(p)
}

/// An associated function's result, used through its methods.
#[differentiable]
fn built_cost(s: &State, p: &Params, h: f64) -> f64 {
    let u = State::new(s.x * h, p.b, s.z);
    let v = State::new(p.a, s.y, h);
    u.norm2() * p.c + u.dot(&v) + v.weighted(p) + s.dot(&u)
}

/// A caller written by a `macro_rules!` macro.
macro_rules! mixed {
    ($name:ident, $m:ident) => {
        #[differentiable]
        fn $name(s: &State, p: &Params, h: f64) -> f64 {
            let w = s.$m(h);
            let w2 = w.$m(p.c);
            w2.norm2_of() + s.weighted(p)
        }
    };
}

impl State {
    #[differentiable]
    fn norm2_of(&self) -> f64 {
        self.norm2().sqrt()
    }
}

mixed!(by_macro, scaled);

fn params_from(v: &[f64]) -> Params {
    Params {
        a: v[0],
        b: v[1],
        c: v[2],
    }
}

fn state_from(v: &[f64]) -> State {
    State {
        x: v[0],
        y: v[1],
        z: v[2],
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

type DualVjp = fn(&State<D>, &mut State<D>, &Params<D>, &mut Params<D>, D, &mut D, D) -> D;

/// The Hessian-vector products of a caller `(s, p, h) -> f64` at dual numbers (its `_vjp` at
/// `Dual`) against differences of its gradients, and symmetric.
fn check_caller_hvp(name: &str, vjp: CallerVjp<State, Params>, vjp_dual: DualVjp, x: &[f64]) {
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (s, p) = (state_from(x), params_from(&x[4..7]));
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
        vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, 1.0);
        let mut all = s_bar.to_reals();
        all.extend(p_bar.to_reals());
        all.push(h_bar);
        g.copy_from_slice(&all);
    };
    let hvp = |u: &[f64]| {
        let z: Vec<D> = x.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
        let mut s: State<D> = state_from(x).lift();
        s.set_reals(&z[..4]).expect("four reals");
        let mut p: Params<D> = params_from(&x[4..7]).lift();
        p.set_reals(&z[4..7]).expect("three reals");
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), Dual::constant(0.0));
        vjp_dual(
            &s,
            &mut s_bar,
            &p,
            &mut p_bar,
            z[7],
            &mut h_bar,
            Dual::constant(1.0),
        );
        let mut all: Vec<f64> = s_bar.to_reals().iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let u: Vec<f64> = (0..8).map(|i| (0.7 * i as f64 + 0.3).cos()).collect();
    let w: Vec<f64> = (0..8).map(|i| (1.3 * i as f64 - 0.2).sin()).collect();
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "{name}: H u against differences of gradients: {:e}; symmetry <w, H u> = <H w, u>: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

const X: [f64; 8] = [0.8, -0.4, 1.3, 0.5, 1.5, -0.7, 0.3, 0.2];
const Y: [f64; 8] = [-0.3, 0.9, 0.6, -0.2, 0.4, 1.1, -0.5, 0.6];

#[test]
fn methods_of_a_struct_parameter_returning_reals() {
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let written = s.weighted(&p) * X[7] + s.norm2() + s.x * s.r#type(X[7]);
    assert_eq!(energy(&s, &p, X[7]), written);
    check_caller("energy", energy, energy_jvp, energy_vjp, &X, 1);
    check_caller("energy", energy, energy_jvp, energy_vjp, &Y, 2);
    check_caller_hvp("energy", energy_vjp, energy_vjp::<D>, &X);
}

#[test]
fn a_struct_result_of_a_parameters_method_bound_to_a_local() {
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let t = s.scaled(X[7]);
    let r = t.scaled(p.a);
    let written = t.norm2() + r.dot(&t) + t.x * s.y + r.weighted(&p);
    assert_eq!(scaled_cost(&s, &p, X[7]), written);
    check_caller(
        "scaled_cost",
        scaled_cost,
        scaled_cost_jvp,
        scaled_cost_vjp,
        &X,
        3,
    );
    check_caller(
        "scaled_cost",
        scaled_cost,
        scaled_cost_jvp,
        scaled_cost_vjp,
        &Y,
        4,
    );
    check_caller_hvp("scaled_cost", scaled_cost_vjp, scaled_cost_vjp::<D>, &Y);
}

#[test]
fn an_associated_functions_result_used_through_its_methods() {
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let u = State::new(s.x * X[7], p.b, s.z);
    let v = State::new(p.a, s.y, X[7]);
    let written = u.norm2() * p.c + u.dot(&v) + v.weighted(&p) + s.dot(&u);
    assert_eq!(built_cost(&s, &p, X[7]), written);
    check_caller(
        "built_cost",
        built_cost,
        built_cost_jvp,
        built_cost_vjp,
        &X,
        5,
    );
    check_caller(
        "built_cost",
        built_cost,
        built_cost_jvp,
        built_cost_vjp,
        &Y,
        6,
    );
    check_caller_hvp("built_cost", built_cost_vjp, built_cost_vjp::<D>, &X);
}

#[test]
fn a_caller_written_by_macro_rules() {
    let (s, p) = (state_from(&Y), params_from(&Y[4..7]));
    let written = s.scaled(Y[7]).scaled(p.c).norm2_of() + s.weighted(&p);
    assert_eq!(by_macro(&s, &p, Y[7]), written);
    check_caller("by_macro", by_macro, by_macro_jvp, by_macro_vjp, &X, 7);
    check_caller_hvp("by_macro", by_macro_vjp, by_macro_vjp::<D>, &Y);
}

/// A `&mut` struct parameter stepped by its own `&mut self` method and read by a `&self` one.
#[differentiable]
fn kicked(s: &mut State, p: &Params, h: f64) -> f64 {
    s.kick(h);
    s.kick(h * p.a);
    s.weighted(p)
}

#[test]
fn a_mut_struct_parameter_stepped_by_its_own_method() {
    let (s0, p) = (state_from(&X), params_from(&X[4..7]));
    let mut written = s0;
    written.kick(X[7]);
    written.kick(X[7] * p.a);
    let mut s = s0;
    assert_eq!(kicked(&mut s, &p, X[7]), written.weighted(&p));
    assert_eq!(s, written);
    // Outputs: the value and the final state; inputs: the initial state, the parameters, h.
    let f = |x: &[f64]| {
        let mut s = state_from(x);
        let v = kicked(&mut s, &params_from(&x[4..7]), x[7]);
        let mut out = vec![v];
        out.extend(s.to_reals());
        out
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        let (p, p_dot) = (params_from(&x[4..7]), params_from(&d[4..7]));
        let (v, v_dot) = kicked_jvp(&mut s, &mut s_dot, &p, &p_dot, x[7], d[7]);
        let (mut out, mut out_dot) = (vec![v], vec![v_dot]);
        out.extend(s.to_reals());
        out_dot.extend(s_dot.to_reals());
        (out, out_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut s = state_from(x);
        // The final state's adjoint goes in, the initial state's comes out.
        let mut s_bar = state_from(&w[1..5]);
        let p = params_from(&x[4..7]);
        let (mut p_bar, mut h_bar) = (p.zero_like(), 0.0);
        let v = kicked_vjp(&mut s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, w[0]);
        let mut out = vec![v];
        out.extend(s.to_reals());
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (out, g)
    };
    let case = Case {
        name: "kicked(s: &mut State, p, h)",
        inputs: 8,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 8);
    check(&case, &Y, 9);
}

#[differentiable]
#[derive(Clone, Debug)]
struct Model {
    k: f64,
    w: f64,
}

impl Model {
    #[differentiable]
    fn step(&self, s: &State, h: f64) -> State {
        State {
            x: s.x + h * self.k * s.y,
            y: s.y - h * self.w * s.x.sin(),
            z: s.z * (1.0 - h * self.k),
            t: s.t + h,
        }
    }

    /// A method of `self` returning a struct, its type written, then its own methods.
    #[differentiable]
    fn cost(&self, s: &State, p: &Params, h: f64) -> f64 {
        let y: State = self.step(s, h);
        let mut z: State = self.step(&y, h * p.b);
        z.kick(h);
        y.weighted(p) + z.norm2() * self.w + z.dot(&y)
    }
}

#[test]
fn a_struct_result_of_a_self_call_with_its_type_written() {
    let m = Model { k: 0.7, w: 1.3 };
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let y = m.step(&s, X[7]);
    let mut z = m.step(&y, X[7] * p.b);
    z.kick(X[7]);
    let written = y.weighted(&p) + z.norm2() * m.w + z.dot(&y);
    assert_eq!(m.cost(&s, &p, X[7]), written);
    // The three checks in (model, state, parameters, h).
    let model_from = |v: &[f64]| Model { k: v[0], w: v[1] };
    let f =
        |x: &[f64]| vec![model_from(x).cost(&state_from(&x[2..]), &params_from(&x[6..9]), x[9])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = model_from(x).cost_jvp(
            &model_from(d),
            &state_from(&x[2..]),
            &state_from(&d[2..]),
            &params_from(&x[6..9]),
            &params_from(&d[6..9]),
            x[9],
            d[9],
        );
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (m, s, p) = (model_from(x), state_from(&x[2..]), params_from(&x[6..9]));
        let (mut m_bar, mut s_bar, mut p_bar, mut h_bar) =
            (m.zero_like(), s.zero_like(), p.zero_like(), 0.0);
        let v = m.cost_vjp(
            &mut m_bar, &s, &mut s_bar, &p, &mut p_bar, x[9], &mut h_bar, w[0],
        );
        let mut g = m_bar.to_reals();
        g.extend(s_bar.to_reals());
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "Model::cost: let y: State = self.step(s, h); y.weighted(p)",
        inputs: 10,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(
        &case,
        &[0.7, 1.3, 0.8, -0.4, 1.3, 0.5, 1.5, -0.7, 0.3, 0.2],
        10,
    );
    check(
        &case,
        &[-0.2, 0.6, -0.3, 0.9, 0.6, -0.2, 0.4, 1.1, -0.5, 0.6],
        11,
    );
}

/// Methods called on struct results without binding them first (`f64::max(..)` is no struct).
#[differentiable]
fn chained(s: &State, p: &Params, h: f64) -> f64 {
    let a = State::new(s.x, p.a * h, s.t).norm2();
    a * s.scaled(h).dot(&State::new(p.b, s.y, s.z)) + f64::max(s.z, 0.5 * h).sqrt()
}

#[test]
fn methods_called_on_unbound_struct_results() {
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let a = State::new(s.x, p.a * X[7], s.t).norm2();
    let written =
        a * s.scaled(X[7]).dot(&State::new(p.b, s.y, s.z)) + f64::max(s.z, 0.5 * X[7]).sqrt();
    assert_eq!(chained(&s, &p, X[7]), written);
    check_caller("chained", chained, chained_jvp, chained_vjp, &X, 12);
    check_caller("chained", chained, chained_jvp, chained_vjp, &Y, 13);
    check_caller_hvp("chained", chained_vjp, chained_vjp::<D>, &X);
}

/// A free function returning the state.
#[differentiable]
fn drift(s: &State, h: f64) -> State {
    State {
        x: s.x + h * s.y,
        y: s.y * (1.0 - h),
        z: s.z,
        t: s.t + h,
    }
}

/// A struct held as its reals (taken from a call) stepped by its `&mut self` method.
#[differentiable]
fn kicked_held(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = drift(s, h);
    s2.kick(h);
    s2.kick(p.a * h);
    s2.weighted(p) + s2.x * s2.t
}

/// A literal stepped by its `&mut self` method in a time loop, read by a `&self` one.
#[differentiable]
fn kicked_in_a_loop(s: &State, p: &Params, h: f64) -> f64 {
    let mut u = State {
        x: s.x,
        y: s.y * p.b,
        z: s.z,
        t: s.t,
    };
    let mut j = 0.0;
    for _ in 0..4 {
        u.kick(h);
        j += u.weighted(p);
    }
    j
}

#[test]
fn mut_self_methods_on_held_structs() {
    let (s, p) = (state_from(&X), params_from(&X[4..7]));
    let mut s2 = drift(&s, X[7]);
    s2.kick(X[7]);
    s2.kick(p.a * X[7]);
    assert_eq!(kicked_held(&s, &p, X[7]), s2.weighted(&p) + s2.x * s2.t);
    check_caller(
        "kicked_held",
        kicked_held,
        kicked_held_jvp,
        kicked_held_vjp,
        &X,
        14,
    );
    check_caller(
        "kicked_held",
        kicked_held,
        kicked_held_jvp,
        kicked_held_vjp,
        &Y,
        15,
    );
    check_caller_hvp("kicked_held", kicked_held_vjp, kicked_held_vjp::<D>, &X);
    let mut u = State { y: s.y * p.b, ..s };
    let mut j = 0.0;
    for _ in 0..4 {
        u.kick(X[7]);
        j += u.weighted(&p);
    }
    assert_eq!(kicked_in_a_loop(&s, &p, X[7]), j);
    check_caller(
        "kicked_in_a_loop",
        kicked_in_a_loop,
        kicked_in_a_loop_jvp,
        kicked_in_a_loop_vjp,
        &X,
        16,
    );
    check_caller(
        "kicked_in_a_loop",
        kicked_in_a_loop,
        kicked_in_a_loop_jvp,
        kicked_in_a_loop_vjp,
        &Y,
        17,
    );
    check_caller_hvp(
        "kicked_in_a_loop",
        kicked_in_a_loop_vjp,
        kicked_in_a_loop_vjp::<D>,
        &Y,
    );
}
