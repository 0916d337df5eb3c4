//! Gradient transforms: each turns the gradient into an update, in place, and they chain as
//! tuples, applied left to right (optax's `chain`). The learning rate is applied last, by
//! [`Optimizer`](super::Optimizer), from its schedule.

use super::{check_hyperparameter, OptimError};
use crate::InputError;

/// One stage of an optimiser: rewrites the update (the gradient, on entry to the first stage)
/// in place. A transform with state (Adam's moments) names its state vectors, so a
/// [`TrainingState`](super::TrainingState) saves and restores them.
///
/// Tuples of up to six transforms are transforms, applied from the first to the last; `()` is
/// the identity (so `Optimizer::new((), schedule)` is gradient descent).
///
/// ```
/// use tapeless_runtime::optim::{GradientTransform, OptimError};
/// /// Flips the sign of every other component (a user's own transform).
/// struct Alternate;
/// impl GradientTransform for Alternate {
///     fn update(&mut self, update: &mut [f64], _params: &[f64], _step: u64) {
///         update.iter_mut().skip(1).step_by(2).for_each(|u| *u = -*u);
///     }
/// }
/// let mut u = [1.0, 2.0, 3.0];
/// Alternate.update(&mut u, &[0.0; 3], 0);
/// assert_eq!(u, [1.0, -2.0, 3.0]);
/// ```
pub trait GradientTransform {
    /// Whether the transform can take an update of `len` parameters: its state, if it has
    /// any yet, has that length. [`Optimizer::step`](super::Optimizer::step) calls it before
    /// changing anything, so a failed step leaves parameters and state as they were.
    ///
    /// # Errors
    ///
    /// [`OptimError::Input`] naming the state whose length differs.
    fn check(&self, len: usize) -> Result<(), OptimError> {
        let _ = len;
        Ok(())
    }

    /// Rewrites `update` in place; `params` are the parameters before the step and `step` the
    /// number of steps taken before this one.
    fn update(&mut self, update: &mut [f64], params: &[f64], step: u64);

    /// The transform's state vectors, each named (`"adam.m"`), each as long as the parameters
    /// or empty before the first step.
    fn state(&self) -> Vec<(String, &[f64])> {
        Vec::new()
    }

    /// The same vectors, to restore.
    fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)> {
        Vec::new()
    }
}

impl GradientTransform for () {
    fn update(&mut self, _update: &mut [f64], _params: &[f64], _step: u64) {}
}

macro_rules! chain_of {
    ($($name:ident $index:tt),+) => {
        impl<$($name: GradientTransform),+> GradientTransform for ($($name,)+) {
            fn check(&self, len: usize) -> Result<(), OptimError> {
                $(self.$index.check(len)?;)+
                Ok(())
            }

            fn update(&mut self, update: &mut [f64], params: &[f64], step: u64) {
                $(self.$index.update(update, params, step);)+
            }

            fn state(&self) -> Vec<(String, &[f64])> {
                let mut all = Vec::new();
                $(all.extend(
                    self.$index.state().into_iter()
                        .map(|(name, v)| (format!("{}.{name}", $index), v)),
                );)+
                all
            }

            fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)> {
                let mut all = Vec::new();
                $(all.extend(
                    self.$index.state_mut().into_iter()
                        .map(|(name, v)| (format!("{}.{name}", $index), v)),
                );)+
                all
            }
        }
    };
}

chain_of!(A 0);
chain_of!(A 0, B 1);
chain_of!(A 0, B 1, C 2);
chain_of!(A 0, B 1, C 2, D 3);
chain_of!(A 0, B 1, C 2, D 3, E 4);
chain_of!(A 0, B 1, C 2, D 3, E 4, F 5);

/// The Euclidean norm of `v`, without overflow or underflow for components near the ends of
/// the `f64` range (it rescales by the largest magnitude when the plain sum of squares
/// overflows or underflows).
///
/// ```
/// use tapeless_runtime::optim::global_norm;
/// assert_eq!(global_norm(&[3.0, 4.0]), 5.0);
/// assert!((global_norm(&[3e300, 4e300]) / 5e300 - 1.0).abs() < 1e-15);
/// ```
pub fn global_norm(v: &[f64]) -> f64 {
    let sum: f64 = v.iter().map(|x| x * x).sum();
    if sum.is_finite() && sum > f64::MIN_POSITIVE {
        return sum.sqrt();
    }
    let scale = v.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    let scaled: f64 = v.iter().map(|x| (x / scale) * (x / scale)).sum();
    scale * scaled.sqrt()
}

/// Scales `grad` by `max_norm / |grad|` when its norm exceeds `max_norm`, and returns the norm
/// it had: clipping one window's (one example's) gradient before the windows are summed, as
/// per-example clipping does. Returns `|grad|` unchanged otherwise.
///
/// ```
/// use tapeless_runtime::optim::clip_by_norm;
/// let mut g = [3.0, 4.0];
/// assert_eq!(clip_by_norm(&mut g, 1.0), 5.0);
/// assert_eq!(g, [3.0 * (1.0 / 5.0), 4.0 * (1.0 / 5.0)]);
/// let mut small = [0.3, 0.4];
/// clip_by_norm(&mut small, 1.0);
/// assert_eq!(small, [0.3, 0.4]);
/// ```
pub fn clip_by_norm(grad: &mut [f64], max_norm: f64) -> f64 {
    let norm = global_norm(grad);
    if norm > max_norm {
        let factor = max_norm / norm;
        for g in grad.iter_mut() {
            *g *= factor;
        }
    }
    norm
}

/// Scales the update to norm `max_norm` when its norm exceeds it (optax's
/// `clip_by_global_norm`): `u <- u * (max_norm / |u|)`.
///
/// ```
/// use tapeless_runtime::optim::{ClipByGlobalNorm, GradientTransform};
/// let mut u = [6.0, 8.0];
/// ClipByGlobalNorm::new(5.0)?.update(&mut u, &[0.0; 2], 0);
/// assert_eq!(u, [3.0, 4.0]);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipByGlobalNorm {
    max_norm: f64,
}

impl ClipByGlobalNorm {
    /// Clips to norm `max_norm` (see the example of [`ClipByGlobalNorm`]).
    ///
    /// # Errors
    ///
    /// [`OptimError::Hyperparameter`] unless `max_norm` is finite and positive.
    pub fn new(max_norm: f64) -> Result<Self, OptimError> {
        Ok(Self {
            max_norm: check_hyperparameter("max_norm", max_norm, true)?,
        })
    }

    /// The norm bound (see the example of [`ClipByGlobalNorm`]).
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }
}

impl GradientTransform for ClipByGlobalNorm {
    fn update(&mut self, update: &mut [f64], _params: &[f64], _step: u64) {
        clip_by_norm(update, self.max_norm);
    }
}

/// Adds `weight_decay * theta` to the update (optax's `add_decayed_weights`): placed after
/// [`ScaleByAdam`], the decay is decoupled from the adaptive scaling, as in AdamW (Loshchilov
/// and Hutter, 2019), and scaled by the schedule's learning rate with the rest.
///
/// ```
/// use tapeless_runtime::optim::{AddDecayedWeights, GradientTransform};
/// let mut u = [1.0, 1.0];
/// AddDecayedWeights::new(0.5)?.update(&mut u, &[2.0, -4.0], 0);
/// assert_eq!(u, [2.0, -1.0]);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AddDecayedWeights {
    weight_decay: f64,
}

impl AddDecayedWeights {
    /// Decay by `weight_decay` (per unit learning rate; see the example of
    /// [`AddDecayedWeights`]).
    ///
    /// # Errors
    ///
    /// [`OptimError::Hyperparameter`] unless `weight_decay` is finite and not negative.
    pub fn new(weight_decay: f64) -> Result<Self, OptimError> {
        Ok(Self {
            weight_decay: check_hyperparameter("weight_decay", weight_decay, false)?,
        })
    }

    /// The decay (see the example of [`AddDecayedWeights`]).
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }
}

impl GradientTransform for AddDecayedWeights {
    fn update(&mut self, update: &mut [f64], params: &[f64], _step: u64) {
        for (u, p) in update.iter_mut().zip(params) {
            *u += self.weight_decay * p;
        }
    }
}

/// Adam's direction (optax's `scale_by_adam`): moments `m <- b1 m + (1 - b1) u`,
/// `v <- b2 v + (1 - b2) u^2`, and the update `m_hat / (sqrt(v_hat) + eps)` with the bias
/// corrections `m_hat = m / (1 - b1^t)`, `v_hat = v / (1 - b2^t)` at step `t = step + 1`.
/// The learning rate is the schedule's, applied after.
///
/// ```
/// use tapeless_runtime::optim::{GradientTransform, ScaleByAdam};
/// // The first step's update is the sign of the gradient, up to eps.
/// let mut adam = ScaleByAdam::new();
/// let mut u = [3.0, -0.01];
/// adam.update(&mut u, &[0.0; 2], 0);
/// assert!((u[0] - 1.0).abs() < 1e-8 && (u[1] + 1.0).abs() < 1e-5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleByAdam {
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Default for ScaleByAdam {
    fn default() -> Self {
        Self::new()
    }
}

impl ScaleByAdam {
    /// The usual decays 0.9 and 0.999, and `eps = 1e-8` (see the example of [`ScaleByAdam`]).
    pub fn new() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Other decays and `eps`.
    ///
    /// ```
    /// use tapeless_runtime::optim::ScaleByAdam;
    /// assert!(ScaleByAdam::with(0.9, 0.95, 1e-8).is_ok());
    /// assert!(ScaleByAdam::with(1.0, 0.95, 1e-8).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// [`OptimError::Hyperparameter`] unless both decays are in `[0, 1)` and `eps` is finite
    /// and not negative.
    pub fn with(beta1: f64, beta2: f64, epsilon: f64) -> Result<Self, OptimError> {
        for (what, beta) in [("beta1", beta1), ("beta2", beta2)] {
            if !(0.0..1.0).contains(&beta) {
                return Err(OptimError::Hyperparameter {
                    what,
                    value: beta,
                    rule: "in [0, 1)",
                });
            }
        }
        Ok(Self {
            beta1,
            beta2,
            epsilon: check_hyperparameter("epsilon", epsilon, false)?,
            ..Self::new()
        })
    }

    /// The first moment (empty before the first step).
    ///
    /// ```
    /// use tapeless_runtime::optim::{GradientTransform, ScaleByAdam};
    /// let mut adam = ScaleByAdam::new();
    /// assert!(adam.first_moment().is_empty());
    /// adam.update(&mut [2.0], &[0.0], 0);
    /// assert_eq!(adam.first_moment(), [(1.0 - 0.9) * 2.0]);
    /// assert_eq!(adam.second_moment(), [(1.0 - 0.999) * 2.0 * 2.0]);
    /// ```
    pub fn first_moment(&self) -> &[f64] {
        &self.m
    }

    /// The second moment (empty before the first step; see the example of
    /// [`ScaleByAdam::first_moment`]).
    pub fn second_moment(&self) -> &[f64] {
        &self.v
    }
}

impl GradientTransform for ScaleByAdam {
    fn check(&self, len: usize) -> Result<(), OptimError> {
        if !self.m.is_empty() && self.m.len() != len {
            return Err(OptimError::Input(InputError::WrongLength {
                what: "parameters",
                expected: self.m.len(),
                found: len,
            }));
        }
        Ok(())
    }

    fn update(&mut self, update: &mut [f64], _params: &[f64], step: u64) {
        if self.m.is_empty() {
            self.m = vec![0.0; update.len()];
            self.v = vec![0.0; update.len()];
        }
        // `powi` takes an i32: past 2^31 steps the corrections are 1 to rounding anyway.
        let t = i32::try_from(step.saturating_add(1)).unwrap_or(i32::MAX);
        let c1 = 1.0 - self.beta1.powi(t);
        let c2 = 1.0 - self.beta2.powi(t);
        for ((u, m), v) in update.iter_mut().zip(&mut self.m).zip(&mut self.v) {
            *m = self.beta1 * *m + (1.0 - self.beta1) * *u;
            *v = self.beta2 * *v + (1.0 - self.beta2) * *u * *u;
            *u = (*m / c1) / ((*v / c2).sqrt() + self.epsilon);
        }
    }

    fn state(&self) -> Vec<(String, &[f64])> {
        vec![("adam.m".into(), &self.m), ("adam.v".into(), &self.v)]
    }

    fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)> {
        vec![
            ("adam.m".into(), &mut self.m),
            ("adam.v".into(), &mut self.v),
        ]
    }
}
