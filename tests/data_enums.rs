//! Issue 12, item 5: enums as data, the way a solver's options are written in Rust
//! (`scheme: Scheme`, `bc: Boundary`): `#[differentiable]` on the enum implements
//! `tapeless::Data`, and differentiable functions take it by value, `match` it (as a statement
//! and as a value), compare it, pass it on and name its variants as arguments. Each function is
//! proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint), by Hessian-vector products at dual numbers, and equal to the bit to the same
//! function choosing by an integer code.

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

/// The time-stepping scheme.
#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scheme {
    Euler,
    Midpoint,
    Heun,
}

/// The boundary condition of the heat equation, with an integer payload.
#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Boundary {
    Periodic,
    Clamped(usize),
}

/// The right-hand side of a discretised heat equation with a reaction term.
#[differentiable(wrt(du, u, kappa))]
fn heat(du: &mut [f64], u: &[f64], kappa: f64, x_bar: Boundary) {
    let n = u.len();
    for i in 0..n {
        let left = match x_bar {
            Boundary::Periodic => u[(i + n - 1) % n],
            Boundary::Clamped(_) => {
                if i > 0 {
                    u[i - 1]
                } else {
                    0.0
                }
            }
        };
        let right = match x_bar {
            Boundary::Periodic => u[(i + 1) % n],
            Boundary::Clamped(_) => {
                if i + 1 < n {
                    u[i + 1]
                } else {
                    0.0
                }
            }
        };
        du[i] = kappa * (left - 2.0 * u[i] + right) - 0.1 * u[i] * u[i];
    }
    if x_bar == Boundary::Clamped(0) {
        du[0] = 0.0;
    }
}

/// One step of the chosen scheme.
#[differentiable(wrt(u, kappa))]
fn step(u: &mut [f64], kappa: f64, h: f64, scheme: Scheme, bc: Boundary) {
    let n = u.len();
    let mut k1 = vec![0.0; n];
    heat(&mut k1, u, kappa, bc);
    let mut mid = vec![0.0; n];
    let c = if scheme == Scheme::Euler { 1.0 } else { 0.5 };
    for i in 0..n {
        mid[i] = u[i] + c * h * k1[i];
    }
    match scheme {
        Scheme::Euler => {
            u.copy_from_slice(&mid);
        }
        Scheme::Midpoint | Scheme::Heun => {
            let mut k2 = vec![0.0; n];
            heat(&mut k2, &mid, kappa, bc);
            let w = match scheme {
                Scheme::Heun => 0.5,
                _ => 0.0,
            };
            for i in 0..n {
                u[i] += h * (w * k1[i] + (1.0 - w) * k2[i]);
            }
        }
    }
}

/// The squared final state after a few steps, the scheme named where it is passed.
#[differentiable]
fn run(p: &[f64]) -> f64 {
    let n = p.len() - 1;
    let kappa = p[n];
    let mut u = p[..n].to_vec();
    step(&mut u, kappa, 0.1, Scheme::Euler, Boundary::Periodic);
    step(&mut u, kappa, 0.1, Scheme::Midpoint, Boundary::Clamped(0));
    step(&mut u, kappa, 0.1, Scheme::Heun, Boundary::Clamped(2));
    u.iter().map(|v| v * v).sum::<f64>()
}

/// The same with the choices as integer codes.
#[differentiable(wrt(du, u, kappa))]
fn heat_coded(du: &mut [f64], u: &[f64], kappa: f64, bc: usize) {
    let n = u.len();
    for i in 0..n {
        let left = if bc == 0 {
            u[(i + n - 1) % n]
        } else if i > 0 {
            u[i - 1]
        } else {
            0.0
        };
        let right = if bc == 0 {
            u[(i + 1) % n]
        } else if i + 1 < n {
            u[i + 1]
        } else {
            0.0
        };
        du[i] = kappa * (left - 2.0 * u[i] + right) - 0.1 * u[i] * u[i];
    }
    if bc == 1 {
        du[0] = 0.0;
    }
}

#[differentiable(wrt(u, kappa))]
fn step_coded(u: &mut [f64], kappa: f64, h: f64, scheme: usize, bc: usize) {
    let n = u.len();
    let mut k1 = vec![0.0; n];
    heat_coded(&mut k1, u, kappa, bc);
    let mut mid = vec![0.0; n];
    let c = if scheme == 0 { 1.0 } else { 0.5 };
    for i in 0..n {
        mid[i] = u[i] + c * h * k1[i];
    }
    if scheme == 0 {
        u.copy_from_slice(&mid);
    } else {
        let mut k2 = vec![0.0; n];
        heat_coded(&mut k2, &mid, kappa, bc);
        let w = if scheme == 2 { 0.5 } else { 0.0 };
        for i in 0..n {
            u[i] += h * (w * k1[i] + (1.0 - w) * k2[i]);
        }
    }
}

#[differentiable]
fn run_coded(p: &[f64]) -> f64 {
    let n = p.len() - 1;
    let kappa = p[n];
    let mut u = p[..n].to_vec();
    step_coded(&mut u, kappa, 0.1, 0, 0);
    step_coded(&mut u, kappa, 0.1, 1, 1);
    step_coded(&mut u, kappa, 0.1, 2, 2);
    u.iter().map(|v| v * v).sum::<f64>()
}

/// A scheme chosen by a `match` that gives a value, from a `macro_rules!` macro.
macro_rules! weighted {
    ($name:ident) => {
        #[differentiable(wrt(x))]
        fn $name(x: f64, scheme: Scheme) -> f64 {
            let w = match scheme {
                Scheme::Euler => x.sin(),
                Scheme::Midpoint => x * x,
                Scheme::Heun => x.exp(),
            };
            w * x
        }
    };
}

weighted!(weighted_choice);

#[test]
fn schemes_and_boundaries_as_enums() {
    let s = scalar!(run, run_jvp, run_vjp);
    let p = [0.3, -0.5, 0.8, 0.2, 1.1, 0.4];
    prove(&s, &p, 90);
    let (mut ga, mut gb) = ([0.0; 6], [0.0; 6]);
    let va = run_vjp(&p, &mut ga, 1.0);
    let vb = run_coded_vjp(&p, &mut gb, 1.0);
    assert_eq!(va.to_bits(), vb.to_bits());
    assert_eq!(ga.map(f64::to_bits), gb.map(f64::to_bits));
}

#[test]
fn a_match_on_an_enum_gives_a_value() {
    for (k, scheme) in [Scheme::Euler, Scheme::Midpoint, Scheme::Heun]
        .into_iter()
        .enumerate()
    {
        common::check_scalar(
            "weighted_choice",
            &|x| weighted_choice(x, scheme),
            &|x, d| weighted_choice_jvp(x, d, scheme),
            &|x, b, s| weighted_choice_vjp(x, b, scheme, s),
            0.7,
            100 + k as u64,
        );
    }
}
