//! Users' names that look like the generated code's: a local called `result`, `x_bar`, `x_dot`,
//! `__adj0`, `__result0`, `__x_bar_acc`, a parameter called `result_bar`. Generated names live
//! in the macro's own syntax context, so none of these can capture or shadow them (issue 10,
//! items 1, 2 and 4: each of these once gave a wrong gradient or failed to compile). Each
//! function is checked three ways, and the scalar ones against their derivative by hand.
#![allow(clippy::let_and_return, clippy::needless_late_init)]

mod common;

use common::{check, check_scalar, Case};
use nalgebra::{DMatrix, DVector};
use tapeless::differentiable;

/// Item 1: the reverse companions gave a zero gradient.
#[differentiable]
fn local_named_result(x: f64) -> f64 {
    let result = 2.0 * x;
    if x > 0.0 {
        result
    } else {
        x
    }
}

/// The same with a `match` as the tail.
#[differentiable]
fn local_named_result_match(x: f64, k: usize) -> f64 {
    let result = x.sin();
    match k {
        0 => result,
        _ => result * x,
    }
}

/// Item 2: locals named like the generated temporaries.
#[differentiable]
fn local_named_adj0(x: f64) -> f64 {
    let __adj0 = x.sin();
    __adj0 * x
}

#[differentiable]
fn local_named_result0(x: f64) -> f64 {
    let __result0 = x.exp();
    __result0 * x.cos()
}

#[differentiable]
fn local_named_bar_acc(x: f64) -> f64 {
    let __x_bar_acc = x * x;
    let x_bar = __x_bar_acc.sin();
    x_bar + x
}

/// Item 4: `wrt(x)` with locals named like `x`'s tangent and adjoint.
#[differentiable(wrt(x))]
fn locals_named_like_companions(x: f64, c: f64) -> f64 {
    let x_bar = x * c;
    let x_dot = x_bar.sin();
    let result_bar = x_dot * x;
    result_bar
}

/// A `Vec` tail after a local named `result`.
#[differentiable]
fn vec_tail_after_result(u: &[f64]) -> Vec<f64> {
    let result = u[0] * u[1];
    vec![result, result * u[0], u[1]]
}

/// A tuple tail after a local named `result`.
#[differentiable]
fn tuple_tail_after_result(x: f64, y: f64) -> (f64, f64) {
    let result = x * y;
    (result, result.sin() + x)
}

/// A matrix tail after a local named `result`.
#[differentiable]
fn matrix_tail_after_result(w: &DMatrix<f64>, v: &DVector<f64>) -> DVector<f64> {
    let result = w * v;
    &result * 2.0 + v
}

/// A parameter named `result_bar` in a matrix expression.
#[differentiable]
fn parameter_named_result_bar(result_bar: &DVector<f64>, s: f64) -> f64 {
    let h = result_bar * s;
    h.norm_squared()
}

#[test]
fn a_local_named_result_keeps_its_gradient() {
    assert_eq!(local_named_result_grad(1.0), (2.0, 2.0));
    assert_eq!(local_named_result_grad(-1.0), (-1.0, 1.0));
    for at in [0.7, -0.7] {
        check_scalar(
            "local_named_result",
            &local_named_result,
            &local_named_result_jvp,
            &local_named_result_vjp,
            at,
            71,
        );
    }
    for k in [0, 1] {
        let (value, g) = local_named_result_match_grad(0.4, k);
        assert_eq!(value, local_named_result_match(0.4, k));
        let expected = if k == 0 {
            0.4_f64.cos()
        } else {
            0.4_f64.cos() * 0.4 + 0.4_f64.sin()
        };
        assert!((g - expected).abs() < 1e-15, "k = {k}: {g} vs {expected}");
    }
}

#[test]
fn locals_named_like_temporaries_keep_their_gradients() {
    let x = 0.6_f64;
    let (_, g) = local_named_adj0_grad(x);
    assert!((g - (x.cos() * x + x.sin())).abs() < 1e-15);
    let (_, g) = local_named_result0_grad(x);
    assert!((g - (x.exp() * x.cos() - x.exp() * x.sin())).abs() < 1e-15);
    let (_, g) = local_named_bar_acc_grad(x);
    assert!((g - ((x * x).cos() * 2.0 * x + 1.0)).abs() < 1e-15);
    check_scalar(
        "local_named_adj0",
        &local_named_adj0,
        &local_named_adj0_jvp,
        &local_named_adj0_vjp,
        x,
        71,
    );
    check_scalar(
        "local_named_result0",
        &local_named_result0,
        &local_named_result0_jvp,
        &local_named_result0_vjp,
        x,
        71,
    );
    check_scalar(
        "local_named_bar_acc",
        &local_named_bar_acc,
        &local_named_bar_acc_jvp,
        &local_named_bar_acc_vjp,
        x,
        71,
    );
}

#[test]
fn wrt_finds_a_parameter_whose_companion_names_are_taken() {
    let (x, c) = (0.8_f64, 1.7);
    let (value, g) = locals_named_like_companions_grad(x, c);
    assert_eq!(value, locals_named_like_companions(x, c));
    // d/dx [sin(x c) x] = c cos(x c) x + sin(x c).
    let expected = c * (x * c).cos() * x + (x * c).sin();
    assert!((g - expected).abs() < 1e-15, "{g} vs {expected}");
}

#[test]
fn array_tuple_and_matrix_tails_after_a_local_named_result() {
    check(
        &Case {
            name: "vec_tail_after_result",
            inputs: 2,
            outputs: 3,
            f: &|x| vec_tail_after_result(x),
            jvp: &|x, d| vec_tail_after_result_jvp(x, d),
            vjp: &|x, w| {
                let mut b = vec![0.0; 2];
                let v = vec_tail_after_result_vjp(x, &mut b, w);
                (v, b)
            },
        },
        &[0.7, -1.3],
        72,
    );
    check(
        &Case {
            name: "tuple_tail_after_result",
            inputs: 2,
            outputs: 2,
            f: &|x| {
                let (a, b) = tuple_tail_after_result(x[0], x[1]);
                vec![a, b]
            },
            jvp: &|x, d| {
                let ((a, b), (ad, bd)) = tuple_tail_after_result_jvp(x[0], d[0], x[1], d[1]);
                (vec![a, b], vec![ad, bd])
            },
            vjp: &|x, w| {
                let (mut xb, mut yb) = (0.0, 0.0);
                let (a, b) =
                    tuple_tail_after_result_vjp(x[0], &mut xb, x[1], &mut yb, (w[0], w[1]));
                (vec![a, b], vec![xb, yb])
            },
        },
        &[0.7, -1.3],
        73,
    );
    let unpack = |x: &[f64]| {
        (
            DMatrix::from_column_slice(2, 2, &x[..4]),
            DVector::from_column_slice(&x[4..]),
        )
    };
    check(
        &Case {
            name: "matrix_tail_after_result",
            inputs: 6,
            outputs: 2,
            f: &|x| {
                let (w, v) = unpack(x);
                matrix_tail_after_result(&w, &v).as_slice().to_vec()
            },
            jvp: &|x, d| {
                let ((w, v), (wd, vd)) = (unpack(x), unpack(d));
                let (r, rd) = matrix_tail_after_result_jvp(&w, &wd, &v, &vd);
                (r.as_slice().to_vec(), rd.as_slice().to_vec())
            },
            vjp: &|x, y| {
                let (w, v) = unpack(x);
                let (mut wb, mut vb) = (DMatrix::zeros(2, 2), DVector::zeros(2));
                let seed = DVector::from_column_slice(y);
                let r = matrix_tail_after_result_vjp(&w, &mut wb, &v, &mut vb, &seed);
                let mut g = wb.as_slice().to_vec();
                g.extend_from_slice(vb.as_slice());
                (r.as_slice().to_vec(), g)
            },
        },
        &[0.7, -1.3, 0.2, 0.9, -0.4, 1.1],
        74,
    );
    let v = DVector::from_vec(vec![0.3, -0.5]);
    let (value, (gv, gs)) = parameter_named_result_bar_grad(&v, 1.5);
    assert_eq!(value, parameter_named_result_bar(&v, 1.5));
    // |s v|^2: gradient 2 s^2 v and 2 s |v|^2.
    assert!((gv[0] - 2.0 * 1.5 * 1.5 * 0.3).abs() < 1e-15);
    assert!((gs - 2.0 * 1.5 * (0.09 + 0.25)).abs() < 1e-15);
}

/// Lint attributes and doc comments in the body change no value: accepted, and the derivative
/// is the function's (other attributes are refused, see `tests/ui/cfg-in-body.rs`).
#[differentiable]
fn lint_attributes_in_body(x: f64) -> f64 {
    #[allow(unused_parens)]
    let y = (x * x);
    #[allow(clippy::let_and_return)]
    let z = y.sin();
    z
}

#[test]
fn lint_attributes_in_the_body_are_honoured() {
    let x = 0.9_f64;
    let (value, g) = lint_attributes_in_body_grad(x);
    assert_eq!(value, lint_attributes_in_body(x));
    assert!((g - (x * x).cos() * 2.0 * x).abs() < 1e-15);
    check_scalar(
        "lint_attributes_in_body",
        &lint_attributes_in_body,
        &lint_attributes_in_body_jvp,
        &lint_attributes_in_body_vjp,
        x,
        71,
    );
}

/// Functions written by a `macro_rules!`: the locals carry the macro's syntax context, the
/// parameter the caller's; a local named `result` inside changes nothing.
macro_rules! smooth_square {
    ($name:ident, $x:ident) => {
        #[differentiable]
        fn $name($x: f64) -> f64 {
            let result = $x * $x;
            let x_bar = result.sin();
            if $x > 0.0 {
                x_bar
            } else {
                result
            }
        }
    };
}

smooth_square!(from_macro, u);

#[test]
fn functions_written_by_macro_rules() {
    for u in [0.8_f64, -0.8] {
        let (value, g) = from_macro_grad(u);
        assert_eq!(value, from_macro(u));
        let expected = if u > 0.0 {
            (u * u).cos() * 2.0 * u
        } else {
            2.0 * u
        };
        assert!((g - expected).abs() < 1e-15, "{g} vs {expected}");
        check_scalar(
            "from_macro",
            &from_macro,
            &from_macro_jvp,
            &from_macro_vjp,
            u,
            71,
        );
    }
}

/// A type of the user's named `S`, like the companions' scalar type parameter, which is then
/// named otherwise (a type parameter is not a local: hygiene does not set it apart).
struct S;

impl S {
    const SCALE: f64 = 2.5;
}

#[differentiable]
fn uses_a_type_named_s(x: f64) -> f64 {
    let y = x * S::SCALE;
    y.sin()
}

#[test]
fn a_type_named_like_the_scalar_parameter() {
    let x = 0.3_f64;
    let (value, g) = uses_a_type_named_s_grad(x);
    assert_eq!(value, uses_a_type_named_s(x));
    assert!((g - 2.5 * (2.5 * x).cos()).abs() < 1e-15);
    check_scalar(
        "uses_a_type_named_s",
        &uses_a_type_named_s,
        &uses_a_type_named_s_jvp,
        &uses_a_type_named_s_vjp,
        x,
        71,
    );
}

/// Annotated structs named like the generated type parameters (`S` for the scalar, `T` for the
/// one of `Struct::map_reals`), one holding the other: the struct items' own type parameters
/// are named apart from every identifier of the item, as the companions' are.
mod structs_named_like_type_parameters {
    use tapeless::{differentiable, Struct};

    #[differentiable]
    #[derive(Clone, Debug)]
    pub struct S {
        pub a: f64,
        pub b: [f64; 2],
    }

    #[differentiable]
    #[derive(Clone, Debug)]
    pub struct T {
        pub s: S,
        pub c: f64,
    }

    impl S {
        /// A method on the struct named `S`.
        #[differentiable]
        pub fn scaled(&self, x: f64) -> f64 {
            self.a * x + self.b[0] * x * x
        }
    }

    #[differentiable]
    pub fn twice(x: f64, s: &S) -> f64 {
        2.0 * s.a * x.cos() + s.b[0]
    }

    #[differentiable]
    pub fn energy(x: f64, t: &T) -> f64 {
        t.s.a * x * x + t.s.b[1] * x.sin() + t.c * t.s.b[0]
    }

    pub fn t_from(v: &[f64]) -> T {
        let mut t = T {
            s: S {
                a: 0.0,
                b: [0.0; 2],
            },
            c: 0.0,
        };
        t.set_reals(v).expect("four reals");
        t
    }
}

#[test]
fn structs_named_like_the_type_parameters_three_ways() {
    use structs_named_like_type_parameters::{energy, energy_jvp, energy_vjp, t_from};
    use tapeless::Struct;
    let f = |x: &[f64]| vec![energy(x[4], &t_from(&x[..4]))];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = energy_jvp(x[4], d[4], &t_from(&x[..4]), &t_from(&d[..4]));
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let t = t_from(&x[..4]);
        let mut t_bar = t.zero_like();
        let mut x_bar = 0.0;
        let v = energy_vjp(x[4], &mut x_bar, &t, &mut t_bar, w[0]);
        let mut g = t_bar.to_reals();
        g.push(x_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "energy(x, t: &T) with structs named S and T",
        inputs: 5,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &[0.7, -0.4, 1.3, 0.9, 0.6], 73);
    // A function naming `S` in its signature, and a method of `S`, at the reals of `S` and `x`.
    use structs_named_like_type_parameters::{twice, twice_jvp, twice_vjp, S};
    let s_from = |v: &[f64]| S {
        a: v[0],
        b: [v[1], v[2]],
    };
    let reals = |s: &S| vec![s.a, s.b[0], s.b[1]];
    for (name, by_method) in [("twice(x, s: &S)", false), ("S::scaled(&self, x)", true)] {
        let f = |x: &[f64]| {
            let s = s_from(x);
            vec![if by_method {
                s.scaled(x[3])
            } else {
                twice(x[3], &s)
            }]
        };
        let jvp = |x: &[f64], d: &[f64]| {
            let (s, s_dot) = (s_from(x), s_from(d));
            let (v, t) = if by_method {
                S::scaled_jvp(&s, &s_dot, x[3], d[3])
            } else {
                twice_jvp(x[3], d[3], &s, &s_dot)
            };
            (vec![v], vec![t])
        };
        let vjp = |x: &[f64], w: &[f64]| {
            let s = s_from(x);
            let mut s_bar = s.zero_like();
            let mut x_bar = 0.0;
            let v = if by_method {
                S::scaled_vjp(&s, &mut s_bar, x[3], &mut x_bar, w[0])
            } else {
                twice_vjp(x[3], &mut x_bar, &s, &mut s_bar, w[0])
            };
            let mut g = reals(&s_bar);
            g.push(x_bar);
            (vec![v], g)
        };
        let case = Case {
            name,
            inputs: 4,
            outputs: 1,
            f: &f,
            jvp: &jvp,
            vjp: &vjp,
        };
        check(&case, &[0.7, -0.4, 1.3, 0.9], 79);
    }
}

/// The type `S` named only inside a macro of the body, which the companions keep.
#[differentiable]
fn names_s_in_a_macro(x: f64) -> f64 {
    debug_assert!(x.abs() < 1e6 * S::SCALE, "{}", S::SCALE);
    x * x.sin()
}

#[test]
fn a_type_named_like_the_scalar_inside_a_macro() {
    check_scalar(
        "names_s_in_a_macro",
        &names_s_in_a_macro,
        &names_s_in_a_macro_jvp,
        &names_s_in_a_macro_vjp,
        0.8,
        83,
    );
}
