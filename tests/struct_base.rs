//! `..base` in struct literals: `State { x: a, ..s0 }` with `s0` a struct local,
//! `State { x: a, ..*s }` with `s` a struct parameter, `s = State { x: b, ..s }`, nested
//! literals with their own base, and a `macro_rules!` caller. Every derivative is proved three
//! ways (central finite differences, the dot-product test, tangent against adjoint), the
//! gradients' Hessian-vector products at dual numbers against differences of gradients and for
//! symmetry, and each function equals to the bit the same function with the fields written out.
//! Names are adversarial (`result`, `x_bar`, `__adj0`, a raw `r#move`).

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Real, Struct};

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    v: f64,
    result: f64,
}

#[differentiable]
#[derive(Clone, Debug, PartialEq)]
struct Pair {
    inner: State,
    w: [f64; 2],
}

/// Bases that are struct locals: a `let` from one, an assignment from itself.
#[differentiable]
fn relaxed(a: f64, b: f64) -> f64 {
    let s0 = State {
        x: a,
        v: 2.0 * b,
        result: a * b,
    };
    let t = State {
        x: 3.0 * s0.x.sin(),
        ..s0
    };
    let mut x_bar = State { v: t.x * t.v, ..t };
    x_bar = State {
        result: x_bar.result * x_bar.x,
        ..x_bar
    };
    x_bar.x * x_bar.v + x_bar.result + s0.v
}

/// `relaxed` with every field written: the named fields first, then the base's, as Rust
/// evaluates a literal with `..base`.
#[differentiable]
fn relaxed_written(a: f64, b: f64) -> f64 {
    let s0 = State {
        x: a,
        v: 2.0 * b,
        result: a * b,
    };
    let t = State {
        x: 3.0 * s0.x.sin(),
        v: s0.v,
        result: s0.result,
    };
    let mut x_bar = State {
        v: t.x * t.v,
        x: t.x,
        result: t.result,
    };
    x_bar = State {
        result: x_bar.result * x_bar.x,
        x: x_bar.x,
        v: x_bar.v,
    };
    x_bar.x * x_bar.v + x_bar.result + s0.v
}

/// Bases that are a struct parameter (`..*s`), and a local built from it.
#[differentiable]
fn kicked(s: &State, h: f64) -> f64 {
    let result = State {
        x: s.x + h * s.v,
        ..*s
    };
    let mut r#move = State {
        v: result.v - h * result.x * result.x,
        ..result
    };
    for _ in 0..3 {
        r#move = State {
            x: r#move.x + h * r#move.v,
            ..r#move
        };
    }
    r#move.x * r#move.v + result.result.cos() * s.result
}

/// `kicked` with every field written: the named fields first, then the base's, as Rust
/// evaluates a literal with `..base`.
#[differentiable]
fn kicked_written(s: &State, h: f64) -> f64 {
    let result = State {
        x: s.x + h * s.v,
        v: s.v,
        result: s.result,
    };
    let mut r#move = State {
        v: result.v - h * result.x * result.x,
        x: result.x,
        result: result.result,
    };
    for _ in 0..3 {
        r#move = State {
            x: r#move.x + h * r#move.v,
            v: r#move.v,
            result: r#move.result,
        };
    }
    r#move.x * r#move.v + result.result.cos() * s.result
}

/// A nested literal with its own base (a parameter's nested struct), a local read through a
/// later local's base, and an outer base that is a parameter.
#[differentiable]
fn nested(p: &Pair, c: f64) -> f64 {
    let __adj0 = Pair {
        inner: State {
            x: c * p.inner.x,
            ..p.inner
        },
        w: [p.w[0], p.w[1] * c],
    };
    let q = Pair {
        w: [__adj0.w[1], __adj0.inner.v * c],
        ..__adj0
    };
    let b = Pair {
        w: [c, c * c],
        ..*p
    };
    q.inner.x * q.w[0] + q.inner.v * q.w[1] + q.inner.result.exp() + b.inner.v * b.w[1]
}

/// `nested` with every field written.
#[differentiable]
fn nested_written(p: &Pair, c: f64) -> f64 {
    let __adj0 = Pair {
        inner: State {
            x: c * p.inner.x,
            v: p.inner.v,
            result: p.inner.result,
        },
        w: [p.w[0], p.w[1] * c],
    };
    let q = Pair {
        inner: State {
            x: __adj0.inner.x,
            v: __adj0.inner.v,
            result: __adj0.inner.result,
        },
        w: [__adj0.w[1], __adj0.inner.v * c],
    };
    let b = Pair {
        inner: State {
            x: p.inner.x,
            v: p.inner.v,
            result: p.inner.result,
        },
        w: [c, c * c],
    };
    q.inner.x * q.w[0] + q.inner.v * q.w[1] + q.inner.result.exp() + b.inner.v * b.w[1]
}

macro_rules! based {
    ($name:ident, $field:ident) => {
        /// A caller written by a macro: the base and the field are the macro's tokens.
        #[differentiable]
        fn $name(s: &State, h: f64) -> f64 {
            let t = State {
                $field: s.$field * h,
                ..*s
            };
            let u = State { x: t.v * t.x, ..t };
            u.x * u.$field + u.result * h
        }
    };
}

based!(by_macro, v);

fn state<S: Real>(v: &[S]) -> State<S> {
    State {
        x: v[0],
        v: v[1],
        result: v[2],
    }
}

/// The gradient `(s_bar, h_bar)` of a `(State, h)` function, flat.
fn flat<S: Real>((s_bar, h_bar): (State<S>, S)) -> Vec<S> {
    let mut g = s_bar.to_reals();
    g.push(h_bar);
    g
}

fn pair(v: &[f64]) -> Pair {
    Pair {
        inner: state(v),
        w: [v[3], v[4]],
    }
}

const AB: [f64; 2] = [0.4, -0.7];
const SH: [f64; 4] = [0.3, 1.2, -0.5, 0.1];
const PC: [f64; 6] = [0.3, 1.2, -0.5, 0.8, -0.2, 1.4];

/// A gradient at dual numbers, of flat inputs.
type DualGradient = dyn Fn(&[Dual<f64, 1>]) -> Vec<Dual<f64, 1>>;

/// The Hessian-vector products of a gradient at dual numbers, against differences of
/// gradients and for symmetry.
fn hvp_check(x: &[f64], grad: &dyn Fn(&[f64]) -> Vec<f64>, grad_dual: &DualGradient, seed: u64) {
    let mut draws = Draws::new(seed);
    let (u, w) = (draws.vec(x.len()), draws.vec(x.len()));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = (0..x.len()).map(|k| Dual::new(x[k], [dir[k]])).collect();
        grad_dual(&d).iter().map(|g| g.tangents[0]).collect()
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| g.copy_from_slice(&grad(x));
    let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

#[test]
fn bases_that_are_struct_locals() {
    let f = |x: &[f64]| vec![relaxed(x[0], x[1])];
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = relaxed_jvp(x[0], d[0], x[1], d[1]);
        (vec![v], vec![t])
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = relaxed_vjp(x[0], &mut a, x[1], &mut b, w[0]);
        (vec![v], vec![a, b])
    };
    let case = Case {
        name: "relaxed(a, b): State { x: .., ..s0 }",
        inputs: 2,
        outputs: 1,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AB, 41);
    // The same program with the fields written out, to the bit.
    assert_eq!(relaxed(AB[0], AB[1]), relaxed_written(AB[0], AB[1]));
    assert_eq!(
        relaxed_grad(AB[0], AB[1]),
        relaxed_written_grad(AB[0], AB[1])
    );
    assert_eq!(
        relaxed_jvp(AB[0], 0.3, AB[1], -1.1),
        relaxed_written_jvp(AB[0], 0.3, AB[1], -1.1)
    );
    let grad = |x: &[f64]| {
        let (_, (a, b)) = relaxed_grad(x[0], x[1]);
        vec![a, b]
    };
    let grad_dual = |x: &[Dual<f64, 1>]| {
        let (_, (a, b)) = relaxed_grad(x[0], x[1]);
        vec![a, b]
    };
    hvp_check(&AB, &grad, &grad_dual, 42);
}

fn kicked_case(
    name: &'static str,
    f: fn(&State, f64) -> f64,
    jvp: fn(&State, &State, f64, f64) -> (f64, f64),
    vjp: fn(&State, &mut State, f64, &mut f64, f64) -> f64,
    seed: u64,
) {
    let value = |x: &[f64]| vec![f(&state(x), x[3])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(&state(x), &state(d), x[3], d[3]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let s = state(x);
        let (mut s_bar, mut h_bar) = (s.zero_like(), 0.0);
        let v = vjp(&s, &mut s_bar, x[3], &mut h_bar, w[0]);
        (vec![v], flat((s_bar, h_bar)))
    };
    let case = Case {
        name,
        inputs: 4,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &SH, seed);
}

#[test]
fn bases_that_are_struct_parameters() {
    kicked_case(
        "kicked(s, h): State { x: .., ..*s }",
        kicked,
        kicked_jvp,
        kicked_vjp,
        43,
    );
    let s = state(&SH);
    assert_eq!(kicked(&s, SH[3]), kicked_written(&s, SH[3]));
    assert_eq!(kicked_grad(&s, SH[3]), kicked_written_grad(&s, SH[3]));
    let grad = |x: &[f64]| flat(kicked_grad(&state(x), x[3]).1);
    let grad_dual = |x: &[Dual<f64, 1>]| flat(kicked_grad(&state(x), x[3]).1);
    hvp_check(&SH, &grad, &grad_dual, 44);
}

#[test]
fn a_macro_rules_caller_with_a_base() {
    kicked_case(
        "by_macro(s, h): State { v: .., ..*s }",
        by_macro,
        by_macro_jvp,
        by_macro_vjp,
        45,
    );
    let grad = |x: &[f64]| flat(by_macro_grad(&state(x), x[3]).1);
    let grad_dual = |x: &[Dual<f64, 1>]| flat(by_macro_grad(&state(x), x[3]).1);
    hvp_check(&SH, &grad, &grad_dual, 46);
}

#[test]
fn nested_literals_with_their_own_bases() {
    let value = |x: &[f64]| vec![nested(&pair(x), x[5])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = nested_jvp(&pair(x), &pair(d), x[5], d[5]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let p = pair(x);
        let (mut p_bar, mut c_bar) = (p.zero_like(), 0.0);
        let v = nested_vjp(&p, &mut p_bar, x[5], &mut c_bar, w[0]);
        let mut g = p_bar.to_reals();
        g.push(c_bar);
        (vec![v], g)
    };
    let case = Case {
        name: "nested(p, c): Pair { inner: State { x: .., ..p.inner }, ..*p }",
        inputs: 6,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &PC, 47);
    let p = pair(&PC);
    assert_eq!(nested(&p, PC[5]), nested_written(&p, PC[5]));
    assert_eq!(nested_grad(&p, PC[5]), nested_written_grad(&p, PC[5]));
    let grad = |x: &[f64]| {
        let (_, (p_bar, c_bar)) = nested_grad(&pair(x), x[5]);
        let mut g = p_bar.to_reals();
        g.push(c_bar);
        g
    };
    let grad_dual = |x: &[Dual<f64, 1>]| {
        let p = Pair {
            inner: State {
                x: x[0],
                v: x[1],
                result: x[2],
            },
            w: [x[3], x[4]],
        };
        let (_, (p_bar, c_bar)) = nested_grad(&p, x[5]);
        let mut g = p_bar.to_reals();
        g.push(c_bar);
        g
    };
    hvp_check(&PC, &grad, &grad_dual, 48);
}
