//! One step of an explicit Runge-Kutta method, in the four ways the drivers need it: the step
//! itself, a trial step with an error estimate (adaptive steps), the step's tangent, and the
//! step's adjoint.
//!
//! The stepper owns the stage buffers, allocated once for a given state length; no method
//! allocates. Each method cuts every slice it reads to the state's length once, so its loops
//! have no bounds checks; with a length known at compile time ([`Fixed`], for
//! `ode::gradient_fixed` and `ode::tangent_fixed`) rustc also unrolls them and sees the constant
//! length in the right-hand side where it inlines it. Every way of stepping evaluates the stage inputs with the same expression,
//!
//! ```text
//! y_i   = u + (h / den_i) * (num_i0 k_0 + num_i1 k_1 + ...)     (zero numerators skipped)
//! u_new = u + (h / den_b) * (num_b0 k_0 + num_b1 k_1 + ...)
//! ```
//!
//! so a state recomputed for the reverse sweep is bitwise the state of the forward pass. The
//! combinations are planned once per tableau row when the stepper is built (`combination.rs`).
//! Every product by a constant of the derivative (the step size, the tableau's numerators and
//! their quotients) is [`Real::mul_constant`], `x * c` with `c`'s tangents known to be zero: at
//! `Dual<f64, 1>` one multiplication per lane instead of a dual product's two and an addition,
//! the same values (each lane is the `f64` combination of that lane, the sign of a zero tangent
//! too). On problem L it took `gradient_fixed`'s Hessian-vector product from 4.43 M to 3.69 M
//! instructions per call (`benches/HISTORY.md`, session 12).
//!
//! The adjoint of a step is the exact transpose of its linearisation: given `u_bar`, the adjoint
//! of `u_new`, it recomputes the stage inputs from the step's initial state, seeds
//! `k_bar_i = num_bi ((h / den_b) u_bar)`, and goes back through the stages, calling
//! [`RhsVjp::vjp`] at each stage input and passing each input's adjoint on to `u_bar` and to the
//! adjoints of the earlier stages it was built from. The sweep is planned once per tableau when
//! the stepper is built ([`ReversePlan`]): the stages it goes through, the nonzero coefficients
//! in the scalar type, and which pass writes each seed (fused with its first term).
//!
//! A tableau with the classic RK4's coefficients takes a written-out path (`stepper/rk4.rs`):
//! the same operations in the same order, without the general glue, and whole store-all sweeps
//! in one call each ([`Stepper::store_steps`], [`Stepper::adjoint_steps`]).

mod rk4;

use super::combination::Combination;
use super::reverse_plan::{pass, scaled, seed_before, ReversePlan};
use super::rhs::{Rhs, RhsJvp, RhsVjp};
use super::tableau::Tableau;
use crate::Real;

/// Calls of the right-hand side, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) evals: usize,
    pub(crate) jvps: usize,
    pub(crate) vjps: usize,
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, other: Self) {
        self.evals += other.evals;
        self.jvps += other.jvps;
        self.vjps += other.vjps;
    }
}

/// The length of the states a stepper steps: known when the program runs (`usize`), or when it
/// is compiled ([`Fixed`]), in which case every stage buffer is sliced to a constant length, so
/// rustc drops the bounds checks, unrolls and vectorises the stage loops, and sees the constant
/// length inside the right-hand side when it inlines it.
pub(crate) trait Dim: Copy {
    /// The length.
    fn get(self) -> usize;
}

impl Dim for usize {
    #[inline(always)]
    fn get(self) -> usize {
        self
    }
}

/// A length `N` known at compile time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fixed<const N: usize>;

impl<const N: usize> Dim for Fixed<N> {
    #[inline(always)]
    fn get(self) -> usize {
        N
    }
}

// The right-hand side at one stage, each a call of its own with every buffer a separate
// reference parameter. Inlined into the stepper, where the stage buffers are fields of `self`,
// the right-hand side's loops lost the knowledge that its output does not alias its input
// (rustc's `noalias` on reference parameters does not survive its own inlining): they stored
// `u_bar[i]` after every term and were not vectorised. Behind this boundary the right-hand side
// (inlined into it, with the constant length of a `Fixed` state) keeps it, and its adjoint's
// loops are vectorised: problem L's instructions per call (callgrind, `benches/count_l96.rs`),
// the same bits, `gradient_fixed` 2.00 M to 1.86 M, `gradient` 3.11 M to 2.88 M, their
// Hessian-vector products 5.33 M to 5.05 M and 6.36 M to 6.05 M. The call costs a few
// instructions per stage.

/// `rhs.eval` into `du` at `(u, t)`, slices cut to the state's length `n`.
#[inline(never)]
fn eval_at<S: Real, F: Rhs + ?Sized, D: Dim>(rhs: &F, n: D, du: &mut [S], u: &[S], p: &[S], t: S) {
    eval_in(rhs, n, du, u, p, t);
}

/// [`eval_at`] inlined into its caller, whose buffers must be reference parameters of its own
/// (RK4's sweeps, `stepper/rk4.rs`).
#[inline(always)]
fn eval_in<S: Real, F: Rhs + ?Sized, D: Dim>(rhs: &F, n: D, du: &mut [S], u: &[S], p: &[S], t: S) {
    let n = n.get();
    rhs.eval(&mut du[..n], &u[..n], p, t);
}

/// `rhs.jvp` at `(u, t)` along `(u_dot, p_dot)`, slices cut to the state's length `n`.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
fn jvp_at<S: Real, F: RhsJvp + ?Sized, D: Dim>(
    rhs: &F,
    n: D,
    du: &mut [S],
    du_dot: &mut [S],
    u: &[S],
    u_dot: &[S],
    p: &[S],
    p_dot: &[S],
    t: S,
) {
    let n = n.get();
    rhs.jvp(
        (&mut du[..n], &mut du_dot[..n]),
        (&u[..n], &u_dot[..n]),
        (p, p_dot),
        t,
    );
}

/// `rhs.vjp` at `(u, t)` of the adjoint `du_bar`, slices cut to the state's length `n`; with
/// `PARAMETERS` false, `rhs.vjp_state` (`p_bar` is scratch). A constant, so each choice is a
/// function of its own (a flag tested per call cost 8 instructions per stage on problem L).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
fn vjp_at<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool>(
    rhs: &F,
    n: D,
    du: &mut [S],
    du_bar: &mut [S],
    u: &[S],
    u_bar: &mut [S],
    p: &[S],
    p_bar: &mut [S],
    t: S,
) {
    vjp_in::<S, F, D, PARAMETERS>(rhs, n, du, du_bar, u, u_bar, p, p_bar, t);
}

/// [`vjp_at`] inlined into its caller, whose buffers must be reference parameters of its own
/// (RK4's sweeps, `stepper/rk4.rs`).
#[inline(always)]
#[allow(clippy::too_many_arguments)] // vjp_at's
fn vjp_in<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool>(
    rhs: &F,
    n: D,
    du: &mut [S],
    du_bar: &mut [S],
    u: &[S],
    u_bar: &mut [S],
    p: &[S],
    p_bar: &mut [S],
    t: S,
) {
    let n = n.get();
    if PARAMETERS {
        rhs.vjp(
            (&mut du[..n], &mut du_bar[..n]),
            (&u[..n], &mut u_bar[..n]),
            (p, p_bar),
            t,
        );
    } else {
        rhs.vjp_state(
            (&mut du[..n], &mut du_bar[..n]),
            (&u[..n], &mut u_bar[..n]),
            (p, p_bar),
            t,
        );
    }
}

/// What a step reads besides its state: the right-hand side, the parameters, the time the step
/// starts at and its size. The drivers build one per step; the stepper's methods take it
/// instead of the four pieces apart.
pub(crate) struct StepContext<'a, F: ?Sized, S> {
    pub(crate) rhs: &'a F,
    pub(crate) p: &'a [S],
    pub(crate) t: f64,
    pub(crate) h: f64,
}

impl<'a, F: ?Sized, S> StepContext<'a, F, S> {
    /// The step of size `h` from `t` of `rhs` with parameters `p`.
    #[inline]
    pub(crate) fn new(rhs: &'a F, p: &'a [S], t: f64, h: f64) -> Self {
        Self { rhs, p, t, h }
    }

    /// The time of stage `i` of `tableau`, in the scalar type.
    #[inline]
    fn stage_time(&self, tableau: &Tableau, i: usize) -> S
    where
        S: Real,
    {
        S::from_f64(tableau.stage_time(self.t, self.h, i))
    }
}

// By hand: a derive would ask `F: Copy` and `S: Copy`, and the context only borrows them.
impl<F: ?Sized, S> Clone for StepContext<'_, F, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F: ?Sized, S> Copy for StepContext<'_, F, S> {}

/// Stage buffers and the stepping code of one tableau, for states of one length.
pub(crate) struct Stepper<'t, S, D = usize> {
    tableau: &'t Tableau,
    n: D,
    /// Stage derivatives `k_i`, row `i` at `i * n`.
    k: Vec<S>,
    /// Stage inputs `y_i` (rows of stages evaluated at `u` itself are unused).
    y: Vec<S>,
    /// Tangents of the stage derivatives (tangent steppers only).
    k_dot: Vec<S>,
    /// Tangent of the current stage input (tangent steppers only).
    y_dot: Vec<S>,
    /// Adjoints of the stage derivatives (adjoint steppers only).
    k_bar: Vec<S>,
    /// Adjoint of the current stage input (adjoint steppers only), zero between stages: the
    /// pass that reads it for the last time zeroes it.
    y_bar: Vec<S>,
    /// Scratch for [`RhsVjp::vjp`], which recomputes `f` there (adjoint steppers only).
    du: Vec<S>,
    /// The stage inputs' combinations of earlier stages (row `i` of `a`, stage `i`'s), and the
    /// result's (the weights `b`), planned when the stepper is built.
    rows: Vec<Combination<S>>,
    result: Combination<S>,
    /// The continuous extension's combination, set per interpolated state (dense output).
    dense: Combination<S>,
    /// Scratch: sums of stage derivatives (rows of more than two terms), and `(h / den_b) u_bar`,
    /// the adjoint's seed of the stage adjoints.
    acc: Vec<S>,
    /// Adjoints of the stage derivatives from dense output inside the step being reversed
    /// (adjoint steppers only), added to the seeds of [`reverse`](Stepper::reverse).
    dense_bar: Vec<S>,
    /// Whether `dense_bar` holds seeds.
    dense_seeded: bool,
    /// The reverse sweep, without and with `all_stages` (adjoint steppers only).
    plans: [ReversePlan<S>; 2],
    /// Evaluate every stage, those only the continuous extension reads too (set by the
    /// drivers around a step with saves inside it).
    pub(crate) all_stages: bool,
    /// The tableau has the classic RK4's coefficients: steps, recomputations and adjoints go
    /// through `rk4.rs` (the same bits, without the general glue) when nothing asks for more.
    rk4: bool,
    /// Whether [`reverse`](Stepper::reverse) accumulates the parameters' adjoint (else it asks
    /// the right-hand side for [`RhsVjp::vjp_state`], and `p_bar` is scratch).
    pub(crate) parameters: bool,
    pub(crate) counters: Counters,
}

impl<'t, S: Real, D: Dim> Stepper<'t, S, D> {
    /// A stepper for the forward step and trial steps.
    pub(crate) fn new(tableau: &'t Tableau, dim: D) -> Self {
        let (s, n) = (tableau.stages(), dim.get());
        Self {
            tableau,
            n: dim,
            k: vec![S::zero(); s * n],
            y: vec![S::zero(); s * n],
            k_dot: Vec::new(),
            y_dot: Vec::new(),
            k_bar: Vec::new(),
            y_bar: Vec::new(),
            du: Vec::new(),
            rows: (0..s).map(|i| Combination::new(tableau.row(i).0)).collect(),
            result: Combination::new(tableau.weights().0),
            dense: Combination::default(),
            acc: vec![S::zero(); n],
            dense_bar: Vec::new(),
            dense_seeded: false,
            plans: Default::default(),
            rk4: tableau.is_rk4(),
            all_stages: false,
            parameters: true,
            counters: Counters::default(),
        }
    }

    /// A stepper that can also take tangent steps.
    pub(crate) fn with_tangent(tableau: &'t Tableau, dim: D) -> Self {
        let mut stepper = Self::new(tableau, dim);
        let n = dim.get();
        stepper.k_dot = vec![S::zero(); tableau.stages() * n];
        stepper.y_dot = vec![S::zero(); n];
        stepper
    }

    /// A stepper that can also take adjoint steps.
    pub(crate) fn with_adjoint(tableau: &'t Tableau, dim: D) -> Self {
        let mut stepper = Self::new(tableau, dim);
        let n = dim.get();
        stepper.k_bar = vec![S::zero(); tableau.stages() * n];
        stepper.y_bar = vec![S::zero(); n];
        stepper.du = vec![S::zero(); n];
        // RK4's path needs neither (built on first use if the general path is asked for).
        if !stepper.rk4 {
            stepper.dense_bar = vec![S::zero(); tableau.stages() * n];
            stepper.plans = [false, true].map(|all| ReversePlan::new(tableau, all));
        }
        stepper
    }

    /// The general path only from here on (tests compare it with RK4's written-out one).
    #[cfg(test)]
    pub(crate) fn general_only(mut self) -> Self {
        self.rk4 = false;
        self
    }

    /// The tableau stepped.
    pub(crate) fn tableau(&self) -> &'t Tableau {
        self.tableau
    }

    /// The length of the states stepped (a constant for a [`Fixed`] length).
    #[inline(always)]
    pub(crate) fn dim(&self) -> D {
        self.n
    }

    /// Whether stage `i` is evaluated: it influences the result, or every stage is asked for.
    #[inline]
    fn needed(&self, i: usize) -> bool {
        self.all_stages || self.tableau.needed(i)
    }

    /// The continuous extension with stage weights `w` from the step's initial state `u` and
    /// the stages of the last step (every stage evaluated): `out = u + h sum_i w_i k_i`.
    pub(crate) fn dense_value(&mut self, u: &[S], h: f64, w: &[f64], out: &mut [S]) {
        self.dense.set(w);
        let hs = S::from_f64(h);
        self.dense
            .add_to((self.n, &self.k), hs, &mut self.acc, u, out);
    }

    /// The tangent of [`dense_value`](Stepper::dense_value) after a tangent step:
    /// `out_dot = u_dot + h sum_i w_i k_dot_i`.
    pub(crate) fn dense_tangent(&mut self, u_dot: &[S], h: f64, w: &[f64], out_dot: &mut [S]) {
        self.dense.set(w);
        let hs = S::from_f64(h);
        self.dense
            .add_to((self.n, &self.k_dot), hs, &mut self.acc, u_dot, out_dot);
    }

    /// The adjoint of [`dense_value`](Stepper::dense_value) given `v_bar`, the adjoint of its
    /// value: `k_bar_i += w_i (h v_bar)` into the seeds of the next [`reverse`](Stepper::reverse)
    /// (which then goes through every stage); the caller adds `v_bar` to the initial state's
    /// adjoint.
    pub(crate) fn seed_dense(&mut self, h: f64, w: &[f64], v_bar: &[S]) {
        let n = self.n.get();
        if self.dense_bar.is_empty() {
            self.dense_bar = vec![S::zero(); self.tableau.stages() * n];
        }
        if !self.dense_seeded {
            self.dense_bar.fill(S::zero());
            self.dense_seeded = true;
        }
        let hs = S::from_f64(h);
        for (i, &wi) in w.iter().enumerate() {
            if wi == 0.0 {
                continue;
            }
            let c = S::from_f64(wi);
            for (db, &vb) in self.dense_bar[i * n..(i + 1) * n].iter_mut().zip(v_bar) {
                *db += vb.mul_constant(hs).mul_constant(c);
            }
        }
    }

    /// Evaluates stage `i` from `u` and the earlier stages: its input into row `i` of `y` and,
    /// when `evaluate`, its derivative into row `i` of `k`.
    #[inline]
    fn stage<F: Rhs + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        i: usize,
        u: &[S],
        evaluate: bool,
    ) {
        let tab = self.tableau;
        let n = self.n.get();
        let u = &u[..n];
        let (rhs, p, h) = (cx.rhs, cx.p, cx.h);
        let ti = cx.stage_time(tab, i);
        if tab.row_empty(i) {
            if evaluate {
                eval_at(rhs, self.n, &mut self.k[i * n..(i + 1) * n], u, p, ti);
                self.counters.evals += 1;
            }
            return;
        }
        let scale = S::from_f64(h / tab.row(i).1);
        let y = &mut self.y[i * n..(i + 1) * n];
        // Row i of `a` reads the stages before i only.
        self.rows[i].add_to((self.n, &self.k[..i * n]), scale, &mut self.acc, u, y);
        if evaluate {
            eval_at(rhs, self.n, &mut self.k[i * n..(i + 1) * n], y, p, ti);
            self.counters.evals += 1;
        }
    }

    /// `out[m] = u[m] + (h / den_b) * sum_i num_bi k_i[m]`.
    #[inline]
    fn result(&mut self, u: &[S], h: f64, out: &mut [S]) {
        let scale = S::from_f64(h / self.tableau.weights().1);
        self.result
            .add_to((self.n, &self.k), scale, &mut self.acc, u, out);
    }

    /// One step of size `h` from `(t, u)`, in place. Stages that do not influence the result
    /// are skipped.
    pub(crate) fn step<F: Rhs + ?Sized>(&mut self, cx: StepContext<'_, F, S>, u: &mut [S]) {
        if self.rk4_path() {
            return self.rk4_step(cx, u);
        }
        for i in 0..self.tableau.stages() {
            if self.needed(i) {
                self.stage(cx, i, u, true);
            }
        }
        let scale = S::from_f64(cx.h / self.tableau.weights().1);
        self.result
            .add_in_place((self.n, &self.k), scale, &mut self.acc, u);
    }

    /// A trial step of an embedded pair: every stage, the result into `u_new`. When
    /// `first_stage_known`, row 0 of `k` already holds `f(u, p, t)` and is not evaluated again.
    pub(crate) fn trial<F: Rhs + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        u_new: &mut [S],
        first_stage_known: bool,
    ) {
        for i in 0..self.tableau.stages() {
            let known = i == 0 && first_stage_known && self.tableau.row_empty(0);
            self.stage(cx, i, u, !known);
        }
        self.result(u, cx.h, u_new);
    }

    /// The weighted RMS norm of the local error estimate of the last trial step,
    /// `sqrt(mean((h sum_i e_i k_i / (atol + rtol max(|u|, |u_new|)))^2))`, on primal values.
    pub(crate) fn error_norm(&self, u: &[S], u_new: &[S], h: f64, rtol: f64, atol: f64) -> f64 {
        let Some(e) = self.tableau.error_weights() else {
            return 0.0;
        };
        let n = self.n.get();
        if n == 0 {
            return 0.0;
        }
        let mut sum = 0.0;
        for m in 0..n {
            let mut estimate = 0.0;
            for (j, &w) in e.iter().enumerate() {
                if w != 0.0 {
                    estimate += w * self.k[j * n + m].to_f64();
                }
            }
            let scale = atol + rtol * u[m].to_f64().abs().max(u_new[m].to_f64().abs());
            let r = h * estimate / scale;
            sum += r * r;
        }
        (sum / n as f64).sqrt()
    }

    /// Evaluates `f(y, p, t)` into row `i` of `k` (the initial step-size guess uses rows 0
    /// and 1).
    pub(crate) fn eval_into<F: Rhs + ?Sized>(
        &mut self,
        rhs: &F,
        i: usize,
        y: &[S],
        p: &[S],
        t: f64,
    ) {
        let n = self.n.get();
        rhs.eval(&mut self.k[i * n..(i + 1) * n], y, p, S::from_f64(t));
        self.counters.evals += 1;
    }

    /// Row `i` of `k`.
    pub(crate) fn k_row(&self, i: usize) -> &[S] {
        &self.k[i * self.n.get()..(i + 1) * self.n.get()]
    }

    /// First same as last: the last stage of the accepted step is the next step's first.
    pub(crate) fn reuse_last_stage(&mut self) {
        let n = self.n.get();
        let last = self.tableau.stages() - 1;
        self.k.copy_within(last * n..(last + 1) * n, 0);
    }

    /// One tangent step: `u` and `u_dot` advanced together, through [`RhsJvp::jvp`].
    pub(crate) fn step_tangent<F: RhsJvp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        (u, u_dot): (&mut [S], &mut [S]),
        p_dot: &[S],
    ) {
        if self.rk4_path() {
            return self.rk4_step_tangent(cx, (u, u_dot), p_dot);
        }
        let tab = self.tableau;
        let n = self.n.get();
        // Every slice cut to the state's length once, so the loops have no bounds checks.
        let (u, u_dot) = (&mut u[..n], &mut u_dot[..n]);
        let (rhs, p, h) = (cx.rhs, cx.p, cx.h);
        for i in 0..tab.stages() {
            if !self.needed(i) {
                continue;
            }
            let ti = cx.stage_time(tab, i);
            let (earlier, rest) = self.k.split_at_mut(i * n);
            let (earlier_dot, rest_dot) = self.k_dot.split_at_mut(i * n);
            let (ki, ki_dot) = (&mut rest[..n], &mut rest_dot[..n]);
            if tab.row_empty(i) {
                jvp_at(rhs, self.n, ki, ki_dot, u, u_dot, p, p_dot, ti);
            } else {
                let scale = S::from_f64(h / tab.row(i).1);
                let y = &mut self.y[i * n..(i + 1) * n];
                let y_dot = &mut self.y_dot[..n];
                let (row, acc) = (&self.rows[i], &mut self.acc);
                row.add_to((self.n, earlier), scale, acc, u, y);
                row.add_to((self.n, earlier_dot), scale, acc, u_dot, y_dot);
                jvp_at(rhs, self.n, ki, ki_dot, y, y_dot, p, p_dot, ti);
            }
            self.counters.jvps += 1;
        }
        let scale = S::from_f64(h / tab.weights().1);
        self.result
            .add_in_place((self.n, &self.k), scale, &mut self.acc, u);
        self.result
            .add_in_place((self.n, &self.k_dot), scale, &mut self.acc, u_dot);
    }

    /// The forward half of a step's adjoint: recomputes the stage inputs from the step's initial
    /// state `u` (the last needed stage's derivative is not evaluated: its adjoint needs only its
    /// input). With `result`, evaluates every needed stage and writes the step's result there
    /// too, bitwise what [`step`](Stepper::step) computes.
    pub(crate) fn recompute<F: Rhs + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        result: Option<&mut [S]>,
    ) {
        if self.rk4_path() {
            return self.rk4_recompute(cx, u, result);
        }
        let last = if self.all_stages {
            self.tableau.stages() - 1
        } else {
            self.tableau.last_needed()
        };
        for i in 0..=last {
            if self.needed(i) {
                self.stage(cx, i, u, i < last || result.is_some());
            }
        }
        if let Some(out) = result {
            self.result(u, cx.h, out);
        }
    }

    /// The reverse half of a step's adjoint, after [`recompute`](Stepper::recompute) of the
    /// same step: turns `u_bar` from the adjoint of the step's result into the adjoint of its
    /// initial state `u`, and adds the parameters' adjoint into `p_bar` (scratch when not
    /// [`parameters`](Stepper::parameters)). Goes through the tableau's [`ReversePlan`], built
    /// with the stepper.
    pub(crate) fn reverse<F: RhsVjp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        u_bar: &mut [S],
        p_bar: &mut [S],
    ) {
        if self.rk4_path() {
            return self.rk4_reverse(cx, u, u_bar, p_bar);
        }
        let plan = usize::from(self.all_stages);
        if self.plans[plan].stages.is_empty() {
            // Not built with the stepper (RK4's path does not read it): built once, now.
            self.plans[plan] = ReversePlan::new(self.tableau, self.all_stages);
        }
        // Chosen once per step: a choice per stage cost 44 instructions per RK4 step on problem
        // L (registers spilled around the two calls).
        if self.parameters {
            self.reverse_with::<F, true>(cx, u, u_bar, p_bar);
        } else {
            self.reverse_with::<F, false>(cx, u, u_bar, p_bar);
        }
    }

    /// [`reverse`](Stepper::reverse), with or without the parameters' adjoint.
    #[inline(always)]
    fn reverse_with<F: RhsVjp + ?Sized, const PARAMETERS: bool>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        u_bar: &mut [S],
        p_bar: &mut [S],
    ) {
        let (rhs, p, h) = (cx.rhs, cx.p, cx.h);
        let tab = self.tableau;
        let n = self.n.get();
        // Every slice cut to the state's length once, so the loops below have no bounds checks.
        let (u, u_bar) = (&u[..n], &mut u_bar[..n]);
        let du = &mut self.du[..n];
        let plan = &self.plans[usize::from(self.all_stages)];
        // u_new = u + scale * sum_i num_bi k_i: u_bar passes through to u, and each k_i gets
        // num_bi w, w = scale * u_bar, before the sweep or fused into the first pass adding to
        // it (`ReversePlan`).
        let scale = S::from_f64(h / tab.weights().1);
        let w = &mut self.acc[..n];
        scaled(self.n, w, u_bar, scale);
        let dense = std::mem::take(&mut self.dense_seeded);
        // With dense output's seeds, every seed before the sweep.
        let upfront = if dense { &plan.weights } else { &plan.upfront };
        for &(i, b) in upfront {
            let ki_bar = &mut self.k_bar[i * n..(i + 1) * n];
            let db = dense.then(|| &self.dense_bar[i * n..(i + 1) * n]);
            seed_before(ki_bar, b, w, db);
        }
        let w = &*w;
        for stage in &plan.stages {
            let i = stage.i;
            let ti = cx.stage_time(tab, i);
            let (earlier_bar, rest) = self.k_bar.split_at_mut(i * n);
            // Consumed by the call: vjp leaves it zero.
            let ki_bar = &mut rest[..n];
            self.counters.vjps += 1;
            if stage.row_empty {
                // The stage input is u itself.
                vjp_at::<S, F, D, PARAMETERS>(rhs, self.n, du, ki_bar, u, u_bar, p, p_bar, ti);
                continue;
            }
            // Zero on entry (kept so by the last pass below, which reads it for the last time).
            let y_bar = &mut self.y_bar[..n];
            let y = &self.y[i * n..(i + 1) * n];
            vjp_at::<S, F, D, PARAMETERS>(rhs, self.n, du, ki_bar, y, y_bar, p, p_bar, ti);
            // y_i = u + scale_i * sum_j num_ij k_j: y_bar to each k_j, and to u with the last.
            let scale_i = S::from_f64(h / stage.den);
            let terms = &plan.terms[stage.terms.clone()];
            for (t, term) in terms.iter().enumerate() {
                let j = term.j;
                let kj_bar = &mut earlier_bar[j * n..(j + 1) * n];
                let seed = term.seed.filter(|_| !dense).map(|b| (b, w));
                let ub = (t + 1 == terms.len()).then_some(&mut *u_bar);
                match term.a {
                    None => pass(kj_bar, y_bar, seed, ub, |yb| yb.mul_constant(scale_i)),
                    Some(c) => pass(kj_bar, y_bar, seed, ub, |yb| {
                        yb.mul_constant(scale_i).mul_constant(c)
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
