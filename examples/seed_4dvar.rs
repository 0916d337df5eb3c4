//! Problem S of the reference problems: scalar 4D-Var, and the derivative of the result of an
//! inner gradient descent with respect to its step size.
//!
//! The cost `J(x0)` integrates dx/dt = cos(t) with RK4 from t = 1 to 10 (h = 0.1) and compares
//! every third state with noisy observations. The inner solver takes K steps of gradient descent
//! on J; the outer loss L(eta) compares the trajectory from the inner solver's result with the
//! truth sin(t). `dL/deta` is forward mode over the whole inner solve, whose gradients are
//! adjoints: forward over reverse, as in the story tapeless comes from.
//!
//! Run: `cargo run --release --example seed_4dvar`

use tapeless::Dual;
use tapeless_problems::seed::*;

#[path = "support/plot.rs"]
mod plot;

fn main() {
    let obs = observations();
    let truth = truth();
    let x0 = x_start();
    let j = cost(x0, &obs);
    let g = cost_gradient(x0, &obs);
    // J'' by forward over reverse: the adjoint evaluated at a dual number.
    let gg = cost_gradient(Dual::<f64, 1>::seeded(x0, 0), &obs);
    println!("problem S: scalar 4D-Var on dx/dt = cos(t), RK4 h = {H}, {STEPS} steps");
    println!("J(x0)      = {j:.16e}");
    println!("J'(x0)     = {g:.16e}");
    println!("J''(x0)    = {:.16e}", gg.tangents[0]);
    let eta0 = 0.01;
    for k in [1, 5] {
        let (l, dl) = hypergradient(eta0, k, &obs, &truth);
        println!("K = {k}: L(eta0) = {l:.16e}  dL/deta(eta0) = {dl:.16e}");
    }
    println!("outer fit (K = 1, learning rate 0.001):");
    let mut eta = eta0;
    let outer = tapeless::optim::GradientDescent::new(0.001);
    for step in 0..2 {
        let (l, dl) = hypergradient(eta, 1, &obs, &truth);
        println!("  step {step}: eta = {eta:.16e}  L = {l:.16e}  dL/deta = {dl:.16e}");
        let mut theta = [eta];
        outer
            .step(&mut theta, &[dl])
            .expect("a finite hypergradient");
        eta = theta[0];
    }
    let (l, _) = hypergradient(eta, 1, &obs, &truth);
    println!("  fitted:  eta = {eta:.16e}  L = {l:.16e}");

    // A longer fit, K = 5 inner steps, with Adam from eta0.
    println!("longer fit (K = 5, Adam, learning rate 0.0005):");
    let mut adam = tapeless::optim::Adam::new(0.0005);
    let mut theta = [eta0];
    for step in 0..40 {
        let (l, dl) = hypergradient(theta[0], 5, &obs, &truth);
        println!("  step {step:2}: eta = {:.16e}  L = {l:.16e}", theta[0]);
        adam.step(&mut theta, &[dl])
            .expect("a finite hypergradient");
    }
    let (l5, _) = hypergradient(theta[0], 5, &obs, &truth);
    println!("  fitted:  eta = {:.16e}  L = {l5:.16e}", theta[0]);

    // The seed's figure: `plot(t, gt, label="gt"); scatter!(t[ss_idx], obs, label="obs");
    // plot!(t, x_eta0, label="x_eta0"); plot!(t, x_eta, label="x_eta")`, with the trajectories
    // from the inner solver's result with eta0 and with the fitted eta (K = 1).
    let trajectory_after = |eta: f64| {
        let mut x = x_start();
        x -= eta * cost_gradient(x, &obs);
        let mut points = vec![(time(0), x)];
        for i in 0..STEPS {
            x = rk4(x, time(i), H);
            points.push((time(i + 1), x));
        }
        points
    };
    let truth_points: Vec<(f64, f64)> = (0..=STEPS).map(|i| (time(i), truth[i])).collect();
    let obs_points: Vec<(f64, f64)> = (0..31).map(|j| (time(3 * j), obs[j])).collect();
    let (first, fitted) = (trajectory_after(eta0), trajectory_after(eta));
    use plot::{color, Series, Style};
    let panel = plot::Panel {
        title: format!("K = 1 inner step: eta0 = {eta0}, fitted eta = {eta:.5}"),
        x_label: "t (time units)".into(),
        y_label: "x (state units)".into(),
        series: vec![
            Series {
                label: "gt",
                points: &truth_points,
                style: Style::Line(color::TRUTH, 1),
            },
            Series {
                label: "obs",
                points: &obs_points,
                style: Style::Markers(color::OBSERVATIONS, 4),
            },
            Series {
                label: "x_eta0",
                points: &first,
                style: Style::Line(color::BACKGROUND, 2),
            },
            Series {
                label: "x_eta",
                points: &fitted,
                style: Style::Dashed(color::ANALYSIS, 3),
            },
        ],
    };
    let title = "Seed problem: dx/dt = cos(t), 4D-Var with a learned step size";
    match plot::save("seed_4dvar", title, (900, 500), &[panel]) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
}
