//! `if let Some(v) = x.last() { .. } else { .. }` (also `x.first()`, and `Some(&v)`) of an array
//! of reals: a test of the length and the element read in the branch,
//!
//! ```text
//! if x.len() > 0 { let at = x.len() - 1; (v stands for x[at]) .. } else { .. }
//! ```
//!
//! `v` stands for the element as an iterator's item does (read as `v`, `*v`); `Some(&v)` binds a
//! copy. The index is bound once, so a push onto `x` in the branch does not move it.

use super::iter::{int_bin, int_lit, Alias};
use super::*;

impl Lowerer<'_> {
    /// The `if` of `i`, whose condition is `l`, when it has the form above; `None` otherwise.
    pub(super) fn if_let_end(
        &mut self,
        i: &syn::ExprIf,
        l: &syn::ExprLet,
        target: Option<VarId>,
    ) -> Option<syn::Result<Stmt>> {
        let syn::Pat::TupleStruct(some) = &*l.pat else {
            return None;
        };
        if !some.path.is_ident("Some") || some.elems.len() != 1 {
            return None;
        }
        let (binding, by_ref) = match &some.elems[0] {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => (&p.ident, true),
            syn::Pat::Reference(r) => match &*r.pat {
                syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => (&p.ident, false),
                _ => return None,
            },
            _ => return None,
        };
        let syn::Expr::MethodCall(mc) = strip_paren(&l.expr) else {
            return None;
        };
        let last = match mc.method.to_string().as_str() {
            "last" => true,
            "first" => false,
            _ => return None,
        };
        let array = self.path_var(&mc.receiver)?;
        let plain = matches!(self.kind(array), Kind::RealArray(_))
            && self.alias(array).is_none()
            && !self.rows.contains_key(&array);
        if !mc.args.is_empty() || !plain {
            return None;
        }
        let span = l.span();
        let len = || Expr {
            op: Op::Len(array),
            kind: Kind::Int,
            span,
        };
        let cond = Expr {
            op: Op::Binary(Binary::Gt, Box::new(len()), Box::new(int_lit(0, span))),
            kind: Kind::Bool,
            span,
        };
        let mut then = Block::default();
        let at = self.temp("at", Kind::Int, span);
        then.stmts.push(Stmt::Let {
            var: at,
            init: Init::Expr(if last {
                int_bin(Binary::Sub, len(), int_lit(1, span))
            } else {
                int_lit(0, span)
            }),
            span,
        });
        let index = var_expr(at, Kind::Int, span);
        self.scopes.push(HashMap::new());
        let v = self.new_var(&name_of(binding), Kind::Real, false, binding.span());
        if by_ref {
            let alias = Alias::Elem {
                array,
                index,
                writable: false,
            };
            self.aliases.insert(v, alias);
        } else {
            then.stmts.push(Stmt::Let {
                var: v,
                init: Init::Expr(Expr {
                    op: Op::Index(array, Box::new(index)),
                    kind: Kind::Real,
                    span,
                }),
                span,
            });
        }
        let body = self.branch(&i.then_branch.stmts, i.then_branch.span(), target);
        self.scopes.pop();
        let els = self.else_block(i, target);
        Some((|| {
            then.stmts.extend(body?.stmts);
            Ok(Stmt::If {
                cond,
                then,
                els: els?,
                span: i.span(),
            })
        })())
    }
}
