//! 4D-Var on Lorenz-63 with observations at instrument times that are not step times: RK4 steps
//! of 0.01, x and z observed at irregular times in between, the states there by the step's
//! Hermite interpolant (dense output). The gradient is `ode::gradient`, the exact discrete
//! adjoint of the interpolated states too, checked here against central differences and
//! against the tangent (the dot-product test), then used by a descent with backtracking. The
//! figure shows the observed components: truth, background, analysis and the observations at
//! their own times.
//!
//! Run: `cargo run --release --example offgrid_4dvar`

use tapeless::fourdvar::{Background, Cost, ObservationSet, Selection};
use tapeless::ode::{self, Memory, OdeProblem, SaveAt, SolveOptions, Tableau};
use tapeless_problems::lorenz63::{Lorenz63, P};

#[path = "support/plot.rs"]
mod plot;

const H: f64 = 0.01;
const T_END: f64 = 1.0;
const OBSERVATIONS: usize = 12;

/// The initial time (where the background term sits), then the instrument times: every
/// 0.08 or so, with a deterministic jitter that keeps them off the grid of 0.01.
fn saved_times() -> Vec<f64> {
    let mut times = vec![0.0];
    times.extend(
        (1..=OBSERVATIONS).map(|m| 0.08 * m as f64 - 0.0037 + 0.0021 * (1.7 * m as f64).sin()),
    );
    times
}

fn options() -> SolveOptions {
    SolveOptions::fixed(Tableau::rk4(), H)
        .saveat(SaveAt::Times(saved_times()))
        .memory(Memory::Binomial { snapshots: 8 })
}

/// The problem from the initial state `x0`.
fn problem(x0: &[f64]) -> OdeProblem<'_, Lorenz63, f64> {
    OdeProblem::new(&Lorenz63, x0, &P, (0.0, T_END))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64).sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Truth at the instrument times, from a ten times finer step (so the observations are not
    // the model's own interpolant), observed with a deterministic noise.
    let truth0 = [-5.8, -5.1, 24.3];
    let fine = SolveOptions::fixed(Tableau::rk4(), H / 10.0).saveat(SaveAt::Times(saved_times()));
    let truth = ode::solve(&problem(&truth0), &fine)?;
    let off_grid = saved_times()
        .iter()
        .filter(|&&t| ((t / H).round() * H - t).abs() > 1e-6 * H)
        .count();
    let xb: Vec<f64> = truth0
        .iter()
        .enumerate()
        .map(|(i, x)| x + 1.5 * (1.3 * i as f64 + 0.4).cos())
        .collect();
    let mut cost = Cost::new(3).background(Background::new(xb.clone(), vec![4.0; 3])?)?;
    for k in 1..truth.u.len() {
        let noise = |i: usize| 0.3 * (12.9898 * k as f64 + 78.233 * i as f64).sin();
        let values = vec![truth.u[k][0] + noise(0), truth.u[k][2] + noise(2)];
        cost = cost.observe(
            k,
            ObservationSet::new(Selection::new(vec![0, 2]), values, vec![0.09; 2])?,
        )?;
    }
    println!(
        "Lorenz-63 4D-Var with off-grid observations: RK4 steps of h = {H} on (0, {T_END}), x and z \
         observed at {OBSERVATIONS} instrument times ({off_grid} of them between steps)"
    );

    // The gradient at the background, checked two ways.
    let g = ode::gradient(&problem(&xb), &options(), &cost)?;
    println!("J(xb)          = {:.16e}", g.value);
    for (i, gi) in g.u0_bar.iter().enumerate() {
        println!("dJ/dx0[{i}]      = {gi:.16e}");
    }
    let direction = [0.6, -0.3, 0.74];
    let along: f64 = g.u0_bar.iter().zip(&direction).map(|(a, b)| a * b).sum();
    let eps = 1e-6;
    let shifted = |sign: f64| -> Vec<f64> {
        xb.iter()
            .zip(&direction)
            .map(|(x, d)| x + sign * eps * d)
            .collect()
    };
    let plus = ode::loss_value(&problem(&shifted(1.0)), &options(), &cost)?;
    let minus = ode::loss_value(&problem(&shifted(-1.0)), &options(), &cost)?;
    let differences = (plus - minus) / (2.0 * eps);
    let fd_error = (differences - along).abs() / along.abs();
    println!("<grad J, d>    = {along:.16e}");
    println!("differences    = {differences:.16e}  (relative error {fd_error:.2e})");
    let t = ode::tangent(&problem(&xb), &options(), &cost, &direction, &[0.0; 3])?;
    let dot_error = (t.derivative - along).abs() / along.abs();
    println!(
        "tangent J' d   = {:.16e}  (relative error {dot_error:.2e})",
        t.derivative
    );
    if fd_error > 1e-6 || dot_error > 1e-12 {
        return Err(format!(
            "gradient check failed: differences {fd_error:e}, dot-product test {dot_error:e}"
        )
        .into());
    }

    // Gradient descent with backtracking from the background.
    println!("RMSE(xb)       = {:.16e}", rmse(&xb, &truth0));
    let mut x = xb.clone();
    let mut step = 1e-2;
    for it in 1..=60 {
        let g = ode::gradient(&problem(&x), &options(), &cost)?;
        loop {
            let trial: Vec<f64> = x.iter().zip(&g.u0_bar).map(|(a, b)| a - step * b).collect();
            if ode::loss_value(&problem(&trial), &options(), &cost)? < g.value {
                x = trial;
                step *= 1.5;
                break;
            }
            step *= 0.25;
            if step < 1e-14 {
                break;
            }
        }
        if it % 20 == 0 {
            let g = ode::gradient(&problem(&x), &options(), &cost)?;
            println!(
                "iteration {it:2}: J = {:.16e}  |grad J| = {:.6e}  RMSE = {:.6e}",
                g.value,
                norm(&g.u0_bar),
                rmse(&x, &truth0)
            );
        }
    }
    println!("RMSE(analysis) = {:.16e}", rmse(&x, &truth0));

    // x and z against time: truth (fine steps), background, analysis (dashed, on top), and the
    // observations at their instrument times.
    let every_step =
        |x0: &[f64], h: f64| ode::solve(&problem(x0), &SolveOptions::fixed(Tableau::rk4(), h));
    let (t_sol, b_sol, a_sol) = (
        every_step(&truth0, H / 10.0)?,
        every_step(&xb, H)?,
        every_step(&x, H)?,
    );
    let series = |s: &ode::Solution<f64>, c: usize| -> Vec<(f64, f64)> {
        s.t.iter().zip(&s.u).map(|(&t, u)| (t, u[c])).collect()
    };
    let curves: Vec<[Vec<(f64, f64)>; 4]> = [0, 2]
        .into_iter()
        .map(|c| {
            let obs = (1..truth.u.len())
                .map(|k| {
                    let noise = 0.3 * (12.9898 * k as f64 + 78.233 * c as f64).sin();
                    (truth.t[k], truth.u[k][c] + noise)
                })
                .collect();
            [series(&t_sol, c), series(&b_sol, c), series(&a_sol, c), obs]
        })
        .collect();
    let panels: Vec<plot::Panel> = ["x", "z"]
        .into_iter()
        .zip(&curves)
        .map(|(name, [t, b, a, obs])| plot::Panel {
            title: format!("{name}, observed between steps"),
            x_label: "t (model time units)".into(),
            y_label: format!("{name} (model units)"),
            series: plot::assimilation(t, b, a, obs, "observations (instrument times)"),
        })
        .collect();
    let title = "Lorenz-63 4D-Var, observations off the step grid (dense output)";
    match plot::save("offgrid_4dvar", title, (900, 700), &panels) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
    Ok(())
}
