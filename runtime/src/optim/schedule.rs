//! Learning-rate schedules: the rate as a function of the step (the number of steps taken
//! before it, so the first step reads `learning_rate(0)`), as optax's schedules are.

use super::{check_hyperparameter, OptimError};
use std::f64::consts::PI;

/// The learning rate at each step. Any `Fn(u64) -> f64` is a schedule.
///
/// ```
/// use tapeless_runtime::optim::Schedule;
/// let halving = |step: u64| 0.1 * 0.5_f64.powi(step as i32 / 100);
/// assert_eq!(halving.learning_rate(250), 0.025);
/// ```
pub trait Schedule {
    /// The rate of the step that follows `step` steps.
    fn learning_rate(&self, step: u64) -> f64;
}

impl<F: Fn(u64) -> f64> Schedule for F {
    fn learning_rate(&self, step: u64) -> f64 {
        self(step)
    }
}

/// The same rate at every step.
///
/// ```
/// use tapeless_runtime::optim::{Constant, Schedule};
/// assert_eq!(Constant(0.01).learning_rate(1000), 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn learning_rate(&self, _step: u64) -> f64 {
        self.0
    }
}

/// `1/2 (1 + cos(pi t / steps))` for `t` clamped to `0..=steps`: 1 at the start, 0 at the end.
fn half_cosine(t: u64, steps: u64) -> f64 {
    0.5 * (1.0 + (PI * t.min(steps) as f64 / steps as f64).cos())
}

/// Cosine decay from `init` to `alpha * init` over `decay_steps` steps, then constant
/// (Loshchilov and Hutter's SGDR without restarts; optax's `cosine_decay_schedule`):
/// `lr(t) = init ((1 - alpha) 1/2 (1 + cos(pi min(t, T) / T)) + alpha)`.
///
/// ```
/// use tapeless_runtime::optim::{CosineDecay, Schedule};
/// let s = CosineDecay::new(0.1, 100, 0.0)?;
/// assert_eq!(s.learning_rate(0), 0.1);
/// assert!((s.learning_rate(50) - 0.05).abs() < 1e-15);
/// assert_eq!(s.learning_rate(100), 0.0);
/// assert_eq!(s.learning_rate(1000), 0.0);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineDecay {
    init: f64,
    decay_steps: u64,
    alpha: f64,
}

impl CosineDecay {
    /// Decays `init` to `alpha * init` over `decay_steps` steps.
    ///
    /// # Errors
    ///
    /// [`OptimError::Hyperparameter`] unless `init` is finite and not negative, `decay_steps`
    /// at least 1 and `alpha` in `[0, 1]`.
    pub fn new(init: f64, decay_steps: u64, alpha: f64) -> Result<Self, OptimError> {
        check_hyperparameter("init", init, false)?;
        check_steps("decay_steps", decay_steps)?;
        if !(0.0..=1.0).contains(&alpha) {
            return Err(OptimError::Hyperparameter {
                what: "alpha",
                value: alpha,
                rule: "in [0, 1]",
            });
        }
        Ok(Self {
            init,
            decay_steps,
            alpha,
        })
    }
}

impl Schedule for CosineDecay {
    fn learning_rate(&self, step: u64) -> f64 {
        let cosine = half_cosine(step, self.decay_steps);
        self.init * ((1.0 - self.alpha) * cosine + self.alpha)
    }
}

fn check_steps(what: &'static str, steps: u64) -> Result<(), OptimError> {
    if steps == 0 {
        return Err(OptimError::Hyperparameter {
            what,
            value: 0.0,
            rule: "at least 1",
        });
    }
    Ok(())
}

/// Linear warm-up from `init` to `peak` over `warmup_steps` steps, then cosine decay from
/// `peak` to `end` until step `decay_steps` (warm-up included, as optax's
/// `warmup_cosine_decay_schedule` counts), then `end`:
///
/// - `t < W`: `lr(t) = init + (peak - init) t / W`;
/// - `t >= W`: `lr(t) = end + (peak - end) 1/2 (1 + cos(pi min(t - W, T - W) / (T - W)))`.
///
/// ```
/// use tapeless_runtime::optim::{Schedule, WarmupCosine};
/// let s = WarmupCosine::new(0.0, 1.0, 10, 110, 0.1)?;
/// assert_eq!(s.learning_rate(0), 0.0);
/// assert_eq!(s.learning_rate(5), 0.5);
/// assert_eq!(s.learning_rate(10), 1.0);
/// assert!((s.learning_rate(60) - 0.55).abs() < 1e-15);
/// assert_eq!(s.learning_rate(110), 0.1);
/// assert!(WarmupCosine::new(0.0, 1.0, 10, 10, 0.0).is_err());
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarmupCosine {
    init: f64,
    peak: f64,
    warmup_steps: u64,
    decay_steps: u64,
    end: f64,
}

impl WarmupCosine {
    /// Warm-up from `init` to `peak` in `warmup_steps` steps (0 for none), then cosine decay
    /// to `end` at step `decay_steps`.
    ///
    /// # Errors
    ///
    /// [`OptimError::Hyperparameter`] unless the rates are finite and not negative and
    /// `decay_steps > warmup_steps`.
    pub fn new(
        init: f64,
        peak: f64,
        warmup_steps: u64,
        decay_steps: u64,
        end: f64,
    ) -> Result<Self, OptimError> {
        check_hyperparameter("init", init, false)?;
        check_hyperparameter("peak", peak, false)?;
        check_hyperparameter("end", end, false)?;
        if decay_steps <= warmup_steps {
            return Err(OptimError::Hyperparameter {
                what: "decay_steps",
                value: decay_steps as f64,
                rule: "more than warmup_steps (decay_steps counts the warm-up)",
            });
        }
        Ok(Self {
            init,
            peak,
            warmup_steps,
            decay_steps,
            end,
        })
    }
}

impl Schedule for WarmupCosine {
    fn learning_rate(&self, step: u64) -> f64 {
        if step < self.warmup_steps {
            self.init + (self.peak - self.init) * step as f64 / self.warmup_steps as f64
        } else {
            let cosine = half_cosine(
                step - self.warmup_steps,
                self.decay_steps - self.warmup_steps,
            );
            self.end + (self.peak - self.end) * cosine
        }
    }
}
