//! The converged 4D-Var reference of the learned solver's validation (issue 14): each window's
//! analysis by quasi-static damped Newton-CG from its background, to a gradient norm of `1e-6`
//! ([`converged_analysis`]).

use tapeless::{Real, UserError};

use super::STATE;
use crate::l96::{self, Data};

fn gradient_window(x: &[f64], d: &Data, steps: usize) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; STATE];
    let j = l96::cost_window_vjp(x, &mut g, &d.obs, &d.xb, steps, 1.0);
    (j, g)
}

/// The 4D-Var cost over the first `steps` steps of the window (a stage of the quasi-static
/// minimisation), for Hessians.
struct Stage<'a> {
    data: &'a Data,
    steps: usize,
}
impl tapeless::nested::Gradient for Stage<'_> {
    fn gradient<S: Real>(&self, x: &[S], g: &mut [S]) -> Result<S, UserError> {
        Ok(l96::cost_window_vjp(
            x,
            g,
            &self.data.obs,
            &self.data.xb,
            self.steps,
            S::one(),
        ))
    }
}

/// The damped Newton-CG iterate on a stage (the first `steps` steps of the window), with its
/// cost, gradient and Hessian kept while it stays there: a rejected step retries at the same
/// point with more damping, and an accepted one has already evaluated the gradient at the new
/// point, so neither evaluates them again (the same values, so the same bits, as evaluating them
/// afresh).
struct Newton<'a> {
    data: &'a Data,
    steps: usize,
    x: Vec<f64>,
    j: f64,
    g: Vec<f64>,
    hessian: Option<Vec<Vec<f64>>>,
}

impl<'a> Newton<'a> {
    fn new(data: &'a Data, steps: usize, x: Vec<f64>) -> Self {
        let (j, g) = gradient_window(&x, data, steps);
        Self {
            data,
            steps,
            x,
            j,
            g,
            hessian: None,
        }
    }

    /// Moves to the stage of the first `steps` steps, at the same point.
    fn stage(&mut self, steps: usize) {
        if steps != self.steps {
            *self = Self::new(self.data, steps, std::mem::take(&mut self.x));
        }
    }

    /// One damped Newton-CG step: `(H + mu I) s = -g` by the runtime's conjugate gradients, on
    /// products with the Hessian assembled by forward over reverse (40 columns in five passes of
    /// eight lanes: far cheaper than 100 products one by one). Taken when it lowers `J`, or, at
    /// rounding level of `J`, lowers `|grad J|`.
    fn damped_step(&mut self, mu: f64) -> bool {
        if self.hessian.is_none() {
            let stage = Stage {
                data: self.data,
                steps: self.steps,
            };
            match tapeless::nested::hessian(&stage, &self.x) {
                Ok(h) => self.hessian = Some(h),
                Err(_) => return false,
            }
        }
        let h = self.hessian.as_ref().expect("assembled above");
        let damped = |p: &[f64]| -> Result<Vec<f64>, std::convert::Infallible> {
            Ok(h.iter()
                .zip(p)
                .map(|(row, pi)| row.iter().zip(p).map(|(a, b)| a * b).sum::<f64>() + mu * pi)
                .collect())
        };
        let minus_g: Vec<f64> = self.g.iter().map(|v| -v).collect();
        let Ok(cg) = tapeless::linalg::conjugate_gradients(damped, &minus_g, 400, 1e-14);
        if cg.negative_curvature {
            return false;
        }
        let trial: Vec<f64> = self
            .x
            .iter()
            .zip(&cg.solution)
            .map(|(a, b)| a + b)
            .collect();
        let (j_trial, g_trial) = gradient_window(&trial, self.data, self.steps);
        let accept = j_trial < self.j
            || (j_trial <= self.j + 1e-12 * self.j.abs()
                && l96::norm(&g_trial) < l96::norm(&self.g));
        if accept {
            (self.x, self.j, self.g, self.hessian) = (trial, j_trial, g_trial, None);
        }
        accept
    }
}

/// The converged 4D-Var analysis of a window from its background: quasi-static damped
/// Newton-CG (the window lengthened by 20 steps at a time, each stage from the last one's
/// analysis, with Levenberg-Marquardt damping, as the `lorenz96_4dvar` example does), then
/// Newton-CG on the whole window with the damping driven to zero, until
/// `|grad J| <= tolerance`. Returns the analysis and the number of Newton steps.
///
/// # Errors
///
/// When the gradient norm does not reach `tolerance` in 60 Newton steps on the whole window.
pub fn converged_analysis(d: &Data, tolerance: f64) -> Result<(Vec<f64>, usize), UserError> {
    let mut newton = 0;
    let mut mu: f64 = 1e2;
    let mut at = Newton::new(d, 20, d.xb.clone());
    for steps in (20..l96::STEPS).step_by(20) {
        at.stage(steps);
        for _ in 0..3 {
            newton += 1;
            while !at.damped_step(mu) && mu < 1e12 {
                newton += 1;
                mu *= 4.0;
            }
            mu = (mu / 3.0).max(1e-3);
        }
    }
    at.stage(l96::STEPS);
    for _ in 0..60 {
        if l96::norm(&at.g) <= tolerance {
            return Ok((at.x, newton));
        }
        newton += 1;
        if at.damped_step(mu) {
            mu = if mu < 1e-6 { 0.0 } else { mu / 10.0 };
        } else {
            mu = (4.0 * mu).max(1e-3);
        }
    }
    Err(UserError::from(format!(
        "Newton-CG did not reach |grad J| <= {tolerance:e}: {:e} after {newton} steps",
        l96::norm(&at.g)
    )))
}
