//! Adaptive steps: tolerances met, saved times landed on, exact gradients of the accepted
//! steps, blow-ups reported.

use super::*;

pub(super) fn adaptive(rtol: f64, atol: f64) -> SolveOptions {
    SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(rtol, atol))
}

#[test]
fn adaptive_steps_meet_the_tolerance() {
    let problem = OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 5.0));
    let mut previous_steps = 0;
    for rtol in [1e-4, 1e-7, 1e-10] {
        let sol = solve(&problem, &adaptive(rtol, rtol)).unwrap();
        let last = sol.u.last().unwrap()[0];
        assert_eq!(*sol.t.last().unwrap(), 5.0);
        assert!(
            (last - (-5.0_f64).exp()).abs() < 10.0 * rtol,
            "rtol {rtol}: {last}"
        );
        // A tighter tolerance takes more steps.
        assert!(
            sol.stats.steps > previous_steps,
            "rtol {rtol}: {:?}",
            sol.stats
        );
        previous_steps = sol.stats.steps;
        assert_eq!(sol.step_times.len(), sol.stats.steps + 1);
        assert_eq!(sol.t, sol.step_times);
        // First same as last: six new stages per attempt, not seven (plus the initial guess).
        let attempts = sol.stats.steps + sol.stats.rejected_steps;
        assert!(
            sol.stats.rhs_evals <= 6 * attempts + 2 + attempts / 10,
            "{:?}",
            sol.stats
        );
    }
}

#[test]
fn adaptive_steps_land_on_saved_times_and_replay_bitwise() {
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.0, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 2.0),
    );
    let times = vec![0.0, 0.25, 0.25, 1.0, 1.7, 2.0];
    let options = adaptive(1e-8, 1e-8).saveat(SaveAt::Times(times.clone()));
    let sol = solve(&problem, &options).unwrap();
    assert_eq!(sol.t, times);
    assert!(
        sol.stats.rejected_steps > 0,
        "the chaotic flow should reject some steps: {:?}",
        sol.stats
    );
    for t in &times {
        assert!(sol.step_times.contains(t), "no step lands on {t}");
    }
    // Replay: the same steps, given, give bitwise the same states.
    let replay = solve(
        &problem,
        &SolveOptions::step_to(Tableau::dormand_prince(), sol.step_times.clone())
            .saveat(SaveAt::Times(times.clone())),
    )
    .unwrap();
    assert_eq!(replay.u, sol.u);
    // Every accepted state, replayed.
    let every = solve(&problem, &adaptive(1e-8, 1e-8)).unwrap();
    let replay = solve(
        &problem,
        &SolveOptions::step_to(Tableau::dormand_prince(), every.step_times.clone()),
    )
    .unwrap();
    assert_eq!(replay.u, every.u);
    // And with the user's first step.
    let given = SolveOptions::adaptive(
        Tableau::dormand_prince(),
        Controller {
            dt0: Some(1e-3),
            ..Controller::new(1e-8, 1e-8)
        },
    );
    let sol = solve(&problem, &given).unwrap();
    assert!((sol.step_times[1] - 1e-3).abs() < 1e-18 || sol.stats.rejected_steps > 0);
}

#[test]
fn adaptive_gradients_are_exact_for_the_accepted_steps() {
    let case = Case {
        name: "lorenz63 adaptive",
        rhs: &Lorenz63,
        u0: &[1.0, 1.0, 20.0],
        p: &[10.0, 28.0, 8.0 / 3.0],
        tspan: (0.0, 1.0),
        saveat: SaveAt::Times(vec![0.0, 0.2, 0.5, 1.0]),
    };
    let options = adaptive(1e-7, 1e-7).saveat(case.saveat.clone());
    let problem = case.problem(case.u0, case.p);
    let g = gradient(&problem, &options, &Misfit).unwrap();
    assert!(g.stats.rejected_steps > 0);
    // Bitwise across memory strategies.
    for memory in memories() {
        let other = gradient(&problem, &options.clone().memory(memory), &Misfit).unwrap();
        assert_eq!(
            (other.value, &other.u0_bar, &other.p_bar),
            (g.value, &g.u0_bar, &g.p_bar),
            "{memory:?}"
        );
        assert_eq!(other.stats.steps, g.stats.steps);
    }
    // Bitwise the gradient of the replayed steps, which finite differences can use: the steps
    // do not move with the perturbed initial state.
    let steps = solve(&problem, &options).unwrap().step_times;
    assert_eq!(steps.len(), g.stats.steps + 1);
    let replay =
        SolveOptions::step_to(Tableau::dormand_prince(), steps).saveat(case.saveat.clone());
    let r = case.check_gradient(&replay, "lorenz63 replayed");
    assert_eq!(
        (r.value, &r.u0_bar, &r.p_bar),
        (g.value, &g.u0_bar, &g.p_bar)
    );
    case.check_memories(&replay, &r, "lorenz63 replayed");
    // The dot-product test on the adaptive options themselves.
    let (du, dp) = (direction(3, 1), direction(3, 2));
    let t = tangent(&problem, &options, &Misfit, &du, &dp).unwrap();
    let directional = dot(&g.u0_bar, &du) + dot(&g.p_bar, &dp);
    let scale = dot_scale(&g.u0_bar, &du) + dot_scale(&g.p_bar, &dp);
    assert!(relative_error(t.derivative, directional, scale) < 1e-12);
    assert_eq!(t.value, g.value);
    // Forward over reverse through adaptive steps: the same steps at dual numbers.
    let u0: Vec<Dual<f64, 1>> = case
        .u0
        .iter()
        .zip(&du)
        .map(|(&x, &v)| Dual::new(x, [v]))
        .collect();
    let p: Vec<Dual<f64, 1>> = case.p.iter().map(|&x| Dual::constant(x)).collect();
    let hv = gradient(&case.problem(&u0, &p), &options, &Misfit).unwrap();
    let hv_replay = gradient(&case.problem(&u0, &p), &replay, &Misfit).unwrap();
    let tangents = |v: &[Dual<f64, 1>]| v.iter().map(|d| d.tangent(0)).collect::<Vec<_>>();
    assert_eq!(tangents(&hv.u0_bar), tangents(&hv_replay.u0_bar));
    assert_eq!(hv.stats.steps, g.stats.steps);
    case.check_hessian(&replay, "lorenz63 replayed");
    // Saving every accepted step: the loss sees each, and the replay agrees again.
    let every = adaptive(1e-6, 1e-6);
    let g = gradient(&problem, &every, &Misfit).unwrap();
    let sol = solve(&problem, &every).unwrap();
    assert_eq!(g.stats.steps + 1, sol.t.len());
    let replay = SolveOptions::step_to(Tableau::dormand_prince(), sol.step_times);
    for memory in [Memory::StoreAll, Memory::Binomial { snapshots: 4 }] {
        let r = gradient(&problem, &replay.clone().memory(memory), &Misfit).unwrap();
        assert_eq!(
            (r.value, &r.u0_bar, &r.p_bar),
            (g.value, &g.u0_bar, &g.p_bar),
            "{memory:?}"
        );
    }
}

// Errors.

/// `du/dt = u^2`: blows up at `t = 1 / u0`.
struct Riccati;

impl Rhs for Riccati {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], _p: &[S], _t: S) {
        du[0] = u[0] * u[0];
    }
}
impl RhsJvp for Riccati {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (_p, _p_dot): (&[S], &[S]),
        _t: S,
    ) {
        du[0] = u[0] * u[0];
        du_dot[0] = S::from_f64(2.0) * u[0] * u_dot[0];
    }
}
impl RhsVjp for Riccati {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (_p, _p_bar): (&[S], &mut [S]),
        _t: S,
    ) {
        du[0] = u[0] * u[0];
        u_bar[0] += S::from_f64(2.0) * u[0] * du_bar[0];
        du_bar[0] = S::zero();
    }
}

#[test]
fn blow_up_is_reported_with_its_step_and_time() {
    // Euler: u <- u + 0.1 u^2 overflows after a few dozen steps.
    let mut u = 1.0_f64;
    let mut step = 0;
    while u.is_finite() {
        u += 0.1 * (u * u);
        step += 1;
    }
    let expected = OdeError::NonFiniteState {
        step,
        t: step as f64 * 0.1,
    };
    let problem = OdeProblem::new(&Riccati, &[1.0], &[], (0.0, 10.0));
    let options = SolveOptions::fixed(Tableau::euler(), 0.1);
    assert_eq!(solve(&problem, &options).unwrap_err(), expected);
    assert_eq!(
        loss_value(&problem, &options, &Misfit).unwrap_err(),
        expected
    );
    for memory in memories() {
        assert_eq!(
            gradient(&problem, &options.clone().memory(memory), &Misfit).unwrap_err(),
            expected,
            "{memory:?}"
        );
    }
    assert_eq!(
        tangent(&problem, &options, &Misfit, &[1.0], &[]).unwrap_err(),
        expected
    );
    // Adaptive steps shrink towards the singularity at t = 1 until they cannot.
    let err = solve(&problem, &adaptive(1e-6, 1e-6)).unwrap_err();
    match err {
        OdeError::StepSizeTooSmall { t, h } => {
            assert!((t - 1.0).abs() < 1e-3 && h < 1e-10, "{t} {h}")
        }
        other => panic!("expected StepSizeTooSmall, got {other:?}"),
    }
}
