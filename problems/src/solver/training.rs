//! Training the learned solver (issue 14): the options of a run ([`Training`]: Adam, a cosine
//! schedule, per-window clipping, augmentation), a run in progress and its checkpoints
//! ([`Run`], [`load_training_state`]), and one epoch over the training windows by any
//! [`Executor`] (the batched epoch is in [`solver_batch`](crate::solver_batch)).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::Path;
use tapeless::nested::NestedError;
use tapeless::optim::{
    clip_by_norm, Adam, CheckpointError, OptimError, Resumable, Schedule, TrainingState,
};
use tapeless::parallel::{Executor, WindowError};
use tapeless::params::ParamsError;

use super::{layout, shipped_layout, Window, SHIPPED_TENSORS, STATE, TENSORS};

/// The options of a training run of the solver (the `learned_solver` example's `--train`): Adam
/// with a cosine decay of its step size to zero over the run, each window's hypergradient
/// clipped to norm at most `clip` ([`clip_by_norm`]) before the batch mean, and optionally each
/// window seen with a background of a random phase every epoch (data augmentation).
///
/// ```
/// use tapeless_problems::solver::{layout, Training, Window, STATE};
/// use tapeless::parallel::Serial;
/// let plan = Training { batch: 2, epochs: 1, learning_rate: 1e-4, clip: 1.0, augment: false };
/// let windows = Window::many(0..2);
/// let layout = layout(STATE);
/// let mut run = plan.start(tapeless_problems::solver::initial_parameters(&layout, 1), 1);
/// let before = run.state.params.clone();
/// let loss = plan.epoch(&Serial, &windows, &mut run, |_, _| {})?;
/// assert!(loss > 0.0 && run.state.params != before && run.state.epoch == 1);
/// # Ok::<(), tapeless_problems::solver::TrainingError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Training {
    /// Windows per Adam step.
    pub batch: usize,
    /// Passes over the training windows (the length of the cosine decay).
    pub epochs: usize,
    /// Adam's peak step size.
    pub learning_rate: f64,
    /// Each window's hypergradient is scaled to at most this norm.
    pub clip: f64,
    /// Each window with a background of a random phase every epoch.
    pub augment: bool,
}

/// A training run in progress: the [`TrainingState`] a checkpoint saves (weights, Adam's
/// moments and step count, epoch, random generator) and the current order of the windows, which
/// each epoch shuffles further (a resumed run rebuilds it, see [`Training::resume`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The state a checkpoint saves.
    pub state: TrainingState<Adam>,
    /// The order of the training windows after the last epoch's shuffle.
    pub order: Vec<usize>,
}

/// Why a training step failed.
#[derive(Debug)]
pub enum TrainingError {
    /// A window's hypergradient failed: the training windows of the batch, and the error
    /// (which names the window by its index in the batch).
    Window {
        /// The batch's training windows, in order.
        batch: Vec<usize>,
        /// The executor's error.
        source: WindowError<NestedError>,
    },
    /// The optimiser refused the step.
    Optim(OptimError),
    /// A checkpoint does not fit this run's options.
    Checkpoint(String),
}

impl std::fmt::Display for TrainingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Window { batch, source } => {
                write!(
                    f,
                    "training step on the batch of windows {batch:?}: {source}"
                )
            }
            Self::Optim(e) => write!(f, "training step: {e}"),
            Self::Checkpoint(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrainingError {}

impl Training {
    /// Adam steps per epoch over `windows` training windows.
    pub fn steps_per_epoch(&self, windows: usize) -> usize {
        windows.div_ceil(self.batch.max(1))
    }

    /// The step size at Adam step `step` of a run over `windows` windows: a cosine decay from
    /// the peak to zero, `peak 0.5 (1 + cos(pi (step / total)))`. (The division comes before the
    /// product with pi, as in the run that produced the shipped weights; `optim::CosineDecay`
    /// computes `(pi step) / total`, which differs in the last bit at about a quarter of the
    /// steps of a long run.)
    pub fn schedule(&self, windows: usize) -> impl Schedule {
        let total = (self.epochs * self.steps_per_epoch(windows)) as f64;
        let peak = self.learning_rate;
        move |step: u64| peak * 0.5 * (1.0 + (std::f64::consts::PI * (step as f64 / total)).cos())
    }

    /// A new run from weights `theta`, its random generator seeded with `seed`.
    pub fn start(&self, theta: Vec<f64>, seed: u64) -> Run {
        Run {
            state: TrainingState {
                params: theta,
                optimizer: Adam::new(self.learning_rate),
                epoch: 0,
                rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            },
            order: Vec::new(),
        }
    }

    /// Continues a run from a saved state over `windows` windows: replays the window orders and
    /// background phases of its epochs from `seed` (they cost no hypergradient) and checks that
    /// they leave the saved random generator and step count, so a resumed run continues bit
    /// for bit, or says that the checkpoint came from other options (another number of windows,
    /// seed, augmentation or steps per epoch; the peak step size, clipping and number of epochs
    /// are not in the checkpoint: pass the same).
    pub fn resume(
        &self,
        state: TrainingState<Adam>,
        windows: usize,
        seed: u64,
    ) -> Result<Run, TrainingError> {
        let mut replay = self.start(Vec::new(), seed);
        for _ in 0..state.epoch {
            self.draw_epoch(windows, &mut replay);
        }
        let steps = state.epoch * self.steps_per_epoch(windows) as u64;
        if replay.state.rng != state.rng || state.optimizer.step_count() != steps {
            return Err(TrainingError::Checkpoint(format!(
                "the checkpoint (epoch {}, {} Adam steps) was not written by a run with these options ({windows} windows, batches of {}, augmentation {}, seed {seed}); resume with the options it was trained with",
                state.epoch,
                state.optimizer.step_count(),
                self.batch,
                if self.augment { "on" } else { "off" },
            )));
        }
        Ok(Run {
            state,
            order: replay.order,
        })
    }

    /// One epoch's batches: shuffles the run's order and draws each window's background phase.
    pub(crate) fn draw_epoch(
        &self,
        windows: usize,
        run: &mut Run,
    ) -> Vec<Vec<(usize, Option<f64>)>> {
        use rand::seq::SliceRandom;
        use rand::Rng;
        if run.order.len() != windows {
            run.order = (0..windows).collect();
        }
        let rng = &mut run.state.rng;
        run.order.shuffle(rng);
        run.order
            .chunks(self.batch.max(1))
            .map(|batch| {
                batch
                    .iter()
                    .map(|&i| {
                        let phase = self
                            .augment
                            .then(|| rng.random_range(0.0..std::f64::consts::TAU));
                        (i, phase)
                    })
                    .collect()
            })
            .collect()
    }

    /// One epoch over `train`: each batch's windows summed in window order by `executor`
    /// ([`Serial`](tapeless::parallel::Serial), `Threads`, `Mpi`: the same bits), then one
    /// Adam step. Calls `on_step(step, batch mean loss)` after each step; returns the epoch's
    /// mean loss.
    pub fn epoch(
        &self,
        executor: &impl Executor,
        train: &[Window],
        run: &mut Run,
        mut on_step: impl FnMut(usize, f64),
    ) -> Result<f64, TrainingError> {
        let batches = self.draw_epoch(train.len(), run);
        let schedule = self.schedule(train.len());
        let n = run.state.params.len();
        let mut epoch_loss = 0.0;
        for (step, batch) in batches.iter().enumerate() {
            let theta = &run.state.params;
            let sum = executor
                .sum_windows(batch, n, |&(i, phase), grad| {
                    let augmented;
                    let window = match phase {
                        Some(phase) => {
                            augmented = train[i].with_background_phase(phase);
                            &augmented
                        }
                        None => &train[i],
                    };
                    let r = window.hypergradient(theta)?;
                    grad.copy_from_slice(&r.theta);
                    clip_by_norm(grad, self.clip);
                    Ok(r.loss)
                })
                .map_err(|source| TrainingError::Window {
                    batch: batch.iter().map(|&(i, _)| i).collect(),
                    source,
                })?;
            let scale = 1.0 / batch.len().max(1) as f64;
            let mut grad = sum.gradient;
            grad.iter_mut().for_each(|g| *g *= scale);
            let loss = sum.loss * scale;
            epoch_loss += loss * batch.len() as f64;
            let adam = &mut run.state.optimizer;
            adam.learning_rate = schedule.learning_rate(adam.step_count());
            adam.step(&mut run.state.params, &grad)
                .map_err(TrainingError::Optim)?;
            on_step(step, loss);
        }
        run.state.epoch += 1;
        Ok(epoch_loss / train.len() as f64)
    }
}

/// A training state saved by [`TrainingState::save`] with [`layout`], or with
/// [`shipped_layout`] (the first shipped solver's nine tensors, before the previous step's
/// inputs were appended): then the appended weights and their Adam moments are zero, as
/// [`load`](super::load) reads nine-tensor weights, so the run resumes with the same solver
/// (at zero the new inputs add exact zeros) and its step count, epoch and random generator.
///
/// ```
/// use rand::SeedableRng;
/// use rand_xoshiro::Xoshiro256PlusPlus;
/// use tapeless::optim::{Adam, TrainingState};
/// use tapeless_problems::solver::{
///     initial_parameters, layout, load_training_state, shipped_layout, STATE,
/// };
///
/// let old = shipped_layout(STATE);
/// let mut state = TrainingState {
///     params: initial_parameters(&old, 1),
///     optimizer: Adam::new(1e-4),
///     epoch: 2,
///     rng: Xoshiro256PlusPlus::seed_from_u64(3),
/// };
/// let gradient = vec![1e-3; old.len()];
/// state.optimizer.step(&mut state.params, &gradient)?;
/// let path = std::env::temp_dir().join("tapeless-solver-state-doctest.safetensors");
/// state.save(&old, &path)?;
/// let resumed = load_training_state(&path, Adam::new(1e-4))?;
/// assert_eq!(resumed.params.len(), layout(STATE).len());
/// assert_eq!(&resumed.params[..old.len()], &state.params[..]);
/// assert!(resumed.params[old.len()..].iter().all(|w| *w == 0.0));
/// assert_eq!((resumed.epoch, resumed.rng), (2, state.rng));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`TrainingState::load`] with [`layout`].
pub fn load_training_state(
    path: impl AsRef<Path>,
    optimizer: Adam,
) -> Result<TrainingState<Adam>, CheckpointError> {
    let full = layout(STATE);
    match TrainingState::load(&full, path.as_ref(), optimizer.clone()) {
        Err(CheckpointError::Params(ParamsError::MissingTensor { name }))
            if TENSORS[SHIPPED_TENSORS..]
                .iter()
                .any(|t| name == *t || name.ends_with(&format!(".{t}"))) =>
        {
            let mut state = TrainingState::load(&shipped_layout(STATE), path, optimizer)?;
            state.params.resize(full.len(), 0.0);
            for (_, moment) in state.optimizer.state_mut() {
                if !moment.is_empty() {
                    moment.resize(full.len(), 0.0);
                }
            }
            Ok(state)
        }
        r => r,
    }
}
