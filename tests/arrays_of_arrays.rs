//! Arrays of arrays of reals as data: observations as pairs `obs: &[[f64; 2]]` (time, value),
//! particles as triples `pos: &[[f64; 3]]`, `Vec<[f64; 3]>` and `[[f64; 3]; N]` parameters
//! outside `wrt(..)`, read as `obs[k][j]`, `for o in obs`, `for &[t, y] in obs`,
//! `for [t, y] in obs.iter().copied()`, `.iter().zip(obs).map(..).sum()`, `fold`, and passed on
//! to annotated callees. The derivative flows through the reals the data multiplies; it is
//! proved three ways (central differences, the dot-product test, tangent against adjoint) with
//! forward-over-reverse Hessian-vector products, and against the same functions written flat.

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

type D = Dual<f64, 1>;

/// The misfit of a state to the observations taken at step `n` (rows `[step, value]`).
#[differentiable(wrt(u))]
fn misfit_at(u: &[f64], obs: &[[f64; 2]], n: usize) -> f64 {
    let mut j = 0.0;
    for o in obs {
        if o[0] as usize == n {
            let d = u[0] - o[1];
            j += d * d;
        }
    }
    j
}

/// A 4D-Var cost: a nonlinear oscillator from `x0` by explicit steps, the squared misfits to
/// the observations of its first component along the trajectory, and a background term.
#[differentiable(wrt(x0))]
fn fourdvar(x0: &[f64], obs: &[[f64; 2]], xb: &[f64], dt: f64, steps: usize) -> f64 {
    let mut u = [0.0; 2];
    u[0] = x0[0];
    u[1] = x0[1];
    let mut j = 0.5 * ((x0[0] - xb[0]).powi(2) + (x0[1] - xb[1]).powi(2));
    for n in 0..steps {
        j += misfit_at(&u, obs, n);
        let a = u[0];
        let b = u[1];
        u[0] = a + dt * b;
        u[1] = b - dt * (a + 0.3 * a * a * a) - dt * 0.1 * b;
    }
    for k in 0..obs.len() {
        if obs[k][0] as usize == steps {
            j += (u[0] - obs[k][1]).powi(2);
        }
    }
    j
}

/// The same cost with the observations flat, `obs[2 * k]` and `obs[2 * k + 1]`.
#[differentiable(wrt(x0))]
fn fourdvar_flat(x0: &[f64], obs: &[f64], xb: &[f64], dt: f64, steps: usize) -> f64 {
    let mut u = [0.0; 2];
    u[0] = x0[0];
    u[1] = x0[1];
    let mut j = 0.5 * ((x0[0] - xb[0]).powi(2) + (x0[1] - xb[1]).powi(2));
    for n in 0..steps {
        // Summed apart, as `misfit_at` does, so the values agree to the bit.
        let mut m = 0.0;
        for k in 0..obs.len() / 2 {
            if obs[2 * k] as usize == n {
                let d = u[0] - obs[2 * k + 1];
                m += d * d;
            }
        }
        j += m;
        let a = u[0];
        let b = u[1];
        u[0] = a + dt * b;
        u[1] = b - dt * (a + 0.3 * a * a * a) - dt * 0.1 * b;
    }
    for k in 0..obs.len() / 2 {
        if obs[2 * k] as usize == steps {
            j += (u[0] - obs[2 * k + 1]).powi(2);
        }
    }
    j
}

/// Coulomb energy of charges `q` at data positions: `sum_{i<j} q_i q_j / |p_i - p_j|`.
#[differentiable(wrt(q))]
fn coulomb(q: &[f64], pos: &[[f64; 3]]) -> f64 {
    let mut e = 0.0;
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let dx = pos[i][0] - pos[j][0];
            let dy = pos[i][1] - pos[j][1];
            let dz = pos[i][2] - pos[j][2];
            e += q[i] * q[j] / (dx * dx + dy * dy + dz * dz).sqrt();
        }
    }
    e
}

/// A trap's potential energy through iterators: `zip` with the positions, slice patterns,
/// `copied`, `enumerate`, `fold`.
#[differentiable(wrt(k))]
fn trap(k: &[f64], pos: &[[f64; 3]]) -> f64 {
    let harmonic: f64 = k
        .iter()
        .zip(pos)
        .map(|(ki, p)| 0.5 * ki * (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]))
        .sum();
    let mut quartic = 0.0;
    for &[x, _, z] in pos {
        quartic += k[0] * k[1] * (x * x * z * z);
    }
    let mut axial = 0.0;
    for [_, y, _] in pos.iter().copied() {
        axial += (k[2] * y).sin();
    }
    for (i, p) in pos.iter().enumerate() {
        axial += k[i % 3] * k[(i + 1) % 3] * p[1];
    }
    let tail = pos.iter().fold(0.0, |acc, p| acc + k[0].exp() * p[2]);
    harmonic + quartic + axial + tail
}

/// Positions held as a `Vec<[f64; 3]>` and a `[[f64; 3]; 4]` by value.
#[differentiable(wrt(w))]
fn owned(w: &[f64], cloud: Vec<[f64; 3]>, box4: [[f64; 3]; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..cloud.len() {
        s += (w[0] * cloud[i][0] + w[1] * cloud[i][1]).tanh() * cloud[i][2];
    }
    for c in 0..4 {
        let row = box4[c];
        s += w[c % 2] * w[2] * row[c % 3];
    }
    s
}

/// A weight of an observation time: a plain function, not annotated.
fn weight(t: f64) -> f64 {
    1.0 / (1.0 + t * t)
}

/// Rows read inside calls (a plain function, `f64::max`, an annotated callee) and a row
/// carried across iterations (saved for the reverse sweep).
#[differentiable(wrt(x))]
fn carried(x: &[f64], obs: &[[f64; 2]]) -> f64 {
    let mut prev = obs[0];
    let mut s: f64 = 0.0;
    for k in 0..obs.len() {
        s += x[0] * weight(obs[k][0]) * s.sin() + f64::max(obs[k][1], 0.1) * x[1];
        s += (x[1] - prev[1]) * (x[0] - obs[k][1]) + misfit_at(x, obs, k);
        prev = obs[k];
    }
    s
}

/// Tables of integer pairs read the same way, `pairs[k][1]` and `for p in pairs` then `p[0]`
/// (integer data needs no `wrt(..)`).
#[differentiable]
fn bonds(x: &[f64], pairs: &[[usize; 2]]) -> f64 {
    let mut s = 0.0;
    for p in pairs {
        s += x[p[0]] * x[p[1]].sin();
    }
    for k in 0..pairs.len() {
        s += (x[pairs[k][1]] - x[pairs[k][0]]).powi(2);
    }
    s
}

/// Names the generated code might use: a parameter `result`, data named `obs_bar`, a real
/// `__adj0`, locals `__row`, `o` and `x_bar`.
#[differentiable(wrt(result, __adj0))]
fn adversarial(result: &[f64], obs_bar: &[[f64; 2]], __adj0: f64) -> f64 {
    let mut x_bar = 0.0;
    let __row = 2.0;
    for o in obs_bar {
        let __i = o[0] * result[1];
        x_bar += __i * __adj0 * o[1] + __row * result[0] * obs_bar[0][1];
    }
    for &[r#o, _] in obs_bar.iter() {
        x_bar += (r#o * result[0]).sin();
    }
    x_bar
}

/// A callee whose parameters are all differentiated.
#[differentiable]
fn blend(a: f64, b: f64) -> f64 {
    a * b.sin() + 0.5 * a * a
}

/// Elements of rows passed to `blend` as reals: `obs[0][1]`, `o[0]` of `for o in obs`, `t` of
/// `for &[t, y] in obs`, `o[1]` in a closure, a sum of elements; and a `let mut` given an element,
/// then assigned reals. Found by the random programs: such an argument got no tangent or
/// adjoint slot in the callee's companions (E0061, E0308), and the `let mut` was refused ("`m`
/// is not a real variable").
#[differentiable(wrt(x))]
fn rows_as_arguments(x: &[f64], obs: &[[f64; 2]]) -> f64 {
    let mut s = blend(x[0], obs[0][1]);
    for o in obs {
        s += blend(x[1], o[0]);
    }
    for &[t, y] in obs {
        s += blend(t, x[0] * y);
    }
    for (k, o) in obs.iter().enumerate() {
        s += blend(o[1], x[k % 2]) + blend(x[1], o[0] + obs[0][1]);
    }
    let mut m = obs[1][1];
    m = (m * x[0]).sin();
    s + m + obs.iter().map(|o| blend(o[1], x[0])).sum::<f64>()
}

macro_rules! in_macro {
    ($name:ident, $data:ident: $t:ty) => {
        #[differentiable(wrt(x))]
        fn $name(x: &[f64], $data: $t) -> f64 {
            let mut s = 0.0;
            for o in $data {
                s += (x[0] * o[0] - o[1]).powi(2) * x[1];
            }
            s + $data[0][1] * x[0]
        }
    };
}
in_macro!(from_macro, pairs: &[[f64; 2]]);

/// Checks `f` three ways at `x` and its Hessian-vector products at duals.
#[allow(clippy::type_complexity)]
fn prove(
    name: &str,
    x: &[f64],
    f: &dyn Fn(&[f64]) -> f64,
    jvp: &dyn Fn(&[f64], &[f64]) -> (f64, f64),
    vjp: &dyn Fn(&[f64], &mut [f64], f64) -> f64,
    vjp_dual: &dyn Fn(&[D], &mut [D]),
    seed: u64,
) {
    let n = x.len();
    check(
        &Case {
            name,
            inputs: n,
            outputs: 1,
            f: &|p| vec![f(p)],
            jvp: &|p, d| {
                let (v, t) = jvp(p, d);
                (vec![v], vec![t])
            },
            vjp: &|p, w| {
                let mut g = vec![0.0; n];
                let v = vjp(p, &mut g, w[0]);
                (vec![v], g)
            },
        },
        x,
        seed,
    );
    // Tangent against adjoint: the gradient's components are the tangents along the axes.
    let mut g = vec![0.0; n];
    vjp(x, &mut g, 1.0);
    for (k, gk) in g.iter().enumerate() {
        let mut e = vec![0.0; n];
        e[k] = 1.0;
        let (_, t) = jvp(x, &e);
        assert!(
            (t - gk).abs() <= 1e-12 * (1.0 + gk.abs()),
            "{name}: {t} vs {gk}"
        );
    }
    let hvp = |u: &[f64]| -> Vec<f64> {
        let lift: Vec<D> = x.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
        let mut xb = vec![Dual::constant(0.0); n];
        vjp_dual(&lift, &mut xb);
        xb.iter().map(|d| d.tangents[0]).collect()
    };
    let mut rng = Draws::new(seed + 100);
    let (u, w) = (rng.vec(n), rng.vec(n));
    let (hu, hw) = (hvp(&u), hvp(&w));
    let grad = |p: &[f64], out: &mut [f64]| {
        out.iter_mut().for_each(|o| *o = 0.0);
        vjp(p, out, 1.0);
    };
    let report = check_hvp(grad, x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{name}: {report:?}");
}

/// Observations `[step, value]` at some steps of `0..=steps`, several at one step.
fn observations(rng: &mut Draws, steps: usize) -> Vec<[f64; 2]> {
    (0..=steps)
        .step_by(2)
        .flat_map(|n| [[n as f64, rng.next()], [n as f64, 0.5 * rng.next()]])
        .collect()
}

/// Points at least a little apart.
fn positions(rng: &mut Draws, n: usize) -> Vec<[f64; 3]> {
    (0..n)
        .map(|i| {
            [
                i as f64 + 0.3 * rng.next(),
                rng.next(),
                0.5 * rng.next() - i as f64,
            ]
        })
        .collect()
}

#[test]
fn a_4dvar_cost_over_observation_pairs_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let (steps, dt) = (9, 0.1);
        let obs = observations(&mut rng, steps);
        let xb = rng.vec(2);
        let x0 = rng.vec(2);
        prove(
            "fourdvar",
            &x0,
            &|x| fourdvar(x, &obs, &xb, dt, steps),
            &|x, d| fourdvar_jvp(x, d, &obs, &xb, dt, steps),
            &|x, g, w| fourdvar_vjp(x, g, &obs, &xb, dt, steps, w),
            &|x, g| {
                fourdvar_vjp(x, g, &obs, &xb, dt, steps, Dual::constant(1.0));
            },
            seed,
        );
    }
}

#[test]
fn pairs_read_as_the_flat_data_they_hold() {
    let mut rng = Draws::new(7);
    let (steps, dt) = (12, 0.05);
    let obs = observations(&mut rng, steps);
    let flat: Vec<f64> = obs.iter().flatten().copied().collect();
    let (xb, x0, dx) = (rng.vec(2), rng.vec(2), rng.vec(2));
    assert_eq!(
        fourdvar(&x0, &obs, &xb, dt, steps),
        fourdvar_flat(&x0, &flat, &xb, dt, steps)
    );
    assert_eq!(
        fourdvar_jvp(&x0, &dx, &obs, &xb, dt, steps),
        fourdvar_flat_jvp(&x0, &dx, &flat, &xb, dt, steps)
    );
    let (mut g, mut g_flat) = (vec![0.0; 2], vec![0.0; 2]);
    fourdvar_vjp(&x0, &mut g, &obs, &xb, dt, steps, 1.0);
    fourdvar_flat_vjp(&x0, &mut g_flat, &flat, &xb, dt, steps, 1.0);
    assert_eq!(g, g_flat);
    assert!(g.iter().all(|v| *v != 0.0));
    // The misfit reads both components of each row: moving a value moves the cost.
    let mut moved = obs.clone();
    moved[1][1] += 0.25;
    assert_ne!(
        fourdvar(&x0, &moved, &xb, dt, steps),
        fourdvar(&x0, &obs, &xb, dt, steps)
    );
}

#[test]
fn particle_energies_over_triples_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let pos = positions(&mut rng, 5);
        let q = rng.vec(5);
        prove(
            "coulomb",
            &q,
            &|x| coulomb(x, &pos),
            &|x, d| coulomb_jvp(x, d, &pos),
            &|x, g, w| coulomb_vjp(x, g, &pos, w),
            &|x, g| {
                coulomb_vjp(x, g, &pos, Dual::constant(1.0));
            },
            seed,
        );
        // By hand: the energy of the pairs.
        let mut e = 0.0;
        for i in 0..5 {
            for j in i + 1..5 {
                let r: f64 = (0..3).map(|c| (pos[i][c] - pos[j][c]).powi(2)).sum();
                e += q[i] * q[j] / r.sqrt();
            }
        }
        assert!((coulomb(&q, &pos) - e).abs() <= 1e-14 * e.abs().max(1.0));
        let k: Vec<f64> = rng.vec(3).iter().map(|v| 0.5 * v).collect();
        prove(
            "trap",
            &k,
            &|x| trap(x, &pos),
            &|x, d| trap_jvp(x, d, &pos),
            &|x, g, w| trap_vjp(x, g, &pos, w),
            &|x, g| {
                trap_vjp(x, g, &pos, Dual::constant(1.0));
            },
            seed,
        );
    }
}

#[test]
fn owned_rows_adversarial_names_and_a_macro_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let cloud = positions(&mut rng, 4);
        let box4: [[f64; 3]; 4] = std::array::from_fn(|i| cloud[3 - i]);
        let w = rng.vec(3);
        prove(
            "owned",
            &w,
            &|x| owned(x, cloud.clone(), box4),
            &|x, d| owned_jvp(x, d, cloud.clone(), box4),
            &|x, g, y| owned_vjp(x, g, cloud.clone(), box4, y),
            &|x, g| {
                owned_vjp(x, g, cloud.clone(), box4, Dual::constant(1.0));
            },
            seed,
        );
        let obs = observations(&mut rng, 4);
        let p = rng.vec(3);
        let split = |p: &[f64]| (p[..2].to_vec(), p[2]);
        prove(
            "adversarial",
            &p,
            &|p| {
                let (r, a) = split(p);
                adversarial(&r, &obs, a)
            },
            &|p, d| {
                let ((r, a), (rd, ad)) = (split(p), split(d));
                adversarial_jvp(&r, &rd, &obs, a, ad)
            },
            &|p, g, y| {
                let (r, a) = split(p);
                let (mut rb, mut ab) = (vec![0.0; 2], 0.0);
                let v = adversarial_vjp(&r, &mut rb, &obs, a, &mut ab, y);
                g[..2].iter_mut().zip(&rb).for_each(|(gi, b)| *gi += b);
                g[2] += ab;
                v
            },
            &|p, g| {
                let mut ab = Dual::constant(0.0);
                adversarial_vjp(
                    &p[..2],
                    &mut g[..2],
                    &obs,
                    p[2],
                    &mut ab,
                    Dual::constant(1.0),
                );
                g[2] += ab;
            },
            seed,
        );
        let pairs = [[0, 1], [2, 0], [1, 3], [3, 3]];
        let x4 = rng.vec(4);
        prove(
            "bonds",
            &x4,
            &|x| bonds(x, &pairs),
            &|x, d| bonds_jvp(x, d, &pairs),
            &|x, g, y| bonds_vjp(x, g, &pairs, y),
            &|x, g| {
                bonds_vjp(x, g, &pairs, Dual::constant(1.0));
            },
            seed,
        );
        let x = rng.vec(2);
        prove(
            "carried",
            &x,
            &|x| carried(x, &obs),
            &|x, d| carried_jvp(x, d, &obs),
            &|x, g, y| carried_vjp(x, g, &obs, y),
            &|x, g| {
                carried_vjp(x, g, &obs, Dual::constant(1.0));
            },
            seed,
        );
        prove(
            "from_macro",
            &x,
            &|x| from_macro(x, &obs),
            &|x, d| from_macro_jvp(x, d, &obs),
            &|x, g, y| from_macro_vjp(x, g, &obs, y),
            &|x, g| {
                from_macro_vjp(x, g, &obs, Dual::constant(1.0));
            },
            seed,
        );
    }
}

#[test]
fn elements_of_rows_passed_to_an_annotated_callee_three_ways() {
    for seed in [1, 2, 3] {
        let mut rng = Draws::new(seed);
        let obs = observations(&mut rng, 4);
        let x = rng.vec(2);
        prove(
            "rows_as_arguments",
            &x,
            &|x| rows_as_arguments(x, &obs),
            &|x, d| rows_as_arguments_jvp(x, d, &obs),
            &|x, g, y| rows_as_arguments_vjp(x, g, &obs, y),
            &|x, g| {
                rows_as_arguments_vjp(x, g, &obs, Dual::constant(1.0));
            },
            seed,
        );
    }
}
