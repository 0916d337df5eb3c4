//! The discrete adjoint: the exact gradient of a loss of the saved states with respect to the
//! initial state and the parameters, for the discrete scheme (to rounding), not an
//! approximation by the continuous adjoint equation.
//!
//! The reverse sweep starts at the last saved state with `u_bar = 0`, and at each grid point
//! `k`, from the last to the first, adds the gradients of the loss terms saved there, then
//! reverses the step that led there: the stepper recomputes the step's stage inputs from its
//! initial state and goes back through the stages with [`RhsVjp::vjp`], accumulating `p_bar`.
//! Where the initial states come from is the memory strategy's business
//! ([`Memory`](crate::ode::Memory), `checkpoint.rs`).
//!
//! Everything is generic over the scalar type: evaluated at [`Dual`](crate::Dual) numbers
//! seeded with a direction `v` of the initial state, the gradient's tangents are the
//! Hessian-vector product `H v` of the loss (forward over reverse).

use std::ops::Range;

use super::checkpoint::{
    reverse_binomial, reverse_states_stepwise, reverse_store_all, reverse_stored,
    store_states_stepwise, Memory, Reversal,
};
use super::dense::{dp5_weights, Hermite};
use super::driver::{check_problem, check_save, check_state, Stats};
use super::error::OdeError;
use super::grid::{plan, Grid, Save};
use super::loss::{check_loss, check_saves, loss_failed, SavedStateLoss};
use super::problem::{OdeProblem, SolveOptions, Wrt};
use super::rhs::{Length, RhsVjp};
use super::schedule::resolve;
use super::stepper::{Dim, Fixed, StepContext, Stepper};
use crate::Real;

/// The loss and its gradient, returned by [`gradient`] (whose examples read it).
#[derive(Debug, Clone, PartialEq)]
pub struct LossGradient<S> {
    /// `J`, summed over the saved states in order (bitwise [`loss_value`](crate::ode::loss_value)).
    pub value: S,
    /// `dJ/du0`.
    pub u0_bar: Vec<S>,
    /// `dJ/dp`, or empty with [`Wrt::InitialState`].
    pub p_bar: Vec<S>,
    /// Counted work (see [`Stats`]).
    pub stats: Stats,
}

/// The reverse sweep of a loss, as the memory strategies drive it.
struct AdjointSweep<'a, S, F: ?Sized, L, D> {
    rhs: &'a F,
    p: &'a [S],
    loss: &'a L,
    grid: &'a Grid,
    saves: &'a [Save],
    steps: usize,
    stepper: Stepper<'a, S, D>,
    u_bar: Vec<S>,
    p_bar: Vec<S>,
    /// The state after the last step, computed when that step is reversed.
    u_end: Vec<S>,
    /// The loss term of each saved state, filled in reverse and summed in order at the end.
    values: Vec<S>,
    /// The saves not yet differentiated are `saves[..cursor]`.
    cursor: usize,
    /// Dense output: the interpolant, the state at the end of a step holding interpolated
    /// saves (before the last step), the adjoint the interpolant adds to the state at the
    /// step's start, an interpolated state and its adjoint.
    hermite: Hermite<S>,
    u_next: Vec<S>,
    u_start_bar: Vec<S>,
    v: Vec<S>,
    v_bar: Vec<S>,
    /// Adaptive dense output: saves inside a step are the continuous extension of the
    /// tableau with step weights `b`, from the step's stages.
    continuous: bool,
    b: Vec<f64>,
}

/// Adds the gradients of the loss terms saved at grid point `k` (state `u`) into `u_bar`.
fn add_saves<S: Real, L: SavedStateLoss>(
    loss: &L,
    saves: &[Save],
    cursor: &mut usize,
    values: &mut [S],
    k: usize,
    u: &[S],
    u_bar: &mut [S],
) -> Result<(), OdeError> {
    while *cursor > 0 && saves[*cursor - 1].at(k) {
        let j = *cursor - 1;
        values[j] = loss
            .value_and_gradient(j, saves[j].t, u, u_bar)
            .map_err(loss_failed(j))?;
        *cursor = j;
    }
    Ok(())
}

impl<S: Real, F: RhsVjp + ?Sized, L: SavedStateLoss, D: Dim> Reversal<S>
    for AdjointSweep<'_, S, F, L, D>
{
    fn advance(&mut self, u: &mut [S], from: usize, to: usize) -> Result<(), OdeError> {
        // Cut to the state's length (a constant for a fixed length: the check is unrolled).
        let u = &mut u[..self.stepper.dim().get()];
        for k in from..to {
            let (t, h) = self.grid.step(k);
            self.stepper
                .step(StepContext::new(self.rhs, self.p, t, h), u);
            check_state(u, k + 1, self.grid.time(k + 1))?;
        }
        Ok(())
    }

    fn store_states(
        &mut self,
        states: &mut Vec<S>,
        n: usize,
        steps: Range<usize>,
    ) -> Result<(), OdeError> {
        if !self.stepper.sweeps_fused() {
            return store_states_stepwise(self, states, n, steps);
        }
        let grid = self.grid;
        // The stepper tells whether each state is finite (its check fused into the step).
        let check = |k: usize, finite: bool| match finite {
            true => Ok(()),
            false => Err(OdeError::NonFiniteState {
                step: k,
                t: grid.time(k),
            }),
        };
        let step = |k: usize| grid.step(k);
        self.stepper
            .store_steps((self.rhs, self.p), (step, check), states, steps)
    }

    fn reverse_states(
        &mut self,
        states: &[S],
        n: usize,
        steps: Range<usize>,
    ) -> Result<(), OdeError> {
        // Saves inside a step read its stages: step by step.
        if !self.stepper.sweeps_fused() || self.saves.iter().any(|s| s.dense) {
            return reverse_states_stepwise(self, states, n, steps);
        }
        let mut end = steps.end;
        if end == self.steps && end > steps.start {
            // The last step computes its result, which the loss reads.
            self.reverse_step(end - 1, &states[(end - 1) * n..end * n])?;
            end -= 1;
        }
        let (grid, loss, saves) = (self.grid, self.loss, self.saves);
        let (cursor, values) = (&mut self.cursor, &mut self.values);
        // Most grid points save nothing: tested here, without a call.
        let between =
            |k: usize, u: &[S], u_bar: &mut [S]| match *cursor > 0 && saves[*cursor - 1].at(k) {
                true => add_saves(loss, saves, cursor, values, k, u, u_bar),
                false => Ok(()),
            };
        let step = |k: usize| grid.step(k);
        self.stepper.adjoint_steps(
            (self.rhs, self.p),
            (step, between),
            (states, steps.start..end),
            &mut self.u_bar,
            &mut self.p_bar,
        )
    }

    fn reverse_step(&mut self, k: usize, u: &[S]) -> Result<(), OdeError> {
        let (t, h) = self.grid.step(k);
        let cx = StepContext::new(self.rhs, self.p, t, h);
        let last = k + 1 == self.steps;
        let inside = self.cursor > 0 && self.saves[self.cursor - 1].inside(k);
        // The continuous extension reads every stage.
        self.stepper.all_stages = inside && self.continuous;
        if last {
            // The last step: compute its result too, and seed the sweep with the loss there.
            self.stepper.recompute(cx, u, Some(&mut self.u_end));
            check_state(&self.u_end, self.steps, self.grid.time(self.steps))?;
            add_saves(
                self.loss,
                self.saves,
                &mut self.cursor,
                &mut self.values,
                self.steps,
                &self.u_end,
                &mut self.u_bar,
            )?;
        } else if inside {
            // Interpolated saves read the step's result as well.
            self.stepper.recompute(cx, u, Some(&mut self.u_next));
        } else {
            // Nothing reads the step's result: recomputation and adjoint in one call.
            self.stepper
                .adjoint_step(cx, u, &mut self.u_bar, &mut self.p_bar);
        }
        if inside {
            self.reverse_dense(k, u, last)?;
        }
        if last || inside {
            self.stepper
                .reverse(cx, u, &mut self.u_bar, &mut self.p_bar);
        }
        self.stepper.all_stages = false;
        if inside {
            for (ub, &sb) in self.u_bar.iter_mut().zip(&self.u_start_bar) {
                *ub += sb;
            }
        }
        add_saves(
            self.loss,
            self.saves,
            &mut self.cursor,
            &mut self.values,
            k,
            u,
            &mut self.u_bar,
        )?;
        Ok(())
    }
}

impl<S: Real, F: RhsVjp + ?Sized, L: SavedStateLoss, D: Dim> AdjointSweep<'_, S, F, L, D> {
    /// The saves interpolated inside step `k` (from `u` to the step's result, in `u_end` for the
    /// last step and `u_next` otherwise), in reverse: their loss terms, and their adjoints added
    /// into `u_bar` (the result's adjoint), `u_start_bar` (the start's) and `p_bar`.
    fn reverse_dense(&mut self, k: usize, u: &[S], last: bool) -> Result<(), OdeError> {
        let (t, h) = self.grid.step(k);
        let cx = StepContext::new(self.rhs, self.p, t, h);
        let u_end = if last { &self.u_end } else { &self.u_next };
        self.u_start_bar.fill(S::zero());
        while self.cursor > 0 && self.saves[self.cursor - 1].inside(k) {
            let j = self.cursor - 1;
            let at = self.saves[j].t;
            let w = self.continuous.then(|| dp5_weights(&self.b, (at - t) / h));
            match &w {
                Some(w) => self.stepper.dense_value(u, h, w, &mut self.v),
                None => self.hermite.value(cx, (u, u_end), at, &mut self.v),
            }
            check_save(&self.v, j, at)?;
            self.v_bar.fill(S::zero());
            self.values[j] = self
                .loss
                .value_and_gradient(j, at, &self.v, &mut self.v_bar)
                .map_err(loss_failed(j))?;
            match &w {
                Some(w) => {
                    // v = u + h sum_i w_i k_i: v_bar to u, and to the stages through the step's
                    // reverse.
                    self.stepper.seed_dense(h, w, &self.v_bar);
                    for (sb, &vb) in self.u_start_bar.iter_mut().zip(&self.v_bar) {
                        *sb += vb;
                    }
                }
                None => self.hermite.adjoint(
                    cx,
                    (u, &mut self.u_start_bar),
                    (u_end, &mut self.u_bar),
                    (at, &self.v_bar),
                    &mut self.p_bar,
                ),
            }
            self.cursor = j;
        }
        Ok(())
    }
}

/// The loss `J = sum_k phi_k(u(t_k))` over the saved states, with its exact discrete gradient
/// with respect to the initial state and the parameters.
///
/// Integrates up to the last saved state. The reverse sweep gets the state at the start of each
/// step as [`SolveOptions::memory`] says; every strategy gives bitwise the same result. With
/// adaptive steps, a forward pass first chooses the steps, and the sweep reverses exactly those
/// (see [`Controller`](crate::ode::Controller) for what that differentiates). With
/// [`SolveOptions::wrt`] at [`Wrt::InitialState`], `dJ/dp` is not computed (bitwise the same
/// `dJ/du0`, with less work when the right-hand side's [`RhsVjp::vjp_state`] skips it).
///
/// ```
/// use tapeless_runtime::ode::{gradient, Memory, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// use tapeless_runtime::{Real, UserError};
///
/// /// du/dt = -p0 u.
/// struct Decay;
/// impl Rhs for Decay {
///     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
///         du[0] = -p[0] * u[0];
///     }
/// }
/// impl RhsJvp for Decay {
///     fn jvp<S: Real>(&self, (du, du_dot): (&mut [S], &mut [S]), (u, u_dot): (&[S], &[S]), (p, p_dot): (&[S], &[S]), _t: S) {
///         du[0] = -p[0] * u[0];
///         du_dot[0] = -p_dot[0] * u[0] - p[0] * u_dot[0];
///     }
/// }
/// impl RhsVjp for Decay {
///     fn vjp<S: Real>(&self, (du, du_bar): (&mut [S], &mut [S]), (u, u_bar): (&[S], &mut [S]), (p, p_bar): (&[S], &mut [S]), _t: S) {
///         du[0] = -p[0] * u[0];
///         u_bar[0] -= p[0] * du_bar[0];
///         p_bar[0] -= u[0] * du_bar[0];
///         du_bar[0] = S::zero();
///     }
/// }
///
/// /// The final state.
/// struct Last;
/// impl SavedStateLoss for Last {
///     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         u_bar[0] += S::one();
///         Ok(u[0])
///     }
/// }
///
/// // Explicit Euler, 4 steps of 0.25: J = u0 (1 - p/4)^4.
/// let options = SolveOptions::fixed(Tableau::euler(), 0.25)
///     .saveat(SaveAt::Times(vec![1.0]))
///     .memory(Memory::Binomial { snapshots: 2 });
/// let (u0, p) = (2.0, 0.5);
/// let g = gradient(&OdeProblem::new(&Decay, &[u0], &[p], (0.0, 1.0)), &options, &Last)?;
/// let r: f64 = 1.0 - p / 4.0;
/// assert!((g.value - u0 * r.powi(4)).abs() < 1e-14);
/// assert!((g.u0_bar[0] - r.powi(4)).abs() < 1e-14);
/// assert!((g.p_bar[0] - -u0 * r.powi(3)).abs() < 1e-14);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// At dual numbers, the same call gives a Hessian-vector product (forward over reverse):
///
/// ```
/// # use tapeless_runtime::ode::{gradient, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// # use tapeless_runtime::{Real, UserError};
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; }
/// # }
/// # impl RhsJvp for Decay {
/// #     fn jvp<S: Real>(&self, (du, dd): (&mut [S], &mut [S]), (u, ud): (&[S], &[S]), (p, pd): (&[S], &[S]), _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         dd[0] = -pd[0] * u[0] - p[0] * ud[0];
/// #     }
/// # }
/// # impl RhsVjp for Decay {
/// #     fn vjp<S: Real>(&self, (du, db): (&mut [S], &mut [S]), (u, ub): (&[S], &mut [S]), (p, pb): (&[S], &mut [S]), _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         ub[0] -= p[0] * db[0];
/// #         pb[0] -= u[0] * db[0];
/// #         db[0] = S::zero();
/// #     }
/// # }
/// use tapeless_runtime::Dual;
///
/// /// 0.5 u(1)^2.
/// struct Energy;
/// impl SavedStateLoss for Energy {
///     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         u_bar[0] += u[0];
///         Ok(S::from_f64(0.5) * u[0] * u[0])
///     }
/// }
///
/// let options = SolveOptions::fixed(Tableau::euler(), 0.25).saveat(SaveAt::Times(vec![1.0]));
/// // J = 0.5 u0^2 r^8 with r = 1 - p/4; the Hessian's first column along v = (1, 0) (u0, p):
/// let (u0, p) = (2.0, 0.5);
/// let u0_d = [Dual::new(u0, [1.0])];
/// let p_d = [Dual::constant(p)];
/// let g = gradient(&OdeProblem::new(&Decay, &u0_d, &p_d, (0.0, 1.0)), &options, &Energy)?;
/// let r: f64 = 1.0 - p / 4.0;
/// assert!((g.u0_bar[0].tangent(0) - r.powi(8)).abs() < 1e-14); // d2J/du0^2
/// assert!((g.p_bar[0].tangent(0) - -2.0 * u0 * r.powi(7)).abs() < 1e-14); // d2J/dp du0
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// The input errors of [`solve`](crate::ode::solve), [`OdeError::NoSnapshots`], and
/// [`OdeError::NonFiniteState`] if the integration blows up before the last saved state.
pub fn gradient<S: Real, F: RhsVjp, L: SavedStateLoss>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
) -> Result<LossGradient<S>, OdeError> {
    gradient_in(problem, options, loss, problem.u0.len())
}

/// [`gradient`] for states of a length `N` known at compile time: bitwise the same result, with
/// every stage loop of the integrator over `N` components, so rustc drops their bounds checks,
/// unrolls and vectorises them, and sees the constant length inside the right-hand side where it
/// inlines it (a Lorenz-96's `% n` becomes a multiplication). Worth it for small states in hot
/// loops (problem L's 40 components); for large states the right-hand side's cost dominates.
///
/// ```
/// use tapeless_runtime::ode::{gradient, gradient_fixed, OdeProblem, Rhs, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// use tapeless_runtime::{Real, UserError};
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; du[1] = -u[1]; }
/// # }
/// # impl RhsVjp for Decay {
/// #     fn vjp<S: Real>(&self, (du, db): (&mut [S], &mut [S]), (u, ub): (&[S], &mut [S]), (p, pb): (&[S], &mut [S]), _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         du[1] = -u[1];
/// #         ub[0] -= p[0] * db[0];
/// #         pb[0] -= u[0] * db[0];
/// #         ub[1] -= db[1];
/// #         db[0] = S::zero();
/// #         db[1] = S::zero();
/// #     }
/// # }
/// /// The sum of the final state's components.
/// struct Sum;
/// impl SavedStateLoss for Sum {
///     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         u_bar.iter_mut().for_each(|b| *b += S::one());
///         Ok(u[0] + u[1])
///     }
/// }
///
/// // du0/dt = -p0 u0, du1/dt = -u1: a state of two components.
/// let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![1.0]));
/// let problem = OdeProblem::new(&Decay, &[1.0, 2.0], &[0.5], (0.0, 1.0));
/// let fixed = gradient_fixed::<2, _, _, _>(&problem, &options, &Sum)?;
/// assert_eq!(fixed, gradient(&problem, &options, &Sum)?);
/// // Another length is an error naming the state.
/// let three = OdeProblem::new(&Decay, &[1.0, 2.0, 3.0], &[0.5], (0.0, 1.0));
/// assert!(gradient_fixed::<2, _, _, _>(&three, &options, &Sum).is_err());
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// Those of [`gradient`], and [`InputError::WrongLength`](crate::InputError) (as
/// [`OdeError::Input`]) when the state does not have `N` components.
pub fn gradient_fixed<const N: usize, S: Real, F: RhsVjp, L: SavedStateLoss>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
) -> Result<LossGradient<S>, OdeError> {
    Length::Exactly(N).check("u0", problem.u0.len())?;
    gradient_in(problem, options, loss, Fixed::<N>)
}

/// [`gradient`] with the state's length `dim`, known when the program runs or when it is
/// compiled.
fn gradient_in<S: Real, F: RhsVjp, L: SavedStateLoss, D: Dim>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
    dim: D,
) -> Result<LossGradient<S>, OdeError> {
    check_problem(problem)?;
    check_loss(loss, problem.u0)?;
    if options.memory == (Memory::Binomial { snapshots: 0 }) {
        return Err(OdeError::NoSnapshots);
    }
    let plan = plan(problem.tspan, options)?;
    check_saves(loss, plan.saves())?;
    let mut stats = Stats::default();
    let store_all = options.memory == Memory::StoreAll;
    let resolved = resolve(problem, &options.tableau, plan, store_all, &mut stats)?;
    check_saves(loss, Some(resolved.saves.len()))?;
    let (n, steps) = (problem.u0.len(), resolved.steps);
    let mut stepper = Stepper::with_adjoint(&options.tableau, dim);
    stepper.parameters = options.wrt == Wrt::StateAndParameters;
    let mut sweep = AdjointSweep {
        rhs: problem.rhs,
        p: problem.p,
        loss,
        grid: &resolved.grid,
        saves: &resolved.saves,
        steps,
        stepper,
        u_bar: vec![S::zero(); n],
        p_bar: vec![S::zero(); problem.p.len()],
        u_end: vec![S::zero(); n],
        values: vec![S::zero(); resolved.saves.len()],
        cursor: resolved.saves.len(),
        hermite: Hermite::new(n),
        u_next: vec![S::zero(); n],
        u_start_bar: vec![S::zero(); n],
        v: vec![S::zero(); n],
        v_bar: vec![S::zero(); n],
        continuous: resolved.continuous,
        b: (0..options.tableau.stages())
            .map(|i| options.tableau.b(i))
            .collect(),
    };
    if steps == 0 {
        add_saves(
            loss,
            sweep.saves,
            &mut sweep.cursor,
            &mut sweep.values,
            0,
            problem.u0,
            &mut sweep.u_bar,
        )?;
    } else {
        let counts = match (&resolved.states, options.memory) {
            (Some(states), _) => {
                reverse_stored(&mut sweep, states, n, steps)?;
                None
            }
            (None, Memory::StoreAll) => Some(reverse_store_all(&mut sweep, problem.u0, steps)?),
            (None, Memory::Binomial { snapshots }) => {
                Some(reverse_binomial(&mut sweep, problem.u0, steps, snapshots)?)
            }
        };
        match counts {
            Some(counts) => {
                stats.forward_steps = counts.forward_steps;
                stats.stored_states = counts.stored_states;
            }
            None => stats.stored_states = steps,
        }
    }
    debug_assert_eq!(sweep.cursor, 0, "every saved state differentiated");
    stats.steps = steps;
    stats.add_counters(sweep.stepper.counters);
    stats.add_counters(sweep.hermite.counters);
    let value = sweep.values.iter().fold(S::zero(), |sum, &v| sum + v);
    // Without the parameters, `p_bar` was scratch.
    if !sweep.stepper.parameters {
        sweep.p_bar = Vec::new();
    }
    Ok(LossGradient {
        value,
        u0_bar: sweep.u_bar,
        p_bar: sweep.p_bar,
        stats,
    })
}
