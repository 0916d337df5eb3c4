//! An optimiser built from a chain of gradient transforms and a learning-rate schedule.

use super::{check, AddDecayedWeights, GradientTransform, OptimError, ScaleByAdam, Schedule};

/// `theta <- theta - lr(t) * chain(grad)`: the chain of [`GradientTransform`]s (a tuple, applied
/// left to right) turns the gradient into an update, the [`Schedule`] gives the learning rate
/// of step `t` (the number of steps taken before).
///
/// ```
/// use tapeless_runtime::optim::{ClipByGlobalNorm, Constant, Optimizer};
/// // Gradient descent on clipped gradients.
/// let mut opt = Optimizer::new((ClipByGlobalNorm::new(1.0)?,), Constant(0.5));
/// let mut theta = [0.0, 0.0];
/// opt.step(&mut theta, &[30.0, 40.0])?;
/// assert_eq!(theta, [-0.5 * (30.0 * (1.0 / 50.0)), -0.5 * (40.0 * (1.0 / 50.0))]);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Optimizer<T, S> {
    /// The chain of transforms.
    pub transform: T,
    /// The learning-rate schedule.
    pub schedule: S,
    steps: u64,
    /// Scratch for the update, kept between steps so a large model allocates it once.
    update: Vec<f64>,
}

/// Equal transforms (with their state), schedules and step counts; the scratch buffer does not
/// count.
impl<T: PartialEq, S: PartialEq> PartialEq for Optimizer<T, S> {
    fn eq(&self, other: &Self) -> bool {
        self.transform == other.transform
            && self.schedule == other.schedule
            && self.steps == other.steps
    }
}

impl<T: GradientTransform, S: Schedule> Optimizer<T, S> {
    /// An optimiser that has taken no step (see the example of [`Optimizer`]).
    pub fn new(transform: T, schedule: S) -> Self {
        Self {
            transform,
            schedule,
            steps: 0,
            update: Vec::new(),
        }
    }

    /// The number of steps taken.
    ///
    /// ```
    /// use tapeless_runtime::optim::{sgd, CosineDecay};
    /// let mut opt = sgd(CosineDecay::new(1.0, 2, 0.0)?);
    /// assert_eq!((opt.steps(), opt.learning_rate()), (0, 1.0));
    /// opt.step(&mut [0.0], &[1.0])?;
    /// assert_eq!(opt.steps(), 1);
    /// // Resuming at step 2: the schedule has decayed to 0.
    /// opt.set_steps(2);
    /// assert_eq!(opt.learning_rate(), 0.0);
    /// # Ok::<(), tapeless_runtime::optim::OptimError>(())
    /// ```
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Sets the number of steps taken (what the schedule and Adam's bias correction read):
    /// how a [`TrainingState`](super::TrainingState) resumes a run (see the example of
    /// [`Optimizer::steps`]).
    pub fn set_steps(&mut self, steps: u64) {
        self.steps = steps;
    }

    /// The learning rate of the next step (see the example of [`Optimizer::steps`]).
    pub fn learning_rate(&self) -> f64 {
        self.schedule.learning_rate(self.steps)
    }

    /// One step (see the example of [`Optimizer`]).
    ///
    /// # Errors
    ///
    /// [`OptimError::Input`] if the gradient is not as long as the parameters, is not
    /// finite, or the parameters' length differs from the state's;
    /// [`OptimError::NonFiniteLearningRate`] if the schedule gives an infinity or a NaN. On
    /// error the parameters, the state and the step count are as they were.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), OptimError> {
        check(params, grad)?;
        self.transform.check(params.len())?;
        let learning_rate = self.schedule.learning_rate(self.steps);
        if !learning_rate.is_finite() {
            return Err(OptimError::NonFiniteLearningRate {
                step: self.steps,
                value: learning_rate,
            });
        }
        self.update.clear();
        self.update.extend_from_slice(grad);
        self.transform.update(&mut self.update, params, self.steps);
        for (p, u) in params.iter_mut().zip(&self.update) {
            *p -= learning_rate * u;
        }
        self.steps += 1;
        Ok(())
    }
}

/// Gradient descent with a learning-rate schedule: `theta <- theta - lr(t) grad`.
///
/// ```
/// use tapeless_runtime::optim::{sgd, CosineDecay};
/// let mut opt = sgd(CosineDecay::new(0.1, 10, 0.0)?);
/// let mut theta = [1.0];
/// opt.step(&mut theta, &[2.0])?;
/// assert_eq!(theta, [1.0 - 0.1 * 2.0]);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
pub fn sgd<S: Schedule>(schedule: S) -> Optimizer<(), S> {
    Optimizer::new((), schedule)
}

/// AdamW (Loshchilov and Hutter, 2019): Adam's direction plus the decoupled weight decay
/// `weight_decay * theta`, both scaled by the schedule's rate — optax's `adamw`, the chain
/// `(ScaleByAdam, AddDecayedWeights)`. A `weight_decay` of 0 is Adam with a schedule.
///
/// ```
/// use tapeless_runtime::optim::{adamw, Constant};
/// let mut opt = adamw(Constant(0.1), 0.01)?;
/// let mut theta = [2.0];
/// opt.step(&mut theta, &[5.0])?;
/// // First step: Adam's update is 1 (up to eps), the decay adds 0.01 * 2.
/// assert!((theta[0] - (2.0 - 0.1 * (1.0 + 0.02))).abs() < 1e-9);
/// # Ok::<(), tapeless_runtime::optim::OptimError>(())
/// ```
///
/// # Errors
///
/// [`OptimError::Hyperparameter`] unless `weight_decay` is finite and not negative.
pub fn adamw<S: Schedule>(
    schedule: S,
    weight_decay: f64,
) -> Result<Optimizer<(ScaleByAdam, AddDecayedWeights), S>, OptimError> {
    Ok(Optimizer::new(
        (ScaleByAdam::new(), AddDecayedWeights::new(weight_decay)?),
        schedule,
    ))
}
