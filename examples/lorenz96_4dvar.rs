//! Problem L of the reference problems: Lorenz-96 4D-Var (n = 40, F = 8, 200 RK4 steps of
//! h = 0.01, observations of the even components every ten steps).
//!
//! Prints J(xb), |grad J(xb)| and |H(xb) v| (v_i = cos(0.3 i)) at full precision, then
//! minimises J over the initial state with damped Hessian-free Newton-CG (conjugate gradients
//! on Hessian-vector products by forward over reverse) and reports the analysis error.
//!
//! Run: `cargo run --release --example lorenz96_4dvar`

use tapeless_problems::l96 as problem;

#[path = "support/plot.rs"]
mod plot;

use problem::*;
use tapeless::hyper::{
    Descent, Momentum, Preconditioned, StepAdjoints, StepInputs, Unrolled, Update,
};
use tapeless::minimize::argmin::core::{Executor, State};
use tapeless::minimize::argmin::solver::linesearch::MoreThuenteLineSearch;
use tapeless::minimize::argmin::solver::newton::NewtonCG;
use tapeless::minimize::Problem;
use tapeless::nested::{MixedGradient, NoParameters};
use tapeless::{Dual, Real, UserError};

fn gradient(x: &[f64], d: &Data, steps: usize) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; N];
    let j = cost_window_vjp(x, &mut g, &d.obs, &d.xb, steps, 1.0);
    (j, g)
}

/// H(x) v by forward over reverse: the generated adjoint evaluated at dual numbers.
fn hessian_vector(x: &[f64], v: &[f64], d: &Data, steps: usize) -> Vec<f64> {
    let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
    let mut g = vec![Dual::constant(0.0); N];
    cost_window_vjp(&xd, &mut g, &d.obs, &d.xb, steps, Dual::constant(1.0));
    g.iter().map(|gi| gi.tangents[0]).collect()
}

/// Solves (H + mu I) s = -g by the runtime's conjugate gradients on Hessian-vector products;
/// `None` when the damped Hessian shows negative curvature (the damping must grow).
fn damped_newton_direction(
    x: &[f64],
    g: &[f64],
    mu: f64,
    d: &Data,
    steps: usize,
    iterations: usize,
) -> Option<Vec<f64>> {
    let damped_hessian = |p: &[f64]| -> Result<Vec<f64>, std::convert::Infallible> {
        Ok(hessian_vector(x, p, d, steps)
            .iter()
            .zip(p)
            .map(|(h, p)| h + mu * p)
            .collect())
    };
    let minus_g: Vec<f64> = g.iter().map(|v| -v).collect();
    let Ok(cg) = tapeless::linalg::conjugate_gradients(damped_hessian, &minus_g, iterations, 1e-10);
    (!cg.negative_curvature).then_some(cg.solution)
}

/// `J(x, phi)` with `phi` the observations.
struct ObservationCost<'a>(&'a Data);
impl MixedGradient for ObservationCost<'_> {
    fn gradient<S: Real>(
        &self,
        x: &[S],
        y: &[S],
        x_bar: &mut [S],
        y_bar: &mut [S],
    ) -> Result<S, UserError> {
        Ok(cost_and_observations_vjp(
            x,
            x_bar,
            y,
            y_bar,
            &self.0.xb,
            STEPS,
            S::one(),
        ))
    }
}

/// Descent preconditioned by a fixed symmetric matrix `P` (row-major), `x <- x - P grad`: with
/// `P = H(x*)^-1` it is Newton's iteration frozen at the analysis, an inner loop that stays
/// converged and whose unrolled derivative is the implicit one. No learned parameters.
struct FrozenNewton(Vec<f64>);
impl Update for FrozenNewton {
    type Unpacked<S: Real> = ();
    fn parameters(&self, _n: usize) -> usize {
        0
    }
    fn unpack<S: Real>(&self, _theta: &[S]) {}
    fn step<S: Real>(
        &self,
        _: &(),
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        let n = x.len();
        for (r, xr) in x.iter_mut().enumerate() {
            for c in 0..n {
                *xr -= S::from_f64(self.0[r * n + c]) * at.grad[c];
            }
        }
        Ok(())
    }
    fn step_vjp(
        &self,
        _: &(),
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        let n = at.x.len();
        for r in 0..n {
            for c in 0..n {
                bar.grad[c] -= self.0[r * n + c] * bar.x[r];
            }
        }
        Ok(())
    }
}

fn max_relative_difference(a: &[f64], b: &[f64]) -> f64 {
    let scale = a.iter().map(|v| v.abs()).fold(0.0, f64::max);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
        / scale
}

fn main() {
    let d = data();
    let (j, g) = gradient(&d.xb, &d, STEPS);
    let v: Vec<f64> = (0..N).map(|i| (0.3 * i as f64).cos()).collect();
    let hv = hessian_vector(&d.xb, &v, &d, STEPS);
    println!("problem L: Lorenz-96 4D-Var, n = {N}, F = {FORCING}, {STEPS} RK4 steps of h = {H}");
    println!("J(xb)         = {j:.16e}");
    println!("|grad J(xb)|  = {:.16e}", norm(&g));
    println!("|H(xb) v|     = {:.16e}", norm(&hv));
    println!("RMSE(xb, xt0) = {:.16e}", rmse(&d.xb, &XT0));
    println!(
        "J(xt0)        = {:.16e}  (the truth, for scale)",
        cost(&XT0, &d.obs, &d.xb)
    );
    // Quasi-static damped Newton-CG: the window grows by 20 steps at a time, each stage starting
    // from the last analysis, so the minimiser stays in the truth's basin of a chaotic model.
    // Levenberg-Marquardt damping: the full Hessian is indefinite away from the minimum, so the
    // damping grows until a step lowers J.
    let mut x = d.xb.clone();
    for steps in (20..=STEPS).step_by(20) {
        let mut mu = 1e2;
        for _ in 0..4 {
            let (j, g) = gradient(&x, &d, steps);
            loop {
                match damped_newton_direction(&x, &g, mu, &d, steps, 80) {
                    Some(s) => {
                        let trial: Vec<f64> = x.iter().zip(&s).map(|(a, b)| a + b).collect();
                        if cost_window(&trial, &d.obs, &d.xb, steps) < j {
                            x = trial;
                            mu = (mu / 3.0).max(1e-3);
                            break;
                        }
                        mu *= 4.0;
                    }
                    None => mu *= 4.0,
                }
                if mu > 1e12 {
                    break;
                }
            }
        }
        let (j, g) = gradient(&x, &d, steps);
        println!(
            "window {steps:3} steps: J = {j:.16e}  |grad J| = {:.6e}  RMSE = {:.6e}",
            norm(&g),
            rmse(&x, &XT0)
        );
    }
    let (j, g) = gradient(&x, &d, STEPS);
    println!("analysis:     J = {j:.16e}  |grad J| = {:.6e}", norm(&g));
    println!("RMSE(analysis, xt0) = {:.16e}", rmse(&x, &XT0));

    // The learned solver's hypergradients: K = 5 descent steps of eta = 1e-5 from xb, the outer
    // loss against the truth trajectory.
    let truth_flat: Vec<f64> = d.truth.iter().flatten().copied().collect();
    let (k_inner, eta) = (5, 1e-5);
    let (l, dl) =
        tapeless::hyper::forward_eta(&InnerCost(&d), &OuterLoss(&truth_flat), &d.xb, eta, k_inner)
            .expect("finite inputs");
    let cost = NoParameters(InnerCost(&d));
    let outer = OuterLoss(&truth_flat);
    let descent = Unrolled::new(&cost, &Descent, k_inner);
    let r = descent
        .reverse(&outer, &d.xb, &[], &[eta])
        .expect("finite inputs");
    println!("learned solver, K = {k_inner}, eta = {eta:e}:");
    println!("  L            = {l:.16e}");
    println!("  dL/deta      = {dl:.16e}  (method 1: forward over the inner solve)");
    println!(
        "  dL/deta      = {:.16e}  (method 2: reverse through the unrolled solve)",
        r.theta[0]
    );

    // The learned diagonal preconditioner: x <- x - eta (theta ⊙ grad J(x)).
    let mut theta: Vec<f64> = (0..N).map(|i| 1.0 + 0.1 * (i as f64).sin()).collect();
    let update = Preconditioned { eta };
    let preconditioned = Unrolled::new(&cost, &update, k_inner);
    let forward = preconditioned
        .forward_gradient(&outer, &d.xb, &[], &theta)
        .expect("finite inputs");
    let r = preconditioned
        .reverse(&outer, &d.xb, &[], &theta)
        .expect("finite inputs");
    println!(
        "  preconditioner theta_i = 1 + 0.1 sin(i): L = {:.16e}",
        r.loss
    );
    println!(
        "  |dL/dtheta|  = {:.16e}  (method 1, 5 passes of 8 lanes)",
        norm(&forward.theta)
    );
    println!("  |dL/dtheta|  = {:.16e}  (method 2)", norm(&r.theta));
    let mut adam = tapeless::optim::Adam::new(0.05);
    for step in 0..10 {
        let r = preconditioned
            .reverse(&outer, &d.xb, &[], &theta)
            .expect("finite inputs");
        println!("  Adam step {step}: L = {:.16e}", r.loss);
        adam.step(&mut theta, &r.theta)
            .expect("a finite hypergradient");
    }

    // Heavy-ball momentum with a learned step size and momentum, v <- beta v + grad J(x),
    // x <- x - eta v: both hyperparameters by both methods.
    let momentum = Unrolled::new(&cost, &Momentum, k_inner);
    let hyper = [eta, 0.5];
    let f = momentum
        .forward_gradient(&outer, &d.xb, &[], &hyper)
        .expect("finite inputs");
    let r = momentum
        .reverse(&outer, &d.xb, &[], &hyper)
        .expect("finite inputs");
    println!(
        "momentum, K = {k_inner}, eta = {eta:e}, beta = 0.5: L = {:.16e}",
        r.loss
    );
    println!(
        "  dL/deta  = {:.16e} (method 1)  {:.16e} (method 2)",
        f.theta[0], r.theta[0]
    );
    println!(
        "  dL/dbeta = {:.16e} (method 1)  {:.16e} (method 2)",
        f.theta[1], r.theta[1]
    );

    // Converge the analysis with argmin's Hessian-free Newton-CG on the generated adjoint and
    // forward-over-reverse Hessian-vector products, polish it with exact Newton steps (argmin's
    // inner CG stops early near the optimum), then differentiate the converged analysis with
    // respect to the 400 observations three ways.
    let newton_cg = NewtonCG::new(MoreThuenteLineSearch::new());
    let result = Executor::new(Problem::new(InnerCost(&d)), newton_cg)
        .configure(|state| state.param(x.clone()).max_iters(30))
        .run()
        .expect("Newton-CG on problem L");
    let mut x_star = result
        .state()
        .get_best_param()
        .expect("a best point")
        .clone();
    let (j, g) = gradient(&x_star, &d, STEPS);
    println!(
        "Newton-CG (argmin, Hessian-free, {} iterations): J = {j:.16e}  |grad J| = {:.3e}",
        result.state().get_iter(),
        norm(&g)
    );
    let mut newton_steps = 0;
    while newton_steps < 10 && norm(&gradient(&x_star, &d, STEPS).1) > 1e-9 {
        let (_, g) = gradient(&x_star, &d, STEPS);
        match damped_newton_direction(&x_star, &g, 0.0, &d, STEPS, 400) {
            Some(s) => x_star.iter_mut().zip(&s).for_each(|(a, b)| *a += b),
            None => break,
        }
        newton_steps += 1;
    }
    let (j, g) = gradient(&x_star, &d, STEPS);
    println!(
        "after {newton_steps} Newton steps, x*: J = {j:.16e}  |grad J| = {:.3e}",
        norm(&g)
    );
    let hessian = tapeless::nested::hessian(&InnerCost(&d), &x_star).expect("a finite analysis");
    let hessian = nalgebra::DMatrix::from_fn(N, N, |r, c| hessian[r][c]);
    let inverse = hessian
        .cholesky()
        .expect("the Hessian at the analysis is positive definite")
        .inverse();
    let newton = FrozenNewton(inverse.transpose().as_slice().to_vec());
    let obs_cost = ObservationCost(&d);
    let converged = Unrolled::new(&obs_cost, &newton, 3);
    let m2 = converged
        .reverse(&outer, &x_star, &d.obs, &[])
        .expect("finite inputs");
    let m1 = converged
        .forward_gradient(&outer, &x_star, &d.obs, &[])
        .expect("finite inputs");
    let m3 = tapeless::hyper::implicit(&obs_cost, &outer, &x_star, &d.obs, 400, 1e-13)
        .expect("finite inputs");
    println!("sensitivity of the analysis's outer loss to the 400 observations, dL/dy:");
    println!("  L(x*)   = {:.16e}", m3.loss);
    println!(
        "  |dL/dy| = {:.16e}  (method 1: forward over 3 frozen-Newton steps, 50 passes of 8 lanes)",
        norm(&m1.phi)
    );
    println!(
        "  |dL/dy| = {:.16e}  (method 2: reverse through the same steps)",
        norm(&m2.phi)
    );
    println!(
        "  |dL/dy| = {:.16e}  (method 3: implicit, {} CG iterations on H(x*) v, residual {:.1e})",
        norm(&m3.phi),
        m3.iterations,
        m3.residual
    );
    let (d12, d23) = (
        max_relative_difference(&m1.phi, &m2.phi),
        max_relative_difference(&m2.phi, &m3.phi),
    );
    println!("  max relative difference: methods 1-2 {d12:.1e}, methods 2-3 {d23:.1e}");
    assert!(d12 < 1e-12 && d23 < 1e-9, "the three methods disagree");

    // Trajectories of components 0, 1 and 2: truth, background, analysis (on top, dashed) and,
    // for the even components, the observations.
    let trajectory = |x0: &[f64]| {
        let mut u = x0.to_vec();
        let mut out = vec![u.clone()];
        for k in 0..STEPS {
            rk4_step(&mut u, &[FORCING], H * k as f64, H);
            out.push(u.clone());
        }
        out
    };
    let (background, analysis) = (trajectory(&d.xb), trajectory(&x));
    let series = |traj: &[Vec<f64>], c: usize| -> Vec<(f64, f64)> {
        traj.iter()
            .enumerate()
            .map(|(k, u)| (k as f64 * H, u[c]))
            .collect()
    };
    let components = [0usize, 1, 2];
    let curves: Vec<[Vec<(f64, f64)>; 4]> = components
        .iter()
        .map(|&c| {
            let obs = if c % 2 == 0 {
                (0..STEPS / OBS_EVERY)
                    .map(|m| (((m + 1) * OBS_EVERY) as f64 * H, d.obs[m * 20 + c / 2]))
                    .collect()
            } else {
                Vec::new()
            };
            [
                series(&d.truth, c),
                series(&background, c),
                series(&analysis, c),
                obs,
            ]
        })
        .collect();
    let panels: Vec<plot::Panel> = components
        .iter()
        .zip(&curves)
        .map(|(c, [t, b, a, obs])| {
            let series = plot::assimilation(t, b, a, obs, "observations");
            let observed = if c % 2 == 0 {
                "observed"
            } else {
                "not observed"
            };
            plot::Panel {
                title: format!("component x{c} ({observed})"),
                x_label: "t (model time units)".into(),
                y_label: format!("x{c} (model units)"),
                series,
            }
        })
        .collect();
    let title = "Lorenz-96 4D-Var (n = 40, F = 8): analysis of the 200-step window";
    match plot::save("lorenz96_4dvar", title, (900, 960), &panels) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
}
