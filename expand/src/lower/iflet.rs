//! `if let Some(v) = x.last() { .. } else { .. }` (also `x.first()`, and `Some(&v)`) of an array
//! of reals: a test of the length and the element read in the branch,
//!
//! ```text
//! if x.len() > 0 { let at = x.len() - 1; (v stands for x[at]) .. } else { .. }
//! ```
//!
//! `v` stands for the element as an iterator's item does (read as `v`, `*v`); `Some(&v)` binds a
//! copy. The index is bound once, so a push onto `x` in the branch does not move it.
//!
//! Of an array of arrays seen flat (`traj: Vec<[f64; K]>` grown by `push`, a rows parameter),
//! the test counts rows and `r` of `Some(r)` is the row as a row of `for r in traj` is (a window
//! read `r[j]`), `Some(&r)` a copy `[f64; K]`. Of data outside `wrt(..)` (rows `&[[f64; K]]`,
//! tuples `&[(usize, f64)]`, integers), the pattern binds as a `for` loop's over the data does
//! (`Some(&[t, y])`, `Some(&(k, y))`).

use super::iter::{int_bin, int_lit, Alias, Item};
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
        let inner = &some.elems[0];
        let syn::Expr::MethodCall(mc) = strip_paren(&l.expr) else {
            return None;
        };
        let last = match mc.method.to_string().as_str() {
            "last" => true,
            "first" => false,
            _ => return None,
        };
        let array = self.path_var(&mc.receiver)?;
        let rows = self.rows.get(&array).cloned();
        // Data outside `wrt(..)` (rows `&[[f64; K]]`, tuples, integers) binds as `for` does.
        let data = self.kind(array) == &Kind::Opaque;
        let plain = matches!(self.kind(array), Kind::RealArray(_)) || data;
        if !mc.args.is_empty() || !plain || self.alias(array).is_some() {
            return None;
        }
        let binding = match inner {
            _ if data => None,
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                Some((&p.ident, true))
            }
            syn::Pat::Reference(r) => match &*r.pat {
                syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    Some((&p.ident, false))
                }
                _ => return None,
            },
            _ => return None,
        };
        let span = l.span();
        // A `Vec` of rows seen flat (`traj: Vec<[f64; K]>`) counts its rows.
        let count = self.rows_len(array, span).unwrap_or(Expr {
            op: Op::Len(array),
            kind: Kind::Int,
            span,
        });
        let len = || count.clone();
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
        let bound = match (binding, rows) {
            (None, _) => {
                let item = Item::Elem {
                    array,
                    index,
                    writable: false,
                };
                self.bind(inner, item, &mut None, &mut then)
            }
            (Some((binding, by_ref)), Some(_)) => {
                self.bind_end_row(binding, by_ref, array, index, l, &mut then)
            }
            (Some((binding, by_ref)), None) => {
                self.bind_end_elem(binding, by_ref, array, index, span, &mut then);
                Ok(())
            }
        };
        if let Err(e) = bound {
            self.scopes.pop();
            return Some(Err(e));
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

    /// `v` of `Some(v)` (`by_ref`) or `Some(&v)` bound to the element `array[index]`.
    fn bind_end_elem(
        &mut self,
        binding: &syn::Ident,
        by_ref: bool,
        array: VarId,
        index: Expr,
        span: Span,
        then: &mut Block,
    ) {
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
    }

    /// `r` of `Some(r)` (`by_ref`: the row, read `r[j]`, as a row of `for r in traj`) or
    /// `Some(&r)` (a copy, `[f64; K]`) bound to the row `index` of `array`, an array of arrays
    /// seen flat.
    fn bind_end_row(
        &mut self,
        binding: &syn::Ident,
        by_ref: bool,
        array: VarId,
        index: Expr,
        l: &syn::ExprLet,
        then: &mut Block,
    ) -> syn::Result<()> {
        let size = self.rows[&array].clone();
        if !by_ref {
            return self.row_copy(binding, array, index, &l.expr, l.span(), then);
        }
        let kind = Kind::RealArray(ArrayRepr::Slice);
        let v = self.new_var(&name_of(binding), kind, false, binding.span());
        let start = int_bin(Binary::Mul, size.clone(), index);
        self.aliases.insert(
            v,
            Alias::Window {
                array,
                start,
                len: size,
            },
        );
        Ok(())
    }
}
