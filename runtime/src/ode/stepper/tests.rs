//! The stepper's sweeps, bit for bit against their textbook forms (its combinations':
//! `combination.rs`).

use super::*;
use crate::ode::test_problems::{Forced, Lorenz63};

#[test]
fn recompute_with_result_is_bitwise_the_step() {
    for tableau in [
        Tableau::rk4(),
        Tableau::dormand_prince(),
        Tableau::midpoint(),
    ] {
        let p = [10.0, 28.0, 8.0 / 3.0];
        let u0 = [1.0, 2.0, 3.0];
        let mut stepper = Stepper::with_adjoint(&tableau, 3);
        let mut u = u0;
        stepper.step(StepContext::new(&Lorenz63, &p, 0.3, 0.01), &mut u);
        let mut out = [0.0; 3];
        stepper.recompute(
            StepContext::new(&Lorenz63, &p, 0.3, 0.01),
            &u0,
            Some(&mut out),
        );
        assert_eq!(out, u, "{}", tableau.name());
    }
}

#[test]
fn trial_result_and_fsal_stage_are_bitwise_the_step() {
    let tableau = Tableau::dormand_prince();
    let p = [0.7, 1.3];
    let u0 = [0.4, -1.1];
    let (t, h) = (0.25, 0.125);
    let mut stepper = Stepper::new(&tableau, 2);
    let mut u = u0;
    stepper.step(StepContext::new(&Forced, &p, t, h), &mut u);
    let mut u_new = [0.0; 2];
    stepper.trial(StepContext::new(&Forced, &p, t, h), &u0, &mut u_new, false);
    assert_eq!(u_new, u);
    // The seventh stage is f(u_new, t + h), the next step's first.
    let mut f_new = [0.0; 2];
    Forced.eval(&mut f_new, &u_new, &p, t + h);
    assert_eq!(stepper.k_row(6), f_new);
    assert_eq!(stepper.counters.evals, 6 + 7);
}

/// The adjoint of one step as the stepper computed it before its reverse sweep was planned
/// (`ReversePlan`): every stage adjoint seeded `k_bar_i = b_i (scale u_bar) (+ dense)`
/// first, then one pass per stage, `k_bar_j += a_ij (scale_i y_bar_i)`, `u_bar += y_bar_i`.
fn reference_reverse(
    stepper: &Stepper<'_, f64>,
    (p, t, h): (&[f64], f64, f64),
    u: &[f64],
    u_bar: &mut [f64],
    dense: Option<&[f64]>,
) -> Vec<f64> {
    let (tab, n) = (stepper.tableau, u.len());
    let s = tab.stages();
    let swept = |i: usize| stepper.all_stages || tab.needed(i);
    let (b, den) = tab.weights();
    let scale = h / den;
    let mut k_bar = vec![0.0; s * n];
    for i in (0..s).filter(|&i| swept(i)) {
        for m in 0..n {
            let seed = match b[i] {
                0.0 => 0.0,
                1.0 => scale * u_bar[m],
                bi => bi * (scale * u_bar[m]),
            };
            k_bar[i * n + m] = seed;
            if let Some(d) = dense {
                k_bar[i * n + m] = seed + d[i * n + m];
            }
        }
    }
    let mut p_bar = vec![0.0; p.len()];
    for i in (0..s).rev().filter(|&i| swept(i)) {
        let ti = tab.stage_time(t, h, i);
        let (mut du, mut y_bar) = (vec![0.0; n], vec![0.0; n]);
        let mut ki_bar = k_bar[i * n..(i + 1) * n].to_vec();
        if tab.row_empty(i) {
            Lorenz63.vjp((&mut du, &mut ki_bar), (u, u_bar), (p, &mut p_bar), ti);
            continue;
        }
        let y = &stepper.y[i * n..(i + 1) * n];
        Lorenz63.vjp((&mut du, &mut ki_bar), (y, &mut y_bar), (p, &mut p_bar), ti);
        let (row, den) = tab.row(i);
        for (j, &a) in row.iter().enumerate().filter(|(_, &a)| a != 0.0) {
            for m in 0..n {
                let term = h / den * y_bar[m];
                k_bar[j * n + m] += if a == 1.0 { term } else { a * term };
            }
        }
        for m in 0..n {
            u_bar[m] += y_bar[m];
        }
    }
    p_bar
}

#[test]
fn planned_reverse_is_bitwise_the_unplanned_sweep() {
    let (p, u0, t, h) = ([10.0, 28.0, 8.0 / 3.0], [1.0, 2.0, 3.0], 0.3, 0.01);
    let tableaus = [
        Tableau::euler(),
        Tableau::heun(),
        Tableau::midpoint(),
        Tableau::ssprk3(),
        Tableau::rk4(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
    ];
    for tableau in &tableaus {
        let s = tableau.stages();
        let v_bar: Vec<f64> = (0..s * 3).map(|m| (0.9 * m as f64).sin()).collect();
        // What `seed_dense` stores for them: zero, plus one times h v_bar.
        let dense: Vec<f64> = v_bar.iter().map(|v| 0.0 + h * v).collect();
        for (all_stages, with_dense) in [(false, false), (true, false), (true, true)] {
            let mut stepper = Stepper::with_adjoint(tableau, 3);
            stepper.all_stages = all_stages;
            let cx = StepContext::new(&Lorenz63, &p, t, h);
            stepper.recompute(cx, &u0, None);
            let mut expected = [0.7, -0.2, 1.3];
            let expected_p = reference_reverse(
                &stepper,
                (&p, t, h),
                &u0,
                &mut expected,
                with_dense.then_some(&dense[..]),
            );
            if with_dense {
                // The weight one at stage i alone: h v_bar_i into k_bar_i.
                for i in 0..s {
                    let mut w = vec![0.0; s];
                    w[i] = 1.0;
                    stepper.seed_dense(h, &w, &v_bar[i * 3..(i + 1) * 3]);
                }
            }
            let (mut u_bar, mut p_bar) = ([0.7, -0.2, 1.3], [0.0; 3]);
            stepper.reverse(cx, &u0, &mut u_bar, &mut p_bar);
            let what = format!(
                "{} all_stages {all_stages} dense {with_dense}",
                tableau.name()
            );
            assert_eq!(
                u_bar.map(f64::to_bits),
                expected.map(f64::to_bits),
                "{what}"
            );
            assert_eq!(p_bar.to_vec(), expected_p, "{what}");
        }
    }
}

type D1 = crate::Dual<f64, 1>;

fn duals(values: &[f64], tangents: &[f64]) -> Vec<D1> {
    values
        .iter()
        .zip(tangents)
        .map(|(&v, &t)| D1::new(v, [t]))
        .collect()
}

fn lane(x: &[D1], tangent: bool) -> Vec<u64> {
    let bits = |d: &D1| if tangent { d.tangents[0] } else { d.value }.to_bits();
    x.iter().map(bits).collect()
}

/// At `Dual<f64, 1>` the step's values are bitwise the `f64` step's, and their tangents agree
/// with the tangent step's (`RhsJvp::jvp`, a different grouping: to rounding). The stage
/// combinations multiply by their constants with `Real::mul_constant` at duals.
#[test]
fn step_at_dual_is_the_step_and_its_tangent() {
    let (p, u0, u0_dot, t, h) = (
        [10.0, 28.0, 8.0 / 3.0],
        [1.0, 2.0, 3.0],
        [0.3, -0.7, 0.2],
        0.3,
        0.01,
    );
    for tableau in [
        Tableau::rk4(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
        Tableau::ssprk3(),
    ] {
        let mut u = u0;
        Stepper::new(&tableau, 3).step(StepContext::new(&Lorenz63, &p, t, h), &mut u);
        let (mut u_t, mut u_dot) = (u0, u0_dot);
        let cx = StepContext::new(&Lorenz63, &p, t, h);
        Stepper::with_tangent(&tableau, 3).step_tangent(cx, (&mut u_t, &mut u_dot), &[0.0; 3]);
        let p_d = duals(&p, &[0.0; 3]);
        let mut u_d = duals(&u0, &u0_dot);
        Stepper::new(&tableau, 3).step(StepContext::new(&Lorenz63, &p_d, t, h), &mut u_d);
        assert_eq!(lane(&u_d, false), u.map(f64::to_bits), "{}", tableau.name());
        for m in 0..3 {
            let (dual, tangent) = (u_d[m].tangents[0], u_dot[m]);
            let close = (dual - tangent).abs() <= 1e-14 * tangent.abs().max(1.0);
            assert!(close, "{} [{m}]: {dual} against {tangent}", tableau.name());
        }
    }
}

/// The adjoint of a step is linear in `u_bar`: at `Dual<f64, 1>`, with the state constant and
/// `u_bar`'s tangent lane `v`, the values are bitwise the `f64` adjoint of `u_bar` and the
/// tangents bitwise the `f64` adjoint of `v` (dense output's seeds too), the reverse sweep's
/// products by constants being `Real::mul_constant` at duals.
#[test]
fn reverse_at_dual_is_the_reverse_of_each_lane() {
    let (p, u0, t, h) = ([10.0, 28.0, 8.0 / 3.0], [1.0, 2.0, 3.0], 0.3, 0.01);
    let (ub, v) = ([0.7, -0.2, 1.3], [-0.4, 0.9, 0.25]);
    for tableau in [
        Tableau::rk4(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
        Tableau::heun(),
    ] {
        let s = tableau.stages();
        let w: Vec<f64> = (0..s).map(|i| [0.0, 1.0, 0.375][i % 3]).collect();
        let (v_bar, v_bar_dot) = ([0.1, -0.6, 0.8], [0.5, 0.3, -0.9]);
        for with_dense in [false, true] {
            // The f64 adjoint of `seed` (and of the dense seed `dense`).
            let f64_reverse = |seed: [f64; 3], dense: [f64; 3]| {
                let mut stepper = Stepper::with_adjoint(&tableau, 3);
                stepper.all_stages = with_dense;
                let cx = StepContext::new(&Lorenz63, &p, t, h);
                stepper.recompute(cx, &u0, None);
                if with_dense {
                    stepper.seed_dense(h, &w, &dense);
                }
                let (mut u_bar, mut p_bar) = (seed, [0.0; 3]);
                stepper.reverse(cx, &u0, &mut u_bar, &mut p_bar);
                (u_bar.map(f64::to_bits), p_bar.map(f64::to_bits))
            };
            let (p_d, u0_d) = (duals(&p, &[0.0; 3]), duals(&u0, &[0.0; 3]));
            let mut stepper = Stepper::<D1>::with_adjoint(&tableau, 3);
            stepper.all_stages = with_dense;
            let cx = StepContext::new(&Lorenz63, &p_d, t, h);
            stepper.recompute(cx, &u0_d, None);
            if with_dense {
                stepper.seed_dense(h, &w, &duals(&v_bar, &v_bar_dot));
            }
            let (mut u_bar, mut p_bar) = (duals(&ub, &v), duals(&[0.0; 3], &[0.0; 3]));
            stepper.reverse(cx, &u0_d, &mut u_bar, &mut p_bar);
            let what = format!("{} dense {with_dense}", tableau.name());
            let (values, values_p) = f64_reverse(ub, v_bar);
            let (tangents, tangents_p) = f64_reverse(v, v_bar_dot);
            assert_eq!(lane(&u_bar, false), values, "{what}");
            assert_eq!(lane(&p_bar, false), values_p, "{what}");
            assert_eq!(lane(&u_bar, true), tangents, "{what}");
            assert_eq!(lane(&p_bar, true), tangents_p, "{what}");
        }
    }
}

/// The bits of a scalar's value and tangent lanes.
fn all_bits<S: Real>(x: &[S], lanes: impl Fn(&S) -> Vec<f64>) -> Vec<u64> {
    x.iter().flat_map(lanes).map(f64::to_bits).collect()
}

/// RK4's written-out path (`stepper/rk4.rs`) against the general stepper on `rhs`: its step,
/// its recomputation with the result, its reverse and its fused adjoint step, with and without
/// the parameters' adjoint, two steps in a row (so scratch left behind by the first would show
/// in the second), bit for bit, the counted calls too.
fn rk4_path_against_general<S: Real, F: RhsVjp, D: Dim>(
    rhs: &F,
    dim: D,
    (u0, p): (&[S], &[S]),
    lanes: impl Fn(&S) -> Vec<f64> + Copy,
) {
    let tableau = Tableau::rk4();
    let n = u0.len();
    let seed: Vec<S> = (0..n).map(|m| S::from_f64(0.3 - 0.7 * m as f64)).collect();
    for parameters in [true, false] {
        let mut fast = Stepper::with_adjoint(&tableau, dim);
        let mut general = Stepper::with_adjoint(&tableau, dim).general_only();
        assert!(fast.rk4 && !general.rk4);
        (fast.parameters, general.parameters) = (parameters, parameters);
        let what = format!("{n} components, parameters {parameters}");
        for (t, h) in [(0.3, 0.01), (0.31, 0.125)] {
            let mut results = Vec::new();
            for stepper in [&mut fast, &mut general] {
                let cx = StepContext::new(rhs, p, t, h);
                let mut u = u0.to_vec();
                stepper.step(cx, &mut u);
                let mut out = vec![S::zero(); n];
                stepper.recompute(cx, u0, Some(&mut out));
                let (mut u_bar, mut p_bar) = (seed.clone(), vec![S::zero(); p.len()]);
                stepper.reverse(cx, u0, &mut u_bar, &mut p_bar);
                let (mut u_bar2, mut p_bar2) = (seed.clone(), vec![S::zero(); p.len()]);
                stepper.adjoint_step(cx, u0, &mut u_bar2, &mut p_bar2);
                let bits = |x: &[S]| all_bits(x, lanes);
                results.push([u, out, u_bar, p_bar, u_bar2, p_bar2].map(|x| bits(&x)));
            }
            assert_eq!(results[0], results[1], "{what}, step at {t}");
            assert_eq!(
                results[0][2..4],
                results[0][4..6],
                "{what}: fused against recompute then reverse"
            );
        }
        assert_eq!(fast.counters, general.counters, "{what}");
    }
}

#[test]
fn rk4_path_is_bitwise_the_general_path() {
    let f = |x: &f64| vec![*x];
    let d = |x: &D1| vec![x.value, x.tangents[0]];
    let (p3, u3) = ([10.0, 28.0, 8.0 / 3.0], [1.0, 2.0, 3.0]);
    let (p2, u2) = ([0.7, 1.3], [0.4, -1.1]);
    rk4_path_against_general(&Lorenz63, 3, (&u3[..], &p3[..]), f);
    rk4_path_against_general(&Lorenz63, Fixed::<3>, (&u3[..], &p3[..]), f);
    rk4_path_against_general(&Forced, 2, (&u2[..], &p2[..]), f);
    rk4_path_against_general(&Forced, Fixed::<2>, (&u2[..], &p2[..]), f);
    // At duals: the Hessian-vector product's scalar, tangents in every lane.
    let (u3d, p3d) = (duals(&u3, &[0.3, -0.7, 0.2]), duals(&p3, &[0.1, 0.0, -0.5]));
    rk4_path_against_general(&Lorenz63, 3, (&u3d[..], &p3d[..]), d);
    rk4_path_against_general(&Lorenz63, Fixed::<3>, (&u3d[..], &p3d[..]), d);
    let (u2d, p2d) = (duals(&u2, &[1.0, 0.5]), duals(&p2, &[0.0, 2.0]));
    rk4_path_against_general(&Forced, 2, (&u2d[..], &p2d[..]), d);
}

#[test]
fn only_rk4_coefficients_take_the_rk4_path() {
    assert!(Tableau::rk4().is_rk4());
    for other in [
        Tableau::rk38(),
        Tableau::midpoint(),
        Tableau::dormand_prince(),
    ] {
        assert!(!other.is_rk4(), "{}", other.name());
    }
    // The same method from its coefficients as fractions: other numerators, the general path.
    let a = vec![vec![], vec![0.5], vec![0.0, 0.5], vec![0.0, 0.0, 1.0]];
    let b = vec![1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0];
    let from_coefficients = Tableau::explicit(a, b, vec![0.0, 0.5, 0.5, 1.0]).unwrap();
    assert!(!from_coefficients.is_rk4());
}

/// `du/dt = p0 u^2`, which blows up at `t = 1 / (p0 u0)`.
struct Square;

impl Rhs for Square {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], _t: S) {
        for (d, &x) in du.iter_mut().zip(u) {
            *d = p[0] * x * x;
        }
    }
}

impl RhsVjp for Square {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        for ((db, ub), &x) in du_bar.iter_mut().zip(u_bar.iter_mut()).zip(u) {
            *ub += S::from_f64(2.0) * p[0] * x * *db;
            p_bar[0] += x * x * *db;
            *db = S::zero();
        }
    }
}

/// The last state.
struct Last;

impl crate::ode::SavedStateLoss for Last {
    fn value_and_gradient<S: Real>(
        &self,
        _k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, crate::UserError> {
        u_bar[0] += S::one();
        Ok(u[0])
    }
}

/// A state that blows up inside the store-all sweep of RK4 (its finiteness checked in the step's
/// result pass, `rk4::store_steps`) is the same error, naming the same step and time, as in the
/// step-by-step sweeps of checkpointing and in `solve`; a blow-up in the last step too.
#[test]
fn rk4_sweeps_name_the_step_that_is_not_finite() {
    use crate::ode::{gradient, gradient_fixed, solve, OdeProblem, SaveAt, SolveOptions};
    use crate::ode::{Memory, OdeError};
    // From u0 = 1 with p0 = 1 the solution blows up at t = 1; with h = 0.125 RK4 passes f64's
    // range at step 11. A span of 2: inside the forward sweep; of 1.375: in the last step, which
    // the reverse sweep takes (and checks) when it reverses it.
    for (end, h) in [(2.0, 0.125), (1.375, 0.125)] {
        let options = SolveOptions::fixed(Tableau::rk4(), h).saveat(SaveAt::Times(vec![end]));
        let problem = OdeProblem::new(&Square, &[1.0, 0.5], &[1.0], (0.0, end));
        let solved = solve(&problem, &options).unwrap_err();
        let step_11 = OdeError::NonFiniteState { step: 11, t: 1.375 };
        assert_eq!(solved, step_11, "end {end}");
        for memory in [Memory::StoreAll, Memory::Binomial { snapshots: 3 }] {
            let options = options.clone().memory(memory);
            let err = gradient(&problem, &options, &Last).unwrap_err();
            assert_eq!(err, solved, "end {end} {memory:?}");
            assert_eq!(err.to_string(), solved.to_string());
            let fixed = gradient_fixed::<2, _, _, _>(&problem, &options, &Last).unwrap_err();
            assert_eq!(fixed, solved, "end {end} {memory:?}");
        }
    }
}

/// The store-all sweeps (`rk4::store_steps`, `rk4::adjoint_steps`, the loss terms between their
/// steps) against checkpointing's single steps (`advance`, `reverse_step`, which the tests above
/// hold to the general stepper): the same loss, gradient and Hessian-vector product to the bit,
/// at run-time and constant lengths, with and without `dJ/dp`, saves at several grid points.
#[test]
fn rk4_sweeps_are_bitwise_the_single_steps() {
    use crate::ode::{gradient, gradient_fixed, LossGradient, OdeError, OdeProblem};
    use crate::ode::{Memory, SaveAt, SavedStateLoss, SolveOptions, Wrt};
    /// The sum of squares of every saved state, weighted by its index.
    struct Squares;
    impl SavedStateLoss for Squares {
        fn value_and_gradient<S: Real>(
            &self,
            k: usize,
            _t: f64,
            u: &[S],
            u_bar: &mut [S],
        ) -> Result<S, crate::UserError> {
            let w = S::from_f64(1.0 + k as f64);
            let mut l = S::zero();
            for (b, &x) in u_bar.iter_mut().zip(u) {
                *b += w * x;
                l += S::from_f64(0.5) * w * x * x;
            }
            Ok(l)
        }
    }
    fn bits<S: Real>(g: &LossGradient<S>, lanes: impl Fn(&S) -> Vec<f64> + Copy) -> Vec<u64> {
        let mut out = all_bits(std::slice::from_ref(&g.value), lanes);
        out.extend(all_bits(&g.u0_bar, lanes));
        out.extend(all_bits(&g.p_bar, lanes));
        out
    }
    fn both<S: Real>(
        problem: &OdeProblem<'_, Lorenz63, S>,
        options: &SolveOptions,
    ) -> Result<[LossGradient<S>; 2], OdeError> {
        Ok([
            gradient(problem, options, &Squares)?,
            gradient_fixed::<3, _, _, _>(problem, options, &Squares)?,
        ])
    }
    let saves = SaveAt::Times(vec![0.0, 0.1, 0.25, 0.3, 0.5]);
    let (u0, p) = ([1.0, 2.0, 3.0], [10.0, 28.0, 8.0 / 3.0]);
    let (u0_d, p_d) = (duals(&u0, &[0.3, -0.7, 0.2]), duals(&p, &[0.0; 3]));
    for wrt in [Wrt::StateAndParameters, Wrt::InitialState] {
        let options = SolveOptions::fixed(Tableau::rk4(), 0.05)
            .saveat(saves.clone())
            .wrt(wrt);
        let memories = [Memory::StoreAll, Memory::Binomial { snapshots: 3 }];
        let [swept, stepped] = memories.map(|memory| {
            let options = options.clone().memory(memory);
            let f = both(&OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 0.5)), &options).unwrap();
            let d = both(
                &OdeProblem::new(&Lorenz63, &u0_d, &p_d, (0.0, 0.5)),
                &options,
            );
            let lanes = |x: &D1| vec![x.value, x.tangents[0]];
            let f = f.map(|g| bits(&g, |x: &f64| vec![*x]));
            (f, d.unwrap().map(|g| bits(&g, lanes)))
        });
        assert_eq!(swept, stepped, "{wrt:?}");
        // Run-time and constant lengths: the same bits too.
        assert_eq!(swept.0[0], swept.0[1], "{wrt:?}");
        assert_eq!(swept.1[0], swept.1[1], "{wrt:?}");
    }
}

/// RK4's written-out tangent step against the general stepper's, bit for bit (values and
/// tangents, the counted calls), at `f64` and `Dual<f64, 1>`, run-time and constant lengths,
/// two steps in a row.
fn rk4_tangent_against_general<S: Real, F: RhsJvp, D: Dim>(
    rhs: &F,
    dim: D,
    (u0, p): (&[S], &[S]),
    lanes: impl Fn(&S) -> Vec<f64> + Copy,
) {
    let tableau = Tableau::rk4();
    let n = u0.len();
    let u0_dot: Vec<S> = (0..n).map(|m| S::from_f64(0.4 - 0.3 * m as f64)).collect();
    let p_dot: Vec<S> = (0..p.len())
        .map(|j| S::from_f64(0.1 * j as f64 - 0.2))
        .collect();
    let mut fast = Stepper::with_tangent(&tableau, dim);
    let mut general = Stepper::with_tangent(&tableau, dim).general_only();
    let mut results = Vec::new();
    for stepper in [&mut fast, &mut general] {
        let (mut u, mut u_dot) = (u0.to_vec(), u0_dot.clone());
        for (t, h) in [(0.3, 0.01), (0.31, 0.125)] {
            let cx = StepContext::new(rhs, p, t, h);
            stepper.step_tangent(cx, (&mut u, &mut u_dot), &p_dot);
        }
        results.push((all_bits(&u, lanes), all_bits(&u_dot, lanes)));
    }
    assert_eq!(results[0], results[1], "{n} components");
    assert_eq!(fast.counters, general.counters);
}

#[test]
fn rk4_tangent_step_is_bitwise_the_general_path() {
    let f = |x: &f64| vec![*x];
    let d = |x: &D1| vec![x.value, x.tangents[0]];
    let (p3, u3) = ([10.0, 28.0, 8.0 / 3.0], [1.0, 2.0, 3.0]);
    let (p2, u2) = ([0.7, 1.3], [0.4, -1.1]);
    rk4_tangent_against_general(&Lorenz63, 3, (&u3[..], &p3[..]), f);
    rk4_tangent_against_general(&Lorenz63, Fixed::<3>, (&u3[..], &p3[..]), f);
    rk4_tangent_against_general(&Forced, 2, (&u2[..], &p2[..]), f);
    rk4_tangent_against_general(&Forced, Fixed::<2>, (&u2[..], &p2[..]), f);
    let (u3d, p3d) = (duals(&u3, &[0.3, -0.7, 0.2]), duals(&p3, &[0.1, 0.0, -0.5]));
    rk4_tangent_against_general(&Lorenz63, 3, (&u3d[..], &p3d[..]), d);
    rk4_tangent_against_general(&Lorenz63, Fixed::<3>, (&u3d[..], &p3d[..]), d);
}
