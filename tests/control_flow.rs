//! Loops, branches, `match`, early `return`, and overwriting values the derivative still needs.

mod common;

use common::{check, Case};
use tapeless::differentiable;

#[differentiable]
fn piecewise(x: f64, y: f64, mode: usize) -> f64 {
    let mut r = if x > 1.0 {
        x * y
    } else if x > 0.0 {
        let s = x.sin();
        s * s + y
    } else {
        y.exp() - x
    };
    let scale = match mode {
        0 => 2.0,
        1 | 2 => y,
        _ => {
            let t = r.tanh();
            t * t
        }
    };
    let offset = if mode > 1 { 1 } else { 0 };
    match mode {
        0 => r += 1.0,
        1 | 2 => {
            r *= y;
        }
        _ => {
            r = r.tanh();
        }
    }
    r * scale + offset as f64
}

#[differentiable]
fn early_exit(x: f64, y: f64) -> f64 {
    let a = x * y;
    if a > 2.0 {
        return a.sqrt();
    }
    let b = a + x.sin();
    if b < 0.0 {
        return -b * y;
    }
    b * b
}

#[differentiable]
fn overwrites(x: &[f64]) -> f64 {
    // `t` is overwritten every iteration, and each old value is needed by the adjoint.
    let mut t = 1.0;
    for i in 0..x.len() {
        t = t * x[i] + t.sin();
    }
    // Elements overwritten from other elements, in place.
    let n = x.len();
    let mut v = x.to_vec();
    for i in (1..n).rev() {
        v[i] *= v[i - 1];
    }
    for i in (0..n).step_by(2) {
        v[i] = v[(i + n - 2) % n] * v[i].cos();
    }
    let mut s = t;
    for i in 0..n {
        for j in i..n {
            s += v[i] * v[j] / (1.0 + (i + j) as f64);
        }
    }
    s
}

#[differentiable]
fn loop_local_values(u: &[f64], out: &mut [f64]) {
    for i in 0..u.len() {
        // `a` is recomputed in the reverse sweep, `b` saved (it reads `out`, which the loop writes).
        let a = u[i] * u[i];
        let b = out[i];
        let mut c = a.sin();
        if b > 0.0 {
            c *= b;
        }
        out[i] = c + a * b;
    }
}

fn scalar_case<'a>(
    name: &'a str,
    f: &'a dyn Fn(f64, f64) -> f64,
    jvp: &'a dyn Fn(f64, f64, f64, f64) -> (f64, f64),
    vjp: &'a dyn Fn(f64, &mut f64, f64, &mut f64, f64) -> f64,
    at: [f64; 2],
) {
    check(
        &Case {
            name,
            inputs: 2,
            outputs: 1,
            f: &|x| vec![f(x[0], x[1])],
            jvp: &|x, d| {
                let (v, t) = jvp(x[0], d[0], x[1], d[1]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let (mut a, mut b) = (0.0, 0.0);
                let v = vjp(x[0], &mut a, x[1], &mut b, w[0]);
                (vec![v], vec![a, b])
            },
        },
        &at,
        21,
    );
}

#[test]
fn branches_and_match_take_the_same_path_in_both_sweeps() {
    for mode in 0..4 {
        for at in [[1.5, 0.3], [0.5, -0.7], [-0.4, 0.2]] {
            scalar_case(
                "piecewise",
                &|x, y| piecewise(x, y, mode),
                &|x, xd, y, yd| piecewise_jvp(x, xd, y, yd, mode),
                &|x, xb, y, yb, w| piecewise_vjp(x, xb, y, yb, mode, w),
                at,
            );
        }
    }
}

#[test]
fn early_returns() {
    // One point per exit.
    for at in [[2.0, 1.5], [-1.0, 0.5], [0.5, 0.5]] {
        scalar_case(
            "early_exit",
            &early_exit,
            &early_exit_jvp,
            &early_exit_vjp,
            at,
        );
    }
}

#[test]
fn overwritten_values() {
    let n = 5;
    check(
        &Case {
            name: "overwrites",
            inputs: n,
            outputs: 1,
            f: &|x| vec![overwrites(x)],
            jvp: &|x, d| {
                let (v, t) = overwrites_jvp(x, d);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; n];
                let v = overwrites_vjp(x, &mut g, w[0]);
                (vec![v], g)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, -0.2],
        22,
    );
}

#[test]
fn loop_locals_recomputed_or_saved() {
    let n = 4;
    let f = |x: &[f64]| {
        let mut out = x[n..].to_vec();
        loop_local_values(&x[..n], &mut out);
        out
    };
    check(
        &Case {
            name: "loop_local_values",
            inputs: 2 * n,
            outputs: n,
            f: &f,
            jvp: &|x, d| {
                let (mut out, mut out_dot) = (x[n..].to_vec(), d[n..].to_vec());
                loop_local_values_jvp(&x[..n], &d[..n], &mut out, &mut out_dot);
                (out, out_dot)
            },
            vjp: &|x, w| {
                let mut out = x[n..].to_vec();
                let mut out_bar = w.to_vec();
                let mut u_bar = vec![0.0; n];
                loop_local_values_vjp(&x[..n], &mut u_bar, &mut out, &mut out_bar);
                u_bar.extend(out_bar);
                (out, u_bar)
            },
        },
        &[0.3, -0.8, 1.1, 0.5, 0.7, -0.4, 1.2, -2.0],
        23,
    );
}

#[differentiable]
fn banded(x: f64, y: f64) -> f64 {
    // A real is matched by its value; the arm taken is replayed in the reverse sweep.
    let r = match x {
        ..=0.0 => x * y,
        0.0..=1.0 => (x * y).sin(),
        _ => 2.0 * x - y,
    };
    r * y
}

#[test]
fn match_on_a_real_value() {
    for at in [[-0.5, 0.3], [0.5, 0.7], [1.5, -0.2]] {
        scalar_case("banded", &banded, &banded_jvp, &banded_vjp, at);
    }
}
