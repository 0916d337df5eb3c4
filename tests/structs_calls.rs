//! A parameter struct passed whole to another annotated function: a solver step calling the
//! annotated right-hand side with `p`, a cost calling the step in a loop, and a function that
//! both reads fields of `p` and passes it on. Each derivative is proved three ways (central
//! finite differences, the dot-product test, tangent against adjoint), and the cost's
//! Hessian-vector product at dual numbers against differences of gradients and for symmetry.

mod common;

use common::{assert_close, check, Case};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

/// Lorenz-63 parameters.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
}

/// Lorenz-63 right-hand side, reading the parameter struct's fields.
#[differentiable]
fn lorenz63(du: &mut [f64], u: &[f64], p: &Params) {
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
}

/// One RK4 step: the parameter struct passed whole to the right-hand side four times.
#[allow(clippy::needless_borrow)] // `&p` on purpose: both `p` and `&p` are accepted
#[differentiable]
fn rk4(u: &mut [f64], p: &Params, h: f64) {
    let mut k1 = [0.0; 3];
    let mut k2 = [0.0; 3];
    let mut k3 = [0.0; 3];
    let mut k4 = [0.0; 3];
    let mut v = [0.0; 3];
    lorenz63(&mut k1, u, p);
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k1[i];
    }
    lorenz63(&mut k2, &v, p);
    for i in 0..3 {
        v[i] = u[i] + 0.5 * h * k2[i];
    }
    lorenz63(&mut k3, &v, &p);
    for i in 0..3 {
        v[i] = u[i] + h * k3[i];
    }
    lorenz63(&mut k4, &v, p);
    for i in 0..3 {
        u[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

/// A scalar cost: the step called in a loop with `p` whole, and fields of `p` read here too.
#[differentiable]
fn cost(x0: &[f64], p: &Params, h: f64) -> f64 {
    let mut u = [x0[0], x0[1], x0[2]];
    let mut j = 0.0;
    for _ in 0..5 {
        rk4(&mut u, p, h);
        j += (u[0] - 1.0) * (u[0] - 1.0) + p.beta * u[2] * 1e-3;
    }
    j + 0.01 * p.sigma * p.rho
}

/// A callee returning a real, called inside an expression with the struct whole.
#[differentiable]
fn energy(u: &[f64], p: &Params) -> f64 {
    p.sigma * u[0] * u[0] + p.rho * u[1] * u[1] + p.beta * u[2]
}

#[allow(clippy::needless_borrow)] // `&p` on purpose: both `p` and `&p` are accepted
#[differentiable]
fn energy_plus(u: &[f64], p: &Params) -> f64 {
    energy(u, p) * p.beta + energy(u, &p)
}

fn params_from(v: &[f64]) -> Params {
    Params {
        sigma: v[0],
        rho: v[1],
        beta: v[2],
    }
}

const X: [f64; 7] = [1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0, 0.01];

#[test]
fn a_step_passes_the_parameter_struct_to_the_right_hand_side() {
    let f = |x: &[f64]| {
        let mut u = x[..3].to_vec();
        rk4(&mut u, &params_from(&x[3..6]), x[6]);
        u
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut u, mut u_dot) = (x[..3].to_vec(), d[..3].to_vec());
        let (p, p_dot) = (params_from(&x[3..6]), params_from(&d[3..6]));
        rk4_jvp(&mut u, &mut u_dot, &p, &p_dot, x[6], d[6]);
        (u, u_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut u = x[..3].to_vec();
        let mut u_bar = w.to_vec();
        let p = params_from(&x[3..6]);
        let mut p_bar = p.zero_like();
        let mut h_bar = 0.0;
        rk4_vjp(&mut u, &mut u_bar, &p, &mut p_bar, x[6], &mut h_bar);
        u_bar.extend(p_bar.to_reals());
        u_bar.push(h_bar);
        (u, u_bar)
    };
    let case = Case {
        name: "rk4(u, p: &Params, h) calling lorenz63(du, u, p)",
        inputs: 7,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 11);
    // The step through its path companions is the step itself.
    let p = params_from(&X[3..6]);
    let (mut a, mut b) = (X[..3].to_vec(), X[..3].to_vec());
    rk4(&mut a, &p, 0.01);
    rk4_generic(&mut b, &p, 0.01);
    assert_eq!(a, b);
}

/// `cost` as a function of all its reals `(x0, sigma, rho, beta, h)`.
fn cost_of(x: &[f64]) -> f64 {
    cost(&x[..3], &params_from(&x[3..6]), x[6])
}

fn cost_vjp_of(x: &[f64], seed: f64) -> (f64, Vec<f64>) {
    let mut x0_bar = vec![0.0; 3];
    let p = params_from(&x[3..6]);
    let mut p_bar = p.zero_like();
    let mut h_bar = 0.0;
    let v = cost_vjp(&x[..3], &mut x0_bar, &p, &mut p_bar, x[6], &mut h_bar, seed);
    x0_bar.extend(p_bar.to_reals());
    x0_bar.push(h_bar);
    (v, x0_bar)
}

#[test]
fn a_cost_reads_fields_and_passes_the_struct_on_in_a_loop() {
    let f = |x: &[f64]| vec![cost_of(x)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, p_dot) = (params_from(&x[3..6]), params_from(&d[3..6]));
        let (v, t) = cost_jvp(&x[..3], &d[..3], &p, &p_dot, x[6], d[6]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (v, g) = cost_vjp_of(x, w[0]);
        (vec![v], g)
    };
    let case = Case {
        name: "cost(x0, p: &Params, h) calling rk4(u, p, h)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 12);
    // The adjoint accumulates into `p_bar`: a second call doubles it.
    let p = params_from(&X[3..6]);
    let mut p_bar = p.zero_like();
    let (mut x0_bar, mut h_bar) = (vec![0.0; 3], 0.0);
    cost_vjp(&X[..3], &mut x0_bar, &p, &mut p_bar, X[6], &mut h_bar, 1.0);
    let once = p_bar.clone();
    cost_vjp(&X[..3], &mut x0_bar, &p, &mut p_bar, X[6], &mut h_bar, 1.0);
    assert_close(
        p_bar.sigma,
        2.0 * once.sigma,
        1e-15,
        "accumulated p_bar.sigma",
    );
    assert_close(p_bar.rho, 2.0 * once.rho, 1e-15, "accumulated p_bar.rho");
}

#[test]
fn hessian_vector_product_of_the_cost_at_dual_numbers() {
    let mut draws = common::Draws::new(13);
    let (u, w) = (draws.vec(7), draws.vec(7));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(X[k], [dir[k]]);
        let x0: Vec<Dual<f64, 1>> = (0..3).map(d).collect();
        let p = Params::<Dual<f64, 1>> {
            sigma: d(3),
            rho: d(4),
            beta: d(5),
        };
        let mut x0_bar = vec![Dual::constant(0.0); 3];
        let mut p_bar = p.zero_like();
        let mut h_bar = Dual::constant(0.0);
        cost_vjp(
            &x0,
            &mut x0_bar,
            &p,
            &mut p_bar,
            d(6),
            &mut h_bar,
            Dual::constant(1.0),
        );
        let mut out: Vec<f64> = x0_bar.iter().map(|v| v.tangents[0]).collect();
        out.extend(p_bar.to_reals().iter().map(|v| v.tangents[0]));
        out.push(h_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&cost_vjp_of(x, 1.0).1);
    let report = check_hvp(gradient, &X, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "structs_calls");
}

#[test]
fn a_callee_with_a_result_inside_an_expression() {
    let f = |x: &[f64]| vec![energy_plus(&x[..3], &params_from(&x[3..6]))];
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, p_dot) = (params_from(&x[3..6]), params_from(&d[3..6]));
        let (v, t) = energy_plus_jvp(&x[..3], &d[..3], &p, &p_dot);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = params_from(&x[3..6]);
        let mut p_bar = p.zero_like();
        let mut u_bar = vec![0.0; 3];
        let v = energy_plus_vjp(&x[..3], &mut u_bar, &p, &mut p_bar, w[0]);
        u_bar.extend(p_bar.to_reals());
        (vec![v], u_bar)
    };
    let case = Case {
        name: "energy_plus(u, p) calling energy(u, p) twice",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X[..6], 14);
}

/// Fields and parameters named like generated code.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Weird {
    result: f64,
    x_bar: [f64; 2],
}

#[differentiable]
fn weird_inner(value: f64, result: &Weird) -> f64 {
    result.result * value + result.x_bar[0] * result.x_bar[1]
}

#[differentiable]
fn weird_outer(x_bar: f64, result: &Weird, p_bar_fields: f64) -> f64 {
    let value = weird_inner(x_bar, result) * result.result;
    value + weird_inner(p_bar_fields, result) + result.x_bar[1] * x_bar
}

#[test]
fn adversarial_names_of_fields_parameters_and_temporaries() {
    let weird = |x: &[f64]| Weird {
        result: x[0],
        x_bar: [x[1], x[2]],
    };
    let f = |x: &[f64]| vec![weird_outer(x[3], &weird(x), x[4])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = weird_outer_jvp(x[3], d[3], &weird(x), &weird(d), x[4], d[4]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let r = weird(x);
        let mut r_bar = r.zero_like();
        let (mut a_bar, mut b_bar) = (0.0, 0.0);
        let v = weird_outer_vjp(x[3], &mut a_bar, &r, &mut r_bar, x[4], &mut b_bar, w[0]);
        let mut g = r_bar.to_reals();
        g.push(a_bar);
        g.push(b_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "weird_outer(x_bar, result: &Weird, p_bar_fields)",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -1.2, 0.4, 1.9, -0.3], 15);
}

/// A damped oscillator whose methods call each other.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Oscillator {
    k: f64,
    c: f64,
    m: f64,
}

impl Oscillator {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.k * x * (1.0 + 0.1 * x * x)
    }

    /// Calls `force` on `self` and reads fields itself.
    #[differentiable]
    fn accel(&self, x: f64, v: f64) -> f64 {
        (self.force(x) - self.c * v) / self.m
    }

    /// Calls `accel` on `self` in a loop: a method calling a method calling a method.
    #[differentiable]
    fn step(&self, u: &mut [f64], h: f64) {
        for _ in 0..4 {
            let a = self.accel(u[0], u[1]);
            u[1] += h * a;
            u[0] += h * u[1];
        }
    }

    /// A scalar method calling a `&mut [f64]` method of `self` and a free function with `self`.
    #[differentiable]
    fn loss(&self, u0: &[f64], h: f64) -> f64 {
        let mut u = [u0[0], u0[1]];
        self.step(&mut u, h);
        u[0] * u[0] + 0.5 * u[1] * u[1] + stiffness(self)
    }
}

#[differentiable]
fn stiffness(o: &Oscillator) -> f64 {
    o.k * o.k / o.m
}

fn oscillator_from(v: &[f64]) -> Oscillator {
    Oscillator {
        k: v[0],
        c: v[1],
        m: v[2],
    }
}

const Y: [f64; 6] = [2.0, 0.3, 1.5, 0.8, -0.2, 0.05];

#[test]
fn a_method_calls_methods_of_self() {
    let f = |x: &[f64]| {
        let mut u = x[3..5].to_vec();
        oscillator_from(x).step(&mut u, x[5]);
        u
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (o, o_dot) = (oscillator_from(x), oscillator_from(d));
        let (mut u, mut u_dot) = (x[3..5].to_vec(), d[3..5].to_vec());
        Oscillator::step_jvp_at(&o, &o_dot, &mut u, &mut u_dot, x[5], d[5]);
        (u, u_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let o = oscillator_from(x);
        let mut o_bar = o.zero_like();
        let (mut u, mut u_bar) = (x[3..5].to_vec(), w.to_vec());
        let mut h_bar = 0.0;
        Oscillator::step_vjp_at(&o, &mut o_bar, &mut u, &mut u_bar, x[5], &mut h_bar);
        let mut g = o_bar.to_reals();
        g.extend(u_bar);
        g.push(h_bar);
        (u, g)
    };
    let case = Case {
        name: "Oscillator::step(&self, u, h) calling self.accel calling self.force",
        inputs: 6,
        outputs: 2,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Y, 16);
}

fn loss_vjp_of(x: &[f64]) -> Vec<f64> {
    let o = oscillator_from(x);
    let mut o_bar = o.zero_like();
    let mut u_bar = vec![0.0; 2];
    let mut h_bar = 0.0;
    Oscillator::loss_vjp_at(&o, &mut o_bar, &x[3..5], &mut u_bar, x[5], &mut h_bar, 1.0);
    let mut g = o_bar.to_reals();
    g.extend(u_bar);
    g.push(h_bar);
    g
}

#[test]
fn a_scalar_method_calls_a_method_and_a_free_function_with_self() {
    let f = |x: &[f64]| vec![oscillator_from(x).loss(&x[3..5], x[5])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (o, o_dot) = (oscillator_from(x), oscillator_from(d));
        let (v, t) = Oscillator::loss_jvp_at(&o, &o_dot, &x[3..5], &d[3..5], x[5], d[5]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let g = loss_vjp_of(x).iter().map(|g| g * w[0]).collect();
        (vec![oscillator_from(x).loss(&x[3..5], x[5])], g)
    };
    let case = Case {
        name: "Oscillator::loss(&self, u0, h)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &Y, 17);
    // Hessian-vector products: the adjoint at dual numbers.
    let mut draws = common::Draws::new(18);
    let (u, w) = (draws.vec(6), draws.vec(6));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d = |k: usize| Dual::<f64, 1>::new(Y[k], [dir[k]]);
        let o = Oscillator::<Dual<f64, 1>> {
            k: d(0),
            c: d(1),
            m: d(2),
        };
        let mut o_bar = o.zero_like();
        let mut u_bar = vec![Dual::constant(0.0); 2];
        let mut h_bar = Dual::constant(0.0);
        let u0 = [d(3), d(4)];
        Oscillator::loss_vjp_at(
            &o,
            &mut o_bar,
            &u0,
            &mut u_bar,
            d(5),
            &mut h_bar,
            Dual::constant(1.0),
        );
        let mut out: Vec<f64> = o_bar.to_reals().iter().map(|v| v.tangents[0]).collect();
        out.extend(u_bar.iter().map(|v| v.tangents[0]));
        out.push(h_bar.tangents[0]);
        out
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&loss_vjp_of(x));
    let report = check_hvp(gradient, &Y, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
    // The method form lifts `self` to the scalar type: a constant receiver.
    let o = oscillator_from(&Y);
    let mut self_bar = o.zero_like();
    let mut u_bar = [0.0; 2];
    let mut h_bar = 0.0;
    let v = o.loss_vjp(&mut self_bar, &Y[3..5], &mut u_bar, Y[5], &mut h_bar, 1.0);
    assert_eq!(v, o.loss(&Y[3..5], Y[5]));
    assert_close(self_bar.k, loss_vjp_of(&Y)[0], 1e-14, "d loss / d k");
}
