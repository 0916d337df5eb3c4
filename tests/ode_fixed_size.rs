//! `ode::gradient_fixed` and `ode::tangent_fixed`, the integrator's adjoint and tangent for
//! states of a length known at compile time, against the general `ode::gradient` and
//! `ode::tangent`: bitwise the same loss and derivatives for every
//! tableau, memory strategy and kind of saved state (on the grid, interpolated by Hermite or by
//! Dormand-Prince's continuous extension, adaptive steps), at `f64` and at dual numbers (the
//! Hessian-vector product); the gradient against central differences and the dot-product test
//! with the tangent. The same for gradients with respect to the initial state only
//! (`Wrt::InitialState`, `dJ/dF` not computed): `dJ/du0` bitwise the full gradient's, and
//! checked three ways on its own.

use tapeless::ode::{
    self, Controller, Memory, OdeError, OdeProblem, SaveAt, SolveOptions, Tableau, Wrt,
};
use tapeless::{Dual, InputError};
use tapeless_problems::l96::{self, Lorenz96, FORCING, N};

mod common;

use common::{assert_close, Draws};

/// Option sets covering every path of the stepper's adjoint.
fn option_sets() -> Vec<(&'static str, SolveOptions)> {
    let grid: Vec<f64> = (0..=20).map(|m| m as f64 * 0.1).collect();
    // Off the step grid: interpolated inside steps.
    let off: Vec<f64> = std::iter::once(0.0)
        .chain((1..=20).map(|m| m as f64 * 0.1 - 0.003))
        .collect();
    let mut out = vec![
        ("rk4, store all", l96::options(Memory::StoreAll)),
        (
            "rk4, 5 snapshots",
            l96::options(Memory::Binomial { snapshots: 5 }),
        ),
    ];
    for tableau in [
        Tableau::euler(),
        Tableau::heun(),
        Tableau::midpoint(),
        Tableau::ssprk3(),
        Tableau::rk38(),
        Tableau::dormand_prince(),
    ] {
        out.push((
            tableau.name(),
            SolveOptions::fixed(tableau, 0.01).saveat(SaveAt::Times(grid.clone())),
        ));
    }
    out.push((
        "rk4, off-grid saves (Hermite)",
        SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(off.clone())),
    ));
    out.push((
        "dormand-prince, off-grid saves (continuous extension)",
        SolveOptions::fixed(Tableau::dormand_prince(), 0.01)
            .saveat(SaveAt::Times(off.clone()))
            .memory(Memory::Binomial { snapshots: 4 }),
    ));
    out.push((
        "dormand-prince, adaptive",
        SolveOptions::adaptive(Tableau::dormand_prince(), Controller::new(1e-8, 1e-8))
            .saveat(SaveAt::Times(grid.clone())),
    ));
    out.push((
        "dormand-prince, adaptive, dense",
        SolveOptions::adaptive(
            Tableau::dormand_prince(),
            Controller {
                dense: true,
                ..Controller::new(1e-8, 1e-8)
            },
        )
        .saveat(SaveAt::Times(off)),
    ));
    out
}

#[test]
fn fixed_size_gradient_is_bitwise_the_general_one() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let p = [FORCING];
    for (name, options) in option_sets() {
        let problem = OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0));
        let general = ode::gradient(&problem, &options, &cost).unwrap();
        let fixed = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap();
        assert_eq!(fixed, general, "{name}");
    }
}

#[test]
fn fixed_size_hessian_vector_product_is_bitwise_the_general_one() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let v = Draws::new(4).vec(N);
    let x: Vec<Dual<f64, 1>> = (0..N).map(|i| Dual::new(d.xb[i], [v[i]])).collect();
    let p = [Dual::new(FORCING, [0.5])];
    for (name, options) in option_sets() {
        let problem = OdeProblem::new(&Lorenz96, &x, &p, (0.0, 2.0));
        let general = ode::gradient(&problem, &options, &cost).unwrap();
        let fixed = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap();
        assert_eq!(fixed, general, "{name}");
    }
}

#[test]
fn fixed_size_gradient_matches_central_differences() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let p = [FORCING];
    let options = l96::options(Memory::StoreAll);
    let v = Draws::new(8).vec(N);
    let g = ode::gradient_fixed::<N, _, _, _>(
        &OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0)),
        &options,
        &cost,
    )
    .unwrap();
    let j_at = |s: f64| {
        let x: Vec<f64> = d.xb.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        ode::loss_value(
            &OdeProblem::new(&Lorenz96, &x, &p, (0.0, 2.0)),
            &options,
            &cost,
        )
        .unwrap()
    };
    let h = 1e-6;
    let fd = (j_at(h) - j_at(-h)) / (2.0 * h);
    let gv: f64 = g.u0_bar.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert_close(gv, fd, 1e-6, "<grad J, v> against central differences");
}

#[test]
fn a_state_of_another_length_is_an_error_naming_it() {
    let d = l96::data();
    let p = [FORCING];
    let problem = OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0));
    let err = ode::gradient_fixed::<41, _, _, _>(
        &problem,
        &l96::options(Memory::StoreAll),
        &l96::four_dvar_cost(&d),
    )
    .unwrap_err();
    assert_eq!(
        err,
        OdeError::Input(InputError::WrongLength {
            what: "u0",
            expected: 41,
            found: N
        })
    );
}

#[test]
fn fixed_size_tangent_is_bitwise_the_general_one_and_the_adjoints_transpose() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let p = [FORCING];
    let v = Draws::new(6).vec(N);
    for (name, options) in option_sets() {
        let problem = OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0));
        let general = ode::tangent(&problem, &options, &cost, &v, &[0.25]).unwrap();
        let fixed =
            ode::tangent_fixed::<N, _, _, _>(&problem, &options, &cost, &v, &[0.25]).unwrap();
        assert_eq!(fixed, general, "{name}");
        // <grad J, (v, 0.25)> = J' (v, 0.25): the dot-product test across the two fixed paths.
        let g = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap();
        let gv: f64 = g.u0_bar.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>() + g.p_bar[0] * 0.25;
        assert_close(gv, fixed.derivative, 1e-12, name);
    }
}

#[test]
fn state_only_gradient_is_bitwise_the_full_ones_state_part() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let v = Draws::new(10).vec(N);
    let x: Vec<Dual<f64, 1>> = (0..N).map(|i| Dual::new(d.xb[i], [v[i]])).collect();
    let (p, p_d) = ([FORCING], [Dual::new(FORCING, [0.0])]);
    for (name, options) in option_sets() {
        let state = options.clone().wrt(Wrt::InitialState);
        let problem = OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0));
        let full = ode::gradient(&problem, &options, &cost).unwrap();
        for g in [
            ode::gradient(&problem, &state, &cost).unwrap(),
            ode::gradient_fixed::<N, _, _, _>(&problem, &state, &cost).unwrap(),
        ] {
            assert_eq!(
                (g.value, &g.u0_bar, g.stats),
                (full.value, &full.u0_bar, full.stats),
                "{name}"
            );
            assert!(g.p_bar.is_empty() && full.p_bar.len() == 1, "{name}");
        }
        // At dual numbers: the Hessian-vector product's state part.
        let problem = OdeProblem::new(&Lorenz96, &x, &p_d, (0.0, 2.0));
        let full = ode::gradient(&problem, &options, &cost).unwrap();
        for g in [
            ode::gradient(&problem, &state, &cost).unwrap(),
            ode::gradient_fixed::<N, _, _, _>(&problem, &state, &cost).unwrap(),
        ] {
            assert_eq!(
                (g.value, &g.u0_bar),
                (full.value, &full.u0_bar),
                "{name} at Dual"
            );
            assert!(g.p_bar.is_empty(), "{name} at Dual");
        }
    }
}

/// The state-only gradient on its own: central differences, the dot-product test with the
/// tangent along the state, and its Hessian-vector product at dual numbers symmetric and equal
/// to central differences of the gradient.
#[test]
fn state_only_gradient_is_checked_three_ways() {
    let d = l96::data();
    let cost = l96::four_dvar_cost(&d);
    let p = [FORCING];
    let options = l96::options(Memory::Binomial { snapshots: 7 }).wrt(Wrt::InitialState);
    let mut draws = Draws::new(12);
    let (v, w) = (draws.vec(N), draws.vec(N));
    let at = |s: f64, dir: &[f64]| -> Vec<f64> {
        d.xb.iter().zip(dir).map(|(a, b)| a + s * b).collect()
    };
    let grad = |x: &[f64]| {
        let problem = OdeProblem::new(&Lorenz96, x, &p, (0.0, 2.0));
        ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap()
    };
    let g = grad(&d.xb);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    // 1. Central differences of J along v.
    let j_at = |s: f64| {
        let x = at(s, &v);
        ode::loss_value(
            &OdeProblem::new(&Lorenz96, &x, &p, (0.0, 2.0)),
            &options,
            &cost,
        )
        .unwrap()
    };
    let h = 1e-6;
    assert_close(
        dot(&g.u0_bar, &v),
        (j_at(h) - j_at(-h)) / (2.0 * h),
        1e-6,
        "<grad J, v> against differences",
    );
    // 2. The dot-product test against the tangent along (v, 0).
    let problem = OdeProblem::new(&Lorenz96, &d.xb, &p, (0.0, 2.0));
    let t = ode::tangent_fixed::<N, _, _, _>(&problem, &options, &cost, &v, &[0.0]).unwrap();
    assert_close(
        dot(&g.u0_bar, &v),
        t.derivative,
        1e-12,
        "<grad J, v> against J' v",
    );
    // 3. H v at dual numbers: w.(H v) = v.(H w), and H v against differences of gradients.
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let x: Vec<Dual<f64, 1>> = (0..N).map(|i| Dual::new(d.xb[i], [dir[i]])).collect();
        let p_d = [Dual::constant(FORCING)];
        let problem = OdeProblem::new(&Lorenz96, &x, &p_d, (0.0, 2.0));
        let g = ode::gradient_fixed::<N, _, _, _>(&problem, &options, &cost).unwrap();
        assert!(g.p_bar.is_empty());
        g.u0_bar.iter().map(|b| b.tangents[0]).collect()
    };
    let (hv, hw) = (hvp(&v), hvp(&w));
    assert_close(dot(&w, &hv), dot(&v, &hw), 1e-12, "w.(H v) against v.(H w)");
    let e = 1e-5;
    let (gp, gm) = (grad(&at(e, &v)), grad(&at(-e, &v)));
    for i in 0..N {
        let fd = (gp.u0_bar[i] - gm.u0_bar[i]) / (2.0 * e);
        let scale = hv.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        assert!(
            (hv[i] - fd).abs() <= 1e-6 * scale,
            "H v component {i}: {} against differences {fd}",
            hv[i]
        );
    }
}
