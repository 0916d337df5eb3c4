//! The zoo of test problems, written by hand (value, tangent and adjoint), and the losses the
//! tests differentiate.

use super::rhs::{Length, Rhs, RhsDims, RhsJvp, RhsVjp};
use super::SavedStateLoss;
use crate::{Real, UserError};

/// Exponential decay `du_i/dt = -p0 u_i`, with the closed form `u_i(t) = u_i(0) exp(-p0 t)`.
pub(crate) struct Decay;

impl Rhs for Decay {
    fn dims(&self) -> RhsDims {
        RhsDims::new(Length::Any, Length::Exactly(1))
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        for (d, &x) in du.iter_mut().zip(u) {
            *d = -p[0] * x;
        }
    }
}
impl RhsJvp for Decay {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        _t: S,
    ) {
        for i in 0..u.len() {
            du[i] = -p[0] * u[i];
            du_dot[i] = -p_dot[0] * u[i] - p[0] * u_dot[i];
        }
    }
}
impl RhsVjp for Decay {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        for i in 0..u.len() {
            u_bar[i] -= p[0] * du_bar[i];
            p_bar[0] -= u[i] * du_bar[i];
        }
        du_bar.fill(S::zero());
    }
}

/// The harmonic oscillator `x' = v, v' = -w^2 x`, `w = p0`, with the closed form
/// `x = x0 cos(w t) + v0 / w sin(w t)`.
pub(crate) struct Oscillator;

impl Rhs for Oscillator {
    fn dims(&self) -> RhsDims {
        RhsDims::new(Length::Exactly(2), Length::Exactly(1))
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        du[0] = u[1];
        du[1] = -(p[0] * p[0]) * u[0];
    }
}
impl RhsJvp for Oscillator {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        _t: S,
    ) {
        du[0] = u[1];
        du[1] = -(p[0] * p[0]) * u[0];
        du_dot[0] = u_dot[1];
        du_dot[1] = -(p[0] * p[0]) * u_dot[0] - S::from_f64(2.0) * p[0] * p_dot[0] * u[0];
    }
}
impl RhsVjp for Oscillator {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        u_bar[1] += du_bar[0];
        u_bar[0] -= p[0] * p[0] * du_bar[1];
        p_bar[0] -= S::from_f64(2.0) * p[0] * u[0] * du_bar[1];
        du_bar.fill(S::zero());
    }
}

/// Lorenz-63 with `p = (sigma, rho, beta)`.
pub(crate) struct Lorenz63;

impl Rhs for Lorenz63 {
    fn dims(&self) -> RhsDims {
        RhsDims::new(Length::Exactly(3), Length::Exactly(3))
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        du[0] = p[0] * (u[1] - u[0]);
        du[1] = u[0] * (p[1] - u[2]) - u[1];
        du[2] = u[0] * u[1] - p[2] * u[2];
    }
}
impl RhsJvp for Lorenz63 {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        du_dot[0] = p_dot[0] * (u[1] - u[0]) + p[0] * (u_dot[1] - u_dot[0]);
        du_dot[1] = u_dot[0] * (p[1] - u[2]) + u[0] * (p_dot[1] - u_dot[2]) - u_dot[1];
        du_dot[2] = u_dot[0] * u[1] + u[0] * u_dot[1] - p_dot[2] * u[2] - p[2] * u_dot[2];
    }
}
impl RhsVjp for Lorenz63 {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        let g = &*du_bar;
        u_bar[0] += -p[0] * g[0] + (p[1] - u[2]) * g[1] + u[1] * g[2];
        u_bar[1] += p[0] * g[0] - g[1] + u[0] * g[2];
        u_bar[2] += -u[0] * g[1] - p[2] * g[2];
        p_bar[0] += (u[1] - u[0]) * g[0];
        p_bar[1] += u[0] * g[1];
        p_bar[2] -= u[2] * g[2];
        du_bar.fill(S::zero());
    }
}

/// Lorenz-96, `du_i/dt = (u_{i+1} - u_{i-2}) u_{i-1} - u_i + F` with indices mod n and
/// `F = p0`, written as problem L writes it.
pub(crate) struct Lorenz96;

impl Rhs for Lorenz96 {
    fn dims(&self) -> RhsDims {
        RhsDims::new(Length::AtLeast(4), Length::Exactly(1))
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        let n = u.len();
        for i in 0..n {
            let (next, prev, prev2) = (u[(i + 1) % n], u[(i + n - 1) % n], u[(i + n - 2) % n]);
            du[i] = (next - prev2) * prev - u[i] + p[0];
        }
    }
}
impl RhsJvp for Lorenz96 {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        let n = u.len();
        for i in 0..n {
            let (a, b, c) = ((i + 1) % n, (i + n - 1) % n, (i + n - 2) % n);
            du_dot[i] =
                (u_dot[a] - u_dot[c]) * u[b] + (u[a] - u[c]) * u_dot[b] - u_dot[i] + p_dot[0];
        }
    }
}
impl RhsVjp for Lorenz96 {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        let n = u.len();
        for i in 0..n {
            let (a, b, c) = ((i + 1) % n, (i + n - 1) % n, (i + n - 2) % n);
            let g = du_bar[i];
            u_bar[a] += u[b] * g;
            u_bar[c] -= u[b] * g;
            u_bar[b] += (u[a] - u[c]) * g;
            u_bar[i] -= g;
            p_bar[0] += g;
        }
        du_bar.fill(S::zero());
    }
}

/// A forced, non-autonomous, nonlinear pair: `u0' = -p0 u0 + p1 cos(t)`,
/// `u1' = -u1 + p0 u0 sin(t)`, so stage times matter.
pub(crate) struct Forced;

impl Rhs for Forced {
    fn dims(&self) -> RhsDims {
        RhsDims::new(Length::Exactly(2), Length::Exactly(2))
    }
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S) {
        du[0] = -p[0] * u[0] + p[1] * t.cos();
        du[1] = -u[1] + p[0] * u[0] * t.sin();
    }
}
impl RhsJvp for Forced {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, p_dot): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        du_dot[0] = -p_dot[0] * u[0] - p[0] * u_dot[0] + p_dot[1] * t.cos();
        du_dot[1] = -u_dot[1] + (p_dot[0] * u[0] + p[0] * u_dot[0]) * t.sin();
    }
}
impl RhsVjp for Forced {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        u_bar[0] += -p[0] * du_bar[0] + p[0] * t.sin() * du_bar[1];
        u_bar[1] -= du_bar[1];
        p_bar[0] += -u[0] * du_bar[0] + u[0] * t.sin() * du_bar[1];
        p_bar[1] += t.cos() * du_bar[0];
        du_bar.fill(S::zero());
    }
}

/// `phi_k(u) = sum_i 0.5 (u_i - y_ki)^2 + 0.1 sin(u_i)`, with `y_ki = sin(1.3 k + 0.7 i)`:
/// not quadratic, so its own Hessian enters Hessian-vector products.
pub(crate) struct Misfit;

impl SavedStateLoss for Misfit {
    fn value_and_gradient<S: Real>(
        &self,
        k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        let mut value = S::zero();
        for (i, &x) in u.iter().enumerate() {
            let r = x - S::from_f64((1.3 * k as f64 + 0.7 * i as f64).sin());
            let s = S::from_f64(0.1);
            value += S::from_f64(0.5) * r * r + s * x.sin();
            u_bar[i] += r + s * x.cos();
        }
        Ok(value)
    }
}

/// A deterministic pseudo-random vector in `[-1, 1]`, different for each `seed`.
pub(crate) fn direction(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// Problem L's truth initial state `xt0`.
#[allow(clippy::excessive_precision)] // the digits problems.md gives, as it gives them
pub(crate) const L96_XT0: [f64; 40] = [
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nested::{jacobian_forward, jacobian_reverse, VectorFunction};

    /// A right-hand side at fixed `t` as a function of `(u, p)`, for the runtime's Jacobian
    /// helpers: its forward Jacobian comes from `eval` at duals, its reverse one from `vjp`.
    struct AsFunction<F> {
        rhs: F,
        n: usize,
        t: f64,
    }

    impl<F: RhsVjp> VectorFunction for AsFunction<F> {
        fn outputs(&self) -> usize {
            self.n
        }
        fn eval<S: Real>(&self, x: &[S], y: &mut [S]) {
            self.rhs
                .eval(y, &x[..self.n], &x[self.n..], S::from_f64(self.t));
        }
        fn vjp<S: Real>(&self, x: &[S], y_bar: &[S], x_bar: &mut [S]) {
            let (u_bar, p_bar) = x_bar.split_at_mut(self.n);
            let mut du = vec![S::zero(); self.n];
            let mut du_bar = y_bar.to_vec();
            let (u, p) = x.split_at(self.n);
            self.rhs.vjp(
                (&mut du, &mut du_bar),
                (u, u_bar),
                (p, p_bar),
                S::from_f64(self.t),
            );
            assert!(
                du_bar.iter().all(|&d| d == S::zero()),
                "vjp consumes du_bar"
            );
            let mut expected = vec![S::zero(); self.n];
            self.rhs.eval(&mut expected, u, p, S::from_f64(self.t));
            assert!(du == expected, "vjp leaves f(u, p, t) in du");
        }
    }

    fn check<F: RhsJvp + RhsVjp>(name: &str, rhs: F, u: &[f64], p: &[f64]) {
        let n = u.len();
        let x: Vec<f64> = u.iter().chain(p).copied().collect();
        let f = AsFunction { rhs, n, t: 0.7 };
        let forward = jacobian_forward(&f, &x).unwrap();
        let reverse = jacobian_reverse(&f, &x).unwrap();
        // jvp along each unit direction.
        for col in 0..x.len() {
            let mut x_dot = vec![0.0; x.len()];
            x_dot[col] = 1.0;
            let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
            f.rhs.jvp(
                (&mut du, &mut du_dot),
                (u, &x_dot[..n]),
                (p, &x_dot[n..]),
                0.7,
            );
            let mut expected = vec![0.0; n];
            f.rhs.eval(&mut expected, u, p, 0.7);
            assert_eq!(du, expected, "{name}: jvp's value is eval's");
            for row in 0..n {
                let scale = forward[row][col].abs().max(1.0);
                assert!(
                    (du_dot[row] - forward[row][col]).abs() < 1e-13 * scale,
                    "{name} jvp [{row}][{col}]"
                );
                assert!(
                    (reverse[row][col] - forward[row][col]).abs() < 1e-13 * scale,
                    "{name} vjp [{row}][{col}]"
                );
            }
        }
    }

    #[test]
    fn hand_written_derivatives_agree_with_dual_numbers() {
        check("decay", Decay, &[0.3, -1.2], &[0.8]);
        check("oscillator", Oscillator, &[0.3, -1.2], &[1.7]);
        check(
            "lorenz63",
            Lorenz63,
            &[1.0, -2.0, 20.0],
            &[10.0, 28.0, 8.0 / 3.0],
        );
        check("lorenz96", Lorenz96, &L96_XT0[..6], &[8.0]);
        check("forced", Forced, &[0.4, -0.9], &[0.6, 1.3]);
    }
}
