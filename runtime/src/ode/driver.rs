//! The fixed-grid driver and what every pass shares: the loop over the steps of a known grid,
//! the observers that passes report to, the entry checks of a problem, and the counted work.
//! The stepper only steps; the driver owns the loop (adaptive steps have their own loop in
//! `adaptive.rs`, built on the same observers and checks).

use super::dense::{dp5_weights, Hermite};
use super::error::OdeError;
use super::grid::{Grid, Save};
use super::problem::OdeProblem;
use super::rhs::Rhs;
use super::stepper::{Counters, StepContext, Stepper};
use crate::{InputError, Real};

/// Counted work of an integration or a derivative, for benchmarks and for tests that pin it.
///
/// ```
/// use tapeless_runtime::ode::{solve, OdeProblem, Rhs, SolveOptions, Tableau};
/// # use tapeless_runtime::Real;
/// # struct Decay;
/// # impl Rhs for Decay {
/// #     fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) { du[0] = -p[0] * u[0]; }
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
    /// Calls of [`RhsJvp::jvp`](crate::ode::RhsJvp::jvp).
    pub rhs_jvps: usize,
    /// Calls of [`RhsVjp::vjp`](crate::ode::RhsVjp::vjp).
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

/// What a forward pass reports as it goes.
pub(crate) trait Observer<S> {
    /// Step `k` (from 0) is taken (with adaptive steps: was accepted) from the state `u`.
    fn step(&mut self, _k: usize, _u: &[S]) {}
    /// The state `u` at grid point `k` is saved state `j`, reported at time `t`; an error stops
    /// the pass.
    fn save(&mut self, j: usize, k: usize, t: f64, u: &[S]) -> Result<(), OdeError>;
    /// The state `u` interpolated inside step `k` (from grid point `k` to `k + 1`) is saved
    /// state `j`, at time `t`; by default as [`save`](Observer::save).
    fn save_inside(&mut self, j: usize, k: usize, t: f64, u: &[S]) -> Result<(), OdeError> {
        self.save(j, k, t, u)
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
    InputError::check_finite("u0", problem.u0)?;
    InputError::check_finite("p", problem.p)?;
    Ok(())
}

/// Whether every component's primal value is finite, bitwise `u.iter().all(|x| x.is_finite())`
/// without a branch per component: `x - x` is zero exactly when `x` is finite (NaN for an
/// infinity or a NaN), summed in independent lanes (no rounding reaches a sum of zeros), so the
/// loop vectorises. Called after every step of a pass (problem L: 40 components per step).
#[inline(always)]
#[allow(clippy::eq_op)] // `x - x` is the test: zero exactly when `x` is finite
pub(crate) fn all_finite<S: Real>(u: &[S]) -> bool {
    const LANES: usize = 8;
    let mut lanes = [0.0f64; LANES];
    let mut chunks = u.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (lane, x) in lanes.iter_mut().zip(chunk) {
            let x = x.to_f64();
            *lane += x - x;
        }
    }
    for (lane, x) in lanes.iter_mut().zip(chunks.remainder()) {
        let x = x.to_f64();
        *lane += x - x;
    }
    lanes.iter().all(|&lane| lane == 0.0)
}

/// Fails if the state after step `step` (reaching `t`) is not finite.
#[inline(always)]
pub(crate) fn check_state<S: Real>(u: &[S], step: usize, t: f64) -> Result<(), OdeError> {
    if all_finite(u) {
        Ok(())
    } else {
        Err(OdeError::NonFiniteState { step, t })
    }
}

/// Fails if the state interpolated for saved state `index` (at `t`) is not finite.
#[inline]
pub(crate) fn check_save<S: Real>(v: &[S], index: usize, t: f64) -> Result<(), OdeError> {
    if all_finite(v) {
        Ok(())
    } else {
        Err(OdeError::NonFiniteSave { index, t })
    }
}

/// Integrates `steps` steps of `grid` from `u` (in place), reporting steps and saves (saves
/// inside a step interpolated by `dense.rs` after the step, from its two end states).
pub(crate) fn integrate_grid<S: Real, F: Rhs, O: Observer<S>>(
    problem: &OdeProblem<'_, F, S>,
    stepper: &mut Stepper<'_, S>,
    grid: &Grid,
    saves: &[Save],
    steps: usize,
    u: &mut [S],
    observer: &mut O,
) -> Result<(), OdeError> {
    // Buffers of dense output, only when some save needs it: the Hermite interpolant, or the
    // tableau's continuous extension from the stages (step weights `b`).
    let mut dense = saves.iter().any(|s| s.dense).then(|| {
        let n = u.len();
        (Hermite::new(n), vec![S::zero(); n], vec![S::zero(); n])
    });
    let tableau = stepper.tableau();
    let continuous = tableau.continuous();
    let b: Vec<f64> = if continuous && dense.is_some() {
        (0..tableau.stages()).map(|i| tableau.b(i)).collect()
    } else {
        Vec::new()
    };
    let mut next = 0;
    for k in 0..steps {
        while next < saves.len() && saves[next].at(k) {
            observer.save(next, k, saves[next].t, u)?;
            next += 1;
        }
        observer.step(k, u);
        let (t, h) = grid.step(k);
        let cx = StepContext::new(problem.rhs, problem.p, t, h);
        let inside = next < saves.len() && saves[next].inside(k);
        if let (true, Some((_, u_start, _))) = (inside, dense.as_mut()) {
            u_start.copy_from_slice(u);
        }
        stepper.all_stages = inside && continuous;
        stepper.step(cx, u);
        stepper.all_stages = false;
        check_state(u, k + 1, grid.time(k + 1))?;
        if let (true, Some((hermite, u_start, v))) = (inside, dense.as_mut()) {
            while next < saves.len() && saves[next].inside(k) {
                if continuous {
                    let w = dp5_weights(&b, (saves[next].t - t) / h);
                    stepper.dense_value(u_start, h, &w, v);
                } else {
                    hermite.value(cx, (u_start, u), saves[next].t, v);
                }
                check_save(v, next, saves[next].t)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dual;

    #[test]
    fn all_finite_is_every_component_finite() {
        for n in [0, 1, 7, 8, 9, 40] {
            let u: Vec<f64> = (0..n).map(|i| [1e308, -0.0, 3.5, -1e308][i % 4]).collect();
            let u32: Vec<f32> = (0..n).map(|i| [3e38, -0.0, 3.5, -3e38][i % 4]).collect();
            assert!(all_finite(&u) && all_finite(&u32), "{n}");
            for m in 0..n {
                for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                    let (mut v, mut v32) = (u.clone(), u32.clone());
                    (v[m], v32[m]) = (bad, bad as f32);
                    assert!(!all_finite(&v), "{bad} at {m} of {n}");
                    assert!(!all_finite(&v32), "{bad} at {m} of {n}");
                }
            }
        }
        // Dual numbers: the primal value only, as `Real::is_finite`.
        let d = [Dual::new(1.0, [f64::NAN]), Dual::new(2.0, [0.0])];
        assert!(all_finite(&d) && d.iter().all(|x| x.is_finite()));
        assert!(!all_finite(&[Dual::new(f64::INFINITY, [0.0])]));
    }
}
