//! Dense output on step grids, tested as every derivative is: the gradient of a loss of
//! interpolated states against central differences and against the tangent (dot-product test),
//! bitwise agreement of the memory strategies, the tangent of the interpolated states against
//! differences of solutions, the interpolant's order, saved times on the grid bitwise the grid's
//! states, and the errors.

use super::conformance::Case;
use super::test_problems::{direction, Forced, Lorenz63, Misfit, Oscillator};
use super::*;
use crate::check::relative_error;

/// Times off the grid of `h` on `(0, 1)` (several in one step, one repeated), mixed with grid
/// times, ending inside a step.
fn mixed_times(h: f64) -> Vec<f64> {
    vec![
        0.0,
        0.37 * h,
        0.8 * h,
        3.0 * h,
        3.5 * h,
        3.5 * h,
        7.25 * h,
        0.5,
        0.5 + 0.1 * h,
        0.9 + 0.61 * h,
    ]
}

fn memories() -> [Memory; 4] {
    [
        Memory::StoreAll,
        Memory::Binomial { snapshots: 1 },
        Memory::Binomial { snapshots: 3 },
        Memory::Binomial { snapshots: 1000 },
    ]
}

/// The gradient of `case` against differences and the tangent, and bitwise the same for every
/// memory strategy.
fn check<F: RhsJvp + RhsVjp>(case: &Case<'_, F>, options: &SolveOptions, what: &str) {
    let options = options.clone().saveat(case.saveat.clone());
    let reference = case.check_gradient(&options, what);
    for memory in memories() {
        let g = gradient(
            &case.problem(case.u0, case.p),
            &options.clone().memory(memory),
            &Misfit,
        )
        .unwrap();
        assert_eq!(
            g.value.to_bits(),
            reference.value.to_bits(),
            "{what} {memory:?}"
        );
        assert_eq!(g.u0_bar, reference.u0_bar, "{what} {memory:?}");
        assert_eq!(g.p_bar, reference.p_bar, "{what} {memory:?}");
    }
}

#[test]
fn gradients_of_interpolated_states_conform() {
    let h = 0.05;
    let tableaus = [
        Tableau::rk4(),
        Tableau::euler(),
        Tableau::heun(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
    ];
    for tableau in &tableaus {
        let name = tableau.name();
        let lorenz = Case {
            name: "lorenz63",
            rhs: &Lorenz63,
            u0: &[1.0, 1.5, 20.0],
            p: &[10.0, 28.0, 8.0 / 3.0],
            tspan: (0.0, 1.0),
            saveat: SaveAt::Times(mixed_times(0.01)),
        };
        check(&lorenz, &SolveOptions::fixed(tableau.clone(), 0.01), name);
        let forced = Case {
            name: "forced",
            rhs: &Forced,
            u0: &[0.4, -1.1],
            p: &[0.7, 1.3],
            tspan: (0.0, 1.0),
            saveat: SaveAt::Times(mixed_times(h)),
        };
        check(&forced, &SolveOptions::fixed(tableau.clone(), h), name);
        // Uneven steps, the last save inside a middle step.
        let times = vec![0.0, 0.1, 0.15, 0.4, 0.45, 0.7, 1.0];
        let step_to = Case {
            saveat: SaveAt::Times(vec![0.05, 0.1, 0.3, 0.44]),
            ..forced
        };
        check(
            &step_to,
            &SolveOptions::step_to(tableau.clone(), times),
            &format!("{name} step_to"),
        );
    }
}

#[test]
fn interpolated_states_cost_two_evaluations_and_stop_at_their_step() {
    let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![0.25]));
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.5, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 1.0),
    );
    let sol = solve(&problem, &options).unwrap();
    assert_eq!(sol.stats.rhs_evals, 4 * 10 + 2);
    let g = gradient(&problem, &options, &Misfit).unwrap();
    // Three steps (the save lies in the third); the last step's adjoint computes its result.
    assert_eq!(g.stats.steps, 3);
    assert_eq!(g.stats.rhs_vjps, 4 * 3 + 2);
    assert_eq!(g.stats.rhs_evals, 4 * 2 + 3 * 3 + 1 + 2);
    let t = tangent(&problem, &options, &Misfit, &[1.0, 0.0, 0.0], &[0.0; 3]).unwrap();
    assert_eq!((t.stats.steps, t.stats.rhs_jvps), (3, 4 * 3 + 2));
}

#[test]
fn tangents_of_interpolated_states_match_differences_of_solutions() {
    let (u0, p) = ([0.4, -1.1], [0.7, 1.3]);
    let options =
        SolveOptions::fixed(Tableau::rk4(), 0.05).saveat(SaveAt::Times(mixed_times(0.05)));
    let (du, dp) = (direction(2, 3), direction(2, 4));
    let s = solve_tangent(
        &OdeProblem::new(&Forced, &u0, &p, (0.0, 1.0)),
        &options,
        &du,
        &dp,
    )
    .unwrap();
    let primal = solve(&OdeProblem::new(&Forced, &u0, &p, (0.0, 1.0)), &options).unwrap();
    assert_eq!(
        s.u, primal.u,
        "the tangent pass's states are bitwise the solve's"
    );
    assert_eq!(s.t, primal.t);
    assert_tangents_match_differences((&u0, &p), (&du, &dp), (0.0, 1.0), &options, &s.u_dot);
}

/// The tangents `u_dot` of the saved states of `Forced` from `(u0, p)` over `span` against
/// central differences of `solve` with `options` along `(du, dp)`, to 1e-8 relative.
pub(super) fn assert_tangents_match_differences(
    (u0, p): (&[f64], &[f64]),
    (du, dp): (&[f64], &[f64]),
    span: (f64, f64),
    options: &SolveOptions,
    u_dot: &[Vec<f64>],
) {
    let eps = 1e-6;
    let at = |sign: f64| {
        let u: Vec<f64> = u0.iter().zip(du).map(|(a, b)| a + sign * eps * b).collect();
        let q: Vec<f64> = p.iter().zip(dp).map(|(a, b)| a + sign * eps * b).collect();
        solve(&OdeProblem::new(&Forced, &u, &q, span), options).unwrap()
    };
    let (plus, minus) = (at(1.0), at(-1.0));
    for (j, u_dot) in u_dot.iter().enumerate() {
        for (i, &tangent) in u_dot.iter().enumerate() {
            let fd = (plus.u[j][i] - minus.u[j][i]) / (2.0 * eps);
            let error = relative_error(fd, tangent, 1.0);
            assert!(error < 1e-8, "save {j}, component {i}: {fd} vs {tangent}");
        }
    }
}

#[test]
fn the_interpolant_is_third_order() {
    // x' = v, v' = -w^2 x from (1, 0) with w = 1: (cos t, -sin t), saved at a fixed fraction of a step.
    let error = |steps: usize| {
        let h = 1.0 / steps as f64;
        let times: Vec<f64> = (0..steps).map(|k| (k as f64 + 0.37) * h).collect();
        let options = SolveOptions::fixed(Tableau::rk4(), h).saveat(SaveAt::Times(times.clone()));
        let sol = solve(
            &OdeProblem::new(&Oscillator, &[1.0, 0.0], &[1.0], (0.0, 1.0)),
            &options,
        )
        .unwrap();
        sol.u
            .iter()
            .zip(&times)
            .map(|(u, &t)| (u[0] - t.cos()).abs().max((u[1] + t.sin()).abs()))
            .fold(0.0, f64::max)
    };
    let errors: Vec<f64> = [10, 20, 40, 80].iter().map(|&n| error(n)).collect();
    for pair in errors.windows(2) {
        let order = (pair[0] / pair[1]).log2();
        assert!(
            (3.7..4.5).contains(&order),
            "errors {errors:?}: order {order}"
        );
    }
    assert!(errors[0] < 1e-5, "{errors:?}");
}

#[test]
fn saved_times_on_the_grid_are_the_grid_states_bitwise() {
    let (u0, p) = ([1.0, 1.5, 20.0], [10.0, 28.0, 8.0 / 3.0]);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    let every = solve(&problem, &SolveOptions::fixed(Tableau::rk4(), 0.01)).unwrap();
    let times = mixed_times(0.01);
    let options = SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(times.clone()));
    let mixed = solve(&problem, &options).unwrap();
    assert_eq!(mixed.t, times);
    for (j, k) in [(0, 0), (3, 3), (7, 50)] {
        assert_eq!(mixed.u[j], every.u[k], "save {j} at grid point {k}");
    }
    // Off the grid, the states differ from both neighbours.
    assert_ne!(mixed.u[1], every.u[0]);
    assert_ne!(mixed.u[1], every.u[1]);
    // A repeated time is saved twice, bitwise.
    assert_eq!(mixed.u[4], mixed.u[5]);
}

#[test]
fn saved_times_outside_the_span_are_errors_naming_them() {
    let problem = OdeProblem::new(&Oscillator, &[1.0, 0.0], &[1.0], (0.0, 1.0));
    for (times, index, t) in [(vec![0.25, 1.01], 1, 1.01), (vec![-0.05, 0.5], 0, -0.05)] {
        let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(times));
        let expected = OdeError::SaveatOutsideSpan {
            index,
            t,
            t0: 0.0,
            t1: 1.0,
        };
        assert_eq!(solve(&problem, &options).unwrap_err(), expected);
        assert_eq!(gradient(&problem, &options, &Misfit).unwrap_err(), expected);
        let seed = [1.0, 0.0];
        assert_eq!(
            tangent(&problem, &options, &Misfit, &seed, &[0.0]).unwrap_err(),
            expected
        );
    }
}

#[test]
fn hessian_vector_products_of_interpolated_states_conform() {
    // Forward over reverse through the interpolant: against differences of gradients,
    // symmetric, bitwise the same for every memory strategy.
    let forced = Case {
        name: "forced",
        rhs: &Forced,
        u0: &[0.4, -1.1],
        p: &[0.7, 1.3],
        tspan: (0.0, 1.0),
        saveat: SaveAt::Times(mixed_times(0.05)),
    };
    for tableau in [Tableau::rk4(), Tableau::heun()] {
        let options = SolveOptions::fixed(tableau, 0.05).saveat(forced.saveat.clone());
        forced.check_hessian(&options, "forced, dense");
    }
    let lorenz = Case {
        name: "lorenz63",
        rhs: &Lorenz63,
        u0: &[1.0, 1.5, 20.0],
        p: &[10.0, 28.0, 8.0 / 3.0],
        tspan: (0.0, 1.0),
        saveat: SaveAt::Times(mixed_times(0.01)),
    };
    let options = SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(lorenz.saveat.clone());
    lorenz.check_hessian(&options, "lorenz63, dense");
}
