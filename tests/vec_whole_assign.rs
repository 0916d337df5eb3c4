//! Issue 12, item 5: a `Vec` assigned whole, `x = step(&x, h);`, the time loop of a scientist's
//! integrator with a `Vec<f64>` state (free functions and `&self` methods), `u = v.clone();`,
//! `u = vec![..];`, and a `Vec` of rows assigned a call's result. The derivative code keeps
//! each array's length: it compares the lengths first and panics naming the problem when a
//! new value has another (`__tl::kept_len`). Checked three ways (central differences, the
//! dot-product test, tangent against adjoint), equal to the element loop written by hand to
//! the bit, H v at dual numbers against differences of gradients, adversarial names.

mod common;

use common::rows::nest;
use common::{check, Case};
use tapeless::{differentiable, Dual};

#[differentiable]
fn rhs(u: &[f64], f: f64) -> Vec<f64> {
    let n = u.len();
    (0..n)
        .map(|i| (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + f)
        .collect()
}

#[differentiable]
fn euler(u: &[f64], f: f64, h: f64) -> Vec<f64> {
    let k = rhs(u, f);
    u.iter().zip(&k).map(|(a, b)| a + h * b).collect()
}

/// The state reassigned from the step's result, then from a copy and a literal.
#[differentiable]
fn cost(x0: &[f64], f: f64) -> f64 {
    let mut x = x0.to_vec();
    for _ in 0..4 {
        x = euler(&x, f, 0.01);
    }
    let mut y = vec![0.0; x.len()];
    y = x.clone();
    let mut z = vec![0.0, 0.0];
    z = vec![y[0] * y[1], y[2].sin()];
    y.iter().map(|v| v * v).sum::<f64>() + z[0] * z[1]
}

/// The same with the copies written by hand.
fn cost_by_hand(x0: &[f64], f: f64) -> f64 {
    let mut x = x0.to_vec();
    for _ in 0..4 {
        let next = euler(&x, f, 0.01);
        x.copy_from_slice(&next);
    }
    let y = x.clone();
    let z = [y[0] * y[1], y[2].sin()];
    y.iter().map(|v| v * v).sum::<f64>() + z[0] * z[1]
}

/// Names of the generated code's.
#[differentiable]
fn adversarial(x_bar: &[f64], __whole: f64) -> f64 {
    let mut len = x_bar.to_vec();
    for __i in 0..2 {
        len = euler(&len, __whole, 0.02 * (__i as f64 + 1.0));
    }
    len[0] * len[len.len() - 1]
}

#[differentiable]
#[derive(Clone, Debug)]
struct Model {
    forcing: f64,
}

impl Model {
    #[differentiable]
    fn step(&self, u: &[f64], h: f64) -> Vec<f64> {
        let k = rhs(u, self.forcing);
        u.iter().zip(&k).map(|(a, b)| a + h * b).collect()
    }

    /// The time loop of a method, reassigning its state from another method's result.
    #[differentiable(wrt(self, x0))]
    fn cost(&self, x0: &[f64], steps: usize) -> f64 {
        let mut x = x0.to_vec();
        for _ in 0..steps {
            x = self.step(&x, 0.01);
        }
        x.iter().map(|v| v * v).sum::<f64>()
    }
}

/// Rows shifted by a call, reassigned whole.
#[differentiable(wrt(x))]
fn shifted(x: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut y = vec![[0.0; 3]; x.len()];
    for k in 0..x.len() {
        y[k] = [x[k][1] * x[k][2], x[k][2].cos(), x[k][0]];
    }
    y
}

#[differentiable(wrt(x))]
fn rows_twice(x: &[[f64; 3]]) -> f64 {
    let mut y = shifted(x);
    y = shifted(&y);
    y[0][0] * y[1][2] + y[1][1]
}

/// Rows assigned whole from literals reading the row itself, a repeat and a `[f64; 3]` local.
#[differentiable(wrt(x))]
fn rows_written(x: &[[f64; 3]], c: f64) -> Vec<[f64; 3]> {
    let mut y = vec![[0.0; 3]; x.len() + 1];
    for k in 0..x.len() {
        y[k] = [x[k][0], x[k][1].sin(), x[k][2] * x[k][0]];
        y[k] = [y[k][2], y[k][0] * c, y[k][1]];
    }
    let __row: [f64; 3] = [x[0][1], 0.5, x[1][2]];
    y[x.len()] = [c; 3];
    y[0] = __row;
    let r: [f64; 3] = row_of(x[1][0]);
    y[1] = r;
    y
}

#[differentiable]
fn row_of(a: f64) -> [f64; 3] {
    [a, 2.0 * a, a * a]
}

/// The same written element by element.
fn rows_written_by_hand(x: &[[f64; 3]], c: f64) -> Vec<[f64; 3]> {
    let mut y = vec![[0.0; 3]; x.len() + 1];
    for k in 0..x.len() {
        let (a, b, d) = (x[k][0], x[k][1].sin(), x[k][2] * x[k][0]);
        y[k][0] = d;
        y[k][1] = a * c;
        y[k][2] = b;
    }
    y[x.len()] = [c; 3];
    y[0] = [x[0][1], 0.5, x[1][2]];
    y[1] = row_of(x[1][0]);
    y
}

/// A step that gives a longer state: the function goes on, the derivative code cannot.
#[differentiable]
fn grow(u: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; u.len() + 1];
    v[..u.len()].copy_from_slice(u);
    v
}

#[differentiable]
fn grown(x0: &[f64]) -> f64 {
    let mut x = x0.to_vec();
    x = grow(&x);
    x[0]
}

const X: [f64; 6] = [8.1, 7.9, 8.3, 8.0, 7.7, 8.2];

#[test]
fn a_vec_state_reassigned_in_the_time_loop_three_ways() {
    assert_eq!(cost(&X, 8.0), cost_by_hand(&X, 8.0));
    let mut v = X.to_vec();
    v.push(8.0);
    check(
        &Case {
            name: "cost",
            inputs: 7,
            outputs: 1,
            f: &|v| vec![cost(&v[..6], v[6])],
            jvp: &|v, d| {
                let (r, t) = cost_jvp(&v[..6], &d[..6], v[6], d[6]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut g, mut fb) = (vec![0.0; 6], 0.0);
                let r = cost_vjp(&v[..6], &mut g, v[6], &mut fb, w[0]);
                g.push(fb);
                (vec![r], g)
            },
        },
        &v,
        601,
    );
    check(
        &Case {
            name: "adversarial",
            inputs: 7,
            outputs: 1,
            f: &|v| vec![adversarial(&v[..6], v[6])],
            jvp: &|v, d| {
                let (r, t) = adversarial_jvp(&v[..6], &d[..6], v[6], d[6]);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let (mut g, mut fb) = (vec![0.0; 6], 0.0);
                let r = adversarial_vjp(&v[..6], &mut g, v[6], &mut fb, w[0]);
                g.push(fb);
                (vec![r], g)
            },
        },
        &v,
        602,
    );
}

#[test]
fn the_hessian_through_the_reassigned_state_is_symmetric_and_differences_gradients() {
    type D = Dual<f64, 1>;
    let grad = |x: &[f64]| {
        let (mut g, mut fb) = (vec![0.0; 6], 0.0);
        cost_vjp(x, &mut g, 8.0, &mut fb, 1.0);
        g
    };
    let hv = |v: &[f64]| {
        let xd: Vec<D> = X.iter().zip(v).map(|(&a, &b)| D::new(a, [b])).collect();
        let (mut g, mut fb) = (vec![D::constant(0.0); 6], D::constant(0.0));
        cost_vjp(&xd, &mut g, D::constant(8.0), &mut fb, D::constant(1.0));
        g.iter().map(|gi| gi.tangents[0]).collect::<Vec<f64>>()
    };
    let a = [1.0, 0.5, -0.3, 0.2, -0.7, 0.4];
    let b = [-0.4, 0.9, 0.1, -0.6, 0.3, 0.8];
    let (ha, hb) = (hv(&a), hv(&b));
    let dot = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(x, y)| x * y).sum::<f64>();
    let (l, r) = (dot(&b, &ha), dot(&a, &hb));
    assert!(
        (l - r).abs() <= 1e-12 * l.abs().max(r.abs()),
        "H not symmetric: {l} vs {r}"
    );
    let eps = 1e-5;
    let shifted = |s: f64| -> Vec<f64> { X.iter().zip(a).map(|(x, d)| x + s * d).collect() };
    let (gp, gm) = (grad(&shifted(eps)), grad(&shifted(-eps)));
    for i in 0..6 {
        let fd = (gp[i] - gm[i]) / (2.0 * eps);
        assert!(
            (fd - ha[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
            "H a [{i}]: {} vs differences of gradients {fd}",
            ha[i]
        );
    }
}

#[test]
fn a_method_reassigning_its_state_equals_the_free_function() {
    let m = Model { forcing: 8.0 };
    let mut v = X.to_vec();
    v.push(8.0);
    check(
        &Case {
            name: "Model::cost",
            inputs: 7,
            outputs: 1,
            f: &|v| vec![Model { forcing: v[6] }.cost(&v[..6], 4)],
            jvp: &|v, d| {
                let (r, t) =
                    Model { forcing: v[6] }.cost_jvp(&Model { forcing: d[6] }, &v[..6], &d[..6], 4);
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let mut mb = Model { forcing: 0.0 };
                let mut g = vec![0.0; 6];
                let r = Model { forcing: v[6] }.cost_vjp(&mut mb, &v[..6], &mut g, 4, w[0]);
                g.push(mb.forcing);
                (vec![r], g)
            },
        },
        &v,
        603,
    );
    // The same operations in the same order as the free function's loop.
    let (j, (mb, g)) = m.cost_grad(&X, 4);
    let (j2, (g2, f2)) = free_cost_grad(&X, 8.0);
    assert_eq!((j, g, mb.forcing), (j2, g2, f2));
}

#[differentiable]
fn free_cost(x0: &[f64], f: f64) -> f64 {
    let mut x = x0.to_vec();
    for _ in 0..4 {
        x = euler(&x, f, 0.01);
    }
    x.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn rows_reassigned_from_a_call_three_ways() {
    let x = [0.3, -0.8, 1.1, 0.5, 0.25, -0.7];
    check(
        &Case {
            name: "rows_twice",
            inputs: 6,
            outputs: 1,
            f: &|v| vec![rows_twice(&nest::<3, _>(v))],
            jvp: &|v, d| {
                let (r, t) = rows_twice_jvp(&nest::<3, _>(v), &nest::<3, _>(d));
                (vec![r], vec![t])
            },
            vjp: &|v, w| {
                let mut g = vec![[0.0; 3]; 2];
                let r = rows_twice_vjp(&nest::<3, _>(v), &mut g, w[0]);
                (vec![r], g.concat())
            },
        },
        &x,
        604,
    );
}

#[test]
#[should_panic(expected = "must keep its length in a differentiable function")]
fn a_new_length_panics_naming_the_problem() {
    // The function itself goes on with the longer state.
    assert_eq!(grown(&[1.5, 2.0]), 1.5);
    let mut g = [0.0; 2];
    grown_vjp(&[1.5, 2.0], &mut g, 1.0);
}

#[test]
fn rows_assigned_whole_three_ways() {
    let x = [0.3, -0.8, 1.1, 0.5, 0.25, -0.7];
    assert_eq!(
        rows_written(&nest::<3, _>(&x), 0.9),
        rows_written_by_hand(&nest::<3, _>(&x), 0.9)
    );
    check(
        &Case {
            name: "rows_written",
            inputs: 6,
            outputs: 9,
            f: &|v| rows_written(&nest::<3, _>(v), 0.9).concat(),
            jvp: &|v, d| {
                let (r, t) = rows_written_jvp(&nest::<3, _>(v), &nest::<3, _>(d), 0.9);
                (r.concat(), t.concat())
            },
            vjp: &|v, w| {
                let mut g = vec![[0.0; 3]; 2];
                let r = rows_written_vjp(&nest::<3, _>(v), &mut g, 0.9, &nest::<3, _>(w));
                (r.concat(), g.concat())
            },
        },
        &x,
        605,
    );
}
