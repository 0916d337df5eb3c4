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
        *x = u0[m] + h0_s * f0[m];
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
    let (rhs, p) = (problem.rhs, problem.p);
    let AdaptiveRun {
        controller,
        t0,
        t_end,
        until,
        saves,
    } = run;
    let dense = controller.dense;
    let b: Vec<f64> = (0..tableau.stages()).map(|i| tableau.b(i)).collect();
    let mut v = vec![S::zero(); if dense { u.len() } else { 0 }];
    let mut times = Vec::new();
    let n = u.len();
    let mut stepper = Stepper::new(tableau, n);
    let mut u_new = vec![S::zero(); n];
    let error_order = f64::from(tableau.error_order().unwrap_or(1));
    let exponent = -1.0 / (error_order + 1.0);
    let order = tableau.order().map_or(error_order + 1.0, f64::from);
    let last_stage = tableau.stages() - 1;
    let (safety, min_factor, max_factor) = (
        controller.safety,
        controller.min_factor,
        controller.max_factor,
    );
    // Below this a step no longer moves the time in a meaningful way.
    let min_step = 1e-14 * t0.abs().max(t_end.abs()).max(t_end - t0);

    let mut t = t0;
    let mut k = 0;
    let mut next_save = 0;
    times.push(t);
    emit(saves, &mut next_save, k, t, u, observer)?;
    if t < until {
        let (mut h, mut first_known) = match controller.dt0 {
            Some(h) => (h, false),
            None => {
                let cx = StepContext::new(rhs, p, t0, t_end - t0);
                let h = initial_step(&mut stepper, cx, u, (controller, order), &mut u_new);
                (h, true)
            }
        };
        let mut attempts = 0;
        let mut rejected_last = false;
        while t < until {
            let stop = match saves {
                AdaptiveSaves::Times(ts) if next_save < ts.len() && !dense => {
                    ts[next_save].min(t_end)
                }
                _ => t_end,
            };
            if h.is_nan() || h < min_step {
                return Err(OdeError::StepSizeTooSmall { t, h });
            }
            let t_new = if t + 1.01 * h >= stop { stop } else { t + h };
            let h_step = t_new - t;
            if h_step.is_nan() || h_step <= 0.0 {
                return Err(OdeError::StepSizeTooSmall { t, h });
            }
            attempts += 1;
            if attempts > controller.max_steps {
                return Err(OdeError::TooManySteps {
                    max_steps: controller.max_steps,
                    t,
                });
            }
            let cx = StepContext::new(rhs, p, t, h_step);
            stepper.trial(cx, u, &mut u_new, first_known);
            let err = stepper.error_norm(u, &u_new, h_step, controller.rtol, controller.atol);
            if err <= 1.0 {
                observer.step(k, u);
                if let (true, AdaptiveSaves::Times(ts)) = (dense, saves) {
                    // Saved times inside the step, by the continuous extension from its stages.
                    while next_save < ts.len() && ts[next_save] < t_new {
                        let at = ts[next_save];
                        let w = dp5_weights(&b, (at - t) / h_step);
                        stepper.dense_value(u, h_step, &w, &mut v);
                        check_save(&v, next_save, at)?;
                        observer.save_inside(next_save, k, at, &v)?;
                        next_save += 1;
                    }
                }
                u.copy_from_slice(&u_new);
                k += 1;
                check_state(u, k, t_new)?;
                // The last stage was evaluated at (u_new, t + c h): reuse it only if that time is
                // bitwise the next step's start, so a replay computing it afresh agrees.
                first_known = tableau.fsal() && tableau.stage_time(t, h_step, last_stage) == t_new;
                if first_known {
                    stepper.reuse_last_stage();
                }
                t = t_new;
                times.push(t);
                emit(saves, &mut next_save, k, t, u, observer)?;
                let mut factor = if err == 0.0 {
                    max_factor
                } else {
                    (safety * err.powf(exponent)).clamp(min_factor, max_factor)
                };
                if rejected_last {
                    factor = factor.min(1.0);
                }
                h = h_step * factor;
                rejected_last = false;
            } else {
                stats.rejected_steps += 1;
                let factor = if err.is_finite() {
                    (safety * err.powf(exponent)).clamp(min_factor, 1.0)
                } else {
                    min_factor
                };
                h = h_step * factor;
                // The trial left f(u, t) in the first stage.
                first_known = true;
                rejected_last = true;
            }
        }
    }
    stats.steps += k;
    stats.add_counters(stepper.counters);
    Ok(times)
}
