//! Problem L's 4D-Var cost for a batch of `B` windows at once (issue 14, item 2): the cost, its
//! gradient by a hand-written discrete adjoint, and its Hessian-vector product by forward over
//! reverse (the tangent of that adjoint, written out with values and tangents in separate
//! arrays, and checked against the adjoint run at dual numbers), with the batch laid out
//! component-major,
//! `u[i * B + b]` for component `i` of window `b`, so that every inner loop runs over the windows
//! on contiguous memory and vectorises whatever the periodic neighbours of `i` are. On a CPU
//! with AVX2 the sweeps run a build of themselves for it (four windows to an instruction instead
//! of SSE2's two; detected at run time, the same bits, as a unit test checks).
//!
//! The numbers are those of [`cost_window`](crate::l96::cost_window) and its generated adjoint
//! window by window, to rounding (the primal is the same expressions in the same order; the
//! adjoint is the gather form of [`l96_fast`](crate::l96_fast)); `tests/l96_batch.rs` checks
//! them against the generated per-window adjoint and by differences, the dot-product test and
//! tangent against adjoint.
//!
//! Why by hand: the batched loops are over a runtime `B`, and the macro's adjoint of such loops
//! (scatter form with a `%` per periodic index, saves pushed per iteration, a reverse sweep that
//! is not inlined) runs about nine times slower than a hand-written one on problem L
//! (README "Performance"); a gather-form stencil adjoint in the macro is issue 13's open part.
//!
//! ```
//! use tapeless_problems::l96::{cost_window, cost_window_vjp, window, N, STEPS};
//! use tapeless_problems::l96_batch::Costs;
//!
//! let data = [window(0), window(1)];
//! let costs = Costs::new(&[&data[0], &data[1]]);
//! // The backgrounds of the two windows, component-major.
//! let x: Vec<f64> = (0..N).flat_map(|i| [data[0].xb[i], data[1].xb[i]]).collect();
//! let mut grad = vec![0.0; 2 * N];
//! let j = costs.cost_and_gradient(&x, &mut grad);
//! for b in 0..2 {
//!     let mut g = vec![0.0; N];
//!     let jb = cost_window_vjp(&data[b].xb, &mut g, &data[b].obs, &data[b].xb, STEPS, 1.0);
//!     assert_eq!(j[b], jb);
//!     assert_eq!(j[b], cost_window(&data[b].xb, &data[b].obs, &data[b].xb, STEPS));
//!     for i in 0..N {
//!         assert!((grad[i * 2 + b] - g[i]).abs() <= 1e-12 * g[i].abs().max(1.0));
//!     }
//! }
//! ```

use nalgebra::DMatrix;
use std::sync::Mutex;
use tapeless::hyper::{BatchCost, BatchLoss};
use tapeless::{Dual, Real, UserError};

use crate::l96::{Data, FORCING, H, N, OBS_EVERY, SIGMA_B, SIGMA_O, STEPS};

/// Observed states in a window.
const OBSERVED: usize = STEPS / OBS_EVERY;

/// Row `i` of a component-major batch: component `i` of every window.
#[inline(always)]
fn row<S>(v: &[S], i: usize, nb: usize) -> &[S] {
    // `[..nb]`: a length the compiler knows, so the loops over `b < nb` index without checks.
    &v[i * nb..][..nb]
}

/// Row `i` of a component-major batch, to write.
#[inline(always)]
fn row_mut<S>(v: &mut [S], i: usize, nb: usize) -> &mut [S] {
    &mut v[i * nb..][..nb]
}

/// `out += a + b + c + d`, component by component.
#[inline(always)]
fn add_sum<S: Real>(out: &mut [S], [a, b, c, d]: [&[S]; 4]) {
    let n = out.len();
    let (a, b, c, d) = (&a[..n], &b[..n], &c[..n], &d[..n]);
    for i in 0..n {
        out[i] += a[i] + b[i] + c[i] + d[i];
    }
}

/// The RK4 update `u += h6 (k1 + 2 k2 + 2 k3 + k4)`.
#[inline(always)]
fn rk4_update<S: Real>(u: &mut [S], h6: S, [k1, k2, k3, k4]: [&[S]; 4]) {
    let n = u.len();
    let (k1, k2, k3, k4) = (&k1[..n], &k2[..n], &k3[..n], &k4[..n]);
    let two = S::from_f64(2.0);
    for i in 0..n {
        u[i] += h6 * (k1[i] + two * k2[i] + two * k3[i] + k4[i]);
    }
}

/// The periodic neighbours `(i - 2, i - 1, i + 1, i + 2)` of component `i`.
#[inline(always)]
fn neighbours(i: usize) -> (usize, usize, usize, usize) {
    ((i + N - 2) % N, (i + N - 1) % N, (i + 1) % N, (i + 2) % N)
}

/// `du = f(u)`, the Lorenz-96 right-hand side of every window: `du_i = (u_{i+1} - u_{i-2})
/// u_{i-1} - u_i + F`, as [`lorenz96`](crate::l96::lorenz96) writes it.
#[inline(always)]
fn rhs<S: Real>(u: &[S], du: &mut [S], nb: usize) {
    let f = S::from_f64(FORCING);
    for i in 0..N {
        let (m2, m1, p1, _) = neighbours(i);
        let (up1, um2, um1, ui) = (
            row(u, p1, nb),
            row(u, m2, nb),
            row(u, m1, nb),
            row(u, i, nb),
        );
        let out = row_mut(du, i, nb);
        for b in 0..nb {
            out[b] = (up1[b] - um2[b]) * um1[b] - ui[b] + f;
        }
    }
}

/// `out = J(x)^T r` of the right-hand side, every window, in gather form: `out_j` sums the
/// terms of the four outputs that read `x_j` (see [`l96_fast`](crate::l96_fast)).
#[inline(always)]
fn rhs_adjoint<S: Real>(x: &[S], r: &[S], out: &mut [S], nb: usize) {
    for j in 0..N {
        let (m2, m1, p1, p2) = neighbours(j);
        let (xm2, xm1, xp1, xp2) = (
            row(x, m2, nb),
            row(x, m1, nb),
            row(x, p1, nb),
            row(x, p2, nb),
        );
        let (rm1, rj, rp1, rp2) = (
            row(r, m1, nb),
            row(r, j, nb),
            row(r, p1, nb),
            row(r, p2, nb),
        );
        let o = row_mut(out, j, nb);
        for b in 0..nb {
            o[b] = rp1[b] * (xp2[b] - xm1[b]) + rm1[b] * xm2[b] - rp2[b] * xp1[b] - rj[b];
        }
    }
}

/// `out = J(u) ud`, the tangent of [`rhs`] along `ud`: `(ud_{i+1} - ud_{i-2}) u_{i-1} +
/// (u_{i+1} - u_{i-2}) ud_{i-1} - ud_i`.
#[inline(always)]
fn rhs_tangent(u: &[f64], ud: &[f64], out: &mut [f64], nb: usize) {
    for i in 0..N {
        let (m2, m1, p1, _) = neighbours(i);
        let (up1, um2, um1) = (row(u, p1, nb), row(u, m2, nb), row(u, m1, nb));
        let (dp1, dm2, dm1, di) = (
            row(ud, p1, nb),
            row(ud, m2, nb),
            row(ud, m1, nb),
            row(ud, i, nb),
        );
        let o = row_mut(out, i, nb);
        for b in 0..nb {
            o[b] = (dp1[b] - dm2[b]) * um1[b] + (up1[b] - um2[b]) * dm1[b] - di[b];
        }
    }
}

/// The tangent of [`rhs_adjoint`]`(x, r)` along `(xd, rd)`, in gather form.
#[inline(always)]
fn rhs_adjoint_tangent(
    (x, xd): (&[f64], &[f64]),
    (r, rd): (&[f64], &[f64]),
    out: &mut [f64],
    nb: usize,
) {
    for j in 0..N {
        let (m2, m1, p1, p2) = neighbours(j);
        let (xm2, xm1, xp1, xp2) = (
            row(x, m2, nb),
            row(x, m1, nb),
            row(x, p1, nb),
            row(x, p2, nb),
        );
        let (dm2, dm1, dp1, dp2) = (
            row(xd, m2, nb),
            row(xd, m1, nb),
            row(xd, p1, nb),
            row(xd, p2, nb),
        );
        let (rm1, rp1, rp2) = (row(r, m1, nb), row(r, p1, nb), row(r, p2, nb));
        let (sm1, sj, sp1, sp2) = (
            row(rd, m1, nb),
            row(rd, j, nb),
            row(rd, p1, nb),
            row(rd, p2, nb),
        );
        let o = row_mut(out, j, nb);
        for b in 0..nb {
            o[b] = sp1[b] * (xp2[b] - xm1[b])
                + rp1[b] * (dp2[b] - dm1[b])
                + sm1[b] * xm2[b]
                + rm1[b] * dm2[b]
                - sp2[b] * xp1[b]
                - rp2[b] * dp1[b]
                - sj[b];
        }
    }
}

/// One RK4 step of every window with its tangent: `ws.u` and its tangent `wd.u` in place.
#[inline(always)]
fn rk4_tangent(ws: &mut Workspace<f64>, wd: &mut Workspace<f64>, nb: usize) {
    let (h2, h, h6) = (H / 2.0, H, H / 6.0);
    let (u, ud) = (&mut ws.u, &mut wd.u);
    let ([k1, k2, k3, k4], [k1d, k2d, k3d, k4d]) = (&mut ws.k, &mut wd.k);
    let (stage, stage_d) = (&mut ws.s[0], &mut wd.s[0]);
    rhs(u, k1, nb);
    rhs_tangent(u, ud, k1d, nb);
    axpy(u, h2, k1, stage);
    axpy(ud, h2, k1d, stage_d);
    rhs(stage, k2, nb);
    rhs_tangent(stage, stage_d, k2d, nb);
    axpy(u, h2, k2, stage);
    axpy(ud, h2, k2d, stage_d);
    rhs(stage, k3, nb);
    rhs_tangent(stage, stage_d, k3d, nb);
    axpy(u, h, k3, stage);
    axpy(ud, h, k3d, stage_d);
    rhs(stage, k4, nb);
    rhs_tangent(stage, stage_d, k4d, nb);
    rk4_update(u, h6, [k1, k2, k3, k4]);
    rk4_update(ud, h6, [k1d, k2d, k3d, k4d]);
}

/// `out = u + c k`.
#[inline(always)]
fn axpy<S: Real>(u: &[S], c: S, k: &[S], out: &mut [S]) {
    for ((o, &u), &k) in out.iter_mut().zip(u).zip(k) {
        *o = u + c * k;
    }
}

/// `out = c v`.
#[inline(always)]
fn scaled<S: Real>(c: S, v: &[S], out: &mut [S]) {
    for (o, &v) in out.iter_mut().zip(v) {
        *o = c * v;
    }
}

/// `out = a lambda + c v`.
#[inline(always)]
fn combined<S: Real>(a: S, lambda: &[S], c: S, v: &[S], out: &mut [S]) {
    for ((o, &l), &v) in out.iter_mut().zip(lambda).zip(v) {
        *o = a * l + c * v;
    }
}

/// The buffers of one evaluation, kept between calls (the states: `STEPS x N x B` values).
#[derive(Debug)]
struct Workspace<S> {
    nb: usize,
    states: Vec<S>,
    u: Vec<S>,
    k: [Vec<S>; 4],
    s: [Vec<S>; 3],
    r: Vec<S>,
    bar: [Vec<S>; 4],
    lambda: Vec<S>,
}

impl<S: Real> Workspace<S> {
    fn new(nb: usize) -> Self {
        let v = || vec![S::zero(); N * nb];
        Self {
            nb,
            states: vec![S::zero(); STEPS * N * nb],
            u: v(),
            k: [v(), v(), v(), v()],
            s: [v(), v(), v()],
            r: v(),
            bar: [v(), v(), v(), v()],
            lambda: v(),
        }
    }
}

/// The inner costs `J_w` of problem L for a batch of windows, laid out for the batch: the
/// observations `obs[(m * 20 + i / 2) * B + b]` and the backgrounds `xb[i * B + b]`.
#[derive(Debug)]
pub struct Costs {
    nb: usize,
    obs: Vec<f64>,
    xb: Vec<f64>,
    plain: Mutex<Option<Workspace<f64>>>,
    dual: Mutex<Option<Workspace<Dual<f64, 1>>>>,
    tangent: Mutex<Option<(Workspace<f64>, Workspace<f64>)>>,
}

impl Costs {
    /// The costs of the windows `data`, window `b` of the batch being `data[b]`.
    ///
    /// # Panics
    ///
    /// If a window does not have problem L's 400 observations and 40 background components.
    pub fn new(data: &[&Data]) -> Self {
        let nb = data.len();
        let mut obs = vec![0.0; OBSERVED * (N / 2) * nb];
        let mut xb = vec![0.0; N * nb];
        for (b, d) in data.iter().enumerate() {
            assert_eq!(
                d.obs.len(),
                OBSERVED * (N / 2),
                "problem L has 400 observations"
            );
            assert_eq!(d.xb.len(), N, "problem L's state has 40 components");
            for (o, &y) in d.obs.iter().enumerate() {
                obs[o * nb + b] = y;
            }
            for (i, &x) in d.xb.iter().enumerate() {
                xb[i * nb + b] = x;
            }
        }
        Self {
            nb,
            obs,
            xb,
            plain: Mutex::new(None),
            dual: Mutex::new(None),
            tangent: Mutex::new(None),
        }
    }

    /// The number of windows `B`.
    pub fn len(&self) -> usize {
        self.nb
    }

    /// Whether the batch has no windows.
    pub fn is_empty(&self) -> bool {
        self.nb == 0
    }

    /// `J_b(x_b)` for every window, and `grad J_b(x_b)` written into `grad`; `x` and `grad`
    /// component-major (`x[i * B + b]`), `N * B` long.
    ///
    /// # Panics
    ///
    /// If `x` or `grad` is not `N * B` long.
    pub fn cost_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> Vec<f64> {
        let mut ws = self.plain.lock().unwrap_or_else(|e| e.into_inner());
        let ws = ws.get_or_insert_with(|| Workspace::new(self.nb));
        self.evaluate(x, grad, ws)
    }

    /// `J_b`, `grad J_b` and `H_b v_b` for every window by forward over reverse, written out:
    /// the tangent of [`Costs::cost_and_gradient`]'s forward and reverse sweeps along `v`, the
    /// values and the tangents in separate arrays of the batch's layout (so the tangents'
    /// loops vectorise as the values' do). Returns the costs, writes the gradients (the same
    /// bits as [`Costs::cost_and_gradient`]'s) into `grad` and the products into `hv`; all
    /// component-major. The same numbers as [`Costs::hessian_vector_at_duals`] to rounding.
    ///
    /// # Panics
    ///
    /// If a slice is not `N * B` long.
    pub fn hessian_vector(
        &self,
        x: &[f64],
        v: &[f64],
        grad: &mut [f64],
        hv: &mut [f64],
    ) -> Vec<f64> {
        let nb = self.nb;
        for (what, len) in [
            ("x", x.len()),
            ("v", v.len()),
            ("grad", grad.len()),
            ("hv", hv.len()),
        ] {
            assert_eq!(len, N * nb, "{what}: N components per window");
        }
        let mut guard = self.tangent.lock().unwrap_or_else(|e| e.into_inner());
        let (ws, wd) = guard.get_or_insert_with(|| (Workspace::new(nb), Workspace::new(nb)));
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU runs AVX2 (checked above), the one requirement of `hvp_avx2`.
            return unsafe { hvp_avx2(self, (x, v), (grad, hv), (ws, wd)) };
        }
        hvp_body(self, (x, v), (grad, hv), (ws, wd))
    }
}

/// [`Costs::hessian_vector`] compiled for AVX2 (as [`sweep_avx2`]: the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hvp_avx2(
    costs: &Costs,
    (x, v): (&[f64], &[f64]),
    (grad, hv): (&mut [f64], &mut [f64]),
    (ws, wd): (&mut Workspace<f64>, &mut Workspace<f64>),
) -> Vec<f64> {
    hvp_body(costs, (x, v), (grad, hv), (ws, wd))
}

/// [`Costs::hessian_vector`]'s sweeps, for any instruction set (every kernel inlined).
#[inline(always)]
fn hvp_body(
    this: &Costs,
    (x, v): (&[f64], &[f64]),
    (grad, hv): (&mut [f64], &mut [f64]),
    (ws, wd): (&mut Workspace<f64>, &mut Workspace<f64>),
) -> Vec<f64> {
    let nb = this.nb;
    let len = N * nb;
    ws.u.copy_from_slice(x);
    wd.u.copy_from_slice(v);
    let mut j = vec![0.0; nb];
    for k in 1..=STEPS {
        ws.states[(k - 1) * len..k * len].copy_from_slice(&ws.u);
        wd.states[(k - 1) * len..k * len].copy_from_slice(&wd.u);
        rk4_tangent(ws, wd, nb);
        if k % OBS_EVERY == 0 {
            this.misfit_at(&ws.u, k, &mut j);
        }
    }
    this.background(x, &mut j);
    let (h6, h3, h2, h) = (H / 6.0, H / 3.0, H / 2.0, H);
    ws.lambda.fill(0.0);
    wd.lambda.fill(0.0);
    this.misfit_adjoint_at(&ws.u, STEPS, &mut ws.lambda);
    this.misfit_adjoint_tangent(&wd.u, STEPS, &mut wd.lambda);
    for k in (1..=STEPS).rev() {
        let (x, xd) = (
            &ws.states[(k - 1) * len..k * len],
            &wd.states[(k - 1) * len..k * len],
        );
        let ([k1, k2, k3, _], [k1d, k2d, k3d, _]) = (&mut ws.k, &mut wd.k);
        let ([s2, s3, s4], [s2d, s3d, s4d]) = (&mut ws.s, &mut wd.s);
        rhs(x, k1, nb);
        rhs_tangent(x, xd, k1d, nb);
        axpy(x, h2, k1, s2);
        axpy(xd, h2, k1d, s2d);
        rhs(s2, k2, nb);
        rhs_tangent(s2, s2d, k2d, nb);
        axpy(x, h2, k2, s3);
        axpy(xd, h2, k2d, s3d);
        rhs(s3, k3, nb);
        rhs_tangent(s3, s3d, k3d, nb);
        axpy(x, h, k3, s4);
        axpy(xd, h, k3d, s4d);
        let ([b4, b3, b2, b1], [b4d, b3d, b2d, b1d]) = (&mut ws.bar, &mut wd.bar);
        let (r, rd) = (&mut ws.r, &mut wd.r);
        let (lambda, lambda_d) = (&mut ws.lambda, &mut wd.lambda);
        scaled(h6, lambda, r);
        scaled(h6, lambda_d, rd);
        rhs_adjoint(s4, r, b4, nb);
        rhs_adjoint_tangent((s4, s4d), (r, rd), b4d, nb);
        combined(h3, lambda, h, b4, r);
        combined(h3, lambda_d, h, b4d, rd);
        rhs_adjoint(s3, r, b3, nb);
        rhs_adjoint_tangent((s3, s3d), (r, rd), b3d, nb);
        combined(h3, lambda, h2, b3, r);
        combined(h3, lambda_d, h2, b3d, rd);
        rhs_adjoint(s2, r, b2, nb);
        rhs_adjoint_tangent((s2, s2d), (r, rd), b2d, nb);
        combined(h6, lambda, h2, b2, r);
        combined(h6, lambda_d, h2, b2d, rd);
        rhs_adjoint(x, r, b1, nb);
        rhs_adjoint_tangent((x, xd), (r, rd), b1d, nb);
        add_sum(lambda, [b4, b3, b2, b1]);
        add_sum(lambda_d, [b4d, b3d, b2d, b1d]);
        if k > 1 && (k - 1) % OBS_EVERY == 0 {
            this.misfit_adjoint_at(x, k - 1, lambda);
            this.misfit_adjoint_tangent(xd, k - 1, lambda_d);
        }
    }
    let var = SIGMA_B * SIGMA_B;
    for i in 0..N {
        let (x, xb, v) = (row(x, i, nb), row(&this.xb, i, nb), row(v, i, nb));
        let (l, ld) = (row(&ws.lambda, i, nb), row(&wd.lambda, i, nb));
        let g = row_mut(grad, i, nb);
        for b in 0..nb {
            g[b] = l[b] + (x[b] - xb[b]) / var;
        }
        let h = row_mut(hv, i, nb);
        for b in 0..nb {
            h[b] = ld[b] + v[b] / var;
        }
    }
    j
}

impl Costs {
    /// [`Costs::hessian_vector`] by running the adjoint of [`Costs::cost_and_gradient`] at dual
    /// numbers (`Dual<f64, 1>`): the generic way, the check of the written-out one.
    ///
    /// # Panics
    ///
    /// If a slice is not `N * B` long.
    pub fn hessian_vector_at_duals(
        &self,
        x: &[f64],
        v: &[f64],
        grad: &mut [f64],
        hv: &mut [f64],
    ) -> Vec<f64> {
        assert_eq!(v.len(), x.len(), "a direction per state component");
        let mut ws = self.dual.lock().unwrap_or_else(|e| e.into_inner());
        let ws = ws.get_or_insert_with(|| Workspace::new(self.nb));
        let xd: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &d)| Dual::new(a, [d])).collect();
        let mut gd = vec![Dual::constant(0.0); x.len()];
        let j = self.evaluate(&xd, &mut gd, ws);
        for ((g, h), d) in grad.iter_mut().zip(hv.iter_mut()).zip(&gd) {
            *g = d.value;
            *h = d.tangents[0];
        }
        j.iter().map(|d| d.value).collect()
    }

    /// Adds the tangents of the misfits' gradients along the states' tangents `ud` after step
    /// `k` into `lambda_d`.
    #[inline(always)]
    fn misfit_adjoint_tangent(&self, ud: &[f64], k: usize, lambda_d: &mut [f64]) {
        let _ = k;
        let nb = self.nb;
        let var = SIGMA_O * SIGMA_O;
        for i in (0..N).step_by(2) {
            let (u, l) = (row(ud, i, nb), row_mut(lambda_d, i, nb));
            for b in 0..nb {
                l[b] += u[b] / var;
            }
        }
    }

    /// The costs alone at any scalar type (at dual numbers: the costs' directional derivatives,
    /// the tangent the adjoint is checked against); `x` component-major.
    ///
    /// # Panics
    ///
    /// If `x` is not `N * B` long.
    pub fn cost<S: Real>(&self, x: &[S]) -> Vec<S> {
        let nb = self.nb;
        assert_eq!(x.len(), N * nb, "N components per window");
        let mut ws = Workspace::<S>::new(nb);
        ws.u.copy_from_slice(x);
        let mut j = vec![S::zero(); nb];
        for k in 1..=STEPS {
            rk4(&mut ws, nb);
            if k % OBS_EVERY == 0 {
                self.misfit_at(&ws.u, k, &mut j);
            }
        }
        self.background(x, &mut j);
        j
    }

    /// Adds the misfits of the states `u` after step `k` (a multiple of ten) into `j`.
    #[inline(always)]
    fn misfit_at<S: Real>(&self, u: &[S], k: usize, j: &mut [S]) {
        let nb = self.nb;
        let m = k / OBS_EVERY - 1;
        let (half, var) = (S::from_f64(0.5), S::from_f64(SIGMA_O * SIGMA_O));
        for i in (0..N).step_by(2) {
            let (ui, y) = (row(u, i, nb), row(&self.obs, m * (N / 2) + i / 2, nb));
            for b in 0..nb {
                let d = ui[b] - S::from_f64(y[b]);
                j[b] += half * d * d / var;
            }
        }
    }

    /// Adds the gradients of the misfits of the states `u` after step `k` into `lambda`.
    #[inline(always)]
    fn misfit_adjoint_at<S: Real>(&self, u: &[S], k: usize, lambda: &mut [S]) {
        let nb = self.nb;
        let m = k / OBS_EVERY - 1;
        let var = S::from_f64(SIGMA_O * SIGMA_O);
        for i in (0..N).step_by(2) {
            let (ui, y) = (row(u, i, nb), row(&self.obs, m * (N / 2) + i / 2, nb));
            let l = row_mut(lambda, i, nb);
            for b in 0..nb {
                l[b] += (ui[b] - S::from_f64(y[b])) / var;
            }
        }
    }

    /// Adds the background terms of `x0` into `j`.
    #[inline(always)]
    fn background<S: Real>(&self, x0: &[S], j: &mut [S]) {
        let nb = self.nb;
        let (half, var) = (S::from_f64(0.5), S::from_f64(SIGMA_B * SIGMA_B));
        for i in 0..N {
            let (x, xb) = (row(x0, i, nb), row(&self.xb, i, nb));
            for b in 0..nb {
                let d = x[b] - S::from_f64(xb[b]);
                j[b] += half * d * d / var;
            }
        }
    }

    /// The costs, and their gradients into `grad`, by the discrete adjoint.
    fn evaluate<S: Real>(&self, x0: &[S], grad: &mut [S], ws: &mut Workspace<S>) -> Vec<S> {
        let mut j = sweep(self, x0, grad, ws);
        self.background(x0, &mut j);
        let nb = self.nb;
        let var = S::from_f64(SIGMA_B * SIGMA_B);
        for i in 0..N {
            let (x, xb) = (row(x0, i, nb), row(&self.xb, i, nb));
            let g = row_mut(grad, i, nb);
            for b in 0..nb {
                g[b] += (x[b] - S::from_f64(xb[b])) / var;
            }
        }
        j
    }
}

/// The terms of a scalar function of each window's trajectory `u_0, ..., u_STEPS` that read its
/// states: which states they read, their values and their gradients.
trait Misfit {
    /// The number of windows.
    fn nb(&self) -> usize;
    /// Whether the terms read the states after step `k` (`k = 0` the initial states).
    fn reads(&self, k: usize) -> bool;
    /// Adds the terms of the states `u` after step `k` into `j`.
    fn add<S: Real>(&self, u: &[S], k: usize, j: &mut [S]);
    /// Adds their gradients into `lambda`.
    fn add_adjoint<S: Real>(&self, u: &[S], k: usize, lambda: &mut [S]);
}

impl Misfit for Costs {
    fn nb(&self) -> usize {
        self.nb
    }
    fn reads(&self, k: usize) -> bool {
        k > 0 && k.is_multiple_of(OBS_EVERY)
    }
    #[inline(always)]
    fn add<S: Real>(&self, u: &[S], k: usize, j: &mut [S]) {
        self.misfit_at(u, k, j);
    }
    #[inline(always)]
    fn add_adjoint<S: Real>(&self, u: &[S], k: usize, lambda: &mut [S]) {
        self.misfit_adjoint_at(u, k, lambda);
    }
}

/// The terms of `m` over every window's trajectory from `x0`, and their gradients with respect
/// to `x0` written into `grad`, by the discrete adjoint: the states stored forwards, each step's
/// stages recomputed backwards, the right-hand side's transposed Jacobian in gather form.
fn sweep<S: Real, M: Misfit>(m: &M, x0: &[S], grad: &mut [S], ws: &mut Workspace<S>) -> Vec<S> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU runs AVX2 (checked above), the one requirement of `sweep_avx2`.
        return unsafe { sweep_avx2(m, x0, grad, ws) };
    }
    sweep_body(m, x0, grad, ws)
}

/// [`sweep`] compiled for AVX2: the loops over the batch four windows to an instruction
/// instead of two. The same operations in the same order (no fused multiply-adds: AVX2 alone),
/// so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sweep_avx2<S: Real, M: Misfit>(
    m: &M,
    x0: &[S],
    grad: &mut [S],
    ws: &mut Workspace<S>,
) -> Vec<S> {
    sweep_body(m, x0, grad, ws)
}

/// [`sweep`] for any instruction set: every kernel inlined, so compiled for the caller's.
#[inline(always)]
fn sweep_body<S: Real, M: Misfit>(
    m: &M,
    x0: &[S],
    grad: &mut [S],
    ws: &mut Workspace<S>,
) -> Vec<S> {
    let nb = m.nb();
    assert_eq!(x0.len(), N * nb, "N components per window");
    assert_eq!(grad.len(), N * nb, "N gradient components per window");
    if ws.nb != nb {
        *ws = Workspace::new(nb);
    }
    let len = N * nb;
    ws.u.copy_from_slice(x0);
    let mut j = vec![S::zero(); nb];
    if m.reads(0) {
        m.add(&ws.u, 0, &mut j);
    }
    for k in 1..=STEPS {
        ws.states[(k - 1) * len..k * len].copy_from_slice(&ws.u);
        rk4(ws, nb);
        if m.reads(k) {
            m.add(&ws.u, k, &mut j);
        }
    }
    let (h6, h3, h2, h) = (
        S::from_f64(H / 6.0),
        S::from_f64(H / 3.0),
        S::from_f64(H / 2.0),
        S::from_f64(H),
    );
    let zero = S::zero();
    ws.lambda.iter_mut().for_each(|l| *l = zero);
    if m.reads(STEPS) {
        m.add_adjoint(&ws.u, STEPS, &mut ws.lambda);
    }
    for k in (1..=STEPS).rev() {
        let x = &ws.states[(k - 1) * len..k * len];
        let [k1, k2, k3, _] = &mut ws.k;
        let [s2, s3, s4] = &mut ws.s;
        // The stages of step k, recomputed from its initial state.
        rhs(x, k1, nb);
        axpy(x, h2, k1, s2);
        rhs(s2, k2, nb);
        axpy(x, h2, k2, s3);
        rhs(s3, k3, nb);
        axpy(x, h, k3, s4);
        // k4 = f(s4), s4 = x + h k3, and so on back to k1 = f(x).
        let [b4, b3, b2, b1] = &mut ws.bar;
        let r = &mut ws.r;
        let lambda = &mut ws.lambda;
        scaled(h6, lambda, r);
        rhs_adjoint(s4, r, b4, nb);
        combined(h3, lambda, h, b4, r);
        rhs_adjoint(s3, r, b3, nb);
        combined(h3, lambda, h2, b3, r);
        rhs_adjoint(s2, r, b2, nb);
        combined(h6, lambda, h2, b2, r);
        rhs_adjoint(x, r, b1, nb);
        add_sum(lambda, [b4, b3, b2, b1]);
        if m.reads(k - 1) {
            m.add_adjoint(x, k - 1, lambda);
        }
    }
    grad.copy_from_slice(&ws.lambda);
    j
}

/// Problem N's outer losses for a batch of windows: the mean squared error of each window's
/// trajectory from its analysis against its truth, over `k = 0..=200` and every component (the
/// function of [`trajectory_error`](crate::l96::trajectory_error)), with its gradient by the
/// same hand-written adjoint as [`Costs`]; the truths laid out `truth[(k * 40 + i) * B + b]`.
///
/// ```
/// use nalgebra::DMatrix;
/// use tapeless::hyper::BatchLoss;
/// use tapeless_problems::l96::{trajectory_error, trajectory_error_vjp, N};
/// use tapeless_problems::l96_batch::Losses;
/// use tapeless_problems::n::Window;
///
/// let windows = Window::many(0..2);
/// let losses = Losses::new(&[&windows[0].truth[..], &windows[1].truth[..]]);
/// let x = DMatrix::from_fn(N, 2, |i, w| windows[w].data.xb[i]);
/// let mut grad = DMatrix::zeros(N, 2);
/// let l = losses.gradients(&x, &mut grad).unwrap();
/// for w in 0..2 {
///     let mut g = vec![0.0; N];
///     let lw = trajectory_error_vjp(&windows[w].data.xb, &mut g, &windows[w].truth, 1.0);
///     assert_eq!(l[w], trajectory_error(&windows[w].data.xb, &windows[w].truth));
///     assert!((l[w] - lw).abs() <= 1e-15 * lw);
///     for i in 0..N {
///         assert!((grad[(i, w)] - g[i]).abs() <= 1e-12 * g[i].abs().max(1e-3));
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Losses {
    nb: usize,
    truth: Vec<f64>,
    plain: Mutex<Option<Workspace<f64>>>,
}

/// The number of terms of a trajectory error: 201 states of 40 components.
const TERMS: f64 = ((STEPS + 1) * N) as f64;

impl Losses {
    /// The losses of the windows whose truths (row-major, `k * 40 + i`, `k = 0..=200`) are
    /// `truths`, window `b` of the batch being `truths[b]`.
    ///
    /// # Panics
    ///
    /// If a truth does not have 201 states of 40 components.
    pub fn new(truths: &[&[f64]]) -> Self {
        let nb = truths.len();
        let mut truth = vec![0.0; (STEPS + 1) * N * nb];
        for (b, t) in truths.iter().enumerate() {
            assert_eq!(
                t.len(),
                (STEPS + 1) * N,
                "a truth of 201 states of 40 components"
            );
            for (o, &v) in t.iter().enumerate() {
                truth[o * nb + b] = v;
            }
        }
        Self {
            nb,
            truth,
            plain: Mutex::new(None),
        }
    }

    /// The losses and their gradients (written into `grad`), `x` and `grad` component-major.
    ///
    /// # Panics
    ///
    /// If `x` or `grad` is not `N * B` long.
    pub fn loss_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> Vec<f64> {
        let mut ws = self.plain.lock().unwrap_or_else(|e| e.into_inner());
        let ws = ws.get_or_insert_with(|| Workspace::new(self.nb));
        let l = sweep(self, x, grad, ws);
        l.iter().map(|l| l / TERMS).collect()
    }
}

impl Misfit for Losses {
    fn nb(&self) -> usize {
        self.nb
    }
    fn reads(&self, _k: usize) -> bool {
        true
    }
    #[inline(always)]
    fn add<S: Real>(&self, u: &[S], k: usize, j: &mut [S]) {
        let nb = self.nb;
        for i in 0..N {
            let (ui, t) = (row(u, i, nb), row(&self.truth, k * N + i, nb));
            for b in 0..nb {
                let d = ui[b] - S::from_f64(t[b]);
                j[b] += d * d;
            }
        }
    }
    #[inline(always)]
    fn add_adjoint<S: Real>(&self, u: &[S], k: usize, lambda: &mut [S]) {
        let nb = self.nb;
        let scale = S::from_f64(2.0 / TERMS);
        for i in 0..N {
            let (ui, t) = (row(u, i, nb), row(&self.truth, k * N + i, nb));
            let l = row_mut(lambda, i, nb);
            for b in 0..nb {
                l[b] += scale * (ui[b] - S::from_f64(t[b]));
            }
        }
    }
}

impl BatchLoss for Losses {
    fn windows(&self) -> usize {
        self.nb
    }

    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<Vec<f64>, UserError> {
        check_shape(x, self.nb)?;
        let u = batch_layout(x);
        let mut g = vec![0.0; u.len()];
        let l = self.loss_and_gradient(&u, &mut g);
        write_columns(&g, grad, self.nb, false);
        Ok(l)
    }
}

/// `Ok` if `x` is `N x nb`, else the error saying so.
fn check_shape(x: &DMatrix<f64>, nb: usize) -> Result<(), UserError> {
    if x.shape() == (N, nb) {
        Ok(())
    } else {
        let (r, c) = x.shape();
        Err(format!(
            "problem L's batch takes {N} x {nb} states (one column per window), got {r} x {c}"
        )
        .into())
    }
}

/// `x` (`N x B`, window `b` in column `b`) component-major.
fn batch_layout(x: &DMatrix<f64>) -> Vec<f64> {
    x.transpose().as_slice().to_vec()
}

/// Writes (or adds, with `add`) the component-major `v` into the columns of `out`.
fn write_columns(v: &[f64], out: &mut DMatrix<f64>, nb: usize, add: bool) {
    for (w, mut column) in out.column_iter_mut().enumerate() {
        for (i, c) in column.iter_mut().enumerate() {
            if add {
                *c += v[i * nb + w];
            } else {
                *c = v[i * nb + w];
            }
        }
    }
}

/// One RK4 step of every window, `ws.u` in place (the expressions of
/// [`rk4_step`](crate::l96::rk4_step)).
#[inline(always)]
fn rk4<S: Real>(ws: &mut Workspace<S>, nb: usize) {
    let (h2, h, h6) = (S::from_f64(H / 2.0), S::from_f64(H), S::from_f64(H / 6.0));
    let u = &mut ws.u;
    let [k1, k2, k3, k4] = &mut ws.k;
    let stage = &mut ws.s[0];
    rhs(u, k1, nb);
    axpy(u, h2, k1, stage);
    rhs(stage, k2, nb);
    axpy(u, h2, k2, stage);
    rhs(stage, k3, nb);
    axpy(u, h, k3, stage);
    rhs(stage, k4, nb);
    rk4_update(u, h6, [k1, k2, k3, k4]);
}

impl BatchCost for Costs {
    fn windows(&self) -> usize {
        self.nb
    }

    fn gradients(&self, x: &DMatrix<f64>, grad: &mut DMatrix<f64>) -> Result<(), UserError> {
        check_shape(x, self.nb)?;
        let u = batch_layout(x);
        let mut g = vec![0.0; u.len()];
        self.cost_and_gradient(&u, &mut g);
        write_columns(&g, grad, self.nb, false);
        Ok(())
    }

    fn hvps(
        &self,
        x: &DMatrix<f64>,
        v: &DMatrix<f64>,
        x_bar: &mut DMatrix<f64>,
    ) -> Result<(), UserError> {
        check_shape(x, self.nb)?;
        check_shape(v, self.nb)?;
        let (u, d) = (batch_layout(x), batch_layout(v));
        let (mut g, mut hv) = (vec![0.0; u.len()], vec![0.0; u.len()]);
        self.hessian_vector(&u, &d, &mut g, &mut hv);
        write_columns(&hv, x_bar, self.nb, true);
        Ok(())
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::l96::window;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The AVX2 builds of the sweeps give the portable builds' numbers to the bit (no fused
    /// multiply-adds, the same order), on a batch of 7 windows (one vector of four and a tail).
    #[test]
    fn the_avx2_sweeps_give_the_bits_of_the_portable_ones() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this CPU: only the portable sweeps run");
            return;
        }
        let nb = 7;
        let data: Vec<Data> = (0..nb).map(window).collect();
        let costs = Costs::new(&data.iter().collect::<Vec<_>>());
        let truths: Vec<Vec<f64>> = data
            .iter()
            .map(|d| d.truth.iter().flatten().copied().collect())
            .collect();
        let losses = Losses::new(&truths.iter().map(|t| &t[..]).collect::<Vec<_>>());
        let x: Vec<f64> = (0..N * nb)
            .map(|k| costs.xb[k] + 0.01 * (k as f64).sin())
            .collect();
        let v: Vec<f64> = (0..N * nb).map(|k| (0.3 * k as f64).cos()).collect();
        let zeros = || vec![0.0; N * nb];
        for which in 0..2 {
            let (mut g1, mut g2) = (zeros(), zeros());
            let (j1, j2) = if which == 0 {
                let j1 = sweep_body(&costs, &x, &mut g1, &mut Workspace::new(nb));
                // SAFETY: AVX2 checked above.
                let j2 = unsafe { sweep_avx2(&costs, &x, &mut g2, &mut Workspace::new(nb)) };
                (j1, j2)
            } else {
                let j1 = sweep_body(&losses, &x, &mut g1, &mut Workspace::new(nb));
                // SAFETY: AVX2 checked above.
                let j2 = unsafe { sweep_avx2(&losses, &x, &mut g2, &mut Workspace::new(nb)) };
                (j1, j2)
            };
            assert_eq!(bits(&j1), bits(&j2));
            assert_eq!(bits(&g1), bits(&g2));
            assert!(g1.iter().any(|g| *g != 0.0));
        }
        let (mut g1, mut h1, mut g2, mut h2) = (zeros(), zeros(), zeros(), zeros());
        let mut w1 = (Workspace::new(nb), Workspace::new(nb));
        let mut w2 = (Workspace::new(nb), Workspace::new(nb));
        let j1 = hvp_body(&costs, (&x, &v), (&mut g1, &mut h1), (&mut w1.0, &mut w1.1));
        // SAFETY: AVX2 checked above.
        let j2 = unsafe { hvp_avx2(&costs, (&x, &v), (&mut g2, &mut h2), (&mut w2.0, &mut w2.1)) };
        assert_eq!(bits(&j1), bits(&j2));
        assert_eq!(bits(&g1), bits(&g2));
        assert_eq!(bits(&h1), bits(&h2));
        assert!(h1.iter().any(|h| *h != 0.0));
    }
}
