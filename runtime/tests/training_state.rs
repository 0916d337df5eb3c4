//! Training state saved and resumed: a run stopped, saved, loaded into fresh objects and
//! continued ends with the same bits as the run that never stopped; bad files are named errors.

use rand::Rng;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tapeless_runtime::optim::{
    Adam, AddDecayedWeights, CheckpointError, ClipByGlobalNorm, GradientDescent, Optimizer,
    Resumable, ScaleByAdam, TrainingState, WarmupCosine,
};
use tapeless_runtime::parallel::{Executor, Serial};
use tapeless_runtime::params::{Layout, ParamsError};

/// A linear model `y = W x + b` with `W` 3 x 4, trained on 24 windows `(x, y)`.
fn layout() -> Layout {
    Layout::new()
        .tensor("dense.weight", &[3, 4])
        .unwrap()
        .tensor("dense.bias", &[3])
        .unwrap()
}

type Window = ([f64; 4], [f64; 3]);

fn windows() -> Vec<Window> {
    (0..24)
        .map(|w| {
            let x = [0, 1, 2, 3].map(|i| ((w * 4 + i) as f64 * 0.37).sin());
            let y = [0, 1, 2].map(|r| x[r] - 0.5 * x[r + 1] + 0.1 * r as f64 + 0.01 * w as f64);
            (x, y)
        })
        .collect()
}

/// Squared error of one window and its gradient.
fn per_window(theta: &[f64], (x, y): &Window, grad: &mut [f64]) -> Result<f64, String> {
    let mut loss = 0.0;
    for r in 0..3 {
        let mut pred = theta[12 + r];
        for c in 0..4 {
            pred += theta[4 * r + c] * x[c];
        }
        let e = pred - y[r];
        loss += e * e;
        for c in 0..4 {
            grad[4 * r + c] = 2.0 * e * x[c];
        }
        grad[12 + r] = 2.0 * e;
    }
    Ok(loss)
}

trait Step {
    fn take(&mut self, params: &mut [f64], grad: &[f64]);
}

impl<T: tapeless_runtime::optim::GradientTransform, S: tapeless_runtime::optim::Schedule> Step
    for Optimizer<T, S>
{
    fn take(&mut self, params: &mut [f64], grad: &[f64]) {
        self.step(params, grad).unwrap();
    }
}

impl Step for Adam {
    fn take(&mut self, params: &mut [f64], grad: &[f64]) {
        self.step(params, grad).unwrap();
    }
}

/// Epochs until `state.epoch == until`: a new seeded order of the windows each epoch, batches
/// of 5, the mean gradient of each batch.
fn train<O: Step>(state: &mut TrainingState<O>, data: &[Window], until: u64) {
    while state.epoch < until {
        let mut order: Vec<usize> = (0..data.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, state.rng.random_range(0..=i));
        }
        for batch in order.chunks(5) {
            let batch: Vec<&Window> = batch.iter().map(|&i| &data[i]).collect();
            let theta = state.params.clone();
            let (_, grad) = Serial
                .sum_windows(&batch, theta.len(), |w, g| per_window(&theta, w, g))
                .unwrap()
                .mean();
            state.optimizer.take(&mut state.params, &grad);
        }
        state.epoch += 1;
    }
}

fn adamw() -> Optimizer<(ClipByGlobalNorm, ScaleByAdam, AddDecayedWeights), WarmupCosine> {
    Optimizer::new(
        (
            ClipByGlobalNorm::new(1.0).unwrap(),
            ScaleByAdam::new(),
            AddDecayedWeights::new(1e-3).unwrap(),
        ),
        WarmupCosine::new(0.0, 0.05, 5, 25, 0.001).unwrap(),
    )
}

fn start<O>(optimizer: O) -> TrainingState<O> {
    let layout = layout();
    let mut params = layout.zeros();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    layout
        .glorot_uniform(&mut params, "dense.weight", &mut rng)
        .unwrap();
    TrainingState {
        params,
        optimizer,
        epoch: 0,
        rng,
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "tapeless-training-{name}-{}.safetensors",
        std::process::id()
    ))
}

/// Stops after `stop` of `epochs` epochs, saves, resumes from the file into `fresh`, finishes;
/// returns (uninterrupted, resumed).
fn stop_and_resume<O: Step + Resumable + Clone>(
    optimizer: O,
    fresh: O,
    stop: u64,
    epochs: u64,
    name: &str,
) -> (TrainingState<O>, TrainingState<O>) {
    let data = windows();
    let mut straight = start(optimizer.clone());
    train(&mut straight, &data, epochs);

    let mut first = start(optimizer);
    train(&mut first, &data, stop);
    let path = temp(name);
    first.save(&layout(), &path).unwrap();
    drop(first);
    let loaded = TrainingState::load(&layout(), &path, fresh);
    std::fs::remove_file(&path).unwrap();
    let mut resumed = loaded.unwrap();
    assert_eq!(resumed.epoch, stop);
    train(&mut resumed, &data, epochs);
    (straight, resumed)
}

#[test]
fn a_resumed_adamw_run_is_the_uninterrupted_run_to_the_bit() {
    let (straight, mut resumed) = stop_and_resume(adamw(), adamw(), 2, 5, "adamw");
    assert_eq!(bits(&resumed.params), bits(&straight.params));
    for ((name, a), (_, b)) in resumed
        .optimizer
        .state()
        .iter()
        .zip(straight.optimizer.state())
    {
        assert_eq!(bits(a), bits(b), "{name}");
    }
    assert_eq!(resumed.optimizer.steps(), 25);
    assert_eq!(resumed.epoch, 5);
    let mut other = straight.rng.clone();
    assert_eq!(resumed.rng.random::<u64>(), other.random::<u64>());
    // Training moved the weights (the comparison is not of two copies of the start), and the
    // resumed run needed the saved state: a restart from the saved weights alone differs.
    assert_ne!(bits(&straight.params), bits(&start(adamw()).params));
    let data = windows();
    let mut half = start(adamw());
    train(&mut half, &data, 2);
    let mut weights_only = TrainingState {
        params: half.params.clone(),
        optimizer: adamw(),
        epoch: 2,
        rng: half.rng.clone(),
    };
    train(&mut weights_only, &data, 5);
    assert_ne!(bits(&weights_only.params), bits(&straight.params));
    let mut fresh_rng = TrainingState {
        rng: Xoshiro256PlusPlus::seed_from_u64(2024),
        ..half
    };
    train(&mut fresh_rng, &data, 5);
    assert_ne!(bits(&fresh_rng.params), bits(&straight.params));
}

#[test]
fn a_resumed_adam_run_is_the_uninterrupted_run_to_the_bit() {
    let (straight, resumed) = stop_and_resume(Adam::new(0.02), Adam::new(0.02), 3, 4, "adam");
    assert_eq!(bits(&resumed.params), bits(&straight.params));
    assert_eq!(resumed.optimizer, straight.optimizer);
    assert_eq!(resumed.optimizer.steps(), 20);
}

#[test]
fn a_state_saved_before_any_step_resumes() {
    let state = start(adamw());
    let bytes = state.to_safetensors(&layout()).unwrap();
    let back = TrainingState::from_safetensors(&layout(), &bytes, adamw()).unwrap();
    assert_eq!(bits(&back.params), bits(&state.params));
    assert_eq!(back.optimizer.steps(), 0);
    assert_eq!(back.rng, state.rng);
}

#[test]
fn bad_or_mismatched_files_are_named_errors() {
    let layout = layout();
    let mut state = start(adamw());
    train(&mut state, &windows(), 1);
    let bytes = state.to_safetensors(&layout).unwrap();

    // Cut short.
    let err =
        TrainingState::from_safetensors(&layout, &bytes[..bytes.len() - 3], adamw()).unwrap_err();
    assert!(
        matches!(err, CheckpointError::Params(ParamsError::Truncated { .. })),
        "{err:?}"
    );
    // A file of weights only.
    let weights = layout.to_safetensors(&state.params).unwrap();
    let err = TrainingState::from_safetensors(&layout, &weights, adamw()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file has no tensor `training.step`: it holds weights only, not a training state; save one with `TrainingState::save`"
    );
    // Another optimiser: Adam's moments are extra for gradient descent, missing for a chain
    // with Adam at another position.
    let err =
        TrainingState::from_safetensors(&layout, &bytes, GradientDescent::new(0.1)).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::Params(ParamsError::UnexpectedTensor { name })
            if name.starts_with("optimizer.1.adam.")),
        "{err:?}"
    );
    let err = TrainingState::from_safetensors(&layout, &bytes, Adam::new(0.1)).unwrap_err();
    assert!(
        matches!(
            &err,
            CheckpointError::Params(ParamsError::UnexpectedTensor { .. })
        ),
        "{err:?}"
    );
    // Another model.
    let wider = Layout::new()
        .tensor("dense.weight", &[3, 5])
        .unwrap()
        .tensor("dense.bias", &[3])
        .unwrap();
    let err = TrainingState::from_safetensors(&wider, &bytes, adamw()).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::Params(ParamsError::WrongShape { name, .. })
            if name == "dense.weight"),
        "{err:?}"
    );
    // Counters that were not written by `save`: a fractional step, a negative epoch, a word
    // half out of range, a zero generator.
    let names = ["1.adam.m".to_string(), "1.adam.v".to_string()];
    let file = {
        let mut file = layout.clone();
        for name in &names {
            for t in layout.tensors() {
                file = file
                    .tensor(&format!("optimizer.{name}.{}", t.name), &t.shape)
                    .unwrap();
            }
        }
        file.tensor("training.step", &[])
            .unwrap()
            .tensor("training.epoch", &[])
            .unwrap()
            .tensor("training.rng", &[4, 2])
            .unwrap()
    };
    let good = file.from_safetensors(&bytes).unwrap();
    let edited = |at: &str, i: usize, value: f64| {
        let mut flat = good.clone();
        flat[file.range(at).unwrap().start + i] = value;
        TrainingState::from_safetensors(&layout, &file.to_safetensors(&flat).unwrap(), adamw())
            .unwrap_err()
    };
    let err = edited("training.step", 0, 1.5);
    assert_eq!(
        err.to_string(),
        "`training.step` holds 1.5, which is not a whole number in 0..9007199254740992"
    );
    assert!(matches!(
        edited("training.epoch", 0, -1.0),
        CheckpointError::BadCounter {
            name: "training.epoch",
            ..
        }
    ));
    assert!(matches!(
        edited("training.rng", 3, 4_294_967_296.0),
        CheckpointError::BadCounter {
            name: "training.rng",
            ..
        }
    ));
    let mut zero = good.clone();
    let rng = file.range("training.rng").unwrap();
    zero[rng].fill(0.0);
    assert!(matches!(
        TrainingState::from_safetensors(&layout, &file.to_safetensors(&zero).unwrap(), adamw()),
        Err(CheckpointError::ZeroRngState)
    ));
    // A step count past Adam's i32 counter.
    let mut many = good.clone();
    many[file.range("training.step").unwrap().start] = 3e9;
    let adam_file = {
        let mut f = layout.clone();
        for name in ["adam.m", "adam.v"] {
            for t in layout.tensors() {
                f = f
                    .tensor(&format!("optimizer.{name}.{}", t.name), &t.shape)
                    .unwrap();
            }
        }
        f.tensor("training.step", &[])
            .unwrap()
            .tensor("training.epoch", &[])
            .unwrap()
            .tensor("training.rng", &[4, 2])
            .unwrap()
    };
    let err = TrainingState::from_safetensors(
        &layout,
        &adam_file.to_safetensors(&many).unwrap(),
        Adam::new(0.1),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a step count of 3000000000 does not fit the optimiser's counter (at most 2147483647)"
    );
    // A file that is not there.
    assert!(matches!(
        TrainingState::load(&layout, "/nonexistent/state.safetensors", adamw()),
        Err(CheckpointError::Params(ParamsError::Io { .. }))
    ));
    // Weights of the wrong length cannot be saved.
    let short = TrainingState {
        params: vec![0.0; 3],
        ..state
    };
    assert!(short.to_safetensors(&layout).is_err());
}
