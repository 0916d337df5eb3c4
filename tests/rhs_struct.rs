//! `#[differentiable(rhs = Name)]` on a right-hand side with a parameter struct and data:
//! `fn l63(du, u, p: &Params, t, forcing: &[f64], damped: bool)` gives a struct holding the
//! parameter struct and the data whose `ode::Rhs` parameters are the struct's reals in field
//! order. Checked three ways at the trait (finite differences, the dot-product test, tangent
//! against adjoint), through the integrators against a hand-written flat right-hand side (to
//! rounding), the integrators' gradient against their tangent (dot product) and central
//! differences, and a Hessian-vector product at dual numbers.

mod common;

use common::{assert_close, check, Case, Draws};
use tapeless::ode::{
    self, OdeProblem, Rhs, RhsJvp, RhsVjp, SaveAt, SavedStateLoss, SolveOptions, Tableau,
};
use tapeless::{differentiable, Dual, Real, Struct, UserError};

/// Lorenz-63's parameters, with an integer and an array of reals among them.
#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Params {
    sigma: f64,
    rho: f64,
    beta: f64,
    /// How many components the forcing drives (not a real: kept from the template).
    driven: usize,
    coupling: [f64; 2],
}

#[differentiable(rhs = L63)]
fn l63(du: &mut [f64], u: &[f64], p: &Params, t: f64, forcing: &[f64], damped: bool) {
    let result = p.rho - u[2];
    du[0] = p.sigma * (u[1] - u[0]) + p.coupling[0] * (0.3 * t).sin();
    du[1] = u[0] * result - u[1] + p.coupling[1] * u[2];
    du[2] = u[0] * u[1] - p.beta * u[2];
    for k in 0..p.driven {
        du[k] += forcing[k];
    }
    if damped {
        du[2] -= 0.1 * u[2];
    }
}

/// Without data: the struct holds only the parameter struct.
#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: &[f64], q: &Rates, _t: f64) {
    for i in 0..u.len() {
        du[i] = -q.k * u[i] + q.c;
    }
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Rates {
    k: f64,
    c: f64,
}

/// The same right-hand side written by hand with flat parameters
/// `(sigma, rho, beta, c0, c1)`, `driven = 2`, `damped = true`.
struct Flat<'a> {
    forcing: &'a [f64],
}

impl Rhs for Flat<'_> {
    fn eval<S: Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S) {
        let f = |v: f64| S::from_f64(v);
        du[0] = p[0] * (u[1] - u[0]) + p[3] * (f(0.3) * t).sin();
        du[1] = u[0] * (p[1] - u[2]) - u[1] + p[4] * u[2];
        du[2] = u[0] * u[1] - p[2] * u[2];
        for (d, &g) in du.iter_mut().zip(self.forcing).take(2) {
            *d += f(g);
        }
        du[2] -= f(0.1) * u[2];
    }
}

impl RhsVjp for Flat<'_> {
    fn vjp<S: Real>(
        &self,
        (du, du_bar): (&mut [S], &mut [S]),
        (u, u_bar): (&[S], &mut [S]),
        (p, p_bar): (&[S], &mut [S]),
        t: S,
    ) {
        self.eval(du, u, p, t);
        let (a, b, c) = (du_bar[0], du_bar[1], du_bar[2]);
        let f = |v: f64| S::from_f64(v);
        p_bar[0] += a * (u[1] - u[0]);
        p_bar[3] += a * (f(0.3) * t).sin();
        u_bar[0] -= a * p[0];
        u_bar[1] += a * p[0];
        p_bar[1] += b * u[0];
        u_bar[0] += b * (p[1] - u[2]) + c * u[1];
        u_bar[2] += -b * u[0] + b * p[4] - c * p[2] - c * f(0.1);
        u_bar[1] += -b + c * u[0];
        p_bar[4] += b * u[2];
        p_bar[2] -= c * u[2];
        for v in du_bar.iter_mut() {
            *v = S::zero();
        }
    }
}

/// `J = sum_k sum_i 0.5 (k + 1) (u_i - 0.1 i)^2` over the saved states.
struct Misfit;

impl SavedStateLoss for Misfit {
    fn value_and_gradient<S: Real>(
        &self,
        k: usize,
        _t: f64,
        u: &[S],
        u_bar: &mut [S],
    ) -> Result<S, UserError> {
        let w = S::from_f64(k as f64 + 1.0);
        let mut j = S::zero();
        for i in 0..u.len() {
            let d = u[i] - S::from_f64(0.1 * i as f64);
            j += S::from_f64(0.5) * w * d * d;
            u_bar[i] += w * d;
        }
        Ok(j)
    }
}

const FORCING: [f64; 3] = [0.4, -0.25, 9.0];

fn params() -> Params {
    Params {
        sigma: 10.0,
        rho: 28.0,
        beta: 8.0 / 3.0,
        driven: 2,
        coupling: [0.2, -0.15],
    }
}

fn model() -> L63<'static> {
    L63 {
        p: params(),
        forcing: &FORCING,
        damped: true,
    }
}

fn options() -> SolveOptions {
    SolveOptions::fixed(Tableau::rk4(), 0.01).saveat(SaveAt::Times(vec![0.1, 0.2, 0.3]))
}

#[test]
fn the_struct_is_an_rhs_differentiated_three_ways() {
    let m = model();
    assert_eq!(m.dims().parameters, ode::Length::Exactly(5));
    let f = |x: &[f64]| {
        let mut du = vec![0.0; 3];
        m.eval(&mut du, &x[..3], &x[3..], 0.7);
        du
    };
    let case = Case {
        name: "L63 (a parameter struct and data) as Rhs",
        inputs: 8,
        outputs: 3,
        f: &f,
        jvp: &|x, d| {
            let (mut du, mut du_dot) = (vec![0.0; 3], vec![0.0; 3]);
            m.jvp(
                (&mut du, &mut du_dot),
                (&x[..3], &d[..3]),
                (&x[3..], &d[3..]),
                0.7,
            );
            (du, du_dot)
        },
        vjp: &|x, w| {
            let (mut du, mut du_bar) = (vec![0.0; 3], w.to_vec());
            let mut g = vec![0.0; 8];
            let (ub, pb) = g.split_at_mut(3);
            m.vjp((&mut du, &mut du_bar), (&x[..3], ub), (&x[3..], pb), 0.7);
            assert!(du_bar.iter().all(|&v| v == 0.0), "du_bar left zero");
            (f(x), g)
        },
    };
    let mut x = vec![1.0, -2.0, 20.0];
    x.extend(params().to_reals());
    check(&case, &x, 61);
    // The user's function, the struct's `eval` and the flat hand-written one agree.
    let mut a = [0.0; 3];
    l63(&mut a, &x[..3], &params(), 0.7, &FORCING, true);
    assert_eq!(a.to_vec(), f(&x));
    let mut b = [0.0; 3];
    Flat { forcing: &FORCING }.eval(&mut b, &x[..3], &x[3..], 0.7);
    for k in 0..3 {
        assert_close(a[k], b[k], 1e-15, "eval against the flat right-hand side");
    }
}

#[test]
fn integrator_gradient_equals_the_hand_written_flat_rhs() {
    let u0 = [1.0, -2.0, 20.0];
    let p = params().to_reals();
    let m = model();
    let flat = Flat { forcing: &FORCING };
    let g = ode::gradient(
        &OdeProblem::new(&m, &u0, &p, (0.0, 0.3)),
        &options(),
        &Misfit,
    )
    .expect("integrates");
    let h = ode::gradient(
        &OdeProblem::new(&flat, &u0, &p, (0.0, 0.3)),
        &options(),
        &Misfit,
    )
    .expect("integrates");
    assert_close(g.value, h.value, 1e-13, "J");
    for (a, b) in g.u0_bar.iter().zip(&h.u0_bar) {
        assert_close(*a, *b, 1e-12, "dJ/du0");
    }
    for (a, b) in g.p_bar.iter().zip(&h.p_bar) {
        assert_close(*a, *b, 1e-12, "dJ/dp");
    }
    // The gradient as the parameter struct's shape.
    let mut p_bar = params().zero_like();
    p_bar.set_reals(&g.p_bar).expect("five reals");
    assert_eq!(p_bar.coupling[1], g.p_bar[4]);
    // Dot product with the integrators' tangent, and central differences.
    let mut draws = Draws::new(62);
    for _ in 0..3 {
        let (du0, dp) = (draws.vec(3), draws.vec(5));
        let t = ode::tangent(
            &OdeProblem::new(&m, &u0, &p, (0.0, 0.3)),
            &options(),
            &Misfit,
            &du0,
            &dp,
        )
        .expect("integrates");
        let adjoint: f64 = g.u0_bar.iter().zip(&du0).map(|(a, b)| a * b).sum::<f64>()
            + g.p_bar.iter().zip(&dp).map(|(a, b)| a * b).sum::<f64>();
        assert_close(t.derivative, adjoint, 1e-12, "dot product");
        let loss = |e: f64| {
            let u: Vec<f64> = u0.iter().zip(&du0).map(|(a, b)| a + e * b).collect();
            let q: Vec<f64> = p.iter().zip(&dp).map(|(a, b)| a + e * b).collect();
            ode::gradient(
                &OdeProblem::new(&m, &u, &q, (0.0, 0.3)),
                &options(),
                &Misfit,
            )
            .expect("integrates")
            .value
        };
        let fd = (loss(1e-6) - loss(-1e-6)) / 2e-6;
        assert_close(fd, adjoint, 1e-6, "central differences");
    }
}

#[test]
fn hessian_vector_product_through_the_integrator_at_dual_numbers() {
    let u0 = [1.0, -2.0, 20.0];
    let p = params().to_reals();
    let m = model();
    let mut draws = Draws::new(63);
    let v = draws.vec(8);
    let ud: Vec<Dual<f64, 1>> = (0..3).map(|i| Dual::new(u0[i], [v[i]])).collect();
    let pd: Vec<Dual<f64, 1>> = (0..5).map(|i| Dual::new(p[i], [v[3 + i]])).collect();
    let g = ode::gradient(
        &OdeProblem::new(&m, &ud, &pd, (0.0, 0.3)),
        &options(),
        &Misfit,
    )
    .expect("integrates");
    let hv: Vec<f64> = g
        .u0_bar
        .iter()
        .chain(&g.p_bar)
        .map(|d| d.tangents[0])
        .collect();
    // Against differences of gradients along v.
    let grad = |e: f64| {
        let u: Vec<f64> = (0..3).map(|i| u0[i] + e * v[i]).collect();
        let q: Vec<f64> = (0..5).map(|i| p[i] + e * v[3 + i]).collect();
        let g = ode::gradient(
            &OdeProblem::new(&m, &u, &q, (0.0, 0.3)),
            &options(),
            &Misfit,
        )
        .expect("integrates");
        [g.u0_bar, g.p_bar].concat()
    };
    let (a, b) = (grad(1e-5), grad(-1e-5));
    let scale = hv.iter().fold(0.0f64, |s, h| s.max(h.abs()));
    for k in 0..8 {
        let fd = (a[k] - b[k]) / 2e-5;
        assert!(
            (fd - hv[k]).abs() <= 1e-5 * scale,
            "(H v)[{k}] = {} but differences of gradients give {fd}",
            hv[k]
        );
    }
    // Symmetry: w . H v = v . H w.
    let w = draws.vec(8);
    let hw = {
        let ud: Vec<Dual<f64, 1>> = (0..3).map(|i| Dual::new(u0[i], [w[i]])).collect();
        let pd: Vec<Dual<f64, 1>> = (0..5).map(|i| Dual::new(p[i], [w[3 + i]])).collect();
        let g = ode::gradient(
            &OdeProblem::new(&m, &ud, &pd, (0.0, 0.3)),
            &options(),
            &Misfit,
        )
        .expect("integrates");
        g.u0_bar
            .iter()
            .chain(&g.p_bar)
            .map(|d| d.tangents[0])
            .collect::<Vec<f64>>()
    };
    let whv: f64 = w.iter().zip(&hv).map(|(a, b)| a * b).sum();
    let vhw: f64 = v.iter().zip(&hw).map(|(a, b)| a * b).sum();
    assert_close(whv, vhw, 1e-12, "w . H v = v . H w");
}

#[test]
fn a_parameter_struct_without_data() {
    let m = Decay {
        q: Rates { k: 0.5, c: 0.1 },
    };
    let f = |x: &[f64]| {
        let mut du = vec![0.0; 2];
        m.eval(&mut du, &x[..2], &x[2..], 0.0);
        du
    };
    let case = Case {
        name: "Decay (a parameter struct, no data) as Rhs",
        inputs: 4,
        outputs: 2,
        f: &f,
        jvp: &|x, d| {
            let (mut du, mut du_dot) = (vec![0.0; 2], vec![0.0; 2]);
            m.jvp(
                (&mut du, &mut du_dot),
                (&x[..2], &d[..2]),
                (&x[2..], &d[2..]),
                0.0,
            );
            (du, du_dot)
        },
        vjp: &|x, w| {
            let (mut du, mut du_bar) = (vec![0.0; 2], w.to_vec());
            let mut g = vec![0.0; 4];
            let (ub, pb) = g.split_at_mut(2);
            m.vjp((&mut du, &mut du_bar), (&x[..2], ub), (&x[2..], pb), 0.0);
            (f(x), g)
        },
    };
    check(&case, &[1.5, -0.5, 0.5, 0.1], 64);
    // d(-k u0 + c)/dk = -u0, accumulated into p_bar.
    let (mut du, mut du_bar, mut u_bar, mut p_bar) = ([0.0; 2], [1.0, 0.0], [0.0; 2], [1.0, 0.0]);
    m.vjp(
        (&mut du, &mut du_bar),
        (&[1.5, -0.5], &mut u_bar),
        (&[0.5, 0.1], &mut p_bar),
        0.0,
    );
    assert_eq!(p_bar, [1.0 - 1.5, 1.0], "accumulated, not overwritten");
}
