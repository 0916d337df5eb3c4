//! Issue 12, item 4: a `loop` that gives a value, `let y = loop { .. break v; .. };` and a
//! `loop` as the function's result, the way a Newton iteration or a search is written in Rust.
//! Each `break v` assigns the loop's value before it leaves, as each branch of an `if` that
//! gives a value does, so the derivative is the one along the path taken. Each function is
//! proved three ways (central differences, the dot-product test to 1e-12, tangent against
//! adjoint), by Hessian-vector products at dual numbers against differences of gradients, and
//! against the same function written with a variable assigned before `break;` (values and
//! gradients to the bit).

mod common;

use common::slices::{prove, scalar};
use tapeless::differentiable;

/// Newton's method for the root of `y^3 + p0 y - p1`, its value bound by `let`.
#[differentiable]
fn newton_value(p: &[f64]) -> f64 {
    let mut y = 1.0;
    let root = loop {
        let step = (y * y * y + p[0] * y - p[1]) / (3.0 * y * y + p[0]);
        y -= step;
        if step.abs() < 1e-12 {
            break y;
        }
    };
    root * root + p[0] * root
}

/// The same with the root assigned before `break;`.
#[differentiable]
#[allow(unused_assignments)] // the value before the loop is never read
fn newton_assigned(p: &[f64]) -> f64 {
    let mut y = 1.0;
    let mut root = 0.0;
    loop {
        let step = (y * y * y + p[0] * y - p[1]) / (3.0 * y * y + p[0]);
        y -= step;
        if step.abs() < 1e-12 {
            root = y;
            break;
        }
    }
    root * root + p[0] * root
}

/// The square root by Heron's iteration, the `loop` the function's result, its value a
/// product computed at the `break`.
#[differentiable]
fn heron_tail(p: &[f64]) -> f64 {
    let a = p[0] * p[0] + 1.0;
    let mut x = a.max(1.0);
    loop {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() <= 1e-15 * next {
            break next * p[1];
        }
        x = next;
    }
}

/// The same with the result assigned before `break;`.
#[differentiable]
#[allow(unused_assignments)] // the value before the loop is never read
fn heron_assigned(p: &[f64]) -> f64 {
    let a = p[0] * p[0] + 1.0;
    let mut x = a.max(1.0);
    let mut out = 0.0;
    loop {
        let next = 0.5 * (x + a / x);
        if (next - x).abs() <= 1e-15 * next {
            out = next * p[1];
            break;
        }
        x = next;
    }
    out
}

/// A labelled `loop` left with a value from an inner `for` loop, another `break` at the outer
/// level, `continue`, an `if` as the broken value, an integer loop value, and locals named like
/// the flags and values the lowering makes (`broken`, `value`, `result`, `__tl_value`).
#[differentiable]
fn labelled_search(x: &[f64]) -> f64 {
    let n = x.len();
    let mut result = 0.0;
    let mut broken = 0usize;
    let first_big = loop {
        if broken >= n {
            break n;
        }
        if x[broken] > 0.5 {
            break broken;
        }
        broken += 1;
    };
    let mut __tl_value = 0.3;
    let value = 'outer: loop {
        __tl_value *= 1.5;
        for (i, v) in x.iter().enumerate() {
            if i % 2 == 1 {
                continue;
            }
            result += v * __tl_value;
            if result.abs() > 2.0 {
                break 'outer if result > 0.0 {
                    result.sin()
                } else {
                    result * result
                };
            }
        }
        if __tl_value > 40.0 {
            break result.tanh();
        }
    };
    value + first_big as f64 * x[0]
}

/// The same with the values assigned before `break;`.
#[differentiable]
#[allow(unused_assignments)] // the value before the loop is never read
fn labelled_assigned(x: &[f64]) -> f64 {
    let n = x.len();
    let mut result = 0.0;
    let mut broken = 0usize;
    let mut first_big = n;
    loop {
        if broken >= n {
            break;
        }
        if x[broken] > 0.5 {
            first_big = broken;
            break;
        }
        broken += 1;
    }
    let mut __tl_value = 0.3;
    let mut value = 0.0;
    'outer: loop {
        __tl_value *= 1.5;
        for (i, v) in x.iter().enumerate() {
            if i % 2 == 1 {
                continue;
            }
            result += v * __tl_value;
            if result.abs() > 2.0 {
                value = if result > 0.0 {
                    result.sin()
                } else {
                    result * result
                };
                break 'outer;
            }
        }
        if __tl_value > 40.0 {
            value = result.tanh();
            break;
        }
    }
    value + first_big as f64 * x[0]
}

/// A `loop` that gives a value, written by a `macro_rules!` macro.
macro_rules! fixed_point {
    ($name:ident, |$z:ident, $c:ident| $map:expr) => {
        #[differentiable]
        fn $name(p: &[f64]) -> f64 {
            let mut $z = 0.0;
            let r: f64 = loop {
                let $c = p[0];
                let next = $map;
                if (next - $z).abs() < 1e-14 {
                    break next + p[1] * next;
                }
                $z = next;
            };
            r
        }
    };
}

fixed_point!(contraction, |z, c| 0.5 * (z * c).cos());

/// The same contraction written without `macro_rules!` and with the value assigned.
#[differentiable]
#[allow(unused_assignments)] // the value before the loop is never read
fn contraction_assigned(p: &[f64]) -> f64 {
    let mut z = 0.0;
    let mut r = 0.0;
    loop {
        let c = p[0];
        let next = 0.5 * (z * c).cos();
        if (next - z).abs() < 1e-14 {
            r = next + p[1] * next;
            break;
        }
        z = next;
    }
    r
}

/// Values and gradients of two ways of writing one function, equal to the bit.
fn same_bits(
    a: &dyn Fn(&[f64], &mut [f64]) -> f64,
    b: &dyn Fn(&[f64], &mut [f64]) -> f64,
    x: &[f64],
) {
    let (mut ga, mut gb) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let (va, vb) = (a(x, &mut ga), b(x, &mut gb));
    assert_eq!(va.to_bits(), vb.to_bits(), "values at {x:?}");
    for (k, (p, q)) in ga.iter().zip(&gb).enumerate() {
        assert_eq!(p.to_bits(), q.to_bits(), "gradient component {k} at {x:?}");
    }
}

#[test]
fn a_newton_iteration_gives_its_root() {
    let s = scalar!(newton_value, newton_value_jvp, newton_value_vjp);
    // Starting points away from the root (started at the root, one step gives the root's
    // gradient but not its Hessian: the path taken changes nearby).
    for (k, p) in [[2.0, 3.7], [0.7, -1.2], [3.5, 10.0]].iter().enumerate() {
        prove(&s, p, 10 + k as u64);
        same_bits(
            &|x, g| newton_value_vjp(x, g, 1.0),
            &|x, g| newton_assigned_vjp(x, g, 1.0),
            p,
        );
    }
}

#[test]
fn a_loop_is_the_functions_result() {
    let s = scalar!(heron_tail, heron_tail_jvp, heron_tail_vjp);
    for (k, p) in [[1.3, 0.4], [-2.0, 1.5], [0.1, -3.0]].iter().enumerate() {
        prove(&s, p, 20 + k as u64);
        same_bits(
            &|x, g| heron_tail_vjp(x, g, 1.0),
            &|x, g| heron_assigned_vjp(x, g, 1.0),
            p,
        );
        // The value is the square root's, to rounding.
        let a: f64 = p[0] * p[0] + 1.0;
        common::assert_close(heron_tail(p), a.sqrt() * p[1], 1e-15, "heron");
    }
}

#[test]
fn labelled_exits_integer_values_and_adversarial_names() {
    let s = scalar!(labelled_search, labelled_search_jvp, labelled_search_vjp);
    let points: [&[f64]; 3] = [
        &[0.2, 0.9, 0.4, -0.3, 0.6],
        &[-0.4, 0.1, -0.35, 0.2],
        &[0.01, 0.02, -0.01, 0.03, 0.02, 0.01],
    ];
    for (k, x) in points.into_iter().enumerate() {
        prove(&s, x, 30 + k as u64);
        same_bits(
            &|x, g| labelled_search_vjp(x, g, 1.0),
            &|x, g| labelled_assigned_vjp(x, g, 1.0),
            x,
        );
    }
}

#[test]
fn a_loop_value_from_macro_rules() {
    let s = scalar!(contraction, contraction_jvp, contraction_vjp);
    for (k, p) in [[0.8, 0.3], [1.7, -0.6]].iter().enumerate() {
        prove(&s, p, 40 + k as u64);
        same_bits(
            &|x, g| contraction_vjp(x, g, 1.0),
            &|x, g| contraction_assigned_vjp(x, g, 1.0),
            p,
        );
    }
}
