//! Custom derivative rules (`#[differentiable(custom(jvp = .., vjp = ..))]`): a table lookup
//! with linear interpolation and a scalar root found by Newton's method (its adjoint by the
//! implicit-function theorem), each checked three ways (central differences, the dot-product
//! test, tangent against adjoint) alone and through annotated callers, with Hessian-vector
//! products at dual numbers; and a wrong rule caught by `tapeless::check`, as users check theirs.

mod common;

use common::{check, check_scalar, Case, Draws};
use tapeless::check::{check_hvp, check_jvp, check_vjp};
use tapeless::{differentiable, Dual, Real};

// ---- A table lookup with linear interpolation -------------------------------------------------

const XS: [f64; 6] = [-2.0, -1.0, 0.0, 0.5, 1.5, 3.0];
const YS: [f64; 6] = [4.0, 1.5, 0.0, 0.3, 2.0, 1.0];

/// The interval of `x` (clamped to the table) and the slope there.
fn segment(x: f64) -> (usize, f64) {
    let k = XS[1..XS.len() - 1].iter().take_while(|&&b| b <= x).count();
    (k, (YS[k + 1] - YS[k]) / (XS[k + 1] - XS[k]))
}

/// The table at `x`: what a user has, plain Rust the macro does not read.
#[differentiable(custom(jvp = lookup_tangent, vjp = lookup_adjoint))]
fn lookup(x: f64) -> f64 {
    let (k, slope) = segment(x);
    YS[k] + slope * (x - XS[k])
}

/// The value at any scalar and the slope, for the rules.
fn lookup_at<S: Real>(x: S) -> (S, S) {
    let (k, slope) = segment(x.to_f64());
    let slope = S::from_f64(slope);
    (S::from_f64(YS[k]) + slope * (x - S::from_f64(XS[k])), slope)
}

fn lookup_tangent<S: Real>(x: S, x_dot: S) -> (S, S) {
    let (value, slope) = lookup_at(x);
    (value, slope * x_dot)
}

fn lookup_adjoint<S: Real>(x: S, x_bar: &mut S, result_bar: S) -> S {
    let (value, slope) = lookup_at(x);
    *x_bar += slope * result_bar;
    value
}

/// Annotated code calls the table as any differentiable function.
#[differentiable]
fn weighted_table(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        let t = lookup(u[i]);
        s += t * u[i] * u[i];
    }
    s
}

#[test]
fn the_table_rules_pass_three_checks() {
    // Points inside segments (the derivative jumps at the knots).
    for (k, &x) in [-1.7, -0.4, 0.2, 0.9, 2.2, 3.4].iter().enumerate() {
        check_scalar(
            "lookup",
            &lookup,
            &|x, d| lookup_jvp(x, d),
            &|x, b, w| lookup_vjp(x, b, w),
            x,
            k as u64,
        );
    }
    let (value, slope) = lookup_grad(0.9);
    assert_eq!((value, slope), (lookup(0.9), (2.0 - 0.3) / (1.5 - 0.5)));
}

#[test]
fn an_annotated_caller_differentiates_through_the_table() {
    let u = [-1.7, -0.4, 0.2, 0.9, 2.2];
    let case = Case {
        name: "weighted_table",
        inputs: 5,
        outputs: 1,
        f: &|u| vec![weighted_table(u)],
        jvp: &|u, d| {
            let (v, t) = weighted_table_jvp(u, d);
            (vec![v], vec![t])
        },
        vjp: &|u, w| {
            let mut b = vec![0.0; u.len()];
            let v = weighted_table_vjp(u, &mut b, w[0]);
            (vec![v], b)
        },
    };
    check(&case, &u, 11);
    let gradient = |u: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        weighted_table_vjp(u, g, 1.0);
    };
    check_hessian_vector_products(&u, gradient, |x, g| {
        weighted_table_vjp(x, g, Dual::constant(1.0));
    });
}

// ---- A scalar root by Newton's method, with an implicit-function-theorem adjoint -----------

/// The real root `y` of `g(y, p) = y^3 + p0 y - p1` (one root for `p0 > 0`), by Newton's
/// method in plain Rust: a `while` loop with a tolerance.
#[differentiable(custom(jvp = root_tangent, vjp = root_adjoint))]
fn root(p: &[f64]) -> f64 {
    let mut y = p[1] / (1.0 + p[0]);
    let mut steps = 0;
    loop {
        let g = y * y * y + p[0] * y - p[1];
        let step = g / (3.0 * y * y + p[0]);
        y -= step;
        steps += 1;
        if step.abs() <= 1e-15 * y.abs().max(1.0) || steps == 60 {
            return y;
        }
    }
}

/// The root at any scalar: Newton's method on the values, then the implicit-function theorem
/// for the derivative parts, `y = y0 - (g(y0, p) - g(y0, p0)) / g_y` (the value stays `y0`, the
/// derivative parts are `-g_p p_dot / g_y`), and `g_y` there.
fn root_at<S: Real>(p: &[S]) -> (S, S) {
    let y0 = root(&[p[0].to_f64(), p[1].to_f64()]);
    let y = S::from_f64(y0);
    let g = y * y * y + p[0] * y - p[1];
    let g_y = S::from_f64(3.0 * y0 * y0) + p[0];
    let y = y - (g - S::from_f64(g.to_f64())) / g_y;
    (y, S::from_f64(3.0) * y * y + p[0])
}

fn root_tangent<S: Real>(p: &[S], p_dot: &[S]) -> (S, S) {
    let (y, g_y) = root_at(p);
    // g(y(p), p) = 0: g_y y_dot + g_p p_dot = 0, with g_p = (y, -1).
    (y, -(y * p_dot[0] - p_dot[1]) / g_y)
}

fn root_adjoint<S: Real>(p: &[S], p_bar: &mut [S], result_bar: S) -> S {
    let (y, g_y) = root_at(p);
    let lambda = result_bar / g_y;
    p_bar[0] -= lambda * y;
    p_bar[1] += lambda;
    y
}

/// A least-squares fit of the root to a target, through the custom rule.
#[differentiable]
fn fit(p: &[f64]) -> f64 {
    let y = root(p);
    let d = y - 0.7;
    d * d + 0.1 * y * p[0]
}

#[test]
fn the_root_rules_pass_three_checks() {
    let p = [1.3, 2.1];
    let y = root(&p);
    assert!((y * y * y + p[0] * y - p[1]).abs() < 1e-14);
    let case = Case {
        name: "root",
        inputs: 2,
        outputs: 1,
        f: &|p| vec![root(p)],
        jvp: &|p, d| {
            let (v, t) = root_jvp(p, d);
            (vec![v], vec![t])
        },
        vjp: &|p, w| {
            let mut b = vec![0.0; 2];
            let v = root_vjp(p, &mut b, w[0]);
            (vec![v], b)
        },
    };
    check(&case, &p, 21);
    // The generated primal at `f64` is the function, and `_grad` comes from the adjoint rule.
    assert_eq!(root_generic(&p[..]), y);
    let (value, g) = root_grad(&p[..]);
    assert_eq!(value, y);
    assert_eq!(g.len(), 2);
}

#[test]
fn a_caller_differentiates_through_the_root_with_hessian_vector_products() {
    let p = [0.8, -0.6];
    let case = Case {
        name: "fit",
        inputs: 2,
        outputs: 1,
        f: &|p| vec![fit(p)],
        jvp: &|p, d| {
            let (v, t) = fit_jvp(p, d);
            (vec![v], vec![t])
        },
        vjp: &|p, w| {
            let mut b = vec![0.0; 2];
            let v = fit_vjp(p, &mut b, w[0]);
            (vec![v], b)
        },
    };
    check(&case, &p, 31);
    let gradient = |p: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        fit_vjp(p, g, 1.0);
    };
    check_hessian_vector_products(&p, gradient, |x, g| {
        fit_vjp(x, g, Dual::constant(1.0));
    });
}

/// `H u` and `H w` from the adjoint at dual numbers, against differences of `gradient` and by
/// symmetry.
fn check_hessian_vector_products(
    x: &[f64],
    gradient: impl FnMut(&[f64], &mut [f64]),
    vjp_at_duals: impl Fn(&[Dual<f64, 1>], &mut [Dual<f64, 1>]),
) {
    let h_along = |v: &[f64]| -> Vec<f64> {
        let d: Vec<Dual<f64, 1>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, [b])).collect();
        let mut g = vec![Dual::constant(0.0); x.len()];
        vjp_at_duals(&d, &mut g);
        g.iter().map(|g| g.tangents[0]).collect()
    };
    let mut draws = Draws::new(41);
    let (u, w) = (draws.vec(x.len()), draws.vec(x.len()));
    let (hu, hw) = (h_along(&u), h_along(&w));
    let report = check_hvp(gradient, x, &u, &hu, &w, &hw, 1e-5).expect("lengths fit");
    assert!(report.passes(1e-6, 1e-12), "{report:?}");
}

// ---- A wrong rule, caught by `tapeless::check` ------------------------------------------------

/// `x0^2 x1`, whose adjoint rule forgets the factor 2 of `d/dx0`: the kind of slip
/// `tapeless::check` is for.
#[differentiable(custom(jvp = product_tangent, vjp = product_adjoint_wrong))]
fn product(x: &[f64]) -> f64 {
    x[0] * x[0] * x[1]
}

fn product_tangent<S: Real>(x: &[S], x_dot: &[S]) -> (S, S) {
    let two = S::from_f64(2.0);
    (
        x[0] * x[0] * x[1],
        two * x[0] * x[1] * x_dot[0] + x[0] * x[0] * x_dot[1],
    )
}

fn product_adjoint_wrong<S: Real>(x: &[S], x_bar: &mut [S], result_bar: S) -> S {
    x_bar[0] += x[0] * x[1] * result_bar; // should be 2 x0 x1
    x_bar[1] += x[0] * x[0] * result_bar;
    x[0] * x[0] * x[1]
}

#[test]
fn a_wrong_rule_fails_the_dot_product_test_and_a_right_tangent_passes_differences() {
    let x = [0.7, -1.2];
    let x_dot = [0.3, 0.5];
    let (_, j_x_dot) = product_jvp(&x[..], &x_dot[..]);
    // The tangent rule is right: central differences agree.
    let fd =
        check_jvp(|x, y| y[0] = product(x), &x, &x_dot, &[j_x_dot], 1e-6).expect("lengths fit");
    assert!(fd.passes(1e-8), "{fd:?}");
    // The adjoint rule is not: the dot-product test against the tangent says so.
    let mut x_bar = [0.0; 2];
    product_vjp(&x[..], &mut x_bar[..], 1.0);
    let dot = check_vjp(&[1.0], &[j_x_dot], &x_bar, &x_dot).expect("lengths fit");
    assert!(!dot.passes(1e-12), "{dot:?}");
    assert!(dot.dot_product.relative_error > 0.1, "{dot:?}");
}

// ---- Names like the generated ones ---------------------------------------------------------

fn names_tangent<S: Real>(value: S, value_dot: S, result_bar: S, result_bar_dot: S) -> (S, S) {
    (
        value * result_bar,
        value_dot * result_bar + value * result_bar_dot,
    )
}

fn names_adjoint<S: Real>(
    value: S,
    value_bar: &mut S,
    result_bar: S,
    result_bar_bar: &mut S,
    seed: S,
) -> S {
    *value_bar += result_bar * seed;
    *result_bar_bar += value * seed;
    value * result_bar
}

/// Parameters named like the generated locals (`value`, `result_bar`) do not capture them.
#[differentiable(custom(jvp = names_tangent, vjp = names_adjoint))]
fn names(value: f64, result_bar: f64) -> f64 {
    value * result_bar
}

#[test]
fn parameters_named_like_generated_locals_are_kept_apart() {
    let (v, (a, b)) = names_grad(2.0, 3.0);
    assert_eq!((v, a, b), (6.0, 3.0, 2.0));
    check_scalar(
        "names along value",
        &|x| names(x, 3.0),
        &|x, d| names_jvp(x, d, 3.0, 0.0),
        &|x, b, w| names_vjp(x, b, 3.0, &mut 0.0, w),
        2.0,
        71,
    );
}
