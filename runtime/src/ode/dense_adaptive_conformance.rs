//! Dense output of adaptive Dormand-Prince 5(4) steps (`Controller::dense`), tested as every
//! derivative is: steps chosen by the controller alone, saved states bitwise the replay of the
//! accepted steps, the gradient of a loss of interpolated states against central differences
//! of the replay and against the tangent, the dot-product test on the interpolated states
//! themselves, Hessian-vector products, the continuous extension's order and order conditions,
//! and the errors (non-finite interpolated states, tableaus without an extension).

use super::conformance::Case;
use super::dense::dp5_weights;
use super::dense_conformance::assert_tangents_match_differences;
use super::test_problems::{direction, Forced, Lorenz63, Misfit, Oscillator};
use super::*;
use crate::check::relative_error;
use crate::{Dual, Real, UserError};

fn dense(rtol: f64) -> SolveOptions {
    SolveOptions::adaptive(
        Tableau::dormand_prince(),
        Controller {
            dense: true,
            ..Controller::new(rtol, rtol)
        },
    )
}

/// Observation times that fall between the accepted steps: irregular, one repeated, one at the
/// start, ending before the span's end.
fn instrument_times(t1: f64) -> Vec<f64> {
    let mut times: Vec<f64> = (0..23)
        .map(|m| t1 * (0.031 + 0.04 * m as f64 + 0.003 * (m % 3) as f64))
        .collect();
    times.insert(0, 0.0);
    times.insert(6, times[5]);
    times
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn dot_scale(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}

#[test]
fn dense_steps_ignore_saved_times_and_replay_bitwise() {
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.0, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 1.0),
    );
    let times = instrument_times(1.0);
    let options = dense(1e-7).saveat(SaveAt::Times(times.clone()));
    let sol = solve(&problem, &options).unwrap();
    // The controller alone chooses the steps: those of saving every step.
    let steps = solve(&problem, &dense(1e-7)).unwrap();
    assert_eq!(sol.step_times, steps.step_times);
    assert_eq!(sol.t, times);
    // Landing on the saved times takes more, other steps.
    let landing = SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-7, 1e-7))
        .saveat(SaveAt::Times(times.clone()));
    let landed = solve(&problem, &landing).unwrap();
    assert!(landed.step_times.len() > sol.step_times.len());
    // Most saved times lie inside steps, and their states agree with landing on them to about
    // the tolerance.
    let inside = times.iter().filter(|t| !sol.step_times.contains(t)).count();
    assert!(inside >= times.len() - 1, "{inside}");
    for (a, b) in sol.u.iter().zip(&landed.u) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-4 * y.abs().max(1.0), "{x} vs {y}");
        }
    }
    // Replaying the accepted steps interpolates bitwise the same states.
    let replay = SolveOptions::step_to(Tableau::dormand_prince(), sol.step_times.clone())
        .saveat(SaveAt::Times(times.clone()));
    assert_eq!(solve(&problem, &replay).unwrap().u, sol.u);
    // And loss_value stops after the step holding the last saved time, with the same steps.
    let value = loss_value(&problem, &options, &Misfit).unwrap();
    assert_eq!(value, loss_value(&problem, &replay, &Misfit).unwrap());
    let g = gradient(&problem, &options, &Misfit).unwrap();
    let last = times[times.len() - 1];
    assert!(sol.step_times[g.stats.steps] >= last && sol.step_times[g.stats.steps - 1] < last);
}

/// The gradient of a loss of interpolated states through adaptive dense steps: bitwise the
/// gradient of the replayed steps, which is checked against central differences and the
/// tangent; bitwise across memory strategies; the tangent on the adaptive options too.
fn check_case<F: RhsJvp + RhsVjp>(case: &Case<'_, F>, rtol: f64) {
    let options = dense(rtol).saveat(case.saveat.clone());
    let problem = case.problem(case.u0, case.p);
    let g = gradient(&problem, &options, &Misfit).unwrap();
    let step_times = solve(&problem, &options).unwrap().step_times;
    let replay =
        SolveOptions::step_to(Tableau::dormand_prince(), step_times).saveat(case.saveat.clone());
    let r = case.check_gradient(&replay, case.name);
    assert_eq!(
        (g.value, &g.u0_bar, &g.p_bar),
        (r.value, &r.u0_bar, &r.p_bar)
    );
    for memory in [
        Memory::StoreAll,
        Memory::Binomial { snapshots: 1 },
        Memory::Binomial { snapshots: 3 },
    ] {
        let other = gradient(&problem, &options.clone().memory(memory), &Misfit).unwrap();
        assert_eq!(
            (other.value, &other.u0_bar, &other.p_bar),
            (g.value, &g.u0_bar, &g.p_bar),
            "{} {memory:?}",
            case.name
        );
    }
    let (du, dp) = (direction(case.u0.len(), 1), direction(case.p.len(), 2));
    let t = tangent(&problem, &options, &Misfit, &du, &dp).unwrap();
    assert_eq!(t.value, g.value);
    let directional = dot(&g.u0_bar, &du) + dot(&g.p_bar, &dp);
    let scale = dot_scale(&g.u0_bar, &du) + dot_scale(&g.p_bar, &dp);
    let error = relative_error(t.derivative, directional, scale);
    assert!(error < 1e-12, "{}: {error:e}", case.name);
}

#[test]
fn gradients_of_dense_adaptive_states_conform() {
    let lorenz = Case {
        name: "lorenz63 dense",
        rhs: &Lorenz63,
        u0: &[1.0, 1.5, 20.0],
        p: &[10.0, 28.0, 8.0 / 3.0],
        tspan: (0.0, 1.0),
        saveat: SaveAt::Times(instrument_times(1.0)),
    };
    check_case(&lorenz, 1e-7);
    let forced = Case {
        name: "forced dense",
        rhs: &Forced,
        u0: &[0.4, -1.1],
        p: &[0.7, 1.3],
        tspan: (0.0, 3.0),
        saveat: SaveAt::Times(instrument_times(3.0)),
    };
    check_case(&forced, 1e-6);
}

/// `sum_j <y_bar_j, u(t_j)>`: linear, so its gradient is `J^T y_bar` for the Jacobian `J` of the
/// saved states with respect to `(u0, p)`.
struct Linear;

impl Linear {
    fn weight(j: usize, i: usize) -> f64 {
        (0.9 * j as f64 + 2.1 * i as f64).cos()
    }
}

impl SavedStateLoss for Linear {
    fn value_and_gradient<S: Real>(
        &self,
        j: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        let mut value = S::zero();
        for (i, &x) in u.iter().enumerate() {
            let w = S::from_f64(Self::weight(j, i));
            value += w * x;
            u_bar[i] += w;
        }
        Ok(value)
    }
}

#[test]
fn the_dot_product_test_holds_on_the_interpolated_states() {
    // <y_bar, J x_dot> from the tangents of the saved states, <J^T y_bar, x_dot> from the
    // adjoint.
    let (u0, p) = ([1.0, 1.5, 20.0], [10.0, 28.0, 8.0 / 3.0]);
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    let options = dense(1e-8).saveat(SaveAt::Times(instrument_times(1.0)));
    let (du, dp) = (direction(3, 7), direction(3, 8));
    let s = solve_tangent(&problem, &options, &du, &dp).unwrap();
    assert_eq!(s.u, solve(&problem, &options).unwrap().u);
    let mut forward = 0.0;
    let mut scale = 0.0;
    for (j, u_dot) in s.u_dot.iter().enumerate() {
        for (i, &x) in u_dot.iter().enumerate() {
            forward += Linear::weight(j, i) * x;
            scale += (Linear::weight(j, i) * x).abs();
        }
    }
    let g = gradient(&problem, &options, &Linear).unwrap();
    let backward = dot(&g.u0_bar, &du) + dot(&g.p_bar, &dp);
    let error = relative_error(forward, backward, scale);
    assert!(error < 1e-12, "{forward} vs {backward}: {error:e}");
}

#[test]
fn tangents_of_dense_states_match_differences_of_replayed_solutions() {
    let (u0, p) = ([0.4, -1.1], [0.7, 1.3]);
    let problem = OdeProblem::new(&Forced, &u0, &p, (0.0, 3.0));
    let times = instrument_times(3.0);
    let options = dense(1e-6).saveat(SaveAt::Times(times.clone()));
    let step_times = solve(&problem, &options).unwrap().step_times;
    let replay =
        SolveOptions::step_to(Tableau::dormand_prince(), step_times).saveat(SaveAt::Times(times));
    let (du, dp) = (direction(2, 3), direction(2, 4));
    let s = solve_tangent(&problem, &options, &du, &dp).unwrap();
    assert_tangents_match_differences((&u0, &p), (&du, &dp), (0.0, 3.0), &replay, &s.u_dot);
}

#[test]
fn hessian_vector_products_of_dense_states_conform() {
    let case = Case {
        name: "forced dense",
        rhs: &Forced,
        u0: &[0.4, -1.1],
        p: &[0.7, 1.3],
        tspan: (0.0, 3.0),
        saveat: SaveAt::Times(instrument_times(3.0)),
    };
    let options = dense(1e-6).saveat(case.saveat.clone());
    let problem = case.problem(case.u0, case.p);
    let step_times = solve(&problem, &options).unwrap().step_times;
    let replay =
        SolveOptions::step_to(Tableau::dormand_prince(), step_times).saveat(case.saveat.clone());
    // Against differences of gradients and symmetric, on the replayed steps.
    case.check_hessian(&replay, "forced dense replayed");
    // At dual numbers the adaptive options take the same steps: bitwise the replay's.
    let v = direction(2, 9);
    let u0: Vec<Dual<f64, 1>> = case
        .u0
        .iter()
        .zip(&v)
        .map(|(&x, &d)| Dual::new(x, [d]))
        .collect();
    let p: Vec<Dual<f64, 1>> = case.p.iter().map(|&x| Dual::constant(x)).collect();
    let hv = gradient(&case.problem(&u0, &p), &options, &Misfit).unwrap();
    let hv_replay = gradient(&case.problem(&u0, &p), &replay, &Misfit).unwrap();
    assert_eq!(hv.u0_bar, hv_replay.u0_bar);
    assert_eq!(hv.p_bar, hv_replay.p_bar);
}

#[test]
fn the_continuous_extension_meets_the_order_conditions() {
    // u(t + theta h) ~ u + h sum_i w_i(theta) k_i is fourth order when the quadrature
    // conditions sum_i w_i c_i^q = theta^(q+1) / (q+1), q = 0..3, hold (and the tree conditions,
    // which the convergence test below measures).
    let tableau = Tableau::dormand_prince();
    let b: Vec<f64> = (0..7).map(|i| tableau.b(i)).collect();
    let c: Vec<f64> = (0..7).map(|i| tableau.c(i)).collect();
    for theta in [0.0, 0.1, 0.37, 0.5, 0.8, 1.0] {
        let w = dp5_weights(&b, theta);
        for q in 0..4 {
            let sum: f64 = w.iter().zip(&c).map(|(wi, ci)| wi * ci.powi(q)).sum();
            let exact = theta.powi(q + 1) / f64::from(q + 1);
            assert!(
                (sum - exact).abs() < 1e-14,
                "theta {theta}, q {q}: {sum} vs {exact}"
            );
        }
        // sum_ij w_i a_ij c_j = theta^3 / 6.
        let tree: f64 = (0..7)
            .map(|i| w[i] * (0..i).map(|j| tableau.a(i, j) * c[j]).sum::<f64>())
            .sum();
        assert!(
            (tree - theta.powi(3) / 6.0).abs() < 1e-14,
            "theta {theta}: {tree}"
        );
    }
    assert_eq!(
        dp5_weights(&b, 1.0),
        [b[0], b[1], b[2], b[3], b[4], b[5], b[6]]
    );
    assert_eq!(dp5_weights(&b, 0.0), [0.0; 7]);
}

#[test]
fn the_continuous_extension_is_fourth_order() {
    // x' = v, v' = -x from (1, 0): (cos t, -sin t). One step from the exact state at t = 0.3,
    // interpolated at 0.37 of it: a local error O(h^5) of a fourth-order extension.
    let tableau = Tableau::dormand_prince();
    let error = |h: f64| {
        let t0 = 0.3;
        let at = t0 + 0.37 * h;
        let options = SolveOptions::step_to(tableau.clone(), vec![t0, t0 + h])
            .saveat(SaveAt::Times(vec![at]));
        let u0 = [t0.cos(), -t0.sin()];
        let sol = solve(
            &OdeProblem::new(&Oscillator, &u0, &[1.0], (t0, t0 + h)),
            &options,
        )
        .unwrap();
        (sol.u[0][0] - at.cos())
            .abs()
            .max((sol.u[0][1] + at.sin()).abs())
    };
    let errors: Vec<f64> = [0.4, 0.2, 0.1, 0.05].iter().map(|&h| error(h)).collect();
    for pair in errors.windows(2) {
        let order = (pair[0] / pair[1]).log2();
        assert!(
            (4.6..5.5).contains(&order),
            "errors {errors:?}: local order {order}"
        );
    }
    // Over many steps, the interpolated states converge with the method: the global error of
    // the saved states shrinks at least with h^4.
    let global = |steps: usize| {
        let h = 1.0 / steps as f64;
        let grid: Vec<f64> = (0..=steps).map(|k| k as f64 * h).collect();
        let times: Vec<f64> = (0..steps).map(|k| (k as f64 + 0.37) * h).collect();
        let options =
            SolveOptions::step_to(tableau.clone(), grid).saveat(SaveAt::Times(times.clone()));
        let sol = solve(
            &OdeProblem::new(&Oscillator, &[1.0, 0.0], &[1.0], (0.0, 1.0)),
            &options,
        )
        .unwrap();
        sol.u
            .iter()
            .zip(&times)
            .map(|(u, &t)| (u[0] - t.cos()).abs().max((u[1] + t.sin()).abs()))
            .fold(0.0, f64::max)
    };
    let errors: Vec<f64> = [5, 10, 20].iter().map(|&n| global(n)).collect();
    for pair in errors.windows(2) {
        let order = (pair[0] / pair[1]).log2();
        assert!(order > 4.5, "errors {errors:?}: order {order}");
    }
    assert!(errors[2] < 1e-8, "{errors:?}");
}

/// `u' = 1` while `u < 1.5`, then an infinite slope: the state after a step can be finite while
/// the slope there, which the Hermite interpolant reads, is not.
struct Wall;

impl Rhs for Wall {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], _p: &[S], _t: S) {
        du[0] = if u[0].to_f64() < 1.5 {
            S::one()
        } else {
            S::from_f64(f64::INFINITY)
        };
    }
}
impl RhsJvp for Wall {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, _): (&[S], &[S]),
        (p, _): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        du_dot[0] = S::zero();
    }
}
impl RhsVjp for Wall {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, _): (&[S], &mut [S]),
        (p, _): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        du_bar.fill(S::zero());
    }
}

#[test]
fn non_finite_interpolated_states_are_errors_naming_the_saved_time() {
    // Euler steps of 0.25 from 1: 1.25 at 0.25, 1.5 at 0.5 (finite), where the slope is not.
    let problem = OdeProblem::new(&Wall, &[1.0], &[], (0.0, 0.5));
    let options = SolveOptions::fixed(Tableau::euler(), 0.25).saveat(SaveAt::Times(vec![0.1, 0.3]));
    let expected = OdeError::NonFiniteSave { index: 1, t: 0.3 };
    assert_eq!(solve(&problem, &options).unwrap_err(), expected);
    assert_eq!(
        loss_value(&problem, &options, &Misfit).unwrap_err(),
        expected
    );
    assert_eq!(gradient(&problem, &options, &Misfit).unwrap_err(), expected);
    assert_eq!(
        tangent(&problem, &options, &Misfit, &[1.0], &[]).unwrap_err(),
        expected
    );
    assert!(expected.to_string().contains("t = 0.3"), "{expected}");
    // On the grid, the same state is finite and saved.
    let on_grid = SolveOptions::fixed(Tableau::euler(), 0.25).saveat(SaveAt::Times(vec![0.5]));
    assert_eq!(solve(&problem, &on_grid).unwrap().u, vec![vec![1.5]]);
}

#[test]
fn dense_output_needs_a_continuous_extension() {
    let problem = OdeProblem::new(&Oscillator, &[1.0, 0.0], &[1.0], (0.0, 1.0));
    let heun_euler = Tableau::explicit_embedded(
        vec![vec![], vec![1.0]],
        vec![0.5, 0.5],
        vec![1.0, 0.0],
        vec![0.0, 1.0],
        1,
    )
    .unwrap();
    let options = SolveOptions::adaptive(
        heun_euler,
        Controller {
            dense: true,
            ..Controller::new(1e-6, 1e-6)
        },
    )
    .saveat(SaveAt::Times(vec![0.5]));
    assert_eq!(
        solve(&problem, &options).unwrap_err(),
        OdeError::NoContinuousExtension
    );
}

/// `u' = u`, except not a number at the state `at` exactly.
struct Hole {
    at: f64,
}

impl Rhs for Hole {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], _p: &[S], _t: S) {
        du[0] = if u[0].to_f64() == self.at {
            S::from_f64(f64::NAN)
        } else {
            u[0]
        };
    }
}
impl RhsJvp for Hole {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (p, _): (&[S], &[S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        du_dot[0] = u_dot[0];
    }
}
impl RhsVjp for Hole {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, _): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        u_bar[0] += du_bar[0];
        du_bar.fill(S::zero());
    }
}

#[test]
fn non_finite_continuous_extensions_are_errors_naming_the_saved_time() {
    // One Dormand-Prince step: its result is finite, but the seventh stage, which only the
    // continuous extension reads, is evaluated at that result, where the slope is not a number.
    let step = SolveOptions::step_to(Tableau::dormand_prince(), vec![0.0, 0.5]);
    let clean = Hole { at: f64::NAN };
    let result = solve(&OdeProblem::new(&clean, &[1.0], &[], (0.0, 0.5)), &step).unwrap();
    let hole = Hole { at: result.u[1][0] };
    let problem = OdeProblem::new(&hole, &[1.0], &[], (0.0, 0.5));
    assert_eq!(solve(&problem, &step).unwrap().u, result.u);
    let options = step.saveat(SaveAt::Times(vec![0.0, 0.2]));
    let expected = OdeError::NonFiniteSave { index: 1, t: 0.2 };
    assert_eq!(solve(&problem, &options).unwrap_err(), expected);
    assert_eq!(
        loss_value(&problem, &options, &Misfit).unwrap_err(),
        expected
    );
    assert_eq!(gradient(&problem, &options, &Misfit).unwrap_err(), expected);
    assert_eq!(
        tangent(&problem, &options, &Misfit, &[1.0], &[]).unwrap_err(),
        expected
    );
}
