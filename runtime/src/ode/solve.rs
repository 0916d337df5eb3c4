//! The forward passes: [`solve`] integrates and returns the saved states, [`loss_value`] sums a
//! loss over them, both by the drivers (`driver.rs` for a grid, `adaptive.rs` for adaptive
//! steps).

use super::adaptive::{integrate_adaptive, AdaptiveRun};
use super::driver::{check_problem, integrate_grid, Observer, Stats};
use super::error::OdeError;
use super::grid::{plan, steps_to_last_save, Plan};
use super::loss::{check_loss, check_saves, loss_failed, SavedStateLoss};
use super::problem::{OdeProblem, SolveOptions};
use super::rhs::Rhs;
use super::stepper::Stepper;
use crate::Real;

/// The saved states of an integration.
///
/// ```
/// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, SaveAt, SolveOptions, Tableau};
/// use tapeless_runtime::Real;
///
/// /// The harmonic oscillator x' = v, v' = -x.
/// struct Oscillator;
/// impl Rhs for Oscillator {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], _p: &[S], _t: S) {
///         du[0] = u[1];
///         du[1] = -u[0];
///     }
/// }
///
/// use std::f64::consts::FRAC_PI_2;
/// let options = SolveOptions::fixed(Tableau::rk4(), FRAC_PI_2 / 100.0)
///     .saveat(SaveAt::Times(vec![0.0, FRAC_PI_2]));
/// let sol = solve(&OdeProblem::new(&Oscillator, &[1.0, 0.0], &[], (0.0, FRAC_PI_2)), &options)?;
/// assert_eq!(sol.t, vec![0.0, FRAC_PI_2]);
/// assert_eq!(sol.u[0], vec![1.0, 0.0]);
/// assert!((sol.u[1][0] - 0.0).abs() < 1e-9 && (sol.u[1][1] + 1.0).abs() < 1e-9); // (cos, -sin)
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Solution<S> {
    /// The saved times, as requested (for [`SaveAt::Steps`](crate::ode::SaveAt), the step times).
    pub t: Vec<f64>,
    /// The saved states, one per saved time.
    pub u: Vec<Vec<S>>,
    /// Adaptive steps only: the times of the accepted steps, `t0` first and `t1` last (empty for
    /// steps known in advance). [`StepSize::StepTo`](crate::ode::StepSize::StepTo) with these
    /// times replays the steps bit for bit.
    pub step_times: Vec<f64>,
    /// Counted work.
    pub stats: Stats,
}

/// Saves into preallocated storage (steps known in advance) or by pushing (adaptive steps).
struct Collect<S> {
    t: Vec<f64>,
    u: Vec<Vec<S>>,
}

impl<S: Real> Observer<S> for Collect<S> {
    fn save(&mut self, j: usize, _k: usize, t: f64, u: &[S]) -> Result<(), OdeError> {
        if j < self.u.len() {
            self.u[j].copy_from_slice(u);
        } else {
            self.t.push(t);
            self.u.push(u.to_vec());
        }
        Ok(())
    }
}

/// Integrates the problem and returns the saved states.
///
/// Checks everything first (the span, the step, the saved times, the data), then integrates
/// with no allocation inside the loop over steps (the saved states are allocated before it;
/// adaptive steps, whose number is not known in advance, push each saved state and accepted
/// time as they come).
///
/// ```
/// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, SolveOptions, Tableau};
/// use tapeless_runtime::Real;
///
/// /// dx/dt = cos(t): the seed problem's right-hand side.
/// struct Cosine;
/// impl Rhs for Cosine {
///     fn eval<S: Real>(&self, du: &mut [S], _u: &[S], _p: &[S], t: S) {
///         du[0] = t.cos();
///     }
/// }
///
/// let sol = solve(&OdeProblem::new(&Cosine, &[1.0_f64.sin()], &[], (1.0, 10.0)), &SolveOptions::fixed(Tableau::rk4(), 0.1))?;
/// assert_eq!(sol.t.len(), 91);
/// assert!((sol.u[90][0] - 10.0_f64.sin()).abs() < 1e-6);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// Before any step: [`OdeError::Input`] if `u0` or `p` does not have the length the
/// right-hand side reads ([`Rhs::dims`]; [`InputError::WrongLength`](crate::InputError) or
/// `TooShort`) or is not finite (`NonFinite`), and the errors of the span, the step, the saved
/// times and the tableau; during the integration, [`OdeError::NonFiniteState`] and, with
/// adaptive steps, the controller's errors.
pub fn solve<S: Real, F: Rhs>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
) -> Result<Solution<S>, OdeError> {
    check_problem(problem)?;
    let plan = plan(problem.tspan, options)?;
    let n = problem.u0.len();
    let mut u = problem.u0.to_vec();
    let mut stats = Stats::default();
    match plan {
        Plan::Grid { grid, saves } => {
            let mut stepper = Stepper::new(&options.tableau, n);
            let mut collect = Collect {
                t: saves.iter().map(|s| s.t).collect(),
                u: vec![vec![S::zero(); n]; saves.len()],
            };
            integrate_grid(
                problem,
                &mut stepper,
                &grid,
                &saves,
                grid.steps(),
                &mut u,
                &mut collect,
            )?;
            stats.steps = grid.steps();
            stats.add_counters(stepper.counters);
            Ok(Solution {
                t: collect.t,
                u: collect.u,
                step_times: Vec::new(),
                stats,
            })
        }
        Plan::Adaptive {
            controller,
            t0,
            t1,
            saves,
        } => {
            let mut collect = Collect {
                t: Vec::new(),
                u: Vec::new(),
            };
            let run = AdaptiveRun::span(controller, t0, t1, saves);
            let step_times = integrate_adaptive(
                problem,
                &options.tableau,
                run,
                &mut u,
                &mut collect,
                &mut stats,
            )?;
            Ok(Solution {
                t: collect.t,
                u: collect.u,
                step_times,
                stats,
            })
        }
    }
}

/// Sums the loss in the order of the saved states.
struct SumLoss<'l, L, S> {
    loss: &'l L,
    value: S,
    scratch: Vec<S>,
    /// The saved states summed.
    saved: usize,
}

impl<L: SavedStateLoss, S: Real> Observer<S> for SumLoss<'_, L, S> {
    fn save(&mut self, j: usize, _k: usize, t: f64, u: &[S]) -> Result<(), OdeError> {
        for g in self.scratch.iter_mut() {
            *g = S::zero();
        }
        self.value += self
            .loss
            .value_and_gradient(j, t, u, &mut self.scratch)
            .map_err(loss_failed(j))?;
        self.saved += 1;
        Ok(())
    }
}

/// The loss `J = sum_k phi_k(u(t_k))` over the saved states, without derivatives: the
/// function that [`gradient`](crate::ode::gradient) and [`tangent`](crate::ode::tangent)
/// differentiate, summed in the same order, so its value is bitwise theirs. Integrates up to
/// the last saved state only.
///
/// ```
/// use tapeless_runtime::ode::{loss_value, OdeProblem, Rhs, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// use tapeless_runtime::{Real, UserError};
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; }
/// # }
///
/// /// The sum of the saved states.
/// struct Total;
/// impl SavedStateLoss for Total {
///     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         u_bar[0] += S::one();
///         Ok(u[0])
///     }
/// }
///
/// let options = SolveOptions::fixed(Tableau::euler(), 0.5).saveat(SaveAt::Times(vec![0.0, 1.0]));
/// // Euler on du/dt = -u: 1, then 0.5, then 0.25.
/// let j = loss_value(&OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 2.0)), &options, &Total)?;
/// assert_eq!(j, 1.0 + 0.25);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
pub fn loss_value<S: Real, F: Rhs, L: SavedStateLoss>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
) -> Result<S, OdeError> {
    check_problem(problem)?;
    check_loss(loss, problem.u0)?;
    let plan = plan(problem.tspan, options)?;
    check_saves(loss, plan.saves())?;
    let n = problem.u0.len();
    let mut u = problem.u0.to_vec();
    let mut sum = SumLoss {
        loss,
        value: S::zero(),
        scratch: vec![S::zero(); n],
        saved: 0,
    };
    match plan {
        Plan::Grid { grid, saves } => {
            let steps = steps_to_last_save(&saves);
            let mut stepper = Stepper::new(&options.tableau, n);
            integrate_grid(
                problem,
                &mut stepper,
                &grid,
                &saves,
                steps,
                &mut u,
                &mut sum,
            )?;
        }
        Plan::Adaptive {
            controller,
            t0,
            t1,
            saves,
        } => {
            let run = AdaptiveRun::to_last_save(controller, t0, t1, saves);
            integrate_adaptive(
                problem,
                &options.tableau,
                run,
                &mut u,
                &mut sum,
                &mut Stats::default(),
            )?;
            // Saving every accepted step: their number is known now.
            check_saves(loss, Some(sum.saved))?;
        }
    }
    Ok(sum.value)
}
