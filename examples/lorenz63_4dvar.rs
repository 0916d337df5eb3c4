//! 4D-Var on Lorenz-63 with the runtime's integrator: the right-hand side is written once with
//! `#[differentiable(rhs = Lorenz63)]`, the cost is built from the 4D-Var blocks, gradients are
//! the integrator's exact discrete adjoint, and Hessian-vector products are that adjoint run at
//! dual numbers (forward over reverse). The initial state is found by damped Newton-CG.
//!
//! Run: `cargo run --release --example lorenz63_4dvar`

use tapeless::fourdvar::{Background, Cost, ObservationSet, Selection};
use tapeless::ode::{self, Memory, OdeProblem, SaveAt, SolveOptions, Tableau};
use tapeless::Dual;
use tapeless_problems::lorenz63::{Lorenz63, P};

#[path = "support/plot.rs"]
mod plot;

const H: f64 = 0.01;
const STEPS: usize = 100;
const OBS_EVERY: usize = 10;

fn options() -> SolveOptions {
    let times = (0..=STEPS / OBS_EVERY)
        .map(|m| (m * OBS_EVERY) as f64 * H)
        .collect();
    SolveOptions::fixed(Tableau::rk4(), H)
        .saveat(SaveAt::Times(times))
        .memory(Memory::Binomial { snapshots: 10 })
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64).sqrt()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Truth, observations of x and z every 0.1 with a deterministic noise, background.
    let truth0 = [-5.8, -5.1, 24.3];
    let truth = ode::solve(
        &OdeProblem::new(&Lorenz63, &truth0, &P, (0.0, STEPS as f64 * H)),
        &options(),
    )?;
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
    let j_and_grad = |x: &[f64]| -> Result<(f64, Vec<f64>), ode::OdeError> {
        let g = ode::gradient(
            &OdeProblem::new(&Lorenz63, x, &P, (0.0, STEPS as f64 * H)),
            &options(),
            &cost,
        )?;
        Ok((g.value, g.u0_bar))
    };
    let hessian_vector = |x: &[f64], v: &[f64]| -> Result<Vec<f64>, ode::OdeError> {
        let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let pd: Vec<Dual<f64, 1>> = P.iter().map(|&p| Dual::constant(p)).collect();
        let g = ode::gradient(
            &OdeProblem::new(&Lorenz63, &xd, &pd, (0.0, STEPS as f64 * H)),
            &options(),
            &cost,
        )?;
        Ok(g.u0_bar.iter().map(|d| d.tangents[0]).collect())
    };

    let (j, g) = j_and_grad(&xb)?;
    println!(
        "Lorenz-63 4D-Var: {STEPS} RK4 steps of h = {H}, x and z observed every {OBS_EVERY} steps"
    );
    println!("J(xb)        = {j:.16e}");
    println!("|grad J(xb)| = {:.16e}", norm(&g));
    println!("RMSE(xb)     = {:.16e}", rmse(&xb, &truth0));
    // Damped Newton with the 3x3 Hessian from three Hessian-vector products.
    let mut x = xb.clone();
    let mut mu = 1.0;
    for it in 0..15 {
        let (j, g) = j_and_grad(&x)?;
        let columns: Vec<Vec<f64>> = (0..3)
            .map(|c| hessian_vector(&x, &[0, 1, 2].map(|i| if i == c { 1.0 } else { 0.0 })))
            .collect::<Result<_, _>>()?;
        loop {
            // Solve (H + mu I) s = -g by Cramer's rule.
            let a = |r: usize, c: usize| columns[c][r] + if r == c { mu } else { 0.0 };
            let det = |m: [[f64; 3]; 3]| {
                m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                    - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
            };
            let m = [
                [a(0, 0), a(0, 1), a(0, 2)],
                [a(1, 0), a(1, 1), a(1, 2)],
                [a(2, 0), a(2, 1), a(2, 2)],
            ];
            let d = det(m);
            let s: Vec<f64> = (0..3)
                .map(|c| {
                    let mut mc = m;
                    for r in 0..3 {
                        mc[r][c] = -g[r];
                    }
                    det(mc) / d
                })
                .collect();
            let trial: Vec<f64> = x.iter().zip(&s).map(|(a, b)| a + b).collect();
            if d > 0.0 && j_and_grad(&trial)?.0 < j {
                x = trial;
                mu = (mu / 3.0).max(1e-6);
                break;
            }
            mu *= 4.0;
            if mu > 1e12 {
                break;
            }
        }
        if it % 3 == 2 {
            let (j, g) = j_and_grad(&x)?;
            println!(
                "iteration {:2}: J = {j:.16e}  |grad J| = {:.6e}  RMSE = {:.6e}",
                it + 1,
                norm(&g),
                rmse(&x, &truth0)
            );
        }
    }
    let (j, g) = j_and_grad(&x)?;
    println!("analysis:     J = {j:.16e}  |grad J| = {:.6e}", norm(&g));
    println!("RMSE(analysis) = {:.16e}", rmse(&x, &truth0));

    // x, y, z against time: truth, background, analysis (on top, dashed) and the observations
    // of x and z.
    let every_step = |x0: &[f64]| -> Result<ode::Solution<f64>, ode::OdeError> {
        let options = SolveOptions::fixed(Tableau::rk4(), H);
        ode::solve(
            &OdeProblem::new(&Lorenz63, x0, &P, (0.0, STEPS as f64 * H)),
            &options,
        )
    };
    let (t_sol, b_sol, a_sol) = (every_step(&truth0)?, every_step(&xb)?, every_step(&x)?);
    let series = |s: &ode::Solution<f64>, c: usize| -> Vec<(f64, f64)> {
        s.t.iter().zip(&s.u).map(|(&t, u)| (t, u[c])).collect()
    };
    let curves: Vec<[Vec<(f64, f64)>; 4]> = (0..3)
        .map(|c| {
            let obs = if c == 1 {
                Vec::new()
            } else {
                let noise = |k: usize| 0.3 * (12.9898 * k as f64 + 78.233 * c as f64).sin();
                (1..truth.u.len())
                    .map(|k| (truth.t[k], truth.u[k][c] + noise(k)))
                    .collect()
            };
            [series(&t_sol, c), series(&b_sol, c), series(&a_sol, c), obs]
        })
        .collect();
    let panels: Vec<plot::Panel> = ["x", "y", "z"]
        .into_iter()
        .zip(&curves)
        .map(|(name, [t, b, a, obs])| {
            let series = plot::assimilation(t, b, a, obs, "observations");
            let observed = if obs.is_empty() {
                "not observed"
            } else {
                "observed"
            };
            plot::Panel {
                title: format!("{name} ({observed})"),
                x_label: "t (model time units)".into(),
                y_label: format!("{name} (model units)"),
                series,
            }
        })
        .collect();
    let title = "Lorenz-63 4D-Var: analysis of the 100-step window";
    match plot::save("lorenz63_4dvar", title, (900, 960), &panels) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
    Ok(())
}
