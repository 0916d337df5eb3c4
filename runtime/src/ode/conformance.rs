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

mod adaptive_steps;
mod errors;
mod formulas;
