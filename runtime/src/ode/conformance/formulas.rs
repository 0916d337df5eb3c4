//! Convergence orders, closed forms, and bitwise agreement with the textbook formulas.

use super::*;

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
