//! Problem L written for speed: the state a fixed-size `[f64; 40]` passed by value, the
//! periodic indices of the right-hand side peeled off at both ends so the inner loop has no `%`.
//!
//! Two versions of the same numbers as [`l96`](crate::l96):
//!
//! - [`cost_and_gradient`], the reference for speed: J and its discrete adjoint written by hand
//!   the way a performance engineer writes them: the states stored once, each step's stages
//!   recomputed in the reverse sweep, and the right-hand side's transposed Jacobian in gather
//!   form (each `x_bar[j]` sums the terms of the outputs that read `x[j]`, so the adjoint loop
//!   writes one element per iteration and vectorises like the primal), with no allocation
//!   besides the stored states;
//! - [`cost`], the same problem as a user writes it for speed through `#[differentiable]`
//!   (companions [`cost_jvp`], [`cost_vjp`]): what the macro makes of code in this style.

use tapeless::differentiable;

use crate::l96::{FORCING, H, N, OBS_EVERY, SIGMA_B, SIGMA_O, STEPS};

/// A state of problem L.
pub type State = [f64; N];

/// One component of the right-hand side, from the four components it reads.
#[inline(always)]
fn rhs_at(um2: f64, um1: f64, ui: f64, up1: f64) -> f64 {
    (up1 - um2) * um1 - ui + FORCING
}

/// The Lorenz-96 right-hand side, boundaries peeled off.
#[inline(always)]
pub fn rhs(u: &State) -> State {
    let mut du = [0.0; N];
    du[0] = rhs_at(u[N - 2], u[N - 1], u[0], u[1]);
    du[1] = rhs_at(u[N - 1], u[0], u[1], u[2]);
    for i in 2..N - 1 {
        du[i] = rhs_at(u[i - 2], u[i - 1], u[i], u[i + 1]);
    }
    du[N - 1] = rhs_at(u[N - 3], u[N - 2], u[N - 1], u[0]);
    du
}

/// `(J^T r)[j]` of the right-hand side at `x`, from the components of `x` and `r` around `j`
/// (`xm2` is `x[j - 2]`, ..., indices periodic): the terms of the four outputs that read
/// `x[j]`, `i = j + 1` (as `x[i - 1]`), `i = j - 1` (as `x[i + 1]`), `i = j + 2` (as
/// `x[i - 2]`) and `i = j` (as `-x[i]`).
#[inline(always)]
fn adjoint_at(
    (xm2, xm1, xp1, xp2): (f64, f64, f64, f64),
    (rm1, ri, rp1, rp2): (f64, f64, f64, f64),
) -> f64 {
    rp1 * (xp2 - xm1) + rm1 * xm2 - rp2 * xp1 - ri
}

/// `J(x)^T r` of the right-hand side, in gather form, boundaries peeled off.
#[inline(always)]
pub fn rhs_adjoint(x: &State, r: &State) -> State {
    let mut xb = [0.0; N];
    let at = |j: usize| {
        let (m2, m1, p1, p2) = ((j + N - 2) % N, (j + N - 1) % N, (j + 1) % N, (j + 2) % N);
        adjoint_at((x[m2], x[m1], x[p1], x[p2]), (r[m1], r[j], r[p1], r[p2]))
    };
    xb[0] = at(0);
    xb[1] = at(1);
    for j in 2..N - 2 {
        xb[j] = adjoint_at(
            (x[j - 2], x[j - 1], x[j + 1], x[j + 2]),
            (r[j - 1], r[j], r[j + 1], r[j + 2]),
        );
    }
    xb[N - 2] = at(N - 2);
    xb[N - 1] = at(N - 1);
    xb
}

/// `u + c k`, component by component.
#[inline(always)]
fn axpy(u: &State, c: f64, k: &State) -> State {
    let mut s = [0.0; N];
    for i in 0..N {
        s[i] = u[i] + c * k[i];
    }
    s
}

/// One RK4 step.
#[inline(always)]
pub fn rk4(u: &State) -> State {
    let k1 = rhs(u);
    let k2 = rhs(&axpy(u, H / 2.0, &k1));
    let k3 = rhs(&axpy(u, H / 2.0, &k2));
    let k4 = rhs(&axpy(u, H, &k3));
    let mut out = *u;
    for i in 0..N {
        out[i] += H / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    out
}

/// The observations of the state after step `k` (a multiple of ten).
#[inline(always)]
fn observed(obs: &[f64], k: usize) -> &[f64; N / 2] {
    let m = k / OBS_EVERY - 1;
    obs[m * (N / 2)..(m + 1) * (N / 2)]
        .try_into()
        .expect("20 observations per observed state")
}

/// Adds the misfit of the state after step `k` (a multiple of ten) into `j`, term by term.
#[inline(always)]
fn misfit(u: &State, obs: &[f64], k: usize, j: &mut f64) {
    let obs = observed(obs, k);
    for i in 0..N / 2 {
        let d = u[2 * i] - obs[i];
        *j += 0.5 * d * d / (SIGMA_O * SIGMA_O);
    }
}

/// Adds the gradient of the misfit of the state after step `k` into `lambda`.
#[inline(always)]
fn misfit_adjoint(u: &State, obs: &[f64], k: usize, lambda: &mut State) {
    let obs = observed(obs, k);
    for i in 0..N / 2 {
        lambda[2 * i] += (u[2 * i] - obs[i]) / (SIGMA_O * SIGMA_O);
    }
}

/// Adds the background term into `j`, term by term.
#[inline(always)]
fn background(x0: &State, xb: &State, j: &mut f64) {
    for i in 0..N {
        let d = x0[i] - xb[i];
        *j += 0.5 * d * d / (SIGMA_B * SIGMA_B);
    }
}

/// The checked observations: 20 per observed state, 20 observed states.
fn check_obs(obs: &[f64]) {
    assert_eq!(
        obs.len(),
        (STEPS / OBS_EVERY) * (N / 2),
        "problem L has 400 observations"
    );
}

/// J of problem L, by hand, fixed-size (the primal of [`cost_and_gradient`]).
///
/// # Panics
///
/// If `obs` does not hold problem L's 400 observations.
pub fn cost_by_hand(x0: &State, obs: &[f64], xb: &State) -> f64 {
    check_obs(obs);
    let mut u = *x0;
    let mut j = 0.0;
    for k in 1..=STEPS {
        u = rk4(&u);
        if k % OBS_EVERY == 0 {
            misfit(&u, obs, k, &mut j);
        }
    }
    background(x0, xb, &mut j);
    j
}

/// J and `grad J` of problem L by the fast hand-written discrete adjoint, the gradient written
/// into `grad`. `states` is the caller's workspace for the states (reused across calls).
///
/// # Panics
///
/// If `obs` does not hold problem L's 400 observations.
pub fn cost_and_gradient(
    x0: &State,
    obs: &[f64],
    xb: &State,
    grad: &mut State,
    states: &mut Vec<State>,
) -> f64 {
    check_obs(obs);
    states.clear();
    states.reserve(STEPS);
    let mut u = *x0;
    let mut j = 0.0;
    for k in 1..=STEPS {
        states.push(u);
        u = rk4(&u);
        if k % OBS_EVERY == 0 {
            misfit(&u, obs, k, &mut j);
        }
    }
    background(x0, xb, &mut j);
    // lambda: the adjoint of the state after step k.
    let mut lambda = [0.0; N];
    misfit_adjoint(&u, obs, STEPS, &mut lambda);
    for k in (1..=STEPS).rev() {
        let x = &states[k - 1];
        // The stages of step k, recomputed from its initial state.
        let k1 = rhs(x);
        let s2 = axpy(x, H / 2.0, &k1);
        let k2 = rhs(&s2);
        let s3 = axpy(x, H / 2.0, &k2);
        let k3 = rhs(&s3);
        let s4 = axpy(x, H, &k3);
        // k4 = f(s4), s4 = x + h k3, and so on back to k1 = f(x).
        let b4 = rhs_adjoint(&s4, &scaled(H / 6.0, &lambda));
        let b3 = rhs_adjoint(&s3, &combined(H / 3.0, &lambda, H, &b4));
        let b2 = rhs_adjoint(&s2, &combined(H / 3.0, &lambda, H / 2.0, &b3));
        let b1 = rhs_adjoint(x, &combined(H / 6.0, &lambda, H / 2.0, &b2));
        for i in 0..N {
            lambda[i] += b4[i] + b3[i] + b2[i] + b1[i];
        }
        if k > 1 && (k - 1) % OBS_EVERY == 0 {
            misfit_adjoint(x, obs, k - 1, &mut lambda);
        }
    }
    for i in 0..N {
        grad[i] = lambda[i] + (x0[i] - xb[i]) / (SIGMA_B * SIGMA_B);
    }
    j
}

/// `c r`.
#[inline(always)]
fn scaled(c: f64, r: &State) -> State {
    let mut out = [0.0; N];
    for i in 0..N {
        out[i] = c * r[i];
    }
    out
}

/// `a lambda + c b`.
#[inline(always)]
fn combined(a: f64, lambda: &State, c: f64, b: &State) -> State {
    let mut out = [0.0; N];
    for i in 0..N {
        out[i] = a * lambda[i] + c * b[i];
    }
    out
}

/// The Lorenz-96 right-hand side as a user writes it for speed (F = 8).
#[differentiable]
pub fn rhs_fast(u: [f64; 40]) -> [f64; 40] {
    let mut du = [0.0; 40];
    du[0] = (u[1] - u[38]) * u[39] - u[0] + 8.0;
    du[1] = (u[2] - u[39]) * u[0] - u[1] + 8.0;
    for i in 2..39 {
        du[i] = (u[i + 1] - u[i - 2]) * u[i - 1] - u[i] + 8.0;
    }
    du[39] = (u[0] - u[37]) * u[38] - u[39] + 8.0;
    du
}

/// One RK4 step (h = 0.01) as a user writes it for speed.
#[differentiable]
pub fn rk4_fast(u: [f64; 40]) -> [f64; 40] {
    let k1: [f64; 40] = rhs_fast(u);
    let mut s = [0.0; 40];
    for i in 0..40 {
        s[i] = u[i] + 0.005 * k1[i];
    }
    let k2: [f64; 40] = rhs_fast(s);
    for i in 0..40 {
        s[i] = u[i] + 0.005 * k2[i];
    }
    let k3: [f64; 40] = rhs_fast(s);
    for i in 0..40 {
        s[i] = u[i] + 0.01 * k3[i];
    }
    let k4: [f64; 40] = rhs_fast(s);
    let mut out = [0.0; 40];
    for i in 0..40 {
        out[i] = u[i] + 0.01 / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    out
}

/// J of problem L as a user writes it for speed, through `#[differentiable]`.
#[differentiable(wrt(x0))]
pub fn cost(x0: [f64; 40], obs: &[f64], xb: &[f64]) -> f64 {
    // The first step, which has no observation, gives the state its own binding.
    let mut u: [f64; 40] = rk4_fast(x0);
    let mut j = 0.0;
    for k in 2..201 {
        let next: [f64; 40] = rk4_fast(u);
        #[allow(clippy::manual_memcpy)] // the macro assigns arrays element by element
        for i in 0..40 {
            u[i] = next[i];
        }
        if k % 10 == 0 {
            let m = k / 10 - 1;
            for i in 0..20 {
                let d = u[2 * i] - obs[m * 20 + i];
                j += 0.5 * d * d / (0.5 * 0.5);
            }
        }
    }
    for i in 0..40 {
        let d = x0[i] - xb[i];
        j += 0.5 * d * d / (1.0 * 1.0);
    }
    j
}
