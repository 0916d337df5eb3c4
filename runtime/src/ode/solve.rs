//! The forward driver: [`solve`] integrates and returns the saved states, [`loss_value`] sums a
//! loss over them. The loop over steps lives here (and in `adaptive.rs` for adaptive steps);
//! the stepper only steps.

use super::adaptive::{integrate_adaptive, last_save_time};
use super::dense::{Hermite, Span};
use super::error::OdeError;
use super::grid::{plan, steps_to_last_save, Grid, Plan, Save};
use super::loss::{check_loss, check_saves, loss_failed, SavedStateLoss};
use super::problem::{OdeProblem, SolveOptions};
use super::rhs::Rhs;
use super::stepper::{Counters, Stepper};
use crate::Real;

/// Counted work of an integration or a derivative, for benchmarks and for tests that pin it.
///
/// ```
/// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, SolveOptions, Tableau};
/// # use tapeless_runtime::Real;
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; }
/// #     fn jvp<S: Real>(&self, du: &mut [S], dd: &mut [S], u: &[S], ud: &[S], p: &[S], pd: &[S], _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         dd[0] = -pd[0] * u[0] - p[0] * ud[0];
/// #     }
/// #     fn vjp<S: Real>(&self, du: &mut [S], db: &mut [S], u: &[S], ub: &mut [S], p: &[S], pb: &mut [S], _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         ub[0] -= p[0] * db[0];
/// #         pb[0] -= u[0] * db[0];
/// #         db[0] = S::zero();
/// #     }
/// # }
/// let sol = solve(&OdeProblem::new(&Decay, &[1.0], &[0.5], (0.0, 1.0)), &SolveOptions::fixed(Tableau::rk4(), 0.1))?;
/// assert_eq!((sol.stats.steps, sol.stats.rhs_evals), (10, 40));
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps of the integration: for adaptive steps the accepted ones. Derivatives integrate
    /// up to the last saved state only (later steps do not change the loss), so this is also the
    /// number of steps a gradient reverses.
    pub steps: usize,
    /// Steps rejected by the error control (adaptive steps only).
    pub rejected_steps: usize,
    /// Gradients only: the steps the reverse sweep advanced forward to rebuild the states it
    /// needs, its first sweep included: `Memory::forward_steps(steps)` on a step grid (`N - 1`
    /// when storing every state, Revolve's minimum with binomial checkpointing). With adaptive
    /// steps, the pass that chooses the steps is counted in `steps` and `rejected_steps`
    /// instead (with [`Memory::StoreAll`](crate::ode::Memory) it also stores the states, and
    /// this count is zero).
    pub forward_steps: usize,
    /// Calls of [`Rhs::eval`], by every pass (a gradient recomputes the stage inputs of each
    /// step in its adjoint).
    pub rhs_evals: usize,
    /// Calls of [`Rhs::jvp`].
    pub rhs_jvps: usize,
    /// Calls of [`Rhs::vjp`].
    pub rhs_vjps: usize,
    /// Gradients only: the most states the reverse sweep held at once.
    pub stored_states: usize,
}

impl Stats {
    pub(crate) fn add_counters(&mut self, counters: Counters) {
        self.rhs_evals += counters.evals;
        self.rhs_jvps += counters.jvps;
        self.rhs_vjps += counters.vjps;
    }
}

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
///     # fn jvp<S: Real>(&self, du: &mut [S], dd: &mut [S], u: &[S], ud: &[S], p: &[S], _pd: &[S], t: S) {
///     #     self.eval(du, u, p, t);
///     #     dd[0] = ud[1];
///     #     dd[1] = -ud[0];
///     # }
///     # fn vjp<S: Real>(&self, du: &mut [S], db: &mut [S], u: &[S], ub: &mut [S], p: &[S], _pb: &mut [S], t: S) {
///     #     self.eval(du, u, p, t);
///     #     ub[1] += db[0];
///     #     ub[0] -= db[1];
///     #     db.fill(S::zero());
///     # }
///     // jvp and vjp as usual
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

/// What a forward pass reports as it goes.
pub(crate) trait Observer<S> {
    /// Step `k` (from 0) is taken (with adaptive steps: was accepted) from the state `u`.
    fn step(&mut self, _k: usize, _u: &[S]) {}
    /// The state `u` at grid point `k` is saved state `j`, reported at time `t`; an error stops
    /// the pass.
    fn save(&mut self, j: usize, k: usize, t: f64, u: &[S]) -> Result<(), OdeError>;
}

/// Fails on the first component of `v` that is not finite.
pub(crate) fn check_finite<S: Real>(what: &'static str, v: &[S]) -> Result<(), OdeError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(OdeError::NonFiniteInput { what, index }),
        None => Ok(()),
    }
}

/// Checks the problem's data: the lengths the right-hand side reads (see [`Rhs::dims`]), then
/// finite values.
pub(crate) fn check_problem<F: Rhs, S: Real>(
    problem: &OdeProblem<'_, F, S>,
) -> Result<(), OdeError> {
    let dims = problem.rhs.dims();
    dims.state.check("u0", problem.u0.len())?;
    dims.parameters.check("p", problem.p.len())?;
    check_finite("u0", problem.u0)?;
    check_finite("p", problem.p)
}

/// Fails if the state after step `step` (reaching `t`) is not finite.
#[inline]
pub(crate) fn check_state<S: Real>(u: &[S], step: usize, t: f64) -> Result<(), OdeError> {
    if u.iter().all(|x| x.is_finite()) {
        Ok(())
    } else {
        Err(OdeError::NonFiniteState { step, t })
    }
}

/// Integrates `steps` steps of `grid` from `u` (in place), reporting steps and saves (saves
/// inside a step interpolated by `dense.rs` after the step, from its two end states).
#[allow(clippy::too_many_arguments)] // the problem's pieces, the plan's, and the observer
pub(crate) fn integrate_grid<S: Real, F: Rhs + ?Sized, O: Observer<S>>(
    rhs: &F,
    p: &[S],
    stepper: &mut Stepper<'_, S>,
    grid: &Grid,
    saves: &[Save],
    steps: usize,
    u: &mut [S],
    observer: &mut O,
) -> Result<(), OdeError> {
    // Buffers of dense output, only when some save needs it.
    let mut dense = saves.iter().any(|s| s.dense).then(|| {
        let n = u.len();
        (Hermite::new(n), vec![S::zero(); n], vec![S::zero(); n])
    });
    let mut next = 0;
    for k in 0..steps {
        while next < saves.len() && saves[next].at(k) {
            observer.save(next, k, saves[next].t, u)?;
            next += 1;
        }
        observer.step(k, u);
        let (t, h) = grid.step(k);
        let inside = next < saves.len() && saves[next].inside(k);
        if let (true, Some((_, u_start, _))) = (inside, dense.as_mut()) {
            u_start.copy_from_slice(u);
        }
        stepper.step(rhs, u, p, t, h);
        check_state(u, k + 1, grid.time(k + 1))?;
        if let (true, Some((hermite, u_start, v))) = (inside, dense.as_mut()) {
            while next < saves.len() && saves[next].inside(k) {
                hermite.value(rhs, p, Span { t, h }, u_start, u, saves[next].t, v);
                observer.save(next, k, saves[next].t, v)?;
                next += 1;
            }
        }
    }
    while next < saves.len() && saves[next].at(steps) {
        observer.save(next, steps, saves[next].t, u)?;
        next += 1;
    }
    if let Some((hermite, _, _)) = dense {
        stepper.counters += hermite.counters;
    }
    Ok(())
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
///     # fn jvp<S: Real>(&self, du: &mut [S], dd: &mut [S], _u: &[S], _ud: &[S], _p: &[S], _pd: &[S], t: S) {
///     #     du[0] = t.cos();
///     #     dd[0] = S::zero();
///     # }
///     # fn vjp<S: Real>(&self, du: &mut [S], db: &mut [S], _u: &[S], _ub: &mut [S], _p: &[S], _pb: &mut [S], t: S) {
///     #     du[0] = t.cos();
///     #     db[0] = S::zero();
///     # }
///     // jvp and vjp as usual
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
/// Before any step: [`OdeError::WrongLength`] or [`OdeError::TooShort`] if `u0` or `p` does not
/// have the length the right-hand side reads ([`Rhs::dims`]), [`OdeError::NonFiniteInput`],
/// and the errors of the span, the step, the saved times and the tableau; during the
/// integration, [`OdeError::NonFiniteState`] and, with adaptive steps, the controller's errors.
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
                problem.rhs,
                problem.p,
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
            let mut step_times = Vec::new();
            integrate_adaptive(
                problem,
                &options.tableau,
                controller,
                (t0, t1),
                saves,
                &mut u,
                &mut collect,
                &mut step_times,
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
/// #     fn jvp<S: Real>(&self, du: &mut [S], dd: &mut [S], u: &[S], ud: &[S], p: &[S], pd: &[S], _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         dd[0] = -pd[0] * u[0] - p[0] * ud[0];
/// #     }
/// #     fn vjp<S: Real>(&self, du: &mut [S], db: &mut [S], u: &[S], ub: &mut [S], p: &[S], pb: &mut [S], _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         ub[0] -= p[0] * db[0];
/// #         pb[0] -= u[0] * db[0];
/// #         db[0] = S::zero();
/// #     }
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
                problem.rhs,
                problem.p,
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
            let t_end = last_save_time(saves, t0, t1);
            integrate_adaptive(
                problem,
                &options.tableau,
                controller,
                (t0, t_end),
                saves,
                &mut u,
                &mut sum,
                &mut Vec::new(),
                &mut Stats::default(),
            )?;
            // Saving every accepted step: their number is known now.
            check_saves(loss, Some(sum.saved))?;
        }
    }
    Ok(sum.value)
}
