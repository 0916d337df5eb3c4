//! Methods called on a struct an annotated caller holds as its reals (taken from a call, or a
//! literal stepped by calls): `&self` methods returning a real (`s2.energy(p)`,
//! `s.distance(&s2)`, a trait impl's `s2.observed(p)`), and returning the receiver's type, which
//! step it (`s = s.advanced(p, h)` in a time loop over a literal, `let s2 = s.scaled(0.5)`). The
//! caller reaches the method's companions through the struct's type
//! (`__step_out::__tl_m_energy_jvp`, generic over the receiver held as reals). Each derivative
//! is proved three ways (central finite differences, the dot-product test, tangent against
//! adjoint), the time loops' Hessian-vector products at dual numbers, with adversarial names
//! (a method `r#type`, locals `s_bar`, `__adj0`, `result`) and a `macro_rules!` caller.

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

impl State {
    #[differentiable]
    fn energy(&self, p: &Params) -> f64 {
        0.5 * (self.x[0] * self.x[0] + self.x[1] * self.x[1]) + p.beta * self.x[2] * self.t
    }

    #[differentiable]
    fn distance(&self, other: &State) -> f64 {
        let mut d = 0.0;
        for i in 0..3 {
            d += (self.x[i] - other.x[i]) * (self.x[i] - other.x[i]);
        }
        d.sqrt() + self.t * other.t
    }

    /// The misfit to the `k`th observation of `obs`.
    #[differentiable]
    fn misfit(&self, obs: &[f64], k: usize) -> f64 {
        let mut j = 0.0;
        for i in 0..3 {
            let d = self.x[i] - obs[3 * k + i];
            j += 0.5 * d * d;
        }
        j
    }
}

#[differentiable]
fn run(s: &State, p: &Params, h: f64) -> f64 {
    let s2 = step(s, p, h);
    let s3 = step(&s2, p, h);
    s3.energy(p) + s2.x[0] * s2.energy(p) + s2.distance(&s3) * s3.distance(s)
}

/// A struct taken from a call and used only through a method: its type written.
#[differentiable]
fn method_only(s: &State, p: &Params, h: f64) -> f64 {
    let s2: State = step(s, p, h);
    let e = s2.energy(p);
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
fn methods_called_on_held_structs() {
    check_caller("run", run, run_jvp, run_vjp, &X, 11);
    let y = [-0.5, 1.5, 2.0, 0.2, 9.0, 20.0, 2.0, 0.03];
    check_caller("run", run, run_jvp, run_vjp, &y, 12);
    let (s, p, h) = (state_from(&X), params_from(&X[4..7]), X[7]);
    let (s2, s3) = (step(&s, &p, h), step(&step(&s, &p, h), &p, h));
    let by_hand = s3.energy(&p) + s2.x[0] * s2.energy(&p) + s2.distance(&s3) * s3.distance(&s);
    assert_eq!(run(&s, &p, h), by_hand);
}

#[test]
fn a_struct_taken_and_used_through_a_method_only() {
    check_caller(
        "method_only",
        method_only,
        method_only_jvp,
        method_only_vjp,
        &X,
        13,
    );
}

/// The 4D-Var cost with a method for the misfit of each state.
#[differentiable(wrt(x0, p, h))]
fn cost(x0: &[f64], p: &Params, h: f64, obs: &[f64]) -> f64 {
    let mut s = State {
        x: [x0[0], x0[1], x0[2]],
        t: 0.0,
    };
    let mut j = 0.0;
    for k in 0..obs.len() / 3 {
        s = step(&s, p, h);
        j += s.misfit(obs, k);
    }
    j + 0.1 * s.energy(p)
}

const OBS: [f64; 15] = [
    1.1, 2.3, 2.9, 1.4, 2.5, 2.8, 1.9, 2.8, 2.8, 2.3, 3.2, 2.9, 2.2, 3.9, 3.0,
];

/// The adjoint companion of a time-loop cost `(x0, p, h, obs) -> f64`.
type CostVjp = fn(&[f64], &mut [f64], &Params, &mut Params, f64, &mut f64, &[f64], f64) -> f64;

/// The gradient of a time-loop cost in `(x0, p, h)` times `w`, and the value.
fn gradient_at(vjp: CostVjp, x: &[f64], w: f64) -> (Vec<f64>, f64) {
    let p = params_from(&x[3..6]);
    let (mut x_bar, mut p_bar, mut h_bar) = (vec![0.0; 3], p.zero_like(), 0.0);
    let v = vjp(
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

fn cost_gradient_at(x: &[f64], w: f64) -> (Vec<f64>, f64) {
    gradient_at(cost_vjp, x, w)
}

#[test]
fn the_4dvar_time_loop_with_a_misfit_method() {
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
        name: "cost: s = step(&s, p, h); j += s.misfit(obs, k)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01], 21);
    check(&case, &[-2.0, 0.5, 20.0, 9.0, 30.0, 2.0, 0.02], 22);
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
    common::assert_hvp(&report, "struct_held_methods");
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

impl Odd {
    #[differentiable]
    fn r#type(&self, result: f64) -> f64 {
        self.result * result + self.x_bar[0] * self.x_bar[1] + self.__adj0 * self.s_bar
    }
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
        __adj0 += s_bar.r#type(x_bar);
    }
    __adj0
}

#[test]
fn adversarial_names_in_a_caller_calling_methods_of_held_structs() {
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
                j += u.energy(p) * u.distance(s);
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

impl State {
    /// One Euler step of Lorenz-63 from `self`, returning `Self`.
    #[differentiable]
    fn advanced(&self, p: &Params, h: f64) -> Self {
        Self {
            x: [
                self.x[0] + h * p.sigma * (self.x[1] - self.x[0]),
                self.x[1] + h * (self.x[0] * (p.rho - self.x[2]) - self.x[1]),
                self.x[2] + h * (self.x[0] * self.x[1] - p.beta * self.x[2]),
            ],
            t: self.t + h,
        }
    }

    /// The state scaled, returning the struct by its name.
    #[differentiable]
    fn scaled(&self, c: f64) -> State {
        State {
            x: [c * self.x[0], self.x[1] / c, self.x[2] * self.t],
            t: self.t,
        }
    }
}

/// The time loop stepping a literal by its own method, `s = s.advanced(p, h)`, a struct taken
/// from a method (`let s2 = s.scaled(0.5)`), and methods of both.
#[differentiable(wrt(x0, p, h))]
fn stepped(x0: &[f64], p: &Params, h: f64, obs: &[f64]) -> f64 {
    let mut s = State {
        x: [x0[0], x0[1], x0[2]],
        t: 0.0,
    };
    let mut j = 0.0;
    for k in 0..obs.len() / 3 {
        s = s.advanced(p, h);
        j += s.misfit(obs, k);
    }
    let s2 = s.scaled(0.5);
    j + s2.x[1] * s2.energy(p) + s2.distance(&s)
}

fn stepped_gradient_at(x: &[f64], w: f64) -> (Vec<f64>, f64) {
    gradient_at(stepped_vjp, x, w)
}

#[test]
fn a_literal_stepped_by_its_own_method() {
    let f = |x: &[f64]| vec![stepped(&x[..3], &params_from(&x[3..6]), x[6], &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = stepped_jvp(
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
        let (g, v) = stepped_gradient_at(x, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "stepped: s = s.advanced(p, h); let s2 = s.scaled(0.5)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01], 61);
    check(&case, &[-2.0, 0.5, 20.0, 9.0, 30.0, 2.0, 0.02], 62);
    // The value is the loop's written by hand.
    let (x0, p, h) = ([1.0, 2.0, 3.0], params_from(&[10.0, 28.0, 2.5]), 0.01);
    let mut s = state_from(&[x0[0], x0[1], x0[2], 0.0]);
    let mut j = 0.0;
    for k in 0..5 {
        s = s.advanced(&p, h);
        j += s.misfit(&OBS, k);
    }
    let s2 = s.scaled(0.5);
    assert_eq!(
        stepped(&x0, &p, h, &OBS),
        j + s2.x[1] * s2.energy(&p) + s2.distance(&s)
    );
}

#[test]
fn hessian_vector_product_of_a_literal_stepped_by_its_method() {
    let x = [1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01];
    let mut draws = common::Draws::new(63);
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
        stepped_vjp(
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
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&stepped_gradient_at(x, 1.0).0);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

/// A trait whose method a caller calls on a held struct.
trait Observed {
    fn observed(&self, p: &Params) -> f64;
}

#[differentiable]
impl Observed for State {
    #[differentiable]
    fn observed(&self, p: &Params) -> f64 {
        (self.x[0] * p.sigma).sin() + self.x[2] * self.t
    }
}

#[differentiable]
fn through_a_trait(s: &State, p: &Params, h: f64) -> f64 {
    let s2 = step(s, p, h);
    s2.observed(p) * s2.x[1]
}

#[test]
fn a_trait_method_called_on_a_held_struct() {
    check_caller(
        "through_a_trait",
        through_a_trait,
        through_a_trait_jvp,
        through_a_trait_vjp,
        &X,
        71,
    );
}

/// A held struct copied by `clone()`, the copy stepped on while the original is read after.
#[differentiable]
fn cloned(s: &State, p: &Params, h: f64) -> f64 {
    let s2 = step(s, p, h);
    let mut s3 = s2.clone();
    s3 = s3.advanced(p, h);
    s3 = step(&s3, p, h);
    s3.x[0] * s2.x[1] + s3.distance(&s2)
}

#[test]
fn a_held_struct_cloned() {
    check_caller("cloned", cloned, cloned_jvp, cloned_vjp, &X, 81);
    let (s, p, h) = (state_from(&X), params_from(&X[4..7]), X[7]);
    let s2 = step(&s, &p, h);
    let s3 = step(&s2.advanced(&p, h), &p, h);
    assert_eq!(cloned(&s, &p, h), s3.x[0] * s2.x[1] + s3.distance(&s2));
}
