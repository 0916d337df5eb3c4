//! Problem L of the reference problems (shared/problems.md): Lorenz-96 4D-Var, n = 40, F = 8.
//! Shared by the examples, the benchmarks and the tests, so they compute the same numbers.

use tapeless::differentiable;
use tapeless::fourdvar;
use tapeless::ode::{self, Memory, OdeError, OdeProblem, SaveAt, SolveOptions, Tableau};

/// State dimension.
pub const N: usize = 40;
/// Forcing.
pub const FORCING: f64 = 8.0;
/// RK4 step.
pub const H: f64 = 0.01;
/// RK4 steps in the window.
pub const STEPS: usize = 200;
/// Observations every this many steps.
pub const OBS_EVERY: usize = 10;
/// Observation error standard deviation.
pub const SIGMA_O: f64 = 0.5;
/// Background error standard deviation.
pub const SIGMA_B: f64 = 1.0;

/// The truth's initial state after the spin-up, as given (17 significant digits).
#[allow(clippy::excessive_precision)] // the digits exactly as the reference problem gives them
pub const XT0: [f64; N] = [
    -1.88597792105089046e0,
    -1.52984383571429128e-1,
    -5.07404929163266516e0,
    2.05972501471432246e0,
    5.62659391558529265e0,
    3.49989089374393902e0,
    6.54553206638471075e0,
    -1.73895962398050163e0,
    -8.51203516890138401e-1,
    1.03364584748159505e0,
    7.26917882854177755e0,
    6.24114646159755715e0,
    -2.58704558843722454e0,
    2.73472631051942805e-1,
    4.96325187173679350e0,
    8.09996645846302066e0,
    -1.05183975679740893e0,
    1.12820311084581526e0,
    -1.02499889669318112e0,
    1.47241101213552428e0,
    5.51056439548522903e0,
    4.82915668721727176e0,
    -4.66038526312107937e0,
    4.21174959953294170e0,
    2.53480186172035937e0,
    3.75249950875800398e0,
    7.02406968631262973e0,
    1.37656723444263718e0,
    5.05506357275529172e0,
    4.16996639005543202e0,
    3.40439090838448299e0,
    6.00534161558276836e0,
    -3.78275261274679053e0,
    -2.93257473752302511e0,
    2.03068874404021571e0,
    1.55042553359074509e0,
    -1.16215525440239068e-1,
    2.39746535153612594e0,
    1.04989141097128975e1,
    5.64899960443977189e0,
];

/// dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, indices mod n.
#[differentiable(rhs = Lorenz96)]
pub fn lorenz96(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0];
    }
}

/// One classic RK4 step in place, written as a user would.
#[differentiable]
pub fn rk4_step(u: &mut [f64], p: &[f64], t: f64, h: f64) {
    let n = u.len();
    let mut k1 = vec![0.0; n];
    let mut k2 = vec![0.0; n];
    let mut k3 = vec![0.0; n];
    let mut k4 = vec![0.0; n];
    let mut stage = vec![0.0; n];
    lorenz96(&mut k1, u, p, t);
    for i in 0..n {
        stage[i] = u[i] + h / 2.0 * k1[i];
    }
    lorenz96(&mut k2, &stage, p, t + h / 2.0);
    for i in 0..n {
        stage[i] = u[i] + h / 2.0 * k2[i];
    }
    lorenz96(&mut k3, &stage, p, t + h / 2.0);
    for i in 0..n {
        stage[i] = u[i] + h * k3[i];
    }
    lorenz96(&mut k4, &stage, p, t + h);
    for i in 0..n {
        u[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
}

/// The 4D-Var cost J(x0), written as a user would: RK4 over the window, misfits of the even
/// components every ten steps, and the background term.
#[inline] // a wrapper the benchmarks time from another crate: no call of its own
pub fn cost(x0: &[f64], obs: &[f64], xb: &[f64]) -> f64 {
    cost_window(x0, obs, xb, STEPS)
}

/// The 4D-Var cost over the first `steps` steps of the window (for quasi-static minimisation:
/// lengthening the window step by step keeps the minimiser in the truth's basin): RK4 over the
/// steps, misfits of the even components every ten steps, and the background term.
///
/// Two activity patterns of one body: `cost_window_vjp` differentiates with respect to `x0`;
/// [`cost_and_observations`] is J(x0, y) with the observations differentiable too, for the
/// sensitivity of the analysis to the observations:
///
/// ```
/// use tapeless_problems::l96::{cost_and_observations, cost_and_observations_vjp, cost_window};
/// use tapeless_problems::l96::{N, OBS_EVERY, STEPS, XT0};
///
/// let obs = vec![0.5; N / 2 * (STEPS / OBS_EVERY)];
/// let xb = vec![1.0; N];
/// let j = cost_and_observations(&XT0, &obs, &xb, STEPS);
/// assert_eq!(j, cost_window(&XT0, &obs, &xb, STEPS));
/// let (mut x_bar, mut obs_bar) = (vec![0.0; N], vec![0.0; obs.len()]);
/// let value = cost_and_observations_vjp(&XT0, &mut x_bar, &obs, &mut obs_bar, &xb, STEPS, 1.0);
/// assert_eq!(value, j);
/// // dJ/dy is minus the misfit over sigma_o^2: the first is of x_0 after ten steps.
/// let mut u = XT0.to_vec();
/// for k in 0..OBS_EVERY {
///     tapeless_problems::l96::rk4_step(&mut u, &[8.0], 0.01 * k as f64, 0.01);
/// }
/// let expected = -(u[0] - 0.5) / (0.5 * 0.5);
/// assert!((obs_bar[0] - expected).abs() <= 1e-12 * expected.abs());
/// ```
#[differentiable(wrt(x0), wrt(x0, obs) as cost_and_observations)]
pub fn cost_window(x0: &[f64], obs: &[f64], xb: &[f64], steps: usize) -> f64 {
    let n = x0.len();
    let p = [8.0];
    let mut u = x0.to_vec();
    let mut j = 0.0;
    for k in 1..steps + 1 {
        rk4_step(&mut u, &p, 0.01 * (k - 1) as f64, 0.01);
        if k % 10 == 0 {
            let m = k / 10 - 1;
            for i in (0..n).step_by(2) {
                let d = u[i] - obs[m * 20 + i / 2];
                j += 0.5 * d * d / (0.5 * 0.5);
            }
        }
    }
    for i in 0..n {
        let d = x0[i] - xb[i];
        j += 0.5 * d * d / (1.0 * 1.0);
    }
    j
}

/// The outer loss of the learned solver: the mean squared error of the trajectory from `x0`
/// against the truth, over k = 0..=200 and every component (`truth` row-major, `k * 40 + i`).
#[differentiable(wrt(x0))]
pub fn trajectory_error(x0: &[f64], truth: &[f64]) -> f64 {
    let n = x0.len();
    let p = [8.0];
    let mut u = x0.to_vec();
    let mut l = 0.0;
    for i in 0..n {
        let d = u[i] - truth[i];
        l += d * d;
    }
    for k in 1..201 {
        rk4_step(&mut u, &p, 0.01 * (k - 1) as f64, 0.01);
        for i in 0..n {
            let d = u[i] - truth[k * n + i];
            l += d * d;
        }
    }
    l / (201 * n) as f64
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

/// J over the whole window, as the inner solver's objective (the generated adjoint, at any
/// scalar type).
pub struct InnerCost<'a>(pub &'a Data);
impl tapeless::nested::Gradient for InnerCost<'_> {
    fn gradient<S: tapeless::Real>(&self, x: &[S], g: &mut [S]) -> Result<S, tapeless::UserError> {
        Ok(cost_window_vjp(
            x,
            g,
            &self.0.obs,
            &self.0.xb,
            STEPS,
            S::one(),
        ))
    }
}

/// The outer loss of the learned solver: the mean squared error of the trajectory from `x`
/// against the truth (`truth` row-major, `k * 40 + i`).
pub struct OuterLoss<'a>(pub &'a [f64]);
impl tapeless::nested::Gradient for OuterLoss<'_> {
    fn gradient<S: tapeless::Real>(&self, x: &[S], g: &mut [S]) -> Result<S, tapeless::UserError> {
        Ok(trajectory_error_vjp(x, g, self.0, S::one()))
    }
}

/// The truth trajectory, the observations and the background of problem L.
pub struct Data {
    /// xt_k, k = 0..=200.
    pub truth: Vec<Vec<f64>>,
    /// y_{k,i} for k = 10, 20, ..., 200 and even i, row-major: `obs[(k/10 - 1) * 20 + i/2]`.
    pub obs: Vec<f64>,
    /// The background state.
    pub xb: Vec<f64>,
}

/// Problem L's data, from the given truth initial state (window 0).
pub fn data() -> Data {
    window(0)
}

/// The data of window `w` (shared/problems.md, "Windows"): the truth starts from XT0 integrated
/// `50 w` further RK4 steps, the noise's phase is shifted by `3.1 w` and the background's by
/// `0.9 w`. Window 0 is problem L, to the bit.
pub fn window(w: usize) -> Data {
    let p = [FORCING];
    let mut u = XT0.to_vec();
    for k in 0..50 * w {
        rk4_step(&mut u, &p, H * k as f64, H);
    }
    let xt0 = u.clone();
    let mut truth = vec![u.clone()];
    for k in 0..STEPS {
        rk4_step(&mut u, &p, H * k as f64, H);
        truth.push(u.clone());
    }
    let shift = w as f64;
    let mut obs = Vec::new();
    for k in (OBS_EVERY..=STEPS).step_by(OBS_EVERY) {
        for i in (0..N).step_by(2) {
            obs.push(
                truth[k][i]
                    + SIGMA_O * (12.9898 * k as f64 + 78.233 * i as f64 + 3.1 * shift).sin(),
            );
        }
    }
    let xb = (0..N)
        .map(|i| xt0[i] + 0.5 * (1.7 * i as f64 + 0.3 + 0.9 * shift).cos())
        .collect();
    Data { truth, obs, xb }
}

/// The L96 Jacobian-transpose product, by hand: `x_bar += J(x)^T r`.
fn lorenz96_adjoint(x: &[f64], r: &[f64], x_bar: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let (ip1, im2, im1) = ((i + 1) % n, (i + n - 2) % n, (i + n - 1) % n);
        x_bar[ip1] += r[i] * x[im1];
        x_bar[im2] -= r[i] * x[im1];
        x_bar[im1] += r[i] * (x[ip1] - x[im2]);
        x_bar[i] -= r[i];
    }
}

fn lorenz96_by_hand(du: &mut [f64], u: &[f64]) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + FORCING;
    }
}

/// J and grad J by a hand-written discrete adjoint (the reference of the benchmark): store the
/// states, then go back through each RK4 step recomputing its stages.
pub fn cost_and_gradient_by_hand(x0: &[f64], obs: &[f64], xb: &[f64], grad: &mut [f64]) -> f64 {
    let n = x0.len();
    let mut states = Vec::with_capacity(STEPS + 1);
    states.push(x0.to_vec());
    let (mut k1, mut k2, mut k3, mut k4, mut s) = (
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
    );
    let mut j = 0.0;
    let mut u = x0.to_vec();
    for k in 1..=STEPS {
        lorenz96_by_hand(&mut k1, &u);
        for i in 0..n {
            s[i] = u[i] + H / 2.0 * k1[i];
        }
        lorenz96_by_hand(&mut k2, &s);
        for i in 0..n {
            s[i] = u[i] + H / 2.0 * k2[i];
        }
        lorenz96_by_hand(&mut k3, &s);
        for i in 0..n {
            s[i] = u[i] + H * k3[i];
        }
        lorenz96_by_hand(&mut k4, &s);
        for i in 0..n {
            u[i] += H / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        if k % OBS_EVERY == 0 {
            let m = k / OBS_EVERY - 1;
            for i in (0..n).step_by(2) {
                let d = u[i] - obs[m * 20 + i / 2];
                j += 0.5 * d * d / (SIGMA_O * SIGMA_O);
            }
        }
        states.push(u.clone());
    }
    for i in 0..n {
        let d = x0[i] - xb[i];
        j += 0.5 * d * d / (SIGMA_B * SIGMA_B);
    }
    // Reverse sweep: lambda is the adjoint of u_k.
    let mut lambda = vec![0.0; n];
    let (mut s2, mut s3, mut s4) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let (mut kb, mut sb, mut xbar) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for k in (1..=STEPS).rev() {
        if k % OBS_EVERY == 0 {
            let m = k / OBS_EVERY - 1;
            for i in (0..n).step_by(2) {
                lambda[i] += (states[k][i] - obs[m * 20 + i / 2]) / (SIGMA_O * SIGMA_O);
            }
        }
        // Recompute the stages of the step from u_{k-1}.
        let x = &states[k - 1];
        lorenz96_by_hand(&mut k1, x);
        for i in 0..n {
            s2[i] = x[i] + H / 2.0 * k1[i];
        }
        lorenz96_by_hand(&mut k2, &s2);
        for i in 0..n {
            s3[i] = x[i] + H / 2.0 * k2[i];
        }
        lorenz96_by_hand(&mut k3, &s3);
        for i in 0..n {
            s4[i] = x[i] + H * k3[i];
        }
        xbar.copy_from_slice(&lambda);
        // k4 = f(s4), s4 = x + h k3.
        for i in 0..n {
            kb[i] = H / 6.0 * lambda[i];
        }
        sb.iter_mut().for_each(|v| *v = 0.0);
        lorenz96_adjoint(&s4, &kb, &mut sb);
        // k3 = f(s3), s3 = x + h/2 k2.
        for i in 0..n {
            xbar[i] += sb[i];
            kb[i] = H / 3.0 * lambda[i] + H * sb[i];
        }
        sb.iter_mut().for_each(|v| *v = 0.0);
        lorenz96_adjoint(&s3, &kb, &mut sb);
        // k2 = f(s2), s2 = x + h/2 k1.
        for i in 0..n {
            xbar[i] += sb[i];
            kb[i] = H / 3.0 * lambda[i] + H / 2.0 * sb[i];
        }
        sb.iter_mut().for_each(|v| *v = 0.0);
        lorenz96_adjoint(&s2, &kb, &mut sb);
        // k1 = f(x).
        for i in 0..n {
            xbar[i] += sb[i];
            kb[i] = H / 6.0 * lambda[i] + H / 2.0 * sb[i];
        }
        lorenz96_adjoint(x, &kb, &mut xbar);
        lambda.copy_from_slice(&xbar);
    }
    for i in 0..n {
        grad[i] = lambda[i] + (x0[i] - xb[i]) / (SIGMA_B * SIGMA_B);
    }
    j
}

/// `J` and `grad J` over the whole window by the generated adjoint.
#[inline] // a wrapper the benchmarks time from another crate: no call of its own
pub fn cost_vjp(x0: &[f64], grad: &mut [f64], obs: &[f64], xb: &[f64], seed: f64) -> f64 {
    cost_window_vjp(x0, grad, obs, xb, STEPS, seed)
}

/// Problem L's cost from the runtime's 4D-Var blocks: the background at saved state 0 and the
/// even components observed at saved states 1..=20 (every ten steps).
pub fn four_dvar_cost(d: &Data) -> fourdvar::Cost {
    let mut cost = fourdvar::Cost::new(N)
        .background(
            fourdvar::Background::new(d.xb.clone(), vec![SIGMA_B * SIGMA_B; N])
                .expect("valid background"),
        )
        .expect("background of the state's dimension");
    for m in 0..STEPS / OBS_EVERY {
        let values = d.obs[m * 20..(m + 1) * 20].to_vec();
        let set = fourdvar::ObservationSet::new(
            fourdvar::Selection::every(2, N),
            values,
            vec![SIGMA_O * SIGMA_O; 20],
        )
        .expect("valid observations");
        cost = cost.observe(m + 1, set).expect("each time observed once");
    }
    cost
}

/// The integration options of problem L: RK4 with h = 0.01, states saved at t = 0 and at the
/// observation times.
pub fn options(memory: Memory) -> SolveOptions {
    let times = (0..=STEPS / OBS_EVERY)
        .map(|m| (m * OBS_EVERY) as f64 * H)
        .collect();
    SolveOptions::fixed(Tableau::rk4(), H)
        .saveat(SaveAt::Times(times))
        .memory(memory)
}

/// J and grad J by the runtime's RK4 and its exact discrete adjoint, with the generated
/// right-hand side [`Lorenz96`].
pub fn cost_and_gradient_by_integrator(
    x0: &[f64],
    d: &Data,
    memory: Memory,
) -> Result<(f64, Vec<f64>), OdeError> {
    let p = [FORCING];
    let problem = OdeProblem::new(&Lorenz96, x0, &p, (0.0, STEPS as f64 * H));
    let g = ode::gradient(&problem, &options(memory), &four_dvar_cost(d))?;
    Ok((g.value, g.u0_bar))
}

/// J alone by the runtime's RK4 (the primal of [`cost_and_gradient_by_integrator`]).
pub fn cost_by_integrator(x0: &[f64], d: &Data) -> Result<f64, OdeError> {
    let p = [FORCING];
    let problem = OdeProblem::new(&Lorenz96, x0, &p, (0.0, STEPS as f64 * H));
    ode::loss_value(&problem, &options(Memory::StoreAll), &four_dvar_cost(d))
}
