//! Generated code is generic over the scalar type: the adjoint evaluated at dual numbers is a
//! Hessian-vector product (forward over reverse), with no new generated code.

mod common;

use common::{assert_close, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

#[differentiable]
fn wiggly(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    let mut state = x.to_vec();
    for _step in 0..3 {
        for i in 0..n {
            let neighbour = state[(i + n - 1) % n];
            if neighbour > 0.0 {
                state[i] = state[i] + 0.1 * (neighbour * state[i]).sin();
            } else {
                state[i] *= 1.0 + 0.05 * neighbour.tanh();
            }
        }
    }
    for i in 0..n {
        s += state[i] * state[i] * x[i];
    }
    s
}

type D = Dual<f64, 1>;

/// `H v` by forward over reverse: the adjoint at dual numbers seeded with `v`.
fn hvp(vjp: fn(&[D], &mut [D], D) -> D, x: &[f64], v: &[f64]) -> Vec<f64> {
    let xd: Vec<D> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut bar = vec![D::constant(0.0); x.len()];
    vjp(&xd, &mut bar, D::constant(1.0));
    bar.iter().map(|b| b.tangents[0]).collect()
}

fn gradient(vjp: fn(&[f64], &mut [f64], f64) -> f64, x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    vjp(x, &mut g, 1.0);
    g
}

#[test]
fn rosenbrock_hessian_matches_the_closed_form() {
    let x = [0.3, -0.7, 1.1, 0.4];
    let n = x.len();
    assert_eq!(rosenbrock(&x), rosenbrock_generic(&x[..]));
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let column = hvp(rosenbrock_vjp::<D>, &x, &e);
        for i in 0..n {
            // The analytic Hessian of the chained Rosenbrock function.
            let mut h = 0.0;
            if i == j {
                if i + 1 < n {
                    h += 2.0 + 1200.0 * x[i] * x[i] - 400.0 * x[i + 1];
                }
                if i > 0 {
                    h += 200.0;
                }
            } else if i + 1 == j {
                h = -400.0 * x[i];
            } else if j + 1 == i {
                h = -400.0 * x[j];
            }
            assert_close(column[i], h, 1e-13, &format!("H[{i}][{j}]"));
        }
    }
}

#[test]
fn hessian_vector_products_are_symmetric_and_match_differences_of_gradients() {
    let mut rng = Draws::new(41);
    let x = rng.vec(6);
    assert_eq!(wiggly(&x), wiggly_generic(&x[..]));
    let (u, w) = (rng.vec(6), rng.vec(6));
    let hu = hvp(wiggly_vjp::<D>, &x, &u);
    let hw = hvp(wiggly_vjp::<D>, &x, &w);
    // Symmetry, <w, H u> = <u, H w>, and central differences of the adjoint gradient.
    let report = check_hvp(
        |x, g| g.copy_from_slice(&gradient(wiggly_vjp::<f64>, x)),
        &x,
        &u,
        &hu,
        &w,
        &hw,
        1e-5,
    )
    .expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
}

#[test]
fn third_derivative_by_dual_over_dual_over_adjoint() {
    // d/dx of rosenbrock at a 2-vector along e_0, three times: f''' = 2400 x_0.
    type DD = Dual<Dual<f64, 1>, 1>;
    let x = [0.6, -0.2];
    let xd: Vec<DD> = x
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let s = if i == 0 { 1.0 } else { 0.0 };
            Dual::new(Dual::new(a, [s]), [Dual::new(s, [0.0])])
        })
        .collect();
    let mut bar = vec![DD::constant(Dual::constant(0.0)); 2];
    rosenbrock_vjp(&xd, &mut bar, DD::constant(Dual::constant(1.0)));
    let third = bar[0].tangents[0].tangents[0];
    assert_close(third, 2400.0 * x[0], 1e-13, "f'''");
}
