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
