//! Methods returning a struct: `fn scaled(&self, c: f64) -> Self { Self { .. } }` and
//! `fn step(&self, p: &Params, h: f64) -> State { State { .. } }`. The companions are associated
//! items of the same `impl`: `Self::step_vjp_at(this, this_bar, .., result_bar) -> State<S>` at
//! any scalar, and for `&self` the methods `s.step_jvp(s_dot, ..)`, `s.step_vjp(s_bar, ..,
//! result_bar)`, which lift `self` to the scalar type. Each derivative is proved three ways
//! (central finite differences, the dot-product test, tangent against adjoint), a cost of the
//! result has its Hessian-vector product at dual numbers checked against differences of
//! gradients and for symmetry, and names are adversarial (`result`, `x_bar`, `__adj0`, `s_bar`).

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

impl State {
    /// One midpoint (RK2) step of Lorenz-63 from `self`; the locals have the names of the
    /// generated code's.
    #[differentiable]
    fn step(&self, p: &Params, h: f64) -> State {
        let result = [
            p.sigma * (self.x[1] - self.x[0]),
            self.x[0] * (p.rho - self.x[2]) - self.x[1],
            self.x[0] * self.x[1] - p.beta * self.x[2],
        ];
        let x_bar = [
            self.x[0] + 0.5 * h * result[0],
            self.x[1] + 0.5 * h * result[1],
            self.x[2] + 0.5 * h * result[2],
        ];
        let __adj0 = [
            p.sigma * (x_bar[1] - x_bar[0]),
            x_bar[0] * (p.rho - x_bar[2]) - x_bar[1],
            x_bar[0] * x_bar[1] - p.beta * x_bar[2],
        ];
        State {
            x: [
                self.x[0] + h * __adj0[0],
                self.x[1] + h * __adj0[1],
                self.x[2] + h * __adj0[2],
            ],
            t: self.t + h,
            steps: self.steps + 1,
        }
    }

    /// `Self { .. }`: the state scaled by `c`, its time copied from the receiver's.
    #[differentiable]
    fn scaled(&self, c: f64) -> Self {
        let s_bar = c * c;
        Self {
            steps: self.steps,
            t: self.t,
            x: [self.x[0] * c, self.x[1] * s_bar, (self.x[2] * c).sin()],
        }
    }
}

impl Params {
    /// A method of another struct returning a `State`, taking one.
    #[differentiable]
    fn relax(&self, s: &State, h: f64) -> State {
        let mut q = [0.0; 3];
        for i in 0..3 {
            q[i] = s.x[i] * (-h * self.beta).exp() + h * self.sigma;
        }
        State {
            t: s.t + h * self.rho,
            steps: 0,
            x: q,
        }
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
fn a_method_stepping_its_receiver() {
    let f = |x: &[f64]| state_from(x).step(&params_from(&x[4..7]), x[7]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let s = state_from(x);
        let (v, t) = s.step_jvp(
            &state_from(d),
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        assert_eq!((v.steps, t.steps), (8, 8));
        // The associated form at the scalar type gives the same.
        let (v2, t2) = State::step_jvp_at(
            &s,
            &state_from(d),
            &params_from(&x[4..7]),
            &params_from(&d[4..7]),
            x[7],
            d[7],
        );
        assert_eq!((&v, &t), (&v2, &t2));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let p = params_from(&x[4..7]);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
        let seed = seed_like(&s.step(&p, x[7]), w);
        let v = s.step_vjp(&mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, &seed);
        assert_eq!(v.steps, 8);
        let mut g = s_bar.to_reals();
        g.extend(p_bar.to_reals());
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "State::step(&self, p: &Params, h) -> State",
        inputs: 8,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(
        &case,
        &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01],
        61,
    );
    check(&case, &[-4.0, 1.5, 20.0, 0.0, 9.0, 30.0, 2.0, 0.05], 62);
}

#[test]
fn a_method_returning_self() {
    let f = |x: &[f64]| state_from(x).scaled(x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = state_from(x).scaled_jvp(&state_from(d), x[4], d[4]);
        assert_eq!((v.steps, t.steps), (7, 7));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let (mut s_bar, mut c_bar) = (s.zero_like(), 0.0);
        let seed = seed_like(&s.scaled(x[4]), w);
        let v = State::scaled_vjp_at(&s, &mut s_bar, x[4], &mut c_bar, &seed);
        assert_eq!(v.steps, 7);
        let mut g = s_bar.to_reals();
        g.push(c_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "State::scaled(&self, c) -> Self",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, -2.0, 3.0, 0.7, 0.3], 71);
    assert_eq!(
        state_from(&[1.0, 2.0, 3.0, 0.5]).scaled_generic(2.0),
        state_from(&[1.0, 2.0, 3.0, 0.5]).scaled(2.0)
    );
}

#[test]
fn a_method_of_another_struct_returning_a_state() {
    let f = |x: &[f64]| {
        params_from(&x[..3])
            .relax(&state_from(&x[3..7]), x[7])
            .to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = params_from(&x[..3]).relax_jvp(
            &params_from(&d[..3]),
            &state_from(&x[3..7]),
            &state_from(&d[3..7]),
            x[7],
            d[7],
        );
        assert_eq!(v.steps, 0);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (p, s) = (params_from(&x[..3]), state_from(&x[3..7]));
        let (mut p_bar, mut s_bar, mut h_bar) = (p.zero_like(), s.zero_like(), 0.0);
        let seed = seed_like(&p.relax(&s, x[7]), w);
        let v = p.relax_vjp(&mut p_bar, &s, &mut s_bar, x[7], &mut h_bar, &seed);
        let mut g = p_bar.to_reals();
        g.extend(s_bar.to_reals());
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "Params::relax(&self, s: &State, h) -> State",
        inputs: 8,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, 1.1, 0.8, 1.0, -2.0, 3.0, 0.5, 0.2], 81);
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

/// The gradient of `J = |s.step(p, h)|^2 / 2` at `x`: `step_vjp` seeded with the result.
fn cost_gradient(x: &[f64], g: &mut [f64]) {
    let (s, p) = (state_from(x), params_from(&x[4..7]));
    let r = s.step(&p, x[7]);
    let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), 0.0);
    s.step_vjp(&mut s_bar, &p, &mut p_bar, x[7], &mut h_bar, &r);
    let mut all = s_bar.to_reals();
    all.extend(p_bar.to_reals());
    all.push(h_bar);
    g.copy_from_slice(&all);
}

#[test]
fn hessian_vector_product_of_a_cost_of_a_methods_result_at_dual_numbers() {
    let x = [1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, 0.01];
    let mut draws = common::Draws::new(91);
    let (u, w) = (draws.vec(8), draws.vec(8));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let (s, p, h) = lift_along(&x, dir);
        let r = State::step_generic_at(&s, &p, h);
        let (mut s_bar, mut p_bar, mut h_bar) = (s.zero_like(), p.zero_like(), Dual::constant(0.0));
        let v = State::step_vjp_at(&s, &mut s_bar, &p, &mut p_bar, h, &mut h_bar, &r);
        assert_eq!(v, r);
        let mut all: Vec<f64> = s_bar.to_reals().iter().map(|d| d.tangents[0]).collect();
        all.extend(p_bar.to_reals().iter().map(|d| d.tangents[0]));
        all.push(h_bar.tangents[0]);
        all
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(cost_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "struct_methods_results");
    // The generic companion at dual numbers carries the tangent of `step_jvp`.
    let (s, p, h) = lift_along(&x, &u);
    let r = State::step_generic_at(&s, &p, h);
    let (_, t) = state_from(&x).step_jvp(
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
            "step_generic_at at Dual against step_jvp",
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
    s_bar: f64,
}

impl Odd {
    /// `Self { .. }` with the generated code's names as fields and parameters.
    #[differentiable]
    fn twist(&self, x_bar: f64, result: f64) -> Self {
        let __adj0 = self.result * x_bar;
        Self {
            s_bar: self.s_bar * result + __adj0,
            x_bar: [self.x_bar[1] * __adj0, self.x_bar[0] * x_bar.sin()],
            __adj0: self.__adj0 + self.result * self.x_bar[0],
            result: (__adj0 * result).exp(),
        }
    }
}

fn odd_from(v: &[f64]) -> Odd {
    Odd {
        result: v[0],
        x_bar: [v[1], v[2]],
        __adj0: v[3],
        s_bar: v[4],
    }
}

#[test]
fn adversarial_field_and_parameter_names_in_a_method_returning_self() {
    let f = |x: &[f64]| odd_from(x).twist(x[5], x[6]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = odd_from(x).twist_jvp(&odd_from(d), x[5], d[5], x[6], d[6]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let o = odd_from(x);
        let (mut o_bar, mut k_bar, mut r_bar) = (o.zero_like(), 0.0, 0.0);
        // The parameter `result`'s adjoint is `result_bar`: the seed comes after it.
        let seed = odd_from(w);
        let v = o.twist_vjp(&mut o_bar, x[5], &mut k_bar, x[6], &mut r_bar, &seed);
        let mut g = o_bar.to_reals();
        g.extend([k_bar, r_bar]);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "Odd::twist(&self, x_bar, result) -> Self",
        inputs: 7,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, -1.2, 0.8, 0.5, 0.9, 0.4, -0.7], 101);
}

/// A method returning `Self` written by a `macro_rules!` macro.
macro_rules! shrink_method {
    ($name:ident, $factor:expr) => {
        impl Params {
            #[differentiable]
            fn $name(&self, c: f64) -> Self {
                Self {
                    sigma: self.sigma * $factor * c,
                    rho: self.rho + c,
                    beta: self.beta * self.sigma,
                }
            }
        }
    };
}

shrink_method!(shrunk, 0.5);

#[test]
fn a_method_returning_self_written_by_a_macro() {
    let f = |x: &[f64]| params_from(x).shrunk(x[3]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = params_from(x).shrunk_jvp(&params_from(d), x[3], d[3]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = params_from(x);
        let (mut p_bar, mut c_bar) = (p.zero_like(), 0.0);
        let v = p.shrunk_vjp(&mut p_bar, x[3], &mut c_bar, &params_from(w));
        let mut g = p_bar.to_reals();
        g.push(c_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "Params::shrunk(&self, c) -> Self (macro_rules!)",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 2.5, 0.3], 111);
}

/// A counter of observations beside the state: a `&mut self` method returning a struct, and
/// associated functions returning one.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Tracker {
    total: f64,
    n: usize,
}

impl Tracker {
    /// Adds `s`'s squared norm to the total and returns the state damped by the new total.
    #[differentiable]
    fn absorb(&mut self, s: &State) -> State {
        self.total += s.x[0] * s.x[0] + s.x[1] * s.x[1] + s.x[2] * s.x[2];
        let d = (-0.1 * self.total).exp();
        State {
            x: [s.x[0] * d, s.x[1] * d, s.x[2] * d],
            t: s.t,
            steps: s.steps,
        }
    }

    /// An associated function taking the struct as `&Self`, returning it by the type's name.
    #[differentiable]
    fn merged(a: &Self, b: &Self) -> Tracker {
        Tracker {
            total: a.total * b.total + b.total,
            n: 2,
        }
    }

    /// An associated function without the struct among its parameters.
    #[differentiable(associated)]
    fn started(total: f64, n: usize) -> Tracker {
        Tracker {
            total: total.sqrt(),
            n,
        }
    }
}

#[test]
fn a_mut_self_method_returning_a_struct() {
    let tracker = |v: f64| Tracker { total: v, n: 1 };
    let f = |x: &[f64]| {
        let mut tr = tracker(x[0]);
        let r = tr.absorb(&state_from(&x[1..5]));
        let mut out = r.to_reals();
        out.push(tr.total);
        out
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut tr, mut tr_dot) = (tracker(x[0]), tracker(d[0]));
        let (v, t) = Tracker::absorb_jvp_at(
            &mut tr,
            &mut tr_dot,
            &state_from(&x[1..5]),
            &state_from(&d[1..5]),
        );
        let (mut v, mut t) = (v.to_reals(), t.to_reals());
        v.push(tr.total);
        t.push(tr_dot.total);
        (v, t)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(&x[1..5]);
        let (mut tr, mut tr_bar) = (tracker(x[0]), tracker(w[4]));
        let mut s_bar = s.zero_like();
        let v = Tracker::absorb_vjp_at(&mut tr, &mut tr_bar, &s, &mut s_bar, &state_from(w));
        let mut v = v.to_reals();
        v.push(tr.total);
        let mut g = vec![tr_bar.total];
        g.extend(s_bar.to_reals());
        (v, g)
    };
    let case = Case {
        name: "Tracker::absorb(&mut self, s: &State) -> State",
        inputs: 5,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, 1.0, -2.0, 0.7, 0.3], 121);
}

#[test]
fn associated_functions_returning_a_struct() {
    let tracker = |v: f64| Tracker { total: v, n: 1 };
    let f = |x: &[f64]| Tracker::merged(&tracker(x[0]), &tracker(x[1])).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = Tracker::merged_jvp(
            &tracker(x[0]),
            &tracker(d[0]),
            &tracker(x[1]),
            &tracker(d[1]),
        );
        assert_eq!(v.n, 2);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (a, b) = (tracker(x[0]), tracker(x[1]));
        let (mut a_bar, mut b_bar) = (a.zero_like(), b.zero_like());
        let v = Tracker::merged_vjp(&a, &mut a_bar, &b, &mut b_bar, &tracker(w[0]));
        (v.to_reals(), vec![a_bar.total, b_bar.total])
    };
    let case = Case {
        name: "Tracker::merged(a: &Self, b: &Self) -> Tracker",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, 1.5], 131);
    let f = |x: &[f64]| Tracker::started(x[0], 4).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = Tracker::started_jvp(x[0], d[0], 4);
        assert_eq!((v.n, t.n), (4, 4));
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut g = 0.0;
        let v = Tracker::started_vjp(x[0], &mut g, 4, &tracker(w[0]));
        (v.to_reals(), vec![g])
    };
    let case = Case {
        name: "Tracker::started(total, n) -> Tracker (associated)",
        inputs: 1,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[2.5], 141);
}
