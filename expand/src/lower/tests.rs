//! Unit tests of lowering: names, kinds, hoisting, early returns, and the errors it gathers.

use super::*;
use crate::ir::display::print;

fn lowered(src: &str) -> syn::Result<Function> {
    let item: syn::ItemFn = syn::parse_str(src).expect("parses");
    let args = crate::attr::parse(Default::default()).expect("no args");
    lower(&item, &args)
}

fn printed(src: &str) -> String {
    print(&lowered(src).expect("lowers"))
}

#[test]
fn shadowed_bindings_get_distinct_names() {
    let ir = printed("fn f(x: f64) -> f64 { let y = x * 2.0; let y = y.sin(); y }");
    assert!(ir.contains("let y: real = (x * 2.0)"), "{ir}");
    assert!(ir.contains("let y_1: real = sin(y)"), "{ir}");
    assert!(ir.contains("return (y_1)"), "{ir}");
}

#[test]
fn messages_quote_the_users_names() {
    // The second `y` is `y_1` in the IR; the message says `y`. (Its uses disagree, the
    // function's last expression read as the statements are: an array and a real.)
    let e = lowered("fn f(x: f64) -> f64 { let y = x; let y = g(x); y[0] + y }")
        .expect_err("rejected")
        .to_string();
    assert!(e.starts_with("`y` holds the result of a call"), "{e}");
    let e = lowered("fn f(r#in: f64) -> f64 { let r#in = g(r#in); r#in[0] * r#in }")
        .expect_err("rejected")
        .to_string();
    assert!(e.starts_with("`r#in` holds the result of a call"), "{e}");
}

#[test]
fn a_result_read_in_the_last_expression_is_typed_by_that_use() {
    // `y[0]` as the function's value says `y` is an array, as it would in a statement.
    let ir = printed("fn f(x: f64) -> f64 { let y = g(x); y[0] }");
    assert!(ir.contains("call g(x)"), "{ir}");
    assert!(ir.contains("return (y[0])"), "{ir}");
    // `y[k][j]` says it is an array of arrays: held flat, its rows the callee's, `g::ROWS`.
    let ir = printed("fn f(x: &[[f64; 2]]) -> f64 { let y = g(x); y[1][0] }");
    assert!(ir.contains("g::ROWS"), "{ir}");
}

#[test]
fn calls_are_hoisted_and_compound_assignments_expanded() {
    let ir = printed("fn f(x: f64) -> f64 { let mut y = (x * g(x)).sin(); y += 1.0; y }");
    assert!(ir.contains("let __g = call g(x)"), "{ir}");
    assert!(ir.contains("let mut y: real = sin((x * __g))"), "{ir}");
    assert!(ir.contains("y = (y + 1.0)"), "{ir}");
}

#[test]
fn kinds_follow_the_syntax() {
    let f = lowered("fn f(u: &[f64], n: usize) -> f64 { let m = u.len() + n; let c = 2.0; let z = u[m - n] * c; z }")
        .expect("lowers");
    let kinds: Vec<String> = f
        .vars
        .iter()
        .map(|v| format!("{}: {}", v.name, v.kind))
        .collect();
    assert_eq!(
        kinds,
        ["u: &real[]", "n: int", "m: int", "c: real", "z: real"]
    );
}

#[test]
fn matrices_are_known_by_name_and_read_operands_get_bound() {
    let src = "fn f(w: &DMatrix<f64>, x: SVector<f64, 3>, k: f64) -> f64 { let h = (w * x * k).map(|v| v.tanh()); h.norm() + h[0] }";
    let f = lowered(src).expect("lowers");
    let kinds: Vec<String> = f
        .vars
        .iter()
        .map(|v| format!("{}: {}", v.name, v.kind))
        .collect();
    // `w * x` is read by the product with `k`, and the product by the map's adjoint.
    assert_eq!(
        kinds,
        [
            "w: matrix",
            "x: matrix",
            "k: real",
            "__m: matrix",
            "__m_1: matrix",
            "v: real",
            "h: matrix"
        ]
    );
    assert_eq!(f.map_params.len(), 1);
    let ir = printed(src);
    assert!(ir.contains("let __m: matrix = (w * x)"), "{ir}");
    assert!(
        ir.contains("let h: matrix = __m_1.map(|v| tanh(v))"),
        "{ir}"
    );
}

#[test]
fn matrix_mistakes_are_errors_with_advice() {
    let e = |src: &str| lowered(src).expect_err("rejected").to_string();
    assert!(
        e("fn f(x: &DVector<f64>, a: f64) -> DVector<f64> { x.map(|v| a * v) }")
            .contains("uses only its argument")
    );
    assert!(e("fn f(x: &mut DVector<f64>) {}").contains("read, not written"));
    assert!(e("fn f(x: &DVector<f64>) -> DVector<f64> { x / x }").contains("divided by a real"));
    assert!(e("fn f(x: &DVector<f64>) -> f64 { x.max() }").contains("of a matrix or vector"));
}

#[test]
fn early_returns_become_a_result_and_a_guard() {
    let ir = printed("fn f(x: f64) -> f64 { if x > 0.0 { return x; } x * x }");
    assert!(ir.contains("__returned = true"), "{ir}");
    assert!(ir.contains("if !__returned {"), "{ir}");
}

#[test]
fn every_error_of_a_function_is_reported() {
    let err = lowered(
        "fn f(x: f64, v: &[f64]) -> f64 { let c = |y: f64| { return y; }; while let Some(_) = v.pop() {} x }",
    )
    .unwrap_err();
    let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("`return` inside a closure"));
    assert!(
        messages[1].starts_with("`while let Some(v) = stack.pop()` is not supported"),
        "{messages:?}"
    );
}

#[test]
fn wrt_matches_the_users_names_and_reports_every_unknown_one() {
    let item: syn::ItemFn =
        syn::parse_str("fn f(r#in: f64, t: f64) -> f64 { let r#in = r#in * t; r#in }")
            .expect("parses");
    let args = crate::attr::parse(quote::quote!(wrt(r#in))).expect("parses");
    let f = lower(&item, &args).expect("`r#in` is the parameter `in`");
    assert_eq!(f.vars[f.params[0].var].user_name, "in");
    let args = crate::attr::parse(quote::quote!(wrt(x, t, y))).expect("parses");
    let messages: Vec<String> = lower(&item, &args)
        .expect_err("unknown names")
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].starts_with("`x` is not a parameter"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("`y` is not a parameter"),
        "{messages:?}"
    );
}

#[test]
fn rhs_mistakes_are_gathered_with_the_other_errors() {
    let lower_with = |src: &str, attr: proc_macro2::TokenStream| {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(attr).expect("parses");
        lower(&item, &args).map(|_| ())
    };
    let messages = |r: syn::Result<()>| -> Vec<String> {
        r.expect_err("rejected")
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    };
    let in_place =
        "fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64) { du[0] = -p[0] * u[0] * t; }";
    lower_with(in_place, quote::quote!(rhs = F)).expect("the in-place signature");
    let m = messages(lower_with(in_place, quote::quote!(rhs = F, wrt(u))));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].ends_with("remove `wrt(..)`"), "{m:?}");
    // A wrong signature and an error in the body are reported together.
    let m = messages(lower_with(
        "fn f(du: &mut [f64], u: &[f64], k: f64) { du[0] = -k * u[0].fract(); }",
        quote::quote!(rhs = F),
    ));
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].starts_with("`rhs = ..` needs the in-place signature"),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("method `fract` cannot be differentiated"),
        "{m:?}"
    );
}

#[test]
fn sin_cos_and_clamp_lower_to_the_code_std_runs() {
    let ir = printed(
        "fn f(x: f64, h: f64) -> f64 { let (s, c) = (2.0 * x).sin_cos(); (s * x).clamp(c, h) }",
    );
    // `sin_cos` is `(self.sin(), self.cos())`, of one evaluation of the receiver.
    assert!(ir.contains("let __angle: real = (2.0 * x)"), "{ir}");
    assert!(ir.contains("let s: real = sin(__angle)"), "{ir}");
    assert!(ir.contains("let c: real = cos(__angle)"), "{ir}");
    // `clamp`: std's own check of the bounds (it panics unless `lo <= hi`), then two tests.
    assert!(
        ir.contains("const ::core::primitive::f64::clamp(c, c, h)"),
        "{ir}"
    );
    assert!(
        ir.contains("if (__clamp < c) {\n        __clamp = c"),
        "{ir}"
    );
    assert!(
        ir.contains("if (__clamp > h) {\n        __clamp = h"),
        "{ir}"
    );
    assert!(ir.contains("return (__clamp)"), "{ir}");
}

#[test]
fn local_consts_are_brought_to_their_uses() {
    let ir = printed("fn f(x: f64) -> f64 { const N: usize = 3; const C: f64 = 0.5; let v = [C * x; N]; let [a, _, b] = v; a * b * N as f64 }");
    // In array lengths, as a block that defines the constant; in expressions, its value.
    assert!(
        ir.contains(
            "let v: real[{ const N : usize = 3 ; N }] = [(0.5 * x); { const N : usize = 3 ; N }]"
        ),
        "{ir}"
    );
    assert!(ir.contains("let a: real = v[0]"), "{ir}");
    assert!(ir.contains("let b: real = v[2]"), "{ir}");
    assert!(ir.contains("((3 as usize) as f64)"), "{ir}");
    let e = lowered("fn f(x: f64) -> f64 { const A: f64 = B; const B: f64 = A; x * A }")
        .expect_err("a cycle")
        .to_string();
    assert!(e.contains("depends on itself"), "{e}");
}
