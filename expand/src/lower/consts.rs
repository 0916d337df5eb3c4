//! `const` items inside the function (`const N: usize = 40; const C: f64 = 0.5;`). The
//! companions are other functions, which cannot see the user's body, so a constant is brought to
//! each use: in an expression, its value is lowered in its place (with its type: `(40 as
//! usize)`, `0.5`); in the tokens of a type or an array length (`[f64; N]`, `[0.0; N]`), the name
//! becomes a block holding the constants it needs, `{ const N: usize = 40; N }`, which rustc
//! evaluates as it does the user's.

use super::*;
use proc_macro2::{Group, TokenStream, TokenTree};

impl Lowerer<'_> {
    /// Records the `const` items among `stmts` (an item is visible in its whole block, also
    /// before it).
    pub(super) fn collect_consts(&mut self, stmts: &[syn::Stmt]) {
        for s in stmts {
            if let syn::Stmt::Item(syn::Item::Const(c)) = s {
                self.consts.insert(name_of(&c.ident), c.clone());
            }
        }
    }

    /// A `const` item as a statement: checked, and lowered where it is used.
    pub(super) fn const_item(&mut self, c: &syn::ItemConst) -> syn::Result<()> {
        if !c.generics.params.is_empty() {
            return err_at(&c.generics, "remove the generic parameters of this `const`");
        }
        if let syn::Type::Array(a) = strip_type_group(&c.ty) {
            if is_ident(&a.elem, "f64") {
                // Bound as an array at the start of the block (see `rest`), when written out.
                return match strip_paren(&c.expr) {
                    syn::Expr::Array(_) | syn::Expr::Repeat(_) => Ok(()),
                    other => err_at(other, "write the value of an array `const` out, `[0.5, 1.0, 2.0]` or `[0.0; N]`, or move the `const` outside the function"),
                };
            }
        }
        if const_kind(&c.ty).is_none() {
            return err_at(
                &c.ty,
                "a `const` inside a differentiable function is supported of type `f64`, `[f64; N]`, an integer type or `bool`; move this one outside the function",
            );
        }
        Ok(())
    }

    /// The value of the constant `c` where it is used (`span`).
    pub(super) fn local_const(&mut self, c: &syn::ItemConst, span: Span) -> syn::Result<Expr> {
        let name = name_of(&c.ident);
        let Some(kind) = const_kind(&c.ty) else {
            return err(span, format!("`{name}` is a constant of a type the function cannot use; move it outside the function"));
        };
        if self.resolving.contains(&name) {
            return err_at(&c.ident, format!("the value of `{name}` depends on itself"));
        }
        self.resolving.push(name);
        let mut probe = Block::default();
        let value = self.expr(&c.expr, &mut probe);
        self.resolving.pop();
        let value = value?;
        if !probe.stmts.is_empty() {
            return err_at(
                &c.expr,
                "the value of a `const` cannot call a differentiable function",
            );
        }
        let value = match kind {
            Kind::Real => self.coerce_real(value)?,
            Kind::Int => Expr {
                op: Op::Cast(Box::new(value), (*c.ty).clone()),
                kind: Kind::Int,
                span,
            },
            _ => value,
        };
        Ok(Expr { span, ..value })
    }

    /// `tokens` with every name of a constant of the function replaced by a block that defines
    /// it (and the constants its value names) and gives it: for types and array lengths.
    pub(super) fn with_consts(&self, tokens: TokenStream) -> TokenStream {
        if self.consts.is_empty() {
            return tokens;
        }
        // A name after `::` is another item's (`m::N`), not the function's constant.
        let mut after_path_separator = false;
        tokens
            .into_iter()
            .map(|t| {
                let in_path = std::mem::replace(
                    &mut after_path_separator,
                    matches!(&t, TokenTree::Punct(p) if p.as_char() == ':'),
                );
                (t, in_path)
            })
            .map(|(t, in_path)| match t {
                TokenTree::Ident(i) if !in_path && self.consts.contains_key(&name_of(&i)) => {
                    let items = self.needed_consts(&name_of(&i));
                    let mut g = Group::new(
                        proc_macro2::Delimiter::Brace,
                        quote::quote_spanned!(i.span()=> #(#items)* #i),
                    );
                    g.set_span(i.span());
                    TokenTree::Group(g)
                }
                TokenTree::Group(g) => {
                    let mut inner = Group::new(g.delimiter(), self.with_consts(g.stream()));
                    inner.set_span(g.span());
                    TokenTree::Group(inner)
                }
                t => t,
            })
            .collect()
    }

    /// `ty` with the constants of the function brought in, see [`Lowerer::with_consts`].
    pub(super) fn type_with_consts(&self, ty: &syn::Type) -> syn::Type {
        if self.consts.is_empty() {
            return ty.clone();
        }
        syn::parse2(self.with_consts(ty.to_token_stream())).unwrap_or_else(|_| ty.clone())
    }

    /// The constant `name` and every constant of the function its value names, transitively.
    fn needed_consts(&self, name: &str) -> Vec<&syn::ItemConst> {
        let mut names = vec![name.to_string()];
        let mut k = 0;
        while k < names.len() {
            if let Some(c) = self.consts.get(&names[k]) {
                let mut found = Vec::new();
                idents_in(c.expr.to_token_stream(), &mut found);
                for n in found {
                    if self.consts.contains_key(&n) && !names.contains(&n) {
                        names.push(n);
                    }
                }
            }
            k += 1;
        }
        names.iter().filter_map(|n| self.consts.get(n)).collect()
    }

    /// Whether `tokens` name a constant of the function.
    pub(super) fn names_local_const(&self, tokens: TokenStream) -> Option<syn::Ident> {
        let mut found = Vec::new();
        idents_with_spans(tokens, &mut found);
        found
            .into_iter()
            .find(|i| self.consts.contains_key(&name_of(i)))
    }
}

/// The kind of a constant of type `ty`, when the function can use it.
fn const_kind(ty: &syn::Type) -> Option<Kind> {
    if is_ident(ty, "f64") {
        Some(Kind::Real)
    } else if is_int_type(ty) {
        Some(Kind::Int)
    } else if is_ident(ty, "bool") {
        Some(Kind::Bool)
    } else {
        None
    }
}

fn idents_in(tokens: TokenStream, out: &mut Vec<String>) {
    let mut found = Vec::new();
    idents_with_spans(tokens, &mut found);
    out.extend(found.iter().map(name_of));
}

fn idents_with_spans(tokens: TokenStream, out: &mut Vec<syn::Ident>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i),
            TokenTree::Group(g) => idents_with_spans(g.stream(), out),
            _ => {}
        }
    }
}
