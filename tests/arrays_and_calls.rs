//! Array parameters and results, tuples, calls between differentiable functions, constant
//! functions, `wrt`, and the same function at `f32`.

mod common;

use common::{assert_close, check, Case};
use tapeless::differentiable;

#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiable]
fn rotate(v: [f64; 2], angle: f64) -> [f64; 2] {
    let (c, s) = (angle.cos(), angle.sin());
    [c * v[0] - s * v[1], s * v[0] + c * v[1]]
}

#[differentiable]
fn stretch(v: Vec<f64>, k: f64) -> Vec<f64> {
    let mut w = v.clone();
    for i in 0..w.len() {
        w[i] = k * w[i] * (1.0 + i as f64);
    }
    w
}

/// Not differentiable: an observation noise model, a constant of the derivative.
fn noise(k: usize, level: f64) -> f64 {
    level * (12.9898 * k as f64).sin()
}

#[differentiable(constants(noise))]
fn composed(x: f64, y: f64, data: &[f64]) -> f64 {
    let (a, b) = polar(x, y);
    let r: [f64; 2] = rotate([a, b], 0.3);
    let v: Vec<f64> = stretch(vec![r[0], r[1], a * b], y);
    let mut s = 0.0;
    for k in 0..v.len() {
        let d = v[k] - data[k] - noise(k, 0.05);
        s += d * d;
    }
    s
}

#[differentiable(wrt(x))]
fn scaled(x: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (t * x[i]).sin();
    }
    s
}

#[test]
fn tuples_arrays_and_vec_results_through_calls() {
    let data = [0.3, -0.2, 0.5];
    check(
        &Case {
            name: "composed",
            inputs: 5,
            outputs: 1,
            f: &|x| vec![composed(x[0], x[1], &x[2..])],
            jvp: &|x, d| {
                let (v, t) = composed_jvp(x[0], d[0], x[1], d[1], &x[2..], &d[2..]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 5];
                let (xy, db) = g.split_at_mut(2);
                let (xb, yb) = xy.split_at_mut(1);
                let v = composed_vjp(x[0], &mut xb[0], x[1], &mut yb[0], &x[2..], db, w[0]);
                (vec![v], g)
            },
        },
        &[1.2, 0.7, data[0], data[1], data[2]],
        31,
    );
}

#[differentiable(constants(noise))]
fn stopped(x: f64) -> f64 {
    x * x + noise(3, x)
}

#[test]
fn constant_functions_carry_no_derivative() {
    // `noise(3, x)` reads x at its value and contributes nothing to the derivative.
    let x = 0.8;
    let (v, g) = stopped_grad(x);
    assert_eq!(v, stopped(x));
    assert_eq!(g, 2.0 * x);
    assert_eq!(stopped_jvp(x, 1.0).1, 2.0 * x);
}

#[test]
fn wrt_limits_the_companions_to_chosen_parameters() {
    let x = [0.1, 0.2, 0.3];
    let t = 2.0;
    let (v, g) = scaled_grad(&x[..], t);
    assert_eq!(v, scaled(&x, t));
    for i in 0..3 {
        assert_close(g[i], t * (t * x[i]).cos(), 1e-15, "d/dx_i");
    }
    let (_, tangent) = scaled_jvp(&x[..], &[1.0, 0.0, 0.0][..], t);
    assert_close(tangent, g[0], 1e-15, "jvp against grad");
}

#[test]
fn the_same_function_runs_at_f32() {
    let x = [0.1_f32, 0.2, 0.3];
    // `t` is outside `wrt(x)`: it stays `f64` data at every scalar type.
    let (v, g) = scaled_grad(&x[..], 2.0);
    assert!((v - scaled(&[0.1, 0.2, 0.3], 2.0) as f32).abs() < 1e-6);
    assert!((g[0] - 2.0 * 0.2_f32.cos()).abs() < 1e-6);
    let y: f32 = composed_generic(1.2_f32, 0.7, &[0.3, -0.2, 0.5]);
    assert!((y as f64 - composed(1.2, 0.7, &[0.3, -0.2, 0.5])).abs() < 1e-4);
}

#[test]
#[should_panic(expected = "scaled_vjp: `x_bar` has length 2 but `x` has length 3")]
fn adjoints_of_the_wrong_length_are_named_at_the_call() {
    let mut x_bar = [0.0; 2];
    scaled_vjp(&[0.1, 0.2, 0.3][..], &mut x_bar[..], 2.0, 1.0);
}

#[test]
#[should_panic(expected = "composed_jvp: `data_dot` has length 1 but `data` has length 3")]
fn tangents_of_the_wrong_length_are_named_at_the_call() {
    composed_jvp(1.0, 0.0, 1.0, 0.0, &[0.3, -0.2, 0.5][..], &[0.0][..]);
}

#[differentiable]
fn weighted(a: f64, b: f64, u: &[f64], w: &[f64]) -> f64 {
    a * u[0] * w[1] + b * b * u[1] * w[0]
}

#[differentiable]
fn same_value_twice(x: f64, u: &[f64]) -> f64 {
    // `x` and `u` are each passed to two parameters: each use gets its own adjoint.
    weighted(x, x, u, u) + weighted(x.sin(), x, u, u)
}

#[test]
fn a_value_passed_to_two_parameters() {
    check(
        &Case {
            name: "same_value_twice",
            inputs: 3,
            outputs: 1,
            f: &|x| vec![same_value_twice(x[0], &x[1..])],
            jvp: &|x, d| {
                let (v, t) = same_value_twice_jvp(x[0], d[0], &x[1..], &d[1..]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut g = vec![0.0; 3];
                let (xb, ub) = g.split_at_mut(1);
                let v = same_value_twice_vjp(x[0], &mut xb[0], &x[1..], ub, w[0]);
                (vec![v], g)
            },
        },
        &[0.7, 1.1, -0.4],
        33,
    );
}
