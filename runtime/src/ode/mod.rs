//! Ordinary differential equations: right-hand sides, integrators with exact discrete adjoints,
//! and checkpointing.
//!
//! - [`Rhs`]: a right-hand side `f(du, u, p, t)`, all a solve needs; [`RhsJvp`] and
//!   [`RhsVjp`]: its tangent and adjoint, which forward sensitivities and gradients need.
//!   `#[differentiable(rhs = Name)]` generates all three;
//! - [`Tableau`]: explicit Runge-Kutta methods as data (Euler, Heun, midpoint, SSPRK3, RK4, the
//!   3/8 rule, Dormand-Prince 5(4), or any explicit tableau);
//! - [`OdeProblem`] and [`SolveOptions`] ([`StepSize`], [`SaveAt`], [`Memory`]): what to
//!   integrate and how, saved at any times (between steps by dense output, whose derivatives
//!   are exact too: Hermite, or Dormand-Prince's continuous extension, also for adaptive steps
//!   that do not stop at saved times, [`Controller::dense`]);
//! - [`solve`]: the saved states; [`loss_value`]: a loss of them ([`SavedStateLoss`]);
//! - [`gradient`]: the loss's exact discrete adjoint, `dJ/du0` and `dJ/dp`, storing every state
//!   or by binomial checkpointing, and at dual numbers its Hessian-vector products ([`Wrt`]:
//!   `dJ/du0` only, when `dJ/dp` is not wanted);
//! - [`tangent`] and [`solve_tangent`]: forward sensitivities.
//!
//! A 4D-Var-like cost on Lorenz-63, its gradient with 10 snapshots, and the dot-product test
//! against the tangent:
//!
//! ```
//! use tapeless_runtime::ode::{gradient, tangent, Memory, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau};
//! use tapeless_runtime::{Real, UserError};
//!
//! struct Lorenz63;
//! impl Rhs for Lorenz63 {
//!     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
//!         du[0] = p[0] * (u[1] - u[0]);
//!         du[1] = u[0] * (p[1] - u[2]) - u[1];
//!         du[2] = u[0] * u[1] - p[2] * u[2];
//!     }
//! }
//! impl RhsJvp for Lorenz63 {
//!     fn jvp<S: Real>(&self, (du, dd): (&mut [S], &mut [S]), (u, ud): (&[S], &[S]), (p, pd): (&[S], &[S]), t: S) {
//!         self.eval(du, u, p, t);
//!         dd[0] = pd[0] * (u[1] - u[0]) + p[0] * (ud[1] - ud[0]);
//!         dd[1] = ud[0] * (p[1] - u[2]) + u[0] * (pd[1] - ud[2]) - ud[1];
//!         dd[2] = ud[0] * u[1] + u[0] * ud[1] - pd[2] * u[2] - p[2] * ud[2];
//!     }
//! }
//! impl RhsVjp for Lorenz63 {
//!     fn vjp<S: Real>(&self, (du, db): (&mut [S], &mut [S]), (u, ub): (&[S], &mut [S]), (p, pb): (&[S], &mut [S]), t: S) {
//!         self.eval(du, u, p, t);
//!         ub[0] += -p[0] * db[0] + (p[1] - u[2]) * db[1] + u[1] * db[2];
//!         ub[1] += p[0] * db[0] - db[1] + u[0] * db[2];
//!         ub[2] += -u[0] * db[1] - p[2] * db[2];
//!         pb[0] += (u[1] - u[0]) * db[0];
//!         pb[1] += u[0] * db[1];
//!         pb[2] -= u[2] * db[2];
//!         db.fill(S::zero());
//!     }
//! }
//!
//! /// Misfit of the first component to an observation every 0.1.
//! struct Misfit;
//! impl SavedStateLoss for Misfit {
//!     fn value_and_gradient<S: Real>(&self, k: usize, _t: f64, u: &[S], u_bar: &mut [S]) -> Result<S, UserError> {
//!         let r = u[0] - S::from_f64((k as f64).sin());
//!         u_bar[0] += r;
//!         Ok(S::from_f64(0.5) * r * r)
//!     }
//! }
//!
//! let (u0, p) = ([1.0, 1.0, 20.0], [10.0, 28.0, 8.0 / 3.0]);
//! let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
//! let observed: Vec<f64> = (1..=10).map(|m| 0.1 * m as f64).collect();
//! let options = SolveOptions::fixed(Tableau::rk4(), 0.001)
//!     .saveat(SaveAt::Times(observed))
//!     .memory(Memory::Binomial { snapshots: 10 });
//!
//! let g = gradient(&problem, &options, &Misfit)?;
//! assert_eq!(g.stats.forward_steps, Memory::Binomial { snapshots: 10 }.forward_steps(1000)?);
//!
//! let (u0_dot, p_dot) = ([0.3, -0.2, 0.1], [0.01, 0.0, -0.02]);
//! let d = tangent(&problem, &options, &Misfit, &u0_dot, &p_dot)?;
//! let adjoint_side: f64 = (0..3).map(|i| g.u0_bar[i] * u0_dot[i] + g.p_bar[i] * p_dot[i]).sum();
//! assert!((d.derivative - adjoint_side).abs() <= 1e-12 * d.derivative.abs());
//! assert_eq!(d.value, g.value);
//! # Ok::<(), tapeless_runtime::ode::OdeError>(())
//! ```

// The layering: each module imports only from modules on the lines above its own, so no two
// import each other.
//
//   error, rhs                     what can go wrong; the right-hand side's capabilities
//   tableau, checkpoint            methods as data; the memory strategies of the reverse sweep
//   problem, loss                  what to integrate and how; the loss of the saved states
//   grid                           options checked into a plan (a grid, or adaptive steps)
//   stepper                        one step, its trial, tangent and adjoint (`StepContext`)
//   dense                          the Hermite interpolant inside a step, and its derivatives;
//                                  Dormand-Prince's continuous extension (weights of the stages)
//   driver                         the loop over a known grid, observers, entry checks, `Stats`
//   adaptive                       the loop of adaptive steps, reporting to driver's observers
//   schedule                       a plan made known for derivatives: a grid as it is, adaptive
//                                  steps recorded by a primal pass to be replayed
//   solve, tangent, adjoint        the public passes: forward, forward sensitivities, and the
//                                  discrete adjoint
mod adaptive;
mod adjoint;
mod checkpoint;
mod combination;
mod dense;
mod driver;
mod error;
mod grid;
mod loss;
mod problem;
mod reverse_plan;
mod rhs;
mod schedule;
mod solve;
mod stepper;
mod tableau;
mod tangent;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod dense_adaptive_conformance;
#[cfg(test)]
mod dense_conformance;
#[cfg(test)]
mod length_checks;
#[cfg(test)]
mod test_problems;

pub use adjoint::{gradient, gradient_fixed, LossGradient};
pub use checkpoint::Memory;
pub use driver::Stats;
pub use error::{OdeError, TableauError};
pub use loss::SavedStateLoss;
pub use problem::{Controller, OdeProblem, SaveAt, SolveOptions, StepSize, Wrt};
pub use rhs::{Length, Rhs, RhsDims, RhsJvp, RhsVjp};
pub use solve::{loss_value, solve, Solution};
pub use tableau::Tableau;
pub use tangent::{solve_tangent, tangent, tangent_fixed, LossTangent, TangentSolution};
