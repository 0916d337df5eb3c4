//! Field chains inside a macro's tokens (`assert!(p.n > 0)`, `vec![p.x0; n]`), which `syn`
//! does not parse as expressions.

use super::{Collector, Use};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

impl Collector {
    /// Field chains inside a macro's tokens (`assert!(p.n > 0)`, `vec![p.x0; n]`).
    pub(super) fn tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::new();
        let mut i = 0;
        while i < tts.len() {
            if let TokenTree::Ident(id) = &tts[i] {
                let prev_dot =
                    matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '.');
                if !prev_dot && self.roots.iter().any(|r| id == r) {
                    // Collect `. ident` pairs.
                    let mut j = i + 1;
                    let mut text = id.to_string();
                    while j + 1 < tts.len() {
                        match (&tts[j], &tts[j + 1]) {
                            (TokenTree::Punct(p), TokenTree::Ident(m)) if p.as_char() == '.' => {
                                text.push('.');
                                text.push_str(&m.to_string());
                                j += 2;
                            }
                            _ => break,
                        }
                    }
                    // A trailing `(` makes the last member a method call.
                    let call = matches!(tts.get(j), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                    if call && j > i + 1 {
                        j -= 2;
                        text.truncate(text.rfind('.').unwrap_or(text.len()));
                    }
                    if j > i + 1 {
                        if let Ok(mut e) = syn::parse_str::<syn::Expr>(&text) {
                            super::super::scalar_writes::set_span(&mut e, id.span());
                            if self.leaf(&mut e, Use::Real, false) {
                                out.extend(e.to_token_stream());
                                i = j;
                                continue;
                            }
                        }
                    }
                }
            }
            match &tts[i] {
                TokenTree::Group(g) => {
                    let mut ng = proc_macro2::Group::new(g.delimiter(), self.tokens(g.stream()));
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                }
                tt => out.push(tt.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }
}
