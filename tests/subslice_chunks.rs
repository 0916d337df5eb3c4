//! `.chunks(k)` of a sub-slice (`x[a..b].chunks(k)`, `tail.chunks(k)` of `let tail = &x[1..];`,
//! the last chunk short) and `.chunks_exact(k)` (of a whole array or a sub-slice, the remainder
//! never read), under `zip`, `enumerate`, `rev` and `map`, with adversarial names and a
//! `macro_rules!` function. Each derivative is proved three ways (central differences, the
//! dot-product test to 1e-12, tangent against adjoint) and by Hessian-vector products at dual
//! numbers against differences of gradients; each function also equals the bit of the same
//! sums written with indices.

mod common;

use common::slices::{prove, Scalar};
use tapeless::differentiable;

/// Chunks of sub-slices, bound and written in place, the last chunk short.
#[differentiable]
fn sub_chunks(x: &[f64]) -> f64 {
    let tail = &x[1..];
    let mut s = 0.0;
    for c in tail.chunks(2) {
        s += c[0] * c[c.len() - 1];
    }
    for (m, c) in x[2..x.len() - 1].chunks(3).enumerate() {
        s += (m as f64 + 1.0) * c[0].sin() * c.len() as f64;
    }
    for c in tail.chunks(3).rev() {
        s = s * 0.5 + c[0] * c[0];
    }
    s
}

/// The same sums with indices: the reference.
#[allow(clippy::needless_range_loop)]
fn sub_chunks_indexed(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let n = x.len() - 1;
    let mut p = 0;
    while p < n {
        let len = 2.min(n - p);
        s += x[1 + p] * x[1 + p + len - 1];
        p += 2;
    }
    let (a, b) = (2, x.len() - 1);
    let mut m = 0;
    while a + 3 * m < b {
        let len = 3.min(b - a - 3 * m);
        s += (m as f64 + 1.0) * x[a + 3 * m].sin() * len as f64;
        m += 1;
    }
    let chunks = n.div_ceil(3);
    for q in (0..chunks).rev() {
        s = s * 0.5 + x[1 + 3 * q] * x[1 + 3 * q];
    }
    s
}

/// `chunks_exact` of a whole array and of a sub-slice, zipped with reals, mapped and summed.
#[differentiable]
fn exact_chunks(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for (c, wi) in x.chunks_exact(2).zip(w.iter()) {
        s += wi * c[0] * c[1];
    }
    for c in x[1..].chunks_exact(3) {
        s += c[2].exp() - c[1];
    }
    s + x[1..x.len() - 1]
        .chunks_exact(2)
        .map(|c| c[0] * c[1] + c.len() as f64)
        .sum::<f64>()
}

#[allow(clippy::needless_range_loop)]
fn exact_chunks_indexed(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for q in 0..(x.len() / 2).min(w.len()) {
        s += w[q] * x[2 * q] * x[2 * q + 1];
    }
    for q in 0..(x.len() - 1) / 3 {
        s += x[1 + 3 * q + 2].exp() - x[1 + 3 * q + 1];
    }
    let mut t = 0.0;
    for q in 0..(x.len() - 2) / 2 {
        t += x[1 + 2 * q] * x[2 + 2 * q] + 2.0;
    }
    s + t
}

/// Chunks bound to names the generated code also uses.
#[differentiable]
fn adversarial(x: &[f64]) -> f64 {
    let x_bar = &x[1..];
    let mut result = 0.0;
    for __adj0 in x_bar.chunks(2) {
        result += __adj0[0] * __adj0[__adj0.len() - 1];
    }
    for r#fn in x_bar.chunks(3) {
        result += r#fn[0] * result;
    }
    for x_dot in x_bar.chunks_exact(2) {
        result += x_dot[1].cos();
    }
    result
}

macro_rules! chunked_fn {
    ($name:ident, $c:ident, $k:expr) => {
        /// A function written by a macro: the chunks, their size and their reads come from
        /// `macro_rules!`.
        #[differentiable]
        fn $name(x: &[f64]) -> f64 {
            let mut s = 0.0;
            for $c in x[1..].chunks($k) {
                s += $c[0] * $c[$c.len() - 1];
            }
            for $c in x[..x.len() - 1].chunks_exact($k) {
                s += $c[0].sin();
            }
            s
        }
    };
}

chunked_fn!(macro_chunks, piece, 2);

fn points() -> Vec<Vec<f64>> {
    vec![
        vec![0.3, -0.7, 1.1, 0.25, -0.4, 0.9, 0.6],
        vec![0.5, 0.2, -1.3, 0.8, 0.1, -0.6, 0.45, 0.7],
    ]
}

#[test]
fn chunks_of_sub_slices_three_ways() {
    let s = Scalar {
        name: "sub_chunks",
        f: &sub_chunks,
        jvp: &|x, d| sub_chunks_jvp(x, d),
        vjp: &|x, g, y| sub_chunks_vjp(x, g, y),
        vjp_dual: &|x, g, y| sub_chunks_vjp(x, g, y),
    };
    for (seed, x) in points().iter().enumerate() {
        assert_eq!(sub_chunks(x), sub_chunks_indexed(x));
        prove(&s, x, 1 + seed as u64);
    }
}

#[test]
fn exact_chunks_three_ways() {
    let w = [0.5, -1.25, 2.0];
    let s = Scalar {
        name: "exact_chunks",
        f: &|x| exact_chunks(x, &w),
        jvp: &|x, d| {
            let (v, t) = exact_chunks_jvp(x, d, &w, &[0.0; 3]);
            (v, t)
        },
        vjp: &|x, g, y| exact_chunks_vjp(x, g, &w, &mut [0.0; 3], y),
        vjp_dual: &|x, g, y| {
            let wd = w.map(tapeless::Dual::constant);
            exact_chunks_vjp(x, g, &wd, &mut [tapeless::Dual::constant(0.0); 3], y)
        },
    };
    for (seed, x) in points().iter().enumerate() {
        assert_eq!(exact_chunks(x, &w), exact_chunks_indexed(x, &w));
        prove(&s, x, 11 + seed as u64);
    }
}

#[test]
fn adversarial_names_three_ways() {
    let s = Scalar {
        name: "adversarial",
        f: &adversarial,
        jvp: &|x, d| adversarial_jvp(x, d),
        vjp: &|x, g, y| adversarial_vjp(x, g, y),
        vjp_dual: &|x, g, y| adversarial_vjp(x, g, y),
    };
    for (seed, x) in points().iter().enumerate() {
        prove(&s, x, 21 + seed as u64);
    }
}

#[test]
fn macro_rules_function_three_ways() {
    let s = Scalar {
        name: "macro_chunks",
        f: &macro_chunks,
        jvp: &|x, d| macro_chunks_jvp(x, d),
        vjp: &|x, g, y| macro_chunks_vjp(x, g, y),
        vjp_dual: &|x, g, y| macro_chunks_vjp(x, g, y),
    };
    for (seed, x) in points().iter().enumerate() {
        prove(&s, x, 31 + seed as u64);
    }
}
