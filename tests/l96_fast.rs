//! Problem L written for speed (`problems/src/l96_fast.rs`): the fast hand-written J and
//! discrete adjoint, and the speed-style code through `#[differentiable]`, against the
//! user-style generated ones of `problems/src/l96.rs`, finite differences, the dot-product test
//! with the tangent, and the Hessian-vector product's symmetry.

use tapeless::Dual;
use tapeless_problems::{l96, l96_fast};

mod common;

use common::{assert_close, Draws};
use l96::{data, N};
use l96_fast::State;

fn state(v: &[f64]) -> State {
    v.try_into().unwrap()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The largest component difference relative to the largest component.
fn relative(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    a.iter()
        .zip(b)
        .fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
        / scale
}

/// The generated gradient of the user-style loop, away from the background (a nonzero
/// background gradient).
fn point() -> (l96::Data, Vec<f64>) {
    let d = data();
    let v = Draws::new(11).vec(N);
    let x: Vec<f64> = d.xb.iter().zip(&v).map(|(a, b)| a + 0.1 * b).collect();
    (d, x)
}

#[test]
fn fast_hand_written_adjoint_equals_the_generated_gradient() {
    let (d, x) = point();
    let mut generated = vec![0.0; N];
    let j = l96::cost_vjp(&x, &mut generated, &d.obs, &d.xb, 1.0);
    let (x0, xb) = (state(&x), state(&d.xb));
    let j_fast = l96_fast::cost_by_hand(&x0, &d.obs, &xb);
    let mut grad = [0.0; N];
    let mut states = Vec::new();
    let j_adjoint = l96_fast::cost_and_gradient(&x0, &d.obs, &xb, &mut grad, &mut states);
    assert_eq!(
        j_adjoint, j_fast,
        "the adjoint's J is the primal's, to the bit"
    );
    assert_close(j_fast, j, 1e-13, "J, fast against generated");
    let r = relative(&grad, &generated);
    assert!(r < 1e-13, "gradient, fast against generated: {r:e}");
    // The workspace reused: the same bits.
    let mut again = [0.0; N];
    l96_fast::cost_and_gradient(&x0, &d.obs, &xb, &mut again, &mut states);
    assert_eq!(again, grad);
}

#[test]
fn fast_right_hand_side_adjoint_is_the_transpose_of_its_tangent() {
    // <r, J x_dot> = <J^T r, x_dot>, J x_dot by central differences of the quadratic rhs, exact
    // for any step up to rounding: a unit step keeps the rounding at the level of the values.
    let mut draws = Draws::new(3);
    let x = state(&draws.vec(N));
    let (x_dot, r) = (state(&draws.vec(N)), state(&draws.vec(N)));
    let e = 1.0;
    let plus = l96_fast::rhs(&std::array::from_fn(|i| x[i] + e * x_dot[i]));
    let minus = l96_fast::rhs(&std::array::from_fn(|i| x[i] - e * x_dot[i]));
    let jx: Vec<f64> = (0..N).map(|i| (plus[i] - minus[i]) / (2.0 * e)).collect();
    let jt_r = l96_fast::rhs_adjoint(&x, &r);
    assert_close(dot(&r, &jx), dot(&jt_r, &x_dot), 1e-12, "dot-product test");
    // And against the user-style rhs (with `%`), component by component.
    let mut du = vec![0.0; N];
    l96::lorenz96(&mut du, &x, &[l96::FORCING], 0.0);
    assert_eq!(du, l96_fast::rhs(&x).to_vec());
}

#[test]
fn speed_style_code_through_the_macro_agrees_with_the_reference() {
    let (d, x) = point();
    let (x0, xb) = (state(&x), state(&d.xb));
    let j_fast = l96_fast::cost_by_hand(&x0, &d.obs, &xb);
    let j = l96_fast::cost(x0, &d.obs, &d.xb);
    assert_eq!(j, j_fast, "the same operations: the same bits");
    let mut grad = [0.0; N];
    l96_fast::cost_and_gradient(&x0, &d.obs, &xb, &mut grad, &mut Vec::new());
    let mut generated = [0.0; N];
    let j_vjp = l96_fast::cost_vjp(x0, &mut generated, &d.obs, &d.xb, 1.0);
    assert_eq!(j_vjp, j);
    let r = relative(&generated, &grad);
    assert!(
        r < 1e-13,
        "gradient, macro against fast hand-written: {r:e}"
    );
    // Tangent against adjoint, and central differences.
    let v = state(&Draws::new(5).vec(N));
    let (j_jvp, jv) = l96_fast::cost_jvp(x0, v, &d.obs, &d.xb);
    assert_eq!(j_jvp, j);
    assert_close(jv, dot(&generated, &v), 1e-12, "<grad J, v> against J' v");
    let h = 1e-6;
    let plus = l96_fast::cost(std::array::from_fn(|i| x0[i] + h * v[i]), &d.obs, &d.xb);
    let minus = l96_fast::cost(std::array::from_fn(|i| x0[i] - h * v[i]), &d.obs, &d.xb);
    assert_close(
        jv,
        (plus - minus) / (2.0 * h),
        1e-6,
        "J' v against differences",
    );
}

/// H v by the speed-style adjoint at dual numbers.
fn hvp(x0: &State, v: &State, d: &l96::Data) -> State {
    let xd: [Dual<f64, 1>; N] = std::array::from_fn(|i| Dual::new(x0[i], [v[i]]));
    let mut bar = [Dual::constant(0.0); N];
    l96_fast::cost_vjp(xd, &mut bar, &d.obs, &d.xb, Dual::constant(1.0));
    std::array::from_fn(|i| bar[i].tangents[0])
}

#[test]
fn speed_style_hessian_vector_products_are_symmetric_and_match_gradient_differences() {
    let (d, x) = point();
    let x0 = state(&x);
    let mut draws = Draws::new(9);
    let (v, w) = (state(&draws.vec(N)), state(&draws.vec(N)));
    let (hv, hw) = (hvp(&x0, &v, &d), hvp(&x0, &w, &d));
    assert_close(
        dot(&w, &hv),
        dot(&v, &hw),
        1e-12,
        "<w, H v> against <v, H w>",
    );
    let e = 1e-6;
    let grad_at = |s: f64| {
        let mut g = [0.0; N];
        let y: State = std::array::from_fn(|i| x0[i] + s * v[i]);
        l96_fast::cost_vjp(y, &mut g, &d.obs, &d.xb, 1.0);
        g
    };
    let (gp, gm) = (grad_at(e), grad_at(-e));
    let fd: Vec<f64> = (0..N).map(|i| (gp[i] - gm[i]) / (2.0 * e)).collect();
    let r = relative(&hv, &fd);
    assert!(r < 1e-6, "H v against differences of gradients: {r:e}");
}
