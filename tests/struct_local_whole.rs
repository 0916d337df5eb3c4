//! A struct local passed whole to an annotated function (`energy(&s)`), copied (`let t = s;`,
//! `s.clone()`) and assigned whole. Every derivative is proved three ways (central finite
//! differences, the dot-product test, tangent against adjoint), the gradients' Hessian-vector
//! products at dual numbers against differences of gradients and for symmetry, and each
//! function equals to the bit the same function written with the fields. Names are
//! adversarial (`result`, `x_bar`, `__adj0`).

mod common;

use common::{check, Case, Draws};
use tapeless::check::check_hvp;
use tapeless::{differentiable, Dual};

#[differentiable]
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    x: f64,
    v: f64,
    result: f64,
}

#[differentiable]
fn energy(s: &State) -> f64 {
    0.5 * s.v * s.v + s.x.cos() * s.result
}

/// `energy` written with the fields as reals.
#[differentiable]
fn energy_of(x: f64, v: f64, result: f64) -> f64 {
    0.5 * v * v + x.cos() * result
}

/// A literal passed whole by reference, and its fields read.
#[differentiable]
fn passed(a: f64, b: f64) -> f64 {
    let x_bar = State {
        x: a,
        v: 2.0 * b,
        result: a * b,
    };
    energy(&x_bar) + x_bar.x * energy(&x_bar)
}

/// `passed` with the fields passed as reals.
#[differentiable]
fn passed_written(a: f64, b: f64) -> f64 {
    let (x, v, result) = (a, 2.0 * b, a * b);
    energy_of(x, v, result) + x * energy_of(x, v, result)
}

/// Copies of a struct local: `let t = s;`, `.clone()`, an assignment, and writes after them.
#[allow(clippy::clone_on_copy)] // `.clone()` of a struct local is one of the forms tested
#[differentiable]
fn copied(a: f64, b: f64) -> f64 {
    let s = State {
        x: a,
        v: b * b,
        result: a.sin(),
    };
    let mut __adj0 = s;
    __adj0.x *= s.v;
    let result = __adj0.clone();
    __adj0.v += result.x;
    let mut u = State {
        x: 1.0,
        v: 2.0,
        result: 3.0,
    };
    let first = u.x * u.v;
    u = result;
    u.result *= b;
    u.x * __adj0.v + s.x + result.v * u.result + first
}

/// `copied` with a local per field.
#[differentiable]
fn copied_written(a: f64, b: f64) -> f64 {
    let (s_x, s_v, s_result) = (a, b * b, a.sin());
    let (mut t_x, mut t_v, t_result) = (s_x, s_v, s_result);
    t_x *= s_v;
    let (r_x, r_v, r_result) = (t_x, t_v, t_result);
    t_v += r_x;
    let (u_x, u_v, mut u_result) = (r_x, r_v, r_result);
    let first = 1.0 * 2.0;
    u_result *= b;
    let _ = (u_v, t_x, t_result);
    u_x * t_v + s_x + r_v * u_result + first
}

/// A copy passed whole, the original's fields read.
#[differentiable]
fn copied_passed(a: f64, b: f64) -> f64 {
    let s = State {
        x: a,
        v: b,
        result: a * b,
    };
    let t = s;
    let u = t;
    energy(&u) * s.x + energy(&t)
}

/// `copied_passed` with the fields passed as reals.
#[differentiable]
fn copied_passed_written(a: f64, b: f64) -> f64 {
    let (x, v, result) = (a, b, a * b);
    energy_of(x, v, result) * x + energy_of(x, v, result)
}

/// A struct local returned whole, through a copy.
#[differentiable]
fn made(a: f64, b: f64) -> State {
    let s = State {
        x: a * b,
        v: a.sin(),
        result: b,
    };
    let x_bar = s;
    x_bar
}

/// `made` with its literal last.
#[differentiable]
fn made_written(a: f64, b: f64) -> State {
    State {
        x: a * b,
        v: a.sin(),
        result: b,
    }
}

/// A caller of `made` holding its result, passing it on whole.
#[differentiable]
fn made_energy(a: f64, b: f64) -> f64 {
    let m = made(a, b);
    m.x * m.v + energy(&m)
}

macro_rules! passes {
    ($name:ident, $callee:ident) => {
        /// A caller written by a macro passing its literal whole.
        #[differentiable]
        fn $name(a: f64, b: f64) -> f64 {
            let s = State {
                x: a * b,
                v: a,
                result: b,
            };
            $callee(&s) * s.v
        }
    };
}

passes!(by_macro, energy);

const AB: [f64; 2] = [0.4, -0.7];

type Scalar = fn(f64, f64) -> f64;
type Jvp = fn(f64, f64, f64, f64) -> (f64, f64);
type Vjp = fn(f64, &mut f64, f64, &mut f64, f64) -> f64;
type Grad = fn(f64, f64) -> (f64, (f64, f64));
type GradDual = fn(Dual<f64, 1>, Dual<f64, 1>) -> (Dual<f64, 1>, (Dual<f64, 1>, Dual<f64, 1>));

/// The three checks, and the gradient's Hessian-vector products at dual numbers.
fn three_checks(name: &str, f: Scalar, jvp: Jvp, vjp: Vjp, grad: Grad, dual: GradDual, seed: u64) {
    let value = |x: &[f64]| vec![f(x[0], x[1])];
    let tangent = |x: &[f64], d: &[f64]| {
        let (v, t) = jvp(x[0], d[0], x[1], d[1]);
        (vec![v], vec![t])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let v = vjp(x[0], &mut a, x[1], &mut b, w[0]);
        (vec![v], vec![a, b])
    };
    let case = Case {
        name,
        inputs: 2,
        outputs: 1,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &AB, seed);
    let mut draws = Draws::new(seed + 1);
    let (u, w) = (draws.vec(2), draws.vec(2));
    let hvp = |dir: &[f64]| -> Vec<f64> {
        let (_, (a, b)) = dual(Dual::new(AB[0], [dir[0]]), Dual::new(AB[1], [dir[1]]));
        vec![a.tangents[0], b.tangents[0]]
    };
    let (hu, hw) = (hvp(&u), hvp(&w));
    let gradient = |x: &[f64], g: &mut [f64]| {
        let (_, (a, b)) = grad(x[0], x[1]);
        g.copy_from_slice(&[a, b]);
    };
    let report = check_hvp(gradient, &AB, &u, &hu, &w, &hw, 1e-6).expect("lengths fit");
    assert!(
        report.passes(1e-6, 1e-12),
        "{name}: H u against differences of gradients: {:e}; symmetry: {:e}",
        report.finite_difference.relative_error,
        report.symmetry.relative_error
    );
}

#[test]
fn a_struct_local_passed_whole() {
    three_checks(
        "passed(a, b): energy(&s)",
        passed,
        passed_jvp,
        passed_vjp,
        passed_grad,
        passed_grad,
        51,
    );
    assert_eq!(passed(AB[0], AB[1]), passed_written(AB[0], AB[1]));
    assert_eq!(passed_grad(AB[0], AB[1]), passed_written_grad(AB[0], AB[1]));
}

#[test]
fn a_struct_local_copied_and_assigned_whole() {
    three_checks(
        "copied(a, b): let t = s; s.clone(); u = t;",
        copied,
        copied_jvp,
        copied_vjp,
        copied_grad,
        copied_grad,
        53,
    );
    assert_eq!(copied(AB[0], AB[1]), copied_written(AB[0], AB[1]));
    assert_eq!(copied_grad(AB[0], AB[1]), copied_written_grad(AB[0], AB[1]));
}

#[test]
fn a_struct_local_copied_then_passed_whole() {
    three_checks(
        "copied_passed(a, b): let t = s; energy(&t)",
        copied_passed,
        copied_passed_jvp,
        copied_passed_vjp,
        copied_passed_grad,
        copied_passed_grad,
        57,
    );
    assert_eq!(
        copied_passed(AB[0], AB[1]),
        copied_passed_written(AB[0], AB[1])
    );
    assert_eq!(
        copied_passed_grad(AB[0], AB[1]),
        copied_passed_written_grad(AB[0], AB[1])
    );
}

#[test]
fn a_struct_local_returned_whole() {
    let value = |x: &[f64]| {
        let s = made(x[0], x[1]);
        vec![s.x, s.v, s.result]
    };
    let tangent = |x: &[f64], d: &[f64]| {
        let (s, t) = made_jvp(x[0], d[0], x[1], d[1]);
        (vec![s.x, s.v, s.result], vec![t.x, t.v, t.result])
    };
    let adjoint = |x: &[f64], w: &[f64]| {
        let (mut a, mut b) = (0.0, 0.0);
        let w = State {
            x: w[0],
            v: w[1],
            result: w[2],
        };
        let s = made_vjp(x[0], &mut a, x[1], &mut b, &w);
        (vec![s.x, s.v, s.result], vec![a, b])
    };
    let case = Case {
        name: "made(a, b) -> State: let s = State { .. }; s",
        inputs: 2,
        outputs: 3,
        f: &value,
        jvp: &tangent,
        vjp: &adjoint,
    };
    check(&case, &AB, 59);
    assert_eq!(made(AB[0], AB[1]), made_written(AB[0], AB[1]));
    assert_eq!(
        made_jvp(AB[0], 0.3, AB[1], 0.9),
        made_written_jvp(AB[0], 0.3, AB[1], 0.9)
    );
    three_checks(
        "made_energy(a, b): let m = made(a, b); energy(&m)",
        made_energy,
        made_energy_jvp,
        made_energy_vjp,
        made_energy_grad,
        made_energy_grad,
        61,
    );
}

#[test]
fn a_macro_rules_caller_passing_a_struct_local_whole() {
    three_checks(
        "by_macro(a, b): energy(&s)",
        by_macro,
        by_macro_jvp,
        by_macro_vjp,
        by_macro_grad,
        by_macro_grad,
        55,
    );
}
