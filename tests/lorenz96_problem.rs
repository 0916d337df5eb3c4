//! Problem L: the gradient of the user-written RK4 4D-Var cost, through the macro, against a
//! hand-written discrete adjoint, finite differences and the dot-product test with its tangent.

#[path = "../examples/support/lorenz96_problem.rs"]
#[allow(dead_code)]
mod problem;

mod common;

use common::{assert_close, Lcg};
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
    let v = Lcg(5).vec(N);
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
