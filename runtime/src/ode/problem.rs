//! What to integrate and how: the problem (right-hand side, initial state, parameters, time
//! span) and the options (method, step size, saved times, memory of the reverse sweep), in the
//! shape DifferentialEquations.jl and Diffrax users know: `ODEProblem(f, u0, tspan, p)` and
//! `solve(prob, RK4(); dt, saveat)`, or `diffeqsolve(term, solver, t0, t1, dt0, y0, args,
//! saveat=SaveAt(ts=...), stepsize_controller=..., adjoint=RecursiveCheckpointAdjoint(...))`.

use super::checkpoint::Memory;
use super::error::OdeError;
use super::tableau::Tableau;

/// An initial value problem `du/dt = f(u, p, t)`, `u(t0) = u0`, on the span `(t0, t1)`.
///
/// The problem borrows its data, so a problem at a perturbed initial state or at dual numbers
/// (for second derivatives) costs nothing to build. The scalar type `S` is that of the state and
/// parameters; times are always `f64`.
///
/// ```
/// use tapeless_runtime::ode::{OdeProblem, Rhs, RhsJvp, RhsVjp};
/// use tapeless_runtime::Real;
///
/// struct Decay; // du/dt = -p0 u
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
/// let problem = OdeProblem::new(&Decay, &[1.0], &[0.5], (0.0, 2.0));
/// assert_eq!(problem.tspan, (0.0, 2.0));
/// ```
#[derive(Debug)]
pub struct OdeProblem<'a, F, S> {
    /// The right-hand side `f(du, u, p, t)`.
    pub rhs: &'a F,
    /// The initial state `u(t0)`.
    pub u0: &'a [S],
    /// The parameters `p`.
    pub p: &'a [S],
    /// The time span `(t0, t1)`, with `t0 <= t1`.
    pub tspan: (f64, f64),
}

impl<'a, F, S> OdeProblem<'a, F, S> {
    /// The problem `du/dt = rhs(u, p, t)`, `u(tspan.0) = u0`, on `tspan`.
    ///
    /// See the [type's example](OdeProblem).
    pub fn new(rhs: &'a F, u0: &'a [S], p: &'a [S], tspan: (f64, f64)) -> Self {
        Self { rhs, u0, p, tspan }
    }
}

impl<F, S> Clone for OdeProblem<'_, F, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F, S> Copy for OdeProblem<'_, F, S> {}

/// How steps are chosen.
///
/// ```
/// use tapeless_runtime::ode::{Controller, StepSize};
/// let fixed = StepSize::Fixed(0.01);
/// let given = StepSize::StepTo(vec![0.0, 0.1, 0.3, 1.0]);
/// let adaptive = StepSize::Adaptive(Controller::new(1e-8, 1e-10));
/// # let _ = (fixed, given, adaptive);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StepSize {
    /// Steps of `h`; the span must be a whole number of steps. Step `k` starts at
    /// `t0 + k h` (a product, not an accumulated sum, so times do not drift), its stages at
    /// `t0 + k h + c_i h`, and the step adds `h` times the weighted stages.
    Fixed(f64),
    /// Steps between the given times, like Diffrax's `StepTo`: they start at `t0`, increase
    /// strictly and end at `t1`. Step `k` goes from `times[k]` to `times[k + 1]` with
    /// `h = times[k + 1] - times[k]`. Passing [`Solution::step_times`](crate::ode::Solution) of
    /// an adaptive solve replays its accepted steps bit for bit.
    StepTo(Vec<f64>),
    /// Steps chosen by error control, for tableaus with an error estimate (see
    /// [`Controller`]).
    Adaptive(Controller),
}

/// The step-size controller of adaptive steps: the classic integral controller of Hairer,
/// Norsett and Wanner on the weighted RMS norm of the embedded error estimate.
///
/// A step of size `h` is accepted when
/// `err = sqrt(mean_i((h (b - b_embedded) . k)_i / (atol + rtol max(|u_i|, |u_new_i|)))^2) <= 1`,
/// and the next step is `h * clamp(safety * err^(-1/(q+1)), min_factor, max_factor)`, where `q` is
/// the order of the embedded solution (no growth right after a rejection). Steps are shortened
/// to land on the end of the span and, unless [`dense`](Controller::dense), exactly on every
/// saved time. The decisions look only at
/// primal values (`Real::to_f64`), so the same steps are taken at `f64` and at dual numbers.
///
/// Derivatives through adaptive steps ([`gradient`](crate::ode::gradient),
/// [`tangent`](crate::ode::tangent)) treat the accepted steps as fixed: they are the exact
/// derivatives of the discrete scheme along those steps, which is what finite differences with
/// the same steps ([`StepSize::StepTo`]) measure; the dependence of the step sizes on the
/// initial state is not differentiated (as in most adaptive adjoints).
///
/// ```
/// use tapeless_runtime::ode::Controller;
/// let c = Controller { max_steps: 1000, ..Controller::new(1e-6, 1e-9) };
/// assert_eq!((c.safety, c.min_factor, c.max_factor, c.dt0), (0.9, 0.2, 10.0, None));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Controller {
    /// Relative tolerance, `>= 0`.
    pub rtol: f64,
    /// Absolute tolerance, `>= 0` (not both zero).
    pub atol: f64,
    /// The first step to try; `None` for the automatic guess of Hairer, Norsett and Wanner
    /// (two right-hand-side evaluations, the first reused by the first step).
    pub dt0: Option<f64>,
    /// The most steps, accepted and rejected, before giving up with
    /// [`OdeError::TooManySteps`]; at least one.
    pub max_steps: usize,
    /// Safety factor on the optimal step, in `(0, 1]`.
    pub safety: f64,
    /// The smallest factor a step may shrink by, in `(0, 1]`.
    pub min_factor: f64,
    /// The largest factor a step may grow by, `>= 1`.
    pub max_factor: f64,
    /// Dense output, as Diffrax's `SaveAt(dense=True)` and DifferentialEquations.jl's
    /// `saveat`: when `true`, steps do not stop at saved times (the controller alone chooses
    /// them), and a saved time inside a step is the method's continuous extension there
    /// (Dormand-Prince 5(4)'s fourth-order dense output from the step's seven stages; other
    /// tableaus give [`OdeError::NoContinuousExtension`]). Derivatives differentiate the
    /// interpolant exactly, the accepted steps held fixed. When `false` (the default), steps
    /// are shortened to land on every saved time.
    ///
    /// ```
    /// use tapeless_runtime::ode::{solve, Controller, OdeProblem, Rhs, SaveAt, SolveOptions, Tableau};
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
    /// let observed: Vec<f64> = (1..=50).map(|m| 0.123 * m as f64).collect();
    /// let problem = OdeProblem::new(&Oscillator, &[1.0, 0.0], &[], (0.0, 6.5));
    /// let dense = SolveOptions::adaptive(Tableau::dormand_prince(), Controller { dense: true, ..Controller::new(1e-9, 1e-12) })
    ///     .saveat(SaveAt::Times(observed.clone()));
    /// let landing = SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-9, 1e-12))
    ///     .saveat(SaveAt::Times(observed.clone()));
    /// let (sol, landed) = (solve(&problem, &dense)?, solve(&problem, &landing)?);
    /// // The observations no longer cut the steps short.
    /// assert!(sol.step_times.len() < landed.step_times.len());
    /// for (t, u) in observed.iter().zip(&sol.u) {
    ///     assert!((u[0] - t.cos()).abs() < 1e-7 && (u[1] + t.sin()).abs() < 1e-7);
    /// }
    /// # Ok::<(), tapeless_runtime::ode::OdeError>(())
    /// ```
    pub dense: bool,
}

impl Controller {
    /// A controller with tolerances `rtol` and `atol` and the usual settings: automatic first
    /// step, at most 100,000 steps, safety 0.9, factors between 0.2 and 10.
    ///
    /// See the [type's example](Controller).
    pub fn new(rtol: f64, atol: f64) -> Self {
        Self {
            rtol,
            atol,
            dt0: None,
            max_steps: 100_000,
            safety: 0.9,
            min_factor: 0.2,
            max_factor: 10.0,
            dense: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), OdeError> {
        let (rtol, atol) = (self.rtol, self.atol);
        let tolerance_ok = |x: f64| x.is_finite() && x >= 0.0;
        if !tolerance_ok(rtol) || !tolerance_ok(atol) || (rtol == 0.0 && atol == 0.0) {
            return Err(OdeError::InvalidTolerance { rtol, atol });
        }
        let bad = |what, value| Err(OdeError::InvalidController { what, value });
        if let Some(dt0) = self.dt0 {
            if !(dt0.is_finite() && dt0 > 0.0) {
                return bad("dt0", dt0);
            }
        }
        if self.max_steps == 0 {
            return bad("max_steps", 0.0);
        }
        if !(self.safety > 0.0 && self.safety <= 1.0) {
            return bad("safety", self.safety);
        }
        if !(self.min_factor > 0.0 && self.min_factor <= 1.0) {
            return bad("min_factor", self.min_factor);
        }
        if !(self.max_factor >= 1.0 && self.max_factor.is_finite()) {
            return bad("max_factor", self.max_factor);
        }
        Ok(())
    }
}

/// Which states a solve returns, and at which the loss of a gradient is evaluated.
///
/// ```
/// use tapeless_runtime::ode::SaveAt;
/// let every_tenth: Vec<f64> = (0..=20).map(|m| 0.1 * m as f64).collect();
/// let saveat = SaveAt::Times(every_tenth);
/// # let _ = saveat;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SaveAt {
    /// The initial state and the state after every step (with adaptive steps, every accepted
    /// step).
    Steps,
    /// The states at these times: in the span, non-decreasing (a repeated time is saved
    /// twice). The solution reports the times as given.
    ///
    /// With fixed steps or [`StepSize::StepTo`], a time within a millionth of a step of a step
    /// time (and rounding of the times themselves: `0.1 * 3.0` is the step time `0.3` of a grid
    /// of `0.1`) is that step's state, bitwise. Any other time is interpolated inside its step
    /// by the cubic Hermite interpolant of the step's end states `u_k`, `u_{k+1}` and slopes
    /// `f(u_k)`, `f(u_{k+1})` (dense output, third order: an error of `O(h^4)`, two evaluations
    /// of the right-hand side per interpolated time); with [`Tableau::dormand_prince`], by the
    /// method's own continuous extension from the step's seven stages instead (fourth order;
    /// on a step grid, one extra evaluation per step holding saved times). The interpolant is
    /// part of the discrete computation: [`gradient`](crate::ode::gradient) and
    /// [`tangent`](crate::ode::tangent) differentiate it exactly, with every memory strategy. An
    /// interpolated state that is not finite is [`OdeError::NonFiniteSave`]. Adaptive steps are
    /// shortened to land on each time exactly, unless [`Controller::dense`]: then the controller
    /// alone chooses the steps and the times inside them are interpolated (see its example).
    ///
    /// ```
    /// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SolveOptions, Tableau};
    /// # use tapeless_runtime::Real;
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
    /// // du/dt = -u, steps of 0.1, saved at an instrument time between steps 2 and 3.
    /// let problem = OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 1.0));
    /// let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![0.2, 0.237]));
    /// let sol = solve(&problem, &options)?;
    /// let every_step = solve(&problem, &SolveOptions::fixed(Tableau::rk4(), 0.1))?;
    /// assert_eq!(sol.u[0], every_step.u[2]); // on the grid: the step's state, bitwise
    /// assert!((sol.u[1][0] - (-0.237_f64).exp()).abs() < 1e-6); // between steps: interpolated
    /// # Ok::<(), tapeless_runtime::ode::OdeError>(())
    /// ```
    Times(Vec<f64>),
}

/// What to integrate with: a method, how to step, what to save, and (for gradients) how to keep
/// the states the reverse sweep needs. Build it with [`fixed`](SolveOptions::fixed),
/// [`step_to`](SolveOptions::step_to) or [`adaptive`](SolveOptions::adaptive), then adjust.
///
/// ```
/// use tapeless_runtime::ode::{Memory, SaveAt, SolveOptions, Tableau};
///
/// let options = SolveOptions::fixed(Tableau::rk4(), 0.01)
///     .saveat(SaveAt::Times(vec![0.0, 0.5, 1.0]))
///     .memory(Memory::Binomial { snapshots: 20 });
/// assert_eq!(options.memory, Memory::Binomial { snapshots: 20 });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// The Runge-Kutta method.
    pub tableau: Tableau,
    /// How steps are chosen.
    pub step: StepSize,
    /// Which states to save (and where the loss of a gradient looks).
    pub saveat: SaveAt,
    /// How the reverse sweep of a gradient gets the states it needs (ignored by the other
    /// functions).
    pub memory: Memory,
    /// What a gradient differentiates with respect to (ignored by the other functions).
    pub wrt: Wrt,
}

impl SolveOptions {
    /// Fixed steps of `h`, saving every step, storing every state for gradients.
    ///
    /// See the [type's example](SolveOptions).
    pub fn fixed(tableau: Tableau, h: f64) -> Self {
        Self::with_step(tableau, StepSize::Fixed(h))
    }

    /// Steps between the given times (see [`StepSize::StepTo`]), saving every step, storing
    /// every state for gradients.
    ///
    /// ```
    /// use tapeless_runtime::ode::{SolveOptions, StepSize, Tableau};
    /// let options = SolveOptions::step_to(Tableau::heun(), vec![0.0, 0.5, 2.0]);
    /// assert_eq!(options.step, StepSize::StepTo(vec![0.0, 0.5, 2.0]));
    /// ```
    pub fn step_to(tableau: Tableau, times: Vec<f64>) -> Self {
        Self::with_step(tableau, StepSize::StepTo(times))
    }

    /// Adaptive steps chosen by `controller`, saving every accepted step, storing every state for
    /// gradients.
    ///
    /// ```
    /// use tapeless_runtime::ode::{Controller, SolveOptions, Tableau};
    /// let options = SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-8, 1e-8));
    /// # let _ = options;
    /// ```
    pub fn adaptive(tableau: Tableau, controller: Controller) -> Self {
        Self::with_step(tableau, StepSize::Adaptive(controller))
    }

    fn with_step(tableau: Tableau, step: StepSize) -> Self {
        Self {
            tableau,
            step,
            saveat: SaveAt::Steps,
            memory: Memory::StoreAll,
            wrt: Wrt::StateAndParameters,
        }
    }

    /// These options, saving at `saveat`.
    ///
    /// See the [type's example](SolveOptions).
    pub fn saveat(mut self, saveat: SaveAt) -> Self {
        self.saveat = saveat;
        self
    }

    /// These options, with the memory strategy `memory` for gradients.
    ///
    /// See the [type's example](SolveOptions).
    pub fn memory(mut self, memory: Memory) -> Self {
        self.memory = memory;
        self
    }

    /// These options, with gradients with respect to `wrt`.
    ///
    /// See [`Wrt`]'s example.
    pub fn wrt(mut self, wrt: Wrt) -> Self {
        self.wrt = wrt;
        self
    }
}

/// What a [`gradient`](crate::ode::gradient) differentiates with respect to: the initial state
/// and the parameters (the default), or the initial state only, when `dJ/dp` is not wanted
/// (4D-Var, say). `dJ/du0` is bitwise the same either way; with
/// [`InitialState`](Wrt::InitialState), [`LossGradient::p_bar`](crate::ode::LossGradient) is
/// empty and the right-hand side's adjoint is asked through
/// [`RhsVjp::vjp_state`](crate::ode::RhsVjp::vjp_state), which may skip the parameters'
/// adjoint (the generated right-hand sides of `rhs = Name` do).
///
/// ```
/// use tapeless_runtime::ode::{gradient, OdeProblem, Rhs, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau, Wrt};
/// use tapeless_runtime::{Real, UserError};
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; }
/// # }
/// # impl RhsVjp for Decay {
/// #     fn vjp<S: Real>(&self, (du, db): (&mut [S], &mut [S]), (u, ub): (&[S], &mut [S]), (p, pb): (&[S], &mut [S]), _t: S) {
/// #         du[0] = -p[0] * u[0];
/// #         ub[0] -= p[0] * db[0];
/// #         pb[0] -= u[0] * db[0];
/// #         db[0] = S::zero();
/// #     }
/// # }
/// # struct Last;
/// # impl SavedStateLoss for Last {
/// #     fn value_and_gradient<S: Real>(&self, _k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
/// #         u_bar[0] += S::one();
/// #         Ok(u[0])
/// #     }
/// # }
/// // du/dt = -p0 u, J = u(1).
/// let problem = OdeProblem::new(&Decay, &[2.0], &[0.5], (0.0, 1.0));
/// let options = SolveOptions::fixed(Tableau::rk4(), 0.25).saveat(SaveAt::Times(vec![1.0]));
/// let both = gradient(&problem, &options, &Last)?;
/// let state = gradient(&problem, &options.clone().wrt(Wrt::InitialState), &Last)?;
/// assert_eq!(state.u0_bar, both.u0_bar);
/// assert_eq!((state.p_bar.len(), both.p_bar.len()), (0, 1));
/// # Ok::<(), tapeless_runtime::ode::OdeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Wrt {
    /// `dJ/du0` and `dJ/dp`.
    #[default]
    StateAndParameters,
    /// `dJ/du0` only.
    InitialState,
}
