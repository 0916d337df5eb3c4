//! Problem N with a batch of windows advanced together (issue 14, item 2): the network
//! 40 -> 512 (tanh) -> 512 (tanh) -> 40 applied to the `40 x B` matrix of the batch's scaled
//! gradients by matrix-matrix products, written as ordinary `#[differentiable]` Rust with
//! nalgebra like [`mlp`](crate::n::mlp) (so its adjoint is generated), and the batch's
//! hypergradient `sum_w dL_w/dtheta` by one backward sweep over the `K` steps
//! ([`UnrolledBatch::reverse`]). The same numbers as [`Window::hypergradient`] summed over the
//! windows, to rounding; the weights are read once per batch and step instead of once per
//! window.

use nalgebra::{DMatrix, DVector, RowDVector};
use std::sync::Mutex;
use tapeless::differentiable;
use tapeless::hyper::{
    BatchAdjoints, BatchError, BatchHypergradient, BatchInputs, BatchUpdate, BatchWindow,
    UnrolledBatch,
};
use tapeless::nested::NoParameters;
use tapeless::UserError;

use crate::l96::{InnerCost, OuterLoss};
use crate::l96_batch::{Costs, Losses};
use crate::n::{layout, Network, Window, ETA, INPUT_SCALE, K, STATE};

/// The network of problem N applied to a batch: column `w` of the result is
/// [`mlp`](crate::n::mlp) of column `w` of `input`. `ones` is the constant `1 x B` row that
/// copies each bias to every column (`b * ones`).
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
pub fn mlp_batch(
    w1: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    ones: &RowDVector<f64>,
    input: &DMatrix<f64>,
) -> DMatrix<f64> {
    let h1 = (w1 * input + b1 * ones).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2 * ones).map(|v| v.tanh());
    w3 * &h2 + b3 * ones
}

/// The adjoint's buffers, kept between the steps of a reverse sweep.
#[derive(Debug)]
struct Workspace {
    network: Network<f64>,
    ones: RowDVector<f64>,
    ones_bar: RowDVector<f64>,
}

/// Problem N's learned update `X <- X - eta G - MLP_theta(0.001 G)` on a batch (`G` the `40 x B`
/// matrix of the windows' inner gradients); `theta` is every weight and bias of the network,
/// laid out by [`layout`].
#[derive(Debug)]
pub struct LearnedBatch {
    /// The fixed step size of the descent term.
    pub eta: f64,
    /// The network's adjoint (2.4 MB) and the rows of ones, allocated once.
    workspace: Mutex<Option<Workspace>>,
}

impl LearnedBatch {
    /// The update with descent step `eta`.
    pub fn new(eta: f64) -> Self {
        Self {
            eta,
            workspace: Mutex::new(None),
        }
    }
}

impl BatchUpdate for LearnedBatch {
    /// The network's matrices, read from `theta` once per batch.
    type Unpacked = Network<f64>;

    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn unpack(&self, theta: &[f64]) -> Network<f64> {
        Network::unpack(&layout(STATE), theta)
    }

    fn step(
        &self,
        network: &Network<f64>,
        at: BatchInputs<'_>,
        x: &mut DMatrix<f64>,
        _carry: &mut DMatrix<f64>,
    ) -> Result<(), UserError> {
        let input = at.grad * INPUT_SCALE;
        let ones = RowDVector::from_element(x.ncols(), 1.0);
        let ([w1, w2, w3], [b1, b2, b3]) = (&network.weights, &network.biases);
        let m = mlp_batch(w1, b1, w2, b2, w3, b3, &ones, &input);
        x.iter_mut()
            .zip(at.grad.iter())
            .zip(m.iter())
            .for_each(|((xi, &g), &mi)| *xi = *xi - self.eta * g - mi);
        Ok(())
    }

    fn step_vjp(
        &self,
        network: &Network<f64>,
        at: BatchInputs<'_>,
        bar: BatchAdjoints<'_>,
    ) -> Result<(), UserError> {
        let (n, b) = at.x.shape();
        let mut workspace = self.workspace.lock().unwrap_or_else(|e| e.into_inner());
        let ws = workspace.get_or_insert_with(|| Workspace {
            network: network.zeros_like(),
            ones: RowDVector::from_element(b, 1.0),
            ones_bar: RowDVector::zeros(b),
        });
        if ws.ones.len() != b {
            ws.ones = RowDVector::from_element(b, 1.0);
            ws.ones_bar = RowDVector::zeros(b);
        }
        ws.network.set_zero();
        ws.ones_bar.fill(0.0);
        let input = at.grad * INPUT_SCALE;
        let mut input_bar = DMatrix::zeros(n, b);
        // X_{k+1} = X_k - eta G - M: the adjoint of X_k is that of X_{k+1}; M's is its negative.
        let m_bar = -&*bar.x;
        let ([w1, w2, w3], [b1, b2, b3]) = (&network.weights, &network.biases);
        let Network {
            weights: [w1_bar, w2_bar, w3_bar],
            biases: [b1_bar, b2_bar, b3_bar],
        } = &mut ws.network;
        mlp_batch_vjp(
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
            &ws.ones,
            &mut ws.ones_bar,
            &input,
            &mut input_bar,
            &m_bar,
        );
        ws.network.accumulate_into(&layout(n), bar.theta);
        bar.grad
            .iter_mut()
            .zip(input_bar.iter())
            .zip(bar.x.iter())
            .for_each(|((g_bar, &i_bar), &x_bar)| *g_bar += INPUT_SCALE * i_bar - self.eta * x_bar);
        Ok(())
    }
}

/// The smallest batch whose inner costs [`Batch::hypergradient`] evaluates batched.
pub const BATCHED_COSTS_FROM: usize = 2;

/// A batch of problem N's windows: one [`LearnedBatch`] (whose adjoint buffers live as long as
/// the batch) over borrowed [`Window`]s.
///
/// ```
/// use tapeless_problems::n::{initial_parameters, layout, Window, STATE};
/// use tapeless_problems::n_batch::Batch;
///
/// let theta = initial_parameters(&layout(STATE));
/// let windows = Window::many(0..2);
/// let batched = Batch::new().hypergradient(&windows, &theta).unwrap();
/// let (a, b) = (windows[0].hypergradient(&theta).unwrap(), windows[1].hypergradient(&theta).unwrap());
/// assert_eq!(batched.losses.len(), 2);
/// assert!((batched.losses[1] - b.loss).abs() <= 1e-12 * b.loss);
/// let j = 1000; // one of the 304,168 entries
/// let sum = a.theta[j] + b.theta[j];
/// assert!((batched.theta[j] - sum).abs() <= 1e-12 * (a.theta[j].abs() + b.theta[j].abs()));
/// ```
#[derive(Debug)]
pub struct Batch {
    learned: LearnedBatch,
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

impl Batch {
    /// Problem N's batched update (`eta = 1e-5`, `K = 5`).
    pub fn new() -> Self {
        Self {
            learned: LearnedBatch::new(ETA),
        }
    }

    /// Every window's loss and the batch's `sum_w dL_w/dtheta` through the `K` learned inner
    /// steps from the backgrounds, by one backward sweep over the batch
    /// ([`UnrolledBatch::reverse_batched`]) with the inner costs batched too: per step one
    /// batched gradient forwards and one batched Hessian-vector product backwards
    /// ([`Costs`], the windows' states component-major), and the outer losses batched
    /// ([`Losses`]). Equal to the sum of [`Window::hypergradient`] over `windows` to rounding
    /// (to the hypergradient's own sensitivity to rounding, `tests/problem_n_batch.rs`).
    ///
    /// A batch of fewer than [`BATCHED_COSTS_FROM`] windows takes
    /// [`Batch::hypergradient_per_window_costs`]: with one window the component-major layout has
    /// nothing to vectorise over, and its loops' overhead makes it slower than the generated
    /// per-window adjoint (callgrind, per window: 243 M instructions against 160 M at batch 1;
    /// 137 M against 136 M at batch 2; 19.8 M against 80.7 M at batch 32, with the sweeps'
    /// AVX2 build and the network's adjoint by `gemm`).
    ///
    /// # Errors
    ///
    /// [`BatchError`]: an empty batch, a window whose data does not fit (named by its position),
    /// a wrong-length `theta`, a diverged inner solve.
    pub fn hypergradient<W: std::borrow::Borrow<Window>>(
        &self,
        windows: &[W],
        theta: &[f64],
    ) -> Result<BatchHypergradient, BatchError> {
        if windows.len() < BATCHED_COSTS_FROM {
            return self.hypergradient_per_window_costs(windows, theta);
        }
        let data: Vec<_> = windows.iter().map(|w| &w.borrow().data).collect();
        let truths: Vec<_> = windows.iter().map(|w| &w.borrow().truth[..]).collect();
        let x0: Vec<_> = data.iter().map(|d| &d.xb[..]).collect();
        let (costs, losses) = (Costs::new(&data), Losses::new(&truths));
        UnrolledBatch::new(&self.learned, K).reverse_batched(&costs, &losses, &x0, theta)
    }

    /// [`Batch::hypergradient`] with only the network batched: each window's inner gradient and
    /// Hessian-vector product by its own generated adjoint ([`UnrolledBatch::reverse`] over
    /// [`BatchWindow`]s), the path before the inner costs were batched (kept to measure what
    /// batching the inner costs gives).
    ///
    /// # Errors
    ///
    /// As [`Batch::hypergradient`].
    pub fn hypergradient_per_window_costs<W: std::borrow::Borrow<Window>>(
        &self,
        windows: &[W],
        theta: &[f64],
    ) -> Result<BatchHypergradient, BatchError> {
        let costs: Vec<NoParameters<InnerCost<'_>>> = windows
            .iter()
            .map(|w| NoParameters(InnerCost(&w.borrow().data)))
            .collect();
        let outers: Vec<OuterLoss<'_>> = windows
            .iter()
            .map(|w| OuterLoss(&w.borrow().truth))
            .collect();
        let batch: Vec<BatchWindow<'_, _, _>> = windows
            .iter()
            .zip(costs.iter().zip(&outers))
            .map(|(w, (cost, outer))| BatchWindow {
                cost,
                outer,
                x0: &w.borrow().data.xb,
                phi: &[],
            })
            .collect();
        UnrolledBatch::new(&self.learned, K).reverse(&batch, theta)
    }

    /// The learned solver's analyses `x_K` of the batch, window `w` in column `w` (the inner
    /// costs batched, as in [`Batch::hypergradient`]).
    ///
    /// # Errors
    ///
    /// As [`Batch::hypergradient`].
    pub fn analyses<W: std::borrow::Borrow<Window>>(
        &self,
        windows: &[W],
        theta: &[f64],
    ) -> Result<DMatrix<f64>, BatchError> {
        let data: Vec<_> = windows.iter().map(|w| &w.borrow().data).collect();
        let x0: Vec<_> = data.iter().map(|d| &d.xb[..]).collect();
        UnrolledBatch::new(&self.learned, K).solve_batched(&Costs::new(&data), &x0, theta)
    }
}
