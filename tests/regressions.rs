//! Programs the randomized test found mishandled, kept as they were reduced, each checked three
//! ways.

mod common;

use common::{check, Case};
use tapeless::differentiable;

const HALF: f64 = 0.5;
const THIRD: f64 = 0.33;

fn scalar(
    name: &str,
    f: &dyn Fn(f64) -> f64,
    jvp: &dyn Fn(f64, f64) -> (f64, f64),
    vjp: &dyn Fn(f64, &mut f64, f64) -> f64,
    at: f64,
) {
    check(
        &Case {
            name,
            inputs: 1,
            outputs: 1,
            f: &|x| vec![f(x[0])],
            jvp: &|x, d| {
                let (v, t) = jvp(x[0], d[0]);
                (vec![v], vec![t])
            },
            vjp: &|x, w| {
                let mut b = 0.0;
                let v = vjp(x[0], &mut b, w[0]);
                (vec![v], vec![b])
            },
        },
        &[at],
        61,
    );
}

/// A `let` in a branch reassigned later in the branch: it must not be recomputed from its first
/// value in the reverse sweep (it was, and the adjoint came out 0.6 instead of 1.6 at 0.3).
#[differentiable]
fn let_reassigned_in_branch(a: f64) -> f64 {
    let mut s = a;
    if a > 0.0 {
        let mut t = a;
        t += 1.0;
        s *= t;
    }
    s
}

/// The same after an early `return`, whose guard puts the rest of the body in a branch.
#[differentiable]
fn let_reassigned_after_return(a: f64) -> f64 {
    if a > 5.0 {
        return 1.0;
    }
    let mut t = a;
    t += 1.0;
    a * t
}

/// A `let` given by an `if` inside a loop.
#[differentiable]
fn value_if_in_loop(a: f64) -> f64 {
    let mut s = a;
    for _ in 0..2 {
        let t = if a > 0.0 { a + 1.0 } else { a };
        s *= t;
    }
    s
}

#[differentiable]
fn sine(a: f64) -> f64 {
    a.sin()
}

/// A call with constant arguments whose result later becomes active.
#[differentiable]
fn constant_call_made_active(x: f64) -> f64 {
    let mut c = sine(0.5);
    c *= x;
    c
}

/// `min` of two constants whose type the macro cannot see.
#[differentiable]
fn min_of_constants(x: f64) -> f64 {
    x * HALF.min(THIRD)
}

#[differentiable]
fn product(a: f64, b: f64) -> f64 {
    a * b
}

/// Constant expressions as arguments of a differentiable call.
#[differentiable]
fn constant_arguments(x: f64) -> f64 {
    let c = HALF;
    product(x, -HALF) + product(x, HALF * THIRD) + product(c, x)
}

/// An `if` as the function's value after an early `return`.
#[differentiable]
fn tail_if_after_return(x: f64) -> f64 {
    if x > 2.0 {
        return 1.0;
    }
    if x > 0.0 {
        x * x
    } else {
        -x
    }
}

/// A `let` given by branches whose first value is a constant of unwritten type.
#[differentiable]
fn branch_value_of_unknown_kind(x: f64) -> f64 {
    let t = if x > 0.0 { sine(HALF) } else { x * x };
    t * x
}

#[test]
fn reduced_programs() {
    for at in [0.7, -0.7] {
        scalar(
            "branch_value_of_unknown_kind",
            &branch_value_of_unknown_kind,
            &branch_value_of_unknown_kind_jvp,
            &branch_value_of_unknown_kind_vjp,
            at,
        );
    }
    scalar(
        "let_reassigned_in_branch",
        &let_reassigned_in_branch,
        &let_reassigned_in_branch_jvp,
        &let_reassigned_in_branch_vjp,
        0.3,
    );
    scalar(
        "let_reassigned_after_return",
        &let_reassigned_after_return,
        &let_reassigned_after_return_jvp,
        &let_reassigned_after_return_vjp,
        0.3,
    );
    scalar(
        "value_if_in_loop",
        &value_if_in_loop,
        &value_if_in_loop_jvp,
        &value_if_in_loop_vjp,
        0.3,
    );
    scalar(
        "constant_call_made_active",
        &constant_call_made_active,
        &constant_call_made_active_jvp,
        &constant_call_made_active_vjp,
        0.7,
    );
    scalar(
        "min_of_constants",
        &min_of_constants,
        &min_of_constants_jvp,
        &min_of_constants_vjp,
        0.7,
    );
    scalar(
        "constant_arguments",
        &constant_arguments,
        &constant_arguments_jvp,
        &constant_arguments_vjp,
        0.7,
    );
    for at in [3.0, 1.5, -0.5] {
        scalar(
            "tail_if_after_return",
            &tail_if_after_return,
            &tail_if_after_return_jvp,
            &tail_if_after_return_vjp,
            at,
        );
    }
    // The adjoint of the first program, by hand: s = a (a + 1), ds/da = 2a + 1.
    let (_, g) = let_reassigned_in_branch_grad(0.3_f64);
    assert!((g - 1.6).abs() < 1e-15);
}

#[differentiable]
fn shared_pair(u: &[f64], v: &[f64]) -> f64 {
    u[0] * v[1]
}

/// A `&mut [f64]` parameter passed to two shared parameters.
#[differentiable]
fn mut_slice_twice(y: &mut [f64]) -> f64 {
    let r = shared_pair(y, y);
    y[0] *= r;
    r
}

#[test]
fn a_mut_slice_passed_to_two_shared_parameters() {
    check(
        &Case {
            name: "mut_slice_twice",
            inputs: 2,
            outputs: 3,
            f: &|x| {
                let mut y = x.to_vec();
                let r = mut_slice_twice(&mut y);
                vec![r, y[0], y[1]]
            },
            jvp: &|x, d| {
                let (mut y, mut yd) = (x.to_vec(), d.to_vec());
                let (r, rd) = mut_slice_twice_jvp(&mut y, &mut yd);
                (vec![r, y[0], y[1]], vec![rd, yd[0], yd[1]])
            },
            vjp: &|x, w| {
                let mut y = x.to_vec();
                let mut yb = vec![w[1], w[2]];
                let r = mut_slice_twice_vjp(&mut y, &mut yb, w[0]);
                (vec![r, y[0], y[1]], yb)
            },
        },
        &[0.7, -1.3],
        62,
    );
}
