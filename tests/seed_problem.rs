//! Problem S end to end, through the example's own functions: J'' by forward over reverse, and
//! the hypergradient dL/deta against the closed form (K = 1) and finite differences (K = 5).

use tapeless_problems::seed;

mod common;

use common::assert_close;
use seed::*;
use tapeless::hyper::{Descent, Unrolled};
use tapeless::nested::NoParameters;

#[test]
fn second_derivative_of_the_cost_is_twice_the_number_of_observations() {
    // The RK4 increments of dx/dt = cos(t) do not depend on x, so x_i(x0) = x0 + c_i and
    // J'' = 2 * 31, exactly, through forward over reverse.
    let obs = observations();
    let g = cost_gradient(tapeless::Dual::<f64, 1>::seeded(x_start(), 0), &obs);
    assert_eq!(g.tangents[0], 62.0);
}

/// The trajectory from x0 by the example's RK4.
fn trajectory(x0: f64) -> Vec<f64> {
    let mut xs = vec![x0];
    for i in 0..STEPS {
        let x = rk4(xs[i], time(i), H);
        xs.push(x);
    }
    xs
}

#[test]
fn gradient_matches_the_closed_form() {
    let obs = observations();
    let x0 = x_start();
    let xs = trajectory(x0);
    let expected: f64 = (0..31).map(|j| 2.0 * (xs[3 * j] - obs[j])).sum();
    assert_close(cost_gradient(x0, &obs), expected, 1e-14, "J'(x0)");
}

#[test]
fn hypergradient_for_one_inner_step_matches_the_closed_form() {
    // L(eta) = mean_i (x_i(x1) - gt_i)^2 with x1 = x0 - eta J'(x0), and dx_i/dx1 = 1.
    let (obs, truth) = (observations(), truth());
    let eta = 0.01;
    let g = cost_gradient(x_start(), &obs);
    let xs = trajectory(x_start() - eta * g);
    let mean_residual: f64 =
        (0..=STEPS).map(|i| 2.0 * (xs[i] - truth[i])).sum::<f64>() / (STEPS + 1) as f64;
    let (_, dl) = hypergradient(eta, 1, &obs, &truth);
    assert_close(dl, -g * mean_residual, 1e-12, "dL/deta, K = 1");
}

#[test]
fn hypergradients_match_finite_differences_of_the_bilevel_problem() {
    let (obs, truth) = (observations(), truth());
    for k in [1, 5] {
        let eta = 0.01;
        let h = 1e-7;
        let fd =
            (bilevel(eta + h, k, &obs, &truth) - bilevel(eta - h, k, &obs, &truth)) / (2.0 * h);
        let (l, dl) = hypergradient(eta, k, &obs, &truth);
        assert_eq!(l, bilevel(eta, k, &obs, &truth));
        assert_close(dl, fd, 1e-6, &format!("dL/deta, K = {k}"));
    }
}

struct SeedCost<'a>(&'a [f64]);
impl tapeless::nested::Gradient for SeedCost<'_> {
    fn gradient<S: tapeless::Real>(&self, x: &[S], g: &mut [S]) -> Result<S, tapeless::UserError> {
        let mut x_bar = S::zero();
        let j = cost_vjp(x[0], &mut x_bar, self.0, S::one());
        g[0] += x_bar;
        Ok(j)
    }
}

struct SeedLoss<'a>(&'a [f64]);
impl tapeless::nested::Gradient for SeedLoss<'_> {
    fn gradient<S: tapeless::Real>(&self, x: &[S], g: &mut [S]) -> Result<S, tapeless::UserError> {
        let mut x_bar = S::zero();
        let l = outer_loss_vjp(x[0], &mut x_bar, self.0, S::one());
        g[0] += x_bar;
        Ok(l)
    }
}

#[test]
fn reverse_through_the_unrolled_descent_agrees_with_forward_over_the_solve() {
    let (obs, truth) = (observations(), truth());
    for k in [1, 5] {
        let (l, dl) = hypergradient(0.01, k, &obs, &truth);
        let cost = NoParameters(SeedCost(&obs));
        let r = Unrolled::new(&cost, &Descent, k)
            .reverse(&SeedLoss(&truth), &[x_start()], &[], &[0.01])
            .unwrap();
        assert_eq!(r.loss, l);
        assert_close(
            r.theta[0],
            dl,
            1e-12,
            &format!("dL/deta by methods 1 and 2, K = {k}"),
        );
        let (l1, dl1) =
            tapeless::hyper::forward_eta(&SeedCost(&obs), &SeedLoss(&truth), &[x_start()], 0.01, k)
                .unwrap();
        assert_eq!(
            (l1, dl1),
            (l, dl),
            "the runtime's method 1 is the example's"
        );
    }
}
