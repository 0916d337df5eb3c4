//! Problem N of the reference problems: a learned inner solver for Lorenz-96 4D-Var,
//! `x <- x - eta grad J(x) - MLP_theta(0.001 grad J(x))`, K = 5, eta = 1e-5, with the network
//! 40 -> 512 (tanh) -> 512 (tanh) -> 40 (304,168 parameters) written as ordinary
//! `#[differentiable]` Rust (examples/support/problem_n.rs).
//!
//! 1. Prints problem N's report at full precision: L, |dL/dtheta| and the first 5 entries of each
//!    layer's weight gradient, by one backward sweep through the unrolled solve (method 2),
//!    checked here against forward mode along a direction and finite differences at one weight;
//!    and the time of one hypergradient over the time of the forward inner solve.
//! 2. Trains the network with Adam on the training windows 0..63 (batches in parallel over the
//!    cores with rayon; a progress bar with the running loss on stderr, or a plain line every
//!    few seconds when stderr is a log), and reports the
//!    validation RMSE of the analysis x_K on windows 1000..1015 against plain gradient descent
//!    with the same K and eta.
//! 3. Writes the loss curves to `learned_solver.png` (`.svg` with `--svg`) and
//!    `learned_solver.csv`, and the trained weights to
//!    `learned_solver.safetensors` (open it in PyTorch with `safetensors.torch.load_file`).
//!
//! Run: `cargo run --release --example learned_solver`

use tapeless_problems::{l96, n as problem_n};

#[path = "support/plot.rs"]
mod plot;

#[path = "support/progress.rs"]
mod progress;

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use l96::rmse;
use problem_n::*;
use tapeless::hyper::Unrolled;
use tapeless::nested::NoParameters;
use tapeless::optim::Adam;

/// Passes over the 64 training windows (about a minute in release on two cores).
const EPOCHS: usize = 30;
/// Windows per Adam step.
const BATCH: usize = 16;
/// Adam's step size.
const LEARNING_RATE: f64 = 3e-5;
/// Each window's hypergradient is scaled to at most this norm before the batch mean: their
/// norms range from about 7 to 7e4 over the training windows (the few largest are windows where
/// 5 steps of eta = 1e-5 are near the descent's stability limit), and without clipping those
/// few windows decide every step.
const CLIP: f64 = 30.0;

/// Seconds per call of `f`: the fastest of five rounds of `repeats` calls (the machine is
/// shared, so the minimum is the stablest estimate).
fn seconds<T>(repeats: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..repeats {
                std::hint::black_box(f());
            }
            start.elapsed().as_secs_f64() / repeats as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// The root-mean-square error of the analyses over windows and components, against each
/// window's truth initial state.
fn validation_rmse(windows: &[Window], analysis: impl Fn(&Window) -> Vec<f64>) -> f64 {
    let mse: f64 = windows
        .iter()
        .map(|w| rmse(&analysis(w), &w.data.truth[0]).powi(2))
        .sum::<f64>()
        / windows.len() as f64;
    mse.sqrt()
}

fn main() {
    let start = Instant::now();
    let layout = layout(STATE);
    let mut theta = initial_parameters(&layout);

    // 1. Problem N's report, on window 0 (problem L's data).
    let window = Window::new(0);
    let r = window.hypergradient(&theta).expect("finite inputs");
    println!(
        "problem N: learned solver x <- x - eta grad J(x) - MLP(0.001 grad J(x)), K = {K}, eta = {ETA:e}"
    );
    println!(
        "MLP {STATE} -> {HIDDEN} (tanh) -> {HIDDEN} (tanh) -> {STATE}: {} parameters",
        layout.len()
    );
    println!("L            = {:.16e}", r.loss);
    println!("|dL/dtheta|  = {:.16e}", norm(&r.theta));
    for name in WEIGHTS {
        let g = layout.view(&r.theta, name).expect("a tensor of the layout");
        let first: Vec<String> = g[..5].iter().map(|v| format!("{v:.16e}")).collect();
        println!("dL/d{name}[0][0..5] = [{}]", first.join(", "));
    }

    // Checks: forward mode along a direction in all weights, and central differences at the
    // largest entry of the last layer's weight gradient.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let direction: Vec<f64> = (0..theta.len())
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let cost = NoParameters(InnerCost(&window.data));
    let learned = Learned::new(ETA);
    let solver = Unrolled::new(&cost, &learned, K);
    let (_, forward) = solver
        .tangent(
            &OuterLoss(&window.truth),
            &window.data.xb,
            (&[], &[]),
            (&theta, &direction),
        )
        .expect("finite inputs");
    let reverse: f64 = r.theta.iter().zip(&direction).map(|(a, b)| a * b).sum();
    println!("check: dL/dtheta . v = {reverse:.16e} (method 2), {forward:.16e} (forward mode)");
    let w3 = layout
        .range("layer3.weight")
        .expect("a tensor of the layout");
    let j = w3
        .clone()
        .max_by(|&a, &b| r.theta[a].abs().total_cmp(&r.theta[b].abs()))
        .expect("a non-empty tensor");
    let h = 1e-5;
    let loss_at = |delta: f64| {
        let mut t = theta.clone();
        t[j] += delta;
        window.loss(&window.analysis(&t).expect("finite inputs"))
    };
    let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
    println!(
        "check: dL/dtheta[{j}] = {:.16e} (method 2), {fd:.16e} (central differences, h = {h:e})",
        r.theta[j]
    );

    // Cost of a hypergradient in inner solves.
    let forward_solve = seconds(10, || window.analysis(&theta));
    let hypergradient = seconds(10, || window.hypergradient(&theta));
    println!(
        "time: forward inner solve {:.3} ms, hypergradient {:.3} ms, ratio {:.2} (goal at most 5)",
        forward_solve * 1e3,
        hypergradient * 1e3,
        hypergradient / forward_solve
    );

    // 2. Training on windows 0..63, validation on 1000..1015.
    let train = Window::many(0..64);
    let validation = Window::many(1000..1016);
    let descent = validation_rmse(&validation, |w| w.descent_analysis().expect("finite"));
    let background = validation_rmse(&validation, |w| w.data.xb.clone());
    let validation_loss = |theta: &[f64]| -> f64 {
        validation
            .iter()
            .map(|w| w.loss(&w.analysis(theta).expect("finite inputs")))
            .sum::<f64>()
            / validation.len() as f64
    };
    println!(
        "training: Adam (step {LEARNING_RATE:e}, cosine decay) on windows 0..63 in batches of {BATCH}, each window's hypergradient clipped to norm {CLIP}, {EPOCHS} epochs, {} threads",
        rayon::current_num_threads()
    );
    let descent_loss = validation
        .iter()
        .map(|w| w.loss(&w.descent_analysis().expect("finite inputs")))
        .sum::<f64>()
        / validation.len() as f64;
    println!(
        "before training: validation RMSE(x_K, xt0) {:.6e}, validation loss {:.6e} (plain descent: loss {descent_loss:.6e})",
        validation_rmse(&validation, |w| w.analysis(&theta).expect("finite")),
        validation_loss(&theta),
    );
    let mut adam = Adam::new(LEARNING_RATE);
    let steps = train.len().div_ceil(BATCH);
    let (mut train_curve, mut validation_curve) = (Vec::new(), Vec::new());
    validation_curve.push((0.0, validation_loss(&theta)));
    let training = Instant::now();
    let mut bar = progress::Progress::new("training", (EPOCHS * steps) as u64);
    let mut order: Vec<usize> = (0..train.len()).collect();
    for epoch in 0..EPOCHS {
        // A new order of the windows every epoch (seeded).
        order.shuffle(&mut rng);
        let mut epoch_loss = 0.0;
        for (step, batch) in order.chunks(BATCH).enumerate() {
            let windows: Vec<&Window> = batch.iter().map(|&i| &train[i]).collect();
            let (loss, grad) = mean_hypergradient(&windows, &theta, Some(CLIP), true)
                .expect("a finite hypergradient");
            epoch_loss += loss * batch.len() as f64;
            bar.set_message(format!(
                "epoch {}/{EPOCHS}, running loss {:.4e}",
                epoch + 1,
                epoch_loss / ((step * BATCH) + batch.len()) as f64
            ));
            bar.inc(1);
            // Cosine decay of the step size to zero over the run: the batch hypergradients are
            // noisy (window norms span four decades), so late steps must be small.
            let progress_fraction = (epoch * steps + step) as f64 / (EPOCHS * steps) as f64;
            adam.learning_rate =
                LEARNING_RATE * 0.5 * (1.0 + (std::f64::consts::PI * progress_fraction).cos());
            adam.step(&mut theta, &grad)
                .expect("a finite hypergradient");
        }
        train_curve.push(((epoch + 1) as f64, epoch_loss / train.len() as f64));
        validation_curve.push(((epoch + 1) as f64, validation_loss(&theta)));
    }
    bar.finish();
    let trained = training.elapsed().as_secs_f64();
    for (e, ((_, t), (_, v))) in train_curve.iter().zip(&validation_curve[1..]).enumerate() {
        if e % 5 == 4 || e == 0 {
            println!(
                "epoch {:2}: training loss {t:.6e}, validation loss {v:.6e}",
                e + 1
            );
        }
    }
    // Where plain descent itself moves away from the truth: windows whose stiffest directions
    // make eta = 1e-5 close to the descent's stability limit.
    let worse = |windows: &[Window]| {
        windows
            .iter()
            .filter(|w| {
                let x = w.descent_analysis().expect("finite inputs");
                rmse(&x, &w.data.truth[0]) > rmse(&w.data.xb, &w.data.truth[0])
            })
            .count()
    };
    println!(
        "plain descent raises RMSE(x, xt0) above the background's in {} of {} training and {} of {} validation windows",
        worse(&train),
        train.len(),
        worse(&validation),
        validation.len()
    );
    let learned_rmse = validation_rmse(&validation, |w| w.analysis(&theta).expect("finite"));
    let learned_loss = validation_loss(&theta);
    let background_loss =
        validation.iter().map(|w| w.loss(&w.data.xb)).sum::<f64>() / validation.len() as f64;
    println!(
        "validation windows 1000..1015: RMSE(x_K, xt0) and the outer loss L (mean over windows)"
    );
    println!("  background xb                    RMSE {background:.16e}  L {background_loss:.16e}");
    println!("  plain descent, K = {K}, eta = {ETA:e}  RMSE {descent:.16e}  L {descent_loss:.16e}");
    println!("  learned solver, trained          RMSE {learned_rmse:.16e}  L {learned_loss:.16e}");
    println!(
        "training took {trained:.1} s ({:.1} s per epoch)",
        trained / EPOCHS as f64
    );

    // 3. The loss curve and the weights.
    // Each learned curve with plain descent on the same windows as its reference, in its colour.
    let descent_train_loss = train
        .iter()
        .map(|w| w.loss(&w.descent_analysis().expect("finite inputs")))
        .sum::<f64>()
        / train.len() as f64;
    let descent_train = [
        (0.0, descent_train_loss),
        (EPOCHS as f64, descent_train_loss),
    ];
    let descent_validation = [(0.0, descent_loss), (EPOCHS as f64, descent_loss)];
    use plot::{color, Series, Style};
    let panel = plot::Panel {
        title: format!(
            "Adam on training windows 0..63, validation windows 1000..1015, K = {K}, eta = {ETA:e}"
        ),
        x_label: "epoch".into(),
        y_label: "outer loss L (mean squared error, model units squared)".into(),
        series: vec![
            Series {
                label: "plain descent, training windows",
                points: &descent_train,
                style: Style::Dashed(color::BACKGROUND, 2),
            },
            Series {
                label: "plain descent, validation windows",
                points: &descent_validation,
                style: Style::Dashed(color::ANALYSIS, 2),
            },
            Series {
                label: "learned, training (mean over the epoch's batches)",
                points: &train_curve,
                style: Style::Line(color::BACKGROUND, 2),
            },
            Series {
                label: "learned, validation",
                points: &validation_curve,
                style: Style::Line(color::ANALYSIS, 2),
            },
        ],
    };
    let title = "Problem N: training the learned solver";
    match plot::save("learned_solver", title, (1000, 560), &[panel]) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
    let weights = "learned_solver.safetensors";
    match layout.save(&theta, weights) {
        Ok(()) => println!(
            "wrote {weights}: {} F64 tensors ({})",
            layout.tensors().len(),
            layout
                .tensors()
                .iter()
                .map(|t| format!("{} {:?}", t.name, t.shape))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(e) => eprintln!("could not write {weights}: {e}"),
    }
    println!("total time {:.1} s", start.elapsed().as_secs_f64());
}
