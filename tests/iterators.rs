//! Iterator chains and closures: each construct against the same computation written with
//! explicit index loops (values to the bit or to rounding, derivatives to rounding), and its
//! derivatives proved three ways (central differences, the dot-product test, tangent against
//! adjoint), with forward-over-reverse Hessian-vector products for the scalar functions.

mod common;

use common::{assert_close, check, Case, Draws};
use nalgebra::DVector;
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

// ---- Scalar functions of two arrays, each with its explicit-index twin (`_ix`). ----

#[differentiable]
fn dot_zip_map_sum(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

#[differentiable]
fn dot_zip_map_sum_ix(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len().min(y.len()) {
        s += x[i] * y[i];
    }
    s
}

#[differentiable]
fn for_iter(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for a in x.iter() {
        s += a.sin() * y[0];
    }
    for b in y {
        s += *b * *b;
    }
    s
}

#[differentiable]
fn for_iter_ix(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].sin() * y[0];
    }
    for i in 0..y.len() {
        s += y[i] * y[i];
    }
    s
}

#[differentiable]
fn for_zip_enumerate(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for (a, b) in x.iter().zip(y.iter()) {
        s += a * b.exp();
    }
    for (i, &a) in x.iter().enumerate() {
        s += (i as f64 + 1.0) * a * a;
    }
    for (k, (a, b)) in x.iter().zip(y).enumerate() {
        s += a.cos() * b * k as f64;
    }
    s
}

#[differentiable]
fn for_zip_enumerate_ix(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len().min(y.len()) {
        s += x[i] * y[i].exp();
    }
    for i in 0..x.len() {
        s += (i as f64 + 1.0) * x[i] * x[i];
    }
    for k in 0..x.len().min(y.len()) {
        s += x[k].cos() * y[k] * k as f64;
    }
    s
}

#[differentiable]
fn adapters(x: &[f64], y: &[f64]) -> f64 {
    // Horner's rule runs backwards over the coefficients.
    let mut p = 0.0;
    for c in x.iter().rev() {
        p = p * y[0] + c;
    }
    let mut s = p;
    for a in x.iter().skip(1) {
        s += a * a;
    }
    for a in y.iter().take(3) {
        s += a.sin();
    }
    for a in x.iter().step_by(2) {
        s += a * y[1];
    }
    for (i, a) in x.iter().enumerate().rev() {
        s += a * i as f64;
    }
    for (i, a) in x.iter().rev().enumerate() {
        s += a.tanh() * i as f64;
    }
    for (a, b) in x.iter().skip(1).zip(y.iter().rev()) {
        s += a * b;
    }
    for a in x.iter().skip(1).step_by(2).rev() {
        s += a.exp();
    }
    s
}

#[differentiable]
fn adapters_ix(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut p = 0.0;
    for i in (0..n).rev() {
        p = p * y[0] + x[i];
    }
    let mut s = p;
    for i in 1..n {
        s += x[i] * x[i];
    }
    for i in 0..y.len().min(3) {
        s += y[i].sin();
    }
    for i in (0..n).step_by(2) {
        s += x[i] * y[1];
    }
    for i in (0..n).rev() {
        s += x[i] * i as f64;
    }
    for i in 0..n {
        s += x[n - 1 - i].tanh() * i as f64;
    }
    for i in 0..(n - 1).min(y.len()) {
        s += x[i + 1] * y[y.len() - 1 - i];
    }
    for i in (1..n).step_by(2).rev() {
        s += x[i].exp();
    }
    s
}

#[differentiable]
fn sums_products_folds(x: &[f64], y: &[f64]) -> f64 {
    let a = x.iter().map(|v| v * v).sum::<f64>();
    let b: f64 = y.iter().sum();
    let c: f64 = x.iter().map(|&v| 1.0 + 0.1 * v).product();
    let d = x.iter().fold(0.0, |acc, v| acc * 0.5 + v.sin());
    let e = x
        .iter()
        .zip(y)
        .fold(1.0, |acc: f64, (p, q)| acc + (p - q).powi(2));
    let f: f64 = x.iter().copied().map(|v: f64| v.exp()).sum();
    let g: f64 = y.iter().cloned().sum();
    // The maximum, as the refusal of `max_by` advises.
    let h = x.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v));
    let k = y.iter().copied().fold(f64::INFINITY, f64::min);
    a + b * c + d * e + f - g + h * h + k * x[0]
}

#[differentiable]
fn sums_products_folds_ix(x: &[f64], y: &[f64]) -> f64 {
    let mut a = 0.0;
    for i in 0..x.len() {
        a += x[i] * x[i];
    }
    let mut b = 0.0;
    for i in 0..y.len() {
        b += y[i];
    }
    let mut c = 1.0;
    for i in 0..x.len() {
        c *= 1.0 + 0.1 * x[i];
    }
    let mut d = 0.0;
    for i in 0..x.len() {
        d = d * 0.5 + x[i].sin();
    }
    let mut e = 1.0;
    for i in 0..x.len().min(y.len()) {
        e += (x[i] - y[i]).powi(2);
    }
    let mut f = 0.0;
    for i in 0..x.len() {
        f += x[i].exp();
    }
    let mut g = 0.0;
    for i in 0..y.len() {
        g += y[i];
    }
    let mut h = f64::NEG_INFINITY;
    for i in 0..x.len() {
        h = h.max(x[i]);
    }
    let mut k = f64::INFINITY;
    for i in 0..y.len() {
        k = k.min(y[i]);
    }
    a + b * c + d * e + f - g + h * h + k * x[0]
}

#[differentiable]
fn windows_and_chunks(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in x.windows(2) {
        s += (w[1] - w[0]).powi(2);
    }
    for w in y.windows(3) {
        s += w[0] * w[1] * w[2];
    }
    for c in x.chunks(2) {
        let mut m = 0.0;
        for j in 0..c.len() {
            m += c[j];
        }
        s += m * m / c.len() as f64;
    }
    let t: f64 = y.windows(2).map(|w| w[0] * w[1].sin()).sum();
    s + t
}

#[differentiable]
fn windows_and_chunks_ix(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..(x.len() + 1).saturating_sub(2) {
        s += (x[i + 1] - x[i]).powi(2);
    }
    for i in 0..(y.len() + 1).saturating_sub(3) {
        s += y[i] * y[i + 1] * y[i + 2];
    }
    for k in 0..x.len().div_ceil(2) {
        let len = 2.min(x.len() - 2 * k);
        let mut m = 0.0;
        for j in 0..len {
            m += x[2 * k + j];
        }
        s += m * m / len as f64;
    }
    let mut t = 0.0;
    for i in 0..(y.len() + 1).saturating_sub(2) {
        t += y[i] * y[i + 1].sin();
    }
    s + t
}

#[differentiable]
fn closures(x: &[f64], y: &[f64]) -> f64 {
    let scale = y[0] * 2.0;
    let shift = 0.25;
    // Captures read-only, inlined at the use, each time with fresh names.
    let bump = |t: f64| (scale * t + shift).tanh();
    let pair = |(a, b): (f64, f64)| a * b + scale;
    let smooth = |t: f64| {
        let u = t * t;
        u / (1.0 + u)
    };
    let mut s = bump(x[0]) + bump(x[1]) * smooth(y[1]);
    s += pair((x[2], y[2]));
    s += x.iter().map(|&v| bump(v)).sum::<f64>();
    s += x
        .iter()
        .zip(y)
        .map(|(a, b)| smooth(a - b) * scale)
        .sum::<f64>();
    s
}

#[differentiable]
fn closures_ix(x: &[f64], y: &[f64]) -> f64 {
    let scale = y[0] * 2.0;
    let shift = 0.25;
    let u1 = y[1] * y[1];
    let mut s = (scale * x[0] + shift).tanh() + (scale * x[1] + shift).tanh() * (u1 / (1.0 + u1));
    s += x[2] * y[2] + scale;
    let mut m = 0.0;
    for i in 0..x.len() {
        m += (scale * x[i] + shift).tanh();
    }
    s += m;
    let mut z = 0.0;
    for i in 0..x.len().min(y.len()) {
        let t = x[i] - y[i];
        let u = t * t;
        z += u / (1.0 + u) * scale;
    }
    s += z;
    s
}

#[differentiable]
fn stored_closures(x: &[f64], y: &[f64]) -> f64 {
    let mut a = x[0];
    // A `move` closure keeps the value `a` had when it was made.
    let f = move |t: f64| a * t;
    a = a * 3.0 + y[0];
    let g = |t: f64| f(t) + t.sin();
    let mut s = f(y[1]) + g(x[1]) + a;
    for v in x.iter() {
        let h = |t: f64| t * v + a;
        s += h(y[2]) + g(*v);
    }
    s
}

#[differentiable]
fn stored_closures_ix(x: &[f64], y: &[f64]) -> f64 {
    let a0 = x[0];
    let a = a0 * 3.0 + y[0];
    let mut s = a0 * y[1] + (a0 * x[1] + x[1].sin()) + a;
    for i in 0..x.len() {
        s += y[2] * x[i] + a + (a0 * x[i] + x[i].sin());
    }
    s
}

#[differentiable]
fn vector_items(v: &DVector<f64>, y: &[f64]) -> f64 {
    let d: f64 = v.iter().zip(y).map(|(a, b)| a * b).sum();
    let mut s = d;
    for (i, a) in v.iter().enumerate() {
        s += a.powi(2) * (i as f64 + 0.5);
    }
    s + v.iter().rev().fold(0.0, |acc, a| acc * 0.5 + a)
}

#[differentiable]
fn vector_items_ix(v: &DVector<f64>, y: &[f64]) -> f64 {
    let mut d = 0.0;
    for i in 0..v.len().min(y.len()) {
        d += v[i] * y[i];
    }
    let mut s = d;
    for i in 0..v.len() {
        s += v[i].powi(2) * (i as f64 + 0.5);
    }
    let mut h = 0.0;
    for i in (0..v.len()).rev() {
        h = h * 0.5 + v[i];
    }
    s + h
}

#[differentiable]
#[allow(clippy::ptr_arg)] // `&Vec<f64>` parameters are part of what is tested
fn fixed_size(x: [f64; 4], y: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for a in x {
        s += a * a;
    }
    let t = x
        .iter()
        .zip(y.iter())
        .fold(0.0, |acc, (a, b)| acc + a.sin() * b);
    s * t + y.iter().map(|v| v.exp()).product::<f64>()
}

#[differentiable]
#[allow(clippy::ptr_arg)] // the twin of `fixed_size`, with its parameters
fn fixed_size_ix(x: [f64; 4], y: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..4 {
        s += x[i] * x[i];
    }
    let mut t = 0.0;
    for i in 0..4.min(y.len()) {
        t += x[i].sin() * y[i];
    }
    let mut p = 1.0;
    for i in 0..y.len() {
        p *= y[i].exp();
    }
    s * t + p
}

// ---- Functions with array results. ----

#[differentiable]
fn iter_mut_scale(x: &mut [f64], a: f64) {
    for v in x.iter_mut() {
        *v = a * v.sin();
    }
    for (k, v) in x.iter_mut().enumerate() {
        *v += a * k as f64;
    }
    let mut w = x.to_vec();
    for v in &mut w {
        *v *= *v;
    }
    for (o, v) in x.iter_mut().zip(&w) {
        *o = *v - 0.5 * a;
    }
}

#[differentiable]
fn iter_mut_scale_ix(x: &mut [f64], a: f64) {
    for i in 0..x.len() {
        x[i] = a * x[i].sin();
    }
    for k in 0..x.len() {
        x[k] += a * k as f64;
    }
    let mut w = x.to_vec();
    for i in 0..w.len() {
        w[i] *= w[i];
    }
    for i in 0..x.len().min(w.len()) {
        x[i] = w[i] - 0.5 * a;
    }
}

#[differentiable]
fn collected(x: &[f64], y: &[f64]) -> Vec<f64> {
    let sq: Vec<f64> = x.iter().map(|v| v * v).collect();
    let prods = x.iter().zip(y).map(|(a, b)| a * b).collect::<Vec<f64>>();
    let back: Vec<f64> = sq.iter().rev().skip(1).map(|v| v.sqrt() + 1.0).collect();
    let mut out = vec![0.0; x.len()];
    for (i, o) in out.iter_mut().enumerate() {
        *o = sq[i] + prods[i % prods.len()] * back[i % back.len()];
    }
    out
}

#[differentiable]
fn collected_ix(x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut sq = vec![0.0; x.len()];
    for i in 0..x.len() {
        sq[i] = x[i] * x[i];
    }
    let m = x.len().min(y.len());
    let mut prods = vec![0.0; m];
    for i in 0..m {
        prods[i] = x[i] * y[i];
    }
    let nb = sq.len() - 1;
    let mut back = vec![0.0; nb];
    for i in 0..nb {
        back[i] = sq[sq.len() - 2 - i].sqrt() + 1.0;
    }
    let mut out = vec![0.0; x.len()];
    for i in 0..x.len() {
        out[i] = sq[i] + prods[i % prods.len()] * back[i % back.len()];
    }
    out
}

// ---- The harness. ----

/// Checks a scalar function of `(x, y)` three ways, its Hessian-vector products at dual
/// numbers, and against its explicit-index twin.
macro_rules! scalar_case {
    ($f:ident, $jvp:ident, $vjp:ident, $g:ident, $g_jvp:ident, $g_vjp:ident, $nx:expr, $ny:expr, $seed:expr) => {{
        let (nx, ny) = ($nx, $ny);
        let n = nx + ny;
        let mut rng = Draws::new($seed);
        let point: Vec<f64> = rng.vec(n).iter().map(|v| 0.9 * v).collect();
        let split = |v: &[f64]| (v[..nx].to_vec(), v[nx..].to_vec());
        let grad = |p: &[f64], out: &mut [f64]| {
            let (x, y) = split(p);
            let (mut xb, mut yb) = (vec![0.0; nx], vec![0.0; ny]);
            $vjp(&x[..], &mut xb[..], &y[..], &mut yb[..], 1.0);
            out[..nx].copy_from_slice(&xb);
            out[nx..].copy_from_slice(&yb);
        };
        check(
            &Case {
                name: stringify!($f),
                inputs: n,
                outputs: 1,
                f: &|p| {
                    let (x, y) = split(p);
                    vec![$f(&x, &y)]
                },
                jvp: &|p, d| {
                    let ((x, y), (xd, yd)) = (split(p), split(d));
                    let (v, t) = $jvp(&x[..], &xd[..], &y[..], &yd[..]);
                    (vec![v], vec![t])
                },
                vjp: &|p, w| {
                    let (x, y) = split(p);
                    let (mut xb, mut yb) = (vec![0.0; nx], vec![0.0; ny]);
                    let v = $vjp(&x[..], &mut xb[..], &y[..], &mut yb[..], w[0]);
                    xb.extend(yb);
                    (vec![v], xb)
                },
            },
            &point,
            $seed,
        );
        // Forward over reverse: the adjoint at dual numbers along u gives H u.
        let hvp = |p: &[f64], u: &[f64]| -> Vec<f64> {
            let lift: Vec<Dual<f64, 1>> =
                p.iter().zip(u).map(|(&v, &d)| Dual::new(v, [d])).collect();
            let (x, y) = (&lift[..nx], &lift[nx..]);
            let mut xb = vec![Dual::constant(0.0); nx];
            let mut yb = vec![Dual::constant(0.0); ny];
            $vjp(x, &mut xb[..], y, &mut yb[..], Dual::constant(1.0));
            xb.iter().chain(&yb).map(|d| d.tangents[0]).collect()
        };
        let (u, w) = (rng.vec(n), rng.vec(n));
        let (hu, hw) = (hvp(&point, &u), hvp(&point, &w));
        let report = check_hvp(grad, &point, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
        assert!(report.passes(1e-6, 1e-12), "{}: {report:?}", stringify!($f));
        // The explicit-index twin: the same value, tangent and gradient to rounding.
        let (x, y) = split(&point);
        let (xd, yd) = split(&u);
        assert_close(
            $f(&x, &y),
            $g(&x, &y),
            1e-14,
            concat!(stringify!($f), " value"),
        );
        let (_, t1) = $jvp(&x[..], &xd[..], &y[..], &yd[..]);
        let (_, t2) = $g_jvp(&x[..], &xd[..], &y[..], &yd[..]);
        assert_close(t1, t2, 1e-13, concat!(stringify!($f), " tangent"));
        let (mut a1, mut b1) = (vec![0.0; nx], vec![0.0; ny]);
        let (mut a2, mut b2) = (vec![0.0; nx], vec![0.0; ny]);
        $vjp(&x[..], &mut a1[..], &y[..], &mut b1[..], 1.0);
        $g_vjp(&x[..], &mut a2[..], &y[..], &mut b2[..], 1.0);
        for (k, (p, q)) in a1.iter().chain(&b1).zip(a2.iter().chain(&b2)).enumerate() {
            assert_close(*p, *q, 1e-13, &format!("{} gradient {k}", stringify!($f)));
        }
    }};
}

#[test]
fn zip_map_sum_is_the_dot_product() {
    scalar_case!(
        dot_zip_map_sum,
        dot_zip_map_sum_jvp,
        dot_zip_map_sum_vjp,
        dot_zip_map_sum_ix,
        dot_zip_map_sum_ix_jvp,
        dot_zip_map_sum_ix_vjp,
        5,
        5,
        1
    );
    // Zip stops at the shorter array, both ways round.
    scalar_case!(
        dot_zip_map_sum,
        dot_zip_map_sum_jvp,
        dot_zip_map_sum_vjp,
        dot_zip_map_sum_ix,
        dot_zip_map_sum_ix_jvp,
        dot_zip_map_sum_ix_vjp,
        4,
        6,
        2
    );
    scalar_case!(
        dot_zip_map_sum,
        dot_zip_map_sum_jvp,
        dot_zip_map_sum_vjp,
        dot_zip_map_sum_ix,
        dot_zip_map_sum_ix_jvp,
        dot_zip_map_sum_ix_vjp,
        6,
        3,
        3
    );
}

#[test]
fn for_loops_over_iter_and_references() {
    scalar_case!(
        for_iter,
        for_iter_jvp,
        for_iter_vjp,
        for_iter_ix,
        for_iter_ix_jvp,
        for_iter_ix_vjp,
        5,
        4,
        4
    );
}

#[test]
fn for_loops_over_zip_and_enumerate() {
    scalar_case!(
        for_zip_enumerate,
        for_zip_enumerate_jvp,
        for_zip_enumerate_vjp,
        for_zip_enumerate_ix,
        for_zip_enumerate_ix_jvp,
        for_zip_enumerate_ix_vjp,
        5,
        4,
        5
    );
}

#[test]
fn rev_skip_take_step_by() {
    for (nx, ny, seed) in [(6, 4, 6), (7, 2, 7), (2, 5, 8)] {
        scalar_case!(
            adapters,
            adapters_jvp,
            adapters_vjp,
            adapters_ix,
            adapters_ix_jvp,
            adapters_ix_vjp,
            nx,
            ny,
            seed
        );
    }
}

#[test]
fn sum_product_fold_copied_cloned() {
    scalar_case!(
        sums_products_folds,
        sums_products_folds_jvp,
        sums_products_folds_vjp,
        sums_products_folds_ix,
        sums_products_folds_ix_jvp,
        sums_products_folds_ix_vjp,
        5,
        5,
        9
    );
}

#[test]
fn windows_and_chunks_in_for_and_map() {
    for (nx, ny, seed) in [(5, 6, 10), (6, 2, 11), (1, 3, 12)] {
        scalar_case!(
            windows_and_chunks,
            windows_and_chunks_jvp,
            windows_and_chunks_vjp,
            windows_and_chunks_ix,
            windows_and_chunks_ix_jvp,
            windows_and_chunks_ix_vjp,
            nx,
            ny,
            seed
        );
    }
}

#[test]
fn closures_are_inlined_with_their_captures() {
    scalar_case!(
        closures,
        closures_jvp,
        closures_vjp,
        closures_ix,
        closures_ix_jvp,
        closures_ix_vjp,
        4,
        4,
        13
    );
}

#[test]
fn iter_mut_writes_the_elements() {
    let n = 5;
    let run = |p: &[f64]| {
        let mut x = p[..n].to_vec();
        iter_mut_scale(&mut x, p[n]);
        x
    };
    check(
        &Case {
            name: "iter_mut_scale",
            inputs: n + 1,
            outputs: n,
            f: &run,
            jvp: &|p, d| {
                let (mut x, mut x_dot) = (p[..n].to_vec(), d[..n].to_vec());
                iter_mut_scale_jvp(&mut x, &mut x_dot, p[n], d[n]);
                (x, x_dot)
            },
            vjp: &|p, w| {
                let (mut x, mut x_bar) = (p[..n].to_vec(), w.to_vec());
                let mut a_bar = 0.0;
                iter_mut_scale_vjp(&mut x, &mut x_bar, p[n], &mut a_bar);
                x_bar.push(a_bar);
                (x, x_bar)
            },
        },
        &[0.3, -0.7, 1.1, 0.2, -0.4, 0.8],
        14,
    );
    let p = [0.3, -0.7, 1.1, 0.2, -0.4, 0.8];
    let mut twin = p[..n].to_vec();
    iter_mut_scale_ix(&mut twin, p[n]);
    assert_eq!(run(&p), twin);
    let (mut x1, mut b1, mut a1) = (p[..n].to_vec(), vec![1.0; n], 0.0);
    let (mut x2, mut b2, mut a2) = (p[..n].to_vec(), vec![1.0; n], 0.0);
    iter_mut_scale_vjp(&mut x1, &mut b1, p[n], &mut a1);
    iter_mut_scale_ix_vjp(&mut x2, &mut b2, p[n], &mut a2);
    assert_eq!((b1, a1), (b2, a2));
}

#[test]
fn collect_builds_vectors() {
    let (nx, ny) = (5, 3);
    let split = |v: &[f64]| (v[..nx].to_vec(), v[nx..].to_vec());
    check(
        &Case {
            name: "collected",
            inputs: nx + ny,
            outputs: nx,
            f: &|p| {
                let (x, y) = split(p);
                collected(&x, &y)
            },
            jvp: &|p, d| {
                let ((x, y), (xd, yd)) = (split(p), split(d));
                collected_jvp(&x[..], &xd[..], &y[..], &yd[..])
            },
            vjp: &|p, w| {
                let (x, y) = split(p);
                let (mut xb, mut yb) = (vec![0.0; nx], vec![0.0; ny]);
                let v = collected_vjp(&x[..], &mut xb[..], &y[..], &mut yb[..], w);
                xb.extend(yb);
                (v, xb)
            },
        },
        &[0.3, 0.7, 1.1, 0.2, 0.4, 0.8, -0.5, 0.6],
        15,
    );
    let (x, y) = ([0.3, 0.7, 1.1, 0.2, 0.4], [0.8, -0.5, 0.6]);
    assert_eq!(collected(&x, &y), collected_ix(&x, &y));
}

#[test]
fn closures_stored_in_a_let_keep_their_captures() {
    scalar_case!(
        stored_closures,
        stored_closures_jvp,
        stored_closures_vjp,
        stored_closures_ix,
        stored_closures_ix_jvp,
        stored_closures_ix_vjp,
        4,
        3,
        16
    );
}

/// `vector_items` and its twin on flat inputs: the first `nv` are the vector.
fn vector_case(f: fn(&DVector<f64>, &[f64]) -> f64, p: &[f64], nv: usize) -> f64 {
    f(&DVector::from_column_slice(&p[..nv]), &p[nv..])
}

#[test]
fn nalgebra_vectors_iterate_like_slices() {
    let (nv, ny) = (4, 3);
    let point = [0.3, -0.6, 0.9, 0.2, 0.5, -0.1, 0.7];
    let grad = |p: &[f64], g: &mut [f64]| {
        let v = DVector::from_column_slice(&p[..nv]);
        let mut v_bar = DVector::zeros(nv);
        let mut y_bar = vec![0.0; ny];
        vector_items_vjp(&v, &mut v_bar, &p[nv..], &mut y_bar[..], 1.0);
        g[..nv].copy_from_slice(v_bar.as_slice());
        g[nv..].copy_from_slice(&y_bar);
    };
    check(
        &Case {
            name: "vector_items",
            inputs: nv + ny,
            outputs: 1,
            f: &|p| vec![vector_case(vector_items, p, nv)],
            jvp: &|p, d| {
                let v = DVector::from_column_slice(&p[..nv]);
                let v_dot = DVector::from_column_slice(&d[..nv]);
                let (value, t) = vector_items_jvp(&v, &v_dot, &p[nv..], &d[nv..]);
                (vec![value], vec![t])
            },
            vjp: &|p, w| {
                let v = DVector::from_column_slice(&p[..nv]);
                let mut v_bar = DVector::zeros(nv);
                let mut y_bar = vec![0.0; ny];
                let value = vector_items_vjp(&v, &mut v_bar, &p[nv..], &mut y_bar[..], w[0]);
                let mut g = v_bar.as_slice().to_vec();
                g.extend(y_bar);
                (vec![value], g)
            },
        },
        &point,
        17,
    );
    let hvp = |u: &[f64]| -> Vec<f64> {
        let lift = |k: usize| Dual::<f64, 1>::new(point[k], [u[k]]);
        let v = DVector::from_iterator(nv, (0..nv).map(lift));
        let y: Vec<_> = (nv..nv + ny).map(lift).collect();
        let mut v_bar = DVector::from_element(nv, Dual::constant(0.0));
        let mut y_bar = vec![Dual::constant(0.0); ny];
        vector_items_vjp(&v, &mut v_bar, &y[..], &mut y_bar[..], Dual::constant(1.0));
        v_bar.iter().chain(&y_bar).map(|d| d.tangents[0]).collect()
    };
    let mut rng = Draws::new(18);
    let (u, w) = (rng.vec(nv + ny), rng.vec(nv + ny));
    let report = check_hvp(grad, &point, &u, &hvp(&u), &w, &hvp(&w), 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "vector_items: {report:?}");
    assert_close(
        vector_case(vector_items, &point, nv),
        vector_case(vector_items_ix, &point, nv),
        1e-14,
        "vector_items value",
    );
    let (mut g1, mut g2) = (vec![0.0; nv + ny], vec![0.0; nv + ny]);
    grad(&point, &mut g1);
    let v = DVector::from_column_slice(&point[..nv]);
    let mut v_bar = DVector::zeros(nv);
    let mut y_bar = vec![0.0; ny];
    vector_items_ix_vjp(&v, &mut v_bar, &point[nv..], &mut y_bar[..], 1.0);
    g2[..nv].copy_from_slice(v_bar.as_slice());
    g2[nv..].copy_from_slice(&y_bar);
    for (k, (a, b)) in g1.iter().zip(&g2).enumerate() {
        assert_close(*a, *b, 1e-13, &format!("vector_items gradient {k}"));
    }
}

#[test]
fn fixed_size_arrays_and_vec_parameters() {
    let run = |f: fn([f64; 4], &Vec<f64>) -> f64, p: &[f64]| {
        f([p[0], p[1], p[2], p[3]], &p[4..].to_vec())
    };
    let point = [0.3, -0.6, 0.9, 0.2, 0.5, -0.1, 0.7];
    let split = |p: &[f64]| ([p[0], p[1], p[2], p[3]], p[4..].to_vec());
    check(
        &Case {
            name: "fixed_size",
            inputs: 7,
            outputs: 1,
            f: &|p| vec![run(fixed_size, p)],
            jvp: &|p, d| {
                let ((x, y), (xd, yd)) = (split(p), split(d));
                let (v, t) = fixed_size_jvp(x, xd, &y, &yd);
                (vec![v], vec![t])
            },
            vjp: &|p, w| {
                let (x, y) = split(p);
                let mut x_bar = [0.0; 4];
                let mut y_bar = vec![0.0; 3];
                let v = fixed_size_vjp(x, &mut x_bar, &y, &mut y_bar, w[0]);
                let mut g = x_bar.to_vec();
                g.extend(y_bar);
                (vec![v], g)
            },
        },
        &point,
        19,
    );
    assert_close(
        run(fixed_size, &point),
        run(fixed_size_ix, &point),
        1e-14,
        "fixed_size value",
    );
    let (x, y) = split(&point);
    let (mut a1, mut b1) = ([0.0; 4], vec![0.0; 3]);
    let (mut a2, mut b2) = ([0.0; 4], vec![0.0; 3]);
    fixed_size_vjp(x, &mut a1, &y, &mut b1, 1.0);
    fixed_size_ix_vjp(x, &mut a2, &y, &mut b2, 1.0);
    for (k, (p, q)) in a1.iter().chain(&b1).zip(a2.iter().chain(&b2)).enumerate() {
        assert_close(*p, *q, 1e-13, &format!("fixed_size gradient {k}"));
    }
}
