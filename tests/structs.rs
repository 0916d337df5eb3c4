//! Structs of reals as parameters: `#[differentiable]` on the struct, fields read and written
//! in annotated functions, adjoints of the same shape (`p_bar.sigma`). Each derivative is
//! proved three ways (central finite differences, the dot-product test, tangent against
//! adjoint), and the scalar cost's Hessian-vector product at dual numbers against differences
//! of gradients and for symmetry.

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

/// A model state written through `&mut`: an array of reals and a time.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct State {
    x: [f64; 3],
    t: f64,
}

/// Observations: a `Vec` of reals and a weight.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Obs {
    values: Vec<f64>,
    weight: f64,
}

/// A study mixing nested structs, an integer count used as a loop bound, a bool switch and a
/// `Vec<f64>` of observations.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Study {
    p: Params,
    x0: [f64; 3],
    steps: usize,
    damped: bool,
    obs: Obs,
}

/// Lorenz-63 right-hand side, with a parameter struct.
#[differentiable]
fn lorenz63(du: &mut [f64], u: &[f64], p: &Params) {
    du[0] = p.sigma * (u[1] - u[0]);
    du[1] = u[0] * (p.rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - p.beta * u[2];
}

/// Lorenz-63 with the parameters as reals (called with a struct's fields).
#[differentiable]
fn lorenz63_reals(du: &mut [f64], u: &[f64], sigma: f64, rho: f64, beta: f64) {
    du[0] = sigma * (u[1] - u[0]);
    du[1] = u[0] * (rho - u[2]) - u[1];
    du[2] = u[0] * u[1] - beta * u[2];
}

/// One explicit Euler step of the state struct, in place: an array field and a real field
/// written through `&mut`.
#[differentiable]
fn euler(s: &mut State, p: &Params, h: f64) {
    let mut k = [0.0; 3];
    lorenz63_reals(&mut k, &s.x, p.sigma, p.rho, p.beta);
    for i in 0..3 {
        s.x[i] += h * k[i];
    }
    s.t += h * s.x[0];
}

/// A scalar cost of a study: nested fields, a loop bound, a switch, observations.
#[differentiable]
fn cost(m: &Study, h: f64) -> f64 {
    let mut u = [m.x0[0], m.x0[1], m.x0[2]];
    let mut j = 0.0;
    for k in 0..m.steps {
        let d0 = m.p.sigma * (u[1] - u[0]);
        let d1 = u[0] * (m.p.rho - u[2]) - u[1];
        let d2 = u[0] * u[1] - m.p.beta * u[2];
        u[0] += h * d0;
        u[1] += h * d1;
        u[2] += h * d2;
        if m.damped {
            u[2] *= 0.99;
        }
        let d = u[0] - m.obs.values[k];
        j += 0.5 * m.obs.weight * d * d;
    }
    j
}

fn params() -> Params {
    Params {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
    }
}

fn params_from(v: &[f64]) -> Params {
    let mut p = params();
    p.set_reals(v).expect("three reals");
    p
}

#[test]
fn the_struct_is_generic_over_the_scalar() {
    let p = params();
    assert_eq!(<Params>::REAL_FIELDS, ["sigma", "rho", "beta"]);
    assert_eq!(p.to_reals(), vec![10.0, 28.0, 8.0 / 3.0]);
    let z = p.zero_like();
    assert_eq!(z.to_reals(), vec![0.0; 3]);
    let d: Params<Dual<f64, 1>> = p.lift();
    assert_eq!(d.rho.value, 28.0);
    assert_eq!(d.rho.tangents, [0.0]);
    let mut q = p.clone();
    assert!(q.set_reals(&[1.0]).is_err());
    assert_eq!(q, p);
    let m = study();
    assert_eq!(<Study>::REAL_FIELDS, ["p", "x0", "obs"]);
    assert_eq!(m.real_count(), 3 + 3 + 4 + 1);
    let zm = m.zero_like();
    assert_eq!((zm.steps, zm.damped, zm.obs.values.len()), (4, true, 4));
}

#[test]
fn lorenz63_with_a_parameter_struct() {
    let f = |x: &[f64]| {
        let p = params_from(&x[3..]);
        let mut du = vec![0.0; 3];
        lorenz63(&mut du, &x[..3], &p);
        du
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (p, p_dot) = (params_from(&x[3..]), params_from(&d[3..]));
        let (mut du, mut du_dot) = (vec![0.0; 3], vec![0.0; 3]);
        lorenz63_jvp(&mut du, &mut du_dot, &x[..3], &d[..3], &p, &p_dot);
        (du, du_dot)
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let p = params_from(&x[3..]);
        let mut p_bar = p.zero_like();
        let mut du = vec![0.0; 3];
        let mut du_bar = w.to_vec();
        let mut u_bar = vec![0.0; 3];
        lorenz63_vjp(&mut du, &mut du_bar, &x[..3], &mut u_bar, &p, &mut p_bar);
        u_bar.extend(p_bar.to_reals());
        (du, u_bar)
    };
    let case = Case {
        name: "lorenz63(du, u, p: &Params)",
        inputs: 6,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 10.0, 28.0, 8.0 / 3.0], 1);
    // The adjoint is read by field: d du[0] / d sigma = u[1] - u[0].
    let p = params();
    let mut p_bar = p.zero_like();
    let (mut du, mut du_bar, mut u_bar) = ([0.0; 3], [1.0, 0.0, 0.0], [0.0; 3]);
    lorenz63_vjp(
        &mut du,
        &mut du_bar,
        &[1.0, 2.5, 3.0],
        &mut u_bar,
        &p,
        &mut p_bar,
    );
    assert_eq!((p_bar.sigma, p_bar.rho, p_bar.beta), (1.5, 0.0, 0.0));
}

fn state_from(v: &[f64]) -> State {
    State {
        x: [v[0], v[1], v[2]],
        t: v[3],
    }
}

#[test]
fn a_state_struct_written_through_mut() {
    let h = 0.01;
    let f = |x: &[f64]| {
        let mut s = state_from(x);
        euler(&mut s, &params_from(&x[4..7]), x[7]);
        s.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        let (p, p_dot) = (params_from(&x[4..7]), params_from(&d[4..7]));
        euler_jvp(&mut s, &mut s_dot, &p, &p_dot, x[7], d[7]);
        (s.to_reals(), s_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut s = state_from(x);
        // The adjoint of the final state goes in, the adjoint of the initial state comes out.
        let mut s_bar = state_from(w);
        let p = params_from(&x[4..7]);
        let mut p_bar = p.zero_like();
        let mut h_bar = 0.0;
        euler_vjp(&mut s, &mut s_bar, &p, &mut p_bar, x[7], &mut h_bar);
        let mut grad = s_bar.to_reals();
        grad.extend(p_bar.to_reals());
        grad.push(h_bar);
        (s.to_reals(), grad)
    };
    let case = Case {
        name: "euler(s: &mut State, p: &Params, h)",
        inputs: 8,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, 2.0, 3.0, 0.5, 10.0, 28.0, 8.0 / 3.0, h], 2);
    // At dual numbers the struct is `State<Dual<..>>`.
    let mut s: State<Dual<f64, 1>> = state_from(&[1.0, 2.0, 3.0, 0.0]).lift();
    s.x[0].tangents[0] = 1.0;
    euler_generic(&mut s, &params().lift(), Dual::constant(h));
    assert_close(s.x[0].tangents[0], 1.0 - h * 10.0, 1e-15, "d x0' / d x0");
}

fn study() -> Study {
    Study {
        p: params(),
        x0: [1.0, 1.5, 20.0],
        steps: 4,
        damped: true,
        obs: Obs {
            values: vec![1.1, 1.3, 1.2, 1.6],
            weight: 2.0,
        },
    }
}

fn study_from(v: &[f64]) -> Study {
    let mut m = study();
    m.set_reals(v).expect("the study's reals");
    m
}

/// The gradient of the cost in the study's reals, through `cost_grad`.
fn cost_gradient(x: &[f64], g: &mut [f64]) {
    let (_, (m_bar, _h_bar)) = cost_grad(&study_from(x), 0.01);
    g.copy_from_slice(&m_bar.to_reals());
}

#[test]
fn nested_and_mixed_fields() {
    let n = study().real_count();
    let f = |x: &[f64]| vec![cost(&study_from(&x[..n]), x[n])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = cost_jvp(&study_from(&x[..n]), &study_from(&d[..n]), x[n], d[n]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let m = study_from(&x[..n]);
        let mut m_bar = m.zero_like();
        let mut h_bar = 0.0;
        let v = cost_vjp(&m, &mut m_bar, x[n], &mut h_bar, w[0]);
        let mut g = m_bar.to_reals();
        g.push(h_bar);
        (vec![v], g)
    };
    let mut x = study().to_reals();
    x.push(0.01);
    let case = Case {
        name: "cost(m: &Study, h)",
        inputs: n + 1,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 3);
    // Switching the bool changes the cost: it is read, not differentiated.
    let mut undamped = study();
    undamped.damped = false;
    assert_ne!(cost(&undamped, 0.01), cost(&study(), 0.01));
    // The gradient is a struct of the same shape; integers and bools are copied.
    let (value, (m_bar, h_bar)) = cost_grad(&study(), 0.01);
    assert_eq!(value, cost(&study(), 0.01));
    assert_eq!((m_bar.steps, m_bar.damped), (4, true));
    let (_, t) = cost_jvp(&study(), &study().zero_like(), 0.01, 1.0);
    assert_close(h_bar, t, 1e-12, "d cost / d h, adjoint against tangent");
}

#[test]
fn hessian_vector_product_of_the_cost_at_dual_numbers() {
    let x = study().to_reals();
    let n = x.len();
    let mut draws = common::Draws::new(4);
    let (u, w) = (draws.vec(n), draws.vec(n));
    // H u: the adjoint of the cost at dual numbers, the study's reals seeded along u.
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let mut m: Study<Dual<f64, 1>> = study().lift();
        let mut k = 0;
        m.for_each_real_mut(&mut |v| {
            v.tangents[0] = dir[k];
            k += 1;
        });
        let mut m_bar = m.zero_like();
        let mut h_bar = Dual::constant(0.0);
        cost_vjp(
            &m,
            &mut m_bar,
            Dual::constant(0.01),
            &mut h_bar,
            Dual::constant(1.0),
        );
        m_bar.to_reals().iter().map(|d| d.tangents[0]).collect()
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(cost_gradient, &x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "structs");
    // The same gradient through the generic companion's value at dual numbers.
    let m: Study<Dual<f64, 1>> = study().lift();
    assert_eq!(
        cost_generic(&m, Dual::constant(0.01)).value,
        cost(&study(), 0.01)
    );
}

mod model {
    use tapeless::differentiable;

    /// A struct defined in another module, used by path.
    #[differentiable]
    #[derive(Clone, Debug, PartialEq)]
    pub struct Data {
        pub obs: Vec<f64>,
        pub scale: f64,
    }
}

/// Only `x` is differentiated: the data struct keeps its `f64` type in every companion, also
/// when they run at dual numbers.
#[differentiable(wrt(x))]
pub fn misfit(x: &[f64], data: &model::Data) -> f64 {
    let mut j = 0.0;
    for i in 0..x.len() {
        let d = x[i] - data.obs[i];
        j += 0.5 * data.scale * d * d;
    }
    j
}

#[test]
fn a_struct_by_path_outside_wrt_stays_data() {
    let data = model::Data {
        obs: vec![1.0, 2.0, 4.0],
        scale: 3.0,
    };
    let x = [0.5, 2.5, 4.0];
    let (j, g) = misfit_grad(&x[..], &data);
    assert_eq!(j, misfit(&x, &data));
    assert_eq!(g, vec![-1.5, 1.5, 0.0]);
    // At dual numbers, the data is still `Data<f64>`.
    let xd: Vec<Dual<f64, 1>> = x.iter().map(|&v| Dual::new(v, [1.0])).collect();
    let mut xd_bar = vec![Dual::constant(0.0); 3];
    misfit_vjp(&xd, &mut xd_bar, &data, Dual::constant(1.0));
    let hv: Vec<f64> = xd_bar.iter().map(|d| d.tangents[0]).collect();
    assert_eq!(hv, vec![3.0; 3]);
    let f = |v: &[f64]| vec![misfit(v, &data)];
    let jvp = |v: &[f64], d: &[f64]| {
        let (a, b) = misfit_jvp(v, d, &data);
        (vec![a], vec![b])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let mut g = vec![0.0; 3];
        let a = misfit_vjp(v, &mut g, &data, w[0]);
        (vec![a], g)
    };
    let case = Case {
        name: "misfit(x, data: &model::Data) wrt(x)",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &x, 5);
}

/// A `Vec` field written through `&mut`.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Series {
    v: Vec<f64>,
}

#[differentiable]
fn decay(s: &mut Series, rate: f64) {
    for i in 0..s.v.len() {
        s.v[i] *= 1.0 - rate;
    }
}

#[test]
#[should_panic(expected = "decay_jvp: `s_dot.v` has length 1 but `s.v` has length 2")]
fn a_tangent_field_of_the_wrong_length_is_named() {
    let mut s = Series { v: vec![1.0, 2.0] };
    let mut s_dot = Series { v: vec![1.0] };
    decay_jvp(&mut s, &mut s_dot, 0.1, 0.0);
}

/// An array field written through `iter_mut` (found by the random programs at their second seed:
/// the field was typed a shared slice, and the write refused).
#[differentiable]
fn damp(s: &mut State, p: &Params) {
    for e in s.x.iter_mut() {
        *e /= 1.0 + p.sigma * p.sigma;
    }
    s.t *= s.x[1];
}

#[test]
fn an_array_field_written_through_iter_mut() {
    let f = |x: &[f64]| {
        let mut s = state_from(x);
        damp(&mut s, &params_from(&x[4..7]));
        s.to_reals()
    };
    let jvp = |x: &[f64], d: &[f64]| {
        let (mut s, mut s_dot) = (state_from(x), state_from(d));
        let (p, p_dot) = (params_from(&x[4..7]), params_from(&d[4..7]));
        damp_jvp(&mut s, &mut s_dot, &p, &p_dot);
        (s.to_reals(), s_dot.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut s = state_from(x);
        let mut s_bar = state_from(w);
        let p = params_from(&x[4..7]);
        let mut p_bar = p.zero_like();
        damp_vjp(&mut s, &mut s_bar, &p, &mut p_bar);
        let mut grad = s_bar.to_reals();
        grad.extend(p_bar.to_reals());
        (s.to_reals(), grad)
    };
    let case = Case {
        name: "damp(s: &mut State, p: &Params) with s.x.iter_mut()",
        inputs: 7,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[1.0, -2.0, 3.0, 0.5, 0.7, 28.0, 8.0 / 3.0], 2);
    let mut s = state_from(&[1.0, -2.0, 3.0, 0.5]);
    damp(&mut s, &params_from(&[0.5, 0.0, 0.0]));
    assert_close(s.x[1], -1.6, 1e-15, "x1 / (1 + sigma^2)");
}
