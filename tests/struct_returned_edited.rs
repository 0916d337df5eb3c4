//! A struct local returned after edits of its fields: `let mut r = State { .. }; r.x = ..;
//! r.q[1] += ..; r` (a model state built in a few statements), in free functions, in a method
//! `fn step(&self, s: &State, h: f64) -> State`, from a `macro_rules!` expansion, and read by an
//! annotated caller. Every derivative is proved three ways (central finite differences, the
//! dot-product test, tangent against adjoint), the scalar caller's gradient also by Hessian-vector
//! products at dual numbers against differences of gradients and for symmetry; each function
//! equals to the bit the same function written with its fields in locals and the literal last.
//! Names are adversarial (a local `result`, `x_bar`, `__adj0`, a field `result`).

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual, Struct};

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    q: [f64; 2],
    result: f64,
}

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Model {
    a: f64,
}

/// The literal, then a real field rewritten and an element added to.
#[differentiable]
fn edited(s: &State, h: f64) -> State {
    let mut x_bar = State {
        x: s.x * h,
        q: [s.q[0], h * s.q[1]],
        result: s.result,
    };
    x_bar.x = x_bar.x.sin() + h;
    x_bar.q[1] += x_bar.x * s.q[0];
    x_bar.result *= x_bar.q[1];
    x_bar
}

/// `edited` with its fields in locals and the literal last.
#[differentiable]
fn edited_written(s: &State, h: f64) -> State {
    let x = s.x * h;
    let q0 = s.q[0];
    let mut q1 = h * s.q[1];
    let mut result = s.result;
    let x = x.sin() + h;
    q1 += x * s.q[0];
    result *= q1;
    State {
        x,
        q: [q0, q1],
        result,
    }
}

/// Zeros in the literal, the array filled by a loop, then the other fields from it.
#[differentiable]
fn built(a: f64, b: f64) -> State {
    let mut __adj0 = State {
        x: 0.0,
        q: [0.0; 2],
        result: a,
    };
    for i in 0..2 {
        __adj0.q[i] = a * (i as f64 + 1.0) + b * __adj0.result;
    }
    __adj0.x = __adj0.q[0] * __adj0.q[1];
    __adj0.result *= b;
    __adj0
}

/// `built` with its fields in locals and the literal last.
#[differentiable]
fn built_written(a: f64, b: f64) -> State {
    let mut q = [0.0; 2];
    for i in 0..2 {
        q[i] = a * (i as f64 + 1.0) + b * a;
    }
    let x = q[0] * q[1];
    let result = a * b;
    State { x, q, result }
}

impl Model {
    /// A method returning a new state built in a few statements.
    #[differentiable]
    fn step(&self, s: &State, h: f64) -> State {
        let mut r = State {
            x: s.x + h * self.a * s.q[0],
            q: [s.q[0], s.q[1]],
            result: s.result,
        };
        r.q[0] -= h * r.x;
        r.result += h * self.a * r.q[0] * r.q[1];
        r
    }

    /// `step` with its fields in locals and the literal last.
    #[differentiable]
    fn step_written(&self, s: &State, h: f64) -> State {
        let x = s.x + h * self.a * s.q[0];
        let mut q0 = s.q[0];
        let q1 = s.q[1];
        let mut result = s.result;
        q0 -= h * x;
        result += h * self.a * q0 * q1;
        State {
            x,
            q: [q0, q1],
            result,
        }
    }
}

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Inner {
    a: f64,
    w: [f64; 3],
}

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Outer {
    inner: Inner,
    t: f64,
}

/// A nested literal's array edited through a raw-named local, the array replaced whole.
#[differentiable]
fn nested(a: f64, b: f64) -> Outer {
    let mut r#type = Outer {
        inner: Inner {
            a: a * b,
            w: [a, b, a - b],
        },
        t: b,
    };
    r#type.inner.w[2] *= r#type.inner.a;
    r#type.t += r#type.inner.w[2].exp();
    r#type.inner.w = [r#type.t, r#type.inner.w[0], r#type.inner.w[2]];
    r#type
}

/// `nested` with its fields in locals and the literal last.
#[differentiable]
fn nested_written(a: f64, b: f64) -> Outer {
    let ia = a * b;
    let mut w2 = a - b;
    let mut t = b;
    w2 *= ia;
    t += w2.exp();
    Outer {
        inner: Inner {
            a: ia,
            w: [t, a, w2],
        },
        t,
    }
}

macro_rules! edits {
    ($name:ident, $r:ident) => {
        /// A function written by a macro returning its edited local.
        #[differentiable]
        fn $name(a: f64, b: f64) -> State {
            let mut $r = State {
                x: a * b,
                q: [a, b],
                result: b,
            };
            $r.q[0] *= $r.x;
            $r.x = $r.q[0] + $r.q[1].cos();
            $r
        }
    };
}

edits!(by_macro, result);
edits!(by_macro_r, r);

/// A caller reading the results of `built`, `by_macro` and `edited`.
#[differentiable]
fn cost(a: f64, b: f64) -> f64 {
    let s = built(a, b);
    let m = by_macro(b, a);
    let t = edited(&s, 0.1);
    t.x * s.q[1] + m.result.sin() * t.result + m.q[0]
}

/// `cost` reading the `_written` functions.
#[differentiable]
fn cost_written(a: f64, b: f64) -> f64 {
    let s = built_written(a, b);
    let m = by_macro_r(b, a);
    let t = edited_written(&s, 0.1);
    t.x * s.q[1] + m.result.sin() * t.result + m.q[0]
}

fn state_from(x: &[f64]) -> State {
    State {
        x: x[0],
        q: [x[1], x[2]],
        result: x[3],
    }
}

fn seed_from(w: &[f64]) -> State {
    state_from(w)
}

const X: [f64; 5] = [0.7, -0.4, 1.3, 0.9, 0.35];
const AB: [f64; 2] = [0.4, -0.7];

#[test]
fn a_state_edited_then_returned() {
    let f = |x: &[f64]| edited(&state_from(x), x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = edited_jvp(&state_from(x), &state_from(d), x[4], d[4]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let s = state_from(x);
        let (mut s_bar, mut h_bar) = (s.zero_like(), 0.0);
        let v = edited_vjp(&s, &mut s_bar, x[4], &mut h_bar, &seed_from(w));
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "edited(s, h) -> State: let mut x_bar = State { .. }; x_bar.x = ..; x_bar",
        inputs: 5,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &X, 71);
    let s = state_from(&X);
    let d = state_from(&[0.3, -0.2, 0.5, 0.8]);
    assert_eq!(edited(&s, X[4]), edited_written(&s, X[4]));
    assert_eq!(
        edited_jvp(&s, &d, X[4], 0.6),
        edited_written_jvp(&s, &d, X[4], 0.6)
    );
    let w = seed_from(&[1.0, -0.5, 0.25, 2.0]);
    let (mut b1, mut b2, mut h1, mut h2) = (s.zero_like(), s.zero_like(), 0.0, 0.0);
    let v1 = edited_vjp(&s, &mut b1, X[4], &mut h1, &w);
    let v2 = edited_written_vjp(&s, &mut b2, X[4], &mut h2, &w);
    assert_eq!((v1, b1, h1), (v2, b2, h2));
}

#[test]
fn a_state_filled_by_a_loop_then_returned() {
    let f = |x: &[f64]| built(x[0], x[1]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = built_jvp(x[0], d[0], x[1], d[1]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = built_vjp(x[0], &mut a, x[1], &mut b, &seed_from(w));
        (v.to_reals(), vec![a, b])
    };
    let case = Case {
        name: "built(a, b) -> State: q: [0.0; 2] filled by a loop",
        inputs: 2,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AB, 73);
    assert_eq!(built(AB[0], AB[1]), built_written(AB[0], AB[1]));
    assert_eq!(
        built_jvp(AB[0], 0.3, AB[1], 0.9),
        built_written_jvp(AB[0], 0.3, AB[1], 0.9)
    );
}

#[test]
fn a_method_returning_a_new_state_built_in_statements() {
    let f = |x: &[f64]| Model { a: x[5] }.step(&state_from(x), x[4]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (m, m_dot) = (Model { a: x[5] }, Model { a: d[5] });
        let (v, t) = m.step_jvp(&m_dot, &state_from(x), &state_from(d), x[4], d[4]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (m, s) = (Model { a: x[5] }, state_from(x));
        let (mut m_bar, mut s_bar, mut h_bar) = (m.zero_like(), s.zero_like(), 0.0);
        let v = m.step_vjp(&mut m_bar, &s, &mut s_bar, x[4], &mut h_bar, &seed_from(w));
        let mut g = s_bar.to_reals();
        g.push(h_bar);
        g.push(m_bar.a);
        (v.to_reals(), g)
    };
    let case = Case {
        name: "Model::step(&self, s, h) -> State: let mut r = State { .. }; r.q[0] -= ..; r",
        inputs: 6,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    let x = [0.7, -0.4, 1.3, 0.9, 0.35, 1.7];
    check(&case, &x, 79);
    let (m, s) = (Model { a: x[5] }, state_from(&x));
    assert_eq!(m.step(&s, x[4]), m.step_written(&s, x[4]));
    let (d, m_dot) = (state_from(&[0.3, -0.2, 0.5, 0.8]), Model { a: -0.4 });
    assert_eq!(
        m.step_jvp(&m_dot, &s, &d, x[4], 0.6),
        m.step_written_jvp(&m_dot, &s, &d, x[4], 0.6)
    );
}

#[test]
fn a_macro_rules_function_returning_its_edited_local_named_result() {
    let f = |x: &[f64]| by_macro(x[0], x[1]).to_reals();
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = by_macro_jvp(x[0], d[0], x[1], d[1]);
        (v.to_reals(), t.to_reals())
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = by_macro_vjp(x[0], &mut a, x[1], &mut b, &seed_from(w));
        (v.to_reals(), vec![a, b])
    };
    let case = Case {
        name: "by_macro(a, b) -> State: a local `result` edited and returned",
        inputs: 2,
        outputs: 4,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AB, 83);
    assert_eq!(by_macro(AB[0], AB[1]), by_macro_r(AB[0], AB[1]));
    assert_eq!(
        by_macro_jvp(AB[0], 0.3, AB[1], 0.9),
        by_macro_r_jvp(AB[0], 0.3, AB[1], 0.9)
    );
}

#[test]
fn a_caller_reading_edited_results() {
    let value = |x: &[f64]| vec![cost(x[0], x[1])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = cost_jvp(x[0], d[0], x[1], d[1]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = cost_vjp(x[0], &mut a, x[1], &mut b, w[0]);
        (vec![v], vec![a, b])
    };
    let case = Case {
        name: "cost(a, b): built, by_macro and edited read",
        inputs: 2,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &AB, 89);
    assert_eq!(cost(AB[0], AB[1]), cost_written(AB[0], AB[1]));
    assert_eq!(cost_grad(AB[0], AB[1]), cost_written_grad(AB[0], AB[1]));
    let mut draws = Draws::new(97);
    let (u, w) = (draws.vec(2), draws.vec(2));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let (_, (a, b)) = cost_grad(Dual::new(AB[0], [dir[0]]), Dual::new(AB[1], [dir[1]]));
        vec![a.tangents[0], b.tangents[0]]
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (a, b)) = cost_grad(x[0], x[1]);
        g.copy_from_slice(&[a, b]);
    };
    let report = check_hvp(gradient, &AB, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    common::assert_hvp(&report, "cost(a, b)");
}

#[test]
fn a_nested_literal_edited_through_a_raw_name() {
    let reals = |o: Outer| vec![o.inner.a, o.inner.w[0], o.inner.w[1], o.inner.w[2], o.t];
    let f = |x: &[f64]| reals(nested(x[0], x[1]));
    let jvp = |x: &[f64], d: &[f64]| {
        let (v, t) = nested_jvp(x[0], d[0], x[1], d[1]);
        (reals(v), reals(t))
    };
    let vjp = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let seed = Outer {
            inner: Inner {
                a: w[0],
                w: [w[1], w[2], w[3]],
            },
            t: w[4],
        };
        let v = nested_vjp(x[0], &mut a, x[1], &mut b, &seed);
        (reals(v), vec![a, b])
    };
    let case = Case {
        name: "nested(a, b) -> Outer: r#type.inner.w[2] *= ..; r#type.inner.w = [..]; r#type",
        inputs: 2,
        outputs: 5,
        f: &f,
        jvp: &jvp,
        vjp: &vjp,
    };
    check(&case, &AB, 101);
    assert_eq!(nested(AB[0], AB[1]), nested_written(AB[0], AB[1]));
    assert_eq!(
        nested_jvp(AB[0], 0.3, AB[1], 0.9),
        nested_written_jvp(AB[0], 0.3, AB[1], 0.9)
    );
}
