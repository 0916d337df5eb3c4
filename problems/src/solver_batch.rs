//! The learned solver ([`solver`](crate::solver), issue 14 item 4) applied to a batch of windows:
//! its network on the `n x B` matrices of the windows' states and normalised gradients and the
//! `MEMORY x B` matrix of their memories by matrix-matrix products, written as ordinary
//! `#[differentiable]` nalgebra code ([`solver_network_batch`], its adjoint generated), and a
//! batch's hypergradient by one backward sweep with the inner costs batched
//! ([`UnrolledBatch::reverse_batched`]). The gradient normalisation (per column) and the output
//! split are written by hand around it: column norms and row blocks of a matrix result are not
//! something the macro's nalgebra subset offers.

use nalgebra::{DMatrix, DVector, RowDVector};
use std::sync::Mutex;
use tapeless::differentiable;
use tapeless::hyper::{
    BatchAdjoints, BatchError, BatchHypergradient, BatchInputs, BatchLoss, BatchUpdate,
    UnrolledBatch,
};
use tapeless::nested::NestedError;
use tapeless::optim::{clip_by_norm, Resumable, Schedule};
use tapeless::parallel::WindowError;
use tapeless::UserError;

use crate::l96_batch::Costs;
use crate::solver::{
    analysis_error_vjp, layout, Network, Run, Training, TrainingError, Window, K, MEMORY, STATE,
};

/// The solver's network on a batch: column `w` of the result is the output `o` of
/// [`solver_step`](crate::solver::solver_step) for column `w` of `x`, of the normalised
/// gradients `u`, of the log-norm features `s` and of the memories `c`. `ones` is the constant
/// `1 x B` row that copies each bias to every column.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
pub fn solver_network_batch(
    w_x: &DMatrix<f64>,
    w_g: &DMatrix<f64>,
    w_s: &DVector<f64>,
    w_c: &DMatrix<f64>,
    b1: &DVector<f64>,
    w2: &DMatrix<f64>,
    b2: &DVector<f64>,
    w3: &DMatrix<f64>,
    b3: &DVector<f64>,
    ones: &RowDVector<f64>,
    x: &DMatrix<f64>,
    u: &DMatrix<f64>,
    s: &RowDVector<f64>,
    c: &DMatrix<f64>,
) -> DMatrix<f64> {
    let h1 = (w_x * (x * 0.25) + w_g * u + w_s * s + w_c * c + b1 * ones).map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2 * ones).map(|v| v.tanh());
    w3 * &h2 + b3 * ones
}

/// `(u, s, |g_w|)` of [`features`].
type Features = (DMatrix<f64>, RowDVector<f64>, Vec<f64>);

/// The normalised gradients `u_w = sqrt(n) g_w / |g_w|`, the features `s_w = (ln |g_w| - 7) / 3`
/// and the norms `|g_w|`, as [`solver_step`](crate::solver::solver_step) computes them.
fn features(g: &DMatrix<f64>) -> Result<Features, UserError> {
    let (n, b) = g.shape();
    let mut u = g.clone();
    let mut s = RowDVector::zeros(b);
    let mut r = vec![0.0; b];
    for w in 0..b {
        let norm = g.column(w).norm();
        if norm == 0.0 {
            return Err(UserError::from(format!(
                "the learned solver normalises the gradient: it is zero for window {w} (its state \
                 is already a stationary point)"
            )));
        }
        let scale = (n as f64).sqrt() / norm;
        u.column_mut(w).iter_mut().for_each(|v| *v *= scale);
        s[w] = (norm.ln() - 7.0) / 3.0;
        r[w] = norm;
    }
    Ok((u, s, r))
}

/// The batched learned solver: [`Solver`](crate::solver::Solver)'s step on every column.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless::hyper::{BatchInputs, BatchUpdate};
/// use tapeless_problems::solver::{initial_parameters, layout, MEMORY, STATE};
/// use tapeless_problems::solver_batch::SolverBatch;
///
/// let (solver, theta) = (SolverBatch::new(), initial_parameters(&layout(STATE), 1));
/// let (x, c) = (DMatrix::from_element(STATE, 2, 1.0), DMatrix::zeros(MEMORY, 2));
/// let g = DMatrix::from_fn(STATE, 2, |i, w| (i + w) as f64 - 3.0);
/// let at = BatchInputs { theta: &theta, grad: &g, x: &x, carry: &c };
/// let (mut x1, mut c1) = (x.clone(), c.clone());
/// solver.step(&solver.unpack(&theta), at, &mut x1, &mut c1).unwrap();
/// assert!(x1 != x && c1.iter().all(|v| v.abs() < 1.0));
/// ```
#[derive(Debug, Default)]
pub struct SolverBatch {
    /// The network's adjoint, allocated once.
    workspace: Mutex<Option<Network<f64>>>,
}

impl SolverBatch {
    /// The batched solver (its adjoint buffers allocated at the first reverse step).
    pub fn new() -> Self {
        Self::default()
    }

    fn output(
        network: &Network<f64>,
        at: &BatchInputs<'_>,
        ones: &RowDVector<f64>,
        u: &DMatrix<f64>,
        s: &RowDVector<f64>,
    ) -> DMatrix<f64> {
        let net = network;
        solver_network_batch(
            &net.w_x, &net.w_g, &net.w_s, &net.w_c, &net.b1, &net.w2, &net.b2, &net.w3, &net.b3,
            ones, at.x, u, s, at.carry,
        )
    }
}

impl BatchUpdate for SolverBatch {
    /// The network's matrices, read from `theta` once per batch.
    type Unpacked = Network<f64>;

    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn carry(&self, _n: usize) -> usize {
        MEMORY
    }

    fn unpack(&self, theta: &[f64]) -> Network<f64> {
        Network::unpack(&layout(STATE), theta)
    }

    fn step(
        &self,
        network: &Network<f64>,
        at: BatchInputs<'_>,
        x: &mut DMatrix<f64>,
        carry: &mut DMatrix<f64>,
    ) -> Result<(), UserError> {
        let (n, b) = at.x.shape();
        let (u, s, _) = features(at.grad)?;
        let ones = RowDVector::from_element(b, 1.0);
        let o = Self::output(network, &at, &ones, &u, &s);
        for w in 0..b {
            for i in 0..n {
                x[(i, w)] = at.x[(i, w)] + 0.5 * o[(i, w)];
            }
            for j in 0..carry.nrows() {
                carry[(j, w)] = o[(n + j, w)].tanh();
            }
        }
        Ok(())
    }

    fn step_vjp(
        &self,
        network: &Network<f64>,
        at: BatchInputs<'_>,
        bar: BatchAdjoints<'_>,
    ) -> Result<(), UserError> {
        let (n, b) = at.x.shape();
        let m = at.carry.nrows();
        let (u, s, r) = features(at.grad)?;
        let ones = RowDVector::from_element(b, 1.0);
        let o = Self::output(network, &at, &ones, &u, &s);
        // x_{k+1} = x_k + o_top / 2, c_{k+1} = tanh(o_bottom).
        let mut o_bar = DMatrix::zeros(n + m, b);
        for w in 0..b {
            for i in 0..n {
                o_bar[(i, w)] = 0.5 * bar.x[(i, w)];
            }
            for j in 0..m {
                let t = o[(n + j, w)].tanh();
                o_bar[(n + j, w)] = bar.carry[(j, w)] * (1.0 - t * t);
            }
        }
        let mut workspace = self.workspace.lock().unwrap_or_else(|e| e.into_inner());
        let nb = workspace.get_or_insert_with(|| network.zeros_like());
        nb.set_zero();
        let (mut ones_bar, mut s_bar) = (RowDVector::zeros(b), RowDVector::zeros(b));
        let (mut x_bar, mut u_bar, mut c_bar) = (
            DMatrix::zeros(n, b),
            DMatrix::zeros(n, b),
            DMatrix::zeros(m, b),
        );
        let net = network;
        solver_network_batch_vjp(
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
            &ones,
            &mut ones_bar,
            at.x,
            &mut x_bar,
            &u,
            &mut u_bar,
            &s,
            &mut s_bar,
            at.carry,
            &mut c_bar,
            &o_bar,
        );
        nb.accumulate_into(&layout(n), bar.theta);
        *bar.x += &x_bar;
        bar.carry.copy_from_slice(c_bar.as_slice());
        // u = sqrt(n) g / r, s = (ln r - 7) / 3, r = |g|:
        // g_bar = sqrt(n) (u_bar - g (g . u_bar) / r^2) / r + s_bar g / (3 r^2).
        let root = (n as f64).sqrt();
        for w in 0..b {
            let g = at.grad.column(w);
            let dot = g.dot(&u_bar.column(w));
            let r2 = r[w] * r[w];
            for i in 0..n {
                bar.grad[(i, w)] +=
                    root * (u_bar[(i, w)] - g[i] * dot / r2) / r[w] + s_bar[w] * g[i] / (3.0 * r2);
            }
        }
        Ok(())
    }
}

/// The solver's outer losses (the analysis errors against the truths' initial states) of a
/// batch, by the generated adjoint of [`analysis_error`](crate::solver::analysis_error) on each
/// column.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless::hyper::BatchLoss;
/// use tapeless_problems::solver_batch::AnalysisLosses;
///
/// let truths: [&[f64]; 2] = [&[0.0, 0.0], &[1.0, 1.0]];
/// let x = DMatrix::from_element(2, 2, 1.0);
/// let mut g = DMatrix::zeros(2, 2);
/// let losses = AnalysisLosses(&truths).gradients(&x, &mut g).unwrap();
/// assert_eq!(losses, vec![1.0, 0.0]);
/// assert_eq!(g[(0, 0)], 1.0); // d/dx_0 of (x_0^2 + x_1^2) / 2
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AnalysisLosses<'a>(pub &'a [&'a [f64]]);

impl BatchLoss for AnalysisLosses<'_> {
    fn windows(&self) -> usize {
        self.0.len()
    }

    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<Vec<f64>, UserError> {
        let mut losses = Vec::with_capacity(self.0.len());
        for (w, xt0) in self.0.iter().enumerate() {
            let mut column = grad.column_mut(w);
            let g = column.as_mut_slice();
            g.fill(0.0);
            losses.push(analysis_error_vjp(x.column(w).as_slice(), g, xt0, 1.0));
        }
        Ok(losses)
    }
}

/// Every window's analysis loss and the batch's `sum_w dL_w/dtheta` through the solver's `K`
/// steps, by one backward sweep with the network and the inner costs batched; the sum of
/// [`Window::hypergradient`] over `windows` to rounding (`tests/solver_batch.rs`).
///
/// ```
/// use tapeless_problems::solver::{initial_parameters, layout, Window, STATE};
/// use tapeless_problems::solver_batch::{hypergradient, SolverBatch};
///
/// let theta = initial_parameters(&layout(STATE), 1);
/// let windows = Window::many(0..2);
/// let batched = hypergradient(&SolverBatch::new(), &windows, &theta).unwrap();
/// let a = windows[0].hypergradient(&theta).unwrap();
/// assert!((batched.losses[0] - a.loss).abs() <= 1e-12 * a.loss);
/// ```
///
/// # Errors
///
/// [`BatchError`]: an empty batch, a wrong-length `theta`, a zero inner gradient.
pub fn hypergradient<W: std::borrow::Borrow<Window>>(
    solver: &SolverBatch,
    windows: &[W],
    theta: &[f64],
) -> Result<BatchHypergradient, BatchError> {
    let data: Vec<_> = windows.iter().map(|w| &w.borrow().data).collect();
    let truths: Vec<_> = data.iter().map(|d| &d.truth[0][..]).collect();
    let x0: Vec<_> = data.iter().map(|d| &d.xb[..]).collect();
    UnrolledBatch::new(solver, K).reverse_batched(
        &Costs::new(&data),
        &AnalysisLosses(&truths),
        &x0,
        theta,
    )
}

impl Training {
    /// [`Training::epoch`] with each batch's hypergradient by one batched backward sweep
    /// ([`hypergradient`]) instead of one per window: the same shuffles, background phases,
    /// schedule and Adam steps. The batched sweep gives only the batch's sum, so the clipping is
    /// applied to the batch's mean hypergradient (at `clip`) rather than to each window's: the
    /// same as [`Training::epoch`] whenever no window's hypergradient is longer than `clip`
    /// (then neither clips), and equal to it to rounding then (`tests/solver_batch.rs`).
    ///
    /// ```
    /// use tapeless_problems::solver::{initial_parameters, layout, Training, Window, STATE};
    /// use tapeless_problems::solver_batch::SolverBatch;
    ///
    /// let plan = Training { batch: 2, epochs: 1, learning_rate: 1e-3, clip: f64::INFINITY, augment: false };
    /// let theta = initial_parameters(&layout(STATE), 1);
    /// let mut run = plan.start(theta.clone(), 0);
    /// let loss = plan.epoch_batched(&SolverBatch::new(), &Window::many(0..2), &mut run, |_, _| {}).unwrap();
    /// assert!(loss > 0.0 && run.state.params != theta && run.state.epoch == 1);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Training::epoch`]: a failed batch (named by its training windows) or a refused Adam
    /// step.
    pub fn epoch_batched(
        &self,
        solver: &SolverBatch,
        train: &[Window],
        run: &mut Run,
        mut on_step: impl FnMut(usize, f64),
    ) -> Result<f64, TrainingError> {
        let batches = self.draw_epoch(train.len(), run);
        let schedule = self.schedule(train.len());
        let mut epoch_loss = 0.0;
        for (step, batch) in batches.iter().enumerate() {
            let augmented: Vec<Option<Window>> = batch
                .iter()
                .map(|&(i, phase)| phase.map(|p| train[i].with_background_phase(p)))
                .collect();
            let windows: Vec<&Window> = batch
                .iter()
                .zip(&augmented)
                .map(|(&(i, _), a)| a.as_ref().unwrap_or(&train[i]))
                .collect();
            let r = hypergradient(solver, &windows, &run.state.params).map_err(|e| {
                TrainingError::Window {
                    batch: batch.iter().map(|&(i, _)| i).collect(),
                    source: match e {
                        BatchError::Window { window, source } => WindowError::Window {
                            index: window,
                            source,
                        },
                        BatchError::Batch(source) => WindowError::Window { index: 0, source },
                        BatchError::Empty => WindowError::Window {
                            index: 0,
                            source: NestedError::User {
                                function: "the batched training step",
                                source: UserError::from("an empty batch").into(),
                            },
                        },
                    },
                }
            })?;
            let scale = 1.0 / batch.len().max(1) as f64;
            let mut grad = r.theta;
            grad.iter_mut().for_each(|g| *g *= scale);
            clip_by_norm(&mut grad, self.clip);
            let loss = r.losses.iter().sum::<f64>() * scale;
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
