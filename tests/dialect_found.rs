//! Valid programs the random generator and the idiomatic examples found refused (issue 12,
//! tests/random-programs/README.md), now accepted. Each derivative is proved three ways:
//! central finite differences, the dot-product test to 1e-12, tangent against adjoint.

mod common;

use common::{check, Case};
use tapeless::differentiable;

/// A model whose parameter `k` is data in `energy` (`wrt(x)` leaves `self` out).
#[differentiable]
#[derive(Clone)]
struct Model {
    k: f64,
}

impl Model {
    /// Differentiated in `x` only: the companions take `self` as it is, at `f64`.
    #[differentiable(wrt(x))]
    fn energy(&self, x: &[f64], y: &[f64]) -> f64 {
        self.k * x[0] * x[1].sin() * y[0] + x[1] * y[1]
    }
}

#[test]
fn wrt_on_a_self_method_leaves_self_as_data() {
    let m = Model { k: 1.7 };
    let y = [0.3, -1.2];
    let f = |x: &[f64]| vec![m.energy(x, &y)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = m.energy_jvp(x, d, &y);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let mut x_bar = vec![0.0; 2];
        let v = m.energy_vjp(x, &mut x_bar, &y, w[0]);
        (vec![v], x_bar)
    };
    let case = Case {
        name: "Model::energy wrt(x)",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.8, 0.4], 31);
    // The associated forms take the receiver at `f64`, and `_grad` agrees with `_vjp`.
    let x = [0.8, 0.4];
    let (v, g) = m.energy_grad(&x, &y);
    let mut x_bar = [0.0; 2];
    assert_eq!(Model::energy_vjp_at(&m, &x, &mut x_bar, &y, 1.0), v);
    assert_eq!(g, x_bar.to_vec());
    assert_eq!(m.energy_generic(&x, &y), v);
}

/// Reals, an array and an integer; the integer is used beside integer variables.
#[differentiable]
#[derive(Clone)]
struct Params {
    c: f64,
    w: [f64; 3],
    n: usize,
}

fn params_from(v: &[f64]) -> Params {
    Params {
        c: v[0],
        w: [v[1], v[2], v[3]],
        n: 1,
    }
}

/// `p.n` beside the loop variable `i`, in an index, a comparison and arithmetic, and in an
/// index of `p.w` beside itself; `result` and `x_bar` are the user's names.
#[differentiable]
fn shifted(p: &Params, x: &[f64]) -> f64 {
    let mut result = 0.0;
    for i in 0..x.len() {
        result += x[(i + p.n) % x.len()] * p.c;
        if p.n < i {
            result += x[i] * x[i];
        }
        if i + p.n >= 3 {
            result -= 0.5 * x[i];
        }
    }
    let x_bar = p.w[(p.n + p.n) % 3];
    let k = p.n;
    let m = (k + 2) * p.n;
    result * x_bar + p.w[m % 3] * (p.n as f64)
}

#[test]
fn an_integer_field_beside_integer_variables() {
    let f = |v: &[f64]| vec![shifted(&params_from(&v[..4]), &v[4..])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (val, t) = shifted_jvp(
            &params_from(&v[..4]),
            &params_from(&d[..4]),
            &v[4..],
            &d[4..],
        );
        (vec![val], vec![t])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let p = params_from(&v[..4]);
        let mut p_bar = params_from(&[0.0; 4]);
        let mut x_bar = vec![0.0; 4];
        let val = shifted_vjp(&p, &mut p_bar, &v[4..], &mut x_bar, w[0]);
        let mut g = vec![p_bar.c, p_bar.w[0], p_bar.w[1], p_bar.w[2]];
        g.extend(x_bar);
        (vec![val], g)
    };
    let case = Case {
        name: "shifted(p, x) with p.n beside i",
        inputs: 8,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, 0.3, -0.4, 1.1, 0.2, -0.6, 0.9, 0.5], 41);
}

/// `continue` in `for` loops over iterators: the rest of the iteration is skipped, in the
/// primal and in both sweeps. Locals named like the generated flags (`continued`, `__next`).
#[differentiable]
fn skipping(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut continued = 1.0;
    for &v in x.iter() {
        if v > 0.5 {
            continue;
        }
        s += v * v;
        continued *= 1.0 + 0.1 * v;
    }
    for (k, &v) in x.iter().enumerate().rev() {
        if k == 1 {
            continue;
        }
        s += (k as f64 + 1.0) * v.sin();
    }
    for (&a, &b) in x.iter().zip(y.iter()).step_by(2) {
        let __next = a * b;
        if __next < -0.1 {
            if b > 0.0 {
                continue;
            }
            s -= b;
        }
        s += __next.exp() * 0.25;
    }
    'outer: for &v in y.iter() {
        for &u in x.iter().skip(1) {
            if u * v > 0.3 {
                continue 'outer;
            }
            s += 0.5 * u * v;
        }
        s *= 1.0 + 0.01 * v;
    }
    s * continued
}

#[test]
fn continue_in_loops_over_iterators() {
    let f = |v: &[f64]| vec![skipping(&v[..4], &v[4..])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (val, t) = skipping_jvp(&v[..4], &d[..4], &v[4..], &d[4..]);
        (vec![val], vec![t])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let (mut x_bar, mut y_bar) = (vec![0.0; 4], vec![0.0; 4]);
        let val = skipping_vjp(&v[..4], &mut x_bar, &v[4..], &mut y_bar, w[0]);
        x_bar.extend(y_bar);
        (vec![val], x_bar)
    };
    let case = Case {
        name: "skipping(x, y) with continue",
        inputs: 8,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    // Points where each `continue` is taken in some iterations and not in others.
    check(&case, &[0.2, 0.9, -0.4, 0.7, 0.6, -0.8, 0.3, 0.45], 51);
    check(&case, &[-0.3, 0.1, 0.8, 0.35, -0.5, 0.2, 0.9, -0.7], 52);
}

/// The same loops written over ranges: `continue` in an iterator loop skips what it does there.
#[test]
#[allow(clippy::needless_range_loop)] // over ranges on purpose: the reference for the iterators
fn continue_over_an_iterator_skips_as_over_a_range() {
    let (x, y) = ([0.2, 0.9, -0.4, 0.7], [0.6, -0.8, 0.3, 0.45]);
    let mut s = 0.0;
    let mut c = 1.0;
    for i in 0..4 {
        if x[i] > 0.5 {
            continue;
        }
        s += x[i] * x[i];
        c *= 1.0 + 0.1 * x[i];
    }
    for k in (0..4).rev() {
        if k == 1 {
            continue;
        }
        s += (k as f64 + 1.0) * f64::sin(x[k]);
    }
    for i in (0..4).step_by(2) {
        let n = x[i] * y[i];
        if n < -0.1 {
            if y[i] > 0.0 {
                continue;
            }
            s -= y[i];
        }
        s += n.exp() * 0.25;
    }
    'outer: for j in 0..4 {
        for i in 1..4 {
            if x[i] * y[j] > 0.3 {
                continue 'outer;
            }
            s += 0.5 * x[i] * y[j];
        }
        s *= 1.0 + 0.01 * y[j];
    }
    assert_eq!(skipping(&x, &y), s * c);
}

/// A `Vec` declared inside a loop and swept by an inner loop over its length (found by the
/// random programs once the switches above were on): the stack of the inner loop's saves is
/// reserved inside the outer loop, where the `Vec` is in scope (it was reserved before the outer
/// loop: E0425 in the generated code).
#[differentiable]
fn local_vec_in_loops(x: &[f64], w: &[f64]) -> f64 {
    let n = x.len();
    let t = x[0] * 2.0;
    let mut s = 0.0;
    for (k, &v) in x.iter().enumerate() {
        let mut inner: Vec<f64> = vec![0.0; n];
        for e in inner.iter_mut() {
            *e = (*e + t * v).sin();
        }
        s += inner[k] * v;
        for j in 1..3 {
            let copy = w.to_vec();
            for (&a, &b) in copy.iter().step_by(2).zip(x.iter()) {
                let pair = [a * b, copy[j]];
                s += pair[0] * pair[1];
            }
        }
    }
    s
}

#[test]
fn a_local_vec_swept_inside_a_loop() {
    let f = |v: &[f64]| vec![local_vec_in_loops(&v[..3], &v[3..])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (val, t) = local_vec_in_loops_jvp(&v[..3], &d[..3], &v[3..], &d[3..]);
        (vec![val], vec![t])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let (mut x_bar, mut w_bar) = (vec![0.0; 3], vec![0.0; 4]);
        let val = local_vec_in_loops_vjp(&v[..3], &mut x_bar, &v[3..], &mut w_bar, w[0]);
        x_bar.extend(w_bar);
        (vec![val], x_bar)
    };
    let case = Case {
        name: "local_vec_in_loops(x, w)",
        inputs: 7,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.4, -0.3, 0.8, 0.5, -0.7, 0.2, 0.9], 61);
}

/// `break` and `return` in `for` loops over iterators (they run as `while` loops over the
/// position, so the reverse sweep replays the iterations taken).
#[differentiable]
fn stopping(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (k, &v) in x.iter().enumerate().rev() {
        s += (k as f64 + 0.5) * v * v;
        if s > 1.0 {
            break;
        }
    }
    for (&a, &b) in x.iter().zip(y.iter()).step_by(2) {
        if a * b < -0.3 {
            return s * a;
        }
        s += a.sin() * b;
    }
    s
}

#[test]
fn break_and_return_in_loops_over_iterators() {
    let f = |v: &[f64]| vec![stopping(&v[..4], &v[4..])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (val, t) = stopping_jvp(&v[..4], &d[..4], &v[4..], &d[4..]);
        (vec![val], vec![t])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let (mut x_bar, mut y_bar) = (vec![0.0; 4], vec![0.0; 4]);
        let val = stopping_vjp(&v[..4], &mut x_bar, &v[4..], &mut y_bar, w[0]);
        x_bar.extend(y_bar);
        (vec![val], x_bar)
    };
    let case = Case {
        name: "stopping(x, y) with break and return",
        inputs: 8,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    // The `break` taken after the first iteration (`k = 3`), the `return` at the second pair.
    check(&case, &[0.3, 0.2, 0.9, 0.6, 0.5, -0.8, -0.7, 0.4], 71);
    // Neither taken.
    check(&case, &[0.1, 0.2, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3], 72);
}

/// A differentiable dot product of the first two entries.
#[differentiable]
fn dot2(u: &[f64], v: &[f64]) -> f64 {
    u[0] * v[0] + u[1] * v[1]
}

/// A struct's array field passed to a call inside `vec![..]`, `vec![..; n]` and `[..]`.
#[differentiable]
#[allow(clippy::useless_vec)] // `vec![..]` is the construct under test
fn field_calls_in_literals(p: &Params, x: &[f64]) -> f64 {
    let t = vec![1.0, dot2(&p.w, x), p.c];
    let r = vec![dot2(x, &p.w) * p.c; 2];
    let u = [t[1] * t[2], dot2(&p.w, &p.w)];
    t[1] + r[1] * u[0] + u[1]
}

#[test]
fn struct_field_calls_in_array_literals() {
    let f = |v: &[f64]| vec![field_calls_in_literals(&params_from(&v[..4]), &v[4..])];
    let jvp = |v: &[f64], d: &[f64]| {
        let (val, t) = field_calls_in_literals_jvp(
            &params_from(&v[..4]),
            &params_from(&d[..4]),
            &v[4..],
            &d[4..],
        );
        (vec![val], vec![t])
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let p = params_from(&v[..4]);
        let mut p_bar = params_from(&[0.0; 4]);
        let mut x_bar = vec![0.0; 2];
        let val = field_calls_in_literals_vjp(&p, &mut p_bar, &v[4..], &mut x_bar, w[0]);
        let mut g = vec![p_bar.c, p_bar.w[0], p_bar.w[1], p_bar.w[2]];
        g.extend(x_bar);
        (vec![val], g)
    };
    let case = Case {
        name: "field_calls_in_literals(p, x)",
        inputs: 6,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, 0.3, -0.4, 1.1, 0.2, -0.6], 81);
}

/// Damps `u[0]` and gives the sum of the first two entries: a callee that writes its array.
#[differentiable]
fn damp(u: &mut [f64]) -> f64 {
    u[0] *= 0.9;
    u[0] + u[1]
}

/// A `&mut [f64]` parameter passed to `&[f64]` parameters inside a closure and in the body of
/// a loop over it (bug 1b of the random programs there), and to a callee that writes it, from
/// a closure that so writes its capture in place.
#[differentiable]
fn mut_array_in_closures(x: &[f64], y: &mut [f64]) -> f64 {
    let s = x.iter().map(|&v| v * dot2(y, x)).sum::<f64>();
    let mut t = 0.0;
    for (&v, &q) in x.iter().zip(y.iter()) {
        t += v * q * dot2(x, y);
    }
    let d = x.iter().map(|&v| v * damp(y)).sum::<f64>();
    y[1] = s * t;
    s + t + d
}

#[test]
fn a_mut_array_passed_to_shared_parameters_in_closures_and_loops() {
    let f = |v: &[f64]| {
        let mut y = v[2..].to_vec();
        let r = mut_array_in_closures(&v[..2], &mut y);
        let mut out = vec![r];
        out.extend(y);
        out
    };
    let jvp = |v: &[f64], d: &[f64]| {
        let (mut y, mut y_dot) = (v[2..].to_vec(), d[2..].to_vec());
        let (r, r_dot) = mut_array_in_closures_jvp(&v[..2], &d[..2], &mut y, &mut y_dot);
        let (mut out, mut out_dot) = (vec![r], vec![r_dot]);
        out.extend(y);
        out_dot.extend(y_dot);
        (out, out_dot)
    };
    let vjp = |v: &[f64], w: &[f64]| {
        let (mut y, mut y_bar) = (v[2..].to_vec(), w[1..].to_vec());
        let mut x_bar = vec![0.0; 2];
        let r = mut_array_in_closures_vjp(&v[..2], &mut x_bar, &mut y, &mut y_bar, w[0]);
        let mut out = vec![r];
        out.extend(y);
        x_bar.extend(y_bar);
        (out, x_bar)
    };
    let case = Case {
        name: "mut_array_in_closures(x, y)",
        inputs: 4,
        outputs: 3,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.5, -0.3, 0.8, 0.6], 91);
}
