//! The classic RK4 tableau's step, stage recomputation and step adjoint, each written out as one
//! function, and whole sweeps of them (the store-all gradient's forward and reverse sweeps): the
//! same operations in the same order as the general stepper, so the same bits, without its
//! per-stage and per-step glue.
//!
//! The general stepper reads each stage's row from the tableau, cuts and checks its buffers,
//! chooses a combination's shape and the terms' unit or non-unit coefficients, and calls a
//! combination function, per stage and per step; on problem L (40 components) that glue came to
//! about 2,000 instructions a step beside 2,300 in its loops, and the drivers' calls per step
//! (`advance`, `recompute`, `reverse`, the finiteness check) to about 700 more. Here:
//!
//! - the coefficients are RK4's (`1/2, 1/2, 1` over the rows, `(1, 2, 2, 1) / 6` for the
//!   result), and the result's two passes are one;
//! - every buffer is a reference parameter of its own, cut to the state's length once: rustc
//!   knows they do not alias, vectorises each loop without run-time overlap checks (about 35
//!   instructions a loop when rows of one buffer are cut apart inside the function) and drops
//!   the bounds checks;
//! - a sweep ([`store_steps`], [`adjoint_steps`]) hands its buffers over once, recomputes each
//!   step's stages and goes back through them in one pass, with the right-hand side inlined
//!   (its loops keep knowing that its buffers, the sweep's parameters, do not alias), and
//!   checks each new state's finiteness in the result's pass;
//! - a single step ([`step`], [`recompute`], [`reverse`], [`adjoint`]: the last step of a sweep,
//!   checkpointing; [`step_tangent`], the tangent's) calls the right-hand side through the
//!   general stepper's boundaries.
//!
//! The stepper takes this path when its tableau has RK4's coefficients and nothing asks for more
//! than the step (no dense-output seeds, no `all_stages`): `stepper/tests.rs` checks every
//! function bit for bit against the general path at `f64` and `Dual<f64, 1>`, at run-time and
//! constant lengths, with and without the parameters' adjoint, and the sweeps against
//! checkpointing's single steps (so do the conformance tests).
//!
//! What the steps compute, with `s = h/2` and `w = (h/6) u_bar`:
//!
//! ```text
//! step:      k0 = f(u)  y1 = u + s k0  k1 = f(y1)  y2 = u + s k1  k2 = f(y2)  y3 = u + h k2
//!            k3 = f(y3)  u += (h/6) (((k0 + 2 k1) + 2 k2) + k3)          (one pass)
//! reverse:   k3_bar = w;  y3_bar = f_y3^T k3_bar;  k2_bar = 2w + h y3_bar;  u_bar += y3_bar
//!            y2_bar = f_y2^T k2_bar;  k1_bar = 2w + s y2_bar;  u_bar += y2_bar
//!            y1_bar = f_y1^T k1_bar;  k0_bar = w + s y1_bar;   u_bar += y1_bar
//!            u_bar += f_u^T k0_bar
//! ```

use super::{eval_at, eval_in, jvp_at, vjp_at, vjp_in, Dim, StepContext, Stepper};
use crate::ode::error::OdeError;
use crate::ode::rhs::{Rhs, RhsJvp, RhsVjp};
use crate::Real;

/// `rhs.eval` at one stage: inlined (`INLINE`, the sweeps, whose buffers are reference
/// parameters of their own, so the right-hand side's loops keep knowing that they do not alias)
/// or behind `eval_at`'s boundary (the single steps, which only the last step of a sweep and
/// checkpointing's steps take: one copy of the right-hand side fewer in the binary for each).
#[inline(always)]
fn eval<S: Real, F: Rhs + ?Sized, D: Dim, const INLINE: bool>(
    cx: &Ctx<'_, F, S, D>,
    du: &mut [S],
    u: &[S],
    t: S,
) {
    if INLINE {
        eval_in(cx.rhs, cx.n, du, u, cx.p, t);
    } else {
        eval_at(cx.rhs, cx.n, du, u, cx.p, t);
    }
}

/// `rhs.vjp` (or `vjp_state`) at one stage, inlined or not as [`eval`].
#[inline(always)]
#[allow(clippy::too_many_arguments)] // vjp_at's
fn vjp<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool, const INLINE: bool>(
    cx: &Ctx<'_, F, S, D>,
    du: &mut [S],
    du_bar: &mut [S],
    u: &[S],
    u_bar: &mut [S],
    p_bar: &mut [S],
    t: S,
) {
    let (rhs, n, p) = (cx.rhs, cx.n, cx.p);
    if INLINE {
        vjp_in::<S, F, D, PARAMETERS>(rhs, n, du, du_bar, u, u_bar, p, p_bar, t);
    } else {
        vjp_at::<S, F, D, PARAMETERS>(rhs, n, du, du_bar, u, u_bar, p, p_bar, t);
    }
}

/// The times and step-size factors of one RK4 step, in the scalar type: stage `i` at `t[i]`,
/// `half = h/2` (rows 1 and 2), `whole = h/1` (row 3), `sixth = h/6` (the result).
#[derive(Clone, Copy)]
pub(super) struct Rk4Step<S> {
    pub(super) t: [S; 4],
    pub(super) half: S,
    pub(super) whole: S,
    pub(super) sixth: S,
}

impl<S: Real> Rk4Step<S> {
    /// The factors of a step of size `h` from `t`, each computed as the general stepper does:
    /// `h / den` for a row with denominator `den`, the stage times `t + c_i h` (`t` itself for
    /// `c_i = 0`) with RK4's `c = (0, 1/2, 1/2, 1)`.
    #[inline(always)]
    pub(super) fn at(t: f64, h: f64) -> Self {
        Self {
            t: [t, t + 0.5 * h, t + 0.5 * h, t + 1.0 * h].map(S::from_f64),
            half: S::from_f64(h / 2.0),
            whole: S::from_f64(h / 1.0),
            sixth: S::from_f64(h / 6.0),
        }
    }
}

/// What each entry point reads besides its buffers: the right-hand side, the state's length,
/// the parameters and the step's factors.
pub(super) struct Ctx<'a, F: ?Sized, S, D> {
    pub(super) rhs: &'a F,
    pub(super) n: D,
    pub(super) p: &'a [S],
    pub(super) f: Rk4Step<S>,
}

/// `y = u + c x`, the stage input of a row of one unit term.
#[inline(always)]
fn stage_input<S: Real>(y: &mut [S], u: &[S], x: &[S], c: S) {
    let n = y.len();
    let (u, x) = (&u[..n], &x[..n]);
    for ((y, &u), &x) in y.iter_mut().zip(u).zip(x) {
        *y = u + x.mul_constant(c);
    }
}

/// The stages of a step from `u`: `k0` to `k2` and the stage inputs `y1` to `y3` (every slice
/// of length `n`).
#[inline(always)]
fn inputs<S: Real, F: Rhs + ?Sized, D: Dim, const INLINE: bool>(
    cx: &Ctx<'_, F, S, D>,
    u: &[S],
    [k0, k1, k2]: [&mut [S]; 3],
    [y1, y2, y3]: [&mut [S]; 3],
) {
    let f = &cx.f;
    eval::<S, F, D, INLINE>(cx, k0, u, f.t[0]);
    stage_input(y1, u, k0, f.half);
    eval::<S, F, D, INLINE>(cx, k1, y1, f.t[1]);
    stage_input(y2, u, k1, f.half);
    eval::<S, F, D, INLINE>(cx, k2, y2, f.t[2]);
    stage_input(y3, u, k2, f.whole);
}

/// `out = base + (h/6) (((k0 + 2 k1) + 2 k2) + k3)`, or `out += ..` when `base` is `None`: the
/// general combination's two passes (`acc = k0 + 2 k1`, then the rest) in one, the same bits
/// (`acc` held its sum exactly).
#[inline(always)]
fn result<S: Real>(out: &mut [S], base: Option<&[S]>, k: [&[S]; 4], sixth: S) {
    let n = out.len();
    let two = S::from_f64(2.0);
    let [k0, k1, k2, k3] = k.map(|k| &k[..n]);
    let sum = |m: usize| ((k0[m] + k1[m].mul_constant(two)) + k2[m].mul_constant(two)) + k3[m];
    match base {
        None => {
            for (m, o) in out.iter_mut().enumerate() {
                *o += sum(m).mul_constant(sixth);
            }
        }
        Some(base) => {
            let base = &base[..n];
            for (m, (o, &b)) in out.iter_mut().zip(base).enumerate() {
                *o = b + sum(m).mul_constant(sixth);
            }
        }
    }
}

/// `out += (h/6) (((k0 + 2 k1) + 2 k2) + k3)` as [`result`], returning whether every new
/// component's primal value is finite (the driver's check after each step, `all_finite` in
/// `driver.rs`, fused into the pass): `x - x` is `+0` exactly when `x` is finite (NaN for an
/// infinity or a NaN), so the bits of all of them OR-ed together are zero exactly when every
/// component is finite; an integer reduction, which rustc vectorises with the pass.
#[inline(always)]
fn result_checked<S: Real>(out: &mut [S], k: [&[S]; 4], sixth: S) -> bool {
    let n = out.len();
    let two = S::from_f64(2.0);
    let [k0, k1, k2, k3] = k.map(|k| &k[..n]);
    let mut bits = 0u64;
    for (m, o) in out.iter_mut().enumerate() {
        *o += (((k0[m] + k1[m].mul_constant(two)) + k2[m].mul_constant(two)) + k3[m])
            .mul_constant(sixth);
        let x = o.to_f64();
        #[allow(clippy::eq_op)] // `x - x` is the test: zero exactly when `x` is finite
        let zero_if_finite = x - x;
        bits |= zero_if_finite.to_bits();
    }
    bits == 0
}

// The entry points take every buffer as a reference parameter of its own: rustc marks those as
// not aliasing, so the loops are vectorised without run-time overlap checks (rows of one buffer
// cut apart inside the function cost about 35 instructions of checks per loop, 11 loops a step
// on problem L).

/// One RK4 step from `u`, in place.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn step<S: Real, F: Rhs + ?Sized, D: Dim>(
    cx: &Ctx<'_, F, S, D>,
    u: &mut [S],
    k0: &mut [S],
    k1: &mut [S],
    k2: &mut [S],
    k3: &mut [S],
    y1: &mut [S],
    y2: &mut [S],
    y3: &mut [S],
) {
    let n = cx.n.get();
    let u = &mut u[..n];
    let (k0, k1, k2, k3) = (&mut k0[..n], &mut k1[..n], &mut k2[..n], &mut k3[..n]);
    let (y1, y2, y3) = (&mut y1[..n], &mut y2[..n], &mut y3[..n]);
    inputs::<S, F, D, false>(cx, u, [&mut *k0, &mut *k1, &mut *k2], [y1, y2, &mut *y3]);
    eval::<S, F, D, false>(cx, k3, y3, cx.f.t[3]);
    result(u, None, [k0, k1, k2, k3], cx.f.sixth);
}

/// The stage inputs of a step from `u` recomputed for its adjoint, `k3` too with `out`, which
/// then receives the step's result (bitwise [`step`]'s).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn recompute<S: Real, F: Rhs + ?Sized, D: Dim>(
    cx: &Ctx<'_, F, S, D>,
    u: &[S],
    k0: &mut [S],
    k1: &mut [S],
    k2: &mut [S],
    k3: &mut [S],
    y1: &mut [S],
    y2: &mut [S],
    y3: &mut [S],
    out: Option<&mut [S]>,
) {
    let n = cx.n.get();
    let u = &u[..n];
    let (k0, k1, k2, k3) = (&mut k0[..n], &mut k1[..n], &mut k2[..n], &mut k3[..n]);
    let (y1, y2, y3) = (&mut y1[..n], &mut y2[..n], &mut y3[..n]);
    inputs::<S, F, D, false>(cx, u, [&mut *k0, &mut *k1, &mut *k2], [y1, y2, &mut *y3]);
    if let Some(out) = out {
        eval::<S, F, D, false>(cx, k3, y3, cx.f.t[3]);
        result(&mut out[..n], Some(u), [k0, k1, k2, k3], cx.f.sixth);
    }
}

/// One tangent step: `u` and `u_dot` advanced together through [`RhsJvp::jvp`], each stage
/// input and its tangent (`y_dot`, one row reused by every stage, as the general stepper does)
/// formed in the general stepper's order, then the result of `u` and of `u_dot`.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn step_tangent<S: Real, F: RhsJvp + ?Sized, D: Dim>(
    cx: &Ctx<'_, F, S, D>,
    p_dot: &[S],
    u: &mut [S],
    u_dot: &mut [S],
    [k0, k1, k2, k3]: [&mut [S]; 4],
    [k0d, k1d, k2d, k3d]: [&mut [S]; 4],
    [y1, y2, y3]: [&mut [S]; 3],
    y_dot: &mut [S],
) {
    let (rhs, n, p, f) = (cx.rhs, cx.n, cx.p, &cx.f);
    let len = n.get();
    let (u, u_dot, y_dot) = (&mut u[..len], &mut u_dot[..len], &mut y_dot[..len]);
    jvp_at(rhs, n, k0, k0d, u, u_dot, p, p_dot, f.t[0]);
    stage_input(y1, u, k0, f.half);
    stage_input(y_dot, u_dot, k0d, f.half);
    jvp_at(rhs, n, k1, k1d, y1, y_dot, p, p_dot, f.t[1]);
    stage_input(y2, u, k1, f.half);
    stage_input(y_dot, u_dot, k1d, f.half);
    jvp_at(rhs, n, k2, k2d, y2, y_dot, p, p_dot, f.t[2]);
    stage_input(y3, u, k2, f.whole);
    stage_input(y_dot, u_dot, k2d, f.whole);
    jvp_at(rhs, n, k3, k3d, y3, y_dot, p, p_dot, f.t[3]);
    result(u, None, [&*k0, &*k1, &*k2, &*k3], f.sixth);
    result(u_dot, None, [&*k0d, &*k1d, &*k2d, &*k3d], f.sixth);
}

/// `k_bar_j = seed(w) + c y_bar; u_bar += y_bar; y_bar = 0`: a stage input's adjoint passed on
/// to the stage it was built from (seeded with its share of the result's adjoint) and to the
/// step's initial state.
#[inline(always)]
fn pass<S: Real>(
    kb: &mut [S],
    u_bar: &mut [S],
    y_bar: &mut [S],
    w: &[S],
    (seed, c): (impl Fn(S) -> S, S),
) {
    let n = kb.len();
    let (u_bar, y_bar, w) = (&mut u_bar[..n], &mut y_bar[..n], &w[..n]);
    for (((k, u), y), &w) in kb.iter_mut().zip(u_bar).zip(y_bar).zip(w) {
        *k = seed(w) + y.mul_constant(c);
        *u += *y;
        *y = S::zero();
    }
}

/// The adjoint of the stages, after their inputs were recomputed: `u_bar` from the adjoint of
/// the step's result to that of `u`, `p_bar` accumulated (`PARAMETERS`); `[w, y_bar, du]` the
/// scratch (`y_bar` zero on entry and on return). Every slice of length `n`.
#[inline(always)]
fn backward<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool, const INLINE: bool>(
    cx: &Ctx<'_, F, S, D>,
    (u, u_bar, p_bar): (&[S], &mut [S], &mut [S]),
    [y1, y2, y3]: [&[S]; 3],
    [k0b, k1b, k2b, k3b]: [&mut [S]; 4],
    [w, y_bar, du]: [&mut [S]; 3],
) {
    let f = &cx.f;
    // The result's seeds: w, and k3_bar = w (its weight is one) in the same pass.
    for ((w, k3), &ub) in w.iter_mut().zip(&mut *k3b).zip(&*u_bar) {
        *w = ub.mul_constant(f.sixth);
        *k3 = *w;
    }
    let (w, two) = (&*w, S::from_f64(2.0));
    let double = move |w: S| w.mul_constant(two);
    vjp::<S, F, D, PARAMETERS, INLINE>(cx, du, k3b, y3, y_bar, p_bar, f.t[3]);
    pass(k2b, u_bar, y_bar, w, (double, f.whole));
    vjp::<S, F, D, PARAMETERS, INLINE>(cx, du, k2b, y2, y_bar, p_bar, f.t[2]);
    pass(k1b, u_bar, y_bar, w, (double, f.half));
    vjp::<S, F, D, PARAMETERS, INLINE>(cx, du, k1b, y1, y_bar, p_bar, f.t[1]);
    pass(k0b, u_bar, y_bar, w, (|w| w, f.half));
    vjp::<S, F, D, PARAMETERS, INLINE>(cx, du, k0b, u, u_bar, p_bar, f.t[0]);
}

/// The adjoint of a step after [`recompute`] of it: `u_bar` from the adjoint of the step's
/// result to that of its initial state `u`, the parameters' adjoint added into `p_bar`
/// (`PARAMETERS`, else scratch); `k0b` to `k3b` the stage adjoints, `w`, `y_bar` (zero between
/// calls) and `du` scratch.
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn reverse<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool>(
    cx: &Ctx<'_, F, S, D>,
    u: &[S],
    u_bar: &mut [S],
    p_bar: &mut [S],
    y1: &[S],
    y2: &[S],
    y3: &[S],
    k0b: &mut [S],
    k1b: &mut [S],
    k2b: &mut [S],
    k3b: &mut [S],
    w: &mut [S],
    y_bar: &mut [S],
    du: &mut [S],
) {
    let n = cx.n.get();
    backward::<S, F, D, PARAMETERS, false>(
        cx,
        (&u[..n], &mut u_bar[..n], p_bar),
        [&y1[..n], &y2[..n], &y3[..n]],
        [&mut k0b[..n], &mut k1b[..n], &mut k2b[..n], &mut k3b[..n]],
        [&mut w[..n], &mut y_bar[..n], &mut du[..n]],
    );
}

/// [`recompute`] without the result and [`reverse`], fused: the adjoint of a step whose result
/// nothing else reads (every step but the last, without saves inside it).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn adjoint<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool>(
    cx: &Ctx<'_, F, S, D>,
    u: &[S],
    u_bar: &mut [S],
    p_bar: &mut [S],
    k0: &mut [S],
    k1: &mut [S],
    k2: &mut [S],
    y1: &mut [S],
    y2: &mut [S],
    y3: &mut [S],
    k0b: &mut [S],
    k1b: &mut [S],
    k2b: &mut [S],
    k3b: &mut [S],
    w: &mut [S],
    y_bar: &mut [S],
    du: &mut [S],
) {
    let n = cx.n.get();
    let u = &u[..n];
    let (k0, k1, k2) = (&mut k0[..n], &mut k1[..n], &mut k2[..n]);
    let (y1, y2, y3) = (&mut y1[..n], &mut y2[..n], &mut y3[..n]);
    inputs::<S, F, D, false>(cx, u, [k0, k1, k2], [&mut *y1, &mut *y2, &mut *y3]);
    backward::<S, F, D, PARAMETERS, false>(
        cx,
        (u, &mut u_bar[..n], p_bar),
        [y1, y2, y3],
        [&mut k0b[..n], &mut k1b[..n], &mut k2b[..n], &mut k3b[..n]],
        [&mut w[..n], &mut y_bar[..n], &mut du[..n]],
    );
}

// Whole sweeps in one call each, for the drivers' loops over steps (every state stored, no save
// inside a step): the buffers are handed over once per sweep instead of once per step, so the
// per-step cost is the step's own work and the driver's closure (on problem L the per-step calls
// of the stepper cost about 600 instructions a step).

/// Steps `steps` of the grid `step(k) = (t, h)` from the state `states[(k - 1) n..k n]` to the
/// state `k`, appended to `states` (which holds the states up to the first step's start), then
/// `after(k, finite)` with whether every component of state `k` is finite (the driver's check,
/// fused into the result's pass). The steps are taken in
/// `u` (a parameter of its own: slices of `states` are behind the `Vec`'s pointer, which rustc
/// cannot tell apart from the stage buffers, and the loops reading them were checked for
/// overlap at run time).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn store_steps<S: Real, F: Rhs + ?Sized, D: Dim>(
    (rhs, n, p): (&F, D, &[S]),
    (step, mut after): (
        impl Fn(usize) -> (f64, f64),
        impl FnMut(usize, bool) -> Result<(), OdeError>,
    ),
    (states, steps): (&mut Vec<S>, std::ops::Range<usize>),
    u: &mut [S],
    k0: &mut [S],
    k1: &mut [S],
    k2: &mut [S],
    k3: &mut [S],
    y1: &mut [S],
    y2: &mut [S],
    y3: &mut [S],
) -> Result<(), OdeError> {
    let len = n.get();
    let u = &mut u[..len];
    if steps.is_empty() {
        return Ok(());
    }
    u.copy_from_slice(&states[(steps.start - 1) * len..steps.start * len]);
    let (k0, k1, k2, k3) = (
        &mut k0[..len],
        &mut k1[..len],
        &mut k2[..len],
        &mut k3[..len],
    );
    let (y1, y2, y3) = (&mut y1[..len], &mut y2[..len], &mut y3[..len]);
    for k in steps {
        let (t, h) = step(k - 1);
        let cx = Ctx {
            rhs,
            n,
            p,
            f: Rk4Step::at(t, h),
        };
        inputs::<S, F, D, true>(
            &cx,
            u,
            [&mut *k0, &mut *k1, &mut *k2],
            [&mut *y1, &mut *y2, &mut *y3],
        );
        eval::<S, F, D, true>(&cx, k3, y3, cx.f.t[3]);
        let finite = result_checked(u, [&*k0, &*k1, &*k2, &*k3], cx.f.sixth);
        states.extend_from_slice(u);
        after(k, finite)?;
    }
    Ok(())
}

/// The adjoints of the steps `steps`, the last first, from their initial states (state `k` at
/// `k n` of `states`) on the grid `step(k) = (t, h)`: [`adjoint`] of each, then
/// `between(k, state, u_bar)` (the loss terms saved at grid point `k`).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one reference per buffer: the point of the boundary
pub(super) fn adjoint_steps<S: Real, F: RhsVjp + ?Sized, D: Dim, const PARAMETERS: bool>(
    (rhs, n, p): (&F, D, &[S]),
    (step, mut between): (
        impl Fn(usize) -> (f64, f64),
        impl FnMut(usize, &[S], &mut [S]) -> Result<(), OdeError>,
    ),
    states: &[S],
    steps: std::ops::Range<usize>,
    u_bar: &mut [S],
    p_bar: &mut [S],
    k0: &mut [S],
    k1: &mut [S],
    k2: &mut [S],
    y1: &mut [S],
    y2: &mut [S],
    y3: &mut [S],
    k0b: &mut [S],
    k1b: &mut [S],
    k2b: &mut [S],
    k3b: &mut [S],
    w: &mut [S],
    y_bar: &mut [S],
    du: &mut [S],
) -> Result<(), OdeError> {
    let len = n.get();
    let u_bar = &mut u_bar[..len];
    let (k0, k1, k2) = (&mut k0[..len], &mut k1[..len], &mut k2[..len]);
    let (y1, y2, y3) = (&mut y1[..len], &mut y2[..len], &mut y3[..len]);
    let (k0b, k1b, k2b, k3b) = (
        &mut k0b[..len],
        &mut k1b[..len],
        &mut k2b[..len],
        &mut k3b[..len],
    );
    let (w, y_bar, du) = (&mut w[..len], &mut y_bar[..len], &mut du[..len]);
    for k in steps.rev() {
        let (t, h) = step(k);
        let cx = Ctx {
            rhs,
            n,
            p,
            f: Rk4Step::at(t, h),
        };
        let u = &states[k * len..(k + 1) * len];
        inputs::<S, F, D, true>(
            &cx,
            u,
            [&mut *k0, &mut *k1, &mut *k2],
            [&mut *y1, &mut *y2, &mut *y3],
        );
        backward::<S, F, D, PARAMETERS, true>(
            &cx,
            (u, &mut *u_bar, &mut *p_bar),
            [&*y1, &*y2, &*y3],
            [&mut *k0b, &mut *k1b, &mut *k2b, &mut *k3b],
            [&mut *w, &mut *y_bar, &mut *du],
        );
        between(k, u, u_bar)?;
    }
    Ok(())
}

// The stepper's side of this path: when it applies, and the stage buffers cut into rows.
impl<S: Real, D: Dim> Stepper<'_, S, D> {
    /// Whether this step goes through RK4's written-out path: an RK4 tableau, and neither
    /// every stage nor dense-output seeds asked for.
    #[inline(always)]
    pub(super) fn rk4_path(&self) -> bool {
        self.rk4 && !self.all_stages && !self.dense_seeded
    }

    /// [`step`](Stepper::step) on RK4's path.
    pub(super) fn rk4_step<F: Rhs + ?Sized>(&mut self, cx: StepContext<'_, F, S>, u: &mut [S]) {
        let cx = self.rk4_context(cx);
        let n = self.n.get();
        let [k0, k1, k2, k3] = rows(&mut self.k, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        step(&cx, u, k0, k1, k2, k3, y1, y2, y3);
        self.counters.evals += 4;
    }

    /// [`recompute`](Stepper::recompute) on RK4's path.
    pub(super) fn rk4_recompute<F: Rhs + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        result: Option<&mut [S]>,
    ) {
        let cx = self.rk4_context(cx);
        let n = self.n.get();
        self.counters.evals += if result.is_some() { 4 } else { 3 };
        let [k0, k1, k2, k3] = rows(&mut self.k, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        recompute(&cx, u, k0, k1, k2, k3, y1, y2, y3, result);
    }

    /// [`step_tangent`](Stepper::step_tangent) on RK4's path.
    pub(super) fn rk4_step_tangent<F: RhsJvp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        (u, u_dot): (&mut [S], &mut [S]),
        p_dot: &[S],
    ) {
        let cx = self.rk4_context(cx);
        let n = self.n.get();
        let [k0, k1, k2, k3] = rows(&mut self.k, n);
        let [kd0, kd1, kd2, kd3] = rows(&mut self.k_dot, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        let (k, k_dot) = ([k0, k1, k2, k3], [kd0, kd1, kd2, kd3]);
        step_tangent(
            &cx,
            p_dot,
            u,
            u_dot,
            k,
            k_dot,
            [y1, y2, y3],
            &mut self.y_dot,
        );
        self.counters.jvps += 4;
    }

    /// [`reverse`](Stepper::reverse) on RK4's path.
    pub(super) fn rk4_reverse<F: RhsVjp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        u_bar: &mut [S],
        p_bar: &mut [S],
    ) {
        let cx = self.rk4_context(cx);
        let n = self.n.get();
        let [k0b, k1b, k2b, k3b] = rows(&mut self.k_bar, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        let (w, y_bar, du) = (&mut self.acc[..], &mut self.y_bar[..], &mut self.du[..]);
        self.counters.vjps += 4;
        let reverse = if self.parameters {
            reverse::<S, F, D, true>
        } else {
            reverse::<S, F, D, false>
        };
        reverse(
            &cx, u, u_bar, p_bar, y1, y2, y3, k0b, k1b, k2b, k3b, w, y_bar, du,
        );
    }

    /// What RK4's written-out path reads for a step of `cx`: its stage times and factors.
    #[inline(always)]
    fn rk4_context<'a, F: ?Sized>(&self, cx: StepContext<'a, F, S>) -> Ctx<'a, F, S, D> {
        Ctx {
            rhs: cx.rhs,
            n: self.n,
            p: cx.p,
            f: Rk4Step::at(cx.t, cx.h),
        }
    }

    /// Whether whole sweeps of steps go through RK4's written-out path
    /// ([`store_steps`](Stepper::store_steps), [`adjoint_steps`](Stepper::adjoint_steps)).
    pub(crate) fn sweeps_fused(&self) -> bool {
        self.rk4_path()
    }

    /// [`step`](Stepper::step) for each of `steps` (`k` from grid point `k - 1`, of the grid
    /// `step(k) = (t, h)`), each state appended to `states`, which holds the states up to the
    /// first step's start; `after(k, finite)` after each, with whether state `k` is finite. RK4's path only
    /// ([`sweeps_fused`](Stepper::sweeps_fused)).
    pub(crate) fn store_steps<F: Rhs + ?Sized>(
        &mut self,
        (rhs, p): (&F, &[S]),
        grid: (
            impl Fn(usize) -> (f64, f64),
            impl FnMut(usize, bool) -> Result<(), OdeError>,
        ),
        states: &mut Vec<S>,
        steps: std::ops::Range<usize>,
    ) -> Result<(), OdeError> {
        debug_assert!(self.sweeps_fused());
        let n = self.n.get();
        self.counters.evals += 4 * steps.len();
        let [k0, k1, k2, k3] = rows(&mut self.k, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        let (fx, stored, u) = ((rhs, self.n, p), (states, steps), &mut self.acc[..]);
        store_steps(fx, grid, stored, u, k0, k1, k2, k3, y1, y2, y3)
    }

    /// [`adjoint_step`](Stepper::adjoint_step) for each of `steps`, the last first, from their
    /// initial states (state `k` at `k n` of `states`) on the grid `step(k) = (t, h)`, each
    /// followed by `between(k, state, u_bar)`. RK4's path only
    /// ([`sweeps_fused`](Stepper::sweeps_fused)).
    pub(crate) fn adjoint_steps<F: RhsVjp + ?Sized>(
        &mut self,
        (rhs, p): (&F, &[S]),
        grid: (
            impl Fn(usize) -> (f64, f64),
            impl FnMut(usize, &[S], &mut [S]) -> Result<(), OdeError>,
        ),
        (states, steps): (&[S], std::ops::Range<usize>),
        u_bar: &mut [S],
        p_bar: &mut [S],
    ) -> Result<(), OdeError> {
        debug_assert!(self.sweeps_fused());
        let n = self.n.get();
        self.counters.evals += 3 * steps.len();
        self.counters.vjps += 4 * steps.len();
        let [k0, k1, k2, _] = rows(&mut self.k, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        let [k0b, k1b, k2b, k3b] = rows(&mut self.k_bar, n);
        let (w, y_bar, du) = (&mut self.acc[..], &mut self.y_bar[..], &mut self.du[..]);
        let fx = (rhs, self.n, p);
        if self.parameters {
            adjoint_steps::<S, F, D, true>(
                fx, grid, states, steps, u_bar, p_bar, k0, k1, k2, y1, y2, y3, k0b, k1b, k2b, k3b,
                w, y_bar, du,
            )
        } else {
            adjoint_steps::<S, F, D, false>(
                fx, grid, states, steps, u_bar, p_bar, k0, k1, k2, y1, y2, y3, k0b, k1b, k2b, k3b,
                w, y_bar, du,
            )
        }
    }

    /// The adjoint of a step whose result nothing else reads: [`recompute`](Stepper::recompute)
    /// without the result, then [`reverse`](Stepper::reverse), fused into one pass for RK4.
    pub(crate) fn adjoint_step<F: RhsVjp + ?Sized>(
        &mut self,
        cx: StepContext<'_, F, S>,
        u: &[S],
        u_bar: &mut [S],
        p_bar: &mut [S],
    ) {
        if !self.rk4_path() {
            self.recompute(cx, u, None);
            self.reverse(cx, u, u_bar, p_bar);
            return;
        }
        let cx = self.rk4_context(cx);
        let n = self.n.get();
        let [k0, k1, k2, _] = rows(&mut self.k, n);
        let [_, y1, y2, y3] = rows(&mut self.y, n);
        let [k0b, k1b, k2b, k3b] = rows(&mut self.k_bar, n);
        let (w, y_bar, du) = (&mut self.acc[..], &mut self.y_bar[..], &mut self.du[..]);
        self.counters.evals += 3;
        self.counters.vjps += 4;
        let adjoint = if self.parameters {
            adjoint::<S, F, D, true>
        } else {
            adjoint::<S, F, D, false>
        };
        adjoint(
            &cx, u, u_bar, p_bar, k0, k1, k2, y1, y2, y3, k0b, k1b, k2b, k3b, w, y_bar, du,
        );
    }
}

/// The four rows of a stage buffer (row `i` at `i * n`), each of length `n`.
#[inline(always)]
fn rows<S>(buffer: &mut [S], n: usize) -> [&mut [S]; 4] {
    let (r0, rest) = buffer.split_at_mut(n);
    let (r1, rest) = rest.split_at_mut(n);
    let (r2, rest) = rest.split_at_mut(n);
    [r0, r1, r2, &mut rest[..n]]
}
