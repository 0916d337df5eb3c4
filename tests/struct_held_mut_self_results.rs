//! The result of a `&mut self` method called on a struct an annotated caller holds as its reals,
//! used in an expression (`s2.kick(h) * 2.0`, a `for` loop summing `u.kick(h)`), not only as a
//! statement. A held local the user binds `let mut` is passed to its methods as `&mut` (rustc
//! refuses a `&mut self` call on a local that is not), and the callee's `ARGS` tell whether it
//! writes. Each derivative is proved three ways (central finite differences, the dot-product
//! test, tangent against adjoint), with Hessian-vector products at dual numbers, adversarial
//! names (`result`, `x_bar`, `__adj0`), a `macro_rules!` caller and bit-equality with the same
//! program calling the method as a statement. A result dropped by a statement (`s2.kick(h);`,
//! `self.kick(h);` in another method) goes through companions that take no seed for it.

mod common;

use common::caller::{check_caller, FromReals};
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
    State {
        x: [
            s.x[0] + h * p.sigma * (s.x[1] - s.x[0]),
            s.x[1] + h * (s.x[0] * (p.rho - s.x[2]) - s.x[1]),
            s.x[2] + h * (s.x[0] * s.x[1] - p.beta * s.x[2]),
        ],
        t: s.t + h,
    }
}

impl State {
    /// Writes the state and returns a real of it.
    #[differentiable]
    fn kick(&mut self, h: f64) -> f64 {
        self.x[0] += h * self.x[1].sin();
        self.t += h;
        self.x[0] * self.t
    }

    /// Calls `kick` as a statement on `self`, its result dropped.
    #[differentiable]
    fn twice(&mut self, h: f64) {
        self.kick(h);
        self.x[1] *= 0.5 + self.t;
    }

    /// The same, the result bound and unused.
    #[differentiable]
    fn twice_bound(&mut self, h: f64) {
        let _k = self.kick(h);
        self.x[1] *= 0.5 + self.t;
    }

    #[differentiable]
    fn energy(&self, p: &Params) -> f64 {
        0.5 * (self.x[0] * self.x[0] + self.x[1] * self.x[1]) + p.beta * self.x[2] * self.t
    }
}

/// The result of `kick` in an expression.
#[differentiable]
fn kicked(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = step(s, p, h);
    let k = s2.kick(h) * 2.0;
    k + s2.energy(p)
}

/// The same with the result of `kick` computed from the fields.
#[differentiable]
fn kicked_statement(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = step(s, p, h);
    let _kicked = s2.kick(h);
    let k = s2.x[0] * s2.t * 2.0;
    k + s2.energy(p)
}

/// The same with `kick` called as a statement, its result dropped (the statement form took a
/// seed its companions do not have: a rustc error inside generated code).
#[differentiable]
fn kicked_dropped(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = step(s, p, h);
    s2.kick(h);
    let k = s2.x[0] * s2.t * 2.0;
    k + s2.energy(p)
}

/// `twice` (which drops `kick`'s result) on a held struct, and the same through `twice_bound`.
#[differentiable]
fn twice_on_held(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = step(s, p, h);
    s2.twice(h);
    s2.energy(p)
}

#[differentiable]
fn twice_bound_on_held(s: &State, p: &Params, h: f64) -> f64 {
    let mut s2: State = step(s, p, h);
    s2.twice_bound(h);
    s2.energy(p)
}

/// A time loop summing results of `kick`, the state's type written, the result the tail.
#[differentiable]
fn kicks(s: &State, p: &Params, h: f64) -> f64 {
    let mut u: State = step(s, p, h);
    let mut j = 0.0;
    for _ in 0..3 {
        j += u.kick(h) * u.kick(0.5 * h);
    }
    j + u.kick(h)
}

/// Adversarial names.
#[differentiable]
fn adversarial(s: &State, p: &Params, x_bar: f64) -> f64 {
    let mut result: State = step(s, p, x_bar);
    let __adj0 = result.kick(x_bar);
    __adj0 * result.energy(p)
}

macro_rules! kicker {
    ($name:ident, $c:expr) => {
        #[differentiable]
        fn $name(s: &State, p: &Params, h: f64) -> f64 {
            let mut s2: State = step(s, p, h);
            $c * s2.kick(h)
        }
    };
}

kicker!(from_a_macro, 3.0);

impl FromReals for State {
    fn from_reals(v: &[f64]) -> Self {
        State {
            x: [v[0], v[1], v[2]],
            t: v[3],
        }
    }
}

impl FromReals for Params {
    fn from_reals(v: &[f64]) -> Self {
        Params {
            sigma: v[0],
            rho: v[1],
            beta: v[2],
        }
    }
}

const X: [f64; 8] = [1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01];
const Y: [f64; 8] = [-0.5, 1.5, 2.0, 0.2, 9.0, 20.0, 2.0, 0.03];

#[test]
fn results_of_mut_self_methods_on_held_structs() {
    for (x, seed) in [(&X, 10), (&Y, 20)] {
        check_caller("kicked", kicked, kicked_jvp, kicked_vjp, x, seed);
        check_caller("kicks", kicks, kicks_jvp, kicks_vjp, x, seed + 1);
        check_caller(
            "twice_on_held",
            twice_on_held,
            twice_on_held_jvp,
            twice_on_held_vjp,
            x,
            seed + 5,
        );
        check_caller(
            "kicked_dropped",
            kicked_dropped,
            kicked_dropped_jvp,
            kicked_dropped_vjp,
            x,
            seed + 4,
        );
        check_caller(
            "adversarial",
            adversarial,
            adversarial_jvp,
            adversarial_vjp,
            x,
            seed + 2,
        );
        check_caller(
            "from_a_macro",
            from_a_macro,
            from_a_macro_jvp,
            from_a_macro_vjp,
            x,
            seed + 3,
        );
    }
}

#[test]
fn a_result_in_an_expression_equals_the_statement_form_to_the_bit() {
    let (s, p) = (State::from_reals(&X), Params::from_reals(&X[4..7]));
    let (sd, pd) = (State::from_reals(&Y), Params::from_reals(&Y[4..7]));
    let h = X[7];
    assert_eq!(
        kicked(&s, &p, h).to_bits(),
        kicked_statement(&s, &p, h).to_bits()
    );
    let a = kicked_jvp(&s, &sd, &p, &pd, h, 0.5);
    let b = kicked_statement_jvp(&s, &sd, &p, &pd, h, 0.5);
    assert_eq!(
        (a.0.to_bits(), a.1.to_bits()),
        (b.0.to_bits(), b.1.to_bits())
    );
    let (mut sa, mut pa, mut ha) = (s.zero_like(), p.zero_like(), 0.0f64);
    let (mut sb, mut pb, mut hb) = (s.zero_like(), p.zero_like(), 0.0);
    let va = kicked_vjp(&s, &mut sa, &p, &mut pa, h, &mut ha, 1.5);
    let vb = kicked_statement_vjp(&s, &mut sb, &p, &mut pb, h, &mut hb, 1.5);
    assert_eq!((va, &sa, &pa), (vb, &sb, &pb));
    assert_eq!(ha.to_bits(), hb.to_bits());
    // The result dropped by a statement: the same derivatives.
    let (mut sc, mut pc, mut hc) = (s.zero_like(), p.zero_like(), 0.0);
    let vc = kicked_dropped_vjp(&s, &mut sc, &p, &mut pc, h, &mut hc, 1.5);
    assert_eq!((vc, &sc, &pc), (vb, &sb, &pb));
    assert_eq!(hc.to_bits(), hb.to_bits());
    let c = kicked_dropped_jvp(&s, &sd, &p, &pd, h, 0.5);
    assert_eq!(
        (c.0.to_bits(), c.1.to_bits()),
        (b.0.to_bits(), b.1.to_bits())
    );
    // A result dropped inside a method, `self.kick(h);`: as when it is bound and unused.
    let (mut s1, mut p1, mut h1) = (s.zero_like(), p.zero_like(), 0.0);
    let (mut s2, mut p2, mut h2) = (s.zero_like(), p.zero_like(), 0.0);
    let v1 = twice_on_held_vjp(&s, &mut s1, &p, &mut p1, h, &mut h1, 1.5);
    let v2 = twice_bound_on_held_vjp(&s, &mut s2, &p, &mut p2, h, &mut h2, 1.5);
    assert_eq!((v1, &s1, &p1, h1.to_bits()), (v2, &s2, &p2, h2.to_bits()));
}

/// The gradient of `kicks` in `(s, p, h)`.
fn kicks_gradient(x: &[f64], g: &mut [f64]) {
    let (s, p) = (State::from_reals(x), Params::from_reals(&x[4..7]));
    let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
    kicks_vjp(&s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, 1.0);
    let mut all = s_bar.to_reals();
    all.extend(p_bar.to_reals());
    all.push(h_bar);
    g.copy_from_slice(&all);
}

#[test]
fn hessian_vector_product_through_mut_self_results_at_dual_numbers() {
    let mut draws = common::Draws::new(30);
    let (u, w) = (draws.vec(8), draws.vec(8));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = X
            .iter()
            .zip(dir)
            .map(|(v, d)| Dual::new(*v, [*d]))
            .collect();
        let mut s: State<Dual<f64, 1>> = State::from_reals(&X).lift();
        s.set_reals(&z[..4]).expect("four reals");
        let mut p: Params<Dual<f64, 1>> = Params::from_reals(&X[4..7]).lift();
        p.set_reals(&z[4..7]).expect("three reals");
        let (mut s_bar, mut p_bar) = (s.zero_like(), p.zero_like());
        let mut h_bar = Dual::constant(0.0);
        kicks_vjp(
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
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(kicks_gradient, &X, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_held_mut_self_results");
}
