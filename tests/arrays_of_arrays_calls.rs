//! Arrays of arrays of reals that carry derivatives passed to annotated calls: an N-body
//! `forces(pos: &[[f64; 3]], f: &mut [[f64; 3]])` called with parameters (`&[[f64; 3]]`,
//! `&mut [[f64; 3]]`, `&[[f64; 3]; N]`, `&Vec<[f64; 3]>`) and locals (`vec![[0.0; 3]; n]`,
//! `[[0.0; 3]; N]`), from a work integral, a leapfrog step and a trajectory of steps; data rows
//! beside them. Each is proved three ways (central differences, the dot-product test, tangent
//! against adjoint) with forward-over-reverse Hessian-vector products, and equal to the bit to
//! the same program written flat.

mod common;

use common::rows::{nest, prove, D};
use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// Softened pairwise attractions of particles at `pos`, written into `f`.
#[differentiable(wrt(pos, f))]
fn forces(pos: &[[f64; 3]], f: &mut [[f64; 3]]) {
    for i in 0..pos.len() {
        for c in 0..3 {
            f[i][c] = 0.0;
        }
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
}

/// The same forces written flat.
#[differentiable(wrt(pos, f))]
fn forces_flat(pos: &[f64], f: &mut [f64]) {
    for i in 0..pos.len() / 3 {
        for c in 0..3 {
            f[3 * i + c] = 0.0;
        }
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
}

/// The work of the forces along displacements `w` (data rows): a local `vec!` of rows passed
/// `&mut`, the parameter passed on as it is.
#[differentiable(wrt(pos))]
fn work(pos: &[[f64; 3]], w: &[[f64; 3]]) -> f64 {
    let mut f = vec![[0.0; 3]; pos.len()];
    forces(pos, &mut f);
    let mut s = 0.0;
    for i in 0..f.len() {
        for c in 0..3 {
            s += f[i][c] * w[i][c] * pos[i][c].cos();
        }
    }
    s
}

/// The same work written flat.
#[differentiable(wrt(pos))]
fn work_flat(pos: &[f64], w: &[f64]) -> f64 {
    let mut f = vec![0.0; pos.len()];
    forces_flat(pos, &mut f);
    let mut s = 0.0;
    for i in 0..f.len() / 3 {
        for c in 0..3 {
            s += f[3 * i + c] * w[3 * i + c] * pos[3 * i + c].cos();
        }
    }
    s
}

/// A leapfrog step of the positions `x` and velocities `v`, in place: `&mut` rows passed on
/// where the callee reads them.
#[differentiable(wrt(x, v, h))]
fn leapfrog(x: &mut [[f64; 3]], v: &mut [[f64; 3]], h: f64) {
    let mut a = vec![[0.0; 3]; x.len()];
    forces(x, &mut a);
    for k in 0..x.len() {
        for c in 0..3 {
            v[k][c] += h * a[k][c];
            x[k][c] += h * v[k][c];
        }
    }
}

/// The same step written flat.
#[differentiable(wrt(x, v, h))]
fn leapfrog_flat(x: &mut [f64], v: &mut [f64], h: f64) {
    let mut a = vec![0.0; x.len()];
    forces_flat(x, &mut a);
    for k in 0..x.len() / 3 {
        for c in 0..3 {
            v[3 * k + c] += h * a[3 * k + c];
            x[3 * k + c] += h * v[3 * k + c];
        }
    }
}

const N: usize = 4;

/// The kinetic energy after `steps` leapfrog steps from `x0` at rest plus the distance of the
/// last particle from the origin: local `[[0.0; 3]; N]` passed `&mut` in a loop.
#[differentiable(wrt(x0))]
fn trajectory(x0: &[[f64; 3]; N], h: f64, steps: usize) -> f64 {
    let mut x = [[0.0; 3]; N];
    let mut v = [[0.0; 3]; N];
    for k in 0..N {
        for c in 0..3 {
            x[k][c] = x0[k][c];
        }
    }
    for _ in 0..steps {
        leapfrog(&mut x, &mut v, h);
    }
    let mut e = 0.0;
    for k in 0..N {
        for c in 0..3 {
            e += 0.5 * v[k][c] * v[k][c];
        }
    }
    e + (x[N - 1][0] * x[N - 1][0] + x[N - 1][1] * x[N - 1][1]).sqrt()
}

/// The same trajectory written flat.
#[differentiable(wrt(x0))]
fn trajectory_flat(x0: &[f64; 3 * N], h: f64, steps: usize) -> f64 {
    let mut x = [0.0; 3 * N];
    let mut v = [0.0; 3 * N];
    for k in 0..N {
        for c in 0..3 {
            x[3 * k + c] = x0[3 * k + c];
        }
    }
    for _ in 0..steps {
        leapfrog_flat(&mut x, &mut v, h);
    }
    let mut e = 0.0;
    for k in 0..N {
        for c in 0..3 {
            e += 0.5 * v[3 * k + c] * v[3 * k + c];
        }
    }
    e + (x[3 * N - 3] * x[3 * N - 3] + x[3 * N - 2] * x[3 * N - 2]).sqrt()
}

/// A weighted sum of squares of a fixed number of rows, `&[[f64; 3]; N]`.
#[differentiable(wrt(p))]
fn spread(p: &[[f64; 3]; N]) -> f64 {
    let mut s = 0.0;
    for k in 0..N {
        for c in 0..3 {
            s += (k as f64 + 1.0) * p[k][c] * p[k][c];
        }
    }
    s
}

/// Names the generated code might use: rows named `result` (a `&Vec<[f64; 3]>`), data rows
/// `x_bar`, local rows `__adj0` and `r#type`, passed on to `forces`, `work` and `spread`.
// `&Vec<[f64; 3]>` is what is tested: users write it.
#[allow(clippy::ptr_arg)]
#[differentiable(wrt(result))]
fn adversarial(result: &Vec<[f64; 3]>, x_bar: &[[f64; 3]]) -> f64 {
    let mut __adj0 = vec![[0.0; 3]; result.len()];
    forces(result, &mut __adj0);
    let mut r#type = [[0.0; 3]; N];
    for k in 0..N {
        for c in 0..3 {
            r#type[k][c] = __adj0[k][c] * result[k][(c + 1) % 3];
        }
    }
    work(result, x_bar) * spread(&r#type)
}

macro_rules! energy_of {
    ($name:ident, $pos:ident) => {
        /// Forces at `$pos` gathered into a fixed number of rows, spread: written in a
        /// `macro_rules!` macro.
        #[differentiable(wrt($pos))]
        fn $name($pos: &[[f64; 3]]) -> f64 {
            let mut q = [[0.0; 3]; N];
            forces($pos, &mut q);
            spread(&q) + $pos[0][0] * q[1][2]
        }
    };
}
energy_of!(from_macro, pos);

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

#[test]
fn rows_passed_to_a_call_three_ways_and_as_written_flat() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng);
        let w = rng.vec(3 * N);
        let wr = nest::<3, f64>(&w);
        prove(
            "work",
            &x,
            &|x| work(&nest(x), &wr),
            &|x, d| work_jvp(&nest(x), &nest(d), &wr),
            &|x, g, y| {
                let mut gb = nest::<3, _>(g);
                let v = work_vjp(&nest(x), &mut gb, &wr, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                work_vjp(&nest(x), &mut gb, &wr, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        // The same program written flat: the same values, to the bit.
        let (rows, d) = (nest::<3, _>(&x), rng.vec(x.len()));
        assert_eq!(work(&rows, &wr), work_flat(&x, &w));
        assert_eq!(work_jvp(&rows, &nest(&d), &wr), work_flat_jvp(&x, &d, &w));
        let (mut g, mut g_flat) = (vec![[0.0; 3]; N], vec![0.0; 3 * N]);
        let v = work_vjp(&rows, &mut g, &wr, 0.5);
        assert_eq!(v, work_flat_vjp(&x, &mut g_flat, &w, 0.5));
        assert_eq!(g.as_flattened(), &g_flat[..]);
        let (value, grad) = work_grad(&rows, &wr);
        assert_eq!(value, v / 0.5 * 0.5);
        assert_eq!(grad.as_flattened(), &work_flat_grad(&x, &w).1[..]);
    }
}

/// `leapfrog` as a function of the flat `(x, v, h)` to the flat final `(x, v)`.
fn leapfrog_case() -> Case<'static> {
    fn split(p: &[f64]) -> (Vec<[f64; 3]>, Vec<[f64; 3]>, f64) {
        (nest(&p[..3 * N]), nest(&p[3 * N..6 * N]), p[6 * N])
    }
    fn joined(a: &[[f64; 3]], b: &[[f64; 3]]) -> Vec<f64> {
        [a.as_flattened(), b.as_flattened()].concat()
    }
    Case {
        name: "leapfrog",
        inputs: 6 * N + 1,
        outputs: 6 * N,
        f: &|p| {
            let (mut x, mut v, h) = split(p);
            leapfrog(&mut x, &mut v, h);
            joined(&x, &v)
        },
        jvp: &|p, d| {
            let (mut x, mut v, h) = split(p);
            let (mut xd, mut vd, hd) = split(d);
            leapfrog_jvp(&mut x, &mut xd, &mut v, &mut vd, h, hd);
            (joined(&x, &v), joined(&xd, &vd))
        },
        vjp: &|p, w| {
            let (mut x, mut v, h) = split(p);
            let (mut xb, mut vb) = (nest::<3, _>(&w[..3 * N]), nest::<3, _>(&w[3 * N..]));
            let mut hb = 0.0;
            leapfrog_vjp(&mut x, &mut xb, &mut v, &mut vb, h, &mut hb);
            let mut g = joined(&xb, &vb);
            g.push(hb);
            (joined(&x, &v), g)
        },
    }
}

#[test]
fn mut_rows_passed_on_in_a_step_three_ways_and_as_written_flat() {
    let case = leapfrog_case();
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let mut p = particles(&mut rng);
        p.extend(rng.vec(3 * N).iter().map(|v| 0.5 * v));
        p.push(0.1);
        check(&case, &p, seed);
        // Tangent against adjoint, entry by entry of the Jacobian.
        let n = case.inputs;
        for i in 0..case.outputs {
            let mut e = vec![0.0; case.outputs];
            e[i] = 1.0;
            let (_, row) = (case.vjp)(&p, &e);
            for (k, rk) in row.iter().enumerate() {
                let mut d = vec![0.0; n];
                d[k] = 1.0;
                let (_, t) = (case.jvp)(&p, &d);
                assert!(
                    (t[i] - rk).abs() <= 1e-12 * (1.0 + rk.abs()),
                    "leapfrog: {i} {k}"
                );
            }
        }
        // Hessian-vector products of `<c, leapfrog(x, v, h)>` at duals, against differences
        // of gradients.
        let c = rng.vec(case.outputs);
        let grad = |q: &[f64], out: &mut [f64]| out.copy_from_slice(&(case.vjp)(q, &c).1);
        let hvp = |u: &[f64]| -> Vec<f64> {
            let l: Vec<D> = p.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
            let cd: Vec<D> = c.iter().map(|&v| Dual::constant(v)).collect();
            let (mut x, mut v) = (nest::<3, _>(&l[..3 * N]), nest::<3, _>(&l[3 * N..6 * N]));
            let (mut xb, mut vb) = (nest::<3, _>(&cd[..3 * N]), nest::<3, _>(&cd[3 * N..]));
            let mut hb = Dual::constant(0.0);
            leapfrog_vjp(&mut x, &mut xb, &mut v, &mut vb, l[6 * N], &mut hb);
            let mut g: Vec<D> = [xb.as_flattened(), vb.as_flattened()].concat();
            g.push(hb);
            g.iter().map(|d| d.tangents[0]).collect()
        };
        let (u, w) = (rng.vec(n), rng.vec(n));
        let report = check_hvp(grad, &p, &u, &hvp(&u), &w, &hvp(&w), 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "leapfrog: {report:?}");
        // The same step written flat, to the bit.
        let h = p[6 * N];
        let (mut x, mut xf) = (nest::<3, _>(&p[..3 * N]), p[..3 * N].to_vec());
        let (mut v, mut vf) = (nest::<3, _>(&p[3 * N..6 * N]), p[3 * N..6 * N].to_vec());
        let (mut xb, mut xbf) = (nest::<3, _>(&c[..3 * N]), c[..3 * N].to_vec());
        let (mut vb, mut vbf) = (nest::<3, _>(&c[3 * N..]), c[3 * N..].to_vec());
        let (mut hb, mut hbf) = (0.0, 0.0);
        leapfrog_vjp(&mut x, &mut xb, &mut v, &mut vb, h, &mut hb);
        leapfrog_flat_vjp(&mut xf, &mut xbf, &mut vf, &mut vbf, h, &mut hbf);
        assert_eq!([x.as_flattened(), v.as_flattened()], [&xf[..], &vf[..]]);
        assert_eq!([xb.as_flattened(), vb.as_flattened()], [&xbf[..], &vbf[..]]);
        assert_eq!(hb, hbf);
        let (mut x, mut xf) = (nest::<3, _>(&p[..3 * N]), p[..3 * N].to_vec());
        let (mut v, mut vf) = (nest::<3, _>(&p[3 * N..6 * N]), p[3 * N..6 * N].to_vec());
        let (mut xd, mut xdf) = (nest::<3, _>(&c[..3 * N]), c[..3 * N].to_vec());
        let (mut vd, mut vdf) = (nest::<3, _>(&c[3 * N..]), c[3 * N..].to_vec());
        leapfrog_jvp(&mut x, &mut xd, &mut v, &mut vd, h, 0.25);
        leapfrog_flat_jvp(&mut xf, &mut xdf, &mut vf, &mut vdf, h, 0.25);
        assert_eq!([x.as_flattened(), v.as_flattened()], [&xf[..], &vf[..]]);
        assert_eq!([xd.as_flattened(), vd.as_flattened()], [&xdf[..], &vdf[..]]);
    }
}

#[test]
fn local_rows_passed_in_a_time_loop_three_ways_and_as_written_flat() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng);
        prove(
            "trajectory",
            &x,
            &|x| trajectory(&fixed(x), 0.05, 3),
            &|x, d| trajectory_jvp(&fixed(x), &fixed(d), 0.05, 3),
            &|x, g, y| {
                let mut gb = fixed(g);
                let v = trajectory_vjp(&fixed(x), &mut gb, 0.05, 3, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = fixed(g);
                trajectory_vjp(&fixed(x), &mut gb, 0.05, 3, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        let xf: [f64; 3 * N] = std::array::from_fn(|k| x[k]);
        let d = rng.vec(3 * N);
        let df: [f64; 3 * N] = std::array::from_fn(|k| d[k]);
        assert_eq!(
            trajectory(&fixed(&x), 0.05, 3),
            trajectory_flat(&xf, 0.05, 3)
        );
        assert_eq!(
            trajectory_jvp(&fixed(&x), &fixed(&d), 0.05, 3),
            trajectory_flat_jvp(&xf, &df, 0.05, 3)
        );
        let (value, grad) = trajectory_grad(&fixed(&x), 0.05, 3);
        let (value_flat, grad_flat) = trajectory_flat_grad(&xf, 0.05, 3);
        assert_eq!(value, value_flat);
        assert_eq!(grad.as_flattened(), &grad_flat[..]);
    }
}

#[test]
fn vec_rows_adversarial_names_and_a_macro_caller_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng);
        let xb = nest::<3, f64>(&rng.vec(3 * N));
        prove(
            "adversarial",
            &x,
            &|x| adversarial(&nest(x), &xb),
            &|x, d| adversarial_jvp(&nest(x), &nest(d), &xb),
            &|x, g, y| {
                let mut gb = nest::<3, _>(g);
                let v = adversarial_vjp(&nest(x), &mut gb, &xb, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                adversarial_vjp(&nest(x), &mut gb, &xb, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        prove(
            "from_macro",
            &x,
            &|x| from_macro(&nest(x)),
            &|x, d| from_macro_jvp(&nest(x), &nest(d)),
            &|x, g, y| {
                let mut gb = nest::<3, _>(g);
                let v = from_macro_vjp(&nest(x), &mut gb, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                from_macro_vjp(&nest(x), &mut gb, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        // By hand, through the callees' own functions.
        let rows = nest::<3, f64>(&x);
        let mut q = [[0.0; 3]; N];
        forces(&rows, &mut q);
        assert_eq!(from_macro(&rows), spread(&q) + rows[0][0] * q[1][2]);
    }
}
