//! Training state saved to and resumed from one safetensors file, through the writer and
//! reader of [`params`](crate::params).

use std::path::Path;

use rand_xoshiro::Xoshiro256PlusPlus;
use thiserror::Error;

use super::{Adam, GradientDescent, GradientTransform, OptimError, Optimizer, Schedule};
use crate::params::{Layout, ParamsError};
use crate::InputError;

/// An optimiser whose state can be saved and restored: its step count and its named state
/// vectors (each as long as the parameters, or empty before the first step).
///
/// ```
/// use tapeless_runtime::optim::{Adam, Resumable};
/// let mut adam = Adam::new(0.1);
/// adam.step(&mut [1.0], &[2.0]).unwrap();
/// let names: Vec<String> = adam.state().into_iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["adam.m", "adam.v"]);
/// assert_eq!(adam.step_count(), 1);
/// ```
pub trait Resumable {
    /// The number of steps taken.
    fn step_count(&self) -> u64;

    /// Sets the number of steps taken.
    ///
    /// # Errors
    ///
    /// [`OptimError::TooManySteps`] if the optimiser's counter cannot hold `steps`.
    fn set_step_count(&mut self, steps: u64) -> Result<(), OptimError>;

    /// The named state vectors.
    fn state(&self) -> Vec<(String, &[f64])>;

    /// The same vectors, to restore.
    fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)>;
}

impl<T: GradientTransform, S: Schedule> Resumable for Optimizer<T, S> {
    fn step_count(&self) -> u64 {
        self.steps()
    }

    fn set_step_count(&mut self, steps: u64) -> Result<(), OptimError> {
        self.set_steps(steps);
        Ok(())
    }

    fn state(&self) -> Vec<(String, &[f64])> {
        self.transform.state()
    }

    fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)> {
        self.transform.state_mut()
    }
}

impl Resumable for Adam {
    fn step_count(&self) -> u64 {
        // The counter only counts up from 0.
        u64::try_from(self.steps).unwrap_or(0)
    }

    fn set_step_count(&mut self, steps: u64) -> Result<(), OptimError> {
        self.steps = i32::try_from(steps).map_err(|_| OptimError::TooManySteps {
            steps,
            max: i32::MAX as u64,
        })?;
        Ok(())
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

/// Gradient descent keeps no state and counts no steps.
impl Resumable for GradientDescent {
    fn step_count(&self) -> u64 {
        0
    }

    fn set_step_count(&mut self, _steps: u64) -> Result<(), OptimError> {
        Ok(())
    }

    fn state(&self) -> Vec<(String, &[f64])> {
        Vec::new()
    }

    fn state_mut(&mut self) -> Vec<(String, &mut Vec<f64>)> {
        Vec::new()
    }
}

/// A training state that cannot be saved or resumed.
///
/// ```
/// use tapeless_runtime::optim::{Adam, CheckpointError, TrainingState};
/// use tapeless_runtime::params::Layout;
/// let layout = Layout::new().tensor("w", &[2])?;
/// // A file of weights only is not a training state.
/// let weights = layout.to_safetensors(&[1.0, 2.0])?;
/// let err = TrainingState::from_safetensors(&layout, &weights, Adam::new(0.1)).unwrap_err();
/// assert!(matches!(err, CheckpointError::NotATrainingState { .. }));
/// # Ok::<(), tapeless_runtime::params::ParamsError>(())
/// ```
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// The file, or the weights in it, do not fit the layout (a missing, extra or reshaped
    /// tensor, a truncated or corrupt file, another format, an I/O error, ...).
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The file has the weights but not the tensor `missing`: it holds weights only (saved
    /// with [`Layout::save`]), not a training state.
    #[error("the file has no tensor `{missing}`: it holds weights only, not a training state; save one with `TrainingState::save`")]
    NotATrainingState {
        /// The first training tensor missing.
        missing: String,
    },
    /// A counter (`training.step`, `training.epoch`, `training.rng`) that is not a whole
    /// number in its range: the file was not written by [`TrainingState::save`].
    #[error("`{name}` holds {value}, which is not a whole number in 0..{limit}")]
    BadCounter {
        /// The tensor.
        name: &'static str,
        /// The value found.
        value: f64,
        /// The exclusive upper bound.
        limit: f64,
    },
    /// The generator's state is all zeros, which xoshiro never reaches.
    #[error("`training.rng` is all zeros, which is not a state of Xoshiro256PlusPlus")]
    ZeroRngState,
    /// An optimiser state vector whose length is neither 0 nor the parameters'.
    #[error("{0}")]
    Input(#[from] InputError),
    /// The optimiser cannot take the saved step count.
    #[error(transparent)]
    Optim(#[from] OptimError),
}

/// What a training run needs to continue where it stopped: the weights, the optimiser (its
/// hyperparameters are the caller's, its state the file's), the epoch and the random
/// generator (which shuffles the windows). Saved through the writer and reader of
/// [`params`](crate::params), the file holds, as `F64` tensors (so PyTorch and `safetensors`
/// open it):
///
/// - the weights, under the layout's own names (`layer1.weight`, ...);
/// - each state vector of the optimiser, per tensor: `optimizer.adam.m.layer1.weight`, ... (a
///   chain prefixes its stage's position: `optimizer.1.adam.m.layer1.weight`);
/// - `training.step` and `training.epoch`, scalars holding whole numbers;
/// - `training.rng`, shape `[4, 2]`: the four 64-bit words of the [`Xoshiro256PlusPlus`]
///   state (read and written through its serde derive), each as its high and low 32 bits
///   (whole numbers, exact in `f64`).
///
/// A run resumed from the file continues bit for bit: the same weights, moments, learning
/// rates and random draws as the run that never stopped.
///
/// ```
/// use rand::Rng;
/// use rand_xoshiro::rand_core::SeedableRng;
/// use rand_xoshiro::Xoshiro256PlusPlus;
/// use tapeless_runtime::optim::{Adam, TrainingState};
/// use tapeless_runtime::params::Layout;
///
/// let layout = Layout::new().tensor("w", &[2])?;
/// let mut state = TrainingState {
///     params: vec![1.0, -1.0],
///     optimizer: Adam::new(0.1),
///     epoch: 3,
///     rng: Xoshiro256PlusPlus::seed_from_u64(5),
/// };
/// state.optimizer.step(&mut state.params, &[0.5, 0.25])?;
/// let bytes = state.to_safetensors(&layout)?;
///
/// let mut resumed = TrainingState::from_safetensors(&layout, &bytes, Adam::new(0.1))?;
/// assert_eq!(resumed, state);
/// assert_eq!(resumed.rng.random::<u64>(), state.rng.random::<u64>());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingState<O> {
    /// The weights, in the layout's order.
    pub params: Vec<f64>,
    /// The optimiser.
    pub optimizer: O,
    /// The epoch (the caller's count: the epochs done, or the one under way).
    pub epoch: u64,
    /// The random generator of the run.
    pub rng: Xoshiro256PlusPlus,
}

/// Counters are stored as `f64`, exact below 2^53.
const COUNTER_LIMIT: f64 = 9_007_199_254_740_992.0;

const STEP: &str = "training.step";
const EPOCH: &str = "training.epoch";
const RNG: &str = "training.rng";

/// The four words of the generator's state, read through its serde derive.
fn rng_words(rng: &Xoshiro256PlusPlus) -> [u64; 4] {
    let value = serde_json::to_value(rng).expect("the state of xoshiro serialises");
    serde_json::from_value(value["s"].clone()).expect("xoshiro's state is four words")
}

fn rng_from_words(s: [u64; 4]) -> Xoshiro256PlusPlus {
    serde_json::from_value(serde_json::json!({ "s": s })).expect("four words are a state")
}

/// The layout of the whole file: the weights, the optimiser's state per tensor, the counters.
fn file_layout(layout: &Layout, state_names: &[String]) -> Result<Layout, ParamsError> {
    let mut file = layout.clone();
    for name in state_names {
        for t in layout.tensors() {
            file = file.tensor(&format!("optimizer.{name}.{}", t.name), &t.shape)?;
        }
    }
    file.tensor(STEP, &[])?
        .tensor(EPOCH, &[])?
        .tensor(RNG, &[4, 2])
}

fn counter(name: &'static str, value: f64) -> Result<u64, CheckpointError> {
    if (0.0..COUNTER_LIMIT).contains(&value) && value.fract() == 0.0 {
        Ok(value as u64)
    } else {
        Err(CheckpointError::BadCounter {
            name,
            value,
            limit: COUNTER_LIMIT,
        })
    }
}

impl<O: Resumable> TrainingState<O> {
    /// The state as the bytes of a safetensors file (see [`TrainingState`] for its tensors and
    /// an example).
    ///
    /// # Errors
    ///
    /// Weights not of the layout's length or not finite, an optimiser state vector of another
    /// length than the weights, or a non-finite optimiser state.
    pub fn to_safetensors(&self, layout: &Layout) -> Result<Vec<u8>, CheckpointError> {
        InputError::check_length("parameter vector", layout.len(), self.params.len())?;
        let state = self.optimizer.state();
        let names: Vec<String> = state.iter().map(|(name, _)| name.clone()).collect();
        let file = file_layout(layout, &names)?;
        let mut flat = Vec::with_capacity(file.len());
        flat.extend_from_slice(&self.params);
        for (_, v) in &state {
            if v.is_empty() {
                // Before the first step: zeros, which is where the moments start.
                flat.extend(std::iter::repeat_n(0.0, layout.len()));
            } else {
                InputError::check_length("optimizer state", layout.len(), v.len())?;
                flat.extend_from_slice(v);
            }
        }
        for (name, count) in [(STEP, self.optimizer.step_count()), (EPOCH, self.epoch)] {
            let value = count as f64;
            counter(name, value)?;
            flat.push(value);
        }
        for word in rng_words(&self.rng) {
            flat.push((word >> 32) as f64);
            flat.push((word & 0xffff_ffff) as f64);
        }
        Ok(file.to_safetensors(&flat)?)
    }

    /// Reads a state written by [`TrainingState::to_safetensors`] into `optimizer` (fresh, with
    /// the run's hyperparameters: its state vectors and step count are the file's; see the
    /// example of [`TrainingState`]).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Params`] for a file that does not fit the layout and the optimiser
    /// (a tensor missing or extra, another shape, a corrupt or truncated file, another
    /// format), [`CheckpointError::NotATrainingState`] for a file of weights only,
    /// [`CheckpointError::BadCounter`] or [`CheckpointError::ZeroRngState`] for counters that
    /// [`TrainingState::to_safetensors`] does not write.
    pub fn from_safetensors(
        layout: &Layout,
        bytes: &[u8],
        optimizer: O,
    ) -> Result<Self, CheckpointError> {
        let names: Vec<String> = optimizer.state().into_iter().map(|(n, _)| n).collect();
        let file = file_layout(layout, &names)?;
        let flat = file
            .from_safetensors(bytes)
            .map_err(|e| not_a_training_state(bytes, e))?;
        Self::from_flat(layout, &file, &flat, optimizer)
    }

    fn from_flat(
        layout: &Layout,
        file: &Layout,
        flat: &[f64],
        mut optimizer: O,
    ) -> Result<Self, CheckpointError> {
        let n = layout.len();
        let step = counter(STEP, file.view(flat, STEP)?[0])?;
        let epoch = counter(EPOCH, file.view(flat, EPOCH)?[0])?;
        let mut words = [0_u64; 4];
        for (word, halves) in words.iter_mut().zip(file.view(flat, RNG)?.chunks_exact(2)) {
            let limit = 4_294_967_296.0;
            let [high, low] = [halves[0], halves[1]].map(|half| {
                if (0.0..limit).contains(&half) && half.fract() == 0.0 {
                    Ok(half as u64)
                } else {
                    Err(CheckpointError::BadCounter {
                        name: RNG,
                        value: half,
                        limit,
                    })
                }
            });
            *word = (high? << 32) | low?;
        }
        if words == [0; 4] {
            return Err(CheckpointError::ZeroRngState);
        }
        optimizer.set_step_count(step)?;
        for (i, (_, v)) in optimizer.state_mut().into_iter().enumerate() {
            let start = n * (i + 1);
            *v = flat[start..start + n].to_vec();
        }
        Ok(Self {
            params: flat[..n].to_vec(),
            optimizer,
            epoch,
            rng: rng_from_words(words),
        })
    }

    /// Saves the state to a safetensors file (see [`TrainingState::to_safetensors`]).
    ///
    /// ```
    /// use rand_xoshiro::rand_core::SeedableRng;
    /// use rand_xoshiro::Xoshiro256PlusPlus;
    /// use tapeless_runtime::optim::{adamw, Constant, TrainingState};
    /// use tapeless_runtime::params::Layout;
    ///
    /// let layout = Layout::new().tensor("w", &[3])?;
    /// let mut state = TrainingState {
    ///     params: vec![0.5; 3],
    ///     optimizer: adamw(Constant(0.01), 1e-4)?,
    ///     epoch: 0,
    ///     rng: Xoshiro256PlusPlus::seed_from_u64(1),
    /// };
    /// state.optimizer.step(&mut state.params, &[1.0, 2.0, 3.0])?;
    /// state.epoch = 1;
    /// let path = std::env::temp_dir().join(format!("state-{}.safetensors", std::process::id()));
    /// state.save(&layout, &path)?;
    /// let resumed = TrainingState::load(&layout, &path, adamw(Constant(0.01), 1e-4)?)?;
    /// std::fs::remove_file(&path)?;
    /// assert_eq!(resumed, state);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`TrainingState::to_safetensors`], or an I/O error naming the file.
    pub fn save(&self, layout: &Layout, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let bytes = self.to_safetensors(layout)?;
        std::fs::write(path.as_ref(), bytes).map_err(|source| {
            CheckpointError::Params(ParamsError::Io {
                path: path.as_ref().into(),
                source,
            })
        })
    }

    /// Loads a state saved by [`TrainingState::save`] (see
    /// [`TrainingState::from_safetensors`], and the example of [`TrainingState::save`]).
    ///
    /// # Errors
    ///
    /// As [`TrainingState::from_safetensors`], or an I/O error naming the file.
    pub fn load(
        layout: &Layout,
        path: impl AsRef<Path>,
        optimizer: O,
    ) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path.as_ref()).map_err(|source| {
            CheckpointError::Params(ParamsError::Io {
                path: path.as_ref().into(),
                source,
            })
        })?;
        Self::from_safetensors(layout, &bytes, optimizer)
    }
}

/// A weights-only file misses the counters (and the optimiser's state): say so, rather than
/// name the first tensor missing.
fn not_a_training_state(bytes: &[u8], e: ParamsError) -> CheckpointError {
    if let ParamsError::MissingTensor { .. } = &e {
        let has_step = safetensors::SafeTensors::deserialize(bytes)
            .map(|file| file.names().contains(&STEP))
            .unwrap_or(true);
        if !has_step {
            return CheckpointError::NotATrainingState {
                missing: STEP.into(),
            };
        }
    }
    CheckpointError::Params(e)
}
