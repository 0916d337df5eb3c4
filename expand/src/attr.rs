//! The arguments of `#[differentiable(...)]`.
//!
//! - `wrt(x, p)`: differentiate with respect to these parameters only (default: every real
//!   parameter). The others are constants of the derivative: their companions take no tangent
//!   or adjoint for them.
//! - `constants(noise, lookup)`: calls of these plain functions are constants of the
//!   derivative (their results carry no derivative; their arguments are read at their values).
//! - `rhs = Name`: also generate a unit struct `Name` implementing `tapeless::ode::Rhs` from
//!   the companions, for `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)`.
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
pub struct Args {
    /// `wrt(...)`, when given.
    pub wrt: Option<Vec<Ident>>,
    /// `constants(...)`.
    pub constants: Vec<Path>,
    /// The path to the facade crate.
    pub krate: Path,
    /// `rhs = Name`.
    pub rhs: Option<Ident>,
    /// `associated`: the function is an associated function of an `impl` (see `structs`).
    pub associated: bool,
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
        associated: false,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("wrt") {
            let content;
            syn::parenthesized!(content in meta.input);
            let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            if args.wrt.is_some() {
                return Err(meta.error("`wrt` given twice; list every parameter in one `wrt(...)`"));
            }
            // `r#x` names the parameter `x`, as in the IR.
            args.wrt = Some(names.into_iter().map(|n| n.unraw()).collect());
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
        let e = parse(quote::quote!(bogus))
            .err()
            .expect("unknown")
            .to_string();
        assert!(e.starts_with("unknown argument"), "{e}");
    }
}
