//! Functions the user writes generic over the scalar: `fn f<S: Real>(x: &[S]) -> S`.
//!
//! Such a function is usable at every scalar as written; its companions are generated from its
//! `f64` instance, the function with `S` read as `f64`:
//!
//! ```text
//! fn f<S: Real>(x: &[S], c: f64) -> S {              fn f(x: &[f64], c: f64) -> f64 {
//!     let mut s = S::zero();                             let mut s = 0.0;
//!     for i in 0..x.len() {                  -->         for i in 0..x.len() {
//!         s += S::from_f64(c) * x[i].sin();                  s += (c) * x[i].sin();
//!     }                                                  }
//!     s                                                  s
//! }                                                  }
//! ```
//!
//! which the lowering then checks as any function at `f64` (so a generic function uses the same
//! subset). The scalar is recognised by its bound: one type parameter bounded by `Real` (any
//! path ending in `Real`, in the parameter list or a `where` clause); any other generic parameter
//! stays, and the lowering refuses it as before.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Expr, ItemFn, Type};

/// The scalar type parameter of `func`, when it has exactly one type parameter and it is
/// bounded by `Real`.
fn scalar_param(func: &ItemFn) -> Option<syn::Ident> {
    let generics = &func.sig.generics;
    let mut types = generics.type_params();
    let param = types.next()?;
    if types.next().is_some() {
        return None;
    }
    let is_real = |b: &syn::TypeParamBound| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Real"),
        _ => false,
    };
    let in_where = generics.where_clause.as_ref().is_some_and(|w| {
        w.predicates.iter().any(|p| match p {
            syn::WherePredicate::Type(t) => {
                is_param(&t.bounded_ty, &param.ident) && t.bounds.iter().any(is_real)
            }
            _ => false,
        })
    });
    (param.bounds.iter().any(is_real) || in_where).then(|| param.ident.clone())
}

fn is_param(ty: &Type, param: &syn::Ident) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(param))
}

/// Whether the user wrote `func` generic over its scalar.
pub fn is_generic(func: &ItemFn) -> bool {
    scalar_param(func).is_some()
}

/// `func` at `f64`: itself when it is not generic over its scalar.
pub fn at_f64(func: &ItemFn) -> syn::Result<ItemFn> {
    let Some(param) = scalar_param(func) else {
        return Ok(func.clone());
    };
    let mut plain = func.clone();
    let generics = &mut plain.sig.generics;
    generics.params = std::mem::take(&mut generics.params)
        .into_iter()
        .filter(|p| !matches!(p, syn::GenericParam::Type(t) if t.ident == param))
        .collect();
    if let Some(w) = &mut generics.where_clause {
        w.predicates = std::mem::take(&mut w.predicates)
            .into_iter()
            .filter(
                |p| !matches!(p, syn::WherePredicate::Type(t) if is_param(&t.bounded_ty, &param)),
            )
            .collect();
        if w.predicates.is_empty() {
            generics.where_clause = None;
        }
    }
    if generics.params.is_empty() {
        generics.lt_token = None;
        generics.gt_token = None;
    }
    AtF64 { param }.visit_item_fn_mut(&mut plain);
    Ok(plain)
}

/// Reads the scalar parameter as `f64`.
struct AtF64 {
    param: syn::Ident,
}

impl AtF64 {
    /// `S::from_f64(c)` is `(c)`, `S::zero()` is `0.0` and `S::one()` is `1.0`.
    fn constant(&self, call: &syn::ExprCall) -> Option<Expr> {
        let Expr::Path(p) = &*call.func else {
            return None;
        };
        let segs = &p.path.segments;
        if p.qself.is_some() || segs.len() != 2 || segs[0].ident != self.param {
            return None;
        }
        let span = segs[1].ident.span();
        match (segs[1].ident.to_string().as_str(), call.args.len()) {
            ("from_f64", 1) => {
                let c = &call.args[0];
                Some(syn::parse_quote_spanned!(span=> (#c)))
            }
            ("zero", 0) => Some(syn::parse_quote_spanned!(span=> 0.0)),
            ("one", 0) => Some(syn::parse_quote_spanned!(span=> 1.0)),
            _ => None,
        }
    }

    /// The expressions of a macro such as `vec![S::zero(); n]` or `assert!(..)`, read at `f64`;
    /// a macro whose arguments are not expressions is left as written.
    fn macro_tokens(&mut self, tokens: &TokenStream) -> Option<TokenStream> {
        use syn::parse::Parser;
        let repeat = |input: syn::parse::ParseStream| {
            let value: Expr = input.parse()?;
            input.parse::<syn::Token![;]>()?;
            let len: Expr = input.parse()?;
            Ok((value, len))
        };
        if let Ok((mut value, mut len)) = repeat.parse2(tokens.clone()) {
            self.visit_expr_mut(&mut value);
            self.visit_expr_mut(&mut len);
            return Some(quote!(#value; #len));
        }
        let list = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let mut exprs = list.parse2(tokens.clone()).ok()?;
        for e in &mut exprs {
            self.visit_expr_mut(e);
        }
        Some(quote!(#exprs))
    }
}

impl VisitMut for AtF64 {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if is_param(ty, &self.param) {
            let span = self.param.span();
            *ty = syn::parse_quote_spanned!(span=> f64);
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }

    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Call(call) = e {
            if let Some(c) = self.constant(call) {
                *e = c;
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        // `S::sin(x)` is `f64::sin(x)`.
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            if let Some(first) = path.segments.first_mut() {
                if first.ident == self.param && first.arguments.is_empty() {
                    first.ident = syn::Ident::new("f64", first.ident.span());
                }
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if let Some(tokens) = self.macro_tokens(&mac.tokens) {
            mac.tokens = tokens;
        }
    }
}
