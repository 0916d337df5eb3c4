//! The lengths a right-hand side states ([`Rhs::dims`]) are checked by every entry point
//! before any work: a short or long state, short or long parameters, on fixed steps, given
//! steps, adaptive steps, and every memory strategy of the reverse sweep, each an error that
//! names the vector, and not one right-hand-side evaluation.

use super::test_problems::{Lorenz63, Lorenz96, Misfit};
use super::*;
use crate::{InputError, Real};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A right-hand side that counts its evaluations, with the lengths of the one it wraps.
struct Counted<F> {
    rhs: F,
    calls: AtomicUsize,
}

impl<F> Counted<F> {
    fn new(rhs: F) -> Self {
        Self {
            rhs,
            calls: AtomicUsize::new(0),
        }
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl<F: Rhs> Rhs for Counted<F> {
    fn dims(&self) -> RhsDims {
        self.rhs.dims()
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.rhs.eval(du, u, p, t);
    }
}
impl<F: RhsJvp> RhsJvp for Counted<F> {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        t: S,
    ) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.rhs.jvp((du, du_dot), (u, u_dot), (p, p_dot), t);
    }
}
impl<F: RhsVjp> RhsVjp for Counted<F> {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.rhs.vjp((du, du_bar), (u, u_bar), (p, p_bar), t);
    }
}

/// Fixed steps, given steps and adaptive steps, each with every memory strategy.
fn every_path() -> Vec<SolveOptions> {
    let steppings = [
        SolveOptions::fixed(Tableau::rk4(), 0.01),
        SolveOptions::step_to(Tableau::heun(), vec![0.0, 0.25, 0.5, 1.0]),
        SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-6, 1e-8)),
    ];
    let memories = [
        Memory::StoreAll,
        Memory::Binomial { snapshots: 1 },
        Memory::Binomial { snapshots: 4 },
    ];
    steppings
        .iter()
        .flat_map(|s| {
            memories.iter().map(|&m| {
                s.clone()
                    .memory(m)
                    .saveat(SaveAt::Times(vec![0.0, 0.5, 1.0]))
            })
        })
        .collect()
}

/// Every entry point on `(u0, p)` fails with `expected`, and evaluates nothing.
fn every_entry_point_fails<F: RhsJvp + RhsVjp>(rhs: F, u0: &[f64], p: &[f64], expected: &OdeError) {
    let rhs = Counted::new(rhs);
    let problem = OdeProblem::new(&rhs, u0, p, (0.0, 1.0));
    let (u0_dot, p_dot) = (vec![0.5; u0.len()], vec![0.5; p.len()]);
    for options in every_path() {
        let errors = [
            ("solve", solve(&problem, &options).err()),
            ("loss_value", loss_value(&problem, &options, &Misfit).err()),
            ("gradient", gradient(&problem, &options, &Misfit).err()),
            (
                "tangent",
                tangent(&problem, &options, &Misfit, &u0_dot, &p_dot).err(),
            ),
            (
                "solve_tangent",
                solve_tangent(&problem, &options, &u0_dot, &p_dot).err(),
            ),
        ];
        for (entry, err) in errors {
            assert_eq!(err.as_ref(), Some(expected), "{entry} with {options:?}");
        }
        // At dual numbers (Hessian-vector products) too.
        let lift = |v: &[f64]| -> Vec<crate::Dual<f64, 1>> {
            v.iter().map(|&x| crate::Dual::new(x, [1.0])).collect()
        };
        let (u0_dual, p_dual) = (lift(u0), lift(p));
        let dual_problem = OdeProblem::new(&rhs, &u0_dual, &p_dual, (0.0, 1.0));
        assert_eq!(
            gradient(&dual_problem, &options, &Misfit).err().as_ref(),
            Some(expected),
            "gradient at duals with {options:?}"
        );
    }
    assert_eq!(
        rhs.calls(),
        0,
        "the lengths are checked before any evaluation"
    );
}

const P: [f64; 3] = [10.0, 28.0, 8.0 / 3.0];
const U0: [f64; 3] = [1.0, 1.0, 20.0];

#[test]
fn a_short_or_long_state_is_named_before_any_step() {
    for u0 in [&U0[..2], &[1.0, 1.0, 20.0, 5.0][..], &[][..]] {
        let expected = OdeError::Input(InputError::WrongLength {
            what: "u0",
            expected: 3,
            found: u0.len(),
        });
        every_entry_point_fails(Lorenz63, u0, &P, &expected);
    }
}

#[test]
fn short_or_long_parameters_are_named_before_any_step() {
    for p in [&P[..2], &[10.0, 28.0, 8.0 / 3.0, 1.0][..], &[][..]] {
        let expected = OdeError::Input(InputError::WrongLength {
            what: "p",
            expected: 3,
            found: p.len(),
        });
        every_entry_point_fails(Lorenz63, &U0, p, &expected);
    }
}

#[test]
fn a_state_below_a_minimum_is_too_short_and_any_longer_one_integrates() {
    let expected = OdeError::Input(InputError::TooShort {
        what: "u0",
        minimum: 4,
        found: 3,
    });
    every_entry_point_fails(Lorenz96, &[1.0, 2.0, 3.0], &[8.0], &expected);
    assert_eq!(expected.to_string(), "u0 has length 3, expected at least 4");
    for n in [4, 5, 40] {
        let u0: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let problem = OdeProblem::new(&Lorenz96, &u0, &[8.0], (0.0, 0.1));
        let options = SolveOptions::fixed(Tableau::rk4(), 0.01);
        assert_eq!(solve(&problem, &options).unwrap().u[10].len(), n);
        assert!(gradient(&problem, &options, &Misfit).is_ok());
    }
    // Parameters are checked after the state, each against its own length.
    assert_eq!(
        solve(
            &OdeProblem::new(&Lorenz96, &[0.0; 8], &[8.0, 1.0], (0.0, 0.1)),
            &SolveOptions::fixed(Tableau::rk4(), 0.01)
        )
        .unwrap_err(),
        OdeError::Input(InputError::WrongLength {
            what: "p",
            expected: 1,
            found: 2
        })
    );
}

#[test]
fn lengths_come_before_finiteness_and_the_options() {
    // A short state that is also not finite, with a step that does not divide the span: the
    // length is what the right-hand side cannot survive, so it is reported first.
    let err = solve(
        &OdeProblem::new(&Lorenz63, &[f64::NAN, 0.0], &P, (0.0, 1.0)),
        &SolveOptions::fixed(Tableau::rk4(), 0.3),
    )
    .unwrap_err();
    assert_eq!(
        err,
        OdeError::Input(InputError::WrongLength {
            what: "u0",
            expected: 3,
            found: 2
        })
    );
    assert_eq!(err.to_string(), "u0 has length 2, expected 3");
}
