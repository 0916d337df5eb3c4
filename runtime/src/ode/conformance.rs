//! Conformance tests every method and memory strategy runs on the zoo of test problems:
//! gradients against central differences, the dot-product test (tangent against adjoint),
//! bitwise agreement of memory strategies, counted work, Hessian-vector products by forward over
//! reverse against differences of gradients, convergence orders, bitwise agreement with
//! independent implementations of the textbook formulas, adaptive steps, and every error.

use super::test_problems::{
    direction, Decay, Forced, Lorenz63, Lorenz96, Misfit, Oscillator, L96_XT0,
};
use super::*;
use crate::check::{check_hvp, relative_error};
use crate::{Dual, InputError, Real};

use super::tableau::tests::named as tableaus;

fn memories() -> Vec<Memory> {
    vec![
        Memory::StoreAll,
        Memory::Binomial { snapshots: 1 },
        Memory::Binomial { snapshots: 2 },
        Memory::Binomial { snapshots: 5 },
        Memory::Binomial { snapshots: 100_000 },
    ]
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `sum |a_i b_i|`: the scale of a dot product, so cancellation is not taken for error.
fn dot_scale(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}

fn shifted(x: &[f64], d: &[f64], eps: f64) -> Vec<f64> {
    x.iter().zip(d).map(|(a, b)| a + eps * b).collect()
}

/// The number of stages a fixed step evaluates.
fn needed_stages(tableau: &Tableau) -> usize {
    (0..tableau.stages()).filter(|&i| tableau.needed(i)).count()
}

pub(super) struct Case<'a, F> {
    pub(super) name: &'a str,
    pub(super) rhs: &'a F,
    pub(super) u0: &'a [f64],
    pub(super) p: &'a [f64],
    pub(super) tspan: (f64, f64),
    pub(super) saveat: SaveAt,
}

impl<F: RhsJvp + RhsVjp> Case<'_, F> {
    pub(super) fn problem<'b, S>(&'b self, u0: &'b [S], p: &'b [S]) -> OdeProblem<'b, F, S> {
        OdeProblem::new(self.rhs, u0, p, self.tspan)
    }

    fn value(&self, options: &SolveOptions, u0: &[f64], p: &[f64]) -> f64 {
        loss_value(&self.problem(u0, p), options, &Misfit).unwrap()
    }

    /// Checks the gradient of `options` against central differences, the tangent (dot-product
    /// test) and `loss_value`; returns it.
    pub(super) fn check_gradient(&self, options: &SolveOptions, what: &str) -> LossGradient<f64> {
        let g = gradient(&self.problem(self.u0, self.p), options, &Misfit).unwrap();
        let value = self.value(options, self.u0, self.p);
        assert_eq!(
            g.value, value,
            "{what}: the gradient's value is loss_value's"
        );
        let (du, dp) = (direction(self.u0.len(), 1), direction(self.p.len(), 2));
        let directional = dot(&g.u0_bar, &du) + dot(&g.p_bar, &dp);
        let scale = dot_scale(&g.u0_bar, &du) + dot_scale(&g.p_bar, &dp);
        // Central differences.
        let eps = 1e-6;
        let plus = self.value(
            options,
            &shifted(self.u0, &du, eps),
            &shifted(self.p, &dp, eps),
        );
        let minus = self.value(
            options,
            &shifted(self.u0, &du, -eps),
            &shifted(self.p, &dp, -eps),
        );
        let fd = (plus - minus) / (2.0 * eps);
        let error = relative_error(fd, directional, scale.max(1e-300));
        assert!(
            error < 1e-6,
            "{what}: adjoint {directional}, differences {fd} (error {error:e})"
        );
        // The dot-product test: the tangent along the same direction.
        let t = tangent(&self.problem(self.u0, self.p), options, &Misfit, &du, &dp).unwrap();
        assert_eq!(
            t.value, value,
            "{what}: the tangent's value is loss_value's"
        );
        let error = relative_error(t.derivative, directional, scale.max(1e-300));
        assert!(
            error < 1e-12,
            "{what}: tangent {} adjoint {directional} (error {error:e})",
            t.derivative
        );
        g
    }

    /// Every memory strategy gives bitwise the same gradient, with the counted work predicted.
    fn check_memories(&self, options: &SolveOptions, reference: &LossGradient<f64>, what: &str) {
        let steps = reference.stats.steps;
        let s = needed_stages(&options.tableau);
        for memory in memories() {
            let g = gradient(
                &self.problem(self.u0, self.p),
                &options.clone().memory(memory),
                &Misfit,
            )
            .unwrap();
            assert_eq!(
                g.value.to_bits(),
                reference.value.to_bits(),
                "{what} {memory:?}"
            );
            assert_eq!(g.u0_bar, reference.u0_bar, "{what} {memory:?}: u0_bar");
            assert_eq!(g.p_bar, reference.p_bar, "{what} {memory:?}: p_bar");
            let forward = memory.forward_steps(steps).unwrap();
            assert_eq!(g.stats.forward_steps, forward, "{what} {memory:?}");
            assert_eq!(g.stats.steps, steps);
            assert_eq!(g.stats.rhs_vjps, s * steps);
            // Each advance evaluates every needed stage; each step's adjoint recomputes all but
            // the last, and the last step's adjoint computes its result too.
            let evals = if steps == 0 {
                0
            } else {
                s * forward + (s - 1) * steps + 1
            };
            assert_eq!(g.stats.rhs_evals, evals, "{what} {memory:?}");
            let stored = match memory {
                Memory::StoreAll => steps,
                Memory::Binomial { snapshots } => snapshots.min(steps),
            };
            assert!(
                g.stats.stored_states <= stored && g.stats.stored_states >= 1,
                "{what} {memory:?}"
            );
        }
    }

    /// Forward over reverse: the gradient at dual numbers seeded with `v` gives `H v`, equal to
    /// central differences of gradients, symmetric, and bitwise the same for every memory
    /// strategy.
    pub(super) fn check_hessian(&self, options: &SolveOptions, what: &str) {
        let (n, m) = (self.u0.len(), self.p.len());
        let hvp = |v_u: &[f64], v_p: &[f64], memory: Memory| -> (Vec<f64>, Vec<f64>) {
            let u0: Vec<Dual<f64, 1>> = self
                .u0
                .iter()
                .zip(v_u)
                .map(|(&x, &v)| Dual::new(x, [v]))
                .collect();
            let p: Vec<Dual<f64, 1>> = self
                .p
                .iter()
                .zip(v_p)
                .map(|(&x, &v)| Dual::new(x, [v]))
                .collect();
            let g = gradient(
                &self.problem(&u0, &p),
                &options.clone().memory(memory),
                &Misfit,
            )
            .unwrap();
            (
                g.u0_bar.iter().map(|d| d.tangent(0)).collect(),
                g.p_bar.iter().map(|d| d.tangent(0)).collect(),
            )
        };
        let (v_u, v_p) = (direction(n, 3), direction(m, 4));
        let (hv_u, hv_p) = hvp(&v_u, &v_p, Memory::StoreAll);
        for memory in [
            Memory::Binomial { snapshots: 3 },
            Memory::Binomial { snapshots: 1 },
        ] {
            assert_eq!(
                hvp(&v_u, &v_p, memory),
                (hv_u.clone(), hv_p.clone()),
                "{what} {memory:?}"
            );
        }
        // Central differences of the gradient along v, and the symmetry <w, H v> = <v, H w>,
        // by the crate's oracle over the concatenated (u0, p).
        let (w_u, w_p) = (direction(n, 5), direction(m, 6));
        let (hw_u, hw_p) = hvp(&w_u, &w_p, Memory::StoreAll);
        let gradient_at = |x: &[f64], g: &mut [f64]| {
            let (u0, p) = x.split_at(n);
            let gradient = gradient(&self.problem(u0, p), options, &Misfit).unwrap();
            g[..n].copy_from_slice(&gradient.u0_bar);
            g[n..].copy_from_slice(&gradient.p_bar);
        };
        let report = check_hvp(
            gradient_at,
            &[self.u0, self.p].concat(),
            &[&v_u[..], &v_p].concat(),
            &[&hv_u[..], &hv_p].concat(),
            &[&w_u[..], &w_p].concat(),
            &[&hw_u[..], &hw_p].concat(),
            1e-6,
        )
        .unwrap();
        let fd = &report.finite_difference;
        assert!(
            fd.relative_error < 1e-6,
            "{what}: (H v)[{k}] (u0 then p) = {}, differences {}",
            [&hv_u[..], &hv_p].concat()[fd.worst_component],
            fd.finite_difference[fd.worst_component],
            k = fd.worst_component,
        );
        let t = report.symmetry;
        assert!(
            t.relative_error < 1e-11,
            "{what}: <w, Hv> = {}, <v, Hw> = {}",
            t.tangent_side,
            t.adjoint_side
        );
    }

    fn check_all_fixed(&self, h: f64, hessian_for: &[&str]) {
        for tableau in tableaus() {
            let what = format!("{} {}", self.name, tableau.name());
            let options = SolveOptions::fixed(tableau, h).saveat(self.saveat.clone());
            let g = self.check_gradient(&options, &what);
            self.check_memories(&options, &g, &what);
            if hessian_for.contains(&options.tableau.name()) {
                self.check_hessian(&options, &what);
            }
        }
    }
}

fn every(k: usize, h: f64, steps: usize) -> SaveAt {
    SaveAt::Times((0..=steps / k).map(|m| (m * k) as f64 * h).collect())
}

#[test]
fn decay_conforms() {
    Case {
        name: "decay",
        rhs: &Decay,
        u0: &[1.3, -0.4],
        p: &[0.7],
        tspan: (0.0, 2.0),
        saveat: every(5, 0.05, 40),
    }
    .check_all_fixed(0.05, &["rk4", "euler"]);
}

#[test]
fn oscillator_conforms() {
    Case {
        name: "oscillator",
        rhs: &Oscillator,
        u0: &[1.0, 0.5],
        p: &[1.7],
        tspan: (0.0, 3.0),
        saveat: SaveAt::Steps,
    }
    .check_all_fixed(0.1, &["heun", "dormand_prince"]);
}

#[test]
fn forced_non_autonomous_conforms() {
    Case {
        name: "forced",
        rhs: &Forced,
        u0: &[0.4, -0.9],
        p: &[0.6, 1.3],
        tspan: (1.0, 4.0),
        saveat: SaveAt::Times(vec![1.0, 1.5, 1.5, 2.5, 4.0]),
    }
    .check_all_fixed(0.05, &["midpoint", "rk38"]);
}

#[test]
fn lorenz63_conforms() {
    Case {
        name: "lorenz63",
        rhs: &Lorenz63,
        u0: &[1.0, 1.0, 20.0],
        p: &[10.0, 28.0, 8.0 / 3.0],
        tspan: (0.0, 1.0),
        saveat: every(10, 0.01, 100),
    }
    .check_all_fixed(0.01, &["rk4", "ssprk3"]);
}

#[test]
fn lorenz96_problem_l_window_conforms() {
    // Problem L's window: 200 RK4 steps of 0.01 from xt0, F = 8, saved every 10 steps and at 0.
    Case {
        name: "lorenz96",
        rhs: &Lorenz96,
        u0: &L96_XT0,
        p: &[8.0],
        tspan: (0.0, 2.0),
        saveat: every(10, 0.01, 200),
    }
    .check_all_fixed(0.01, &["rk4"]);
}

#[test]
fn derivatives_stop_at_the_last_saved_state() {
    let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![0.0, 0.5]));
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.0, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 10.0),
    );
    let g = gradient(&problem, &options, &Misfit).unwrap();
    assert_eq!(g.stats.steps, 5);
    let t = tangent(&problem, &options, &Misfit, &[1.0, 0.0, 0.0], &[0.0; 3]).unwrap();
    assert_eq!(t.stats.steps, 5);
    assert_eq!(t.stats.rhs_jvps, 20);
    // No saved state: nothing to differentiate.
    let none = options.clone().saveat(SaveAt::Times(vec![]));
    let g = gradient(&problem, &none, &Misfit).unwrap();
    assert_eq!(
        (g.value, g.u0_bar, g.p_bar, g.stats.steps),
        (0.0, vec![0.0; 3], vec![0.0; 3], 0)
    );
    // Only the initial state: the loss's own gradient.
    let first = options.saveat(SaveAt::Times(vec![0.0]));
    let g = gradient(&problem, &first, &Misfit).unwrap();
    let mut expected = vec![0.0; 3];
    let value = Misfit
        .value_and_gradient(0, 0.0, problem.u0, &mut expected)
        .unwrap();
    assert_eq!(
        (g.value, g.u0_bar, g.p_bar),
        (value, expected, vec![0.0; 3])
    );
}

#[test]
fn solve_tangent_matches_differences_of_solutions() {
    let (u0, p) = ([1.0, 1.0, 20.0], [10.0, 28.0, 8.0 / 3.0]);
    let options =
        SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(vec![0.0, 0.3, 0.5]));
    let (du, dp) = (direction(3, 7), direction(3, 8));
    let s = solve_tangent(
        &OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0)),
        &options,
        &du,
        &dp,
    )
    .unwrap();
    let plain = solve(&OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0)), &options).unwrap();
    assert_eq!((&s.t, &s.u), (&plain.t, &plain.u));
    assert_eq!(s.u_dot[0], du.to_vec());
    let eps = 1e-6;
    let at = |sign: f64| {
        let (u, q) = (shifted(&u0, &du, sign * eps), shifted(&p, &dp, sign * eps));
        solve(&OdeProblem::new(&Lorenz63, &u, &q, (0.0, 1.0)), &options)
            .unwrap()
            .u
    };
    let (plus, minus) = (at(1.0), at(-1.0));
    for j in 0..3 {
        for i in 0..3 {
            let fd = (plus[j][i] - minus[j][i]) / (2.0 * eps);
            assert!(
                (fd - s.u_dot[j][i]).abs() < 1e-6 * fd.abs().max(1.0),
                "u_dot[{j}][{i}]"
            );
        }
    }
}

/// Errors against the closed form of decay, `u(1) = exp(-1)`, at `h` and `h / 2`.
fn decay_errors(tableau: &Tableau, h: f64) -> (f64, f64) {
    let error = |h: f64| {
        let options = SolveOptions::fixed(tableau.clone(), h).saveat(SaveAt::Times(vec![1.0]));
        let sol = solve(
            &OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 1.0)),
            &options,
        )
        .unwrap();
        (sol.u[0][0] - (-1.0_f64).exp()).abs()
    };
    (error(h), error(h / 2.0))
}

#[test]
fn every_method_converges_at_its_order() {
    for tableau in tableaus() {
        let order = f64::from(tableau.order().unwrap());
        // Large enough errors to stay clear of rounding, small enough steps to be asymptotic.
        let h = match tableau.order().unwrap() {
            1 | 2 => 1.0 / 64.0,
            _ => 1.0 / 8.0,
        };
        let (coarse, fine) = decay_errors(&tableau, h);
        let observed = (coarse / fine).log2();
        assert!(
            (observed - order).abs() < 0.15,
            "{}: observed order {observed} (errors {coarse:e}, {fine:e})",
            tableau.name()
        );
        // The non-autonomous problem checks the stage times: against a reference solution.
        let reference = {
            let options = SolveOptions::fixed(Tableau::dormand_prince(), 1.0 / 1024.0)
                .saveat(SaveAt::Times(vec![3.0]));
            solve(
                &OdeProblem::new(&Forced, &[0.4, -0.9], &[0.6, 1.3], (1.0, 3.0)),
                &options,
            )
            .unwrap()
            .u[0]
                .clone()
        };
        let error = |h: f64| -> f64 {
            let options = SolveOptions::fixed(tableau.clone(), h).saveat(SaveAt::Times(vec![3.0]));
            let u = solve(
                &OdeProblem::new(&Forced, &[0.4, -0.9], &[0.6, 1.3], (1.0, 3.0)),
                &options,
            )
            .unwrap()
            .u[0]
                .clone();
            (u[0] - reference[0]).abs().max((u[1] - reference[1]).abs())
        };
        let h: f64 = if order <= 2.0 { 1.0 / 64.0 } else { 1.0 / 16.0 };
        let observed = (error(h) / error(h / 2.0)).log2();
        assert!(
            (observed - order).abs() < 0.25,
            "{} on the forced problem: observed order {observed}",
            tableau.name()
        );
    }
}

#[test]
fn oscillator_follows_its_closed_form() {
    let w = 1.7;
    let tspan = (0.0, 2.0);
    let options = SolveOptions::fixed(Tableau::rk4(), 0.01);
    let sol = solve(
        &OdeProblem::new(&Oscillator, &[1.0, 0.5], &[w], tspan),
        &options,
    )
    .unwrap();
    assert_eq!(sol.t.len(), 201);
    for (t, u) in sol.t.iter().zip(&sol.u) {
        let x = (w * t).cos() + 0.5 / w * (w * t).sin();
        assert!((u[0] - x).abs() < 1e-8, "x({t})");
    }
}

/// Lorenz-96 evaluated as a plain function, for the independent implementations below.
fn l96(x: &[f64], f: f64) -> Vec<f64> {
    let mut du = vec![0.0; x.len()];
    Lorenz96.eval(&mut du, x, &[f], 0.0);
    du
}

#[test]
fn rk4_is_bitwise_the_textbook_formula() {
    // Problem L's window, integrated with RK4 written out from its formula.
    let h = 0.01;
    let mut x = L96_XT0.to_vec();
    let mut reference = vec![x.clone()];
    for _ in 0..200 {
        let k1 = l96(&x, 8.0);
        let x2: Vec<f64> = (0..40).map(|i| x[i] + h / 2.0 * k1[i]).collect();
        let k2 = l96(&x2, 8.0);
        let x3: Vec<f64> = (0..40).map(|i| x[i] + h / 2.0 * k2[i]).collect();
        let k3 = l96(&x3, 8.0);
        let x4: Vec<f64> = (0..40).map(|i| x[i] + h * k3[i]).collect();
        let k4 = l96(&x4, 8.0);
        x = (0..40)
            .map(|i| x[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
            .collect();
        reference.push(x.clone());
    }
    let sol = solve(
        &OdeProblem::new(&Lorenz96, &L96_XT0, &[8.0], (0.0, 2.0)),
        &SolveOptions::fixed(Tableau::rk4(), h),
    )
    .unwrap();
    assert_eq!(sol.u, reference);

    // The seed problem: dx/dt = cos(t) from t = 1, h = 0.1, 90 steps, t_i = 1 + 0.1 i.
    struct Cosine;
    impl Rhs for Cosine {
        fn eval<S: Real>(&self, du: &mut [S], _u: &[S], _p: &[S], t: S) {
            du[0] = t.cos();
        }
    }
    impl RhsJvp for Cosine {
        fn jvp<S: Real>(
            &self,
            (du, du_dot): (&mut [S], &mut [S]),
            (_u, _u_dot): (&[S], &[S]),
            (_p, _p_dot): (&[S], &[S]),
            t: S,
        ) {
            du[0] = t.cos();
            du_dot[0] = S::zero();
        }
    }
    impl RhsVjp for Cosine {
        fn vjp<S: Real>(
            &self,
            (du, du_bar): (&mut [S], &mut [S]),
            (_u, _u_bar): (&[S], &mut [S]),
            (_p, _p_bar): (&[S], &mut [S]),
            t: S,
        ) {
            du[0] = t.cos();
            du_bar[0] = S::zero();
        }
    }
    let (h, x0) = (0.1, 1.0_f64.sin() - 0.3);
    let mut x = x0;
    let mut reference = vec![x];
    for i in 0..90 {
        let t = 1.0 + 0.1 * i as f64;
        let k1 = t.cos();
        let k2 = (t + h / 2.0).cos();
        let k3 = (t + h / 2.0).cos();
        let k4 = (t + h).cos();
        x += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        reference.push(x);
    }
    let sol = solve(
        &OdeProblem::new(&Cosine, &[x0], &[], (1.0, 10.0)),
        &SolveOptions::fixed(Tableau::rk4(), 0.1),
    )
    .unwrap();
    assert_eq!(sol.u.iter().map(|u| u[0]).collect::<Vec<_>>(), reference);
    assert_eq!(sol.t[37], 1.0 + 0.1 * 37.0);
}

#[test]
fn other_named_methods_are_bitwise_their_formulas() {
    let h = 0.01;
    type Step = fn(&[f64], f64) -> Vec<f64>;
    let euler: Step = |x, h| {
        let k1 = l96(x, 8.0);
        (0..40).map(|i| x[i] + h * k1[i]).collect()
    };
    let heun: Step = |x, h| {
        let k1 = l96(x, 8.0);
        let k2 = l96(&(0..40).map(|i| x[i] + h * k1[i]).collect::<Vec<_>>(), 8.0);
        (0..40).map(|i| x[i] + h / 2.0 * (k1[i] + k2[i])).collect()
    };
    let midpoint: Step = |x, h| {
        let k1 = l96(x, 8.0);
        let k2 = l96(
            &(0..40).map(|i| x[i] + h / 2.0 * k1[i]).collect::<Vec<_>>(),
            8.0,
        );
        (0..40).map(|i| x[i] + h * k2[i]).collect()
    };
    let ssprk3: Step = |x, h| {
        let k1 = l96(x, 8.0);
        let k2 = l96(&(0..40).map(|i| x[i] + h * k1[i]).collect::<Vec<_>>(), 8.0);
        let k3 = l96(
            &(0..40)
                .map(|i| x[i] + h / 4.0 * (k1[i] + k2[i]))
                .collect::<Vec<_>>(),
            8.0,
        );
        (0..40)
            .map(|i| x[i] + h / 6.0 * (k1[i] + k2[i] + 4.0 * k3[i]))
            .collect()
    };
    let rk38: Step = |x, h| {
        let k1 = l96(x, 8.0);
        let k2 = l96(
            &(0..40).map(|i| x[i] + h / 3.0 * k1[i]).collect::<Vec<_>>(),
            8.0,
        );
        let k3 = l96(
            &(0..40)
                .map(|i| x[i] + h / 3.0 * (-k1[i] + 3.0 * k2[i]))
                .collect::<Vec<_>>(),
            8.0,
        );
        let k4 = l96(
            &(0..40)
                .map(|i| x[i] + h * (k1[i] - k2[i] + k3[i]))
                .collect::<Vec<_>>(),
            8.0,
        );
        (0..40)
            .map(|i| x[i] + h / 8.0 * (k1[i] + 3.0 * k2[i] + 3.0 * k3[i] + k4[i]))
            .collect()
    };
    for (tableau, step) in [
        (Tableau::euler(), euler),
        (Tableau::heun(), heun),
        (Tableau::midpoint(), midpoint),
        (Tableau::ssprk3(), ssprk3),
        (Tableau::rk38(), rk38),
    ] {
        let mut x = L96_XT0.to_vec();
        let mut reference = vec![x.clone()];
        for _ in 0..50 {
            x = step(&x, h);
            reference.push(x.clone());
        }
        let options = SolveOptions::fixed(tableau.clone(), h);
        let sol = solve(
            &OdeProblem::new(&Lorenz96, &L96_XT0, &[8.0], (0.0, 0.5)),
            &options,
        )
        .unwrap();
        assert_eq!(sol.u, reference, "{}", tableau.name());
    }
}

#[test]
fn saved_times_pick_states_of_the_step_grid() {
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.0, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 1.0),
    );
    let all = solve(&problem, &SolveOptions::fixed(Tableau::rk4(), 0.01)).unwrap();
    assert_eq!(all.t.len(), 101);
    assert_eq!(all.stats.rhs_evals, 400);
    let times = vec![0.0, 0.3, 0.1 * 3.0, 0.57, 1.0];
    let some = solve(
        &problem,
        &SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(times.clone())),
    )
    .unwrap();
    assert_eq!(some.t, times);
    let expected: Vec<Vec<f64>> = [0, 30, 30, 57, 100]
        .iter()
        .map(|&k| all.u[k].clone())
        .collect();
    assert_eq!(some.u, expected);
    assert!(some.step_times.is_empty());
    // StepTo on the same grid is bitwise the same integration (its h is a difference of times,
    // here exactly the grid's).
    let grid: Vec<f64> = (0..=8).map(|k| k as f64 * 0.125).collect();
    let fixed = solve(&problem, &SolveOptions::fixed(Tableau::rk4(), 0.125)).unwrap();
    let given = solve(&problem, &SolveOptions::step_to(Tableau::rk4(), grid)).unwrap();
    assert_eq!(fixed.u, given.u);
}

#[test]
fn f32_states_integrate() {
    let options = SolveOptions::fixed(Tableau::rk4(), 0.1).saveat(SaveAt::Times(vec![1.0]));
    let sol = solve(
        &OdeProblem::new(&Decay, &[1.0_f32], &[1.0_f32], (0.0, 1.0)),
        &options,
    )
    .unwrap();
    assert!((sol.u[0][0] - (-1.0_f32).exp()).abs() < 1e-5);
    let g = gradient(
        &OdeProblem::new(&Decay, &[1.0_f32], &[1.0_f32], (0.0, 1.0)),
        &options,
        &Misfit,
    )
    .unwrap();
    let g64 = gradient(
        &OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 1.0)),
        &options,
        &Misfit,
    )
    .unwrap();
    assert!((f64::from(g.u0_bar[0]) - g64.u0_bar[0]).abs() < 1e-5);
}

// Adaptive steps.

fn adaptive(rtol: f64, atol: f64) -> SolveOptions {
    SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(rtol, atol))
}

#[test]
fn adaptive_steps_meet_the_tolerance() {
    let problem = OdeProblem::new(&Decay, &[1.0], &[1.0], (0.0, 5.0));
    let mut previous_steps = 0;
    for rtol in [1e-4, 1e-7, 1e-10] {
        let sol = solve(&problem, &adaptive(rtol, rtol)).unwrap();
        let last = sol.u.last().unwrap()[0];
        assert_eq!(*sol.t.last().unwrap(), 5.0);
        assert!(
            (last - (-5.0_f64).exp()).abs() < 10.0 * rtol,
            "rtol {rtol}: {last}"
        );
        // A tighter tolerance takes more steps.
        assert!(
            sol.stats.steps > previous_steps,
            "rtol {rtol}: {:?}",
            sol.stats
        );
        previous_steps = sol.stats.steps;
        assert_eq!(sol.step_times.len(), sol.stats.steps + 1);
        assert_eq!(sol.t, sol.step_times);
        // First same as last: six new stages per attempt, not seven (plus the initial guess).
        let attempts = sol.stats.steps + sol.stats.rejected_steps;
        assert!(
            sol.stats.rhs_evals <= 6 * attempts + 2 + attempts / 10,
            "{:?}",
            sol.stats
        );
    }
}

#[test]
fn adaptive_steps_land_on_saved_times_and_replay_bitwise() {
    let problem = OdeProblem::new(
        &Lorenz63,
        &[1.0, 1.0, 20.0],
        &[10.0, 28.0, 8.0 / 3.0],
        (0.0, 2.0),
    );
    let times = vec![0.0, 0.25, 0.25, 1.0, 1.7, 2.0];
    let options = adaptive(1e-8, 1e-8).saveat(SaveAt::Times(times.clone()));
    let sol = solve(&problem, &options).unwrap();
    assert_eq!(sol.t, times);
    assert!(
        sol.stats.rejected_steps > 0,
        "the chaotic flow should reject some steps: {:?}",
        sol.stats
    );
    for t in &times {
        assert!(sol.step_times.contains(t), "no step lands on {t}");
    }
    // Replay: the same steps, given, give bitwise the same states.
    let replay = solve(
        &problem,
        &SolveOptions::step_to(Tableau::dormand_prince(), sol.step_times.clone())
            .saveat(SaveAt::Times(times.clone())),
    )
    .unwrap();
    assert_eq!(replay.u, sol.u);
    // Every accepted state, replayed.
    let every = solve(&problem, &adaptive(1e-8, 1e-8)).unwrap();
    let replay = solve(
        &problem,
        &SolveOptions::step_to(Tableau::dormand_prince(), every.step_times.clone()),
    )
    .unwrap();
    assert_eq!(replay.u, every.u);
    // And with the user's first step.
    let given = SolveOptions::adaptive(
        Tableau::dormand_prince(),
        Controller {
            dt0: Some(1e-3),
            ..Controller::new(1e-8, 1e-8)
        },
    );
    let sol = solve(&problem, &given).unwrap();
    assert!((sol.step_times[1] - 1e-3).abs() < 1e-18 || sol.stats.rejected_steps > 0);
}

#[test]
fn adaptive_gradients_are_exact_for_the_accepted_steps() {
    let case = Case {
        name: "lorenz63 adaptive",
        rhs: &Lorenz63,
        u0: &[1.0, 1.0, 20.0],
        p: &[10.0, 28.0, 8.0 / 3.0],
        tspan: (0.0, 1.0),
        saveat: SaveAt::Times(vec![0.0, 0.2, 0.5, 1.0]),
    };
    let options = adaptive(1e-7, 1e-7).saveat(case.saveat.clone());
    let problem = case.problem(case.u0, case.p);
    let g = gradient(&problem, &options, &Misfit).unwrap();
    assert!(g.stats.rejected_steps > 0);
    // Bitwise across memory strategies.
    for memory in memories() {
        let other = gradient(&problem, &options.clone().memory(memory), &Misfit).unwrap();
        assert_eq!(
            (other.value, &other.u0_bar, &other.p_bar),
            (g.value, &g.u0_bar, &g.p_bar),
            "{memory:?}"
        );
        assert_eq!(other.stats.steps, g.stats.steps);
    }
    // Bitwise the gradient of the replayed steps, which finite differences can use: the steps
    // do not move with the perturbed initial state.
    let steps = solve(&problem, &options).unwrap().step_times;
    assert_eq!(steps.len(), g.stats.steps + 1);
    let replay =
        SolveOptions::step_to(Tableau::dormand_prince(), steps).saveat(case.saveat.clone());
    let r = case.check_gradient(&replay, "lorenz63 replayed");
    assert_eq!(
        (r.value, &r.u0_bar, &r.p_bar),
        (g.value, &g.u0_bar, &g.p_bar)
    );
    case.check_memories(&replay, &r, "lorenz63 replayed");
    // The dot-product test on the adaptive options themselves.
    let (du, dp) = (direction(3, 1), direction(3, 2));
    let t = tangent(&problem, &options, &Misfit, &du, &dp).unwrap();
    let directional = dot(&g.u0_bar, &du) + dot(&g.p_bar, &dp);
    let scale = dot_scale(&g.u0_bar, &du) + dot_scale(&g.p_bar, &dp);
    assert!(relative_error(t.derivative, directional, scale) < 1e-12);
    assert_eq!(t.value, g.value);
    // Forward over reverse through adaptive steps: the same steps at dual numbers.
    let u0: Vec<Dual<f64, 1>> = case
        .u0
        .iter()
        .zip(&du)
        .map(|(&x, &v)| Dual::new(x, [v]))
        .collect();
    let p: Vec<Dual<f64, 1>> = case.p.iter().map(|&x| Dual::constant(x)).collect();
    let hv = gradient(&case.problem(&u0, &p), &options, &Misfit).unwrap();
    let hv_replay = gradient(&case.problem(&u0, &p), &replay, &Misfit).unwrap();
    let tangents = |v: &[Dual<f64, 1>]| v.iter().map(|d| d.tangent(0)).collect::<Vec<_>>();
    assert_eq!(tangents(&hv.u0_bar), tangents(&hv_replay.u0_bar));
    assert_eq!(hv.stats.steps, g.stats.steps);
    case.check_hessian(&replay, "lorenz63 replayed");
    // Saving every accepted step: the loss sees each, and the replay agrees again.
    let every = adaptive(1e-6, 1e-6);
    let g = gradient(&problem, &every, &Misfit).unwrap();
    let sol = solve(&problem, &every).unwrap();
    assert_eq!(g.stats.steps + 1, sol.t.len());
    let replay = SolveOptions::step_to(Tableau::dormand_prince(), sol.step_times);
    for memory in [Memory::StoreAll, Memory::Binomial { snapshots: 4 }] {
        let r = gradient(&problem, &replay.clone().memory(memory), &Misfit).unwrap();
        assert_eq!(
            (r.value, &r.u0_bar, &r.p_bar),
            (g.value, &g.u0_bar, &g.p_bar),
            "{memory:?}"
        );
    }
}

// Errors.

/// `du/dt = u^2`: blows up at `t = 1 / u0`.
struct Riccati;

impl Rhs for Riccati {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], _p: &[S], _t: S) {
        du[0] = u[0] * u[0];
    }
}
impl RhsJvp for Riccati {
    fn jvp<S: Real>(
        &self,
        (du, du_dot): (&mut [S], &mut [S]),
        (u, u_dot): (&[S], &[S]),
        (_p, _p_dot): (&[S], &[S]),
        _t: S,
    ) {
        du[0] = u[0] * u[0];
        du_dot[0] = S::from_f64(2.0) * u[0] * u_dot[0];
    }
}
impl RhsVjp for Riccati {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (_p, _p_bar): (&[S], &mut [S]),
        _t: S,
    ) {
        du[0] = u[0] * u[0];
        u_bar[0] += S::from_f64(2.0) * u[0] * du_bar[0];
        du_bar[0] = S::zero();
    }
}

#[test]
fn blow_up_is_reported_with_its_step_and_time() {
    // Euler: u <- u + 0.1 u^2 overflows after a few dozen steps.
    let mut u = 1.0_f64;
    let mut step = 0;
    while u.is_finite() {
        u += 0.1 * (u * u);
        step += 1;
    }
    let expected = OdeError::NonFiniteState {
        step,
        t: step as f64 * 0.1,
    };
    let problem = OdeProblem::new(&Riccati, &[1.0], &[], (0.0, 10.0));
    let options = SolveOptions::fixed(Tableau::euler(), 0.1);
    assert_eq!(solve(&problem, &options).unwrap_err(), expected);
    assert_eq!(
        loss_value(&problem, &options, &Misfit).unwrap_err(),
        expected
    );
    for memory in memories() {
        assert_eq!(
            gradient(&problem, &options.clone().memory(memory), &Misfit).unwrap_err(),
            expected,
            "{memory:?}"
        );
    }
    assert_eq!(
        tangent(&problem, &options, &Misfit, &[1.0], &[]).unwrap_err(),
        expected
    );
    // Adaptive steps shrink towards the singularity at t = 1 until they cannot.
    let err = solve(&problem, &adaptive(1e-6, 1e-6)).unwrap_err();
    match err {
        OdeError::StepSizeTooSmall { t, h } => {
            assert!((t - 1.0).abs() < 1e-3 && h < 1e-10, "{t} {h}")
        }
        other => panic!("expected StepSizeTooSmall, got {other:?}"),
    }
}

#[test]
fn every_input_error_is_reported() {
    let p = [10.0, 28.0, 8.0 / 3.0];
    let u0 = [1.0, 1.0, 20.0];
    let problem = OdeProblem::new(&Lorenz63, &u0, &p, (0.0, 1.0));
    let fixed = |h: f64| SolveOptions::fixed(Tableau::rk4(), h);
    let solve_err = |problem: &OdeProblem<'_, Lorenz63, f64>, options: &SolveOptions| {
        solve(problem, options).unwrap_err()
    };

    // Data.
    assert_eq!(
        tangent(&problem, &fixed(0.1), &Misfit, &[1.0], &[0.0; 3]).unwrap_err(),
        OdeError::Input(InputError::WrongLength {
            what: "u0_dot",
            expected: 3,
            found: 1
        })
    );
    assert_eq!(
        solve_tangent(&problem, &fixed(0.1), &[0.0; 3], &[0.0; 4]).unwrap_err(),
        OdeError::Input(InputError::WrongLength {
            what: "p_dot",
            expected: 3,
            found: 4
        })
    );
    // NaN is not equal to itself: match the fields instead.
    let err = tangent(
        &problem,
        &fixed(0.1),
        &Misfit,
        &[0.0, f64::NAN, 0.0],
        &[0.0; 3],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OdeError::Input(InputError::NonFinite {
                what: "u0_dot",
                index: 1,
                value,
            }) if value.is_nan()
        ),
        "{err:?}"
    );
    let bad_u0 = [1.0, f64::INFINITY, 0.0];
    assert_eq!(
        solve_err(
            &OdeProblem::new(&Lorenz63, &bad_u0, &p, (0.0, 1.0)),
            &fixed(0.1)
        ),
        OdeError::Input(InputError::NonFinite {
            what: "u0",
            index: 1,
            value: f64::INFINITY
        })
    );
    let bad_p = [10.0, 28.0, f64::NAN];
    let err = gradient(
        &OdeProblem::new(&Lorenz63, &u0, &bad_p, (0.0, 1.0)),
        &fixed(0.1),
        &Misfit,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            OdeError::Input(InputError::NonFinite {
                what: "p",
                index: 2,
                value,
            }) if value.is_nan()
        ),
        "{err:?}"
    );

    // Span and steps.
    for (t0, t1) in [(1.0, 0.0), (0.0, f64::NAN), (f64::NEG_INFINITY, 0.0)] {
        let err = solve_err(&OdeProblem::new(&Lorenz63, &u0, &p, (t0, t1)), &fixed(0.1));
        assert!(matches!(err, OdeError::InvalidSpan { .. }), "{err:?}");
    }
    for h in [0.0, -0.1, f64::NAN, f64::INFINITY, 1e-300] {
        let err = solve_err(&problem, &fixed(h));
        assert!(matches!(err, OdeError::InvalidStep { .. }), "{h}: {err:?}");
    }
    assert_eq!(
        solve_err(&problem, &fixed(0.3)),
        OdeError::SpanNotOnGrid {
            t0: 0.0,
            t1: 1.0,
            h: 0.3
        }
    );
    let step_to = |times: Vec<f64>| SolveOptions::step_to(Tableau::rk4(), times);
    assert!(matches!(
        solve_err(&problem, &step_to(vec![])),
        OdeError::InvalidStepTimes { index: 0, .. }
    ));
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.1, 1.0])),
        OdeError::InvalidStepTimes { index: 0, t: 0.1 }
    );
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.0, 0.5, 0.5, 1.0])),
        OdeError::InvalidStepTimes { index: 2, t: 0.5 }
    );
    assert_eq!(
        solve_err(&problem, &step_to(vec![0.0, 0.5, 0.9])),
        OdeError::InvalidStepTimes { index: 2, t: 0.9 }
    );

    // Saved times.
    let saving = |times: Vec<f64>| fixed(0.1).saveat(SaveAt::Times(times));
    assert_eq!(
        solve_err(&problem, &saving(vec![0.0, 1.5])),
        OdeError::SaveatOutsideSpan {
            index: 1,
            t: 1.5,
            t0: 0.0,
            t1: 1.0
        }
    );
    assert!(matches!(
        solve_err(&problem, &saving(vec![f64::NAN])),
        OdeError::SaveatOutsideSpan { index: 0, .. }
    ));
    assert_eq!(
        solve_err(&problem, &saving(vec![0.5, 0.2])),
        OdeError::SaveatNotMonotone {
            index: 1,
            t: 0.2,
            previous: 0.5
        }
    );
    let adaptive_saving = adaptive(1e-6, 1e-6).saveat(SaveAt::Times(vec![0.5, 0.2]));
    assert!(matches!(
        solve_err(&problem, &adaptive_saving),
        OdeError::SaveatNotMonotone { .. }
    ));
    let adaptive_saving = adaptive(1e-6, 1e-6).saveat(SaveAt::Times(vec![1.0 + 1e-12]));
    assert!(matches!(
        solve_err(&problem, &adaptive_saving),
        OdeError::SaveatOutsideSpan { .. }
    ));
    // Methods and controllers.
    let tableau_err =
        Tableau::explicit(vec![vec![], vec![]], vec![1.0, 0.0], vec![0.0]).unwrap_err();
    assert_eq!(
        tableau_err,
        OdeError::Input(InputError::WrongLength {
            what: "tableau c",
            expected: 2,
            found: 1
        })
    );
    assert_eq!(
        solve_err(
            &problem,
            &SolveOptions::adaptive(Tableau::rk4(), Controller::new(1e-6, 1e-6))
        ),
        OdeError::NoErrorEstimate
    );
    for (rtol, atol) in [
        (-1.0, 1e-6),
        (0.0, 0.0),
        (f64::NAN, 1e-6),
        (1e-6, f64::INFINITY),
    ] {
        let err = solve_err(&problem, &adaptive(rtol, atol));
        assert!(matches!(err, OdeError::InvalidTolerance { .. }), "{err:?}");
    }
    let base = Controller::new(1e-6, 1e-6);
    for (controller, what) in [
        (
            Controller {
                dt0: Some(-1.0),
                ..base.clone()
            },
            "dt0",
        ),
        (
            Controller {
                max_steps: 0,
                ..base.clone()
            },
            "max_steps",
        ),
        (
            Controller {
                safety: 1.5,
                ..base.clone()
            },
            "safety",
        ),
        (
            Controller {
                min_factor: 0.0,
                ..base.clone()
            },
            "min_factor",
        ),
        (
            Controller {
                max_factor: 0.5,
                ..base.clone()
            },
            "max_factor",
        ),
    ] {
        let err = solve_err(
            &problem,
            &SolveOptions::adaptive(Tableau::dormand_prince(), controller),
        );
        assert!(
            matches!(err, OdeError::InvalidController { what: w, .. } if w == what),
            "{what}: {err:?}"
        );
    }
    let few = SolveOptions::adaptive(
        Tableau::dormand_prince(),
        Controller {
            max_steps: 5,
            ..base
        },
    );
    assert!(matches!(
        solve_err(&problem, &few),
        OdeError::TooManySteps { max_steps: 5, .. }
    ));
    assert_eq!(
        gradient(
            &problem,
            &fixed(0.1).memory(Memory::Binomial { snapshots: 0 }),
            &Misfit
        )
        .unwrap_err(),
        OdeError::NoSnapshots
    );
}
