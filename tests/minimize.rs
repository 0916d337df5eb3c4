//! argmin's solvers on a generated 4D-Var cost: problem L over its first 20 RK4 steps (one
//! observation time, so nearly quadratic) from the background. L-BFGS on the generated adjoint
//! and Hessian-free Newton-CG on forward-over-reverse products reach the same analysis.

use tapeless_problems::l96 as problem;

use problem::*;
use tapeless::minimize::argmin::core::{Executor, State};
use tapeless::minimize::argmin::solver::linesearch::MoreThuenteLineSearch;
use tapeless::minimize::argmin::solver::newton::NewtonCG;
use tapeless::minimize::argmin::solver::quasinewton::LBFGS;
use tapeless::minimize::Problem;
use tapeless::nested::Gradient;
use tapeless::{Real, UserError};

struct Window<'a>(&'a Data, usize);
impl Gradient for Window<'_> {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        Ok(cost_window_vjp(
            x,
            g,
            &self.0.obs,
            &self.0.xb,
            self.1,
            S::one(),
        ))
    }
}

fn value_and_gradient_norm(d: &Data, x: &[f64]) -> (f64, f64) {
    let mut g = vec![0.0; N];
    let j = Window(d, 20).gradient(x, &mut g).unwrap();
    (j, g.iter().map(|v| v * v).sum::<f64>().sqrt())
}

#[test]
fn lbfgs_and_newton_cg_reach_the_same_analysis() {
    let d = data();
    let (j0, g0) = value_and_gradient_norm(&d, &d.xb);
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-9)
        .unwrap();
    let by_lbfgs = Executor::new(Problem::new(Window(&d, 20)), lbfgs)
        .configure(|state| state.param(d.xb.clone()).max_iters(400))
        .run()
        .unwrap();
    let x_lbfgs = by_lbfgs.state().get_best_param().unwrap().clone();
    let (j1, g1) = value_and_gradient_norm(&d, &x_lbfgs);
    assert!(
        j1 < j0 / 3.0 && g1 < 1e-6 * g0,
        "L-BFGS: J {j0} -> {j1}, |g| {g0} -> {g1}"
    );

    let newton = NewtonCG::new(MoreThuenteLineSearch::new());
    let by_newton = Executor::new(Problem::new(Window(&d, 20)), newton)
        .configure(|state| state.param(d.xb.clone()).max_iters(100))
        .run()
        .unwrap();
    let x_newton = by_newton.state().get_best_param().unwrap().clone();
    let (j2, g2) = value_and_gradient_norm(&d, &x_newton);
    assert!(g2 < 1e-4 * g0, "Newton-CG: |g| {g0} -> {g2}");
    assert!((j1 - j2).abs() < 1e-7 * j1, "{j1} vs {j2}");
    let distance = x_lbfgs
        .iter()
        .zip(&x_newton)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(distance < 1e-3, "the two analyses differ by {distance}");
}
