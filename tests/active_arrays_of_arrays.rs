//! Arrays of arrays of reals that carry derivatives: `pos: &[[f64; 3]]` in `wrt(..)` (also
//! `&[[f64; 3]; N]`, `&Vec<[f64; 3]>`), `&mut [[f64; 3]]` written `x[k][j] = ..`, read as
//! `x[k][j]`, `x.len()`, `for p in x`, `x.iter().map(..)`, `enumerate`, `zip`, `let row = x[k];`.
//! The companions take the nested shape at the scalar (`x_bar: &mut [[S; 3]]`). Each function
//! is proved three ways (central differences, the dot-product test, tangent against adjoint)
//! with forward-over-reverse Hessian-vector products, and equal to the bit to the same function
//! written flat.

mod common;

use common::rows::{nest, prove, D};
use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

/// A Lennard-Jones energy of particles at `pos`.
#[differentiable(wrt(pos))]
fn lj(pos: &[[f64; 3]], eps: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let dx = pos[i][0] - pos[j][0];
            let dy = pos[i][1] - pos[j][1];
            let dz = pos[i][2] - pos[j][2];
            let s6 = (1.0 / (dx * dx + dy * dy + dz * dz)).powi(3);
            e += 4.0 * eps * (s6 * s6 - s6);
        }
    }
    e
}

/// The same energy written flat, `pos[3 * i + c]`.
#[differentiable(wrt(pos))]
fn lj_flat(pos: &[f64], eps: f64) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() / 3 {
        for j in i + 1..pos.len() / 3 {
            let dx = pos[3 * i] - pos[3 * j];
            let dy = pos[3 * i + 1] - pos[3 * j + 1];
            let dz = pos[3 * i + 2] - pos[3 * j + 2];
            let s6 = (1.0 / (dx * dx + dy * dy + dz * dz)).powi(3);
            e += 4.0 * eps * (s6 * s6 - s6);
        }
    }
    e
}

const DIM: usize = 3;

/// Rows through iterators: `for p in x`, `map`, `enumerate`, `zip`, `for &[a, _, c] in x`, a
/// row copied, `len`.
#[differentiable(wrt(x))]
fn through_rows(x: &[[f64; DIM]], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for p in x {
        s += p[0] * p[1].sin() + p[2] * p[2];
    }
    let m: f64 = x.iter().map(|p| p[0] * p[2]).sum();
    for (k, p) in x.iter().enumerate() {
        s += w[k] * p[1].exp() * p.len() as f64;
    }
    let z: f64 = w.iter().zip(x).map(|(a, p)| a * p[0]).sum();
    for &[a, _, c] in x {
        s += a * c.cos();
    }
    let row = x[1];
    for c in 0..DIM {
        s += row[c] * x[0][(c + 1) % DIM];
    }
    s + m + z * x.len() as f64
}

/// A kick of the positions `x` by the velocities `v`, in place.
#[differentiable(wrt(x, v))]
fn kick(x: &mut [[f64; 3]], v: &[[f64; 3]], h: f64) {
    for k in 0..x.len() {
        for j in 0..3 {
            x[k][j] += h * v[k][j] * x[k][(j + 1) % 3].cos();
        }
        x[k][0] *= x[k][2];
    }
}

/// The same kick written flat.
#[differentiable(wrt(x, v))]
fn kick_flat(x: &mut [f64], v: &[f64], h: f64) {
    for k in 0..x.len() / 3 {
        for j in 0..3 {
            x[3 * k + j] += h * v[3 * k + j] * x[3 * k + (j + 1) % 3].cos();
        }
        x[3 * k] *= x[3 * k + 2];
    }
}

/// A fixed number of rows, `&[[f64; 2]; 4]`, and a `&Vec<[f64; 2]>`, both differentiated,
/// beside data rows outside `wrt(..)`.
// `&Vec<[f64; 2]>` is what is tested: users write it.
#[allow(clippy::ptr_arg)]
#[differentiable(wrt(a, b))]
fn shapes(a: &[[f64; 2]; 4], b: &Vec<[f64; 2]>, obs: &[[f64; 2]]) -> f64 {
    let mut s = 0.0;
    for k in 0..4 {
        s += a[k][0] * b[k % b.len()][1] - obs[k % obs.len()][0] * a[k][1].tanh();
        s += b[k % b.len()][0].powi(2) * a[k][1];
    }
    for o in obs {
        s += (o[1] * b[0][0]).sin();
    }
    s
}

/// Names the generated code might use: rows named `result` and `__adj0`, a row `x_bar`, a
/// local `__row`, a raw identifier.
#[differentiable(wrt(result, __adj0))]
fn adversarial(result: &[[f64; 2]], __adj0: &mut [[f64; 2]], r#x: f64) -> f64 {
    let mut __row = 0.0;
    for x_bar in result {
        __row += x_bar[0] * x_bar[1] * r#x;
    }
    for k in 0..__adj0.len() {
        __adj0[k][1] *= result[k][0] + __row;
        let r#type = __adj0[k];
        __row += r#type[1].sin();
    }
    __row
}

macro_rules! rows_in_macro {
    ($name:ident, $x:ident: $t:ty) => {
        #[differentiable(wrt($x))]
        fn $name($x: $t) -> f64 {
            let mut s = 0.0;
            for p in $x {
                s += p[0] * p[1] - p[1].cos();
            }
            s * $x[0][1]
        }
    };
}
rows_in_macro!(from_macro, pairs: &[[f64; 2]]);

/// Local arrays of arrays: `[[0.0; 3]; 4]` written and read, a `vec!` of rows, rows written
/// out, a copy, each read as `v[k][j]`, by rows and through iterators.
#[differentiable(wrt(x))]
fn locals(x: &[[f64; 3]], n: usize) -> f64 {
    let mut v = [[0.0; 3]; 4];
    for k in 0..4 {
        for j in 0..3 {
            v[k][j] = x[k % x.len()][j] * (j as f64 + 1.0);
        }
    }
    let mut w: Vec<[f64; 3]> = vec![[1.0; 3]; n];
    for k in 0..w.len() {
        w[k][k % 3] += v[k % 4][1] * x[0][2];
    }
    let c = [[x[0][0], 2.0], [0.5, x[1][1]]];
    let mut s = 0.0;
    for p in &v {
        s += p[0] * p[2];
    }
    s += w.iter().map(|p| p[0] * p[1] * p[2]).sum::<f64>();
    let u = v;
    v[3][2] = 0.0;
    s + c[0][0] * c[1][1] - c[0][1] * c[1][0] + u[3][2] * v[2][2]
}

/// The same written flat.
#[differentiable(wrt(x))]
fn locals_flat(x: &[f64], n: usize) -> f64 {
    let mut v = [0.0; 12];
    for k in 0..4 {
        for j in 0..3 {
            v[3 * k + j] = x[3 * (k % (x.len() / 3)) + j] * (j as f64 + 1.0);
        }
    }
    let mut w = vec![1.0; 3 * n];
    for k in 0..w.len() / 3 {
        w[3 * k + k % 3] += v[3 * (k % 4) + 1] * x[2];
    }
    let c = [x[0], 2.0, 0.5, x[4]];
    let mut s = 0.0;
    for k in 0..4 {
        s += v[3 * k] * v[3 * k + 2];
    }
    let mut t = 0.0;
    for k in 0..n {
        t += w[3 * k] * w[3 * k + 1] * w[3 * k + 2];
    }
    s += t;
    let u = v;
    v[11] = 0.0;
    s + c[0] * c[3] - c[1] * c[2] + u[11] * v[8]
}

/// Particles on a jittered line, apart enough for the energy to be smooth.
fn particles(rng: &mut Draws, n: usize) -> Vec<f64> {
    (0..n)
        .flat_map(|i| {
            [
                1.1 * i as f64 + 0.1 * rng.next(),
                0.2 * rng.next(),
                0.2 * rng.next(),
            ]
        })
        .collect()
}

#[test]
fn a_particle_energy_in_its_positions_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = particles(&mut rng, 4);
        let eps = 0.7;
        prove(
            "lj",
            &x,
            &|x| lj(&nest(x), eps),
            &|x, d| lj_jvp(&nest(x), &nest(d), eps),
            &|x, g, w| {
                let mut gb = nest::<3, _>(g);
                let v = lj_vjp(&nest(x), &mut gb, eps, w);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                lj_vjp(&nest(x), &mut gb, eps, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        // The same function written flat: the same values, to the bit.
        let (rows, d) = (nest::<3, _>(&x), rng.vec(x.len()));
        assert_eq!(lj(&rows, eps), lj_flat(&x, eps));
        assert_eq!(lj_jvp(&rows, &nest(&d), eps), lj_flat_jvp(&x, &d, eps));
        let (mut g, mut g_flat) = (vec![[0.0; 3]; 4], vec![0.0; 12]);
        let v = lj_vjp(&rows, &mut g, eps, 0.5);
        assert_eq!(v, lj_flat_vjp(&x, &mut g_flat, eps, 0.5));
        assert_eq!(g.as_flattened(), &g_flat[..]);
        // The gradient companion returns rows too.
        let (value, grad) = lj_grad(&rows, eps);
        assert_eq!(value, lj(&rows, eps));
        let mut g1 = vec![[0.0; 3]; 4];
        lj_vjp(&rows, &mut g1, eps, 1.0);
        assert_eq!(grad, g1);
    }
}

#[test]
fn rows_through_iterators_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = rng.vec(12);
        let w = rng.vec(4);
        prove(
            "through_rows",
            &x,
            &|x| through_rows(&nest(x), &w),
            &|x, d| through_rows_jvp(&nest(x), &nest(d), &w),
            &|x, g, y| {
                let mut gb = nest::<3, _>(g);
                let v = through_rows_vjp(&nest(x), &mut gb, &w, y);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                through_rows_vjp(&nest(x), &mut gb, &w, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        // By hand.
        let r = nest::<3, f64>(&x);
        let mut s = 0.0;
        for p in &r {
            s += p[0] * p[1].sin() + p[2] * p[2];
        }
        let m: f64 = r.iter().map(|p| p[0] * p[2]).sum();
        for (k, p) in r.iter().enumerate() {
            s += w[k] * p[1].exp() * 3.0;
        }
        let z: f64 = w.iter().zip(&r).map(|(a, p)| a * p[0]).sum();
        for &[a, _, c] in &r {
            s += a * c.cos();
        }
        for c in 0..3 {
            s += r[1][c] * r[0][(c + 1) % 3];
        }
        assert_eq!(through_rows(&r, &w), s + m + z * 4.0);
    }
}

/// `kick` as a function of the flat `(x, v)` to the flat final `x`.
fn kick_case() -> Case<'static> {
    Case {
        name: "kick",
        inputs: 12,
        outputs: 6,
        f: &|p| {
            let mut x = nest::<3, _>(&p[..6]);
            kick(&mut x, &nest(&p[6..]), 0.3);
            x.as_flattened().to_vec()
        },
        jvp: &|p, d| {
            let (mut x, mut x_dot) = (nest::<3, _>(&p[..6]), nest::<3, _>(&d[..6]));
            kick_jvp(&mut x, &mut x_dot, &nest(&p[6..]), &nest(&d[6..]), 0.3);
            (x.as_flattened().to_vec(), x_dot.as_flattened().to_vec())
        },
        vjp: &|p, w| {
            let (mut x, mut x_bar) = (nest::<3, _>(&p[..6]), nest::<3, _>(w));
            let mut v_bar = vec![[0.0; 3]; 2];
            kick_vjp(&mut x, &mut x_bar, &nest(&p[6..]), &mut v_bar, 0.3);
            let mut g = x_bar.as_flattened().to_vec();
            g.extend_from_slice(v_bar.as_flattened());
            (x.as_flattened().to_vec(), g)
        },
    }
}

#[test]
fn rows_written_in_place_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let p = rng.vec(12);
        check(&kick_case(), &p, seed);
        // Tangent against adjoint, component by component.
        let case = kick_case();
        for i in 0..6 {
            let mut e = vec![0.0; 6];
            e[i] = 1.0;
            let (_, row) = (case.vjp)(&p, &e);
            for (k, rk) in row.iter().enumerate() {
                let mut d = vec![0.0; 12];
                d[k] = 1.0;
                let (_, t) = (case.jvp)(&p, &d);
                assert!(
                    (t[i] - rk).abs() <= 1e-12 * (1.0 + rk.abs()),
                    "kick: {i} {k}"
                );
            }
        }
        // Hessian-vector products of `<c, kick(x, v)>` at duals, against differences of
        // gradients.
        let c = rng.vec(6);
        let grad = |q: &[f64], out: &mut [f64]| {
            let (_, g) = (case.vjp)(q, &c);
            out.copy_from_slice(&g);
        };
        let hvp = |u: &[f64]| -> Vec<f64> {
            let lift: Vec<D> = p.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
            let mut x = nest::<3, _>(&lift[..6]);
            let mut x_bar = nest::<3, D>(&c.iter().map(|&v| Dual::constant(v)).collect::<Vec<_>>());
            let mut v_bar = vec![[Dual::constant(0.0); 3]; 2];
            kick_vjp(&mut x, &mut x_bar, &nest(&lift[6..]), &mut v_bar, 0.3);
            let mut g: Vec<D> = x_bar.as_flattened().to_vec();
            g.extend_from_slice(v_bar.as_flattened());
            g.iter().map(|d| d.tangents[0]).collect()
        };
        let (u, w) = (rng.vec(12), rng.vec(12));
        let report = check_hvp(grad, &p, &u, &hvp(&u), &w, &hvp(&w), 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "kick: {report:?}");
        // The same kick written flat, to the bit.
        let (mut x, mut x_flat) = (nest::<3, _>(&p[..6]), p[..6].to_vec());
        let (mut xd, mut xd_flat) = (nest::<3, _>(&c), c.clone());
        let d = rng.vec(6);
        kick_jvp(&mut x, &mut xd, &nest(&p[6..]), &nest(&d), 0.3);
        kick_flat_jvp(&mut x_flat, &mut xd_flat, &p[6..], &d, 0.3);
        assert_eq!(x.as_flattened(), &x_flat[..]);
        assert_eq!(xd.as_flattened(), &xd_flat[..]);
        let (mut x, mut x_flat) = (nest::<3, _>(&p[..6]), p[..6].to_vec());
        let (mut xb, mut xb_flat) = (nest::<3, _>(&c), c.clone());
        let (mut vb, mut vb_flat) = (vec![[0.0; 3]; 2], vec![0.0; 6]);
        kick_vjp(&mut x, &mut xb, &nest(&p[6..]), &mut vb, 0.3);
        kick_flat_vjp(&mut x_flat, &mut xb_flat, &p[6..], &mut vb_flat, 0.3);
        assert_eq!(x.as_flattened(), &x_flat[..]);
        assert_eq!(xb.as_flattened(), &xb_flat[..]);
        assert_eq!(vb.as_flattened(), &vb_flat[..]);
    }
}

#[test]
fn fixed_rows_vec_rows_adversarial_names_and_macros_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let obs = nest::<2, f64>(&rng.vec(6));
        let ab = rng.vec(14);
        let split = |x: &[f64]| -> ([[f64; 2]; 4], Vec<[f64; 2]>) {
            let a = nest::<2, f64>(&x[..8]);
            ([a[0], a[1], a[2], a[3]], nest(&x[8..]))
        };
        prove(
            "shapes",
            &ab,
            &|x| {
                let (a, b) = split(x);
                shapes(&a, &b, &obs)
            },
            &|x, d| {
                let ((a, b), (ad, bd)) = (split(x), split(d));
                shapes_jvp(&a, &ad, &b, &bd, &obs)
            },
            &|x, g, w| {
                let (a, b) = split(x);
                let (mut ab_, mut bb) = split(g);
                let v = shapes_vjp(&a, &mut ab_, &b, &mut bb, &obs, w);
                g[..8].copy_from_slice(ab_.as_flattened());
                g[8..].copy_from_slice(bb.as_flattened());
                v
            },
            &|x, g| {
                let a = nest::<2, D>(&x[..8]);
                let a = [a[0], a[1], a[2], a[3]];
                let b = nest::<2, D>(&x[8..]);
                let mut a_bar = [[Dual::constant(0.0); 2]; 4];
                let mut b_bar = vec![[Dual::constant(0.0); 2]; 3];
                shapes_vjp(&a, &mut a_bar, &b, &mut b_bar, &obs, Dual::constant(1.0));
                g[..8].copy_from_slice(a_bar.as_flattened());
                g[8..].copy_from_slice(b_bar.as_flattened());
            },
            seed,
        );
        let x = rng.vec(6);
        prove(
            "from_macro",
            &x,
            &|x| from_macro(&nest(x)),
            &|x, d| from_macro_jvp(&nest(x), &nest(d)),
            &|x, g, w| {
                let mut gb = nest::<2, _>(g);
                let v = from_macro_vjp(&nest(x), &mut gb, w);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<2, _>(g);
                from_macro_vjp(&nest(x), &mut gb, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
    }
}

/// `adversarial` as a function of the flat `(result, __adj0)` to its value and the final
/// `__adj0`.
fn adversarial_case() -> Case<'static> {
    Case {
        name: "adversarial",
        inputs: 8,
        outputs: 5,
        f: &|p| {
            let mut a = nest::<2, _>(&p[4..]);
            let s = adversarial(&nest(&p[..4]), &mut a, 0.7);
            let mut out = vec![s];
            out.extend_from_slice(a.as_flattened());
            out
        },
        jvp: &|p, d| {
            let (mut a, mut a_dot) = (nest::<2, _>(&p[4..]), nest::<2, _>(&d[4..]));
            let (s, s_dot) =
                adversarial_jvp(&nest(&p[..4]), &nest(&d[..4]), &mut a, &mut a_dot, 0.7);
            let (mut v, mut t) = (vec![s], vec![s_dot]);
            v.extend_from_slice(a.as_flattened());
            t.extend_from_slice(a_dot.as_flattened());
            (v, t)
        },
        vjp: &|p, w| {
            let mut a = nest::<2, _>(&p[4..]);
            let mut r_bar = vec![[0.0; 2]; 2];
            let mut a_bar = nest::<2, _>(&w[1..]);
            let s = adversarial_vjp(&nest(&p[..4]), &mut r_bar, &mut a, &mut a_bar, 0.7, w[0]);
            let mut v = vec![s];
            v.extend_from_slice(a.as_flattened());
            let mut g = r_bar.as_flattened().to_vec();
            g.extend_from_slice(a_bar.as_flattened());
            (v, g)
        },
    }
}

#[test]
fn adversarial_names_three_ways() {
    for seed in [1, 2, 3] {
        let p = Draws::new(seed).vec(8);
        check(&adversarial_case(), &p, seed);
        let case = adversarial_case();
        for i in 0..5 {
            let mut e = vec![0.0; 5];
            e[i] = 1.0;
            let (_, row) = (case.vjp)(&p, &e);
            for (k, rk) in row.iter().enumerate() {
                let mut d = vec![0.0; 8];
                d[k] = 1.0;
                let (_, t) = (case.jvp)(&p, &d);
                assert!(
                    (t[i] - rk).abs() <= 1e-12 * (1.0 + rk.abs()),
                    "adversarial: {i} {k}"
                );
            }
        }
    }
}

/// An element chosen by an integer parameter, directly and through a row of an iterator.
#[differentiable(wrt(x))]
fn pick(x: &[[f64; 2]], j: usize) -> f64 {
    let mut s = x[0][j] * x[1][j];
    for p in x {
        s += p[j].sin();
    }
    s
}

/// The same through the rows only.
#[differentiable(wrt(x))]
fn pick_in_rows(x: &[[f64; 2]], j: usize) -> f64 {
    x.iter().map(|p| p[j] * p[0]).sum()
}

#[test]
fn an_index_past_a_row_panics_in_every_companion_as_in_the_function() {
    let x = [[0.5, -0.25], [1.5, 2.0]];
    let mut g = [[0.0; 2]; 2];
    assert_eq!(
        pick_vjp(&x, &mut g, 1, 1.0),
        pick(&x, 1),
        "a valid index reads the element"
    );
    assert_eq!(
        g,
        [[0.0, 2.0 + (-0.25f64).cos()], [0.0, -0.25 + 2.0f64.cos()]]
    );
    // Flat, `x[0][2]` would be `x[1][0]`: every companion checks the index as Rust does.
    let panics = |f: &dyn Fn()| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
    assert!(panics(&|| {
        pick(&x, 2);
    }));
    assert!(panics(&|| {
        pick_generic::<f64>(&x, 2);
    }));
    assert!(panics(&|| {
        pick_jvp(&x, &x, 2);
    }));
    assert!(panics(&|| {
        pick_vjp(&x, &mut [[0.0; 2]; 2], 2, 1.0);
    }));
    assert_eq!(pick_in_rows_generic::<f64>(&x, 1), pick_in_rows(&x, 1));
    assert!(panics(&|| {
        pick_in_rows(&x, 2);
    }));
    assert!(panics(&|| {
        pick_in_rows_jvp(&x, &x, 2);
    }));
    assert!(panics(&|| {
        pick_in_rows_vjp(&x, &mut [[0.0; 2]; 2], 2, 1.0);
    }));
}

#[test]
fn local_arrays_of_arrays_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = rng.vec(9);
        prove(
            "locals",
            &x,
            &|x| locals(&nest(x), 5),
            &|x, d| locals_jvp(&nest(x), &nest(d), 5),
            &|x, g, w| {
                let mut gb = nest::<3, _>(g);
                let v = locals_vjp(&nest(x), &mut gb, 5, w);
                g.copy_from_slice(gb.as_flattened());
                v
            },
            &|x, g| {
                let mut gb = nest::<3, _>(g);
                locals_vjp(&nest(x), &mut gb, 5, Dual::constant(1.0));
                g.copy_from_slice(gb.as_flattened());
            },
            seed,
        );
        let (rows, d) = (nest::<3, _>(&x), rng.vec(9));
        assert_eq!(locals(&rows, 5), locals_flat(&x, 5));
        assert_eq!(locals_jvp(&rows, &nest(&d), 5), locals_flat_jvp(&x, &d, 5));
        let (mut g, mut g_flat) = (vec![[0.0; 3]; 3], vec![0.0; 9]);
        assert_eq!(
            locals_vjp(&rows, &mut g, 5, 0.5),
            locals_flat_vjp(&x, &mut g_flat, 5, 0.5)
        );
        assert_eq!(g.as_flattened(), &g_flat[..]);
    }
}

/// The potential energy of springs of rest length 1 between neighbouring particles (the
/// README's example).
#[differentiable(wrt(pos))]
fn springs(pos: &[[f64; 3]], k: f64) -> f64 {
    let mut e = 0.0;
    for i in 1..pos.len() {
        let mut r2 = 0.0;
        for c in 0..3 {
            r2 += (pos[i][c] - pos[i - 1][c]).powi(2);
        }
        e += 0.5 * k * (r2.sqrt() - 1.0).powi(2);
    }
    e
}

#[test]
fn the_readme_example_gives_the_gradient_in_rows() {
    let pos = [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]];
    let (e, grad) = springs_grad(&pos, 3.0);
    assert_eq!((e, grad), (1.5, vec![[-3.0, 0.0, 0.0], [3.0, 0.0, 0.0]]));
}

/// Without `wrt(..)`, every real parameter is differentiated, rows by reference too.
#[differentiable]
fn spread(a: &[[f64; 2]], w: f64) -> f64 {
    let mut s = 0.0;
    for p in a {
        s += w * (p[0] - p[1]).powi(2) + p[0].sin();
    }
    s
}

#[test]
fn rows_without_wrt_are_differentiated_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let x = rng.vec(7);
        let w_of = |x: &[f64]| x[6];
        prove(
            "spread",
            &x,
            &|x| spread(&nest(&x[..6]), w_of(x)),
            &|x, d| spread_jvp(&nest(&x[..6]), &nest(&d[..6]), x[6], d[6]),
            &|x, g, y| {
                let mut gb = nest::<2, _>(&g[..6]);
                let mut w_bar = g[6];
                let v = spread_vjp(&nest(&x[..6]), &mut gb, x[6], &mut w_bar, y);
                g[..6].copy_from_slice(gb.as_flattened());
                g[6] = w_bar;
                v
            },
            &|x, g| {
                let mut gb = nest::<2, _>(&g[..6]);
                let mut w_bar = g[6];
                spread_vjp(
                    &nest(&x[..6]),
                    &mut gb,
                    x[6],
                    &mut w_bar,
                    Dual::constant(1.0),
                );
                g[..6].copy_from_slice(gb.as_flattened());
                g[6] = w_bar;
            },
            seed,
        );
    }
}
