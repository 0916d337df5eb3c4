//! The schedule derivatives follow: the steps and saves of a plan made known in advance. A
//! grid is known already; adaptive steps are chosen by a primal pass whose accepted steps are
//! recorded, to be replayed exactly (and, for storing memory, the states at their starts).

use super::adaptive::{integrate_adaptive, AdaptiveRun};
use super::driver::{Observer, Stats};
use super::error::OdeError;
use super::grid::{steps_to_last_save, Grid, Plan, Save};
use super::problem::OdeProblem;
use super::rhs::Rhs;
use super::tableau::Tableau;
use crate::Real;

/// Records the saves of a pass and, optionally, the state at the start of every step.
struct Record<S> {
    saves: Vec<Save>,
    states: Option<Vec<S>>,
}

impl<S: Real> Observer<S> for Record<S> {
    fn step(&mut self, _k: usize, u: &[S]) {
        if let Some(states) = &mut self.states {
            states.extend_from_slice(u);
        }
    }
    fn save(&mut self, _j: usize, k: usize, t: f64, _u: &[S]) -> Result<(), OdeError> {
        self.saves.push(Save::at_grid(t, k));
        Ok(())
    }
    fn save_inside(&mut self, _j: usize, k: usize, t: f64, _u: &[S]) -> Result<(), OdeError> {
        self.saves.push(Save {
            t,
            index: k,
            dense: true,
        });
        Ok(())
    }
}

/// A plan whose steps are known: the grid, the saves, the number of steps derivatives take
/// (up to the last save), and, when asked for and the steps were chosen by a forward pass, the
/// state at the start of every step.
pub(crate) struct Resolved<S> {
    pub(crate) grid: Grid,
    pub(crate) saves: Vec<Save>,
    pub(crate) steps: usize,
    pub(crate) states: Option<Vec<S>>,
    /// Whether saves inside a step are the tableau's continuous extension from the step's
    /// stages (adaptive dense output) rather than the Hermite interpolant of its ends.
    pub(crate) continuous: bool,
}

/// Resolves a plan for derivatives: a grid as it is; adaptive steps by a primal pass up to the
/// last saved time that records the accepted steps (and stores the states if
/// `store_states`), to be replayed exactly.
pub(crate) fn resolve<S: Real, F: Rhs>(
    problem: &OdeProblem<'_, F, S>,
    tableau: &Tableau,
    plan: Plan<'_>,
    store_states: bool,
    stats: &mut Stats,
) -> Result<Resolved<S>, OdeError> {
    match plan {
        Plan::Grid { grid, saves } => {
            let steps = steps_to_last_save(&saves);
            Ok(Resolved {
                grid,
                saves,
                steps,
                states: None,
                continuous: tableau.continuous(),
            })
        }
        Plan::Adaptive {
            controller,
            t0,
            t1,
            saves,
        } => {
            let run = AdaptiveRun::to_last_save(controller, t0, t1, saves);
            let mut record = Record {
                saves: Vec::new(),
                states: store_states.then(Vec::new),
            };
            let mut u = problem.u0.to_vec();
            let times = integrate_adaptive(problem, tableau, run, &mut u, &mut record, stats)?;
            let steps = times.len() - 1;
            Ok(Resolved {
                grid: Grid::Times(times),
                saves: record.saves,
                steps,
                states: record.states,
                continuous: tableau.continuous(),
            })
        }
    }
}
