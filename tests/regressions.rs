//! Programs the randomized test found mishandled, kept as they were reduced, each checked three
//! ways.

mod common;

use common::{assert_close, check, check_scalar, Case};
use tapeless::check::check_hvp;
use tapeless::differentiable;
use tapeless::Dual;

const HALF: f64 = 0.5;
const THIRD: f64 = 0.33;

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
        check_scalar(
            "branch_value_of_unknown_kind",
            &branch_value_of_unknown_kind,
            &branch_value_of_unknown_kind_jvp,
            &branch_value_of_unknown_kind_vjp,
            at,
            61,
        );
    }
    check_scalar(
        "let_reassigned_in_branch",
        &let_reassigned_in_branch,
        &let_reassigned_in_branch_jvp,
        &let_reassigned_in_branch_vjp,
        0.3,
        61,
    );
    check_scalar(
        "let_reassigned_after_return",
        &let_reassigned_after_return,
        &let_reassigned_after_return_jvp,
        &let_reassigned_after_return_vjp,
        0.3,
        61,
    );
    check_scalar(
        "value_if_in_loop",
        &value_if_in_loop,
        &value_if_in_loop_jvp,
        &value_if_in_loop_vjp,
        0.3,
        61,
    );
    check_scalar(
        "constant_call_made_active",
        &constant_call_made_active,
        &constant_call_made_active_jvp,
        &constant_call_made_active_vjp,
        0.7,
        61,
    );
    check_scalar(
        "min_of_constants",
        &min_of_constants,
        &min_of_constants_jvp,
        &min_of_constants_vjp,
        0.7,
        61,
    );
    check_scalar(
        "constant_arguments",
        &constant_arguments,
        &constant_arguments_jvp,
        &constant_arguments_vjp,
        0.7,
        61,
    );
    for at in [3.0, 1.5, -0.5] {
        check_scalar(
            "tail_if_after_return",
            &tail_if_after_return,
            &tail_if_after_return_jvp,
            &tail_if_after_return_vjp,
            at,
            61,
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

/// Raw identifiers: a keyword parameter, a `let` and a loop counter (the macro panicked on each).
#[differentiable]
fn raw_names(r#match: f64, n: usize) -> f64 {
    let r#t = r#match * r#match;
    let mut s = r#t;
    for r#i in 0..n {
        s += r#t * (r#i as f64);
    }
    s.sin()
}

/// Raw keywords of every edition naming a slice, a loop counter and a real.
#[differentiable]
fn raw_slice(r#in: &[f64], r#gen: f64) -> f64 {
    let mut s = 0.0;
    for r#for in 0..r#in.len() {
        s += r#in[r#for] * r#gen * r#in[r#for];
    }
    s
}

/// An annotated function named with a raw keyword, called by another.
#[differentiable]
fn r#match(x: f64) -> f64 {
    x.exp() * x
}

#[differentiable]
fn calls_raw_match(r#x: f64) -> f64 {
    r#match(x) * r#x
}

/// A literal too large for `f64` is infinite, in the companions as in the function.
#[differentiable]
#[allow(overflowing_literals)]
fn overflowing_literal(x: f64) -> f64 {
    x.sin() + x / 1e309
}

#[differentiable]
#[allow(overflowing_literals)]
fn times_overflowing_literal(x: f64) -> f64 {
    x * 1e309
}

/// `abs` of an integer parameter, cast to a real (the IR was malformed).
#[differentiable]
fn times_integer_abs(x: f64, k: i32) -> f64 {
    x * k.abs() as f64
}

/// A function whose types and tuple result come from `macro_rules!` fragments, as invisible
/// groups (a tuple result was refused: "returns 2 values but this expression has 1").
macro_rules! two_outputs {
    ($name:ident($($p:ident: $t:ty),*) -> $r:ty { $tail:expr }) => {
        #[differentiable]
        fn $name($($p: $t),*) -> $r {
            $tail
        }
    };
}

two_outputs!(product_and_sum(a: f64, b: f64) -> (f64, f64) { (a * b, a.sin() + b) });

#[test]
fn raw_identifiers() {
    // s = sin(t (1 + 0 + 1 + 2)) with t = m^2: ds/dm = 8 m cos(4 m^2).
    let m = 0.6_f64;
    let (v, g) = raw_names_grad(m, 3);
    assert_eq!(v, raw_names(m, 3));
    assert!((g - 8.0 * m * (4.0 * m * m).cos()).abs() < 1e-14, "{g}");
    check_scalar(
        "raw_names",
        &|m| raw_names(m, 3),
        &|m, d| raw_names_jvp(m, d, 3),
        &|m, b, w| raw_names_vjp(m, b, 3, w),
        m,
        61,
    );
    let u = [0.5, -2.0, 1.5];
    let (v, (g_in, g_gen)) = raw_slice_grad(&u, 0.3);
    assert_eq!(v, raw_slice(&u, 0.3));
    assert_eq!(
        g_in,
        vec![2.0 * 0.3 * 0.5, 2.0 * 0.3 * -2.0, 2.0 * 0.3 * 1.5]
    );
    assert_eq!(g_gen, 0.25 + 4.0 + 2.25);
    // x^2 e^x: (2x + x^2) e^x.
    let x = 0.4_f64;
    let (v, g) = calls_raw_match_grad(x);
    assert_eq!(v, calls_raw_match(x));
    assert!((g - (2.0 * x + x * x) * x.exp()).abs() < 1e-14, "{g}");
    check_scalar(
        "calls_raw_match",
        &calls_raw_match,
        &calls_raw_match_jvp,
        &calls_raw_match_vjp,
        x,
        61,
    );
}

#[test]
fn overflowing_float_literal() {
    let x = 0.8_f64;
    let (v, g) = overflowing_literal_grad(x);
    assert_eq!(v, overflowing_literal(x));
    assert_eq!(g, x.cos());
    check_scalar(
        "overflowing_literal",
        &overflowing_literal,
        &overflowing_literal_jvp,
        &overflowing_literal_vjp,
        x,
        61,
    );
    for x in [2.0, -0.5] {
        let (v, g) = times_overflowing_literal_grad(x);
        assert_eq!(v, times_overflowing_literal(x));
        assert_eq!(v, x.signum() * f64::INFINITY);
        assert_eq!(g, f64::INFINITY);
        assert_eq!(times_overflowing_literal_jvp(x, 1.0), (v, f64::INFINITY));
    }
}

#[test]
fn integer_abs_as_real() {
    for k in [-3, 0, 4] {
        let (v, g) = times_integer_abs_grad(0.7, k);
        assert_eq!(v, times_integer_abs(0.7, k));
        assert_eq!(g, f64::from(k.abs()));
        check_scalar(
            "times_integer_abs",
            &|x| times_integer_abs(x, k),
            &|x, d| times_integer_abs_jvp(x, d, k),
            &|x, b, w| times_integer_abs_vjp(x, b, k, w),
            0.7,
            61,
        );
    }
}

#[test]
fn tuple_result_from_a_macro_fragment() {
    let (a, b) = (0.7_f64, -1.1_f64);
    let ((p, s), (p_dot, s_dot)) = product_and_sum_jvp(a, 1.0, b, 0.0);
    assert_eq!((p, s), product_and_sum(a, b));
    assert_eq!((p_dot, s_dot), (b, a.cos()));
    let (mut a_bar, mut b_bar) = (0.0, 0.0);
    product_and_sum_vjp(a, &mut a_bar, b, &mut b_bar, (1.0, 1.0));
    assert_eq!((a_bar, b_bar), (b + a.cos(), a + 1.0));
    check(
        &Case {
            name: "product_and_sum",
            inputs: 2,
            outputs: 2,
            f: &|x| {
                let (p, s) = product_and_sum(x[0], x[1]);
                vec![p, s]
            },
            jvp: &|x, d| {
                let ((p, s), (pd, sd)) = product_and_sum_jvp(x[0], d[0], x[1], d[1]);
                (vec![p, s], vec![pd, sd])
            },
            vjp: &|x, w| {
                let (mut ab, mut bb) = (0.0, 0.0);
                let (p, s) = product_and_sum_vjp(x[0], &mut ab, x[1], &mut bb, (w[0], w[1]));
                (vec![p, s], vec![ab, bb])
            },
        },
        &[a, b],
        63,
    );
}

/// `#[cfg]` written after `#[differentiable]` reaches the macro with the function: the
/// companions take the same configuration, so where the function is compiled out (here: a body
/// calling a function that exists nowhere) no companion is left naming it.
#[differentiable]
#[cfg(not(test))]
fn configured_out(x: f64) -> f64 {
    nowhere(x)
}

/// The same attribute with a configuration that holds: function and companions exist.
#[differentiable]
#[cfg(test)]
fn configured_in(x: f64) -> f64 {
    x * x.sin()
}

#[test]
fn companions_follow_the_functions_cfg() {
    for at in [0.7, -1.3] {
        check_scalar(
            "configured_in",
            &configured_in,
            &configured_in_jvp,
            &configured_in_vjp,
            at,
            62,
        );
    }
}

#[differentiable]
fn g_of(a: f64, x: &[f64]) -> f64 {
    a * x[0] * x[1]
}

/// A `Vec` made in a branch and read in a loop of the branch only through its length (its
/// values feed nothing the derivative needs): the reverse of the loop replays `0..w.len()`, so
/// `w` must be brought back into scope there (it was not: "cannot find value `w`", random
/// programs, second batch, seed 20261203).
#[differentiable]
fn length_of_branch_local(a: f64, x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = a * x[1];
    if a > 0.0 {
        let w: Vec<f64> = vec![0.5; n + 1];
        for i in 0..w.len() {
            s += g_of(a, x) * (i as f64 + 1.0);
        }
    }
    s
}

#[test]
fn a_range_over_a_branch_locals_length() {
    let f = |p: &[f64]| vec![length_of_branch_local(p[0], &p[1..])];
    for point in [[0.7, 0.3, -0.4], [-0.7, 0.3, -0.4]] {
        check(
            &Case {
                name: "length_of_branch_local",
                inputs: 3,
                outputs: 1,
                f: &f,
                jvp: &|p, d| {
                    let (v, t) = length_of_branch_local_jvp(p[0], d[0], &p[1..], &d[1..]);
                    (vec![v], vec![t])
                },
                vjp: &|p, w| {
                    let (mut ab, mut xb) = (0.0, vec![0.0; 2]);
                    let v = length_of_branch_local_vjp(p[0], &mut ab, &p[1..], &mut xb, w[0]);
                    (vec![v], vec![ab, xb[0], xb[1]])
                },
            },
            &point,
            17,
        );
    }
}

/// Scales `u` by `tanh(c)`: called below with only inactive arguments.
#[differentiable]
pub fn h_scale(u: &mut [f64], c: f64) {
    let s = c.tanh();
    for i in 0..u.len() {
        u[i] *= s;
    }
}

/// Bug 15: a constant call writing a local array that an earlier adjoint reads (`w1` of
/// `t = a * w1[1].powi(3)`); the reverse sweep must put back its state before the call.
#[differentiable(wrt(a))]
fn constant_call_writes_array(a: f64, e: [f64; 3]) -> f64 {
    let mut w1 = e;
    let t = a * w1[1].powi(3);
    h_scale(&mut w1, e[0]);
    t * a + w1[2] * a
}

/// The same with a literal array, all parameters active.
#[differentiable]
fn constant_call_writes_literal(a: f64) -> f64 {
    let mut w1 = [0.3_f64, 0.2, 0.1];
    let t = a * w1[1].powi(3) * a.sin();
    h_scale(&mut w1, 0.5);
    t + w1[1] * a * a
}

/// The same with a `Vec` copied from a data slice.
#[differentiable(wrt(a))]
fn constant_call_writes_vec(a: f64, e: &[f64]) -> f64 {
    let mut w1 = e.to_vec();
    let t = a * w1[1].powi(3) * a;
    h_scale(&mut w1, e[0]);
    t + w1[0] * a.exp()
}

/// The same on a `&mut [f64]` data parameter.
#[differentiable(wrt(a))]
fn constant_call_writes_slice(a: f64, w: &mut [f64]) -> f64 {
    let t = a * w[1].powi(3) * a;
    h_scale(w, 0.5);
    t + w[2] * a.cos()
}

/// The three checks of a function of one real, and its Hessian-vector products (the
/// forward-over-reverse companion at `Dual`) against differences of gradients.
fn check_with_hvp(
    name: &str,
    f: &dyn Fn(f64) -> f64,
    jvp: &dyn Fn(f64, f64) -> (f64, f64),
    vjp: &dyn Fn(f64, &mut f64, f64) -> f64,
    vjp_dual: &dyn Fn(D, &mut D),
    at: f64,
) {
    check_scalar(name, f, jvp, vjp, at, 63);
    let hvp = |u: &[f64]| -> Vec<f64> {
        let mut b = D::constant(0.0);
        vjp_dual(Dual::new(at, [u[0]]), &mut b);
        vec![b.tangents[0]]
    };
    let grad = |p: &[f64], out: &mut [f64]| {
        out[0] = 0.0;
        vjp(p[0], &mut out[0], 1.0);
    };
    let (u, w) = ([0.7], [-1.3]);
    let (hu, hw) = (hvp(&u), hvp(&w));
    let report = check_hvp(grad, &[at], &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{name}: {report:?}");
}

type D = Dual<f64, 1>;

#[test]
fn a_constant_call_writing_an_array_an_earlier_adjoint_reads() {
    let e = [0.8, -0.6, 0.45];
    // By hand: w1 = e before the call, tanh(e0) e after it.
    let s = 0.8_f64.tanh();
    let a = 0.7_f64;
    let (_, g) = constant_call_writes_array_grad(a, e);
    assert_close(g, 2.0 * a * (-0.6_f64).powi(3) + s * 0.45, 1e-14, "by hand");
    check_with_hvp(
        "constant_call_writes_array",
        &|a| constant_call_writes_array(a, e),
        &|a, d| constant_call_writes_array_jvp(a, d, e),
        &|a, b, y| constant_call_writes_array_vjp(a, b, e, y),
        &|a, b| {
            constant_call_writes_array_vjp(a, b, e, D::constant(1.0));
        },
        a,
    );
    check_with_hvp(
        "constant_call_writes_literal",
        &constant_call_writes_literal,
        &constant_call_writes_literal_jvp,
        &constant_call_writes_literal_vjp,
        &|a, b| {
            constant_call_writes_literal_vjp(a, b, D::constant(1.0));
        },
        -0.4,
    );
    check_with_hvp(
        "constant_call_writes_vec",
        &|a| constant_call_writes_vec(a, &e),
        &|a, d| constant_call_writes_vec_jvp(a, d, &e),
        &|a, b, y| constant_call_writes_vec_vjp(a, b, &e, y),
        &|a, b| {
            constant_call_writes_vec_vjp(a, b, &e, D::constant(1.0));
        },
        a,
    );
    check_with_hvp(
        "constant_call_writes_slice",
        &|a| constant_call_writes_slice(a, &mut e.clone()),
        &|a, d| constant_call_writes_slice_jvp(a, d, &mut e.clone()),
        &|a, b, y| constant_call_writes_slice_vjp(a, b, &mut e.clone(), y),
        &|a, b| {
            let mut ed = e.map(D::constant);
            constant_call_writes_slice_vjp(a, b, &mut ed, D::constant(1.0));
        },
        a,
    );
    // The tangent companion leaves the slice scaled, as the function does.
    let (mut w, mut w2) = (e, e);
    constant_call_writes_slice(a, &mut w);
    constant_call_writes_slice_jvp(a, 1.0, &mut w2);
    assert_eq!(w, w2);
    assert_eq!(w, e.map(|v| v * 0.5_f64.tanh()));
}

/// A `let` given by branches whose first value is an element of an array of arrays of reals
/// outside `wrt(..)` and whose other value is active (random programs, seed 20261203): the
/// first branch fixed the variable's kind to the data's, and the active branch was refused
/// ("`y` is not a real variable").
#[differentiable(wrt(z))]
fn branch_value_of_data_row(z: f64, k: usize, obs: [[f64; 3]; 2]) -> f64 {
    let y = if k > 1 {
        obs[0][1]
    } else if z > 0.0 {
        z * obs[1][2] + z.sin()
    } else {
        obs[k][0] * z
    };
    y * z
}

#[test]
fn a_branch_value_of_data_rows_beside_active_branches() {
    let obs = [[0.3, -0.8, 1.1], [0.5, 0.25, -0.7]];
    for (k, at) in [(0, 0.6), (0, -0.4), (2, 0.6)] {
        check_with_hvp(
            "branch_value_of_data_row",
            &|z| branch_value_of_data_row(z, k, obs),
            &|z, d| branch_value_of_data_row_jvp(z, d, k, obs),
            &|z, b, y| branch_value_of_data_row_vjp(z, b, k, obs, y),
            &|z, b| {
                branch_value_of_data_row_vjp(z, b, k, obs, D::constant(1.0));
            },
            at,
        );
    }
    // By hand at k = 0, z = 0.6: y = z obs[1][2] + sin z, J = y z, dJ/dz = 2 z obs[1][2] +
    // sin z + z cos z.
    let z = 0.6_f64;
    let (_, g) = branch_value_of_data_row_grad(z, 0, obs);
    assert!((g - (2.0 * z * -0.7 + z.sin() + z * z.cos())).abs() < 1e-15);
}

/// A tuple local whose field is an element of data rows or a constant of unwritten type,
/// beside active fields (found by push14's generator draft): the fields were refused as
/// "not reals".
#[differentiable(wrt(z))]
fn tuple_of_data_row(z: f64, obs: [[f64; 3]; 2]) -> f64 {
    let pr = (obs[1][2], z * z.sin());
    let q = (HALF, z.exp());
    pr.0 * pr.1 + q.0 * q.1 * pr.0
}

#[test]
fn a_tuple_of_data_rows_beside_active_fields() {
    let obs = [[0.3, -0.8, 1.1], [0.5, 0.25, -0.7]];
    check_with_hvp(
        "tuple_of_data_row",
        &|z| tuple_of_data_row(z, obs),
        &|z, d| tuple_of_data_row_jvp(z, d, obs),
        &|z, b, y| tuple_of_data_row_vjp(z, b, obs, y),
        &|z, b| {
            tuple_of_data_row_vjp(z, b, obs, D::constant(1.0));
        },
        0.6,
    );
}

const ROWS: usize = 2;

/// A data parameter whose length is an expression, `[f64; 2 * ROWS]` (the no-panic test's
/// mutations wrote `[f64; (3)]`): its forwarder for callers read it through
/// `from_fn::<f64, 2 * ROWS, _>`, which is not Rust (a const argument that is an expression
/// needs braces).
#[differentiable(wrt(z))]
fn data_of_computed_length(z: f64, w: [f64; 2 * ROWS]) -> f64 {
    z * w[0] + z * z * w[3] + (z * w[1]).sin()
}

/// Its caller sends the data on.
#[differentiable(wrt(z))]
fn sends_data_of_computed_length(z: f64, w: [f64; 2 * ROWS]) -> f64 {
    let y = data_of_computed_length(z, w);
    y * z
}

#[test]
fn data_of_a_computed_length_passes_to_callees() {
    let w = [0.5, -1.5, 0.25, 2.0];
    check_with_hvp(
        "sends_data_of_computed_length",
        &|z| sends_data_of_computed_length(z, w),
        &|z, d| sends_data_of_computed_length_jvp(z, d, w),
        &|z, b, y| sends_data_of_computed_length_vjp(z, b, w, y),
        &|z, b| {
            sends_data_of_computed_length_vjp(z, b, w, D::constant(1.0));
        },
        0.7,
    );
    // By hand: y = z w0 + z^2 w3 + sin(z w1), J = y z, dJ/dz = y + z y'.
    let z = 0.7_f64;
    let y = z * w[0] + z * z * w[3] + (z * w[1]).sin();
    let dy = w[0] + 2.0 * z * w[3] + w[1] * (z * w[1]).cos();
    let (_, g) = sends_data_of_computed_length_grad(z, w);
    assert!(
        (g - (y + z * dy)).abs() < 1e-14,
        "{g} against {}",
        y + z * dy
    );
}

/// `&[f64; 3]` data (outside `wrt(..)`) passed on whole to a callee's `&[f64; 3]` data
/// parameter (found by cgen15): the caller sends its data borrowed as a data slice, which the
/// callee's companions for callers took only as `&[S; 3]`, a rustc type error in generated code.
#[differentiable(wrt(x0))]
fn fixed_data_misfit(x0: &[f64; 3], obs: &[f64; 3], c: f64) -> f64 {
    let mut j = 0.0;
    for i in 0..3 {
        j += c * (x0[i] - obs[i]).powi(2) * x0[(i + 1) % 3];
    }
    j
}

#[differentiable(wrt(x0))]
fn fixed_data_passed_on(x0: &[f64; 3], obs: &[f64; 3]) -> f64 {
    fixed_data_misfit(x0, obs, 8.0) + fixed_data_misfit(x0, obs, 1.5).sin()
}

#[test]
fn fixed_size_data_passes_on_whole() {
    let obs = [0.5, -0.25, 1.5];
    let f = |x: &[f64]| vec![fixed_data_passed_on(x.try_into().unwrap(), &obs)];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = fixed_data_passed_on_jvp(x.try_into().unwrap(), d, &obs);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], y: &[f64]| {
        let mut g = [0.0; 3];
        let v = fixed_data_passed_on_vjp(x.try_into().unwrap(), &mut g, &obs, y[0]);
        (vec![v], g.to_vec())
    };
    let case = Case {
        name: "fixed_data_passed_on",
        inputs: 3,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.3, 1.2, -0.7], 17);
    // By hand: the same sum of the callee's values.
    let x = [0.3, 1.2, -0.7];
    let by_hand = fixed_data_misfit(&x, &obs, 8.0) + fixed_data_misfit(&x, &obs, 1.5).sin();
    assert_eq!(fixed_data_passed_on(&x, &obs), by_hand);
}
