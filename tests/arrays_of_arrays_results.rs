//! Arrays of arrays of reals returned: `-> Vec<[f64; 3]>` and `-> [[f64; 3]; N]`, their
//! companions returning the nested shape at the scalar (`_jvp` the value and tangent rows,
//! `_vjp` taking `result_bar: &[[S; 3]]`), and bound by callers, `let f = forces_of(pos);`
//! (its type inferred from `f[k][j]` or `for p in &f { p[j] }`) or `let a: [[f64; 3]; N] =
//! ..`. Each is proved three ways (central differences, the dot-product test, tangent against
//! adjoint) with forward-over-reverse Hessian-vector products, and equal to the bit to the same
//! program written flat.

mod common;

use common::rows::{nest, prove, D};
use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

const N: usize = 4;

/// Softened pairwise attractions of particles at `pos`, returned.
#[differentiable(wrt(pos))]
fn forces_of(pos: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut f = vec![[0.0; 3]; pos.len()];
    for i in 0..pos.len() {
        for j in 0..pos.len() {
            if j != i {
                let mut r2 = 0.1;
                for c in 0..3 {
                    r2 += (pos[i][c] - pos[j][c]).powi(2);
                }
                let s = 1.0 / (r2 * r2.sqrt());
                for c in 0..3 {
                    f[i][c] += (pos[j][c] - pos[i][c]) * s;
                }
            }
        }
    }
    f
}

/// The same forces written flat.
#[differentiable(wrt(pos))]
fn forces_of_flat(pos: &[f64]) -> Vec<f64> {
    let mut f = vec![0.0; pos.len()];
    for i in 0..pos.len() / 3 {
        for j in 0..pos.len() / 3 {
            if j != i {
                let mut r2 = 0.1;
                for c in 0..3 {
                    r2 += (pos[3 * i + c] - pos[3 * j + c]).powi(2);
                }
                let s = 1.0 / (r2 * r2.sqrt());
                for c in 0..3 {
                    f[3 * i + c] += (pos[3 * j + c] - pos[3 * i + c]) * s;
                }
            }
        }
    }
    f
}

/// Accelerations of a fixed number of particles of mass `m`: a fixed-size result.
#[differentiable(wrt(pos, m))]
fn accelerations(pos: &[[f64; 3]; N], m: f64) -> [[f64; 3]; N] {
    let mut a = [[0.0; 3]; N];
    for i in 0..N {
        for c in 0..3 {
            a[i][c] = pos[i][c].sin() * pos[(i + 1) % N][(c + 2) % 3] / m;
        }
    }
    a
}

/// The same accelerations written flat.
#[differentiable(wrt(pos, m))]
fn accelerations_flat(pos: &[f64; 3 * N], m: f64) -> [f64; 3 * N] {
    let mut a = [0.0; 3 * N];
    for i in 0..N {
        for c in 0..3 {
            a[3 * i + c] = pos[3 * i + c].sin() * pos[3 * ((i + 1) % N) + (c + 2) % 3] / m;
        }
    }
    a
}

/// An explicit midpoint step of `x' = forces(x)` returning the new positions: results bound
/// without their type, read `k1[i][c]`, and passed on.
#[differentiable(wrt(x, h))]
fn midpoint(x: &[[f64; 3]], h: f64) -> Vec<[f64; 3]> {
    let k1 = forces_of(x);
    let mut half = vec![[0.0; 3]; x.len()];
    for i in 0..x.len() {
        for c in 0..3 {
            half[i][c] = x[i][c] + 0.5 * h * k1[i][c];
        }
    }
    let k2 = forces_of(&half);
    let mut y = vec![[0.0; 3]; x.len()];
    for i in 0..x.len() {
        for c in 0..3 {
            y[i][c] = x[i][c] + h * k2[i][c];
        }
    }
    y
}

/// The same step written flat.
#[differentiable(wrt(x, h))]
fn midpoint_flat(x: &[f64], h: f64) -> Vec<f64> {
    let k1: Vec<f64> = forces_of_flat(x);
    let mut half = vec![0.0; x.len()];
    for i in 0..x.len() {
        half[i] = x[i] + 0.5 * h * k1[i];
    }
    let k2: Vec<f64> = forces_of_flat(&half);
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i] + h * k2[i];
    }
    y
}

/// A cost of two midpoint steps and of accelerations: a result bound with its type written,
/// one iterated by rows, one read in the function's last expression.
#[differentiable(wrt(x0))]
fn cost(x0: &[[f64; 3]; N]) -> f64 {
    let x1 = midpoint(x0, 0.1);
    let x2 = midpoint(&x1, 0.1);
    let a: [[f64; 3]; N] = accelerations(x0, 2.0);
    let mut s = 0.0;
    for p in &x2 {
        s += p[0] * p[0] + p[1] * p[2];
    }
    for i in 0..N {
        s += a[i][1] * x1[i][0];
    }
    s + x2[N - 1][2]
}

/// The same cost written flat.
#[differentiable(wrt(x0))]
fn cost_flat(x0: &[f64; 3 * N]) -> f64 {
    let x1: Vec<f64> = midpoint_flat(x0, 0.1);
    let x2: Vec<f64> = midpoint_flat(&x1, 0.1);
    let a: [f64; 3 * N] = accelerations_flat(x0, 2.0);
    let mut s = 0.0;
    for k in 0..N {
        s += x2[3 * k] * x2[3 * k] + x2[3 * k + 1] * x2[3 * k + 2];
    }
    for i in 0..N {
        s += a[3 * i + 1] * x1[3 * i];
    }
    s + x2[3 * N - 1]
}

/// Accelerations iterated in place, `x = accelerations(&x, m);` (a whole fixed-size array of
/// arrays assigned a call's result), then rows straight from a constructor.
#[differentiable(wrt(x0, m))]
fn orbit(x0: &[[f64; 3]; N], m: f64) -> [[f64; 2]; 2] {
    let mut x = [[0.0; 3]; N];
    for k in 0..N {
        for c in 0..3 {
            x[k][c] = x0[k][c] + 0.5;
        }
    }
    for _ in 0..3 {
        x = accelerations(&x, m);
    }
    [
        [x[0][0] * x[1][1], x[0][2]],
        [x[1][0].sin(), x[N - 1][1] * m],
    ]
}

/// The same written flat.
#[differentiable(wrt(x0, m))]
fn orbit_flat(x0: &[f64; 3 * N], m: f64) -> [f64; 4] {
    let mut x = [0.0; 3 * N];
    for k in 0..3 * N {
        x[k] = x0[k] + 0.5;
    }
    for _ in 0..3 {
        x = accelerations_flat(&x, m);
    }
    [x[0] * x[4], x[2], x[3].sin(), x[3 * N - 2] * m]
}

/// Names the generated code might use: a parameter `result_bar` (the seed's name), locals
/// `result`, `__dot` and `r#type`, the result named `x_bar`.
// The copy under a raw name, then returned, is what is tested.
#[allow(clippy::let_and_return)]
#[differentiable(wrt(result_bar, __dot))]
fn adversarial(result_bar: &[[f64; 2]], __dot: f64) -> Vec<[f64; 2]> {
    let mut x_bar = vec![[0.0; 2]; result_bar.len()];
    for k in 0..result_bar.len() {
        let result = result_bar[k][0] * __dot;
        x_bar[k][0] = result.sin() * result_bar[k][1];
        x_bar[k][1] = result_bar[(k + 1) % result_bar.len()][0] * result;
    }
    let r#type = x_bar;
    r#type
}

macro_rules! returned_in_macro {
    ($name:ident, $callee:ident, $x:ident) => {
        /// Rows returned by a function written in a `macro_rules!` macro, from a call.
        #[differentiable(wrt($x))]
        fn $name($x: &[[f64; 2]]) -> Vec<[f64; 2]> {
            let r = $callee($x, 0.7);
            let mut out = vec![[0.0; 2]; $x.len()];
            for k in 0..$x.len() {
                out[k][0] = r[k][1] * $x[k][0];
                out[k][1] = r[k][0] + $x[k][1];
            }
            out
        }
    };
}
returned_in_macro!(from_macro, adversarial, pairs);

/// `N` particles, apart enough for the forces to be smooth, flat.
fn particles(rng: &mut Draws) -> Vec<f64> {
    (0..N)
        .flat_map(|i| {
            [
                1.1 * i as f64 + 0.1 * rng.next(),
                0.3 * rng.next(),
                0.3 * rng.next(),
            ]
        })
        .collect()
}

/// The rows of `x` as a fixed-size array.
fn fixed<T: Copy>(x: &[T]) -> [[T; 3]; N] {
    std::array::from_fn(|k| std::array::from_fn(|c| x[3 * k + c]))
}

/// `(p, c) -> J(p)^T c` at duals, flat.
type DualAdjoint<'a> = &'a dyn Fn(&[D], &[D]) -> Vec<D>;

/// A function from flat inputs to flat outputs, with its companions, proved three ways at
/// `p`: the checks of `common`, the tangent against the adjoint entry by entry, and
/// Hessian-vector products of `<c, f>` at duals (`vjp_dual(p + t u, c)`) against differences
/// of gradients.
fn prove_vector(case: &Case, p: &[f64], vjp_dual: DualAdjoint, seed: u64) {
    check(case, p, seed);
    let n = case.inputs;
    for i in 0..case.outputs {
        let mut e = vec![0.0; case.outputs];
        e[i] = 1.0;
        let (_, row) = (case.vjp)(p, &e);
        assert!(row.iter().any(|v| *v != 0.0), "{}: row {i}", case.name);
        for (k, rk) in row.iter().enumerate() {
            let mut d = vec![0.0; n];
            d[k] = 1.0;
            let (_, t) = (case.jvp)(p, &d);
            assert!(
                (t[i] - rk).abs() <= 1e-12 * (1.0 + rk.abs()),
                "{}: {i} {k}",
                case.name
            );
        }
    }
    let mut rng = Draws::new(seed + 100);
    let c = rng.vec(case.outputs);
    let grad = |q: &[f64], out: &mut [f64]| out.copy_from_slice(&(case.vjp)(q, &c).1);
    let hvp = |u: &[f64]| -> Vec<f64> {
        let l: Vec<D> = p.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
        let cd: Vec<D> = c.iter().map(|&v| Dual::constant(v)).collect();
        vjp_dual(&l, &cd).iter().map(|d| d.tangents[0]).collect()
    };
    let (u, w) = (rng.vec(n), rng.vec(n));
    let report = check_hvp(grad, p, &u, &hvp(&u), &w, &hvp(&w), 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{}: {report:?}", case.name);
}

#[test]
fn a_vec_of_rows_returned_three_ways_and_as_written_flat() {
    let case = Case {
        name: "forces_of",
        inputs: 3 * N,
        outputs: 3 * N,
        f: &|p| forces_of(&nest(p)).as_flattened().to_vec(),
        jvp: &|p, d| {
            let (v, t) = forces_of_jvp(&nest(p), &nest(d));
            (v.as_flattened().to_vec(), t.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let mut g = vec![[0.0; 3]; N];
            let v = forces_of_vjp(&nest(p), &mut g, &nest(w));
            (v.as_flattened().to_vec(), g.as_flattened().to_vec())
        },
    };
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng);
        prove_vector(
            &case,
            &x,
            &|p, c| {
                let mut g = vec![[Dual::constant(0.0); 3]; N];
                forces_of_vjp(&nest(p), &mut g, &nest(c));
                g.as_flattened().to_vec()
            },
            seed,
        );
        let (d, c) = (rng.vec(3 * N), rng.vec(3 * N));
        assert_eq!(forces_of(&nest(&x)).as_flattened(), &forces_of_flat(&x)[..]);
        let (v, t) = forces_of_jvp(&nest(&x), &nest(&d));
        let (vf, tf) = forces_of_flat_jvp(&x, &d);
        assert_eq!((v.as_flattened(), t.as_flattened()), (&vf[..], &tf[..]));
        let (mut g, mut gf) = (vec![[0.0; 3]; N], vec![0.0; 3 * N]);
        let v = forces_of_vjp(&nest(&x), &mut g, &nest(&c));
        let vf = forces_of_flat_vjp(&x, &mut gf, &c);
        assert_eq!((v.as_flattened(), g.as_flattened()), (&vf[..], &gf[..]));
    }
}

#[test]
fn fixed_rows_returned_three_ways_and_as_written_flat() {
    let case = Case {
        name: "accelerations",
        inputs: 3 * N + 1,
        outputs: 3 * N,
        f: &|p| accelerations(&fixed(p), p[3 * N]).as_flattened().to_vec(),
        jvp: &|p, d| {
            let (v, t) = accelerations_jvp(&fixed(p), &fixed(d), p[3 * N], d[3 * N]);
            (v.as_flattened().to_vec(), t.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let (mut g, mut m_bar) = ([[0.0; 3]; N], 0.0);
            let v = accelerations_vjp(&fixed(p), &mut g, p[3 * N], &mut m_bar, &nest(w));
            let mut g = g.as_flattened().to_vec();
            g.push(m_bar);
            (v.as_flattened().to_vec(), g)
        },
    };
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let mut x = particles(&mut rng);
        x.push(1.5 + 0.2 * rng.next());
        prove_vector(
            &case,
            &x,
            &|p, c| {
                let (mut g, mut m_bar) = ([[Dual::constant(0.0); 3]; N], Dual::constant(0.0));
                accelerations_vjp(&fixed(p), &mut g, p[3 * N], &mut m_bar, &nest(c));
                let mut g = g.as_flattened().to_vec();
                g.push(m_bar);
                g
            },
            seed,
        );
        let xf: [f64; 3 * N] = std::array::from_fn(|k| x[k]);
        let (d, c) = (rng.vec(3 * N), rng.vec(3 * N));
        let df: [f64; 3 * N] = std::array::from_fn(|k| d[k]);
        let m = x[3 * N];
        let (v, t) = accelerations_jvp(&fixed(&x), &fixed(&d), m, 0.5);
        let (vf, tf) = accelerations_flat_jvp(&xf, &df, m, 0.5);
        assert_eq!((v.as_flattened(), t.as_flattened()), (&vf[..], &tf[..]));
        let (mut g, mut gf, mut mb, mut mbf) = ([[0.0; 3]; N], [0.0; 3 * N], 0.0, 0.0);
        let v = accelerations_vjp(&fixed(&x), &mut g, m, &mut mb, &nest(&c));
        let vf = accelerations_flat_vjp(&xf, &mut gf, m, &mut mbf, &c);
        assert_eq!(
            (v.as_flattened(), g.as_flattened(), mb),
            (&vf[..], &gf[..], mbf)
        );
    }
}

#[test]
fn results_bound_by_callers_three_ways_and_as_written_flat() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng);
        prove(
            "cost",
            &x,
            &|x| cost(&fixed(x)),
            &|x, d| cost_jvp(&fixed(x), &fixed(d)),
            &|x, g, y| {
                let mut gb = fixed(g);
                let v = cost_vjp(&fixed(x), &mut gb, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = fixed(g);
                cost_vjp(&fixed(x), &mut gb, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        let xf: [f64; 3 * N] = std::array::from_fn(|k| x[k]);
        let d = rng.vec(3 * N);
        let df: [f64; 3 * N] = std::array::from_fn(|k| d[k]);
        assert_eq!(cost(&fixed(&x)), cost_flat(&xf));
        assert_eq!(cost_jvp(&fixed(&x), &fixed(&d)), cost_flat_jvp(&xf, &df));
        let (value, grad) = cost_grad(&fixed(&x));
        let (value_flat, grad_flat) = cost_flat_grad(&xf);
        assert_eq!((value, grad.as_flattened()), (value_flat, &grad_flat[..]));
        // The step itself, a function of rows to rows, against the flat one to the bit.
        let (mut g, mut gf, mut hb, mut hbf) = (vec![[0.0; 3]; N], vec![0.0; 3 * N], 0.0, 0.0);
        let v = midpoint_vjp(&nest(&x), &mut g, 0.1, &mut hb, &nest(&d));
        let vf = midpoint_flat_vjp(&x, &mut gf, 0.1, &mut hbf, &d);
        assert_eq!(
            (v.as_flattened(), g.as_flattened(), hb),
            (&vf[..], &gf[..], hbf)
        );
    }
}

#[test]
fn adversarial_names_and_a_macro_returning_rows_three_ways() {
    let case = Case {
        name: "from_macro",
        inputs: 6,
        outputs: 6,
        f: &|p| from_macro(&nest(p)).as_flattened().to_vec(),
        jvp: &|p, d| {
            let (v, t) = from_macro_jvp(&nest(p), &nest(d));
            (v.as_flattened().to_vec(), t.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let mut g = vec![[0.0; 2]; 3];
            let v = from_macro_vjp(&nest(p), &mut g, &nest(w));
            (v.as_flattened().to_vec(), g.as_flattened().to_vec())
        },
    };
    let direct = Case {
        name: "adversarial",
        inputs: 7,
        outputs: 6,
        f: &|p| adversarial(&nest(&p[..6]), p[6]).as_flattened().to_vec(),
        jvp: &|p, d| {
            let (v, t) = adversarial_jvp(&nest(&p[..6]), &nest(&d[..6]), p[6], d[6]);
            (v.as_flattened().to_vec(), t.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let (mut g, mut dot_bar) = (vec![[0.0; 2]; 3], 0.0);
            let v = adversarial_vjp(&nest(&p[..6]), &mut g, p[6], &mut dot_bar, &nest(w));
            let mut g = g.as_flattened().to_vec();
            g.push(dot_bar);
            (v.as_flattened().to_vec(), g)
        },
    };
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let p = rng.vec(7);
        prove_vector(
            &case,
            &p[..6],
            &|q, c| {
                let mut g = vec![[Dual::constant(0.0); 2]; 3];
                from_macro_vjp(&nest(q), &mut g, &nest(c));
                g.as_flattened().to_vec()
            },
            seed,
        );
        prove_vector(
            &direct,
            &p,
            &|q, c| {
                let (mut g, mut dot_bar) = (vec![[Dual::constant(0.0); 2]; 3], Dual::constant(0.0));
                adversarial_vjp(&nest(&q[..6]), &mut g, q[6], &mut dot_bar, &nest(c));
                let mut g = g.as_flattened().to_vec();
                g.push(dot_bar);
                g
            },
            seed,
        );
        // By hand, through the callee's own function.
        let rows = nest::<2, f64>(&p[..6]);
        let r = adversarial(&rows, 0.7);
        let out = from_macro(&rows);
        for k in 0..3 {
            assert_eq!(out[k], [r[k][1] * rows[k][0], r[k][0] + rows[k][1]]);
        }
    }
}

#[test]
fn whole_rows_assigned_in_a_loop_and_a_constructor_returned_three_ways() {
    let case = Case {
        name: "orbit",
        inputs: 3 * N + 1,
        outputs: 4,
        f: &|p| orbit(&fixed(p), p[3 * N]).as_flattened().to_vec(),
        jvp: &|p, d| {
            let (v, t) = orbit_jvp(&fixed(p), &fixed(d), p[3 * N], d[3 * N]);
            (v.as_flattened().to_vec(), t.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let (mut g, mut m_bar) = ([[0.0; 3]; N], 0.0);
            let v = orbit_vjp(&fixed(p), &mut g, p[3 * N], &mut m_bar, &nest(w));
            let mut g = g.as_flattened().to_vec();
            g.push(m_bar);
            (v.as_flattened().to_vec(), g)
        },
    };
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let mut x: Vec<f64> = rng.vec(3 * N).iter().map(|v| 0.8 + 0.2 * v).collect();
        x.push(1.2 + 0.1 * rng.next());
        prove_vector(
            &case,
            &x,
            &|p, c| {
                let (mut g, mut m_bar) = ([[Dual::constant(0.0); 3]; N], Dual::constant(0.0));
                orbit_vjp(&fixed(p), &mut g, p[3 * N], &mut m_bar, &nest(c));
                let mut g = g.as_flattened().to_vec();
                g.push(m_bar);
                g
            },
            seed,
        );
        let xf: [f64; 3 * N] = std::array::from_fn(|k| x[k]);
        let (d, c) = (rng.vec(3 * N), rng.vec(4));
        let df: [f64; 3 * N] = std::array::from_fn(|k| d[k]);
        let m = x[3 * N];
        assert_eq!(orbit(&fixed(&x), m).as_flattened(), &orbit_flat(&xf, m)[..]);
        let (v, t) = orbit_jvp(&fixed(&x), &fixed(&d), m, 0.5);
        let (vf, tf) = orbit_flat_jvp(&xf, &df, m, 0.5);
        assert_eq!((v.as_flattened(), t.as_flattened()), (&vf[..], &tf[..]));
        let (mut g, mut gf, mut mb, mut mbf) = ([[0.0; 3]; N], [0.0; 3 * N], 0.0, 0.0);
        let v = orbit_vjp(&fixed(&x), &mut g, m, &mut mb, &nest(&c));
        let vf = orbit_flat_vjp(&xf, &mut gf, m, &mut mbf, &c);
        assert_eq!(
            (v.as_flattened(), g.as_flattened(), mb),
            (&vf[..], &gf[..], mbf)
        );
    }
}

/// Springs of rest length 1 between neighbouring particles: the force on each.
#[differentiable(wrt(pos))]
fn spring_forces(pos: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut f = vec![[0.0; 3]; pos.len()];
    for i in 1..pos.len() {
        for c in 0..3 {
            let d = pos[i][c] - pos[i - 1][c];
            f[i][c] -= d;
            f[i - 1][c] += d;
        }
    }
    f
}

/// The power of those forces along velocities `v`.
#[differentiable(wrt(pos))]
fn power(pos: &[[f64; 3]], v: &[[f64; 3]]) -> f64 {
    let f = spring_forces(pos);
    let mut p = 0.0;
    for i in 0..pos.len() {
        for c in 0..3 {
            p += f[i][c] * v[i][c];
        }
    }
    p
}

#[test]
fn the_readme_example_passes_and_returns_rows() {
    let pos = [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]];
    let v = [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
    let (p, grad) = power_grad(&pos, &v);
    assert_eq!((p, grad), (2.0, vec![[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]));
}
