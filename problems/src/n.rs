//! Problem N of the reference problems (shared/problems.md): the learned inner solver
//! `x <- x - eta grad J(x) - MLP_theta(0.001 grad J(x))` on problem L's 4D-Var cost, K = 5,
//! eta = 1e-5, with the network 40 -> 512 (tanh) -> 512 (tanh) -> 40 written as ordinary
//! `#[differentiable]` Rust over one flat parameter vector. Shared by the example, the tests and
//! the benchmarks, so they compute the same numbers.
//!
//! The network is written with nalgebra matrices; the [`layout`] places each layer in one flat
//! parameter vector for the optimisers (PyTorch's `nn.Linear` convention: weight `[out, in]`,
//! `y = W x + b`), and [`Network`] reads the matrices from it and adds their adjoints back.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use std::sync::Mutex;
use tapeless::differentiable;
use tapeless::hyper::{Descent, Hypergradient, StepAdjoints, StepInputs, Unrolled, Update};
use tapeless::nested::{NestedError, NoParameters};
use tapeless::params::Layout;
use tapeless::{Real, UserError};

use crate::l96::{self, Data};
pub use l96::{norm, InnerCost, OuterLoss};

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

/// The network 40 -> 512 (tanh) -> 512 (tanh) -> 40 (linear), written with nalgebra as a user
/// would: `out = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3`.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
pub fn mlp(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    input: &DVector<f64>,
) -> DVector<f64> {
    let h1 = (w1 * input + b1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    w3 * &h2 + b3
}

/// The network's weights and biases as nalgebra matrices at any scalar type, read from (and
/// their adjoints added back into) the flat parameter vector the optimisers work on.
#[derive(Debug, Clone)]
pub struct Network<S: Real> {
    /// `layer1.weight`, `layer2.weight`, `layer3.weight`.
    pub weights: [DMatrix<S>; 3],
    /// `layer1.bias`, `layer2.bias`, `layer3.bias`.
    pub biases: [DVector<S>; 3],
}

impl<S: Real> Network<S> {
    /// The network whose parameters are `theta` (laid out by `layout`).
    pub fn unpack(layout: &Layout, theta: &[S]) -> Self {
        let read = |name: &str| layout.matrix(theta, name).expect("a tensor of the layout");
        Self {
            weights: WEIGHTS.map(read),
            biases: BIASES.map(|name| layout.vector(theta, name).expect("a tensor of the layout")),
        }
    }

    /// Overwrites these matrices with the parameters `theta`, allocating nothing.
    pub fn read_from(&mut self, layout: &Layout, theta: &[S]) {
        for (name, w) in WEIGHTS.iter().zip(&mut self.weights) {
            layout
                .read_matrix(theta, name, w)
                .expect("a tensor of the layout");
        }
        for (name, b) in BIASES.iter().zip(&mut self.biases) {
            b.copy_from_slice(layout.view(theta, name).expect("a tensor of the layout"));
        }
    }

    /// Sets every weight and bias to zero.
    pub fn set_zero(&mut self) {
        self.weights.iter_mut().for_each(|w| w.fill(S::zero()));
        self.biases.iter_mut().for_each(|b| b.fill(S::zero()));
    }

    /// Zero matrices of the network's shapes: where the adjoint accumulates.
    pub fn zeros_like(&self) -> Self {
        Self {
            weights: self
                .weights
                .each_ref()
                .map(|w| DMatrix::zeros(w.nrows(), w.ncols())),
            biases: self.biases.each_ref().map(|b| DVector::zeros(b.len())),
        }
    }

    /// Adds these matrices into `theta_bar` at the layout's offsets.
    pub fn accumulate_into(&self, layout: &Layout, theta_bar: &mut [S]) {
        for (name, w) in WEIGHTS.iter().zip(&self.weights) {
            layout
                .accumulate(theta_bar, name, w)
                .expect("a tensor of the layout");
        }
        for (name, b) in BIASES.iter().zip(&self.biases) {
            layout
                .accumulate(theta_bar, name, b)
                .expect("a tensor of the layout");
        }
    }

    /// `MLP(input)`, by the generated generic companion.
    pub fn apply(&self, input: &DVector<S>) -> DVector<S> {
        let [w1, w2, w3] = &self.weights;
        let [b1, b2, b3] = &self.biases;
        mlp_generic(w1, b1, w2, b2, w3, b3, input)
    }
}

/// The learned update `x <- x - eta g - MLP_theta(0.001 g)`, `g = grad J(x)`; `theta` is every
/// weight and bias of the network.
#[derive(Debug)]
pub struct Learned {
    /// The fixed step size of the descent term.
    pub eta: f64,
    /// The network's adjoint at `f64`, kept between the reverse sweep's steps so that each step
    /// zeroes it instead of allocating 2.4 MB.
    workspace: Mutex<Option<Network<f64>>>,
}

impl Learned {
    /// The update with descent step `eta`.
    pub fn new(eta: f64) -> Self {
        Self {
            eta,
            workspace: Mutex::new(None),
        }
    }
}

impl Update for Learned {
    /// The network's matrices, read from `theta` once per solve.
    type Unpacked<S: Real> = Network<S>;

    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn unpack<S: Real>(&self, theta: &[S]) -> Network<S> {
        Network::unpack(&layout(STATE), theta)
    }

    fn step<S: Real>(
        &self,
        network: &Network<S>,
        at: StepInputs<'_, S>,
        x: &mut [S],
        _carry: &mut [S],
    ) -> Result<(), UserError> {
        let n = x.len();
        let scale = S::from_f64(INPUT_SCALE);
        let input = DVector::from_iterator(n, at.grad.iter().map(|&g| scale * g));
        let m = network.apply(&input);
        let eta = S::from_f64(self.eta);
        for i in 0..n {
            x[i] = x[i] - eta * at.grad[i] - m[i];
        }
        Ok(())
    }

    fn step_vjp(
        &self,
        network: &Network<f64>,
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        let n = at.x.len();
        let mut workspace = self.workspace.lock().unwrap_or_else(|e| e.into_inner());
        let network_bar = workspace.get_or_insert_with(|| network.zeros_like());
        network_bar.set_zero();
        let input = DVector::from_iterator(n, at.grad.iter().map(|&g| INPUT_SCALE * g));
        let mut input_bar = DVector::zeros(n);
        // x_{k+1} = x_k - eta g - m: the adjoint of x_k is that of x_{k+1}; m's is its negative.
        let m_bar = DVector::from_iterator(n, bar.x.iter().map(|&xb| -xb));
        let ([w1, w2, w3], [b1, b2, b3]) = (&network.weights, &network.biases);
        let Network {
            weights: [w1_bar, w2_bar, w3_bar],
            biases: [b1_bar, b2_bar, b3_bar],
        } = network_bar;
        mlp_vjp(
            w1,
            w1_bar,
            b1,
            b1_bar,
            w2,
            w2_bar,
            b2,
            b2_bar,
            w3,
            w3_bar,
            b3,
            b3_bar,
            &input,
            &mut input_bar,
            &m_bar,
        );
        network_bar.accumulate_into(&layout(n), bar.theta);
        for ((g_bar, &i_bar), &x_bar) in bar.grad.iter_mut().zip(input_bar.iter()).zip(bar.x.iter())
        {
            *g_bar += INPUT_SCALE * i_bar - self.eta * x_bar;
        }
        Ok(())
    }
}

/// One assimilation window: its data, and its truth trajectory flattened for the outer loss.
pub struct Window {
    /// Observations, background and truth.
    pub data: Data,
    /// The truth trajectory, row-major `k * 40 + i`, k = 0..=200.
    pub truth: Vec<f64>,
    /// The learned update, whose workspace lives as long as the window.
    learned: Learned,
}

impl Window {
    /// Window `w`'s data (shared/problems.md; `w = 0` is problem L).
    pub fn new(w: usize) -> Self {
        let data = l96::window(w);
        let truth = data.truth.iter().flatten().copied().collect();
        Self {
            data,
            truth,
            learned: Learned::new(ETA),
        }
    }

    /// The windows `range`, built in parallel (each spins the truth up on its own).
    pub fn many(range: std::ops::Range<usize>) -> Vec<Self> {
        range.into_par_iter().map(Self::new).collect()
    }

    /// `L` and `dL/dtheta` through the `K` learned inner steps from the background (method 2:
    /// one backward sweep over the unrolled solve).
    pub fn hypergradient(&self, theta: &[f64]) -> Result<Hypergradient, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &self.learned, K).reverse(
            &OuterLoss(&self.truth),
            &self.data.xb,
            &[],
            theta,
        )
    }

    /// The learned solver's analysis `x_K` from the background.
    pub fn analysis(&self, theta: &[f64]) -> Result<Vec<f64>, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &self.learned, K).solve(&self.data.xb, &[], theta)
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
