//! `ode::gradient_fixed` and `ode::tangent_fixed`, the integrator's adjoint and tangent for
//! states of a length known at compile time, against the general `ode::gradient` and
//! `ode::tangent`: bitwise the same loss and derivatives for every
//! tableau, memory strategy and kind of saved state (on the grid, interpolated by Hermite or by
//! Dormand-Prince's continuous extension, adaptive steps), at `f64` and at dual numbers (the
//! Hessian-vector product); the gradient against central differences and the dot-product test
//! with the tangent.

use tapeless::ode::{
    self, Controller, Memory, OdeError, OdeProblem, SaveAt, SolveOptions, Tableau,
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
