//! Forward sensitivities: the tangent of the discrete scheme along a direction
//! `(u0_dot, p_dot)` of the initial state and the parameters, propagated with the state through
//! [`RhsJvp::jvp`]. [`solve_tangent`] returns the saved states with their tangents; [`tangent`]
//! the directional derivative of a loss, which the dot-product test compares with the adjoint
//! (`<gradient, direction> = directional derivative` to rounding).

use super::dense::{dp5_weights, Hermite};
use super::driver::{check_problem, check_save, check_state, Stats};
use super::error::OdeError;
use super::grid::plan;
use super::loss::{check_loss, check_saves, loss_failed, SavedStateLoss};
use super::problem::{OdeProblem, SolveOptions};
use super::rhs::{Length, RhsJvp};
use super::schedule::resolve;
use super::stepper::{Dim, Fixed, StepContext, Stepper};
use crate::{InputError, Real};

/// The saved states and their tangents, returned by [`solve_tangent`] (whose example reads
/// it).
#[derive(Debug, Clone, PartialEq)]
pub struct TangentSolution<S> {
    /// The saved times.
    pub t: Vec<f64>,
    /// The saved states.
    pub u: Vec<Vec<S>>,
    /// Their tangents: the derivative of each saved state along `(u0_dot, p_dot)`.
    pub u_dot: Vec<Vec<S>>,
    /// Counted work.
    pub stats: Stats,
}

/// A loss and its directional derivative, returned by [`tangent`] (whose example reads it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossTangent<S> {
    /// `J`, from the primal values the tangent pass computes with [`RhsJvp::jvp`] (bitwise
    /// [`loss_value`](crate::ode::loss_value) when `jvp` computes `du` as `eval` does).
    pub value: S,
    /// `dJ/du0 . u0_dot + dJ/dp . p_dot`.
    pub derivative: S,
    /// Counted work.
    pub stats: Stats,
}

/// What the tangent pass reports.
trait TangentObserver<S> {
    /// Called once before the first step, with the number of saved states and the state length.
    fn prepare(&mut self, saves: usize, n: usize);
    /// Saved state `j`, at time `t`: the state and its tangent; an error stops the pass.
    fn save(&mut self, j: usize, t: f64, u: &[S], u_dot: &[S]) -> Result<(), OdeError>;
}

/// The tangent pass, up to the last saved state.
fn run<S: Real, F: RhsJvp, O: TangentObserver<S>, D: Dim>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    (u0_dot, p_dot): (&[S], &[S]),
    observer: &mut O,
    dim: D,
) -> Result<Stats, OdeError> {
    check_problem(problem)?;
    InputError::check_vector("u0_dot", u0_dot, problem.u0.len())?;
    InputError::check_vector("p_dot", p_dot, problem.p.len())?;
    let plan = plan(problem.tspan, options)?;
    let mut stats = Stats::default();
    let resolved = resolve(problem, &options.tableau, plan, false, &mut stats)?;
    let (grid, saves, steps) = (&resolved.grid, &resolved.saves, resolved.steps);
    let n = problem.u0.len();
    observer.prepare(saves.len(), n);
    let mut stepper = Stepper::with_tangent(&options.tableau, dim);
    let mut u = problem.u0.to_vec();
    let mut u_dot = u0_dot.to_vec();
    // Dense output: the state and tangent at the step's start, the interpolant and its tangent.
    let mut hermite = Hermite::new(n);
    let any_dense = saves.iter().any(|s| s.dense);
    let buffer = || vec![S::zero(); if any_dense { n } else { 0 }];
    let (mut u_start, mut u_start_dot, mut v, mut v_dot) = (buffer(), buffer(), buffer(), buffer());
    let continuous = resolved.continuous;
    let tableau = &options.tableau;
    let b: Vec<f64> = (0..tableau.stages()).map(|i| tableau.b(i)).collect();
    let mut next = 0;
    for k in 0..=steps {
        while next < saves.len() && saves[next].at(k) {
            observer.save(next, saves[next].t, &u, &u_dot)?;
            next += 1;
        }
        if k == steps {
            break;
        }
        let (t, h) = grid.step(k);
        let inside = next < saves.len() && saves[next].inside(k);
        if inside {
            u_start.copy_from_slice(&u);
            u_start_dot.copy_from_slice(&u_dot);
        }
        let cx = StepContext::new(problem.rhs, problem.p, t, h);
        // The continuous extension reads every stage.
        stepper.all_stages = inside && continuous;
        stepper.step_tangent(cx, (&mut u, &mut u_dot), p_dot);
        stepper.all_stages = false;
        check_state(&u, k + 1, grid.time(k + 1))?;
        while next < saves.len() && saves[next].inside(k) {
            let at = saves[next].t;
            if continuous {
                let w = dp5_weights(&b, (at - t) / h);
                stepper.dense_value(&u_start, h, &w, &mut v);
                stepper.dense_tangent(&u_start_dot, h, &w, &mut v_dot);
            } else {
                hermite.tangent(
                    cx,
                    p_dot,
                    (&u_start, &u_start_dot),
                    (&u, &u_dot),
                    at,
                    (&mut v, &mut v_dot),
                );
            }
            check_save(&v, next, at)?;
            observer.save(next, at, &v, &v_dot)?;
            next += 1;
        }
    }
    stats.steps = steps;
    stats.add_counters(stepper.counters);
    stats.add_counters(hermite.counters);
    Ok(stats)
}

/// The saved states and their derivatives along `(u0_dot, p_dot)` (forward sensitivities),
/// integrating up to the last saved state. With adaptive steps, a primal pass chooses the steps
/// first and the tangents follow them.
///
/// ```
/// use tapeless_runtime::ode::{solve_tangent, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SolveOptions, Tableau};
/// use tapeless_runtime::Real;
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
///
/// // du/dt = -p u: the sensitivity of u(1) to p is -u0 exp(-p), to fourth order.
/// let options = SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(vec![1.0]));
/// let s = solve_tangent(&OdeProblem::new(&Decay, &[3.0], &[0.7], (0.0, 1.0)), &options, &[0.0], &[1.0])?;
/// assert!((s.u_dot[0][0] - -3.0 * (-0.7_f64).exp()).abs() < 1e-9);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// The input errors of [`solve`](crate::ode::solve); [`OdeError::Input`] if `u0_dot` or
/// `p_dot` is not as long as `u0` or `p` ([`InputError::WrongLength`]) or not finite
/// ([`InputError::NonFinite`]).
pub fn solve_tangent<S: Real, F: RhsJvp>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    u0_dot: &[S],
    p_dot: &[S],
) -> Result<TangentSolution<S>, OdeError> {
    let mut collect = TangentSolution {
        t: Vec::new(),
        u: Vec::new(),
        u_dot: Vec::new(),
        stats: Stats::default(),
    };
    let n = problem.u0.len();
    collect.stats = run(problem, options, (u0_dot, p_dot), &mut collect, n)?;
    Ok(collect)
}

impl<S: Real> TangentObserver<S> for TangentSolution<S> {
    fn prepare(&mut self, saves: usize, n: usize) {
        self.t = vec![0.0; saves];
        self.u = vec![vec![S::zero(); n]; saves];
        self.u_dot = vec![vec![S::zero(); n]; saves];
    }
    fn save(&mut self, j: usize, t: f64, u: &[S], u_dot: &[S]) -> Result<(), OdeError> {
        self.t[j] = t;
        self.u[j].copy_from_slice(u);
        self.u_dot[j].copy_from_slice(u_dot);
        Ok(())
    }
}

/// Sums a loss and its directional derivative over the saved states, in order.
struct SumTangent<'l, L, S> {
    loss: &'l L,
    value: S,
    derivative: S,
    gradient: Vec<S>,
    /// The saved states summed.
    saved: usize,
}

impl<L: SavedStateLoss, S: Real> TangentObserver<S> for SumTangent<'_, L, S> {
    fn prepare(&mut self, _saves: usize, n: usize) {
        self.gradient = vec![S::zero(); n];
    }
    fn save(&mut self, j: usize, t: f64, u: &[S], u_dot: &[S]) -> Result<(), OdeError> {
        for g in self.gradient.iter_mut() {
            *g = S::zero();
        }
        self.value += self
            .loss
            .value_and_gradient(j, t, u, &mut self.gradient)
            .map_err(loss_failed(j))?;
        let term = self
            .gradient
            .iter()
            .zip(u_dot)
            .fold(S::zero(), |sum, (&g, &d)| sum + g * d);
        self.derivative += term;
        self.saved += 1;
        Ok(())
    }
}

/// The loss `J = sum_k phi_k(u(t_k))` and its directional derivative along `(u0_dot, p_dot)`,
/// `sum_k <grad phi_k(u(t_k)), u_dot(t_k)>`, by forward sensitivities: one pass, whatever the
/// number of saved states, no storage.
///
/// ```
/// use tapeless_runtime::ode::{tangent, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// use tapeless_runtime::{Real, UserError};
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
/// struct Last;
/// impl SavedStateLoss for Last {
///     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
///         u_bar[0] += S::one();
///         Ok(u[0])
///     }
/// }
///
/// // Euler, 4 steps of 0.25 on du/dt = -p u: J = u0 (1 - p/4)^4, dJ/du0 = (1 - p/4)^4.
/// let options = SolveOptions::fixed(Tableau::euler(), 0.25).saveat(SaveAt::Times(vec![1.0]));
/// let d = tangent(&OdeProblem::new(&Decay, &[2.0], &[0.5], (0.0, 1.0)), &options, &Last, &[1.0], &[0.0])?;
/// assert!((d.derivative - 0.875_f64.powi(4)).abs() < 1e-15);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// As [`solve_tangent`].
pub fn tangent<S: Real, F: RhsJvp, L: SavedStateLoss>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
    u0_dot: &[S],
    p_dot: &[S],
) -> Result<LossTangent<S>, OdeError> {
    tangent_in(problem, options, loss, (u0_dot, p_dot), problem.u0.len())
}

/// [`tangent`] for states of a length `N` known at compile time: bitwise the same result, with
/// the stage loops over `N` components (see [`gradient_fixed`](crate::ode::gradient_fixed)).
///
/// ```
/// use tapeless_runtime::ode::{tangent, tangent_fixed, OdeProblem, Rhs, RhsJvp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
/// use tapeless_runtime::{Real, UserError};
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
/// # struct Last;
/// # impl SavedStateLoss for Last {
/// #     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
/// #         u_bar[0] += S::one();
/// #         Ok(u[0])
/// #     }
/// # }
/// let options = SolveOptions::fixed(Tableau::rk4(), 0.25).saveat(SaveAt::Times(vec![1.0]));
/// let problem = OdeProblem::new(&Decay, &[2.0], &[0.5], (0.0, 1.0));
/// let fixed = tangent_fixed::<1, _, _, _>(&problem, &options, &Last, &[1.0], &[0.0])?;
/// assert_eq!(fixed, tangent(&problem, &options, &Last, &[1.0], &[0.0])?);
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
///
/// # Errors
///
/// Those of [`tangent`], and [`InputError::WrongLength`] (as [`OdeError::Input`]) when the state
/// does not have `N` components.
pub fn tangent_fixed<const N: usize, S: Real, F: RhsJvp, L: SavedStateLoss>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
    u0_dot: &[S],
    p_dot: &[S],
) -> Result<LossTangent<S>, OdeError> {
    Length::Exactly(N).check("u0", problem.u0.len())?;
    tangent_in(problem, options, loss, (u0_dot, p_dot), Fixed::<N>)
}

/// [`tangent`] with the state's length `dim`.
fn tangent_in<S: Real, F: RhsJvp, L: SavedStateLoss, D: Dim>(
    problem: &OdeProblem<'_, F, S>,
    options: &SolveOptions,
    loss: &L,
    (u0_dot, p_dot): (&[S], &[S]),
    dim: D,
) -> Result<LossTangent<S>, OdeError> {
    check_problem(problem)?;
    check_loss(loss, problem.u0)?;
    check_saves(loss, plan(problem.tspan, options)?.saves())?;
    let mut sum = SumTangent {
        loss,
        value: S::zero(),
        derivative: S::zero(),
        gradient: Vec::new(),
        saved: 0,
    };
    let stats = run(problem, options, (u0_dot, p_dot), &mut sum, dim)?;
    // Saving every accepted step: their number is known now.
    check_saves(loss, Some(sum.saved))?;
    Ok(LossTangent {
        value: sum.value,
        derivative: sum.derivative,
        stats,
    })
}
