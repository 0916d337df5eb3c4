//! An index past a window or chunk (`w[2]` of `windows(2)`, `c[2]` of a last chunk of two)
//! panics in every companion as it does in the function, instead of reading the element after
//! the window; in-range windows and chunks (a short last chunk among them) are proved three
//! ways (central differences, the dot-product test, tangent against adjoint) against the same
//! computation written with explicit indices.

mod common;

use common::{assert_close, check, Case, Draws};
use std::panic::{catch_unwind, AssertUnwindSafe};
use tapeless::differentiable;

#[differentiable]
fn window_at(x: &[f64], j: usize) -> f64 {
    let mut s = 0.0;
    // The first two windows only: `w[2]` would read `x[2]` and `x[3]`, inside the array.
    for w in x.windows(2).take(2) {
        s += w[j] * w[0];
    }
    s
}

#[differentiable]
fn chunk_at(x: &[f64], j: usize) -> f64 {
    let mut s = 0.0;
    for c in x.chunks(3) {
        s += c[j] * c[0].sin();
    }
    s
}

#[differentiable]
fn first_chunk_at(x: &[f64], j: usize) -> f64 {
    let mut s = 0.0;
    // The first chunk only: `c[3]` would read `x[3]`, the next chunk's first element.
    for c in x.chunks(3).take(1) {
        s += c[j] * c[0];
    }
    s
}

#[differentiable]
fn mapped_window_at(x: &[f64], k: usize, j: usize) -> f64 {
    x.windows(k).take(1).map(|w| w[j] * w[0]).sum()
}

#[differentiable]
fn mapped_chunk_second(x: &[f64]) -> f64 {
    // A literal index into a chunk: the last chunk may be shorter than 2.
    x.chunks(2).map(|c| c[1] * c[0]).sum()
}

/// Whether `f` panics.
fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

/// Asserts the function and its companions `f_jvp`, `f_vjp`, `f_grad` (of `x` and the integer
/// arguments `$a`) all panic (`true`) or all return (`false`).
macro_rules! all_panic {
    ($f:ident, $jvp:ident, $vjp:ident, $grad:ident, $x:expr, $want:expr $(, $a:expr)*) => {{
        let x: Vec<f64> = $x;
        let dx = vec![1.0; x.len()];
        let want: bool = $want;
        let name = stringify!($f);
        assert_eq!(panics(|| { $f(&x $(, $a)*); }), want, "{name}");
        assert_eq!(panics(|| { $jvp(&x, &dx $(, $a)*); }), want, "{name}_jvp");
        assert_eq!(
            panics(|| {
                let mut xb = vec![0.0; x.len()];
                $vjp(&x, &mut xb $(, $a)*, 1.0);
            }),
            want,
            "{name}_vjp"
        );
        assert_eq!(panics(|| { $grad(&x $(, $a)*); }), want, "{name}_grad");
    }};
}

#[test]
fn an_index_past_a_window_panics_in_every_companion() {
    let x = Draws::new(1).vec(5);
    all_panic!(
        window_at,
        window_at_jvp,
        window_at_vjp,
        window_at_grad,
        x.clone(),
        false,
        1
    );
    // `w[2]` of the first two `windows(2)` reads `x[2]`, `x[3]` in the companions before.
    all_panic!(
        window_at,
        window_at_jvp,
        window_at_vjp,
        window_at_grad,
        x.clone(),
        true,
        2
    );
    all_panic!(
        mapped_window_at,
        mapped_window_at_jvp,
        mapped_window_at_vjp,
        mapped_window_at_grad,
        x.clone(),
        false,
        3,
        2
    );
    // `w[2]` of the first `windows(2)`.
    all_panic!(
        mapped_window_at,
        mapped_window_at_jvp,
        mapped_window_at_vjp,
        mapped_window_at_grad,
        x,
        true,
        2,
        2
    );
}

#[test]
fn an_index_past_a_short_last_chunk_panics_in_every_companion() {
    let mut rng = Draws::new(2);
    // Six elements: two chunks of three, `c[2]` is in both.
    all_panic!(
        chunk_at,
        chunk_at_jvp,
        chunk_at_vjp,
        chunk_at_grad,
        rng.vec(6),
        false,
        2
    );
    // Five and eight: the last chunk has two elements, no `c[2]`.
    all_panic!(
        chunk_at,
        chunk_at_jvp,
        chunk_at_vjp,
        chunk_at_grad,
        rng.vec(5),
        true,
        2
    );
    all_panic!(
        chunk_at,
        chunk_at_jvp,
        chunk_at_vjp,
        chunk_at_grad,
        rng.vec(8),
        true,
        2
    );
    all_panic!(
        first_chunk_at,
        first_chunk_at_jvp,
        first_chunk_at_vjp,
        first_chunk_at_grad,
        rng.vec(6),
        false,
        2
    );
    // `c[3]` of a chunk of three, inside the array: the companions read `x[3]` before.
    all_panic!(
        first_chunk_at,
        first_chunk_at_jvp,
        first_chunk_at_vjp,
        first_chunk_at_grad,
        rng.vec(6),
        true,
        3
    );
    all_panic!(
        mapped_chunk_second,
        mapped_chunk_second_jvp,
        mapped_chunk_second_vjp,
        mapped_chunk_second_grad,
        rng.vec(6),
        false
    );
    // Seven: the last chunk `[x[6]]` has no `c[1]`.
    all_panic!(
        mapped_chunk_second,
        mapped_chunk_second_jvp,
        mapped_chunk_second_vjp,
        mapped_chunk_second_grad,
        rng.vec(7),
        true
    );
}

// ---- In range: windows of a length known only at run time, chunks with a short last one. ----

#[differentiable]
fn windows_chunks(x: &[f64], k: usize) -> f64 {
    let mut s = 0.0;
    for w in x.windows(k) {
        let mut p = 1.0;
        for j in 0..w.len() {
            p *= w[j].cos() + 1.5;
        }
        s += p * w[k - 1];
    }
    for c in x.chunks(3) {
        let last = c.len() - 1;
        s += c[last] * c[0] + c[c.len() / 2].sin();
    }
    let t: f64 = x.chunks(k).map(|c| c[0] * c[c.len() - 1]).sum();
    s + t
}

#[differentiable]
fn windows_chunks_ix(x: &[f64], k: usize) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..(n + 1).saturating_sub(k) {
        let mut p = 1.0;
        for j in 0..k {
            p *= x[i + j].cos() + 1.5;
        }
        s += p * x[i + k - 1];
    }
    for q in 0..n.div_ceil(3) {
        let start = 3 * q;
        let len = 3.min(n - start);
        s += x[start + len - 1] * x[start] + x[start + len / 2].sin();
    }
    let mut t = 0.0;
    for q in 0..n.div_ceil(k) {
        let start = k * q;
        let len = k.min(n - start);
        t += x[start] * x[start + len - 1];
    }
    s + t
}

#[test]
fn in_range_windows_and_chunks_three_ways() {
    // 7 and 8 elements: last chunks of one and two (of three), and of one to three (of k).
    for (n, k, seed) in [(7, 2, 3), (8, 3, 4), (7, 4, 5), (3, 3, 6)] {
        let x: Vec<f64> = Draws::new(seed).vec(n);
        assert_close(
            windows_chunks(&x, k),
            windows_chunks_ix(&x, k),
            1e-15,
            "value against the explicit indices",
        );
        let (_, g) = windows_chunks_grad(&x, k);
        let (_, g_ix) = windows_chunks_ix_grad(&x, k);
        for (a, b) in g.iter().zip(&g_ix) {
            assert_close(*a, *b, 1e-13, "gradient against the explicit indices");
        }
        check(
            &Case {
                name: "windows_chunks",
                inputs: n,
                outputs: 1,
                f: &|p| vec![windows_chunks(p, k)],
                jvp: &|p, d| {
                    let (v, t) = windows_chunks_jvp(p, d, k);
                    (vec![v], vec![t])
                },
                vjp: &|p, w| {
                    let mut xb = vec![0.0; n];
                    let v = windows_chunks_vjp(p, &mut xb, k, w[0]);
                    (vec![v], xb)
                },
            },
            &x,
            seed,
        );
    }
}
