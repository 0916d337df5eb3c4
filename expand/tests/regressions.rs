//! Inputs that once made the expansion panic or refuse good code, reduced. Each must expand to
//! Rust that parses, with no `compile_error!`; the facade's `tests/regressions.rs` compiles the
//! same functions and checks their derivatives.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::quote;

/// The expansion of `item`, which must succeed: panics and errors fail the test.
fn expand(attr: TokenStream, item: TokenStream) -> String {
    let out = tapeless_expand::differentiable(attr, item);
    let text = out.to_string();
    assert!(!text.contains("compile_error"), "refused: {text}");
    syn::parse2::<syn::File>(out).unwrap_or_else(|e| panic!("not Rust ({e}): {text}"));
    text
}

/// `text` as a `macro_rules!` fragment (`$e:expr`, `$t:ty`) delivers it: in an invisible group.
fn fragment(text: &str) -> TokenStream {
    let inner: TokenStream = text.parse().expect("lexes");
    TokenTree::Group(Group::new(Delimiter::None, inner)).into()
}

#[test]
fn raw_identifier_parameter() {
    // Panicked: `Ident::new("r#x")`.
    let out = expand(
        quote!(),
        quote!(
            fn f(r#x: f64) -> f64 {
                r#x * r#x
            }
        ),
    );
    assert!(out.contains("x_bar") && !out.contains("r#x_bar"), "{out}");
}

#[test]
fn raw_identifiers_in_let_and_for() {
    let out = expand(
        quote!(),
        quote!(
            fn f(r#match: f64, n: usize) -> f64 {
                let r#t = r#match * 2.0;
                let mut s = r#t;
                for r#i in 0..n {
                    s += r#t * (r#i as f64);
                }
                s
            }
        ),
    );
    // The keyword stays raw where it is a name; its companions are plain names.
    assert!(out.contains("r#match : S"), "{out}");
    assert!(out.contains("match_bar : & mut S"), "{out}");
    assert!(out.contains("match_dot"), "{out}");
}

#[test]
fn raw_keywords_of_later_editions() {
    // `gen` is reserved from edition 2024 and `try` from 2018: they stay raw, whatever the
    // edition of the caller.
    let out = expand(
        quote!(),
        quote!(
            fn f(r#gen: f64, r#try: &[f64]) -> f64 {
                r#gen * r#try[0]
            }
        ),
    );
    assert!(
        out.contains("r#gen : S") && out.contains("gen_bar"),
        "{out}"
    );
    assert!(
        out.contains("r#try : & [S]") && out.contains("try_bar"),
        "{out}"
    );
}

#[test]
fn diagnostics_spell_raw_keywords_raw() {
    let out = tapeless_expand::differentiable(
        quote!(wrt(x)),
        quote!(
            fn f(x: f64, r#in: &mut [f64]) -> f64 {
                r#in[0] = x;
                x
            }
        ),
    )
    .to_string();
    assert!(out.contains("`r#in` receives values"), "{out}");
}

#[test]
fn raw_identifier_is_the_plain_one() {
    // `r#y` and `y` are one variable: the adjoint of the one is the adjoint of the other.
    let out = expand(
        quote!(),
        quote!(
            fn f(r#y: f64) -> f64 {
                let z = y * 3.0;
                r#z
            }
        ),
    );
    assert!(out.contains("y_bar"), "{out}");
}

#[test]
fn call_of_a_function_named_with_a_raw_keyword() {
    // Panicked: the hoisted call's temporary was named `__r#match`.
    let out = expand(
        quote!(),
        quote!(
            fn g(x: f64) -> f64 {
                r#match(x) * x
            }
        ),
    );
    // The callee's companions, reached through its own path.
    assert!(
        out.contains("r#match :: jvp") && out.contains("r#match :: rev"),
        "{out}"
    );
    expand(
        quote!(),
        quote!(
            fn r#match(x: f64) -> f64 {
                x.sin()
            }
        ),
    );
}

#[test]
fn wrt_names_a_raw_parameter() {
    expand(
        quote!(wrt(r#x)),
        quote!(
            fn f(r#x: f64, y: f64) -> f64 {
                r#x * y
            }
        ),
    );
}

#[test]
fn float_literal_that_overflows() {
    // Panicked: `Literal::f64_unsuffixed(inf)`.
    let out = expand(
        quote!(),
        quote!(
            #[allow(overflowing_literals)]
            fn f(x: f64) -> f64 {
                x * 1e309
            }
        ),
    );
    assert!(
        out.contains(":: core :: primitive :: f64 :: INFINITY"),
        "{out}"
    );
}

#[test]
fn integer_abs_cast_to_real() {
    // Was "internal error, the IR is malformed: `abs` of kind int".
    let out = expand(
        quote!(),
        quote!(
            fn f(x: f64, k: i32) -> f64 {
                x * k.abs() as f64
            }
        ),
    );
    assert!(out.contains("(k) . abs ()"), "{out}");
}

#[test]
fn tuple_tail_from_a_macro_fragment() {
    // Was "the function returns 2 values but this expression has 1".
    let tail = fragment("(a * b, a + b)");
    expand(
        quote!(),
        quote!(fn pair(a: f64, b: f64) -> (f64, f64) { #tail }),
    );
    let early = fragment("(a, b)");
    expand(
        quote!(),
        quote!(fn pair(a: f64, b: f64) -> (f64, f64) { if a > b { return #early; } #tail }),
    );
}

#[test]
fn types_and_places_from_macro_fragments() {
    let (real, slice, ret) = (
        fragment("f64"),
        fragment("&mut [f64]"),
        fragment("(f64, f64)"),
    );
    let (place, value) = (fragment("u[0]"), fragment("u[0] * x"));
    expand(
        quote!(),
        quote!(fn f(x: #real, u: #slice) -> #ret { #place = #value; (x, u[0]) }),
    );
    let statement = fragment("for i in 0..u.len() { u[i] *= x; }");
    expand(quote!(), quote!(fn g(x: f64, u: &mut [f64]) { #statement }));
}

#[test]
fn a_closure_iterated_over_is_refused_not_malformed() {
    // Found by the mutation test: `zip(sq)` with `sq` a stored closure was read as a list of
    // data (index lists) and gave malformed IR ("`sq` is used out of scope").
    let out = tapeless_expand::differentiable(
        quote!(),
        quote!(
            fn weighted(x: &[f64], w: &[f64]) -> f64 {
                let sq = |t: f64| t * t;
                x.iter().zip(sq).map(|(a, b)| sq(*a) * b).sum()
            }
        ),
    )
    .to_string();
    assert!(
        out.contains("is a closure") && !out.contains("internal error"),
        "{out}"
    );
}

#[test]
fn a_parameter_name_bound_twice_is_a_user_error() {
    // Was "internal error in the struct layer: parameter `result` not found" (found by the
    // no-panic mutations).
    let out = tapeless_expand::differentiable(
        quote!(),
        quote!(
            fn f(result: f64, result: &Weird) -> f64 {
                result * 2.0
            }
        ),
    )
    .to_string();
    assert!(
        out.contains("is bound more than once in the parameters") && !out.contains("internal"),
        "{out}"
    );
}

#[test]
fn a_struct_parameter_bound_by_a_pattern_is_refused_not_recursed_into() {
    // Found by the mutation test: the struct layer left `_: &Weird` as written in the flattened
    // function, which it expanded through the macro's entry again, which handed it back to the
    // struct layer, without end.
    for item in [
        quote!(
            fn f(x: f64, _: &Weird) -> f64 {
                x * x
            }
        ),
        quote!(
            fn g(x: f64, (a): &Weird) -> f64 {
                x * a.b
            }
        ),
    ] {
        let out = tapeless_expand::differentiable(quote!(), item).to_string();
        assert!(
            out.contains("write a plain name for each parameter") && !out.contains("internal"),
            "{out}"
        );
    }
}
