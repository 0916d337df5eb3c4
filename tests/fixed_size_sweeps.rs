//! Reverse sweeps of fixed-size data (issue 13): `[f64; N]` adjoints seen as arrays after one
//! entry check, scratch adjoints of inactive fixed arrays on the stack, stacks reserved from
//! loop trip counts (nested constant loops, a loop over a length). Checked three ways, and the
//! entry check names the argument.

mod common;

use common::{check, Case};
use tapeless::differentiable;

/// A step of a fixed-size state with an inactive fixed-size parameter array.
#[differentiable]
fn step(u: [f64; 4], p: &[f64]) -> [f64; 4] {
    let mut out = [0.0; 4];
    for i in 0..4 {
        out[i] = u[i] + 0.1 * (u[(i + 1) % 4] * u[(i + 3) % 4] - p[0] * u[i]).sin();
    }
    out
}

/// A window of steps: nested constant loops overwrite the state element by element (a stack
/// reserved once for 3 x 4 values), the scratch adjoint of `p` is an array.
#[allow(clippy::manual_memcpy)] // the element-by-element overwrite is what is tested
#[differentiable]
fn window(x0: [f64; 4]) -> f64 {
    let p = [0.7];
    let mut u = x0;
    let mut j = 0.0;
    for _k in 0..3 {
        let next: [f64; 4] = step(u, &p);
        for i in 0..4 {
            u[i] = next[i];
        }
        j += u[0] * u[0] + u[2] * u[3];
    }
    j
}

/// Overwrites through a loop over a length (the reserve evaluated at run time).
#[differentiable]
fn smooth(x: &mut [f64], r: [f64; 3]) -> f64 {
    let mut s = 0.0;
    for _sweep in 0..2 {
        for i in 0..x.len() {
            x[i] = (x[i] * r[i % 3]).tanh() + 0.5 * x[i];
            s += x[i] * r[0];
        }
    }
    s
}

/// A loop over the length of a local declared inside the outer loop: its trip count cannot be
/// reserved before the outer loop, where the local is not in scope (found by the random programs
/// at their second seed: the generated reserve named `w` outside its scope, E0425).
#[differentiable]
fn inner_local(b: f64, x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..3 {
        let w = [x[i % n] * b, x[n - 1].min(b + x[n - 1]), 0.5];
        let p = w
            .iter()
            .map(|&v| 1.0 + 0.2 * (v * b).tanh())
            .product::<f64>();
        s += p * x[(i + 1) % n];
    }
    s
}

#[test]
fn a_loop_over_a_local_declared_in_an_outer_loop_three_ways() {
    check(
        &Case {
            name: "inner_local",
            inputs: 4,
            outputs: 1,
            f: &|x| vec![inner_local(x[0], &x[1..])],
            jvp: &|x, d| {
                let (v, t) = inner_local_jvp(x[0], d[0], &x[1..], &d[1..]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let (b_bar, x_bar) = g.split_at_mut(1);
                let v = inner_local_vjp(x[0], &mut b_bar[0], &x[1..], x_bar, w[0]);
                (vec![v], g)
            },
        },
        &[0.7, 0.3, -0.8, 1.1],
        19,
    );
}

/// A loop over the length of a fixed-size local declared in a branch: its adjoint is `[0; N]`
/// and its reverse loop runs to `N` (found by the random programs: the reverse loop read
/// `y.len()` in the reverse branch, where `y` is not in scope, E0425).
#[differentiable]
fn branch_local(z: [f64; 3], b: f64, k: usize) -> f64 {
    let mut r = b * 2.0;
    if k % 3 == 1 {
        let mut y = [z[0] * b, b.sin(), z[k % 3].sinh()];
        for e in y.iter_mut() {
            *e = 0.75 * z[(k + 2) % 3] - *e * b;
        }
        r += y[1] * y[2];
    }
    r * b
}

#[test]
fn a_loop_over_a_fixed_size_local_of_a_branch_three_ways() {
    for k in [1, 2] {
        check(
            &Case {
                name: "branch_local",
                inputs: 4,
                outputs: 1,
                f: &|x| vec![branch_local(x[..3].try_into().unwrap(), x[3], k)],
                jvp: &|x, d| {
                    let z = x[..3].try_into().unwrap();
                    let z_dot = d[..3].try_into().unwrap();
                    let (v, t) = branch_local_jvp(z, z_dot, x[3], d[3], k);
                    (vec![v], vec![t])
                },
                vjp: &|x, w| {
                    let mut g = vec![0.0; 4];
                    let (z_bar, b_bar) = g.split_at_mut(3);
                    let z = x[..3].try_into().unwrap();
                    let v = branch_local_vjp(z, z_bar, x[3], &mut b_bar[0], k, w[0]);
                    (vec![v], g)
                },
            },
            &[0.3, -0.8, 1.1, 0.7],
            23,
        );
    }
}

#[test]
fn fixed_size_window_three_ways() {
    check(
        &Case {
            name: "window",
            inputs: 4,
            outputs: 1,
            f: &|x| vec![window(x.try_into().unwrap())],
            jvp: &|x, d| {
                let (v, t) = window_jvp(x.try_into().unwrap(), d.try_into().unwrap());
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 4];
                let v = window_vjp(x.try_into().unwrap(), &mut g[..], w[0]);
                (vec![v], g)
            },
        },
        &[0.3, -0.8, 1.1, 0.4],
        13,
    );
}

#[test]
fn overwrites_over_a_length_three_ways() {
    let x = [0.3, -0.8, 1.1, 0.4, 0.9];
    check(
        &Case {
            name: "smooth",
            inputs: 8,
            outputs: 6,
            f: &|x| {
                let mut u = x[..5].to_vec();
                let s = smooth(&mut u, x[5..].try_into().unwrap());
                let mut out = u;
                out.push(s);
                out
            },
            jvp: &|x, d| {
                let (mut u, mut u_dot) = (x[..5].to_vec(), d[..5].to_vec());
                let r = x[5..].try_into().unwrap();
                let r_dot = d[5..].try_into().unwrap();
                let (s, s_dot) = smooth_jvp(&mut u, &mut u_dot, r, r_dot);
                u.push(s);
                u_dot.push(s_dot);
                (u, u_dot)
            },
            vjp: &|x, w| {
                let mut u = x[..5].to_vec();
                let mut g = w[..5].to_vec();
                let mut r_bar = [0.0; 3];
                let r = x[5..].try_into().unwrap();
                let s = smooth_vjp(&mut u, &mut g, r, &mut r_bar[..], w[5]);
                u.push(s);
                g.extend_from_slice(&r_bar);
                (u, g)
            },
        },
        &[x[0], x[1], x[2], x[3], x[4], 0.8, -1.3, 0.6],
        17,
    );
}

#[test]
fn the_hessian_vector_product_of_a_fixed_size_window_is_symmetric() {
    use tapeless::Dual;
    type D = Dual<f64, 1>;
    let x = [0.3, -0.8, 1.1, 0.4];
    let hv = |v: [f64; 4]| {
        let xd: [D; 4] = std::array::from_fn(|i| D::new(x[i], [v[i]]));
        let mut g = [D::constant(0.0); 4];
        window_vjp(xd, &mut g[..], D::constant(1.0));
        g.map(|gi| gi.tangents[0])
    };
    let (a, b) = ([1.0, 0.5, -0.3, 0.2], [-0.4, 0.9, 0.1, 0.7]);
    let (ha, hb) = (hv(a), hv(b));
    let dot = |p: [f64; 4], q: [f64; 4]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(b, ha), dot(a, hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()),
        "H not symmetric: {l} vs {r}"
    );
}

#[test]
#[should_panic(expected = "window_vjp: `x0_bar` has length 3 but `x0` has length 4")]
fn fixed_size_adjoints_of_the_wrong_length_are_named_at_the_call() {
    let mut g = [0.0; 3];
    window_vjp([0.1, 0.2, 0.3, 0.4], &mut g[..], 1.0);
}
