//! Methods on a struct parameter returning a struct: the Lorenz-63 state as a struct, its
//! right-hand side and RK4 step `&self` methods of the model returning it, and the 4D-Var cost
//! stepping it, `s = self.rk4(&s, H)`; `let s2 = self.rk4(&s, h)`; `wrt(self, ..)`. The caller
//! holds each result as its reals at the method's own places (`Self::__tl_self_rk4_out..`) and
//! calls the method through its `__tl_self_` companions. Each derivative proved three ways
//! (central finite differences, the dot-product test, tangent against adjoint), the cost's
//! Hessian-vector products at dual numbers against differences of gradients, the values equal
//! to the bit to the same model written with arrays (a struct literal's adjoint in the order of
//! an array literal's, whichever order its fields are listed in); adversarial names and a
//! `macro_rules!` caller.

mod common;

use common::{check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

const H: f64 = 0.01;
const STEPS: usize = 20;
const EVERY: usize = 5;

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    y: f64,
    z: f64,
}

#[differentiable]
#[derive(Clone, Debug)]
struct Lorenz63 {
    sigma: f64,
    rho: f64,
    beta: f64,
}

impl Lorenz63 {
    #[differentiable]
    fn rhs(&self, s: &State) -> State {
        State {
            x: self.sigma * (s.y - s.x),
            y: s.x * (self.rho - s.z) - s.y,
            z: s.x * s.y - self.beta * s.z,
        }
    }

    #[differentiable]
    fn rk4(&self, s: &State, h: f64) -> State {
        let k1 = self.rhs(s);
        let y1 = State {
            x: s.x + 0.5 * h * k1.x,
            y: s.y + 0.5 * h * k1.y,
            z: s.z + 0.5 * h * k1.z,
        };
        let k2 = self.rhs(&y1);
        let y2 = State {
            x: s.x + 0.5 * h * k2.x,
            y: s.y + 0.5 * h * k2.y,
            z: s.z + 0.5 * h * k2.z,
        };
        let k3 = self.rhs(&y2);
        let y3 = State {
            x: s.x + h * k3.x,
            y: s.y + h * k3.y,
            z: s.z + h * k3.z,
        };
        let k4 = self.rhs(&y3);
        State {
            x: s.x + h / 6.0 * (k1.x + 2.0 * k2.x + 2.0 * k3.x + k4.x),
            y: s.y + h / 6.0 * (k1.y + 2.0 * k2.y + 2.0 * k3.y + k4.y),
            z: s.z + h / 6.0 * (k1.z + 2.0 * k2.z + 2.0 * k3.z + k4.z),
        }
    }

    /// The 4D-Var misfit of x and z every `EVERY` steps, in the initial state only.
    #[differentiable(wrt(x0))]
    fn cost(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut s = State {
            x: x0[0],
            y: x0[1],
            z: x0[2],
        };
        let mut j = 0.0;
        for k in 1..=STEPS {
            s = self.rk4(&s, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                j += (s.x - o[0]).powi(2) + (s.z - o[1]).powi(2);
            }
        }
        j
    }
}

/// The same model with the state as an array: the same operations in the same order.
fn rhs_arrays(p: &[f64; 3], u: [f64; 3]) -> [f64; 3] {
    [
        p[0] * (u[1] - u[0]),
        u[0] * (p[1] - u[2]) - u[1],
        u[0] * u[1] - p[2] * u[2],
    ]
}

fn rk4_arrays(p: &[f64; 3], u: [f64; 3], h: f64) -> [f64; 3] {
    let k1 = rhs_arrays(p, u);
    let k2 = rhs_arrays(p, [0, 1, 2].map(|i| u[i] + 0.5 * h * k1[i]));
    let k3 = rhs_arrays(p, [0, 1, 2].map(|i| u[i] + 0.5 * h * k2[i]));
    let k4 = rhs_arrays(p, [0, 1, 2].map(|i| u[i] + h * k3[i]));
    [0, 1, 2].map(|i| u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

fn cost_arrays(p: &[f64; 3], x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
    let mut u = x0;
    let mut j = 0.0;
    for k in 1..=STEPS {
        u = rk4_arrays(p, u, H);
        if k % EVERY == 0 {
            let o = obs[k / EVERY - 1];
            j += (u[0] - o[0]).powi(2) + (u[2] - o[1]).powi(2);
        }
    }
    j
}

const OBS: [[f64; 2]; 4] = [[-4.9, 25.6], [-4.1, 25.9], [-3.6, 25.2], [-3.5, 24.3]];

fn model() -> Lorenz63 {
    Lorenz63 {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
    }
}

#[test]
fn the_4dvar_cost_stepping_a_state_struct() {
    let m = model();
    let x = [-5.8, -5.1, 24.3];
    assert_eq!(
        m.cost(x, &OBS),
        cost_arrays(&[10.0, 28.0, 8.0 / 3.0], x, &OBS)
    );
    let f = |x: &[f64]| vec![m.cost([x[0], x[1], x[2]], &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = m.cost_jvp([x[0], x[1], x[2]], [d[0], d[1], d[2]], &OBS);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut g = [0.0; 3];
        let v = m.cost_vjp([x[0], x[1], x[2]], &mut g, &OBS, w[0]);
        (vec![v], g.to_vec())
    };
    let case = Case {
        name: "cost: s = self.rk4(&s, H)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 1);
    check(&case, &[-4.0, -6.0, 22.0], 2);
}

impl Lorenz63 {
    /// An energy of the state weighted by the model, a real.
    #[differentiable]
    fn energy(&self, s: &State) -> f64 {
        0.5 * (s.x * s.x + s.y * s.y) + self.beta * s.z
    }

    /// The cost in the model and the initial state, the misfit through `self.energy(&s)`.
    #[differentiable(wrt(self, x0))]
    fn cost_both(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut s = State {
            x: x0[0],
            y: x0[1],
            z: x0[2],
        };
        let mut j = 0.0;
        for k in 1..=STEPS {
            s = self.rk4(&s, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                j += (s.x - o[0]).powi(2) + (s.z - o[1]).powi(2) + 1e-3 * self.energy(&s);
            }
        }
        j
    }

    /// Two steps taken as new locals, in every input.
    #[differentiable]
    fn two_steps(&self, x0: [f64; 3], h: f64) -> f64 {
        let s = State {
            x: x0[0],
            y: x0[1],
            z: x0[2],
        };
        let s2 = self.rk4(&s, h);
        let s3 = self.rk4(&s2, h);
        s3.x * s2.z + s3.y * self.energy(&s2)
    }
}

fn model_from(v: &[f64]) -> Lorenz63 {
    Lorenz63 {
        sigma: v[0],
        rho: v[1],
        beta: v[2],
    }
}

fn reals(m: &Lorenz63) -> Vec<f64> {
    vec![m.sigma, m.rho, m.beta]
}

fn state_from(v: &[f64]) -> State {
    State {
        x: v[0],
        y: v[1],
        z: v[2],
    }
}

fn zero_model() -> Lorenz63 {
    model_from(&[0.0; 3])
}

#[test]
fn the_rk4_step_itself_in_the_model_the_state_and_h() {
    // x = (sigma, rho, beta, x, y, z, h); the result's three reals.
    let f = |x: &[f64]| {
        let s = model_from(x).rk4(&state_from(&x[3..6]), x[6]);
        vec![s.x, s.y, s.z]
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (s, s_dot) = (state_from(&x[3..6]), state_from(&d[3..6]));
        let (v, t) = m.rk4_jvp(&m_dot, &s, &s_dot, x[6], d[6]);
        (vec![v.x, v.y, v.z], vec![t.x, t.y, t.z])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (m, s) = (model_from(x), state_from(&x[3..6]));
        let (mut m_bar, mut s_bar, mut h_bar) = (zero_model(), state_from(&[0.0; 3]), 0.0);
        let v = m.rk4_vjp(&mut m_bar, &s, &mut s_bar, x[6], &mut h_bar, &state_from(w));
        let mut g = reals(&m_bar);
        g.extend([s_bar.x, s_bar.y, s_bar.z, h_bar]);
        (vec![v.x, v.y, v.z], g)
    };
    let case = Case {
        name: "rk4(&self, s, h) calling self.rhs(&y1)",
        inputs: 7,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3, 0.01], 3);
    check(&case, &[9.0, 20.0, 2.0, 1.0, 2.0, 3.0, 0.05], 4);
    let u = rk4_arrays(&[10.0, 28.0, 8.0 / 3.0], [-5.8, -5.1, 24.3], 0.01);
    let s = model().rk4(&state_from(&[-5.8, -5.1, 24.3]), 0.01);
    assert_eq!([s.x, s.y, s.z], u);
}

/// The gradient of `cost_both` in (sigma, rho, beta, x0) times `w`, and the value.
fn cost_both_gradient(x: &[f64], w: f64) -> (Vec<f64>, f64) {
    let m = model_from(x);
    let (mut m_bar, mut x_bar) = (zero_model(), [0.0; 3]);
    let v = m.cost_both_vjp(&mut m_bar, [x[3], x[4], x[5]], &mut x_bar, &OBS, w);
    let mut g = reals(&m_bar);
    g.extend(x_bar);
    (g, v)
}

#[test]
fn the_cost_in_the_model_and_the_state_with_wrt_self() {
    let f = |x: &[f64]| vec![model_from(x).cost_both([x[3], x[4], x[5]], &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (v, t) = m.cost_both_jvp(&m_dot, [x[3], x[4], x[5]], [d[3], d[4], d[5]], &OBS);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (g, v) = cost_both_gradient(x, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "cost_both: wrt(self, x0), self.energy(&s)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3], 5);
    check(&case, &[9.5, 27.0, 2.5, -4.0, -6.0, 22.0], 6);
}

#[test]
fn hessian_vector_products_at_dual_numbers() {
    // The cost in x0 (the model constant), as examples/lorenz63_idiomatic.rs takes it.
    let m = model();
    let x = [-5.8, -5.1, 24.3];
    let mut draws = common::Draws::new(7);
    let (u, w) = (draws.vec(3), draws.vec(3));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: [Dual<f64, 1>; 3] = core::array::from_fn(|i| Dual::new(x[i], [dir[i]]));
        let mut g = [Dual::constant(0.0); 3];
        m.cost_vjp(z, &mut g, &OBS, Dual::constant(1.0));
        g.iter().map(|d| d.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| {
        let mut out = [0.0; 3];
        m.cost_vjp([x[0], x[1], x[2]], &mut out, &OBS, 1.0);
        g.copy_from_slice(&out);
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "cost: H u against differences of gradients {:e}, symmetry {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
    // In the model and the state together (`wrt(self, x0)`), the model lifted to duals.
    let y = [10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3];
    let (u, w) = (draws.vec(6), draws.vec(6));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let z: Vec<Dual<f64, 1>> = (0..6).map(|i| Dual::new(y[i], [dir[i]])).collect();
        let m = Lorenz63 {
            sigma: z[0],
            rho: z[1],
            beta: z[2],
        };
        let zero = Dual::constant(0.0);
        let mut m_bar = Lorenz63 {
            sigma: zero,
            rho: zero,
            beta: zero,
        };
        let mut x_bar = [zero; 3];
        let x0 = [z[3], z[4], z[5]];
        Lorenz63::cost_both_vjp_at(&m, &mut m_bar, x0, &mut x_bar, &OBS, Dual::constant(1.0));
        let mut all = vec![m_bar.sigma, m_bar.rho, m_bar.beta];
        all.extend(x_bar);
        all.iter().map(|d| d.tangents[0]).collect()
    };
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&cost_both_gradient(x, 1.0).0);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(gradient, &y, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "cost_both: H u against differences of gradients {:e}, symmetry {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

#[test]
fn two_steps_bound_as_new_locals() {
    let f = |x: &[f64]| vec![model_from(x).two_steps([x[3], x[4], x[5]], x[6])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (v, t) = m.two_steps_jvp(&m_dot, [x[3], x[4], x[5]], [d[3], d[4], d[5]], x[6], d[6]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = model_from(x);
        let (mut m_bar, mut x_bar, mut h_bar) = (zero_model(), [0.0; 3], 0.0);
        let v = m.two_steps_vjp(
            &mut m_bar,
            [x[3], x[4], x[5]],
            &mut x_bar,
            x[6],
            &mut h_bar,
            w[0],
        );
        let mut g = reals(&m_bar);
        g.extend(x_bar);
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "two_steps: let s2 = self.rk4(&s, h)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3, 0.01], 8);
    let m = model();
    let s = state_from(&[-5.8, -5.1, 24.3]);
    let (s2, s3) = (m.rk4(&s, 0.01), m.rk4(&m.rk4(&s, 0.01), 0.01));
    let by_hand = s3.x * s2.z + s3.y * m.energy(&s2);
    assert_eq!(m.two_steps([-5.8, -5.1, 24.3], 0.01), by_hand);
}

/// Names as the generated code's: a method `r#type`, a state `result`, locals `s_bar`,
/// `__adj0`, `k1_bar`, `self__`-like fields.
#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Odd {
    result: f64,
    x_bar: f64,
}

impl Lorenz63 {
    #[differentiable]
    fn r#type(&self, result: &Odd, s_bar: f64) -> Odd {
        Odd {
            result: self.sigma * result.x_bar + s_bar,
            x_bar: result.result * (self.rho - result.x_bar),
        }
    }

    #[differentiable]
    fn odd_run(&self, r#in: f64, __adj0: f64) -> f64 {
        let mut result = Odd {
            result: r#in,
            x_bar: __adj0,
        };
        let mut s_bar = 0.0;
        for _ in 0..3 {
            result = self.r#type(&result, 0.1 * r#in);
            let k1_bar = self.r#type(&result, __adj0);
            s_bar += k1_bar.result * result.x_bar;
        }
        s_bar
    }
}

#[test]
fn adversarial_names() {
    let f = |x: &[f64]| vec![model_from(x).odd_run(x[3], x[4])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (v, t) = m.odd_run_jvp(&m_dot, x[3], d[3], x[4], d[4]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = model_from(x);
        let (mut m_bar, mut a, mut b) = (zero_model(), 0.0, 0.0);
        let v = m.odd_run_vjp(&mut m_bar, x[3], &mut a, x[4], &mut b, w[0]);
        let mut g = reals(&m_bar);
        g.extend([a, b]);
        (vec![v], g)
    };
    let case = Case {
        name: "odd_run: result = self.r#type(&result, ..)",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, 0.7, 0.2, 0.4, -0.6], 9);
}

/// A caller written by a `macro_rules!` macro, stepping `n` times.
macro_rules! stepped {
    ($name:ident, $n:expr) => {
        impl Lorenz63 {
            #[differentiable]
            fn $name(&self, x0: [f64; 3], h: f64) -> f64 {
                let mut s = State {
                    x: x0[0],
                    y: x0[1],
                    z: x0[2],
                };
                for _ in 0..$n {
                    s = self.rk4(&s, h);
                }
                s.x * s.y + self.energy(&s)
            }
        }
    };
}

stepped!(three_steps, 3);

#[test]
fn a_caller_written_by_a_macro() {
    let f = |x: &[f64]| vec![model_from(x).three_steps([x[3], x[4], x[5]], x[6])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (v, t) = m.three_steps_jvp(&m_dot, [x[3], x[4], x[5]], [d[3], d[4], d[5]], x[6], d[6]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = model_from(x);
        let (mut m_bar, mut x_bar, mut h_bar) = (zero_model(), [0.0; 3], 0.0);
        let x0 = [x[3], x[4], x[5]];
        let v = m.three_steps_vjp(&mut m_bar, x0, &mut x_bar, x[6], &mut h_bar, w[0]);
        let mut g = reals(&m_bar);
        g.extend(x_bar);
        g.push(h_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "three_steps (macro_rules!)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3, 0.01], 10);
}

/// The model with its state as an array, annotated: `examples/lorenz63_idiomatic.rs` before
/// its state became a struct.
#[differentiable]
#[derive(Clone, Debug)]
struct Arrays {
    sigma: f64,
    rho: f64,
    beta: f64,
}

impl Arrays {
    #[differentiable]
    fn rhs(&self, u: [f64; 3]) -> [f64; 3] {
        let [x, y, z] = u;
        [
            self.sigma * (y - x),
            x * (self.rho - z) - y,
            x * y - self.beta * z,
        ]
    }

    #[differentiable]
    fn rk4(&self, u: [f64; 3], h: f64) -> [f64; 3] {
        let k1 = self.rhs(u);
        let mut y = [0.0; 3];
        for i in 0..3 {
            y[i] = u[i] + 0.5 * h * k1[i];
        }
        let k2 = self.rhs(y);
        for i in 0..3 {
            y[i] = u[i] + 0.5 * h * k2[i];
        }
        let k3 = self.rhs(y);
        for i in 0..3 {
            y[i] = u[i] + h * k3[i];
        }
        let k4 = self.rhs(y);
        let mut next = [0.0; 3];
        for i in 0..3 {
            next[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        next
    }

    #[differentiable(wrt(x0))]
    fn cost(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut u = [x0[0], x0[1], x0[2]];
        let mut j = 0.0;
        for k in 1..=STEPS {
            u = self.rk4(u, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                j += (u[0] - o[0]).powi(2) + (u[2] - o[1]).powi(2);
            }
        }
        j
    }
}

impl Arrays {
    /// `rhs` by statements in index order: the reverse sweep takes `du[2]` first, then `du[1]`,
    /// then `du[0]`, as it takes a literal listing its fields `z, y, x` first to last.
    #[differentiable]
    fn rhs_by_statements(&self, u: [f64; 3]) -> [f64; 3] {
        let [x, y, z] = u;
        let mut du = [0.0; 3];
        du[0] = self.sigma * (y - x);
        du[1] = x * (self.rho - z) - y;
        du[2] = x * y - self.beta * z;
        du
    }

    #[differentiable]
    fn rk4_by_statements(&self, u: [f64; 3], h: f64) -> [f64; 3] {
        let k1 = self.rhs_by_statements(u);
        let mut y = [0.0; 3];
        for i in 0..3 {
            y[i] = u[i] + 0.5 * h * k1[i];
        }
        let k2 = self.rhs_by_statements(y);
        for i in 0..3 {
            y[i] = u[i] + 0.5 * h * k2[i];
        }
        let k3 = self.rhs_by_statements(y);
        for i in 0..3 {
            y[i] = u[i] + h * k3[i];
        }
        let k4 = self.rhs_by_statements(y);
        let mut next = [0.0; 3];
        for i in 0..3 {
            next[i] = u[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        next
    }

    #[differentiable(wrt(x0))]
    fn cost_by_statements(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut u = [x0[0], x0[1], x0[2]];
        let mut j = 0.0;
        for k in 1..=STEPS {
            u = self.rk4_by_statements(u, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                j += (u[0] - o[0]).powi(2) + (u[2] - o[1]).powi(2);
            }
        }
        j
    }
}

impl Lorenz63 {
    /// `rhs` with its fields listed last first (as `examples/lorenz63_idiomatic.rs` did before
    /// session 14): the reverse sweep takes a literal's fields first to last, so this adds the
    /// adjoint's terms of `z`, then `y`, then `x`, as `Arrays::rhs_by_statements` does.
    #[differentiable]
    fn rhs_zyx(&self, s: &State) -> State {
        let (x, y, z) = (s.x, s.y, s.z);
        State {
            z: x * y - self.beta * z,
            y: x * (self.rho - z) - y,
            x: self.sigma * (y - x),
        }
    }

    #[differentiable]
    fn rk4_zyx(&self, s: &State, h: f64) -> State {
        let k1 = self.rhs_zyx(s);
        let y1 = State {
            x: s.x + 0.5 * h * k1.x,
            y: s.y + 0.5 * h * k1.y,
            z: s.z + 0.5 * h * k1.z,
        };
        let k2 = self.rhs_zyx(&y1);
        let y2 = State {
            x: s.x + 0.5 * h * k2.x,
            y: s.y + 0.5 * h * k2.y,
            z: s.z + 0.5 * h * k2.z,
        };
        let k3 = self.rhs_zyx(&y2);
        let y3 = State {
            x: s.x + h * k3.x,
            y: s.y + h * k3.y,
            z: s.z + h * k3.z,
        };
        let k4 = self.rhs_zyx(&y3);
        State {
            x: s.x + h / 6.0 * (k1.x + 2.0 * k2.x + 2.0 * k3.x + k4.x),
            y: s.y + h / 6.0 * (k1.y + 2.0 * k2.y + 2.0 * k3.y + k4.y),
            z: s.z + h / 6.0 * (k1.z + 2.0 * k2.z + 2.0 * k3.z + k4.z),
        }
    }

    #[differentiable(wrt(x0))]
    fn cost_zyx(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut s = State {
            x: x0[0],
            y: x0[1],
            z: x0[2],
        };
        let mut j = 0.0;
        for k in 1..=STEPS {
            s = self.rk4_zyx(&s, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                j += (s.x - o[0]).powi(2) + (s.z - o[1]).powi(2);
            }
        }
        j
    }
}

/// The gradient of a cost in `x0` and its Hessian's columns `H e_c`, at `x`.
type CostVjp<'a> = &'a dyn Fn([f64; 3], &mut [f64; 3]) -> f64;
type CostVjpDual<'a> = &'a dyn Fn([Dual<f64, 1>; 3], &mut [Dual<f64, 1>; 3]);

fn gradient_and_hessian(f: CostVjp, f_dual: CostVjpDual, x: [f64; 3]) -> (f64, [f64; 12]) {
    let mut out = [0.0; 12];
    let mut g = [0.0; 3];
    let v = f(x, &mut g);
    out[..3].copy_from_slice(&g);
    for c in 0..3 {
        let z: [Dual<f64, 1>; 3] =
            core::array::from_fn(|i| Dual::new(x[i], [f64::from(u8::from(i == c))]));
        let mut h = [Dual::constant(0.0); 3];
        f_dual(z, &mut h);
        for i in 0..3 {
            out[3 + 3 * c + i] = h[i].tangents[0];
        }
    }
    (v, out)
}

#[test]
fn the_gradient_and_hvp_equal_the_array_models_to_the_bit() {
    let a = Arrays {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
    };
    let m = model();
    let one = Dual::constant(1.0);
    let arrays = |x, g: &mut [f64; 3]| a.cost_vjp(x, g, &OBS, 1.0);
    let arrays_dual = |x, g: &mut [Dual<f64, 1>; 3]| {
        a.cost_vjp(x, g, &OBS, one);
    };
    let by_statements = |x, g: &mut [f64; 3]| a.cost_by_statements_vjp(x, g, &OBS, 1.0);
    let by_statements_dual = |x, g: &mut [Dual<f64, 1>; 3]| {
        a.cost_by_statements_vjp(x, g, &OBS, one);
    };
    // The natural order `State { x, y, z }` as the array literal `[dx, dy, dz]`.
    let natural = |x, g: &mut [f64; 3]| m.cost_vjp(x, g, &OBS, 1.0);
    let natural_dual = |x, g: &mut [Dual<f64, 1>; 3]| {
        m.cost_vjp(x, g, &OBS, one);
    };
    // The order `State { z, y, x }` as the statements `du[0] = ..; du[1] = ..; du[2] = ..;`.
    let zyx = |x, g: &mut [f64; 3]| m.cost_zyx_vjp(x, g, &OBS, 1.0);
    let zyx_dual = |x, g: &mut [Dual<f64, 1>; 3]| {
        m.cost_zyx_vjp(x, g, &OBS, one);
    };
    let mut orders_differ = false;
    for x in [[-5.8, -5.1, 24.3], [-4.0, -6.0, 22.0], [1.0, 2.0, 20.0]] {
        let by_array = gradient_and_hessian(&arrays, &arrays_dual, x);
        let by_stmts = gradient_and_hessian(&by_statements, &by_statements_dual, x);
        assert_eq!(
            gradient_and_hessian(&natural, &natural_dual, x),
            by_array,
            "State {{ x, y, z }}: the gradient and H e_c at {x:?}"
        );
        assert_eq!(
            gradient_and_hessian(&zyx, &zyx_dual, x),
            by_stmts,
            "State {{ z, y, x }}: the gradient and H e_c at {x:?}"
        );
        orders_differ |= by_array != by_stmts;
    }
    // The two orders round differently, so each comparison above can fail.
    assert!(orders_differ, "the two orders of the adjoint's additions");
}

impl State {
    /// An associated function building the state.
    #[differentiable(associated)]
    fn new(x: f64, y: f64, z: f64) -> State {
        State { x, y, z }
    }

    /// An associated function returning a struct from another: the midpoint of two states.
    #[differentiable(associated)]
    fn midpoint(a: &State, b: &State) -> State {
        State {
            x: 0.5 * (a.x + b.x),
            y: 0.5 * (a.y + b.y),
            z: 0.5 * (a.z + b.z),
        }
    }
}

impl Lorenz63 {
    /// The cost from a state built by `State::new`, and a midpoint by `State::midpoint`.
    #[differentiable(wrt(self, x0))]
    fn cost_new(&self, x0: [f64; 3], obs: &[[f64; 2]]) -> f64 {
        let mut s = State::new(x0[0], x0[1], x0[2]);
        let start = State::new(x0[0], x0[1], x0[2]);
        let mut j = 0.0;
        for k in 1..=STEPS {
            s = self.rk4(&s, H);
            if k % EVERY == 0 {
                let o = obs[k / EVERY - 1];
                let m = State::midpoint(&s, &start);
                j += (s.x - o[0]).powi(2) + (s.z - o[1]).powi(2) + 1e-2 * m.y * m.y;
            }
        }
        j
    }
}

#[test]
fn associated_functions_state_new_and_midpoint() {
    let by_hand = |m: &Lorenz63, x0: [f64; 3]| {
        let start = state_from(&x0);
        let mut s = start;
        let mut j = 0.0;
        for k in 1..=STEPS {
            s = m.rk4(&s, H);
            if k % EVERY == 0 {
                let o = OBS[k / EVERY - 1];
                let y = 0.5 * (s.y + start.y);
                j += (s.x - o[0]).powi(2) + (s.z - o[1]).powi(2) + 1e-2 * y * y;
            }
        }
        j
    };
    let x0 = [-5.8, -5.1, 24.3];
    assert_eq!(model().cost_new(x0, &OBS), by_hand(&model(), x0));
    let f = |x: &[f64]| vec![model_from(x).cost_new([x[3], x[4], x[5]], &OBS)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (model_from(x), model_from(d));
        let (v, t) = m.cost_new_jvp(&m_dot, [x[3], x[4], x[5]], [d[3], d[4], d[5]], &OBS);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = model_from(x);
        let (mut m_bar, mut x_bar) = (zero_model(), [0.0; 3]);
        let v = m.cost_new_vjp(&mut m_bar, [x[3], x[4], x[5]], &mut x_bar, &OBS, w[0]);
        let mut g = reals(&m_bar);
        g.extend(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "cost_new: State::new, State::midpoint",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[10.0, 28.0, 8.0 / 3.0, -5.8, -5.1, 24.3], 11);
    check(&case, &[9.5, 27.0, 2.5, -4.0, -6.0, 22.0], 12);
}

/// A struct local whose fields all read `a`: its reverse sweep adds their terms into `a_bar`
/// first to last, as for the array literal.
#[differentiable]
fn local_literal(a: f64, b: f64) -> f64 {
    let s = State {
        x: a * b,
        y: a / b,
        z: a.sin(),
    };
    s.x * s.y + s.z * b
}

#[differentiable]
fn local_literal_zyx(a: f64, b: f64) -> f64 {
    let s = State {
        z: a.sin(),
        y: a / b,
        x: a * b,
    };
    s.x * s.y + s.z * b
}

#[differentiable]
fn local_array(a: f64, b: f64) -> f64 {
    let s = [a * b, a / b, a.sin()];
    s[0] * s[1] + s[2] * b
}

/// A struct result whose fields all read `c`, and a local held as its reals (`s = shift(..)`)
/// built by a literal whose fields all read `a`.
#[differentiable]
fn shift(s: &State, c: f64) -> State {
    State {
        x: s.x + c * c,
        y: s.y * c,
        z: s.z - c.exp(),
    }
}

#[differentiable]
fn held_literal(a: f64, b: f64) -> f64 {
    let mut s = State {
        x: a * b,
        y: a / b,
        z: a.sin(),
    };
    s = shift(&s, b);
    s.x * s.y + s.z * b
}

#[differentiable]
fn shift_array(s: [f64; 3], c: f64) -> [f64; 3] {
    [s[0] + c * c, s[1] * c, s[2] - c.exp()]
}

#[differentiable]
fn held_array(a: f64, b: f64) -> f64 {
    let mut s = [a * b, a / b, a.sin()];
    s = shift_array(s, b);
    s[0] * s[1] + s[2] * b
}

type Pair = fn(f64, f64) -> f64;
type PairJvp = fn(f64, f64, f64, f64) -> (f64, f64);
type PairVjp = fn(f64, &mut f64, f64, &mut f64, f64) -> f64;

/// The gradient of `vjp` at `(a, b)`, with its value.
fn pair_gradient(vjp: PairVjp, a: f64, b: f64) -> (f64, f64, f64) {
    let (mut a_bar, mut b_bar) = (0.0, 0.0);
    let v = vjp(a, &mut a_bar, b, &mut b_bar, 1.0);
    (v, a_bar, b_bar)
}

#[test]
fn struct_locals_and_held_literals_equal_array_literals_to_the_bit() {
    let cases: [(&str, Pair, PairJvp, PairVjp); 3] = [
        (
            "local_literal",
            local_literal,
            local_literal_jvp,
            local_literal_vjp,
        ),
        (
            "local_literal_zyx",
            local_literal_zyx,
            local_literal_zyx_jvp,
            local_literal_zyx_vjp,
        ),
        (
            "held_literal",
            held_literal,
            held_literal_jvp,
            held_literal_vjp,
        ),
    ];
    for (k, (name, f, jvp, vjp)) in cases.into_iter().enumerate() {
        let value = |x: &[f64]| vec![f(x[0], x[1])];
        let tangent = |x: &[f64], d: &[f64]| {
            let (v, t) = jvp(x[0], d[0], x[1], d[1]);
            (vec![v], vec![t])
        };
        let adjoint = |x: &[f64], w: &[f64]| {
            let (mut a_bar, mut b_bar) = (0.0, 0.0);
            let v = vjp(x[0], &mut a_bar, x[1], &mut b_bar, w[0]);
            (vec![v], vec![a_bar, b_bar])
        };
        let case = Case {
            name,
            inputs: 2,
            outputs: 1,
            f: &value,
            jvp: &tangent,
            vjp: &adjoint,
        };
        check(&case, &[0.7, 1.3], 40 + k as u64);
    }
    let mut draws = common::Draws::new(41);
    let mut orders_differ = false;
    for _ in 0..200 {
        let (a, b) = (3.0 * draws.next(), 1.5 + draws.next());
        let array = pair_gradient(local_array_vjp, a, b);
        assert_eq!(
            pair_gradient(local_literal_vjp, a, b),
            array,
            "at ({a}, {b})"
        );
        orders_differ |= pair_gradient(local_literal_zyx_vjp, a, b) != array;
        assert_eq!(
            pair_gradient(held_literal_vjp, a, b),
            pair_gradient(held_array_vjp, a, b),
            "held at ({a}, {b})"
        );
    }
    // The order `z, y, x` rounds differently somewhere, so the comparisons above can fail.
    assert!(orders_differ, "the two orders of the adjoint's additions");
}
