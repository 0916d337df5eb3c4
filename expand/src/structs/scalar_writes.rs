//! Small rewrites of the flattened body: a written real field as a one-element slice
//! (`s__t` -> `s__t[0]`), spans of re-parsed field chains, and the methods that make a field
//! an array.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

pub(super) struct ScalarWrites(pub(super) Vec<syn::Ident>);

impl VisitMut for ScalarWrites {
    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if let syn::Expr::Path(p) = e {
            if p.qself.is_none() && self.0.iter().any(|f| p.path.is_ident(f)) {
                let span = p.span();
                *e = syn::parse_quote_spanned!(span=> #p[0]);
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        m.tokens = index_in_tokens(m.tokens.clone(), &self.0);
    }
}

fn index_in_tokens(tokens: TokenStream, names: &[syn::Ident]) -> TokenStream {
    let mut out = Vec::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let mut ng =
                    proc_macro2::Group::new(g.delimiter(), index_in_tokens(g.stream(), names));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            TokenTree::Ident(i) if names.contains(&i) => {
                let span = i.span();
                out.push(TokenTree::Ident(i));
                out.extend(quote::quote_spanned!(span=> [0]));
            }
            tt => out.push(tt),
        }
    }
    out.into_iter().collect()
}

pub(super) fn set_span(e: &mut syn::Expr, span: Span) {
    let tokens: TokenStream = e
        .to_token_stream()
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect();
    if let Ok(n) = syn::parse2(tokens) {
        *e = n;
    }
}

/// Methods of an array field that make it an array (`s.x.len()`, `s.x.iter_mut()`).
pub(super) fn is_array_method(m: &syn::Ident) -> bool {
    ["len", "iter", "iter_mut", "into_iter", "windows", "chunks"]
        .iter()
        .any(|n| m == n)
}
