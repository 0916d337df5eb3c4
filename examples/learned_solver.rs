//! Problem N of the reference problems: a learned inner solver for Lorenz-96 4D-Var,
//! `x <- x - eta grad J(x) - MLP_theta(0.001 grad J(x))`, K = 5, eta = 1e-5, with the network
//! 40 -> 512 (tanh) -> 512 (tanh) -> 40 (304,168 parameters) written as ordinary
//! `#[differentiable]` Rust (examples/support/problem_n.rs).
//!
//! 1. Prints problem N's report at full precision: L, |dL/dtheta| and the first 5 entries of each
//!    layer's weight gradient, by one backward sweep through the unrolled solve (method 2),
//!    checked here against forward mode along a direction and finite differences at one weight;
//!    and the time of one hypergradient over the time of the forward inner solve.
//! 2. With `--problem-n-training`: trains the network with Adam on the training windows 0..63
//!    (batches in parallel over the cores with rayon; a progress bar with the running loss on
//!    stderr, or a plain line every few seconds when stderr is a log), and reports the
//!    validation RMSE of the analysis x_K on windows 1000..1015 against plain gradient descent
//!    with the same K and eta.
//! 3. With `--problem-n-training`: writes the loss curves to `learned_solver.png` (`.svg` with
//!    `--svg`) and `learned_solver.csv`, and the trained weights to
//!    `learned_solver.safetensors` (open it in PyTorch with `safetensors.torch.load_file`).
//! 4. Evaluates the shipped learned solver (`problems/src/solver.rs`, weights in
//!    `problems/data/learned_solver.safetensors`) on the validation windows 2000..2063 with
//!    K = 5, against the background, plain descent with its best fixed step size (tuned on the
//!    training windows) and the converged 4D-Var analysis (Newton-CG to `|grad J| <= 1e-6`).
//!
//! Run: `cargo run --release --example learned_solver`; `-- --train` re-trains the shipped
//! solver on windows 0..1023 instead (progress bar, loss figure
//! `learned_solver_training.png` + `.csv`, weights written to the shipped file, a
//! `TrainingState` to `learned_solver_training.state.safetensors` after every epoch that
//! `--resume FILE` continues from, also a file of the nine-tensor solver, whose appended weights
//! start at zero; `--help` lists the options). Built with `--features mpi` and
//! started by `mpirun -np P`, `--train` spreads each batch's windows over the P ranks (the same
//! weights to the bit).

use tapeless_problems::{l96, n as problem_n, solver};

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
use tapeless::parallel::{Executor, Threads};

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

/// Problem N's report and, with `with_training`, its short training.
fn problem_n_report(with_training: bool) {
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

    if !with_training {
        println!("(problem N's 30-epoch training on windows 0..63: run with --problem-n-training)");
        return;
    }

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

/// The shipped weights of the learned solver.
const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/problems/data/learned_solver.safetensors"
);
/// Plain descent's best fixed step size on the training windows 0..1023 at K = 5 (the RMSE of
/// `x_K`), as `--train` finds it: 10 step sizes log-spaced in [1e-7, 3e-5], then golden-section
/// search around the best.
const DESCENT_ETA: f64 = 6.5412455484185425e-6;
/// The seed of the solver's initial weights and of the windows' order.
const SEED: u64 = 1;
/// The search interval of the descent step size.
const ETA_RANGE: (f64, f64) = (1e-7, 3e-5);

/// The options of the shipped solver's training.
struct Options {
    windows: usize,
    epochs: usize,
    batch: usize,
    learning_rate: f64,
    clip: f64,
    augment: bool,
    /// Each batch's hypergradient by one batched sweep (the default; `--per-window` turns it
    /// off, and MPI runs per window).
    batched: bool,
    output: String,
    init: Option<String>,
    descent_eta: Option<f64>,
    checkpoint: String,
    resume: Option<String>,
    /// What sums the windows, for the log.
    workers: String,
}

/// `println!` on the main rank only.
macro_rules! say {
    ($main:expr, $($arg:tt)*) => {
        if $main {
            println!($($arg)*);
        }
    };
}

fn main() {
    use clap::{value_parser, Arg, ArgAction, Command};
    let matches = Command::new("learned_solver")
        .about("Problem N's report, then the shipped learned solver against descent and 4D-Var")
        .arg(
            Arg::new("train")
                .long("train")
                .action(ArgAction::SetTrue)
                .help(
                "re-train the shipped solver on windows 0..WINDOWS instead of problem N's report",
            ),
        )
        .arg(
            Arg::new("problem-n-training")
                .long("problem-n-training")
                .action(ArgAction::SetTrue)
                .help("also run problem N's short training (30 epochs on windows 0..63, about 20 s)"),
        )
        .arg(
            Arg::new("windows")
                .long("windows")
                .value_parser(value_parser!(usize))
                .default_value("1024")
                .help("training windows (from window 0)"),
        )
        .arg(
            Arg::new("epochs")
                .long("epochs")
                .value_parser(value_parser!(usize))
                .default_value("30")
                .help("passes over the training windows"),
        )
        .arg(
            Arg::new("batch")
                .long("batch")
                .value_parser(value_parser!(usize))
                .default_value("8")
                .help("windows per Adam step"),
        )
        .arg(
            Arg::new("learning-rate")
                .long("learning-rate")
                .value_parser(value_parser!(f64))
                .default_value("3e-4")
                .help("Adam's peak step size (cosine decay to zero)"),
        )
        .arg(
            Arg::new("clip")
                .long("clip")
                .value_parser(value_parser!(f64))
                .default_value("1")
                .help("each window's hypergradient is scaled to at most this norm"),
        )
        .arg(
            Arg::new("init")
                .long("init")
                .help("start from these weights (safetensors) instead of the seeded initial ones"),
        )
        .arg(
            Arg::new("descent-eta")
                .long("descent-eta")
                .value_parser(value_parser!(f64))
                .help("plain descent's step size, instead of tuning it on the training windows"),
        )
        .arg(
            Arg::new("per-window")
                .long("per-window")
                .action(ArgAction::SetTrue)
                .help("one backward sweep per window, the windows of each batch on all cores (under MPI always); by default each batch's hypergradient is one batched backward sweep on one core (the network and the inner costs applied to the batch at once, each window's hypergradient still clipped on its own): the same training to rounding, about twice as fast on two cores"),
        )
        .arg(
            Arg::new("no-augmentation")
                .long("no-augmentation")
                .action(ArgAction::SetTrue)
                .help("train on each window's own background only (by default each window is seen with a background of a random phase every epoch)"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .default_value(SHIPPED)
                .help("where --train writes the weights"),
        )
        .arg(
            Arg::new("checkpoint")
                .long("checkpoint")
                .default_value("learned_solver_training.state.safetensors")
                .help("where --train writes its training state (weights, Adam's moments, epoch, random generator) after every epoch"),
        )
        .arg(
            Arg::new("resume")
                .long("resume")
                .help("continue --train from this training state (written by --checkpoint; pass the same options as the run that wrote it)"),
        )
        .arg(
            Arg::new("svg")
                .long("svg")
                .action(ArgAction::SetTrue)
                .help("write the figures as SVG instead of PNG"),
        )
        .get_matches();
    if matches.get_flag("train") {
        let mut options = Options {
            windows: *matches.get_one("windows").expect("a default"),
            epochs: *matches.get_one("epochs").expect("a default"),
            batch: *matches.get_one("batch").expect("a default"),
            learning_rate: *matches.get_one("learning-rate").expect("a default"),
            clip: *matches.get_one("clip").expect("a default"),
            init: matches.get_one::<String>("init").cloned(),
            descent_eta: matches.get_one::<f64>("descent-eta").copied(),
            augment: !matches.get_flag("no-augmentation"),
            batched: !matches.get_flag("per-window"),
            output: matches
                .get_one::<String>("output")
                .expect("a default")
                .clone(),
            checkpoint: matches
                .get_one::<String>("checkpoint")
                .expect("a default")
                .clone(),
            resume: matches.get_one::<String>("resume").cloned(),
            workers: String::new(),
        };
        if options.windows == 0 || options.batch == 0 || options.epochs == 0 {
            eprintln!("--windows, --batch and --epochs must be at least 1");
            std::process::exit(2);
        }
        // Under `mpirun -np P` (feature `mpi`): the windows of each batch over the P ranks, rank
        // 0 printing and writing; otherwise on all cores.
        #[cfg(feature = "mpi")]
        {
            use mpi::traits::Communicator;
            let universe = mpi::initialize().expect("MPI initialises once");
            let world = universe.world();
            if world.size() > 1 {
                options.workers = format!("{} MPI ranks", world.size());
                options.batched = false;
                let main = world.rank() == 0;
                let (theta, eta) = train(&options, &tapeless::parallel::Mpi::new(&world), main);
                if main {
                    evaluate(&theta, eta);
                }
                return;
            }
        }
        options.workers = format!("{} threads", rayon::current_num_threads());
        let (theta, eta) = train(&options, &Threads::with_block(solver::CHUNK), true);
        evaluate(&theta, eta);
    } else {
        problem_n_report(matches.get_flag("problem-n-training"));
        let theta = match solver::load(SHIPPED) {
            Ok(theta) => theta,
            Err(e) => {
                eprintln!("could not load the shipped weights {SHIPPED}: {e}");
                std::process::exit(1);
            }
        };
        evaluate(&theta, DESCENT_ETA);
    }
}

/// The mean over windows of a per-window value, the windows in parallel.
fn mean_over(windows: &[solver::Window], f: impl Fn(&solver::Window) -> f64 + Sync + Send) -> f64 {
    use rayon::prelude::*;
    windows
        .par_iter()
        .map(f)
        .collect::<Vec<f64>>()
        .iter()
        .sum::<f64>()
        / windows.len() as f64
}

/// The four validation RMSEs of the analysis `x_K` on windows 2000..2063.
fn evaluate(theta: &[f64], eta: f64) {
    use rayon::prelude::*;
    let start = Instant::now();
    let validation = solver::Window::many(2000..2064);
    let background = solver::validation_rmse(&validation, |w| Ok(w.data.xb.clone()));
    let descent = solver::validation_rmse(&validation, |w| w.descent_analysis(eta));
    let learned = solver::validation_rmse(&validation, |w| w.analysis(theta));
    let converging = Instant::now();
    let converged: Vec<Vec<f64>> = validation
        .par_iter()
        .map(|w| match w.converged() {
            Ok((x, _)) => x,
            Err(e) => panic!("converged 4D-Var: {e}"),
        })
        .collect();
    let converged_time = converging.elapsed().as_secs_f64();
    let four_dvar = (validation
        .iter()
        .zip(&converged)
        .map(|(w, x)| solver::analysis_error(x, w.xt0()))
        .sum::<f64>()
        / validation.len() as f64)
        .sqrt();
    println!(
        "the shipped learned solver ({} weights: state, normalised gradient and the previous step's direction and update in, memory of {} values across the K steps), validation windows 2000..2063:",
        solver::layout(solver::STATE).len(),
        solver::MEMORY
    );
    println!(
        "validation RMSE (K = 5, 64 windows): background {background:.16e}, plain descent {descent:.16e}, learned {learned:.16e}, converged 4D-Var {four_dvar:.16e}"
    );
    println!(
        "plain descent step size {eta:.6e} (the best fixed step on training windows 0..1023); converged 4D-Var: Newton-CG to |grad J| <= 1e-6 from the background, quasi-static, {converged_time:.1} s for the 64 windows"
    );
    let trajectory = |f: &(dyn Fn(&solver::Window) -> Vec<f64> + Sync)| {
        mean_over(&validation, |w| w.trajectory_error(&f(w)))
    };
    let index = |w: &solver::Window| {
        validation
            .iter()
            .position(|v| std::ptr::eq(v, w))
            .expect("a validation window")
    };
    println!(
        "trajectory error L (mean over windows): background {:.6e}, plain descent {:.6e}, learned {:.6e}, converged 4D-Var {:.6e}",
        trajectory(&|w| w.data.xb.clone()),
        trajectory(&|w| w.descent_analysis(eta).expect("a finite descent")),
        trajectory(&|w| w.analysis(theta).expect("a finite solve")),
        trajectory(&|w| converged[index(w)].clone()),
    );
    println!(
        "goals: learned / background = {:.3} (at most 0.5), learned / converged 4D-Var = {:.3} (at most 1.5), learned / plain descent = {:.3} (below 1); evaluation {:.1} s",
        learned / background,
        learned / four_dvar,
        learned / descent,
        start.elapsed().as_secs_f64()
    );
}

/// Trains the shipped solver with `executor` summing each batch's windows (all cores, or MPI
/// ranks); returns its weights and plain descent's tuned step size. Only the `main` rank prints
/// and writes files.
fn train(o: &Options, executor: &impl Executor, main: bool) -> (Vec<f64>, f64) {
    let start = Instant::now();
    let train = solver::Window::many(0..o.windows);
    let validation = solver::Window::many(2000..2064);
    let eta = match o.descent_eta {
        Some(eta) => eta,
        None => {
            let (eta, descent_train) = solver::tune_descent(&train, ETA_RANGE, 10);
            say!(
                main,
                "plain descent, K = {}: best fixed step size on training windows 0..{} {eta:.16e} (RMSE {descent_train:.6e}; {:.1} s)",
                solver::K,
                o.windows - 1,
                start.elapsed().as_secs_f64()
            );
            eta
        }
    };
    let descent_validation =
        solver::validation_rmse(&validation, |w| w.descent_analysis(eta)).powi(2);
    let background_validation =
        solver::validation_rmse(&validation, |w| Ok(w.data.xb.clone())).powi(2);
    let layout = solver::layout(solver::STATE);
    let plan = solver::Training {
        batch: o.batch,
        epochs: o.epochs,
        learning_rate: o.learning_rate,
        clip: o.clip,
        augment: o.augment,
    };
    let fail = |what: String| -> ! {
        eprintln!("{what}");
        std::process::exit(1)
    };
    let mut run = match &o.resume {
        Some(path) => {
            let state = solver::load_training_state(path, Adam::new(o.learning_rate))
                .unwrap_or_else(|e| fail(format!("could not resume from {path}: {e}")));
            let run = plan
                .resume(state, o.windows, SEED)
                .unwrap_or_else(|e| fail(format!("could not resume from {path}: {e}")));
            say!(main, "resumed from {path} after epoch {}", run.state.epoch);
            run
        }
        None => plan.start(
            match &o.init {
                Some(path) => solver::load(path)
                    .unwrap_or_else(|e| fail(format!("could not load {path}: {e}"))),
                None => solver::initial_parameters(&layout, SEED),
            },
            SEED,
        ),
    };
    let first = run.state.epoch as usize;
    let steps = plan.steps_per_epoch(train.len());
    let validation_loss =
        |theta: &[f64]| solver::validation_rmse(&validation, |w| w.analysis(theta)).powi(2);
    let (mut train_curve, mut validation_curve) = (Vec::new(), Vec::new());
    if main {
        validation_curve.push((first as f64, validation_loss(&run.state.params)));
    }
    say!(
        main,
        "training: Adam (peak step {:e}, cosine decay) on windows 0..{}{} in batches of {}, each {}'s hypergradient clipped to norm {}, {} epochs, {}",
        o.learning_rate,
        o.windows - 1,
        if o.augment {
            " (each seen with a background of a random phase every epoch)"
        } else {
            ""
        },
        o.batch,
        "window",
        o.clip,
        o.epochs,
        if o.batched {
            "each batch by one batched sweep on one core"
        } else {
            &o.workers
        }
    );
    let training = Instant::now();
    let mut bar =
        progress::Progress::new("training", (o.epochs.saturating_sub(first) * steps) as u64);
    for epoch in first..o.epochs {
        let mut seen = 0;
        let mut running = 0.0;
        let on_step = |step: usize, loss: f64| {
            let size = o.batch.min(train.len() - step * o.batch);
            running += loss * size as f64;
            seen += size;
            if main {
                bar.set_message(format!(
                    "epoch {}/{}, running RMSE {:.4}",
                    epoch + 1,
                    o.epochs,
                    (running / seen as f64).sqrt()
                ));
                bar.inc(1);
            }
        };
        let epoch_loss = if o.batched {
            plan.epoch_batched(&train, &mut run, on_step)
        } else {
            plan.epoch(executor, &train, &mut run, on_step)
        }
        .unwrap_or_else(|e| fail(format!("epoch {}: {e}", epoch + 1)));
        if !main {
            continue;
        }
        train_curve.push(((epoch + 1) as f64, epoch_loss));
        let v = validation_loss(&run.state.params);
        validation_curve.push(((epoch + 1) as f64, v));
        // The weights and the training state after every epoch, so a stopped run leaves its
        // last epoch's and `--resume` continues it.
        if let Err(e) = layout.save(&run.state.params, &o.output) {
            eprintln!("could not write {}: {e}", o.output);
        }
        if let Err(e) = run.state.save(&layout, &o.checkpoint) {
            eprintln!("could not write {}: {e}", o.checkpoint);
        }
        println!(
            "epoch {:3}: training loss {:.6e}, validation loss {v:.6e} (RMSE {:.4}), {:.0} s",
            epoch + 1,
            epoch_loss,
            v.sqrt(),
            training.elapsed().as_secs_f64()
        );
    }
    let theta = run.state.params;
    if !main {
        return (theta, eta);
    }
    bar.finish();
    let trained = training.elapsed().as_secs_f64();
    println!(
        "training took {trained:.0} s ({:.1} s per epoch); wrote {} and the training state {}",
        trained / (o.epochs.saturating_sub(first)).max(1) as f64,
        o.output,
        o.checkpoint
    );
    use plot::{color, Series, Style};
    let end = o.epochs as f64;
    let descent_line = [(0.0, descent_validation), (end, descent_validation)];
    let background_line = [(0.0, background_validation), (end, background_validation)];
    let panel = plot::Panel {
        title: format!(
            "Adam on training windows 0..{}, validation windows 2000..2063, K = {}",
            o.windows - 1,
            solver::K
        ),
        x_label: "epoch".into(),
        y_label: "loss: mean squared error of x_K against xt0".into(),
        series: vec![
            Series {
                label: "background xb, validation windows",
                points: &background_line,
                style: Style::Dashed(color::BACKGROUND, 2),
            },
            Series {
                label: "plain descent (best fixed step), validation windows",
                points: &descent_line,
                style: Style::Dashed(color::ANALYSIS, 2),
            },
            Series {
                label: if o.augment {
                    "learned, training windows with random background phases (mean over the epoch)"
                } else {
                    "learned, training (mean over the epoch's batches)"
                },
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
    let title = "Training the learned solver (state, normalised gradient and the previous step in, with memory)";
    match plot::save("learned_solver_training", title, (1000, 560), &[panel]) {
        Ok(paths) => println!("wrote {}", paths.join(", ")),
        Err(e) => eprintln!("could not write the figure: {e}"),
    }
    (theta, eta)
}
