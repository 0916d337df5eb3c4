//! The learned solver ([`solver`](crate::solver), issue 14 item 4) applied to a batch of windows:
//! its network on the `n x B` matrices of the windows' states and normalised gradients and the
//! `MEMORY x B` matrix of their memories (and the `n x B` matrices of the previous step's
//! directions and updates) by matrix-matrix products, written as ordinary
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
use tapeless::optim::{Resumable, Schedule};
use tapeless::parallel::WindowError;
use tapeless::UserError;

use crate::l96_batch::Costs;
use crate::solver::{
    analysis_error_vjp, carry_len, layout, Network, Run, Training, TrainingError, Window, K, STATE,
};
use crate::solver_clip::{accumulate_weights, window_norms, Record};

/// The solver's network on a batch: column `w` of the result is the output `o` of
/// [`solver_step`](crate::solver::solver_step) for column `w` of `x`, of the normalised
/// gradients `u`, of the log-norm features `s`, of the memories `c` and of the previous step's
/// directions `p` and updates `d`. `ones` is the constant `1 x B` row that copies each bias to
/// every column.
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
    w_p: &DMatrix<f64>,
    w_d: &DMatrix<f64>,
    ones: &RowDVector<f64>,
    x: &DMatrix<f64>,
    u: &DMatrix<f64>,
    s: &RowDVector<f64>,
    c: &DMatrix<f64>,
    p: &DMatrix<f64>,
    d: &DMatrix<f64>,
) -> DMatrix<f64> {
    let h1 = (w_x * (x * 0.25) + w_g * u + w_s * s + w_c * c + w_p * p + w_d * d + b1 * ones)
        .map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2 * ones).map(|v| v.tanh());
    w3 * &h2 + b3 * ones
}

/// [`solver_network_batch`] with the biases spread over the columns (`p1 = b1 ones`, ..) and
/// differentiated with respect to the first two and the inputs only: the adjoints of `p1` and
/// `p2` are those of the hidden layers' pre-activations, window by window, from which
/// `solver_clip` forms each window's weight adjoints (the weights are
/// constants here, their adjoints formed there).
#[differentiable(wrt(p1, p2, x, u, s, c, p, d))]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
pub fn solver_network_columns(
    w_x: &DMatrix<f64>,
    w_g: &DMatrix<f64>,
    w_s: &DVector<f64>,
    w_c: &DMatrix<f64>,
    p1: &DMatrix<f64>,
    w2: &DMatrix<f64>,
    p2: &DMatrix<f64>,
    w3: &DMatrix<f64>,
    p3: &DMatrix<f64>,
    w_p: &DMatrix<f64>,
    w_d: &DMatrix<f64>,
    x: &DMatrix<f64>,
    u: &DMatrix<f64>,
    s: &RowDVector<f64>,
    c: &DMatrix<f64>,
    p: &DMatrix<f64>,
    d: &DMatrix<f64>,
) -> DMatrix<f64> {
    let h1 =
        (w_x * (x * 0.25) + w_g * u + w_s * s + w_c * c + w_p * p + w_d * d + p1).map(|v| v.tanh());
    let h2 = (w2 * &h1 + p2).map(|v| v.tanh());
    w3 * &h2 + p3
}

/// The network's forward values on a batch: the biases spread over the columns, the hidden
/// activations and the output.
struct Forward {
    p: [DMatrix<f64>; 3],
    h1: DMatrix<f64>,
    h2: DMatrix<f64>,
    o: DMatrix<f64>,
}

/// The carry's rows: the memories, the previous step's directions and its updates.
fn split_carry(carry: &DMatrix<f64>, n: usize) -> [DMatrix<f64>; 3] {
    let m = carry.nrows() - 2 * n;
    [
        carry.rows(0, m).into_owned(),
        carry.rows(m, n).into_owned(),
        carry.rows(m + n, n).into_owned(),
    ]
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
/// use tapeless_problems::solver::{carry_len, initial_parameters, layout, MEMORY, STATE};
/// use tapeless_problems::solver_batch::SolverBatch;
///
/// let (solver, theta) = (SolverBatch::new(), initial_parameters(&layout(STATE), 1));
/// let (x, c) = (DMatrix::from_element(STATE, 2, 1.0), DMatrix::zeros(carry_len(STATE), 2));
/// let g = DMatrix::from_fn(STATE, 2, |i, w| (i + w) as f64 - 3.0);
/// let at = BatchInputs { theta: &theta, grad: &g, x: &x, carry: &c };
/// let (mut x1, mut c1) = (x.clone(), c.clone());
/// solver.step(&solver.unpack(&theta), at, &mut x1, &mut c1).unwrap();
/// // The memory (a tanh), then the carried gradient directions (norm sqrt(n)) and updates.
/// assert!(x1 != x && c1.rows(0, MEMORY).iter().all(|v| v.abs() < 1.0));
/// assert!((c1.rows(MEMORY, STATE).column(0).norm() - (STATE as f64).sqrt()).abs() < 1e-12);
/// ```
#[derive(Debug, Default)]
pub struct SolverBatch {
    /// `Some` while a sweep records its weight adjoints per window for
    /// [`hypergradient_clipped`] instead of summing them into `theta`'s adjoint.
    records: Mutex<Option<Vec<Record>>>,
}

impl SolverBatch {
    /// The batched solver.
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
        let [c, p, d] = split_carry(at.carry, at.x.nrows());
        solver_network_batch(
            &net.w_x, &net.w_g, &net.w_s, &net.w_c, &net.b1, &net.w2, &net.b2, &net.w3, &net.b3,
            &net.w_p, &net.w_d, ones, at.x, u, s, &c, &p, &d,
        )
    }

    /// A solver whose sweeps record their weight adjoints (see [`SolverBatch::take_records`]).
    fn recording() -> Self {
        Self {
            records: Mutex::new(Some(Vec::new())),
        }
    }

    /// The records of the sweeps since [`SolverBatch::recording`], last step first.
    fn take_records(&self) -> Vec<Record> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.take().unwrap_or_default()
    }

    /// The network's biases spread over `b` columns and its hidden activations `h1`, `h2` and
    /// output `o` on the batch, as [`solver_network_columns`] computes them.
    fn forward(
        net: &Network<f64>,
        at: &BatchInputs<'_>,
        u: &DMatrix<f64>,
        s: &RowDVector<f64>,
    ) -> Forward {
        let ones = RowDVector::from_element(at.x.ncols(), 1.0);
        let p = [&net.b1 * &ones, &net.b2 * &ones, &net.b3 * &ones];
        let [c, previous, update] = split_carry(at.carry, at.x.nrows());
        let h1 = (&net.w_x * (at.x * 0.25)
            + &net.w_g * u
            + &net.w_s * s
            + &net.w_c * &c
            + &net.w_p * &previous
            + &net.w_d * &update
            + &p[0])
            .map(|v| v.tanh());
        let h2 = (&net.w2 * &h1 + &p[1]).map(|v| v.tanh());
        let o = &net.w3 * &h2 + &p[2];
        Forward { p, h1, h2, o }
    }

    /// The step's weight-adjoint factors ([`Record`]) and the adjoints `x_bar`, `u_bar`, `c_bar`
    /// (of the whole carry) and `s_bar` of its inputs, for the output adjoint `o_bar`.
    fn record_vjp(
        net: &Network<f64>,
        at: &BatchInputs<'_>,
        (u, s): (DMatrix<f64>, RowDVector<f64>),
        forward: Forward,
        o_bar: DMatrix<f64>,
    ) -> (Record, [DMatrix<f64>; 3], RowDVector<f64>) {
        let (n, b) = at.x.shape();
        let Forward {
            p: [p1, p2, p3],
            h1,
            h2,
            ..
        } = forward;
        let [c, p, d] = split_carry(at.carry, n);
        let m = c.nrows();
        let (mut a1, mut a2) = (DMatrix::zeros(p1.nrows(), b), DMatrix::zeros(p2.nrows(), b));
        let (mut x_bar, mut u_bar, mut c_bar) = (
            DMatrix::zeros(n, b),
            DMatrix::zeros(n, b),
            DMatrix::zeros(m, b),
        );
        let (mut p_bar, mut d_bar) = (DMatrix::zeros(n, b), DMatrix::zeros(n, b));
        let mut s_bar = RowDVector::zeros(b);
        solver_network_columns_vjp(
            &net.w_x, &net.w_g, &net.w_s, &net.w_c, &p1, &mut a1, &net.w2, &p2, &mut a2, &net.w3,
            &p3, &net.w_p, &net.w_d, at.x, &mut x_bar, &u, &mut u_bar, &s, &mut s_bar, &c,
            &mut c_bar, &p, &mut p_bar, &d, &mut d_bar, &o_bar,
        );
        let mut carry_bar = DMatrix::zeros(at.carry.nrows(), b);
        carry_bar.rows_mut(0, m).copy_from(&c_bar);
        carry_bar.rows_mut(m, n).copy_from(&p_bar);
        carry_bar.rows_mut(m + n, n).copy_from(&d_bar);
        let record = Record {
            x: at.x.clone(),
            u,
            s,
            c,
            p,
            d,
            h1,
            h2,
            a1,
            a2,
            a3: o_bar,
        };
        (record, [x_bar, u_bar, carry_bar], s_bar)
    }
}

impl BatchUpdate for SolverBatch {
    /// The network's matrices, read from `theta` once per batch.
    type Unpacked = Network<f64>;

    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn carry(&self, n: usize) -> usize {
        carry_len(n)
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
        let m = carry.nrows() - 2 * n;
        for w in 0..b {
            for i in 0..n {
                x[(i, w)] = at.x[(i, w)] + 0.5 * o[(i, w)];
                carry[(m + i, w)] = u[(i, w)];
                carry[(m + n + i, w)] = o[(i, w)];
            }
            for j in 0..m {
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
        let m = at.carry.nrows() - 2 * n;
        let (u, s, r) = features(at.grad)?;
        let forward = Self::forward(network, &at, &u, &s);
        let o = &forward.o;
        // x_{k+1} = x_k + o_top / 2, c_{k+1} = [tanh(o_bottom), u, o_top].
        let mut o_bar = DMatrix::zeros(n + m, b);
        for w in 0..b {
            for i in 0..n {
                o_bar[(i, w)] = 0.5 * bar.x[(i, w)] + bar.carry[(m + n + i, w)];
            }
            for j in 0..m {
                let t = o[(n + j, w)].tanh();
                o_bar[(n + j, w)] = bar.carry[(j, w)] * (1.0 - t * t);
            }
        }
        let u_out_bar = bar.carry.rows(m, n).into_owned();
        let (record, [x_bar, mut u_bar, c_bar], s_bar) =
            Self::record_vjp(network, &at, (u, s), forward, o_bar);
        u_bar += &u_out_bar;
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        match records.as_mut() {
            Some(records) => records.push(record),
            None => accumulate_weights(&[record], &vec![1.0; b], bar.theta),
        }
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

/// A batch's losses, `sum_w f_w dL_w/dtheta` with `f_w = min(1, clip / |dL_w/dtheta|)` (each
/// window's hypergradient clipped to norm `clip`, as [`clip_by_norm`](tapeless::optim::clip_by_norm) clips it, before the sum)
/// and the unclipped norms `|dL_w/dtheta|`, by one batched backward sweep: the sweep keeps the
/// weight adjoints factored per window (`solver_clip`), so the norms come
/// before the sum. The same as clipping the per-window hypergradients
/// ([`Window::hypergradient`]) and summing them, to rounding (`tests/solver_batch.rs`).
///
/// ```
/// use tapeless_problems::solver::{initial_parameters, layout, Window, STATE};
/// use tapeless_problems::solver_batch::hypergradient_clipped;
///
/// let theta = initial_parameters(&layout(STATE), 1);
/// let windows = Window::many(0..2);
/// let (batch, norms) = hypergradient_clipped(&windows, &theta, 1e-3).unwrap();
/// let norm = batch.theta.iter().map(|g| g * g).sum::<f64>().sqrt();
/// assert!(norms.iter().all(|&n| n > 1e-3) && norm <= 2e-3 * (1.0 + 1e-12));
/// ```
///
/// # Errors
///
/// As [`hypergradient`].
pub fn hypergradient_clipped<W: std::borrow::Borrow<Window>>(
    windows: &[W],
    theta: &[f64],
    clip: f64,
) -> Result<(BatchHypergradient, Vec<f64>), BatchError> {
    let recorder = SolverBatch::recording();
    let mut batch = hypergradient(&recorder, windows, theta)?;
    let records = recorder.take_records();
    let norms = window_norms(&records);
    let scales: Vec<f64> = norms
        .iter()
        .map(|&norm| if norm > clip { clip / norm } else { 1.0 })
        .collect();
    accumulate_weights(&records, &scales, &mut batch.theta);
    Ok((batch, norms))
}

impl Training {
    /// [`Training::epoch`] with each batch's hypergradient by one batched backward sweep
    /// ([`hypergradient_clipped`]) instead of one per window: the same shuffles, background
    /// phases, per-window clipping, schedule and Adam steps, so the same training to rounding
    /// (`tests/solver_batch.rs`).
    ///
    /// ```
    /// use tapeless_problems::solver::{initial_parameters, layout, Training, Window, STATE};
    ///
    /// let plan = Training { batch: 2, epochs: 1, learning_rate: 1e-3, clip: 1.0, augment: false };
    /// let theta = initial_parameters(&layout(STATE), 1);
    /// let mut run = plan.start(theta.clone(), 0);
    /// let loss = plan.epoch_batched(&Window::many(0..2), &mut run, |_, _| {}).unwrap();
    /// assert!(loss > 0.0 && run.state.params != theta && run.state.epoch == 1);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Training::epoch`]: a failed batch (named by its training windows) or a refused Adam
    /// step.
    pub fn epoch_batched(
        &self,
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
            let (r, _) =
                hypergradient_clipped(&windows, &run.state.params, self.clip).map_err(|e| {
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
