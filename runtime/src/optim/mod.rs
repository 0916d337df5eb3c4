//! Outer optimisers for learning the parameters of a solver from hypergradients: plain gradient
//! descent and Adam (Kingma and Ba, 2015), each a small state machine with one `step`; and, in
//! the spirit of [optax](https://optax.readthedocs.io), composable pieces to build the optimiser
//! a training run needs:
//!
//! - [`GradientTransform`]s, applied in order to the gradient: [`ClipByGlobalNorm`],
//!   [`ScaleByAdam`], [`AddDecayedWeights`] (decoupled weight decay, as AdamW), chained as a
//!   tuple; [`clip_by_norm`] clips one window's (one example's) gradient before the sum;
//! - [`Schedule`]s of the learning rate as functions of the step: [`Constant`],
//!   [`CosineDecay`], [`WarmupCosine`] (linear warm-up then cosine decay), or any
//!   `Fn(u64) -> f64`;
//! - [`Optimizer`]: a chain and a schedule, `theta <- theta - lr(step) * chain(grad)`;
//! - [`TrainingState`]: weights, optimiser state, epoch and random generator saved to and
//!   resumed from one safetensors file, so a resumed run continues bit for bit.
//!
//! ```
//! use tapeless_runtime::optim::{Adam, OptimError};
//! // Minimise (t - 3)^2 from t = 0.
//! let mut t = [0.0];
//! let mut adam = Adam::new(0.1);
//! for _ in 0..500 {
//!     let g = [2.0 * (t[0] - 3.0)];
//!     adam.step(&mut t, &g)?;
//! }
//! assert!((t[0] - 3.0).abs() < 1e-3);
//! # Ok::<(), OptimError>(())
//! ```
//!
//! The same with AdamW: gradients clipped to norm 10, a warm-up of 20 steps to the peak rate 0.1,
//! then a cosine decay to 0.001 at step 500, and a weight decay of 1e-4.
//!
//! ```
//! use tapeless_runtime::optim::{
//!     AddDecayedWeights, ClipByGlobalNorm, OptimError, Optimizer, ScaleByAdam, WarmupCosine,
//! };
//! let chain = (ClipByGlobalNorm::new(10.0)?, ScaleByAdam::new(), AddDecayedWeights::new(1e-4)?);
//! let schedule = WarmupCosine::new(0.0, 0.1, 20, 500, 0.001)?;
//! let mut adamw = Optimizer::new(chain, schedule);
//! let mut t = [0.0];
//! for _ in 0..500 {
//!     let g = [2.0 * (t[0] - 3.0)];
//!     adamw.step(&mut t, &g)?;
//! }
//! assert!((t[0] - 3.0).abs() < 1e-2);
//! assert_eq!(adamw.steps(), 500);
//! # Ok::<(), OptimError>(())
//! ```

mod checkpoint;
mod optimizer;
mod schedule;
mod transform;

pub use checkpoint::{CheckpointError, Resumable, TrainingState};
pub use optimizer::{adamw, sgd, Optimizer};
pub use schedule::{Constant, CosineDecay, Schedule, WarmupCosine};
pub use transform::{
    clip_by_norm, global_norm, AddDecayedWeights, ClipByGlobalNorm, GradientTransform, ScaleByAdam,
};

use crate::InputError;
use thiserror::Error;

/// A step that cannot be taken.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OptimError {
    /// The gradient and the parameters differ in length, the length changed between steps, or
    /// the gradient holds an infinity or a NaN: the parameters are left as they were.
    #[error("{0}; the parameters are unchanged")]
    Input(#[from] InputError),
    /// A hyperparameter out of its range (a negative norm bound, a NaN learning rate, a
    /// warm-up longer than the schedule, ...).
    #[error("{what} is {value}, but it must be {rule}")]
    Hyperparameter {
        /// Which hyperparameter.
        what: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        rule: &'static str,
    },
    /// The schedule gave a learning rate that is infinite or NaN at this step.
    #[error("the schedule's learning rate at step {step} is {value}, not finite; the parameters are unchanged")]
    NonFiniteLearningRate {
        /// The step (the number of steps taken before it).
        step: u64,
        /// The learning rate.
        value: f64,
    },
    /// A step count that does not fit the optimiser's counter (a [`TrainingState`] resumed
    /// into an [`Adam`], whose counter is an `i32`).
    #[error("a step count of {steps} does not fit the optimiser's counter (at most {max})")]
    TooManySteps {
        /// The step count.
        steps: u64,
        /// The largest the counter holds.
        max: u64,
    },
}

/// `Ok` if `value` is finite and `> 0` (`strict`) or `>= 0`.
pub(crate) fn check_hyperparameter(
    what: &'static str,
    value: f64,
    strict: bool,
) -> Result<f64, OptimError> {
    let ok = value.is_finite() && if strict { value > 0.0 } else { value >= 0.0 };
    if ok {
        Ok(value)
    } else {
        Err(OptimError::Hyperparameter {
            what,
            value,
            rule: if strict {
                "finite and positive"
            } else {
                "finite and not negative"
            },
        })
    }
}

fn check(params: &[f64], grad: &[f64]) -> Result<(), OptimError> {
    Ok(InputError::check_vector("gradient", grad, params.len())?)
}

/// `theta <- theta - learning_rate * grad`, as the seed's outer fit of the step size does.
///
/// ```
/// use tapeless_runtime::optim::GradientDescent;
/// let mut eta = [0.01];
/// GradientDescent::new(0.001).step(&mut eta, &[-4.0]).unwrap();
/// assert_eq!(eta, [0.01 + 0.004]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescent {
    /// The step size.
    pub learning_rate: f64,
}

impl GradientDescent {
    /// Gradient descent with a fixed learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Self { learning_rate }
    }

    /// One step; leaves `params` unchanged on error.
    pub fn step(&self, params: &mut [f64], grad: &[f64]) -> Result<(), OptimError> {
        check(params, grad)?;
        for (p, g) in params.iter_mut().zip(grad) {
            *p -= self.learning_rate * g;
        }
        Ok(())
    }
}

/// Adam with bias correction: moments `m`, `v` of the gradient, `theta <- theta - lr m_hat /
/// (sqrt(v_hat) + eps)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    /// The step size.
    pub learning_rate: f64,
    /// Decay of the first moment (0.9 by default).
    pub beta1: f64,
    /// Decay of the second moment (0.999 by default).
    pub beta2: f64,
    /// Added to the denominator (1e-8 by default).
    pub epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    steps: i32,
}

impl Adam {
    /// Adam with the usual defaults and the given learning rate.
    pub fn new(learning_rate: f64) -> Self {
        Self {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
            steps: 0,
        }
    }

    /// The number of steps taken.
    pub fn steps(&self) -> i32 {
        self.steps
    }

    /// One step; leaves `params` and the moments unchanged on error.
    ///
    /// ```
    /// use tapeless_runtime::optim::Adam;
    /// // The first bias-corrected step moves every parameter by the learning rate, against the
    /// // sign of its gradient.
    /// let mut p = [1.0, 1.0];
    /// Adam::new(0.5).step(&mut p, &[3.0, -0.01]).unwrap();
    /// assert!((p[0] - 0.5).abs() < 1e-6 && (p[1] - 1.5).abs() < 1e-5);
    /// ```
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), OptimError> {
        check(params, grad)?;
        if self.steps == 0 {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
        } else if self.m.len() != params.len() {
            return Err(OptimError::Input(InputError::WrongLength {
                what: "parameters",
                expected: self.m.len(),
                found: params.len(),
            }));
        }
        self.steps += 1;
        let c1 = 1.0 - self.beta1.powi(self.steps);
        let c2 = 1.0 - self.beta2.powi(self.steps);
        for i in 0..params.len() {
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * grad[i];
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * grad[i] * grad[i];
            let (m_hat, v_hat) = (self.m[i] / c1, self.v[i] / c2);
            params[i] -= self.learning_rate * m_hat / (v_hat.sqrt() + self.epsilon);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_follows_its_recurrence() {
        // Two steps by hand.
        let (lr, g1, g2) = (0.1, 2.0, -1.0);
        let mut p = [0.0];
        let mut adam = Adam::new(lr);
        adam.step(&mut p, &[g1]).unwrap();
        adam.step(&mut p, &[g2]).unwrap();
        let (m1, v1) = (0.1 * g1, 0.001 * g1 * g1);
        let first = -lr * (m1 / 0.1) / ((v1 / 0.001_f64).sqrt() + 1e-8);
        let (m2, v2) = (0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2 * g2);
        let second = -lr * (m2 / (1.0 - 0.81)) / ((v2 / (1.0 - 0.999 * 0.999_f64)).sqrt() + 1e-8);
        assert!((p[0] - (first + second)).abs() < 1e-15);
        assert_eq!(adam.steps(), 2);
    }

    #[test]
    fn bad_gradients_are_named_and_change_nothing() {
        let mut p = [1.0, 2.0];
        let mut adam = Adam::new(0.1);
        assert_eq!(
            adam.step(&mut p, &[1.0]).unwrap_err(),
            OptimError::Input(InputError::WrongLength {
                what: "gradient",
                expected: 2,
                found: 1
            })
        );
        let err = adam.step(&mut p, &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "gradient[1] is not finite (NaN); the parameters are unchanged"
        );
        assert_eq!((p, adam.steps()), ([1.0, 2.0], 0));
        assert!(GradientDescent::new(0.1)
            .step(&mut p, &[f64::INFINITY, 0.0])
            .is_err());
        assert_eq!(p, [1.0, 2.0]);
        adam.step(&mut p, &[1.0, 1.0]).unwrap();
        let mut three = [0.0; 3];
        assert!(matches!(
            adam.step(&mut three, &[0.0; 3]),
            Err(OptimError::Input(InputError::WrongLength {
                what: "parameters",
                ..
            }))
        ));
    }
}
