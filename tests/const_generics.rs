//! Functions generic over their lengths, `fn l96<const N: usize>(x: &[f64; N], ..)`: every
//! companion carries the const parameter after its scalar, callers pass it (`rk4::<40>(..)`,
//! `rk4::<N>(..)` from a caller generic over its own length) or let rustc infer it. Each is
//! checked three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint), the scalar costs also by H v at `Dual` against differences of gradients, and the
//! values and derivatives are bit for bit those of the same functions written at the literal
//! length.

use tapeless::{differentiable, Dual};

mod common;

use common::fixed::hessian_and_gradient;
use common::{check, Case};

type D = Dual<f64, 1>;

/// Lorenz-96 at any length: a periodic stencil over `0..N` (the gather adjoint at a const
/// length, golden `const_generic_stencil`).
#[differentiable]
fn l96<const N: usize>(x: &[f64; N], f: f64) -> [f64; N] {
    let mut d = [0.0; N];
    for i in 0..N {
        d[i] = (x[(i + 1) % N] - x[(i + N - 2) % N]) * x[(i + N - 1) % N] - x[i] + f;
    }
    d
}

/// RK4 of `l96`, whose length is inferred from the arguments or passed on, `l96::<N>`.
#[differentiable]
fn rk4<const N: usize>(x: &[f64; N], f: f64, dt: f64) -> [f64; N] {
    let k1 = l96(x, f);
    let mut s = [0.0; N];
    for i in 0..N {
        s[i] = x[i] + 0.5 * dt * k1[i];
    }
    let k2 = l96(&s, f);
    for i in 0..N {
        s[i] = x[i] + 0.5 * dt * k2[i];
    }
    let k3 = l96::<N>(&s, f);
    for i in 0..N {
        s[i] = x[i] + dt * k3[i];
    }
    let k4: [f64; N] = l96(&s, f);
    let mut out = [0.0; N];
    for i in 0..N {
        out[i] = x[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    out
}

/// A 4D-Var cost generic over the length: `rk4::<N>` named, `rk4(..)` inferred, data `obs`
/// of the same length, `N as f64`.
#[differentiable(wrt(x0))]
fn cost_n<const N: usize>(x0: &[f64; N], obs: &[f64; N], f: f64) -> f64 {
    let mut u = rk4::<N>(x0, f, 0.01);
    let mut j = 0.0;
    for _k in 0..3 {
        u = rk4(&u, f, 0.01);
        for i in 0..N {
            j += (u[i] - obs[i]).powi(2) / N as f64;
        }
    }
    j
}

/// The same cost at a literal length, calling `rk4::<40>` and `rk4` inferred.
#[differentiable(wrt(x0))]
fn cost40(x0: &[f64; 40], obs: &[f64; 40], f: f64) -> f64 {
    let mut u = rk4::<40>(x0, f, 0.01);
    let mut j = 0.0;
    for _k in 0..3 {
        u = rk4(&u, f, 0.01);
        for i in 0..40 {
            j += (u[i] - obs[i]).powi(2) / 40.0;
        }
    }
    j
}

/// `l96` written at the literal length, as a user writes it without const generics.
#[differentiable]
fn l96_lit(x: &[f64; 40], f: f64) -> [f64; 40] {
    let n = 40;
    let mut d = [0.0; 40];
    for i in 0..n {
        d[i] = (x[(i + 1) % n] - x[(i + n - 2) % n]) * x[(i + n - 1) % n] - x[i] + f;
    }
    d
}

#[differentiable]
fn rk4_lit(x: &[f64; 40], f: f64, dt: f64) -> [f64; 40] {
    let k1 = l96_lit(x, f);
    let mut s = [0.0; 40];
    for i in 0..40 {
        s[i] = x[i] + 0.5 * dt * k1[i];
    }
    let k2 = l96_lit(&s, f);
    for i in 0..40 {
        s[i] = x[i] + 0.5 * dt * k2[i];
    }
    let k3 = l96_lit(&s, f);
    for i in 0..40 {
        s[i] = x[i] + dt * k3[i];
    }
    let k4 = l96_lit(&s, f);
    let mut out = [0.0; 40];
    for i in 0..40 {
        out[i] = x[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }
    out
}

#[differentiable(wrt(x0))]
fn cost_lit(x0: &[f64; 40], obs: &[f64; 40], f: f64) -> f64 {
    let mut u = rk4_lit(x0, f, 0.01);
    let mut j = 0.0;
    for _k in 0..3 {
        u = rk4_lit(&u, f, 0.01);
        for i in 0..40 {
            j += (u[i] - obs[i]).powi(2) / 40.0;
        }
    }
    j
}

fn state<const N: usize>() -> [f64; N] {
    std::array::from_fn(|i| 8.0 * (0.3 * i as f64).sin() + 0.1)
}

fn obs<const N: usize>() -> [f64; N] {
    std::array::from_fn(|i| 7.0 * (0.7 * i as f64 + 0.2).cos())
}

/// `l96::<N>` and its companions on flat vectors `[x.., f]`.
fn l96_case<const N: usize>(name: &str, seed: u64) {
    check(
        &Case {
            name,
            inputs: N + 1,
            outputs: N,
            f: &|x| l96::<N>(x[..N].try_into().unwrap(), x[N]).to_vec(),
            jvp: &|x, d| {
                let (v, t) = l96_jvp::<f64, N>(x[..N].try_into().unwrap(), &d[..N], x[N], d[N]);
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N + 1];
                let (gx, gf) = g.split_at_mut(N);
                let v = l96_vjp::<f64, N>(x[..N].try_into().unwrap(), gx, x[N], &mut gf[0], w);
                (v.to_vec(), g)
            },
        },
        &[state::<N>().as_slice(), &[8.0]].concat(),
        seed,
    );
}

#[test]
fn lorenz96_at_const_lengths_three_ways() {
    l96_case::<4>("l96::<4>", 1);
    l96_case::<5>("l96::<5>", 2);
    l96_case::<40>("l96::<40>", 3);
}

/// `rk4::<N>` (its stages' lengths inferred and passed on) on flat vectors `[x.., f]`.
fn rk4_case<const N: usize>(name: &str, seed: u64) {
    check(
        &Case {
            name,
            inputs: N + 1,
            outputs: N,
            f: &|x| rk4::<N>(x[..N].try_into().unwrap(), x[N], 0.05).to_vec(),
            jvp: &|x, d| {
                let (v, t) =
                    rk4_jvp::<f64, N>(x[..N].try_into().unwrap(), &d[..N], x[N], d[N], 0.05, 0.0);
                (v.to_vec(), t.to_vec())
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N + 1];
                let (gx, gf) = g.split_at_mut(N);
                let mut dt_bar = 0.0;
                let v = rk4_vjp::<f64, N>(
                    x[..N].try_into().unwrap(),
                    gx,
                    x[N],
                    &mut gf[0],
                    0.05,
                    &mut dt_bar,
                    w,
                );
                (v.to_vec(), g)
            },
        },
        &[state::<N>().as_slice(), &[8.0]].concat(),
        seed,
    );
}

#[test]
fn rk4_calling_lorenz96_at_const_lengths_three_ways() {
    rk4_case::<4>("rk4::<4>", 4);
    rk4_case::<40>("rk4::<40>", 5);
}

/// A cost's `_jvp` companion: `(value, tangent)` of `(x0, x0_dot, obs, f)`.
type CostJvp<const N: usize> = fn(&[f64; N], &[f64], &[f64; N], f64) -> (f64, f64);
/// A cost's `_vjp` companion, accumulating into `x0_bar`: `(x0, x0_bar, obs, f, y_bar)`.
type CostVjp<const N: usize> = fn(&[f64; N], &mut [f64], &[f64; N], f64, f64) -> f64;

/// A scalar cost of `x0` through its companions on flat vectors.
fn cost_case<const N: usize>(
    name: &str,
    cost: fn(&[f64; N], &[f64; N], f64) -> f64,
    jvp: CostJvp<N>,
    vjp: CostVjp<N>,
    seed: u64,
) {
    let o = obs::<N>();
    check(
        &Case {
            name,
            inputs: N,
            outputs: 1,
            f: &|x| vec![cost(x.try_into().unwrap(), &o, 8.0)],
            jvp: &|x, d| {
                let (v, t) = jvp(x.try_into().unwrap(), d, &o, 8.0);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; N];
                let v = vjp(x.try_into().unwrap(), &mut g, &o, 8.0, w[0]);
                (vec![v], g)
            },
        },
        &state::<N>(),
        seed,
    );
}

#[test]
fn costs_through_const_generic_callees_three_ways() {
    cost_case::<4>("cost_n::<4>", cost_n, cost_n_jvp, cost_n_vjp, 6);
    cost_case::<40>("cost_n::<40>", cost_n, cost_n_jvp, cost_n_vjp, 7);
    cost_case::<40>("cost40", cost40, cost40_jvp, cost40_vjp, 8);
}

#[test]
fn the_hessian_vector_product_at_a_const_length_equals_differences_of_gradients() {
    let o = obs::<4>();
    let x = state::<4>();
    let grad = |x: [f64; 4]| {
        let mut g = [0.0; 4];
        cost_n_vjp(&x, &mut g[..], &o, 8.0, 1.0);
        g
    };
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        cost_n_vjp::<D, 4>(&xd, &mut g[..], &o, 8.0, D::constant(1.0));
        assert_eq!(g.map(|gi| gi.value), grad(x));
        g.map(|gi| gi.tangents[0])
    };
    hessian_and_gradient(x, &|x| cost_n(&x, &o, 8.0), &grad, &hv);
}

/// The same bits as the functions written at the literal length: values, tangents and
/// adjoints, at `f64` and at `Dual`.
#[test]
fn const_length_companions_are_bitwise_the_literal_length_ones() {
    let (x, o) = (state::<40>(), obs::<40>());
    let d: [f64; 40] = std::array::from_fn(|i| (0.9 * i as f64).cos());
    let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&l96::<40>(&x, 8.0)), bits(&l96_lit(&x, 8.0)));
    let (a, b) = (l96_jvp(&x, &d, 8.0, 0.5), l96_lit_jvp(&x, &d, 8.0, 0.5));
    assert_eq!((bits(&a.0), bits(&a.1)), (bits(&b.0), bits(&b.1)));
    let (mut ga, mut gb) = ([0.0; 40], [0.0; 40]);
    let (mut fa, mut fb) = (0.0, 0.0);
    l96_vjp(&x, &mut ga[..], 8.0, &mut fa, &d);
    l96_lit_vjp(&x, &mut gb[..], 8.0, &mut fb, &d);
    assert_eq!((bits(&ga), fa.to_bits()), (bits(&gb), fb.to_bits()));
    assert_eq!(
        bits(&rk4::<40>(&x, 8.0, 0.01)),
        bits(&rk4_lit(&x, 8.0, 0.01))
    );
    for (name, g) in [
        ("cost_n::<40>", cost_n_grad(&x, &o, 8.0)),
        ("cost40", cost40_grad(&x, &o, 8.0)),
    ] {
        let lit = cost_lit_grad(&x, &o, 8.0);
        assert_eq!(g.0.to_bits(), lit.0.to_bits(), "{name}");
        assert_eq!(bits(&g.1), bits(&lit.1), "{name}");
    }
    let xd: [D; 40] = std::array::from_fn(|i| D::new(x[i], [d[i]]));
    let (mut ha, mut hb) = ([D::constant(0.0); 40], [D::constant(0.0); 40]);
    cost_n_vjp::<D, 40>(&xd, &mut ha[..], &o, 8.0, D::constant(1.0));
    cost_lit_vjp::<D>(&xd, &mut hb[..], &o, 8.0, D::constant(1.0));
    let dual_bits = |g: [D; 40]| g.map(|v| (v.value.to_bits(), v.tangents[0].to_bits()));
    assert_eq!(dual_bits(ha), dual_bits(hb));
}

/// A slice callee: a `[f64; N]` argument coerces as a literal-length array does.
#[differentiable]
fn sum_sq(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

/// In place at a const length: `&mut [f64; N]` written by an Euler step.
#[differentiable]
fn euler<const N: usize>(u: &mut [f64; N], f: f64, dt: f64) {
    let k = l96(u, f);
    for i in 0..N {
        u[i] += dt * k[i];
    }
}

/// Calls of the in-place step, named and inferred, and of a slice callee.
#[differentiable(wrt(x0, f))]
fn euler_cost<const N: usize>(x0: &[f64; N], f: f64) -> f64 {
    let mut u = [0.0; N];
    u.copy_from_slice(x0);
    euler::<N>(&mut u, f, 0.02);
    euler(&mut u, f, 0.02);
    sum_sq(&u) + u[N - 1] * f
}

#[test]
fn in_place_steps_at_a_const_length_three_ways() {
    let x: Vec<f64> = [state::<6>().as_slice(), &[8.0]].concat();
    check(
        &Case {
            name: "euler_cost::<6>",
            inputs: 7,
            outputs: 1,
            f: &|x| vec![euler_cost::<6>(x[..6].try_into().unwrap(), x[6])],
            jvp: &|x, d| {
                let (v, t) =
                    euler_cost_jvp::<f64, 6>(x[..6].try_into().unwrap(), &d[..6], x[6], d[6]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 7];
                let (gx, gf) = g.split_at_mut(6);
                let v = euler_cost_vjp::<f64, 6>(
                    x[..6].try_into().unwrap(),
                    gx,
                    x[6],
                    &mut gf[0],
                    w[0],
                );
                (vec![v], g)
            },
        },
        &x,
        9,
    );
}

/// A caller of a callee with data parameters (`obs`, `f`: its path companions take them as
/// callers send them, `impl OutsideWrt` adjoints), with the length named and inferred: a local
/// array computed from the data, and the caller's own `obs` passed on whole (once a rustc type
/// error in generated code, `&[f64; N]` data sent as a data slice).
#[differentiable(wrt(x0))]
fn two_costs<const N: usize>(x0: &[f64; N], obs: &[f64; N]) -> f64 {
    let mut o = [0.0; N];
    for i in 0..N {
        o[i] = 0.5 * obs[(i + 1) % N];
    }
    cost_n::<N>(x0, &o, 8.0) + 0.5 * cost_n(x0, &o, 7.5) + cost_n(x0, obs, 0.25)
}

#[test]
fn a_caller_of_a_callee_with_data_at_a_const_length_three_ways() {
    let o = obs::<4>();
    check(
        &Case {
            name: "two_costs::<4>",
            inputs: 4,
            outputs: 1,
            f: &|x| vec![two_costs::<4>(x.try_into().unwrap(), &o)],
            jvp: &|x, d| {
                let (v, t) = two_costs_jvp::<f64, 4>(x.try_into().unwrap(), d, &o);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let v = two_costs_vjp::<f64, 4>(x.try_into().unwrap(), &mut g, &o, w[0]);
                (vec![v], g)
            },
        },
        &state::<4>(),
        10,
    );
}
