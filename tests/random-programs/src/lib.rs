//! Fixed helper functions that the generated random programs call (the programs themselves and
//! their tests are written by `build.rs` into `OUT_DIR/programs.rs` and compiled by
//! `tests/programs.rs`).
//!
//! The generator keeps every real value of a program within known bounds, so each helper states
//! the bound of its result for any input (`build.rs` holds the same numbers in `HELPERS`). The
//! helpers live in this library, not in the test, so that the programs call differentiable
//! functions of another crate through a `use` of its companions.

use tapeless::differentiable;

/// A smooth mix of two scalars; `|h_mix| <= 0.75`.
#[differentiable]
pub fn h_mix(a: f64, b: f64) -> f64 {
    let t = (a * b).sin();
    let mut u = 0.5 * t;
    u += 0.25 * (a - 0.5 * b).tanh();
    u * (0.2 * b).cos()
}

/// A squashed inner product of `u` with `v` repeated cyclically; `|h_dot| <= 1`.
#[differentiable]
pub fn h_dot(u: &[f64], v: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += u[i] * v[i % v.len()];
    }
    (0.2 * s).tanh()
}

/// Moves every `out[i]` half-way towards a bounded function of itself, `u` and `a`, on one of two
/// branches: the `&mut [f64]` output argument. `|out|` stays below `max(|out|, 1)`.
#[differentiable]
pub fn h_fill(out: &mut [f64], u: &[f64], a: f64) {
    let n = u.len();
    for i in 0..out.len() {
        let k = (i + 1) % n;
        if u[k] > 0.1 * a {
            out[i] = 0.5 * out[i] + 0.5 * (a * u[k] + out[i]).sin();
        } else {
            out[i] = 0.5 * out[i] * u[i % n].tanh() + 0.5 * a.tanh();
        }
    }
}

/// Multiplies `u` in place by `tanh(c)`: `|u|` does not grow.
#[differentiable]
pub fn h_scale(u: &mut [f64], c: f64) {
    let s = c.tanh();
    for i in 0..u.len() {
        u[i] *= s;
    }
}

/// A squashed weighted sum over rows of two reals (active arrays of arrays passed to an
/// annotated call); `|h_rows2| <= 1`.
#[differentiable]
pub fn h_rows2(r: &[[f64; 2]], a: f64) -> f64 {
    let mut s = 0.0;
    for k in 0..r.len() {
        s += r[k][0] * (a * r[k][1]).sin() + 0.5 * r[k][1];
    }
    (0.3 * s).tanh()
}

/// [`h_rows2`] over rows of three reals; `|h_rows3| <= 1`.
#[differentiable]
pub fn h_rows3(r: &[[f64; 3]], a: f64) -> f64 {
    let mut s = 0.0;
    for p in r {
        s += p[0] * p[2] - (a * p[1]).cos() * p[1];
    }
    (0.3 * s).tanh()
}

/// Rows of two reals mapped to rows of two reals (an array of arrays returned), each within
/// `[-1, 1]`.
#[differentiable]
pub fn h_rows_map2(r: &[[f64; 2]], a: f64) -> Vec<[f64; 2]> {
    let mut out = vec![[0.0; 2]; r.len()];
    for k in 0..r.len() {
        out[k][0] = (a * r[k][1] + r[(k + 1) % r.len()][0]).sin();
        out[k][1] = (r[k][0] * r[k][1]).tanh();
    }
    out
}

/// [`h_rows_map2`] over rows of three reals, each within `[-1, 1]`.
#[differentiable]
pub fn h_rows_map3(r: &[[f64; 3]], a: f64) -> Vec<[f64; 3]> {
    let mut out = vec![[0.0; 3]; r.len()];
    for k in 0..r.len() {
        for j in 0..3 {
            out[k][j] = (a * r[k][(j + 1) % 3] - r[k][j]).sin();
        }
    }
    out
}

/// Two results at once; both within `[-1, 1]`.
#[differentiable]
pub fn h_pair(a: f64, b: f64) -> (f64, f64) {
    let c = a.cos();
    (c * b.tanh(), (a - 0.5 * b).sin() * c)
}

/// A branch on an integer and on the value; `|h_step| <= 1.3`.
#[differentiable]
pub fn h_step(a: f64, k: usize) -> f64 {
    let mut r = a.tanh();
    if k.is_multiple_of(2) {
        r = r * r;
    } else if a > 0.1 {
        r = 0.5 * (r + a.sin());
    } else {
        r -= 0.3 * a.cos();
    }
    r
}

/// Calls the other helpers (nested companions); `|h_chain| <= 1.65`.
#[differentiable]
pub fn h_chain(a: f64, u: &[f64]) -> f64 {
    let p = h_mix(a, u[0]);
    let q = h_dot(u, u);
    let (c, d) = h_pair(p, q);
    c * d + 0.5 * h_step(q, u.len())
}

/// An array result; its elements are within `[-1, 1]`.
#[differentiable]
pub fn h_arr3(a: f64, u: &[f64]) -> [f64; 3] {
    let n = u.len();
    [
        (a + u[0]).tanh(),
        (a * u[1 % n]).sin(),
        0.5 * (u[0] - a).cos(),
    ]
}

/// A vector result as long as `u`; its elements are within `[-1, 1]`.
#[differentiable]
pub fn h_vec(a: f64, u: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; u.len()];
    for i in 0..u.len() {
        out[i] = 0.5 * (a * u[i]).sin() + 0.5 * u[i].tanh();
    }
    out
}

/// A user constant: lowering sees a path it cannot type, which becomes a real where one is
/// needed.
pub const HALF: f64 = 0.5;

/// The position after `k` below `n`, while there is one: the data a `while let` walks
/// (`while let Some(j) = next_index(k, n) { k = j; .. }`), not differentiated.
pub fn next_index(k: usize, n: usize) -> Option<usize> {
    if k + 1 < n {
        Some(k + 1)
    } else {
        None
    }
}
