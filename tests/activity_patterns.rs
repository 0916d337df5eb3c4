//! Several activity patterns of one function (`wrt(..) as name`) and the `gradient = Name`
//! adapter: each pattern's derivatives checked three ways (central differences, the dot-product
//! test, tangent against adjoint), the patterns against each other, and Hessian-vector
//! products at dual numbers against differences of gradients.

mod common;

use common::{assert_close, check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::nested::{hvp, Gradient};
use tapeless::{differentiable, Dual};

const N: usize = 4;
const STEPS: usize = 3;

/// A small data-assimilation cost: `x0` moved by a nonlinear map, compared at each step with
/// observations. One body, four activity patterns.
#[differentiable(
    wrt(x0),
    wrt(x0, obs) as cost_with_obs,
    wrt(obs) as cost_of_obs,
    wrt(x0, obs, weight) as cost_all
)]
fn cost(x0: &[f64], obs: &[f64], weight: f64) -> f64 {
    let n = x0.len();
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 0..STEPS {
        for i in 0..n {
            u[i] = u[i] + 0.3 * (u[(i + 1) % n] * u[i]).sin();
        }
        for i in 0..n {
            let d = u[i] - obs[k * n + i];
            j += weight * d * d;
        }
    }
    j
}

/// Annotated code calls a pattern by its name, which differentiates through that pattern.
#[differentiable]
fn squared_cost(x0: &[f64], obs: &[f64], weight: f64) -> f64 {
    let c = cost_all(x0, obs, weight);
    c * c
}

fn point(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut d = Draws::new(seed);
    (d.vec(N), d.vec(N * STEPS))
}

#[test]
fn each_pattern_has_its_own_companions_with_the_functions_value() {
    let (x0, obs) = point(1);
    let j = cost(&x0, &obs, 0.7);
    assert_eq!(cost_with_obs(&x0, &obs, 0.7), j);
    let mut x0_bar = vec![0.0; N];
    // `cost` differentiates `x0` only: `obs` and `weight` are data.
    assert_eq!(cost_vjp(&x0, &mut x0_bar, &obs, 0.7, 1.0), j);
    let (mut a, mut b) = (vec![0.0; N], vec![0.0; N * STEPS]);
    assert_eq!(cost_with_obs_vjp(&x0, &mut a, &obs, &mut b, 0.7, 1.0), j);
    let mut c = vec![0.0; N * STEPS];
    assert_eq!(cost_of_obs_vjp(&x0, &obs, &mut c, 0.7, 1.0), j);
    // The patterns agree where they overlap: the same sweep, bit for bit.
    assert_eq!(a, x0_bar);
    assert_eq!(b, c);
    let (value, (g_x0, g_obs)) = cost_with_obs_grad(&x0, &obs, 0.7);
    assert_eq!(value, j);
    assert_eq!((g_x0, g_obs), (a, b));
    let (_, g_weight) = {
        let (mut p, mut q, mut w) = (vec![0.0; N], vec![0.0; N * STEPS], 0.0);
        let v = cost_all_vjp(&x0, &mut p, &obs, &mut q, 0.7, &mut w, 1.0);
        (v, w)
    };
    // J is linear in the weight: dJ/dweight = J / weight.
    assert_close(g_weight, j / 0.7, 1e-13, "dJ/dweight");
}

#[test]
fn the_state_and_observations_pattern_passes_three_checks() {
    let (x0, obs) = point(2);
    let split = |x: &[f64]| (x[..N].to_vec(), x[N..].to_vec());
    let case = Case {
        name: "cost_with_obs",
        inputs: N + N * STEPS,
        outputs: 1,
        f: &|x| {
            let (a, b) = split(x);
            vec![cost_with_obs(&a, &b, 0.7)]
        },
        jvp: &|x, d| {
            let ((a, b), (ad, bd)) = (split(x), split(d));
            let (v, t) = cost_with_obs_jvp(&a, &ad, &b, &bd, 0.7);
            (vec![v], vec![t])
        },
        vjp: &|x, w| {
            let (a, b) = split(x);
            let (mut ab, mut bb) = (vec![0.0; N], vec![0.0; N * STEPS]);
            let v = cost_with_obs_vjp(&a, &mut ab, &b, &mut bb, 0.7, w[0]);
            ab.extend(bb);
            (vec![v], ab)
        },
    };
    let x: Vec<f64> = x0.iter().chain(&obs).copied().collect();
    check(&case, &x, 3);
}

#[test]
fn the_observations_pattern_passes_three_checks() {
    let (x0, obs) = point(4);
    let case = Case {
        name: "cost_of_obs",
        inputs: N * STEPS,
        outputs: 1,
        f: &|o| vec![cost(&x0, o, 1.3)],
        jvp: &|o, d| {
            let (v, t) = cost_of_obs_jvp(&x0, o, d, 1.3);
            (vec![v], vec![t])
        },
        vjp: &|o, w| {
            let mut ob = vec![0.0; o.len()];
            let v = cost_of_obs_vjp(&x0, o, &mut ob, 1.3, w[0]);
            (vec![v], ob)
        },
    };
    check(&case, &obs, 5);
}

#[test]
fn a_caller_differentiates_through_a_pattern() {
    let (x0, obs) = point(6);
    let split = |x: &[f64]| (x[..N].to_vec(), x[N..].to_vec());
    let case = Case {
        name: "squared_cost",
        inputs: N + N * STEPS,
        outputs: 1,
        f: &|x| {
            let (a, b) = split(x);
            vec![squared_cost(&a, &b, 0.4)]
        },
        jvp: &|x, d| {
            let ((a, b), (ad, bd)) = (split(x), split(d));
            let (v, t) = squared_cost_jvp(&a, &ad, &b, &bd, 0.4, 0.0);
            (vec![v], vec![t])
        },
        vjp: &|x, w| {
            let (a, b) = split(x);
            let (mut ab, mut bb, mut wb) = (vec![0.0; N], vec![0.0; N * STEPS], 0.0);
            let v = squared_cost_vjp(&a, &mut ab, &b, &mut bb, 0.4, &mut wb, w[0]);
            ab.extend(bb);
            (vec![v], ab)
        },
    };
    let x: Vec<f64> = x0.iter().chain(&obs).copied().collect();
    check(&case, &x, 7);
}

#[test]
fn hessian_vector_products_of_a_pattern_at_dual_numbers() {
    let (x0, obs) = point(8);
    let x: Vec<f64> = x0.iter().chain(&obs).copied().collect();
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (mut a, mut b) = (vec![0.0; N], vec![0.0; N * STEPS]);
        cost_with_obs_vjp(&x[..N], &mut a, &x[N..], &mut b, 0.7, 1.0);
        g[..N].copy_from_slice(&a);
        g[N..].copy_from_slice(&b);
    };
    let h_along = |v: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let (mut a, mut b) = (
            vec![Dual::constant(0.0); N],
            vec![Dual::constant(0.0); N * STEPS],
        );
        cost_with_obs_vjp(&d[..N], &mut a, &d[N..], &mut b, 0.7, Dual::constant(1.0));
        a.iter().chain(&b).map(|g| g.tangents[0]).collect()
    };
    let mut draws = Draws::new(9);
    let (u, w) = (draws.vec(x.len()), draws.vec(x.len()));
    let (hu, hw) = (h_along(&u), h_along(&w));
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
}

/// `gradient = Name`: the function as a `nested::Gradient`.
#[differentiable(gradient = Rosenbrock)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

#[test]
fn the_gradient_adapter_gives_the_gradient_and_hessian_vector_products() {
    let x = [0.3, -0.4, 0.9, 1.1];
    let mut g = [0.0; 4];
    let value = Rosenbrock.gradient(&x, &mut g).expect("finite");
    assert_eq!(value, rosenbrock(&x));
    let (_, expected) = rosenbrock_grad(&x);
    assert_eq!(g.to_vec(), expected);
    // Hessian-vector products through the adapter, against differences of gradients and by
    // symmetry.
    let mut draws = Draws::new(10);
    let (u, w) = (draws.vec(4), draws.vec(4));
    let hu = hvp(&Rosenbrock, &x, &u).expect("finite").hessian_vector;
    let hw = hvp(&Rosenbrock, &x, &w).expect("finite").hessian_vector;
    let gradient = |x: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        Rosenbrock.gradient(x, g).expect("finite");
    };
    let report = check_hvp(gradient, &x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
    // A gradient of the wrong length is an error naming the function, not a panic.
    let mut short = [0.0; 3];
    let err = Rosenbrock.gradient(&x, &mut short).unwrap_err();
    assert!(err.to_string().contains("rosenbrock"), "{err}");
}

/// `rhs = Name` with data after `t`: a Lorenz-96 with a forcing that varies in space and a
/// damping, held by the generated struct as fields and constant in the derivative.
#[differentiable(rhs = ForcedLorenz96)]
fn forced_lorenz96(du: &mut [f64], u: &[f64], p: &[f64], t: f64, forcing: &[f64], damping: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - damping * u[i]
            + p[0] * forcing[i]
            + 0.1 * t.sin();
    }
}

#[test]
fn a_right_hand_side_with_data_is_an_rhs_differentiated_three_ways() {
    use tapeless::ode::{
        solve, Length, OdeProblem, Rhs, RhsDims, RhsJvp, RhsVjp, SolveOptions, Tableau,
    };
    let n = 6;
    let forcing: Vec<f64> = (0..n).map(|i| 1.0 + 0.1 * i as f64).collect();
    let rhs = ForcedLorenz96 {
        forcing: &forcing,
        damping: 0.8,
    };
    assert_eq!(rhs.dims(), RhsDims::new(Length::Any, Length::Exactly(1)));
    let t = 0.4;
    let f = |x: &[f64]| {
        let mut du = vec![0.0; n];
        rhs.eval(&mut du, &x[..n], &x[n..], t);
        du
    };
    let mut draws = Draws::new(60);
    let mut x = draws.vec(n);
    x.push(8.0);
    // The struct computes the user's function.
    let mut du = vec![0.0; n];
    forced_lorenz96(&mut du, &x[..n], &x[n..], t, &forcing, 0.8);
    assert_eq!(f(&x), du);
    check(
        &Case {
            name: "ForcedLorenz96",
            inputs: n + 1,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
                rhs.jvp(
                    (&mut du, &mut du_dot),
                    (&x[..n], &d[..n]),
                    (&x[n..], &d[n..]),
                    t,
                );
                (du, du_dot)
            },
            vjp: &|x, w| {
                let mut du = vec![0.0; n];
                let mut du_bar = w.to_vec();
                let (mut u_bar, mut p_bar) = (vec![0.0; n], vec![0.0; 1]);
                rhs.vjp(
                    (&mut du, &mut du_bar),
                    (&x[..n], &mut u_bar),
                    (&x[n..], &mut p_bar),
                    t,
                );
                u_bar.extend(p_bar);
                (f(x), u_bar)
            },
        },
        &x,
        61,
    );
    // Integrators take it as any right-hand side.
    let options = SolveOptions::fixed(Tableau::rk4(), 0.01);
    let solution = solve(
        &OdeProblem::new(&rhs, &x[..n], &x[n..], (0.0, 0.1)),
        &options,
    );
    assert!(solution.is_ok());
}

/// Patterns in stacked attributes, as rustc's autodiff writes them.
#[differentiable(wrt(x))]
#[differentiable(wrt(x, c) as stacked_all)]
#[differentiable(wrt(c) as stacked_c)]
fn stacked(x: f64, c: f64) -> f64 {
    (x * c).sin() + c * c
}

#[test]
fn stacked_attributes_add_patterns() {
    let (x, c) = (0.4, 1.3);
    let (v, gx) = stacked_grad(x, c);
    let (v2, (gx2, gc)) = stacked_all_grad(x, c);
    let (v3, gc3) = stacked_c_grad(x, c);
    assert_eq!((v, v2, v3), (stacked(x, c), stacked(x, c), stacked(x, c)));
    assert_eq!((gx, gc), (gx2, gc3));
    common::check_scalar(
        "stacked_c",
        &|c| stacked(x, c),
        &|c, d| stacked_c_jvp(x, c, d),
        &|c, b, w| stacked_c_vjp(x, c, b, w),
        c,
        80,
    );
}
