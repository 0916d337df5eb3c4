//! The driver of adaptive steps: trial steps of an embedded pair, the integral step-size
//! controller, steps shortened to land on saved times (or, with dense output, saved times
//! inside a step interpolated by the method's continuous extension), first-same-as-last reuse,
//! and the times of the accepted steps, which derivatives replay (`schedule.rs`).
//!
//! A step is decided by its end time: `t_new` is `t + h`, or the next stop (a saved time or the
//! end) when that is within 1% of it, and the step taken is `h = t_new - t`. Replaying the
//! recorded times with [`StepSize::StepTo`](crate::ode::StepSize::StepTo) computes the same `h`
//! from the same two times, so the replay is bitwise the original.

use super::dense::dp5_weights;
use super::driver::{check_save, check_state, Observer, Stats};
use super::error::OdeError;
use super::grid::AdaptiveSaves;
use super::problem::{Controller, OdeProblem};
use super::rhs::Rhs;
use super::stepper::{StepContext, Stepper};
use super::tableau::Tableau;
use crate::Real;

/// One adaptive integration: the controller, from `t0` towards `t_end` (where the last step
/// lands), stopping once `until` is reached, saving at `saves`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdaptiveRun<'o> {
    pub(crate) controller: &'o Controller,
    pub(crate) t0: f64,
    pub(crate) t_end: f64,
    pub(crate) until: f64,
    pub(crate) saves: AdaptiveSaves<'o>,
}

impl<'o> AdaptiveRun<'o> {
    /// The whole span.
    pub(crate) fn span(
        controller: &'o Controller,
        t0: f64,
        t1: f64,
        saves: AdaptiveSaves<'o>,
    ) -> Self {
        Self {
            controller,
            t0,
            t_end: t1,
            until: t1,
            saves,
        }
    }

    /// Up to the last saved time, where derivatives stop: steps land there, or, with dense
    /// output, the steps are those of the whole span, up to the one holding it.
    pub(crate) fn to_last_save(
        controller: &'o Controller,
        t0: f64,
        t1: f64,
        saves: AdaptiveSaves<'o>,
    ) -> Self {
        let last = last_save_time(saves, t0, t1);
        Self {
            controller,
            t0,
            t_end: if controller.dense { t1 } else { last },
            until: last,
            saves,
        }
    }
}

/// Where derivatives stop: the last saved time (later steps do not change the loss).
pub(crate) fn last_save_time(saves: AdaptiveSaves<'_>, t0: f64, t1: f64) -> f64 {
    match saves {
        AdaptiveSaves::Every => t1,
        AdaptiveSaves::Times(times) => times.last().copied().unwrap_or(t0),
    }
}

/// Reports the saves at the accepted time `t` (grid point `k`).
fn emit<S, O: Observer<S>>(
    saves: AdaptiveSaves<'_>,
    next: &mut usize,
    k: usize,
    t: f64,
    u: &[S],
    observer: &mut O,
) -> Result<(), OdeError> {
    match saves {
        AdaptiveSaves::Every => {
            observer.save(*next, k, t, u)?;
            *next += 1;
        }
        AdaptiveSaves::Times(times) => {
            while *next < times.len() && times[*next] <= t {
                observer.save(*next, k, times[*next], u)?;
                *next += 1;
            }
        }
    }
    Ok(())
}

/// The first step to try, by the rule of Hairer, Norsett and Wanner (Solving ODEs I, II.4):
/// a step that keeps an explicit Euler step's change and the change of `f` small, from `cx.t`
/// and at most `cx.h` (the span). Leaves `f(u0, t0)` in row 0 of the stepper's stages.
fn initial_step<S: Real, F: Rhs + ?Sized>(
    stepper: &mut Stepper<'_, S>,
    cx: StepContext<'_, F, S>,
    u0: &[S],
    (controller, order): (&Controller, f64),
    scratch: &mut [S],
) -> f64 {
    let (rhs, p, t0, span) = (cx.rhs, cx.p, cx.t, cx.h);
    let n = u0.len();
    let scale = |m: usize| controller.atol + controller.rtol * u0[m].to_f64().abs();
    let rms = |v: &dyn Fn(usize) -> f64| {
        if n == 0 {
            0.0
        } else {
            ((0..n).map(|m| v(m) * v(m)).sum::<f64>() / n as f64).sqrt()
        }
    };
    stepper.eval_into(rhs, 0, u0, p, t0);
    let f0 = stepper.k_row(0);
    let d0 = rms(&|m| u0[m].to_f64() / scale(m));
    let d1 = rms(&|m| f0[m].to_f64() / scale(m));
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    }
    .min(span);
    let h0_s = S::from_f64(h0);
    for (m, x) in scratch.iter_mut().enumerate() {
        *x = u0[m] + f0[m].mul_constant(h0_s);
    }
    stepper.eval_into(rhs, 1, scratch, p, t0 + h0);
    let (f0, f1) = (stepper.k_row(0), stepper.k_row(1));
    let d2 = rms(&|m| (f1[m].to_f64() - f0[m].to_f64()) / scale(m)) / h0;
    let h1 = if d1.max(d2) <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / d1.max(d2)).powf(1.0 / (order + 1.0))
    };
    (100.0 * h0).min(h1).min(span)
}

/// An adaptive integration under way: the stepper and its buffers, the controller's constants,
/// and where the integration is (time, accepted steps, next save, the step size to try).
struct Adaptive<'a, 's, S, F, O> {
    problem: &'a OdeProblem<'a, F, S>,
    tableau: &'s Tableau,
    run: AdaptiveRun<'a>,
    observer: &'a mut O,
    stepper: Stepper<'s, S>,
    /// The trial step's result.
    u_new: Vec<S>,
    /// A state interpolated inside a step (dense output only).
    v: Vec<S>,
    /// The step weights, for the continuous extension.
    b: Vec<f64>,
    /// `-1 / (error order + 1)`, the controller's exponent.
    exponent: f64,
    /// Below this a step no longer moves the time in a meaningful way.
    min_step: f64,
    /// The times of the accepted steps, `run.t0` first.
    times: Vec<f64>,
    t: f64,
    /// Accepted steps.
    k: usize,
    next_save: usize,
    /// The step size to try next.
    h: f64,
    /// Whether row 0 of the stages holds `f(u, t)` already.
    first_known: bool,
    attempts: usize,
    rejected_last: bool,
    rejected: usize,
}

impl<'a, 's, S: Real, F: Rhs, O: Observer<S>> Adaptive<'a, 's, S, F, O> {
    /// Ready to integrate `run` from the state `u` (not yet stepped).
    fn new(
        problem: &'a OdeProblem<'a, F, S>,
        tableau: &'s Tableau,
        run: AdaptiveRun<'a>,
        u: &[S],
        observer: &'a mut O,
    ) -> Self {
        let n = u.len();
        let error_order = f64::from(tableau.error_order().unwrap_or(1));
        let (t0, t_end) = (run.t0, run.t_end);
        Self {
            problem,
            tableau,
            run,
            observer,
            stepper: Stepper::new(tableau, n),
            u_new: vec![S::zero(); n],
            v: vec![S::zero(); if run.controller.dense { n } else { 0 }],
            b: (0..tableau.stages()).map(|i| tableau.b(i)).collect(),
            exponent: -1.0 / (error_order + 1.0),
            min_step: 1e-14 * t0.abs().max(t_end.abs()).max(t_end - t0),
            times: vec![t0],
            t: t0,
            k: 0,
            next_save: 0,
            h: 0.0,
            first_known: false,
            attempts: 0,
            rejected_last: false,
            rejected: 0,
        }
    }

    /// The first step size: the controller's, or the rule of [`initial_step`] (which leaves
    /// `f(u0, t0)` in the first stage).
    fn start(&mut self, u: &[S]) {
        let controller = self.run.controller;
        (self.h, self.first_known) = match controller.dt0 {
            Some(h) => (h, false),
            None => {
                let error_order = f64::from(self.tableau.error_order().unwrap_or(1));
                let order = self.tableau.order().map_or(error_order + 1.0, f64::from);
                let (rhs, p) = (self.problem.rhs, self.problem.p);
                let cx = StepContext::new(rhs, p, self.run.t0, self.run.t_end - self.run.t0);
                let h = initial_step(
                    &mut self.stepper,
                    cx,
                    u,
                    (controller, order),
                    &mut self.u_new,
                );
                (h, true)
            }
        };
    }

    /// The end time and size of the next trial step: `t + h`, or the next stop (a saved time
    /// or the end) when that is within 1% of it. Counts the attempt.
    fn next_step(&mut self) -> Result<(f64, f64), OdeError> {
        let (t, h) = (self.t, self.h);
        let stop = match self.run.saves {
            AdaptiveSaves::Times(ts) if self.next_save < ts.len() && !self.run.controller.dense => {
                ts[self.next_save].min(self.run.t_end)
            }
            _ => self.run.t_end,
        };
        if h.is_nan() || h < self.min_step {
            return Err(OdeError::StepSizeTooSmall { t, h });
        }
        let t_new = if t + 1.01 * h >= stop { stop } else { t + h };
        let h_step = t_new - t;
        if h_step.is_nan() || h_step <= 0.0 {
            return Err(OdeError::StepSizeTooSmall { t, h });
        }
        self.attempts += 1;
        let max_steps = self.run.controller.max_steps;
        if self.attempts > max_steps {
            return Err(OdeError::TooManySteps { max_steps, t });
        }
        Ok((t_new, h_step))
    }

    /// The saved times inside the accepted step from `(t, u)` of size `h_step` ending before
    /// `t_new`, by the continuous extension from its stages (dense output).
    fn save_inside(&mut self, u: &[S], t_new: f64, h_step: f64) -> Result<(), OdeError> {
        let AdaptiveSaves::Times(ts) = self.run.saves else {
            return Ok(());
        };
        while self.next_save < ts.len() && ts[self.next_save] < t_new {
            let at = ts[self.next_save];
            let w = dp5_weights(&self.b, (at - self.t) / h_step);
            self.stepper.dense_value(u, h_step, &w, &mut self.v);
            check_save(&self.v, self.next_save, at)?;
            self.observer
                .save_inside(self.next_save, self.k, at, &self.v)?;
            self.next_save += 1;
        }
        Ok(())
    }

    /// Accepts the trial step to `t_new` (of size `h_step`, error norm `err`): reports it and
    /// its saves, moves `u` to its result, and sizes the next step.
    fn accept(&mut self, u: &mut [S], t_new: f64, h_step: f64, err: f64) -> Result<(), OdeError> {
        self.observer.step(self.k, u);
        if self.run.controller.dense {
            self.save_inside(u, t_new, h_step)?;
        }
        u.copy_from_slice(&self.u_new);
        self.k += 1;
        check_state(u, self.k, t_new)?;
        // The last stage was evaluated at (u_new, t + c h): reuse it only if that time is
        // bitwise the next step's start, so a replay computing it afresh agrees.
        let last_stage = self.tableau.stages() - 1;
        self.first_known =
            self.tableau.fsal() && self.tableau.stage_time(self.t, h_step, last_stage) == t_new;
        if self.first_known {
            self.stepper.reuse_last_stage();
        }
        self.t = t_new;
        self.times.push(t_new);
        emit(
            self.run.saves,
            &mut self.next_save,
            self.k,
            t_new,
            u,
            self.observer,
        )?;
        let c = self.run.controller;
        let mut factor = if err == 0.0 {
            c.max_factor
        } else {
            (c.safety * err.powf(self.exponent)).clamp(c.min_factor, c.max_factor)
        };
        if self.rejected_last {
            factor = factor.min(1.0);
        }
        self.h = h_step * factor;
        self.rejected_last = false;
        Ok(())
    }

    /// Rejects the trial step of size `h_step` (error norm `err`) and shrinks the step.
    fn reject(&mut self, h_step: f64, err: f64) {
        self.rejected += 1;
        let c = self.run.controller;
        let factor = if err.is_finite() {
            (c.safety * err.powf(self.exponent)).clamp(c.min_factor, 1.0)
        } else {
            c.min_factor
        };
        self.h = h_step * factor;
        // The trial left f(u, t) in the first stage.
        self.first_known = true;
        self.rejected_last = true;
    }
}

/// Integrates `run` with adaptive steps of `tableau`, `u` in place, reporting accepted steps
/// and saves, and counting into `stats`; returns the time of every accepted step (`run.t0`
/// first).
pub(crate) fn integrate_adaptive<S: Real, F: Rhs, O: Observer<S>>(
    problem: &OdeProblem<'_, F, S>,
    tableau: &Tableau,
    run: AdaptiveRun<'_>,
    u: &mut [S],
    observer: &mut O,
    stats: &mut Stats,
) -> Result<Vec<f64>, OdeError> {
    let mut a = Adaptive::new(problem, tableau, run, u, observer);
    emit(run.saves, &mut a.next_save, 0, run.t0, u, a.observer)?;
    if a.t < run.until {
        a.start(u);
        while a.t < run.until {
            let (t_new, h_step) = a.next_step()?;
            let cx = StepContext::new(problem.rhs, problem.p, a.t, h_step);
            a.stepper.trial(cx, u, &mut a.u_new, a.first_known);
            let c = run.controller;
            let err = a.stepper.error_norm(u, &a.u_new, h_step, c.rtol, c.atol);
            if err <= 1.0 {
                a.accept(u, t_new, h_step, err)?;
            } else {
                a.reject(h_step, err);
            }
        }
    }
    stats.steps += a.k;
    stats.rejected_steps += a.rejected;
    stats.add_counters(a.stepper.counters);
    Ok(a.times)
}
