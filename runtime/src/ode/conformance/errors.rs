//! Every input error of a solve is reported, named, before any work.

use super::adaptive_steps::adaptive;
use super::*;

const P: [f64; 3] = [10.0, 28.0, 8.0 / 3.0];
const U0: [f64; 3] = [1.0, 1.0, 20.0];

fn fixed(h: f64) -> SolveOptions {
    SolveOptions::fixed(Tableau::rk4(), h)
}

fn solve_err(problem: &OdeProblem<'_, Lorenz63, f64>, options: &SolveOptions) -> OdeError {
    solve(problem, options).unwrap_err()
}

/// Wrong lengths and non-finite values of the data.
#[test]
fn input_data_errors_are_reported() {
    let (p, u0) = (P, U0);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    assert_eq!(
        tangent(&problem, &fixed(0.1), &Misfit, &[1.0], &[0.0; 3]).unwrap_err(),
        OdeError::Input(InputError::WrongLength {
            what: "u0_dot",
            expected: 3,
            found: 1
        })
    );
    assert_eq!(
        solve_tangent(&problem, &fixed(0.1), &[0.0; 3], &[0.0; 4]).unwrap_err(),
        OdeError::Input(InputError::WrongLength {
            what: "p_dot",
            expected: 3,
            found: 4
        })
    );
    // NaN is not equal to itself: match the fields instead.
    let err = tangent(
        &problem,
        &fixed(0.1),
        &Misfit,
        &[0.0, f64::NAN, 0.0],
        &[0.0; 3],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OdeError::Input(InputError::NonFinite {
                what: "u0_dot",
                index: 1,
                value,
            }) if value.is_nan()
        ),
        "{err:?}"
    );
    let bad_u0 = [1.0, f64::INFINITY, 0.0];
    assert_eq!(
        solve_err(
            &OdeProblem::new(&Lorenz63, &bad_u0, &p, (0.0, 1.0)),
            &fixed(0.1)
        ),
        OdeError::Input(InputError::NonFinite {
            what: "u0",
            index: 1,
            value: f64::INFINITY
        })
    );
    let bad_p = [10.0, 28.0, f64::NAN];
    let err = gradient(
        &OdeProblem::new(&Lorenz63, &u0, &bad_p, (0.0, 1.0)),
        &fixed(0.1),
        &Misfit,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OdeError::Input(InputError::NonFinite {
                what: "p",
                index: 2,
                value,
            }) if value.is_nan()
        ),
        "{err:?}"
    );
}

/// Bad spans, step sizes and step times.
#[test]
fn span_and_step_errors_are_reported() {
    let (p, u0) = (P, U0);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    for (t0, t1) in [(1.0, 0.0), (0.0, f64::NAN), (f64::NEG_INFINITY, 0.0)] {
        let err = solve_err(&OdeProblem::new(&Lorenz63, &u0, &p, (t0, t1)), &fixed(0.1));
        assert!(matches!(err, OdeError::InvalidSpan { .. }), "{err:?}");
    }
    for h in [0.0, -0.1, f64::NAN, f64::INFINITY, 1e-300] {
        let err = solve_err(&problem, &fixed(h));
        assert!(matches!(err, OdeError::InvalidStep { .. }), "{h}: {err:?}");
    }
    assert_eq!(
        solve_err(&problem, &fixed(0.3)),
        OdeError::SpanNotOnGrid {
            t0: 0.0,
            t1: 1.0,
            h: 0.3
        }
    );
    let step_to = |times: Vec<f64>| SolveOptions::step_to(Tableau::rk4(), times);
    assert!(matches!(
        solve_err(&problem, &step_to(vec![])),
        OdeError::InvalidStepTimes { index: 0, .. }
    ));
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.1, 1.0])),
        OdeError::InvalidStepTimes { index: 0, t: 0.1 }
    );
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.0, 0.5, 0.5, 1.0])),
        OdeError::InvalidStepTimes { index: 2, t: 0.5 }
    );
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.0, 0.5, 0.9])),
        OdeError::InvalidStepTimes { index: 2, t: 0.9 }
    );
}

/// Saved times outside the span, non-finite or not increasing.
#[test]
fn saved_time_errors_are_reported() {
    let (p, u0) = (P, U0);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    let saving = |times: Vec<f64>| fixed(0.1).saveat(SaveAt::Times(times));
    assert_eq!(
        solve_err(&problem, &saving(vec![0.0, 1.5])),
        OdeError::SaveatOutsideSpan {
            index: 1,
            t: 1.5,
            t0: 0.0,
            t1: 1.0
        }
    );
    assert!(matches!(
        solve_err(&problem, &saving(vec![f64::NAN])),
        OdeError::SaveatOutsideSpan { index: 0, .. }
    ));
    assert_eq!(
        solve_err(&problem, &saving(vec![0.5, 0.2])),
        OdeError::SaveatNotMonotone {
            index: 1,
            t: 0.2,
            previous: 0.5
        }
    );
    let adaptive_saving = adaptive(1e-6, 1e-6).saveat(SaveAt::Times(vec![0.5, 0.2]));
    assert!(matches!(
        solve_err(&problem, &adaptive_saving),
        OdeError::SaveatNotMonotone { .. }
    ));
    let adaptive_saving = adaptive(1e-6, 1e-6).saveat(SaveAt::Times(vec![1.0 + 1e-12]));
    assert!(matches!(
        solve_err(&problem, &adaptive_saving),
        OdeError::SaveatOutsideSpan { .. }
    ));
}

/// Bad tableaus, controllers and memory strategies.
#[test]
fn method_and_controller_errors_are_reported() {
    let (p, u0) = (P, U0);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    let tableau_err =
        Tableau::explicit(vec![vec![], vec![]], vec![1.0, 0.0], vec![0.0]).unwrap_err();
    assert_eq!(
        tableau_err,
        OdeError::Input(InputError::WrongLength {
            what: "tableau c",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        solve_err(
            &problem,
            &SolveOptions::adaptive(Tableau::rk4(), Controller::new(1e-6, 1e-6))
        ),
        OdeError::NoErrorEstimate
    );
    for (rtol, atol) in [
        (-1.0, 1e-6),
        (0.0, 0.0),
        (f64::NAN, 1e-6),
        (1e-6, f64::INFINITY),
    ] {
        let err = solve_err(&problem, &adaptive(rtol, atol));
        assert!(matches!(err, OdeError::InvalidTolerance { .. }), "{err:?}");
    }
    let base = Controller::new(1e-6, 1e-6);
    for (controller, what) in [
        (
            Controller {
                dt0: Some(-1.0),
                ..base.clone()
            },
            "dt0",
        ),
        (
            Controller {
                max_steps: 0,
                ..base.clone()
            },
            "max_steps",
        ),
        (
            Controller {
                safety: 1.5,
                ..base.clone()
            },
            "safety",
        ),
        (
            Controller {
                min_factor: 0.0,
                ..base.clone()
            },
            "min_factor",
        ),
        (
            Controller {
                max_factor: 0.5,
                ..base.clone()
            },
            "max_factor",
        ),
    ] {
        let err = solve_err(
            &problem,
            &SolveOptions::adaptive(Tableau::dormand_prince(), controller),
        );
        assert!(
            matches!(err, OdeError::InvalidController { what: w, .. } if w == what),
            "{what}: {err:?}"
        );
    }
    let few = SolveOptions::adaptive(
        Tableau::dormand_prince(),
        Controller {
            max_steps: 5,
            ..base
        },
    );
    assert!(matches!(
        solve_err(&problem, &few),
        OdeError::TooManySteps { max_steps: 5, .. }
    ));
    assert_eq!(
        gradient(
            &problem,
            &fixed(0.1).memory(Memory::Binomial { snapshots: 0 }),
            &Misfit
        )
        .unwrap_err(),
        OdeError::NoSnapshots
    );
}
