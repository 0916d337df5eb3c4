//! The learned solver users train (issue 14, `problems/src/solver.rs`): a recurrent network of
//! the state and the normalised gradient. Its hypergradient (the analysis error of `x_K` through
//! K = 5 inner steps) proved three ways: against central differences at a weight of every
//! tensor, against forward mode along a random direction in all weights, and the step's own
//! dot-product test over weights, gradient, state and memory; the fast window builder against
//! the reference one; the parallel window sum against the serial one; bad input as errors.

use tapeless_problems::{l96, solver};

mod common;

use common::{assert_close, Draws};
use solver::*;
use tapeless::check::check_update;
use tapeless::hyper::{StepInputs, Unrolled, Update};
use tapeless::nested::{Gradient, NestedError, NoParameters};

fn parameters() -> (tapeless::params::Layout, Vec<f64>) {
    let layout = layout(STATE);
    let theta = initial_parameters(&layout, 1);
    (layout, theta)
}

#[test]
fn the_layout_has_a_few_hundred_thousand_weights_and_a_memory() {
    let (layout, theta) = parameters();
    let expected = 2 * HIDDEN * STATE
        + HIDDEN
        + HIDDEN * MEMORY
        + HIDDEN
        + HIDDEN * HIDDEN
        + HIDDEN
        + (STATE + MEMORY) * (HIDDEN + 1);
    assert_eq!(shipped_layout(STATE).len(), expected);
    let previous_step = 2 * HIDDEN * STATE;
    assert_eq!(layout.len(), expected + previous_step);
    assert!(layout.len() > 200_000);
    assert_eq!(Solver::new().parameters(STATE), layout.len());
    assert_eq!(Solver::new().carry(STATE), MEMORY + 2 * STATE);
    // The first shipped solver's tensors are a prefix of the layout, at the same offsets.
    for t in shipped_layout(STATE).tensors() {
        assert_eq!(layout.range(&t.name).unwrap(), t.range(), "{}", t.name);
    }
    // Seeded: the same seed, the same weights; another seed, others.
    assert_eq!(initial_parameters(&layout, 1), theta);
    assert_ne!(initial_parameters(&layout, 2), theta);
    assert!(layout
        .view(&theta, "layer2.bias")
        .unwrap()
        .iter()
        .all(|b| *b == 0.0));
}

#[test]
fn the_fast_window_builder_gives_the_reference_windows_to_the_bit() {
    let fast = windows(0..20);
    for w in [0, 1, 7, 19] {
        let reference = l96::window(w);
        assert_eq!(fast[w].truth, reference.truth, "window {w}: truth");
        assert_eq!(fast[w].obs, reference.obs, "window {w}: observations");
        assert_eq!(fast[w].xb, reference.xb, "window {w}: background");
    }
    let later = windows(30..32);
    assert_eq!(later[1].xb, l96::window(31).xb);
}

/// The step's adjoint against its tangent (the step at dual numbers) over the weights, the
/// gradient, the state and the memory at once: `<bar, J dot> = <J^T bar, dot>`.
#[test]
fn the_step_passes_the_dot_product_test() {
    let (_, theta) = parameters();
    let n = STATE;
    let mut rng = Draws::new(5);
    // A gradient of the background's size (|grad J(xb)| is about 1e4) and a small one.
    for scale in [1e4, 1e-1] {
        let grad: Vec<f64> = rng.vec(n).iter().map(|g| scale * g).collect();
        let x: Vec<f64> = rng.vec(n).iter().map(|v| 4.0 * v).collect();
        let carry = rng.vec(carry_len(n));
        let (theta_dot, grad_dot, x_dot, carry_dot) = (
            rng.vec(theta.len()),
            rng.vec(n).iter().map(|g| scale * g).collect::<Vec<_>>(),
            rng.vec(n),
            rng.vec(carry_len(n)),
        );
        let (x_next_bar, carry_next_bar) = (rng.vec(n), rng.vec(carry_len(n)));
        let at = StepInputs {
            theta: &theta,
            grad: &grad,
            x: &x,
            carry: &carry,
        };
        let dot = StepInputs {
            theta: &theta_dot,
            grad: &grad_dot,
            x: &x_dot,
            carry: &carry_dot,
        };
        let report = check_update(&Solver::new(), at, dot, &x_next_bar, &carry_next_bar).unwrap();
        let t = report.dot_product;
        assert_close(
            t.tangent_side,
            t.adjoint_side,
            1e-12,
            &format!("solver step, gradient scale {scale:e}"),
        );
        assert!(report.values_agree);
    }
}

/// Method 2 (one backward sweep) against forward mode over the whole inner solve, along a
/// random direction in all weights.
#[test]
fn hypergradient_agrees_with_forward_mode_along_a_random_direction() {
    let (_, theta) = parameters();
    let w = &Window::many(3..4)[0];
    let r = w.hypergradient(&theta).unwrap();
    let x_k = w.analysis(&theta).unwrap();
    assert_eq!(r.loss, analysis_error(&x_k, w.xt0()));
    let direction = Draws::new(17).vec(theta.len());
    let cost = NoParameters(l96::InnerCost(&w.data));
    let (l, dl) = Unrolled::new(&cost, &Solver::new(), K)
        .tangent(
            &AnalysisLoss(w.xt0()),
            &w.data.xb,
            (&[], &[]),
            (&theta, &direction),
        )
        .unwrap();
    assert_eq!(l, r.loss);
    let dot: f64 = r.theta.iter().zip(&direction).map(|(a, b)| a * b).sum();
    assert_close(
        dl,
        dot,
        1e-12,
        "forward-mode dL/dtheta . v against method 2",
    );
}

/// Method 2 against central differences of the bilevel loss at the entry of largest
/// hypergradient of every tensor (weights and biases of each layer, the memory's weights).
#[test]
fn hypergradient_matches_finite_differences_on_each_tensor() {
    let (layout, theta) = parameters();
    let w = &Window::many(3..4)[0];
    let r = w.hypergradient(&theta).unwrap();
    let loss = |theta: &[f64]| analysis_error(&w.analysis(theta).unwrap(), w.xt0());
    for name in TENSORS {
        let range = layout.range(name).unwrap();
        let j = range
            .clone()
            .max_by(|&a, &b| r.theta[a].abs().total_cmp(&r.theta[b].abs()))
            .unwrap();
        assert!(
            r.theta[j] != 0.0,
            "{name}: a zero hypergradient tests nothing"
        );
        let h = 1e-5;
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[j] += h;
        minus[j] -= h;
        let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
        assert_close(
            r.theta[j],
            fd,
            1e-6,
            &format!("dL/dtheta of {name}, flat index {j}"),
        );
    }
}

#[test]
fn the_analysis_loss_gradient_matches_differences() {
    let mut rng = Draws::new(3);
    let (x, t) = (rng.vec(STATE), rng.vec(STATE));
    let mut g = vec![0.0; STATE];
    let l = AnalysisLoss(&t).gradient(&x, &mut g).unwrap();
    assert_eq!(l, analysis_error(&x, &t));
    assert_close(l, l96::rmse(&x, &t).powi(2), 1e-14, "mean squared error");
    for (i, gi) in g.iter().enumerate() {
        assert_close(*gi, 2.0 * (x[i] - t[i]) / STATE as f64, 1e-15, "gradient");
    }
}

#[test]
fn parallel_window_sum_equals_the_serial_sum() {
    let (_, theta) = parameters();
    let windows = Window::many(0..3);
    let refs: Vec<&Window> = windows.iter().collect();
    for clip in [None, Some(0.5)] {
        let parallel = mean_hypergradient(&refs, &theta, clip, true).unwrap();
        let serial = mean_hypergradient(&refs, &theta, clip, false).unwrap();
        assert_eq!(parallel, serial);
    }
    let each: Vec<_> = windows
        .iter()
        .map(|w| w.hypergradient(&theta).unwrap())
        .collect();
    let (_, clipped) = mean_hypergradient(&refs, &theta, Some(0.5), false).unwrap();
    let factors: Vec<f64> = each
        .iter()
        .map(|r| (0.5 / l96::norm(&r.theta)).min(1.0))
        .collect();
    assert!(factors.iter().all(|f| *f < 1.0), "the test must clip");
    let scale = l96::norm(&clipped);
    for j in (0..theta.len()).step_by(991) {
        let plain = (0..3).map(|w| factors[w] * each[w].theta[j]).sum::<f64>() / 3.0;
        assert!(
            (clipped[j] - plain).abs() <= 1e-15 * scale,
            "clipped entry {j}"
        );
    }
}

/// A zero inner gradient (the solve started at a stationary point) cannot be normalised: an
/// error naming the problem, not a NaN or a panic.
#[test]
fn a_zero_gradient_is_an_error_naming_it() {
    let (_, theta) = parameters();
    let net = Solver::new().unpack(&theta);
    let mut x = vec![1.0; STATE];
    let mut carry = vec![0.0; carry_len(STATE)];
    let at = StepInputs {
        theta: &theta,
        grad: &[0.0; STATE],
        x: &[1.0; STATE],
        carry: &[0.0; MEMORY + 2 * STATE],
    };
    let e = Solver::new()
        .step(&net, at, &mut x, &mut carry)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gradient") && e.contains("zero"), "{e}");
    // Through the unrolled solve, the same error as a `NestedError::User`.
    struct Flat;
    impl Gradient for Flat {
        fn gradient<S: tapeless::Real>(
            &self,
            x: &[S],
            _g: &mut [S],
        ) -> Result<S, tapeless::UserError> {
            Ok(x[0] * S::zero())
        }
    }
    let cost = NoParameters(Flat);
    let err = Unrolled::new(&cost, &Solver::new(), K)
        .solve(&[1.0; STATE], &[], &theta)
        .unwrap_err();
    assert!(matches!(err, NestedError::User { .. }), "{err}");
}

/// The converged 4D-Var analysis reaches the gradient norm asked for, below the background's
/// error.
#[test]
fn converged_analysis_reaches_the_tolerance() {
    let w = &Window::many(2000..2001)[0];
    let (x, steps) = w.converged().unwrap();
    let mut g = vec![0.0; STATE];
    l96::cost_vjp(&x, &mut g, &w.data.obs, &w.data.xb, 1.0);
    assert!(l96::norm(&g) <= 1e-6, "|grad J| = {:e}", l96::norm(&g));
    assert!(steps > 0);
    assert!(l96::rmse(&x, w.xt0()) < 0.5 * l96::rmse(&w.data.xb, w.xt0()));
}

/// The augmented windows of the training keep the truth and the observations and draw the
/// background from the same family: at window w's own phase it is w's background.
#[test]
fn another_background_phase_keeps_truth_and_observations() {
    let w = &Window::many(5..6)[0];
    let same = w.with_background_phase(0.3 + 0.9 * 5.0);
    assert_eq!(same.data.truth, w.data.truth);
    assert_eq!(same.data.obs, w.data.obs);
    for (a, b) in same.data.xb.iter().zip(&w.data.xb) {
        assert!((a - b).abs() <= 1e-14, "{a} vs {b}");
    }
    let other = w.with_background_phase(1.0);
    let error: Vec<f64> = other
        .data
        .xb
        .iter()
        .zip(w.xt0())
        .map(|(b, t)| b - t)
        .collect();
    for (i, e) in error.iter().enumerate() {
        assert!((e - 0.5 * (1.7 * i as f64 + 1.0).cos()).abs() <= 1e-14);
    }
}

/// Training through `tapeless::optim` and `tapeless::parallel`: a run saved after epoch 1 (as
/// safetensors bytes) and resumed gives, after epoch 2, the uninterrupted run's weights, Adam
/// moments and random generator to the bit; the threads' sums are the serial ones; a checkpoint
/// resumed with other options is an error naming them.
#[test]
fn a_resumed_training_run_continues_bit_for_bit() {
    use tapeless::optim::{Adam, TrainingState};
    use tapeless::parallel::{Serial, Threads};
    let (layout, theta) = parameters();
    let windows = Window::many(0..4);
    let plan = Training {
        batch: 3,
        epochs: 2,
        learning_rate: 3e-4,
        clip: 1.0,
        augment: true,
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();

    let mut straight = plan.start(theta.clone(), 7);
    let mut losses = Vec::new();
    for _ in 0..2 {
        losses.push(
            plan.epoch(&Threads::with_block(2), &windows, &mut straight, |_, _| {})
                .unwrap(),
        );
    }
    assert_eq!(straight.state.epoch, 2);
    assert_ne!(
        bits(&straight.state.params),
        bits(&theta),
        "training moved the weights"
    );

    let mut first = plan.start(theta.clone(), 7);
    let loss1 = plan
        .epoch(&Serial, &windows, &mut first, |_, _| {})
        .unwrap();
    assert_eq!(loss1.to_bits(), losses[0].to_bits());
    let bytes = first.state.to_safetensors(&layout).unwrap();
    let saved = TrainingState::from_safetensors(&layout, &bytes, Adam::new(1.0)).unwrap();
    assert_eq!(saved.epoch, 1);
    let mut resumed = plan.resume(saved.clone(), windows.len(), 7).unwrap();
    assert_eq!(resumed.order, first.order);
    let loss2 = plan
        .epoch(&Serial, &windows, &mut resumed, |_, _| {})
        .unwrap();
    assert_eq!(loss2.to_bits(), losses[1].to_bits());
    assert_eq!(bits(&resumed.state.params), bits(&straight.state.params));
    assert_eq!(
        resumed.state.to_safetensors(&layout).unwrap(),
        straight.state.to_safetensors(&layout).unwrap(),
        "the whole training state, to the byte"
    );

    // Other options than the run that wrote it (another number of steps per epoch, windows,
    // augmentation or seed): an error saying so.
    let other = Training { batch: 1, ..plan };
    let Err(err) = other.resume(saved.clone(), windows.len(), 7) else {
        panic!("resuming with batches of 1 must fail");
    };
    assert!(err.to_string().contains("batches of 1"), "{err}");
    let no_augmentation = Training {
        augment: false,
        ..plan
    };
    assert!(no_augmentation
        .resume(saved.clone(), windows.len(), 7)
        .is_err());
    assert!(plan.resume(saved.clone(), 5, 7).is_err());
    assert!(plan.resume(saved, windows.len(), 8).is_err());
}

/// A training state saved with the first shipped solver's nine tensors (before the previous
/// step's inputs were appended) resumes: its weights, Adam moments, step count, epoch and
/// generator as saved, the appended weights and their moments zero, so the next epoch is, to
/// the bit, that of the same state padded with zeros by hand; a file missing another tensor is
/// still an error, and a file of weights only still says it holds no training state.
#[test]
fn a_training_state_of_the_nine_tensor_layout_resumes_with_the_new_weights_at_zero() {
    use tapeless::optim::{Adam, CheckpointError, Resumable};
    use tapeless::parallel::Serial;
    let (full, theta) = parameters();
    let old = shipped_layout(STATE);
    let windows = Window::many(0..2);
    let plan = Training {
        batch: 2,
        epochs: 2,
        learning_rate: 3e-4,
        clip: 1.0,
        augment: false,
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let mut run = plan.start(theta, 7);
    plan.epoch(&Serial, &windows, &mut run, |_, _| {}).unwrap();
    // The state as the old layout saved it: every vector cut to the nine tensors.
    let mut old_state = run.state.clone();
    old_state.params.truncate(old.len());
    for (_, v) in old_state.optimizer.state_mut() {
        v.truncate(old.len());
    }
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "tapeless-old-state-{}.safetensors",
        std::process::id()
    ));
    old_state.save(&old, &path).unwrap();
    let loaded = load_training_state(&path, Adam::new(1.0)).unwrap();

    // The same state padded by hand: the appended weights and their moments zero.
    let mut padded = run.state.clone();
    for name in &TENSORS[SHIPPED_TENSORS..] {
        padded.params[full.range(name).unwrap()].fill(0.0);
        for (_, v) in padded.optimizer.state_mut() {
            v[full.range(name).unwrap()].fill(0.0);
        }
    }
    assert_eq!(bits(&loaded.params), bits(&padded.params));
    assert_eq!(
        loaded.to_safetensors(&full).unwrap(),
        padded.to_safetensors(&full).unwrap(),
        "weights, moments, step count, epoch and generator, to the byte"
    );
    assert!(loaded.optimizer.state()[0].1[..old.len()]
        .iter()
        .any(|m| *m != 0.0));
    assert_eq!(loaded.optimizer.step_count(), 1);
    assert_eq!((loaded.epoch, &loaded.rng), (1, &run.state.rng));

    // Both resume (the replayed epochs leave the saved generator), and their next epochs agree
    // to the bit; the appended weights move.
    let mut resumed = plan.resume(loaded, windows.len(), 7).unwrap();
    let mut by_hand = plan.resume(padded, windows.len(), 7).unwrap();
    let a = plan
        .epoch(&Serial, &windows, &mut resumed, |_, _| {})
        .unwrap();
    let b = plan
        .epoch(&Serial, &windows, &mut by_hand, |_, _| {})
        .unwrap();
    assert_eq!(a.to_bits(), b.to_bits());
    assert_eq!(bits(&resumed.state.params), bits(&by_hand.state.params));
    let appended = full.range(TENSORS[SHIPPED_TENSORS]).unwrap();
    assert!(resumed.state.params[appended].iter().any(|w| *w != 0.0));

    // A file of weights only (old layout) is still not a training state.
    let weights = dir.join(format!(
        "tapeless-old-weights-{}.safetensors",
        std::process::id()
    ));
    old.save(&old_state.params, &weights).unwrap();
    let err = load_training_state(&weights, Adam::new(1.0)).unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotATrainingState { .. }),
        "{err}"
    );
    // A state missing another tensor than the appended ones is an error naming it.
    let cut = tapeless::params::Layout::new()
        .tensor(TENSORS[0], &[HIDDEN, STATE])
        .unwrap();
    let mut partial = old_state.clone();
    partial.params.truncate(cut.len());
    for (_, v) in partial.optimizer.state_mut() {
        v.truncate(cut.len());
    }
    partial.save(&cut, &path).unwrap();
    let err = load_training_state(&path, Adam::new(1.0)).unwrap_err();
    assert!(err.to_string().contains("input.direction.weight"), "{err}");
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&weights).unwrap();
}

/// The first shipped solver's step, as it was before the previous step's inputs came (a copy of
/// the `solver_step` of that solver, differentiated by the same macro): the reference that the
/// new inputs at zero weights must reproduce.
#[tapeless::differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
fn first_shipped_step(
    w_x: &nalgebra::DMatrix<f64>,
    w_g: &nalgebra::DMatrix<f64>,
    w_s: &nalgebra::DVector<f64>,
    w_c: &nalgebra::DMatrix<f64>,
    b1: &nalgebra::DVector<f64>,
    w2: &nalgebra::DMatrix<f64>,
    b2: &nalgebra::DVector<f64>,
    w3: &nalgebra::DMatrix<f64>,
    b3: &nalgebra::DVector<f64>,
    x: &[f64],
    g: &[f64],
    c: &[f64],
) -> Vec<f64> {
    let n = x.len();
    let m = c.len();
    let xv = nalgebra::DVector::from_column_slice(x);
    let gv = nalgebra::DVector::from_column_slice(g);
    let cv = nalgebra::DVector::from_column_slice(c);
    let r = gv.norm();
    let u = &gv * ((n as f64).sqrt() / r);
    let s = (r.ln() - 7.0) / 3.0;
    let h1 = (w_x * (&xv * 0.25) + w_g * &u + w_s * s + w_c * &cv + b1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    let o = w3 * &h2 + b3;
    let mut out = vec![0.0; n + m];
    for i in 0..n {
        out[i] = x[i] + 0.5 * o[i];
    }
    for j in 0..m {
        out[n + j] = o[n + j].tanh();
    }
    out
}

/// The first shipped solver as an `Update` over its nine tensors (`shipped_layout`), memory only.
struct FirstShipped;

impl Update for FirstShipped {
    type Unpacked<S: tapeless::Real> = Network<S>;

    fn parameters(&self, n: usize) -> usize {
        shipped_layout(n).len()
    }

    fn carry(&self, _n: usize) -> usize {
        MEMORY
    }

    fn unpack<S: tapeless::Real>(&self, theta: &[S]) -> Network<S> {
        let mut all = theta.to_vec();
        all.resize(layout(STATE).len(), S::zero());
        Network::unpack(&layout(STATE), &all)
    }

    fn step<S: tapeless::Real>(
        &self,
        net: &Network<S>,
        at: StepInputs<'_, S>,
        x: &mut [S],
        carry: &mut [S],
    ) -> Result<(), tapeless::UserError> {
        let out = first_shipped_step_generic(
            &net.w_x, &net.w_g, &net.w_s, &net.w_c, &net.b1, &net.w2, &net.b2, &net.w3, &net.b3,
            at.x, at.grad, at.carry,
        );
        let n = x.len();
        x.copy_from_slice(&out[..n]);
        carry.copy_from_slice(&out[n..]);
        Ok(())
    }

    fn step_vjp(
        &self,
        net: &Network<f64>,
        at: StepInputs<'_, f64>,
        bar: tapeless::hyper::StepAdjoints<'_>,
    ) -> Result<(), tapeless::UserError> {
        let n = at.x.len();
        let mut nb = net.zeros_like();
        let out_bar: Vec<f64> = bar.x.iter().chain(bar.carry.iter()).copied().collect();
        let (mut x_bar, mut g_bar, mut c_bar) = (vec![0.0; n], vec![0.0; n], vec![0.0; MEMORY]);
        first_shipped_step_vjp(
            &net.w_x,
            &mut nb.w_x,
            &net.w_g,
            &mut nb.w_g,
            &net.w_s,
            &mut nb.w_s,
            &net.w_c,
            &mut nb.w_c,
            &net.b1,
            &mut nb.b1,
            &net.w2,
            &mut nb.w2,
            &net.b2,
            &mut nb.b2,
            &net.w3,
            &mut nb.w3,
            &net.b3,
            &mut nb.b3,
            at.x,
            &mut x_bar,
            at.grad,
            &mut g_bar,
            at.carry,
            &mut c_bar,
            &out_bar,
        );
        let mut all = layout(n).zeros();
        nb.accumulate_into(&layout(n), &mut all);
        bar.theta.iter_mut().zip(&all).for_each(|(t, a)| *t += a);
        bar.x.copy_from_slice(&x_bar);
        bar.carry.copy_from_slice(&c_bar);
        bar.grad.iter_mut().zip(&g_bar).for_each(|(a, b)| *a += b);
        Ok(())
    }
}

/// The shipped weights, with the previous step's weights zero if the file is the first shipped
/// solver's.
fn shipped() -> Vec<f64> {
    load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/problems/data/learned_solver.safetensors"
    ))
    .unwrap()
}

/// The first shipped solver is the new one with the previous step's weights at zero: the same
/// analyses to the bit, and the same hypergradient of its weights (to rounding), while the
/// hypergradient of the new weights is not zero (training can move them).
#[test]
fn zero_previous_step_weights_give_the_first_shipped_solver() {
    let full = layout(STATE);
    let mut theta = shipped();
    for name in &TENSORS[SHIPPED_TENSORS..] {
        // Whatever the shipped file holds, the first shipped solver has them at zero.
        theta[full.range(name).unwrap()].fill(0.0);
    }
    let first = &theta[..shipped_layout(STATE).len()];
    for w in Window::many(2000..2003).iter() {
        let cost = NoParameters(l96::InnerCost(&w.data));
        let reference = Unrolled::new(&cost, &FirstShipped, K)
            .solve(&w.data.xb, &[], first)
            .unwrap();
        let analysis = w.analysis(&theta).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&analysis),
            bits(&reference),
            "the analysis, to the bit"
        );
        let r = w.hypergradient(&theta).unwrap();
        let reference = Unrolled::new(&cost, &FirstShipped, K)
            .reverse(&AnalysisLoss(w.xt0()), &w.data.xb, &[], first)
            .unwrap();
        assert_eq!(r.loss.to_bits(), reference.loss.to_bits());
        let scale = l96::norm(&reference.theta);
        for (j, (a, e)) in r.theta.iter().zip(&reference.theta).enumerate() {
            assert!((a - e).abs() <= 1e-14 * scale, "dL/dtheta[{j}]: {a} vs {e}");
        }
        for name in &TENSORS[SHIPPED_TENSORS..] {
            let g = full.view(&r.theta, name).unwrap();
            assert!(l96::norm(g) > 0.0, "{name}: a zero hypergradient");
        }
    }
}

/// Where fine-tuning starts (the first shipped solver, the new weights zero), the hypergradient
/// of the new weights three ways: central differences at the largest entry of each, forward
/// mode along a random direction in the new weights only, and (with the step's dot-product test
/// above over all weights and the whole carry) the reverse sweep's own consistency.
#[test]
fn the_new_weights_hypergradient_at_the_shipped_solver_matches_differences_and_forward_mode() {
    let full = layout(STATE);
    let mut theta = shipped();
    for name in &TENSORS[SHIPPED_TENSORS..] {
        theta[full.range(name).unwrap()].fill(0.0);
    }
    let w = &Window::many(2005..2006)[0];
    let r = w.hypergradient(&theta).unwrap();
    let loss = |theta: &[f64]| analysis_error(&w.analysis(theta).unwrap(), w.xt0());
    let mut direction = vec![0.0; theta.len()];
    let mut draws = Draws::new(23);
    for name in &TENSORS[SHIPPED_TENSORS..] {
        let range = full.range(name).unwrap();
        let j = range
            .clone()
            .max_by(|&a, &b| r.theta[a].abs().total_cmp(&r.theta[b].abs()))
            .unwrap();
        let h = 1e-5;
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[j] += h;
        minus[j] -= h;
        let fd = (loss(&plus) - loss(&minus)) / (2.0 * h);
        assert_close(r.theta[j], fd, 1e-6, &format!("dL/dtheta of {name}[{j}]"));
        direction[range.clone()].copy_from_slice(&draws.vec(range.len()));
    }
    let cost = NoParameters(l96::InnerCost(&w.data));
    let (_, dl) = Unrolled::new(&cost, &Solver::new(), K)
        .tangent(
            &AnalysisLoss(w.xt0()),
            &w.data.xb,
            (&[], &[]),
            (&theta, &direction),
        )
        .unwrap();
    let dot: f64 = r.theta.iter().zip(&direction).map(|(a, b)| a * b).sum();
    assert_close(
        dl,
        dot,
        1e-12,
        "forward mode against the reverse sweep, new weights",
    );
}
