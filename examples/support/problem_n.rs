//! Problem N of the reference problems (shared/problems.md): the learned inner solver
//! `x <- x - eta grad J(x) - MLP_theta(0.001 grad J(x))` on problem L's 4D-Var cost, K = 5,
//! eta = 1e-5, with the network 40 -> 512 (tanh) -> 512 (tanh) -> 40 written as ordinary
//! `#[differentiable]` Rust over one flat parameter vector. Shared by the example, the test and
//! the benchmark, so they compute the same numbers.
//!
//! The network uses slices and loops over the flat vector; the [`layout`] gives each layer's
//! offsets (PyTorch's `nn.Linear` convention: weight `[out, in]`, `y = W x + b`).

use rayon::prelude::*;
use tapeless::differentiable;
use tapeless::hyper::{Descent, Hypergradient, StepAdjoints, StepInputs, Unrolled, Update};
use tapeless::nested::{NestedError, NoParameters};
use tapeless::params::Layout;
use tapeless::Real;

#[path = "lorenz96_problem.rs"]
#[allow(dead_code)]
pub mod l96;

use l96::Data;
pub use l96::{InnerCost, OuterLoss};

/// The dimension of the state.
pub const STATE: usize = l96::N;

/// Inner steps.
pub const K: usize = 5;
/// The inner step size.
pub const ETA: f64 = 1e-5;
/// The scale of the gradient fed to the network.
pub const INPUT_SCALE: f64 = 0.001;

/// Hidden width.
pub const HIDDEN: usize = 512;

/// The network's parameters for a state of length `n`, in PyTorch's `nn.Sequential` order and
/// naming (`torch.nn.Sequential(Linear(n, 512), Tanh(), Linear(512, 512), Tanh(),
/// Linear(512, n))` has `0.weight`, `0.bias`, `2.weight`, ...; here `layer1` to `layer3`).
pub fn layout(n: usize) -> Layout {
    let build = || -> Result<Layout, tapeless::params::ParamsError> {
        Layout::new()
            .tensor("layer1.weight", &[HIDDEN, n])?
            .tensor("layer1.bias", &[HIDDEN])?
            .tensor("layer2.weight", &[HIDDEN, HIDDEN])?
            .tensor("layer2.bias", &[HIDDEN])?
            .tensor("layer3.weight", &[n, HIDDEN])?
            .tensor("layer3.bias", &[n])
    };
    build().expect("distinct, non-empty names")
}

/// The weight tensors' names, layer by layer.
pub const WEIGHTS: [&str; 3] = ["layer1.weight", "layer2.weight", "layer3.weight"];
/// The bias tensors' names, layer by layer.
pub const BIASES: [&str; 3] = ["layer1.bias", "layer2.bias", "layer3.bias"];

/// Problem N's initial parameters: `W[r][c] = 0.01 sin(0.37 r + 0.11 c + 1.3 l)` for layer
/// `l = 1, 2, 3`, biases zero.
pub fn initial_parameters(layout: &Layout) -> Vec<f64> {
    let mut theta = layout.zeros();
    for (l, name) in WEIGHTS.iter().enumerate() {
        let l = (l + 1) as f64;
        layout
            .fill(&mut theta, name, |rc| {
                0.01 * (0.37 * rc[0] as f64 + 0.11 * rc[1] as f64 + 1.3 * l).sin()
            })
            .expect("a tensor of the layout");
    }
    theta
}

/// One dense layer `out = W x + b` with `W` (`out.len()` rows of `x.len()` columns, row-major)
/// at `theta[weight..]` and `b` at `theta[bias..]`.
#[differentiable]
pub fn dense(out: &mut [f64], theta: &[f64], weight: usize, bias: usize, x: &[f64]) {
    let cols = x.len();
    for r in 0..out.len() {
        let mut s = 0.0;
        for c in 0..cols {
            s += theta[weight + r * cols + c] * x[c];
        }
        out[r] = s + theta[bias + r];
    }
}

/// The network 40 -> 512 (tanh) -> 512 (tanh) -> 40 (linear): `out = MLP_theta(input)`.
#[differentiable]
pub fn mlp(out: &mut [f64], theta: &[f64], input: &[f64]) {
    let n = input.len();
    let hidden: usize = HIDDEN;
    let w1: usize = 0;
    let b1: usize = w1 + hidden * n;
    let w2: usize = b1 + hidden;
    let b2: usize = w2 + hidden * hidden;
    let w3: usize = b2 + hidden;
    let b3: usize = w3 + n * hidden;
    let mut z1 = vec![0.0; hidden];
    dense(&mut z1, theta, w1, b1, input);
    let mut h1 = vec![0.0; hidden];
    for r in 0..hidden {
        h1[r] = z1[r].tanh();
    }
    let mut z2 = vec![0.0; hidden];
    dense(&mut z2, theta, w2, b2, &h1);
    let mut h2 = vec![0.0; hidden];
    for r in 0..hidden {
        h2[r] = z2[r].tanh();
    }
    dense(out, theta, w3, b3, &h2);
}

/// The learned update `x <- x - eta g - MLP_theta(0.001 g)`, `g = grad J(x)`; `theta` is every
/// weight and bias of the network.
#[derive(Debug, Clone, Copy)]
pub struct Learned {
    /// The fixed step size of the descent term.
    pub eta: f64,
}

impl Update for Learned {
    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn step<S: Real>(&self, at: StepInputs<'_, S>, x: &mut [S], _carry: &mut [S]) {
        let n = x.len();
        let input: Vec<S> = at
            .grad
            .iter()
            .map(|&g| S::from_f64(INPUT_SCALE) * g)
            .collect();
        let mut m = vec![S::zero(); n];
        mlp_generic(&mut m, at.theta, &input);
        let eta = S::from_f64(self.eta);
        for i in 0..n {
            x[i] = x[i] - eta * at.grad[i] - m[i];
        }
    }

    fn step_vjp(&self, at: StepInputs<'_, f64>, bar: StepAdjoints<'_>) {
        let n = at.x.len();
        let input: Vec<f64> = at.grad.iter().map(|&g| INPUT_SCALE * g).collect();
        // x_{k+1} = x_k - eta g - m: the adjoint of x_k is that of x_{k+1}; m's is its negative.
        let mut m = vec![0.0; n];
        let mut m_bar: Vec<f64> = bar.x.iter().map(|&xb| -xb).collect();
        let mut input_bar = vec![0.0; n];
        mlp_vjp(
            &mut m,
            &mut m_bar,
            at.theta,
            bar.theta,
            &input,
            &mut input_bar,
        );
        for ((g_bar, &i_bar), &x_bar) in bar.grad.iter_mut().zip(&input_bar).zip(bar.x.iter()) {
            *g_bar += INPUT_SCALE * i_bar - self.eta * x_bar;
        }
    }
}

/// One assimilation window: its data, and its truth trajectory flattened for the outer loss.
pub struct Window {
    /// Observations, background and truth.
    pub data: Data,
    /// The truth trajectory, row-major `k * 40 + i`, k = 0..=200.
    pub truth: Vec<f64>,
}

impl Window {
    /// Window `w`'s data (shared/problems.md; `w = 0` is problem L).
    pub fn new(w: usize) -> Self {
        let data = l96::window(w);
        let truth = data.truth.iter().flatten().copied().collect();
        Self { data, truth }
    }

    /// The windows `range`, built in parallel (each spins the truth up on its own).
    pub fn many(range: std::ops::Range<usize>) -> Vec<Self> {
        range.into_par_iter().map(Self::new).collect()
    }

    /// `L` and `dL/dtheta` through the `K` learned inner steps from the background (method 2:
    /// one backward sweep over the unrolled solve).
    pub fn hypergradient(&self, theta: &[f64]) -> Result<Hypergradient, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &Learned { eta: ETA }, K).reverse(
            &OuterLoss(&self.truth),
            &self.data.xb,
            &[],
            theta,
        )
    }

    /// The learned solver's analysis `x_K` from the background.
    pub fn analysis(&self, theta: &[f64]) -> Result<Vec<f64>, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &Learned { eta: ETA }, K).solve(&self.data.xb, &[], theta)
    }

    /// Plain gradient descent's analysis with the same `K` and `eta`.
    pub fn descent_analysis(&self) -> Result<Vec<f64>, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &Descent, K).solve(&self.data.xb, &[], &[ETA])
    }

    /// The outer loss of an analysis.
    pub fn loss(&self, x: &[f64]) -> f64 {
        l96::trajectory_error(x, &self.truth)
    }
}

/// Windows per parallel chunk of [`mean_hypergradient`]: the hypergradients of a chunk are held
/// at once (`2.4 MB` each for problem N), then summed in window order.
pub const CHUNK: usize = 8;

/// The mean loss and mean hypergradient over `windows`. With `clip`, each window's
/// hypergradient is first scaled down to norm at most `clip` (per-example clipping: the windows'
/// hypergradient norms range over four decades, from windows where the inner descent is far
/// from its stability limit to windows close to it). With `parallel`, the windows of each chunk
/// run on rayon's threads and are then summed in window order, so the result is the serial
/// sum's, to the bit, whatever the number of threads.
pub fn mean_hypergradient<W: std::borrow::Borrow<Window> + Sync>(
    windows: &[W],
    theta: &[f64],
    clip: Option<f64>,
    parallel: bool,
) -> Result<(f64, Vec<f64>), NestedError> {
    let mut loss = 0.0;
    let mut grad = vec![0.0; theta.len()];
    for chunk in windows.chunks(CHUNK) {
        let results: Vec<Result<Hypergradient, NestedError>> = if parallel {
            chunk
                .par_iter()
                .map(|w| w.borrow().hypergradient(theta))
                .collect()
        } else {
            chunk
                .iter()
                .map(|w| w.borrow().hypergradient(theta))
                .collect()
        };
        for r in results {
            let r = r?;
            loss += r.loss;
            let scale = match clip {
                Some(c) => (c / norm(&r.theta)).min(1.0),
                None => 1.0,
            };
            grad.iter_mut()
                .zip(&r.theta)
                .for_each(|(g, d)| *g += scale * d);
        }
    }
    let scale = 1.0 / windows.len().max(1) as f64;
    grad.iter_mut().for_each(|g| *g *= scale);
    Ok((loss * scale, grad))
}

/// The root-mean-square error of `x` against `truth`.
pub fn rmse(x: &[f64], truth: &[f64]) -> f64 {
    (x.iter()
        .zip(truth)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / x.len() as f64)
        .sqrt()
}

/// The Euclidean norm.
pub fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
