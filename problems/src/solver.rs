//! The learned solver users would train (issue 14): a recurrent network that reads the state and
//! the *normalised* gradient of problem L's 4D-Var cost and returns the next iterate, as
//! 4DVarNet's LSTM gradient solver does, trained on windows 0..1023 to bring the analysis `x_K`
//! close to the truth in `K = 5` inner steps.
//!
//! One step `(x_{k+1}, c_{k+1}) = Phi_theta(x_k, c_k, g_k)`, `g_k = grad J(x_k)`, the carry
//! `c_k = [m_k, u_{k-1}, o_{k-1}]` (a memory, the previous step's gradient direction and its
//! update, all zero before the first step):
//!
//! ```text
//! r   = |g_k|,  u_k = sqrt(n) g_k / r,  s = (ln r - 7) / 3      (direction, and log-size)
//! h1  = tanh(W_x x_k / 4 + W_g u_k + w_s s + W_c m_k + W_p u_{k-1} + W_d o_{k-1} + b1)
//! h2  = tanh(W_2 h1 + b2)
//! o_k = W_3 h2 + b3                                             (n + m outputs)
//! x_{k+1} = x_k + 0.5 o_k[..n],   m_{k+1} = tanh(o_k[n..])      (a tanh recurrence)
//! ```
//!
//! The gradient's size spans decades (the Hessian's largest eigenvalue is about `1e5`), so the
//! network sees its direction and the logarithm of its size, never the raw gradient; the memory
//! `m` of [`MEMORY`] values carries what earlier steps saw, and the previous direction and
//! update give it, as a quasi-Newton method's secant pair, how the gradient turned under the
//! last step. The weights `W_p`, `W_d` of those two inputs came after the first shipped solver:
//! at zero they give its steps to the bit ([`load`] reads its nine-tensor files so). The whole
//! step is one `#[differentiable]` function of nalgebra matrices ([`solver_step`]); its generated
//! generic and `_vjp` companions are the [`Update`] of the unrolled solve.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::sync::Mutex;
use tapeless::differentiable;
use tapeless::hyper::{Descent, Hypergradient, StepAdjoints, StepInputs, Unrolled, Update};
use tapeless::nested::{NestedError, NoParameters};
use tapeless::params::{Layout, ParamsError};
use tapeless::{Real, UserError};

use crate::l96::{self, Data, InnerCost};

mod reference;
mod training;

pub use reference::converged_analysis;
pub use training::{load_training_state, Run, Training, TrainingError};

/// The dimension of the state.
pub const STATE: usize = l96::N;
/// The length of the recurrent memory carried across the inner steps.
pub const MEMORY: usize = 32;
/// Hidden width of both hidden layers.
pub const HIDDEN: usize = 384;
/// Inner steps.
pub const K: usize = 5;

/// The weight tensors (PyTorch's `[out, in]` convention), in layout order: the first
/// [`SHIPPED_TENSORS`] are the first shipped solver's, the last two the weights of the previous
/// step's direction and update.
pub const TENSORS: [&str; 11] = [
    "input.state.weight",
    "input.direction.weight",
    "input.log_norm.weight",
    "input.memory.weight",
    "layer1.bias",
    "layer2.weight",
    "layer2.bias",
    "layer3.weight",
    "layer3.bias",
    "input.previous_direction.weight",
    "input.previous_update.weight",
];

/// The tensors of the first shipped solver, without the previous step's inputs: the first
/// entries of [`TENSORS`], so its parameters are a prefix of [`layout`]'s.
pub const SHIPPED_TENSORS: usize = 9;

/// The solver's parameters for a state of length `n`: the first layer split by input (state,
/// gradient direction, log of the gradient norm, memory), then two dense layers; the last one
/// returns `n` state increments and `MEMORY` new memory values; then the first layer's weights
/// of the previous step's gradient direction and update.
pub fn layout(n: usize) -> Layout {
    layout_of(n, TENSORS.len())
}

/// The first shipped solver's parameters ([`SHIPPED_TENSORS`] tensors): [`layout`] without the
/// previous step's inputs.
pub fn shipped_layout(n: usize) -> Layout {
    layout_of(n, SHIPPED_TENSORS)
}

fn layout_of(n: usize, tensors: usize) -> Layout {
    let shapes: [Vec<usize>; 11] = [
        vec![HIDDEN, n],
        vec![HIDDEN, n],
        vec![HIDDEN],
        vec![HIDDEN, MEMORY],
        vec![HIDDEN],
        vec![HIDDEN, HIDDEN],
        vec![HIDDEN],
        vec![n + MEMORY, HIDDEN],
        vec![n + MEMORY],
        vec![HIDDEN, n],
        vec![HIDDEN, n],
    ];
    TENSORS
        .iter()
        .zip(shapes)
        .take(tensors)
        .try_fold(Layout::new(), |l, (name, shape)| l.tensor(name, &shape))
        .expect("distinct, non-empty names")
}

/// Glorot-uniform weights from a seeded generator, biases zero, and the last layer scaled by
/// 0.1, so that the untrained solver takes small steps.
pub fn initial_parameters(layout: &Layout, seed: u64) -> Vec<f64> {
    let mut theta = layout.zeros();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let names: Vec<String> = layout.tensors().iter().map(|t| t.name.clone()).collect();
    for name in names.iter().filter(|n| !n.ends_with("bias")) {
        layout
            .glorot_uniform(&mut theta, name, &mut rng)
            .expect("a tensor of the layout");
    }
    for w in layout
        .view_mut(&mut theta, "layer3.weight")
        .expect("a tensor of the layout")
    {
        *w *= 0.1;
    }
    theta
}

/// The solver's weights from a safetensors file of [`layout`], or of [`shipped_layout`] (the
/// first shipped solver's nine tensors), whose missing inputs are then zero: the same solver.
///
/// ```
/// use tapeless_problems::solver::{initial_parameters, layout, load, shipped_layout, STATE};
/// let shipped = shipped_layout(STATE);
/// let theta = initial_parameters(&shipped, 1);
/// let path = std::env::temp_dir().join("tapeless-solver-load-doctest.safetensors");
/// shipped.save(&theta, &path).unwrap();
/// let loaded = load(&path).unwrap();
/// assert_eq!(loaded.len(), layout(STATE).len());
/// assert_eq!(&loaded[..theta.len()], &theta[..]);
/// assert!(loaded[theta.len()..].iter().all(|w| *w == 0.0));
/// ```
///
/// # Errors
///
/// As [`Layout::load`] with [`layout`].
pub fn load(path: impl AsRef<std::path::Path>) -> Result<Vec<f64>, ParamsError> {
    let full = layout(STATE);
    match full.load(path.as_ref()) {
        Err(ParamsError::MissingTensor { name })
            if TENSORS[SHIPPED_TENSORS..].contains(&&*name) =>
        {
            let mut theta = shipped_layout(STATE).load(path)?;
            theta.resize(full.len(), 0.0);
            Ok(theta)
        }
        r => r,
    }
}

/// One step of the learned solver, written as a user would: the state `x`, the inner gradient
/// `g`, the memory `c` and the previous step's gradient direction `p` and update `d` in;
/// `[x_{k+1}, c_{k+1}, u_k, o_k[..n]]` (length `3 n + m`: the next state, and the next carry)
/// out.
#[differentiable]
#[allow(clippy::too_many_arguments)] // a network's weights and biases
pub fn solver_step(
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
    x: &[f64],
    g: &[f64],
    c: &[f64],
    p: &[f64],
    d: &[f64],
) -> Vec<f64> {
    let n = x.len();
    let m = c.len();
    let xv = DVector::from_column_slice(x);
    let gv = DVector::from_column_slice(g);
    let cv = DVector::from_column_slice(c);
    let pv = DVector::from_column_slice(p);
    let dv = DVector::from_column_slice(d);
    let r = gv.norm();
    let u = &gv * ((n as f64).sqrt() / r);
    let s = (r.ln() - 7.0) / 3.0;
    // The previous step's terms before the bias: at zero weights they add exact zeros, and the
    // sum is the first shipped solver's to the bit.
    let h1 = (w_x * (&xv * 0.25) + w_g * &u + w_s * s + w_c * &cv + w_p * &pv + w_d * &dv + b1)
        .map(|v| v.tanh());
    let h2 = (w2 * &h1 + b2).map(|v| v.tanh());
    let o = w3 * &h2 + b3;
    let mut out = vec![0.0; 3 * n + m];
    for i in 0..n {
        out[i] = x[i] + 0.5 * o[i];
    }
    for j in 0..m {
        out[n + j] = o[n + j].tanh();
    }
    for i in 0..n {
        out[n + m + i] = u[i];
        out[2 * n + m + i] = o[i];
    }
    out
}

/// The network's matrices at any scalar type, read from the flat parameter vector.
#[derive(Debug, Clone)]
pub struct Network<S: Real> {
    /// Weights of the state.
    pub w_x: DMatrix<S>,
    /// Weights of the gradient direction.
    pub w_g: DMatrix<S>,
    /// Weights of the log-norm feature.
    pub w_s: DVector<S>,
    /// Weights of the memory.
    pub w_c: DMatrix<S>,
    /// First hidden layer's bias.
    pub b1: DVector<S>,
    /// Second layer.
    pub w2: DMatrix<S>,
    /// Second layer's bias.
    pub b2: DVector<S>,
    /// Output layer.
    pub w3: DMatrix<S>,
    /// Output bias.
    pub b3: DVector<S>,
    /// Weights of the previous step's gradient direction.
    pub w_p: DMatrix<S>,
    /// Weights of the previous step's update.
    pub w_d: DMatrix<S>,
}

impl<S: Real> Network<S> {
    /// The network whose parameters are `theta`.
    pub fn unpack(layout: &Layout, theta: &[S]) -> Self {
        let m = |name: &str| layout.matrix(theta, name).expect("a tensor of the layout");
        let v = |name: &str| layout.vector(theta, name).expect("a tensor of the layout");
        Self {
            w_x: m(TENSORS[0]),
            w_g: m(TENSORS[1]),
            w_s: v(TENSORS[2]),
            w_c: m(TENSORS[3]),
            b1: v(TENSORS[4]),
            w2: m(TENSORS[5]),
            b2: v(TENSORS[6]),
            w3: m(TENSORS[7]),
            b3: v(TENSORS[8]),
            w_p: m(TENSORS[9]),
            w_d: m(TENSORS[10]),
        }
    }

    /// Zero matrices of the same shapes.
    pub fn zeros_like(&self) -> Self {
        let z = |a: &DMatrix<S>| DMatrix::zeros(a.nrows(), a.ncols());
        let zv = |a: &DVector<S>| DVector::zeros(a.len());
        Self {
            w_x: z(&self.w_x),
            w_g: z(&self.w_g),
            w_s: zv(&self.w_s),
            w_c: z(&self.w_c),
            b1: zv(&self.b1),
            w2: z(&self.w2),
            b2: zv(&self.b2),
            w3: z(&self.w3),
            b3: zv(&self.b3),
            w_p: z(&self.w_p),
            w_d: z(&self.w_d),
        }
    }

    /// Sets every entry to zero.
    pub fn set_zero(&mut self) {
        for w in [
            &mut self.w_x,
            &mut self.w_g,
            &mut self.w_c,
            &mut self.w2,
            &mut self.w3,
            &mut self.w_p,
            &mut self.w_d,
        ] {
            w.fill(S::zero());
        }
        for b in [&mut self.w_s, &mut self.b1, &mut self.b2, &mut self.b3] {
            b.fill(S::zero());
        }
    }

    /// Adds these matrices into `theta_bar` at the layout's offsets.
    pub fn accumulate_into(&self, layout: &Layout, theta_bar: &mut [S]) {
        let acc = |name: &str, m: &DMatrix<S>, t: &mut [S]| {
            layout
                .accumulate(t, name, m)
                .expect("a tensor of the layout")
        };
        let accv = |name: &str, v: &DVector<S>, t: &mut [S]| {
            layout
                .accumulate(t, name, v)
                .expect("a tensor of the layout")
        };
        acc(TENSORS[0], &self.w_x, theta_bar);
        acc(TENSORS[1], &self.w_g, theta_bar);
        accv(TENSORS[2], &self.w_s, theta_bar);
        acc(TENSORS[3], &self.w_c, theta_bar);
        accv(TENSORS[4], &self.b1, theta_bar);
        acc(TENSORS[5], &self.w2, theta_bar);
        accv(TENSORS[6], &self.b2, theta_bar);
        acc(TENSORS[7], &self.w3, theta_bar);
        accv(TENSORS[8], &self.b3, theta_bar);
        acc(TENSORS[9], &self.w_p, theta_bar);
        acc(TENSORS[10], &self.w_d, theta_bar);
    }
}

/// The length of the solver's carry for a state of length `n`: the memory of [`MEMORY`] values,
/// then the previous step's gradient direction and update (`n` each).
pub fn carry_len(n: usize) -> usize {
    MEMORY + 2 * n
}

/// The learned solver as an [`Update`]: `theta` is every weight of [`layout`], the carry (of
/// [`carry_len`] values, zero before the first step) the memory and the previous step's gradient
/// direction and update.
#[derive(Debug, Default)]
pub struct Solver {
    /// The network's adjoint, reused between the reverse sweep's steps.
    workspace: Mutex<Option<Network<f64>>>,
}

impl Solver {
    /// A solver (its workspace is allocated at the first reverse sweep).
    pub fn new() -> Self {
        Self::default()
    }
}

/// The carry's memory, previous gradient direction and previous update, for a state of length
/// `n`.
fn split_carry<T>(carry: &[T], n: usize) -> (&[T], &[T], &[T]) {
    let m = carry.len() - 2 * n;
    (&carry[..m], &carry[m..m + n], &carry[m + n..])
}

fn zero_gradient(grad: &[impl Real]) -> Result<(), UserError> {
    if grad.iter().all(|g| g.to_f64() == 0.0) {
        return Err(UserError::from(
            "the learned solver normalises the gradient: it is zero here (the state is already a stationary point)",
        ));
    }
    Ok(())
}

impl Update for Solver {
    type Unpacked<S: Real> = Network<S>;

    fn parameters(&self, n: usize) -> usize {
        layout(n).len()
    }

    fn carry(&self, n: usize) -> usize {
        carry_len(n)
    }

    fn unpack<S: Real>(&self, theta: &[S]) -> Network<S> {
        Network::unpack(&layout(STATE), theta)
    }

    fn step<S: Real>(
        &self,
        net: &Network<S>,
        at: StepInputs<'_, S>,
        x: &mut [S],
        carry: &mut [S],
    ) -> Result<(), UserError> {
        zero_gradient(at.grad)?;
        let n = x.len();
        let (c, p, d) = split_carry(at.carry, n);
        let out = solver_step_generic(
            &net.w_x, &net.w_g, &net.w_s, &net.w_c, &net.b1, &net.w2, &net.b2, &net.w3, &net.b3,
            &net.w_p, &net.w_d, at.x, at.grad, c, p, d,
        );
        x.copy_from_slice(&out[..n]);
        carry.copy_from_slice(&out[n..]);
        Ok(())
    }

    fn step_vjp(
        &self,
        net: &Network<f64>,
        at: StepInputs<'_, f64>,
        bar: StepAdjoints<'_>,
    ) -> Result<(), UserError> {
        zero_gradient(at.grad)?;
        let n = at.x.len();
        let mut workspace = self.workspace.lock().unwrap_or_else(|e| e.into_inner());
        let nb = workspace.get_or_insert_with(|| net.zeros_like());
        nb.set_zero();
        let out_bar: Vec<f64> = bar.x.iter().chain(bar.carry.iter()).copied().collect();
        let (c, p, d) = split_carry(at.carry, n);
        let (mut x_bar, mut g_bar) = (vec![0.0; n], vec![0.0; n]);
        let (mut c_bar, mut p_bar, mut d_bar) = (vec![0.0; c.len()], vec![0.0; n], vec![0.0; n]);
        solver_step_vjp(
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
            &net.w_p,
            &mut nb.w_p,
            &net.w_d,
            &mut nb.w_d,
            at.x,
            &mut x_bar,
            at.grad,
            &mut g_bar,
            c,
            &mut c_bar,
            p,
            &mut p_bar,
            d,
            &mut d_bar,
            &out_bar,
        );
        nb.accumulate_into(&layout(n), bar.theta);
        bar.x.copy_from_slice(&x_bar);
        let m = c.len();
        bar.carry[..m].copy_from_slice(&c_bar);
        bar.carry[m..m + n].copy_from_slice(&p_bar);
        bar.carry[m + n..].copy_from_slice(&d_bar);
        bar.grad.iter_mut().zip(&g_bar).for_each(|(a, b)| *a += b);
        Ok(())
    }
}

/// The analysis error `mean_i (x_i - xt0_i)^2`.
#[differentiable(wrt(x))]
pub fn analysis_error(x: &[f64], xt0: &[f64]) -> f64 {
    let n = x.len();
    let mut l = 0.0;
    for i in 0..n {
        let d = x[i] - xt0[i];
        l += d * d;
    }
    l / n as f64
}

/// The outer loss the solver is trained on: the analysis error of `x_K` against the truth's
/// initial state (problem N's [`OuterLoss`](crate::l96::OuterLoss) weighs the whole trajectory
/// instead).
pub struct AnalysisLoss<'a>(pub &'a [f64]);
impl tapeless::nested::Gradient for AnalysisLoss<'_> {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        Ok(analysis_error_vjp(x, g, self.0, S::one()))
    }
}

/// One assimilation window for the learned solver.
pub struct Window {
    /// Observations, background and truth.
    pub data: Data,
    /// The truth trajectory, row-major `k * 40 + i`, for the trajectory error.
    pub truth: Vec<f64>,
    solver: Solver,
}

impl Window {
    fn from_data(data: Data) -> Self {
        let truth = data.truth.iter().flatten().copied().collect();
        Self {
            data,
            truth,
            solver: Solver::new(),
        }
    }

    /// Window `w` (as [`l96::window`]).
    pub fn new(w: usize) -> Self {
        Self::from_data(l96::window(w))
    }

    /// The windows `range`, by one integration of the truth from `XT0` (the same RK4 steps as
    /// [`l96::window`] takes for each, so the same bits), in a fraction of the time.
    pub fn many(range: std::ops::Range<usize>) -> Vec<Self> {
        windows(range).into_iter().map(Self::from_data).collect()
    }

    /// The same truth and observations with another background from the same family of
    /// errors: `xb_i = xt0_i + 0.5 cos(1.7 i + phase)` (window `w`'s own is `phase = 0.3 +
    /// 0.9 w`). Training on random phases (data augmentation) shows the solver each truth with
    /// many backgrounds, not only the one it could otherwise learn by heart.
    pub fn with_background_phase(&self, phase: f64) -> Self {
        let xt0 = &self.data.truth[0];
        let xb = (0..xt0.len())
            .map(|i| xt0[i] + 0.5 * (1.7 * i as f64 + phase).cos())
            .collect();
        Self::from_data(Data {
            truth: self.data.truth.clone(),
            obs: self.data.obs.clone(),
            xb,
        })
    }

    /// The truth's initial state.
    pub fn xt0(&self) -> &[f64] {
        &self.data.truth[0]
    }

    /// The analysis-error loss and its hypergradient over the solver's weights (one backward
    /// sweep through the `K` unrolled steps).
    pub fn hypergradient(&self, theta: &[f64]) -> Result<Hypergradient, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &self.solver, K).reverse(
            &AnalysisLoss(self.xt0()),
            &self.data.xb,
            &[],
            theta,
        )
    }

    /// The learned solver's analysis `x_K`.
    pub fn analysis(&self, theta: &[f64]) -> Result<Vec<f64>, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &self.solver, K).solve(&self.data.xb, &[], theta)
    }

    /// Plain descent's analysis: `K` steps of step size `eta` from the background.
    pub fn descent_analysis(&self, eta: f64) -> Result<Vec<f64>, NestedError> {
        let cost = NoParameters(InnerCost(&self.data));
        Unrolled::new(&cost, &Descent, K).solve(&self.data.xb, &[], &[eta])
    }

    /// The trajectory error `L` of an analysis (problem N's outer loss).
    pub fn trajectory_error(&self, x: &[f64]) -> f64 {
        l96::trajectory_error(x, &self.truth)
    }

    /// The converged 4D-Var analysis (see [`converged_analysis`]).
    pub fn converged(&self) -> Result<(Vec<f64>, usize), UserError> {
        converged_analysis(&self.data, 1e-6)
    }
}

/// The data of windows `range` from one integration (the same as [`l96::window`] for each).
pub fn windows(range: std::ops::Range<usize>) -> Vec<Data> {
    let p = [l96::FORCING];
    let mut u = l96::XT0.to_vec();
    let mut k = 0;
    let mut out = Vec::with_capacity(range.len());
    for w in range {
        while k < 50 * w {
            l96::rk4_step(&mut u, &p, l96::H * k as f64, l96::H);
            k += 1;
        }
        let xt0 = u.clone();
        let mut v = u.clone();
        let mut truth = vec![v.clone()];
        for s in 0..l96::STEPS {
            l96::rk4_step(&mut v, &p, l96::H * s as f64, l96::H);
            truth.push(v.clone());
        }
        let shift = w as f64;
        let mut obs = Vec::new();
        for s in (l96::OBS_EVERY..=l96::STEPS).step_by(l96::OBS_EVERY) {
            for i in (0..STATE).step_by(2) {
                obs.push(
                    truth[s][i]
                        + l96::SIGMA_O
                            * (12.9898 * s as f64 + 78.233 * i as f64 + 3.1 * shift).sin(),
                );
            }
        }
        let xb = (0..STATE)
            .map(|i| xt0[i] + 0.5 * (1.7 * i as f64 + 0.3 + 0.9 * shift).cos())
            .collect();
        out.push(Data { truth, obs, xb });
    }
    out
}

/// Windows per parallel chunk of [`mean_hypergradient`].
pub const CHUNK: usize = 8;

/// The mean loss and mean hypergradient over `windows`, each window's hypergradient first
/// scaled to norm at most `clip` (per-window clipping). With `parallel`, the windows of each
/// chunk run on rayon's threads and are then summed in window order, so the result is the
/// serial sum's to the bit.
pub fn mean_hypergradient(
    windows: &[&Window],
    theta: &[f64],
    clip: Option<f64>,
    parallel: bool,
) -> Result<(f64, Vec<f64>), NestedError> {
    let mut loss = 0.0;
    let mut grad = vec![0.0; theta.len()];
    for chunk in windows.chunks(CHUNK) {
        let results: Vec<Result<Hypergradient, NestedError>> = if parallel {
            chunk.par_iter().map(|w| w.hypergradient(theta)).collect()
        } else {
            chunk.iter().map(|w| w.hypergradient(theta)).collect()
        };
        for r in results {
            let r = r?;
            loss += r.loss;
            let scale = match clip {
                Some(c) => (c / l96::norm(&r.theta)).min(1.0),
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

/// The root-mean-square error over windows and components of the analyses `analysis(w)`
/// against each window's truth initial state, the windows in parallel. A window whose analysis
/// fails (a diverged descent) counts as infinite.
pub fn validation_rmse(
    windows: &[Window],
    analysis: impl Fn(&Window) -> Result<Vec<f64>, NestedError> + Sync,
) -> f64 {
    let errors: Vec<f64> = windows
        .par_iter()
        .map(|w| match analysis(w) {
            Ok(x) => analysis_error(&x, w.xt0()),
            Err(_) => f64::INFINITY,
        })
        .collect();
    (errors.iter().sum::<f64>() / windows.len() as f64).sqrt()
}

/// Plain descent's best fixed step size on `windows` (the RMSE of `x_K` over them), by a grid of
/// `points` step sizes log-spaced in `[lo, hi]` refined by golden-section search around the best
/// grid point. Returns the step size and its RMSE.
pub fn tune_descent(windows: &[Window], (lo, hi): (f64, f64), points: usize) -> (f64, f64) {
    let rmse_at = |log_eta: f64| validation_rmse(windows, |w| w.descent_analysis(log_eta.exp()));
    let (a, b) = (lo.ln(), hi.ln());
    let step = (b - a) / (points - 1) as f64;
    let grid: Vec<(f64, f64)> = (0..points)
        .map(|i| {
            let l = a + step * i as f64;
            (l, rmse_at(l))
        })
        .collect();
    let best = grid
        .iter()
        .copied()
        .min_by(|p, q| p.1.total_cmp(&q.1))
        .expect("a non-empty grid");
    let (mut x0, mut x3) = (best.0 - step, best.0 + step);
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let (mut x1, mut x2) = (x3 - phi * (x3 - x0), x0 + phi * (x3 - x0));
    let (mut f1, mut f2) = (rmse_at(x1), rmse_at(x2));
    for _ in 0..8 {
        if f1 < f2 {
            x3 = x2;
            x2 = x1;
            f2 = f1;
            x1 = x3 - phi * (x3 - x0);
            f1 = rmse_at(x1);
        } else {
            x0 = x1;
            x1 = x2;
            f1 = f2;
            x2 = x0 + phi * (x3 - x0);
            f2 = rmse_at(x2);
        }
    }
    let candidates = [best, (x1, f1), (x2, f2)];
    let (l, f) = candidates
        .into_iter()
        .min_by(|p, q| p.1.total_cmp(&q.1))
        .expect("three candidates");
    (l.exp(), f)
}
