//! `#[differentiable(rhs = Name)]`: the right-hand side as an `ode::Rhs` with its tangent
//! (`ode::RhsJvp`) and adjoint (`ode::RhsVjp`), checked three ways.

mod common;

use common::{check, Case};
use tapeless::differentiable;
use tapeless::ode::{Rhs, RhsJvp, RhsVjp};

#[differentiable(rhs = Lorenz96)]
fn lorenz96(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    let n = u.len();
    for i in 0..n {
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0];
    }
}

#[test]
fn generated_rhs_is_differentiated_three_ways() {
    let n = 7;
    let f = |x: &[f64]| {
        let mut du = vec![0.0; n];
        Lorenz96.eval(&mut du, &x[..n], &x[n..], 0.3);
        du
    };
    check(
        &Case {
            name: "Lorenz96 as Rhs",
            inputs: n + 1,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let (mut du, mut du_dot) = (vec![0.0; n], vec![0.0; n]);
                Lorenz96.jvp(
                    (&mut du, &mut du_dot),
                    (&x[..n], &d[..n]),
                    (&x[n..], &d[n..]),
                    0.3,
                );
                (du, du_dot)
            },
            vjp: &|x, w| {
                let mut du = vec![0.0; n];
                let mut du_bar = w.to_vec();
                let mut g = vec![0.0; n + 1];
                let (ub, pb) = g.split_at_mut(n);
                Lorenz96.vjp((&mut du, &mut du_bar), (&x[..n], ub), (&x[n..], pb), 0.3);
                // The right-hand side overwrites `du`: its initial value has zero adjoint.
                assert!(du_bar.iter().all(|&v| v == 0.0));
                // `du` is scratch for `vjp`; the value comes from `eval`.
                let mut value = vec![0.0; n];
                lorenz96(&mut value, &x[..n], &x[n..], 0.3);
                (value, g)
            },
        },
        &[1.0, 2.0, -0.5, 0.3, 4.0, -1.2, 0.7, 8.0],
        51,
    );
}

/// Lorenz-63 reads `u[0..3]` and `p[0..3]` at constant indices: the generated right-hand side
/// says so, and integrators refuse other lengths before integrating (issue 10, item 12: a short
/// state panicked inside the generated code, a long one was integrated with its extra
/// components constant).
#[differentiable(rhs = Lorenz63)]
fn lorenz63(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    du[0] = p[0] * (u[1] - u[0]);
    du[1] = u[0] * (p[1] - u[2]) - u[1];
    du[2] = u[0] * u[1] - p[2] * u[2];
}

#[test]
fn generated_rhs_states_the_lengths_it_reads() {
    use tapeless::ode::{solve, Length, OdeError, OdeProblem, RhsDims, SolveOptions, Tableau};
    use tapeless::InputError;
    assert_eq!(
        Lorenz63.dims(),
        RhsDims::new(Length::Exactly(3), Length::Exactly(3))
    );
    // Lorenz-96 loops over `u.len()`: any state; it reads `p[0]` only.
    assert_eq!(
        Lorenz96.dims(),
        RhsDims::new(Length::Any, Length::Exactly(1))
    );
    let p = [10.0, 28.0, 8.0 / 3.0];
    let options = SolveOptions::fixed(Tableau::rk4(), 0.01);
    let run =
        |u0: &[f64], p: &[f64]| solve(&OdeProblem::new(&Lorenz63, u0, p, (0.0, 0.1)), &options);
    assert!(run(&[1.0, 1.0, 1.0], &p).is_ok());
    for (u0, found) in [(&[1.0, 1.0][..], 2), (&[1.0, 1.0, 1.0, 1.0][..], 4)] {
        match run(u0, &p) {
            Err(OdeError::Input(InputError::WrongLength {
                what,
                expected,
                found: f,
            })) => {
                assert_eq!((what, expected, f), ("u0", 3, found));
            }
            other => panic!("a state of length {found}: {other:?}"),
        }
    }
    match run(&[1.0, 1.0, 1.0], &p[..2]) {
        Err(OdeError::Input(InputError::WrongLength {
            what,
            expected,
            found,
        })) => {
            assert_eq!((what, expected, found), ("p", 3, 2));
        }
        other => panic!("two parameters: {other:?}"),
    }
}
