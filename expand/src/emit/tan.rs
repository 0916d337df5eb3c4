//! The tangent IR printed as Rust: one statement of [`TanStmt`] at a time, in the scalar type
//! `S`, with the names of the emitter. The printer keeps no state of its own; every tangent was
//! built by the tangent transform.

use super::Emitter;
use crate::ir::tan::{TanStmt, Tangent};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

impl Emitter<'_> {
    /// Statements of the tangent IR as Rust statements.
    pub fn tan_stmts(&self, stmts: &[TanStmt]) -> TokenStream {
        stmts.iter().map(|s| self.tan_stmt(s)).collect()
    }

    /// The tail of `f_jvp`: the value, or `(value, tangent)` given the tangents of the result's
    /// parts.
    pub fn tan_tail(&self, result: Option<&[TokenStream]>) -> TokenStream {
        let value = self.result_value();
        let Some(dots) = result else {
            return value;
        };
        let dot = if self.f.ret.tuple {
            quote!((#(#dots,)*))
        } else {
            quote!(#(#dots)*)
        };
        // Tangents first: the values may move arrays out.
        quote!(let __dot = #dot; (#value, __dot))
    }

    /// The tangent of a peeled stencil loop's interior statement `s` (its indices written
    /// without `%`): what the tangent transform gives an assignment, the tangent first, then
    /// the value, printed.
    fn plain_tangent(&self, s: &Stmt) -> TokenStream {
        let Stmt::Assign { place, value, .. } = s else {
            return TokenStream::new();
        };
        let v = self.primal(value);
        let p = self.write(place, v, proc_macro2::Span::call_site());
        if !self.is_active(place.var()) {
            return p;
        }
        let t = crate::transform::tangent::expr(self, value).unwrap_or_else(|| self.zero());
        let d = match place {
            Place::Var(x) => {
                let d = self.dot(*x);
                quote!(#d = #t;)
            }
            Place::Index(x, i) => {
                let (d, i) = (self.dot(*x), self.primal(i));
                quote!(#d[#i] = #t;)
            }
            Place::Push(x, _) => {
                let d = self.dot(*x);
                quote!(#d.push(#t);)
            }
        };
        quote!(#d #p)
    }

    fn tan_stmt(&self, s: &TanStmt) -> TokenStream {
        let rt = &self.rt;
        match s {
            TanStmt::Let { var, init, .. } => {
                let (b, i) = (self.binding(*var), self.init(init));
                quote!(let #b = #i;)
            }
            TanStmt::Assign { place, value, .. } => {
                let v = self.primal(value);
                self.write(place, v, proc_macro2::Span::call_site())
            }
            TanStmt::Call { call, .. } => self.call_stmt(call),
            TanStmt::Assert { assert, .. } => self.assert(assert),
            TanStmt::LetDot {
                var,
                mutable,
                value: Tangent { tokens, .. },
            } => {
                let d = self.dot(*var);
                let m = mutable.then(|| quote!(mut));
                quote!(let #m #d = #tokens;)
            }
            TanStmt::SetDot {
                place,
                value: Tangent { tokens, .. },
            } => match place {
                Place::Var(v) => {
                    let d = self.dot(*v);
                    quote!(#d = #tokens;)
                }
                Place::Index(v, i) => {
                    let (d, i) = (self.dot(*v), self.primal(i));
                    quote!(#d[#i] = #tokens;)
                }
                Place::Push(v, _) => {
                    let d = self.dot(*v);
                    quote!(#d.push(#tokens);)
                }
            },
            TanStmt::ZeroDot(v) => {
                let (d, n) = (self.dot(*v), self.name(*v));
                quote!(let mut #d = #rt::zeros_like(&#n);)
            }
            TanStmt::JvpCall { call: c, args, .. } => {
                let callee = self.companion(&c.callee, self.jvp_of(c));
                if c.results.is_empty() {
                    quote_spanned!(c.span=> #callee(#(#args),*);)
                } else {
                    let values = self.call_results(c, |r| self.name(r));
                    let dots = self.call_results(c, |r| self.dot(r));
                    let value = self.rows_call_value(c, quote!(#callee(#(#args),*)));
                    quote_spanned!(c.span=> let (#values, #dots) = #value;)
                }
            }
            TanStmt::For {
                var,
                range,
                body,
                primal,
                ..
            } => {
                let (i, r, body) = (self.name(*var), self.range(range), self.tan_stmts(body));
                let plain = |s: &Stmt| self.plain_tangent(s);
                let peeled = crate::transform::adjoint::peeled(
                    self,
                    *var,
                    range,
                    primal,
                    &|| body.clone(),
                    plain,
                );
                peeled.unwrap_or_else(|| quote!(for #i in #r { #body }))
            }
            TanStmt::While { cond, body, .. } => {
                let (c, body) = (self.primal(cond), self.tan_stmts(body));
                quote!(while #c { #body })
            }
            TanStmt::If {
                cond, then, els, ..
            } => {
                let (c, t, e) = (self.primal(cond), self.tan_stmts(then), self.tan_stmts(els));
                quote!(if #c { #t } else { #e })
            }
        }
    }
}
