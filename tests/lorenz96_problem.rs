//! Problem L: the gradient of the user-written RK4 4D-Var cost, through the macro, against a
//! hand-written discrete adjoint, finite differences and the dot-product test with its tangent.

use tapeless_problems::l96 as problem;

mod common;

use common::{assert_close, Draws};
use problem::*;

#[test]
fn generated_gradient_matches_the_hand_written_adjoint_and_finite_differences() {
    let d = data();
    let mut by_hand = vec![0.0; N];
    let j_hand = cost_and_gradient_by_hand(&d.xb, &d.obs, &d.xb, &mut by_hand);
    let mut generated = vec![0.0; N];
    let j = cost_vjp(&d.xb[..], &mut generated, &d.obs, &d.xb, 1.0);
    assert_eq!(j, cost(&d.xb, &d.obs, &d.xb));
    assert_close(j, j_hand, 1e-14, "J");
    for i in 0..N {
        assert_close(generated[i], by_hand[i], 1e-10, &format!("grad J [{i}]"));
    }
    // Tangent against adjoint, and finite differences, along a random direction.
    let v = Draws::new(5).vec(N);
    let (_, jv) = cost_window_jvp(&d.xb[..], &v[..], &d.obs, &d.xb, STEPS);
    let gv: f64 = generated.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_close(jv, gv, 1e-12, "<grad J, v> against J' v");
    let h = 1e-6;
    let plus: Vec<f64> = d.xb.iter().zip(&v).map(|(a, b)| a + h * b).collect();
    let minus: Vec<f64> = d.xb.iter().zip(&v).map(|(a, b)| a - h * b).collect();
    let fd = (cost(&plus, &d.obs, &d.xb) - cost(&minus, &d.obs, &d.xb)) / (2.0 * h);
    assert_close(jv, fd, 1e-6, "J' v against finite differences");
}

#[test]
fn integrator_gradient_matches_the_generated_and_hand_written_ones_for_every_memory_strategy() {
    let d = data();
    let mut by_hand = vec![0.0; N];
    let j_hand = cost_and_gradient_by_hand(&d.xb, &d.obs, &d.xb, &mut by_hand);
    let (j, g) =
        cost_and_gradient_by_integrator(&d.xb, &d, tapeless::ode::Memory::StoreAll).unwrap();
    assert_close(j, j_hand, 1e-14, "J");
    for i in 0..N {
        assert_close(g[i], by_hand[i], 1e-10, &format!("grad J [{i}]"));
    }
    let (j20, g20) = cost_and_gradient_by_integrator(
        &d.xb,
        &d,
        tapeless::ode::Memory::Binomial { snapshots: 20 },
    )
    .unwrap();
    assert_eq!(
        (j20, g20),
        (j, g),
        "checkpointing changes nothing, to the bit"
    );
}

/// Problem L's learned solvers (K = 5, eta = 1e-5): the preconditioner's and momentum's
/// hypergradients by one backward sweep (method 2) against forward mode along a random
/// direction (method 1, the dot-product identity) and central differences of the whole bilevel
/// problem.
#[test]
fn learned_solver_hypergradients_match_forward_mode_and_differences_of_the_bilevel_loss() {
    use tapeless::hyper::{Momentum, Preconditioned, Unrolled, Update};
    use tapeless::nested::{Gradient, NoParameters};
    let d = data();
    let truth: Vec<f64> = d.truth.iter().flatten().copied().collect();
    let (cost, outer) = (NoParameters(InnerCost(&d)), OuterLoss(&truth));
    fn check<U: Update>(
        solver: Unrolled<'_, NoParameters<InnerCost<'_>>, U>,
        outer: &OuterLoss<'_>,
        x0: &[f64],
        theta: &[f64],
        probes: &[usize],
    ) {
        let r = solver.reverse(outer, x0, &[], theta).unwrap();
        let dir = Draws::new(9).vec(theta.len());
        let (l, dl) = solver
            .tangent(outer, x0, (&[], &[]), (theta, &dir))
            .unwrap();
        assert_eq!(l, r.loss);
        let dot: f64 = r.theta.iter().zip(&dir).map(|(a, b)| a * b).sum();
        assert_close(dl, dot, 1e-12, "<dL/dtheta, d> against the tangent");
        for &i in probes {
            // L ~ 5 carries ~1e-14 of rounding and dL/dtheta_i ~ 1e-2: a relative step of
            // 1e-5 keeps both the rounding and the truncation error of the difference below 1e-6.
            let h = 1e-5 * theta[i].abs().max(1e-5);
            let loss = |t: f64| {
                let mut th = theta.to_vec();
                th[i] = t;
                let x = solver.solve(x0, &[], &th).unwrap();
                outer.gradient(&x, &mut vec![0.0; N]).unwrap()
            };
            let fd = (loss(theta[i] + h) - loss(theta[i] - h)) / (2.0 * h);
            assert_close(r.theta[i], fd, 1e-6, &format!("dL/dtheta[{i}]"));
        }
    }
    let theta: Vec<f64> = (0..N).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let update = Preconditioned { eta: 1e-5 };
    check(
        Unrolled::new(&cost, &update, 5),
        &outer,
        &d.xb,
        &theta,
        &[0, 17],
    );
    check(
        Unrolled::new(&cost, &Momentum, 5),
        &outer,
        &d.xb,
        &[1e-5, 0.5],
        &[0, 1],
    );
}
