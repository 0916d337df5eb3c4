//! Diagnostics about the function as a whole: the attributes it may carry, and what to write
//! instead of an expression outside the subset.

use super::*;

/// Attributes: `#[differentiable]` once on the function, and none inside the body that the
/// companions could not honour as the user's function does. Lint attributes (`allow`, `warn`,
/// `deny`, `forbid`, `expect`) and doc comments change no value, so they are accepted: the
/// function keeps them as written and the companions are generated code with lints of their
/// own. Any other (`cfg`, `cfg_attr`, a tool's or a crate's attribute) could remove or change
/// code in the function and not in its derivatives, so it is refused.
pub(super) fn check_attributes(item: &syn::ItemFn, cx: &mut Ctxt) {
    for attr in &item.attrs {
        let path = attr.path();
        let last = path.segments.last().map(|s| name_of(&s.ident));
        if last.as_deref() == Some("differentiable") {
            cx.error_spanned_by(
                attr,
                "`#[differentiable]` is given twice: one attribute generates every companion; \
                 to differentiate with respect to other parameters too, list them all in one `wrt(..)`",
            );
        }
    }
    struct Attributes<'c>(&'c mut Ctxt);
    impl<'ast> Visit<'ast> for Attributes<'_> {
        fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
            let path = attr.path();
            let harmless = ["allow", "warn", "deny", "forbid", "expect", "doc"]
                .iter()
                .any(|name| path.is_ident(name));
            if !harmless {
                let name = path.to_token_stream().to_string().replace(' ', "");
                let advice = if name == "cfg" || name == "cfg_attr" {
                    "put `#[cfg(..)]` on whole functions instead: one annotated function per configuration"
                } else {
                    "remove it, or move the code it applies to into a function of its own"
                };
                self.0.error_spanned_by(
                    attr,
                    format!("`#[{name}]` inside a `#[differentiable]` function is not supported: the derivative code could not honour it as the function does; {advice}"),
                );
            }
        }
        // Items in the body are refused on their own, with their own message.
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    Attributes(cx).visit_block(&item.block);
}

/// What to write instead of a call of a standard library function that has no derivative
/// companion (any other call is taken to be of a `#[differentiable]` function, whose companions
/// are found through its path).
pub(super) fn std_function_advice(path: &syn::Path) -> Option<String> {
    let names: Vec<String> = path.segments.iter().map(|s| name_of(&s.ident)).collect();
    let last = names.last()?.as_str();
    let std_path =
        names.len() == 1 || matches!(names[0].as_str(), "std" | "core" | "alloc" | "mem" | "ptr");
    if !std_path {
        return None;
    }
    let advice = match last {
        "drop" => "`drop` has no derivative: remove the call, values are dropped at the end of their scope",
        "swap" | "replace" | "take" => "`std::mem::swap`, `replace` and `take` have no derivative here: assign through a temporary (`let t = a; a = b; b = t;`)",
        "forget" | "size_of" | "size_of_val" | "align_of" | "transmute" => "this `std::mem` function cannot be differentiated: remove it from the differentiable function",
        _ => return None,
    };
    Some(advice.to_string())
}

pub(super) fn unsupported(e: &syn::Expr) -> syn::Error {
    let (span, msg): (Span, &str) = match e {
        syn::Expr::Closure(c) => (c.or1_token.span, "closures cannot be differentiated; write a separate `#[differentiable]` function and call it"),
        syn::Expr::Unsafe(u) => (u.unsafe_token.span, "`unsafe` is not allowed in a differentiable function"),
        syn::Expr::Loop(l) => (l.loop_token.span, "a `loop` gives a value as a `let` initialiser, `let r = loop { .. break v; .. };`, or as the function's result; bind its value with `let` first"),
        syn::Expr::While(w) => (w.while_token.span, "`while` is supported as a statement, not inside a value"),
        syn::Expr::Async(a) => (a.async_token.span, "`async` is not supported in a differentiable function"),
        syn::Expr::Await(a) => (a.await_token.span, "`.await` is not supported in a differentiable function"),
        syn::Expr::Break(b) => (b.break_token.span, "`break` is supported as a statement of a loop body (`if done { break; }`), not inside a value"),
        syn::Expr::Continue(c) => (c.continue_token.span, "`continue` is supported as a statement of a loop body (`if skip { continue; }`), not inside a value"),
        syn::Expr::Try(t) => (t.question_token.span, "`?` is not supported; check inputs before calling the differentiable function"),
        syn::Expr::Field(f) if matches!(f.member, syn::Member::Unnamed(_)) => (f.span(), "tuple fields are not supported; destructure the tuple where it is made: `let (a, b) = f(..);`"),
        syn::Expr::Field(f) => (f.span(), "field access is supported on struct parameters (`p: &Params`, `p.sigma`) and on struct locals built by a literal; for another value, such as a struct returned by a call (`let s2 = step(&s, h)`, not supported yet), pass the field's value as a parameter, or step the struct in place (`fn step(s: &mut State, h: f64)`)"),
        syn::Expr::Struct(s) => (s.span(), "struct expressions are not supported in a differentiable function"),
        syn::Expr::Tuple(t) => (t.span(), "tuples are supported as the function's result and in `let (a, b) = f(..)`"),
        syn::Expr::Reference(r) => (r.span(), "references are supported as call arguments, `f(&v)`"),
        syn::Expr::Range(r) => (r.span(), "ranges are supported in `for` loops"),
        syn::Expr::If(i) => (i.if_token.span, "an `if` that gives a value is supported as the value of a `let` or an assignment: `let y = if c { a } else { b };`, `y = if ..`"),
        syn::Expr::Match(m) => (m.match_token.span, "a `match` that gives a value is supported as the value of a `let` or an assignment: `let y = match k { .. };`, `y = match ..`"),
        syn::Expr::Block(b) => (b.span(), "a block used as a value is not supported"),
        syn::Expr::Return(r) => (r.return_token.span, "`return` here is not supported"),
        syn::Expr::Let(l) => (l.span(), "`let` expressions are not supported"),
        _ => (e.span(), "this expression is not supported in a differentiable function"),
    };
    syn::Error::new(span, msg)
}

/// The methods of reals lowering differentiates, for messages: the rule table's methods, then
/// `extra` (methods lowering handles itself, such as `powi`), as `sin cos .. extra`.
pub(super) fn supported_real_methods(extra: &[&'static str]) -> String {
    let names: Vec<&str> = crate::rules::real_methods()
        .chain(extra.iter().copied())
        .collect();
    names.join(" ")
}
