//! The arguments of `#[differentiable(...)]`.
//!
//! - `wrt(x, p)`: differentiate with respect to these parameters only (default: every real
//!   parameter). The others are constants of the derivative: their companions take no tangent
//!   or adjoint for them.
//! - `constants(noise, lookup)`: calls of these plain functions are constants of the
//!   derivative (their results carry no derivative; their arguments are read at their values).
//! - `rhs = Name`: also generate a unit struct `Name` implementing `tapeless::ode::Rhs` from
//!   the companions, for `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)`.
//! - `wrt(x, obs) as name`: a further activity pattern of the same function, whose companions
//!   are named from `name` (`name_vjp`, ..) and differentiate the listed parameters (see
//!   [`crate::patterns`]); also in a further stacked `#[differentiable(wrt(..) as name)]`.
//! - `custom(jvp = f_tangent, vjp = f_adjoint)`: the function's derivatives are the user's
//!   rules, not generated from its body (see [`crate::custom`]).
//! - `gradient = Name`: also generate a unit struct `Name` implementing
//!   `tapeless::nested::Gradient`, for `fn f(x: &[f64]) -> f64`.
//! - `associated`: the function is an associated function in an `impl` without `self` or
//!   `&Self` (which say so themselves): its companions are associated functions too.
//! - `crate = path`: where the facade crate is (default `::tapeless`), for code that uses the
//!   macro from inside tapeless itself or through a re-export.

use crate::ctxt::Ctxt;
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Ident, Path, Token};

/// The parsed arguments.
#[derive(Clone)]
pub struct Args {
    /// `wrt(...)`, when given.
    pub wrt: Option<Vec<Ident>>,
    /// `constants(...)`.
    pub constants: Vec<Path>,
    /// The path to the facade crate.
    pub krate: Path,
    /// `rhs = Name`.
    pub rhs: Option<Ident>,
    /// Whether `rhs = Name` is on a right-hand side with data parameters after `t`, whose
    /// `wrt(du, u, p, t)` the macro wrote (see [`crate::adapters::rhs_with_data`]).
    pub rhs_data: bool,
    /// `gradient = Name`.
    pub gradient: Option<Ident>,
    /// `wrt(..) as name`: further activity patterns, in the order written.
    pub patterns: Vec<Pattern>,
    /// `custom(jvp = .., vjp = ..)`.
    pub custom: Option<Custom>,
    /// `stencil = false`: stencil loops keep the scatter-form adjoint (default `true`: the
    /// gather form, see `transform::adjoint::stencil`).
    pub stencil: bool,
    /// `associated`: the function is an associated function of an `impl` (see `structs`).
    pub associated: bool,
}

/// A further activity pattern, `wrt(x, obs) as name`.
#[derive(Clone)]
pub struct Pattern {
    /// The parameters it differentiates.
    pub wrt: Vec<Ident>,
    /// The name its companions are named from.
    pub name: Ident,
}

/// `custom(jvp = path, vjp = path)`: the user's derivative rules.
#[derive(Clone)]
pub struct Custom {
    /// The tangent rule, with the signature of `f_jvp`.
    pub jvp: Path,
    /// The adjoint rule, with the signature of `f_vjp`.
    pub vjp: Path,
    /// The `custom` keyword, for errors about the rule as a whole.
    pub span: proc_macro2::Span,
}

/// Parses the attribute's tokens, or returns the errors found in them.
pub fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Args> {
    let mut cx = Ctxt::new();
    let args = parse_into(&mut cx, tokens);
    cx.check().map(|()| args)
}

/// Parses the attribute's tokens, recording the errors in `cx`; what comes back is meaningful
/// only when `cx` holds none.
fn parse_into(cx: &mut Ctxt, tokens: proc_macro2::TokenStream) -> Args {
    let mut args = Args {
        wrt: None,
        constants: Vec::new(),
        krate: syn::parse_quote!(::tapeless),
        rhs: None,
        rhs_data: false,
        gradient: None,
        patterns: Vec::new(),
        custom: None,
        stencil: true,
        associated: false,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("wrt") {
            let content;
            syn::parenthesized!(content in meta.input);
            // `self` too: a method's receiver (`wrt(self, x0)`).
            let names =
                Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
            let names: Vec<Ident> = names.into_iter().map(|n| n.unraw()).collect();
            if meta.input.peek(Token![as]) {
                meta.input.parse::<Token![as]>()?;
                let name: Ident = meta.input.parse()?;
                args.patterns.push(Pattern { wrt: names, name });
                return Ok(());
            }
            if args.wrt.is_some() {
                return Err(meta.error("`wrt` given twice; list every parameter in one `wrt(...)`"));
            }
            // `r#x` names the parameter `x`, as in the IR.
            args.wrt = Some(names);
            Ok(())
        } else if meta.path.is_ident("constants") {
            let content;
            syn::parenthesized!(content in meta.input);
            let paths = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
            args.constants.extend(paths);
            Ok(())
        } else if meta.path.is_ident("associated") {
            args.associated = true;
            Ok(())
        } else if meta.path.is_ident("rhs") {
            args.rhs = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("gradient") {
            args.gradient = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("custom") {
            let span = meta
                .path
                .get_ident()
                .map_or_else(proc_macro2::Span::call_site, Ident::span);
            let (mut jvp, mut vjp) = (None, None);
            meta.parse_nested_meta(|rule| {
                if rule.path.is_ident("jvp") {
                    jvp = Some(rule.value()?.parse::<Path>()?);
                    Ok(())
                } else if rule.path.is_ident("vjp") {
                    vjp = Some(rule.value()?.parse::<Path>()?);
                    Ok(())
                } else {
                    Err(rule
                        .error("unknown rule; expected `jvp = tangent_fn` and `vjp = adjoint_fn`"))
                }
            })?;
            match (jvp, vjp) {
                (Some(jvp), Some(vjp)) => {
                    args.custom = Some(Custom { jvp, vjp, span });
                    Ok(())
                }
                _ => Err(syn::Error::new(span, "a custom rule gives both derivatives: `custom(jvp = f_tangent, vjp = f_adjoint)`, with the signatures of `f_jvp` and `f_vjp`")),
            }
        } else if meta.path.is_ident("stencil") {
            args.stencil = meta.value()?.parse::<syn::LitBool>()?.value;
            Ok(())
        } else if meta.path.is_ident("crate") {
            let value = meta.value()?;
            // `crate = path`, or serde's style `crate = "path"`.
            args.krate = if value.peek(syn::LitStr) {
                value.parse::<syn::LitStr>()?.parse()?
            } else {
                value.parse()?
            };
            Ok(())
        } else {
            Err(meta.error(
                // The message is pinned by a UI test; `wrt(..) as name`, `custom(..)` and
                // `gradient = Name` are in the documentation.
                "unknown argument; expected `wrt(x, ..)`, `constants(f, ..)`, `rhs = Name` or `crate = path`",
            ))
        }
    });
    if let Err(e) = parser.parse2(tokens) {
        cx.push(e);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn arguments_parse_and_mistakes_are_errors() {
        let args = parse(quote::quote!(
            wrt(r#x, p),
            constants(noise),
            crate = "tapeless"
        ))
        .expect("parses");
        let wrt: Vec<String> = args
            .wrt
            .expect("given")
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(wrt, ["x", "p"]);
        assert_eq!(args.constants.len(), 1);
        let e = parse(quote::quote!(wrt(x), wrt(p)))
            .err()
            .expect("`wrt` twice")
            .to_string();
        assert!(e.starts_with("`wrt` given twice"), "{e}");
        let args = parse(quote::quote!(
            wrt(x),
            wrt(x, r#obs) as with_obs,
            gradient = G,
            custom(jvp = t, vjp = a)
        ))
        .expect("parses");
        assert_eq!(args.patterns.len(), 1);
        assert_eq!(args.patterns[0].name, "with_obs");
        assert_eq!(args.patterns[0].wrt[1], "obs");
        assert!(args.gradient.is_some() && args.custom.is_some());
        let e = parse(quote::quote!(custom(jvp = t)))
            .err()
            .expect("no vjp")
            .to_string();
        assert!(e.starts_with("a custom rule gives both"), "{e}");
        let e = parse(quote::quote!(bogus))
            .err()
            .expect("unknown")
            .to_string();
        assert!(e.starts_with("unknown argument"), "{e}");
    }
}
