//! Whole-array assignment of fixed-size arrays, `u = rk4(u, h, p);`, `u = v;`, `u = [..];`: the
//! new value is made first (a call's result or a constructor into a temporary), then copied into
//! `u` element by element, the loop one would write by hand. Its derivative is that loop's, and
//! `u` keeps its identity, so the assignment may sit in a loop or a branch.
//!
//! Before: `u = rk4(u, h, p);`
//! After:  `let __whole = call rk4(u, h, p); for __i in 0..u.len() { u[__i] = __whole[__i] }`
//!
//! A row of an array of arrays that carries derivatives (held flat, `K` reals a row),
//! `y[k] = [a, b, c];`, `y[k] = [c; K];`, `y[k] = r;` (`r: [f64; K]`), is its elements: the
//! values are all computed first (the right side may read the row), then written.
//!
//! Before: `y[k] = [y[k][1], y[k][0], 0.5];`
//! After:  `let __k = k; let __row = y[3 * __k + 1]; let __row1 = y[3 * __k + 0];`
//!         `let __row2 = 0.5; y[3 * __k + 0] = __row; y[3 * __k + 1] = __row1; ..`
//!
//! The user's function is compiled as written, so rustc has checked that both sides of a
//! fixed-size array's assignment are arrays of one length. A `Vec` assigned whole, `x =
//! step(&x);`, may change its length, which the arrays of the derivative code cannot follow:
//! the lengths are compared first (`__tl::kept_len`), and a new length panics saying so.

use super::iter::int_lit;
use super::*;

impl Lowerer<'_> {
    /// The real array `e` names, when it is one assigned whole.
    pub(super) fn whole_array_target(&self, e: &syn::Expr) -> Option<VarId> {
        self.path_var(e)
            .filter(|&v| matches!(self.kind(v), Kind::RealArray(_)))
    }

    /// `u = value;` of a whole real array `u`.
    pub(super) fn whole_array_assign(
        &mut self,
        a: &syn::ExprAssign,
        block: &mut Block,
    ) -> syn::Result<()> {
        let target = self.var_of(&a.left)?;
        let shown = self.shown(target);
        match self.kind(target) {
            Kind::RealArray(ArrayRepr::Array(_) | ArrayRepr::Vec) => {}
            _ => return err_at(&a.left, format!(
                "`{shown}` is a slice: copy the elements, `for i in 0..{shown}.len() {{ {shown}[i] = v[i]; }}`"
            )),
        }
        let span = a.span();
        let source = self.whole_source(&a.right, target, block)?;
        if source == target {
            return Ok(());
        }
        self.vars[target].mutable = true;
        let len = Expr {
            op: Op::Len(target),
            kind: Kind::Int,
            span,
        };
        let end = if self.kind(target) == &Kind::RealArray(ArrayRepr::Vec) {
            // A `Vec` keeps its length: a new one panics, saying so (`__tl::kept_len`).
            let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::kept_len);
            let src_len = Expr {
                op: Op::Len(source),
                kind: Kind::Int,
                span,
            };
            let checked = Expr {
                op: Op::ConstCall(path, vec![len, src_len]),
                kind: Kind::Int,
                span,
            };
            self.evaluated_once(checked, "len", block)
        } else {
            len
        };
        let counter = self.temp("i", Kind::Int, span);
        let i = || var_expr(counter, Kind::Int, span);
        let body = Block {
            stmts: vec![Stmt::Assign {
                place: Place::Index(target, i()),
                value: Expr {
                    op: Op::Index(source, Box::new(i())),
                    kind: Kind::Real,
                    span,
                },
                span,
            }],
        };
        block.stmts.push(Stmt::For {
            var: counter,
            range: Range {
                start: int_lit(0, span),
                end,
                inclusive: false,
                adaptors: Vec::new(),
            },
            body,
            span,
        });
        Ok(())
    }

    /// The array holding the value assigned to `target`: an array variable, or a temporary bound
    /// to a differentiable call's result or to an array constructor.
    fn whole_source(
        &mut self,
        e: &syn::Expr,
        target: VarId,
        block: &mut Block,
    ) -> syn::Result<VarId> {
        let kind = self.kind(target).clone();
        if let Some(v) = self.path_var(e) {
            if matches!(self.kind(v), Kind::RealArray(_)) {
                return Ok(v);
            }
            if self.untyped_results.contains(&v) {
                return err_at(e, format!("`{0}` holds the result of a call, taken to be `f64`; write its type: `let {0}: [f64; N] = ...`", self.shown(v)));
            }
            return err_at(
                e,
                format!("`{}` is an array: assign it an array", self.shown(target)),
            );
        }
        if let syn::Expr::Call(call) = strip_paren(e) {
            if self.is_differentiable_call(call) {
                let args = self.call_args(call, block)?;
                let callee = self.callee_path(call)?;
                // An array of arrays held flat gets the callee's rows flat too.
                let kind = match self.rows_var_id(target) {
                    true => Kind::RealArray(ArrayRepr::Vec),
                    false => kind,
                };
                let t = self.temp("whole", kind, call.span());
                self.rows_like(t, target);
                self.push_call(call, (callee, args), t, block);
                return Ok(t);
            }
        }
        // `u = u.iter().zip(&k).map(|(a, b)| a + h * b).collect();`: collected into a
        // temporary first (the chain may read `u`), then copied.
        if let Some(collected) = self.collected_result(e, block)? {
            let Op::Var(t) = collected.op else {
                unreachable!("collected into a temporary")
            };
            return Ok(t);
        }
        match self.array_init(e, block)? {
            Some(init) => {
                let t = self.temp("whole", kind, e.span());
                block.stmts.push(Stmt::Let {
                    var: t,
                    init,
                    span: e.span(),
                });
                Ok(t)
            }
            None => err_at(e, format!("assign `{}` an array variable, the result of a differentiable call, or `[..]`; or assign its elements in a loop", self.shown(target))),
        }
    }
}

impl Lowerer<'_> {
    /// The array of arrays held flat whose row `e` is, `y` of `y[k]`.
    pub(super) fn whole_row_target(&self, e: &syn::Expr) -> Option<VarId> {
        match strip_paren(e) {
            syn::Expr::Index(ix) if !matches!(&*ix.index, syn::Expr::Range(_)) => {
                self.path_var(&ix.expr).filter(|&v| self.rows_var_id(v))
            }
            _ => None,
        }
    }

    /// `y[k] = [..];`, `y[k] = [c; K];` or `y[k] = r;` of a row of an array of arrays held flat.
    pub(super) fn whole_row_assign(
        &mut self,
        a: &syn::ExprAssign,
        block: &mut Block,
    ) -> syn::Result<()> {
        let syn::Expr::Index(ix) = strip_paren(&a.left) else {
            return err_at(&a.left, "expected a row, `y[k]`");
        };
        let y = self.var_of(&ix.expr)?;
        if self.kind(y) == &Kind::RealArray(ArrayRepr::Slice) {
            return err_at(
                &ix.expr,
                format!(
                    "`{}` is read only: take it as `&mut [[f64; K]]` to write into it",
                    self.shown(y)
                ),
            );
        }
        let k = self.index_expr(&ix.index, block)?;
        let k = self.evaluated_once(k, "k", block);
        let values = self.row_values(y, &a.right, block)?;
        self.vars[y].mutable = true;
        let span = a.span();
        for (j, value) in values.into_iter().enumerate() {
            let j = int_lit(j, span);
            let index = self.row_index(y, k.clone(), j.clone(), &ix.index)?;
            block.stmts.push(Stmt::Assign {
                place: Place::Index(y, index),
                value,
                span,
            });
        }
        Ok(())
    }

    /// The `K` values of a row assigned to `y[k]`, each bound to a temporary before any is
    /// written.
    fn row_values(&mut self, y: VarId, e: &syn::Expr, block: &mut Block) -> syn::Result<Vec<Expr>> {
        let advice = || {
            format!(
                "assign a row of `{}` an array of its length, `[a, b, c]` or `[c; K]`, or a `[f64; K]` variable (bind a call's result first, `let r: [f64; K] = f(..);`); or assign its elements, `{0}[k][j] = ..`",
                self.shown(y)
            )
        };
        let width = match &self.rows[&y].op {
            Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse::<usize>().ok(),
            _ => None,
        };
        let Some(width) = width else {
            return err_at(
                e,
                format!("the length of the rows is not a literal here: {}", advice()),
            );
        };
        let elems: Vec<syn::Expr> = match strip_paren(e) {
            syn::Expr::Array(arr) => arr.elems.iter().cloned().collect(),
            syn::Expr::Repeat(r) => vec![(*r.expr).clone(); width],
            other => match self.path_var(other) {
                Some(r)
                    if matches!(self.kind(r), Kind::RealArray(ArrayRepr::Array(n))
                        if n.0.to_string() == width.to_string()) =>
                {
                    let span = other.span();
                    let values = (0..width)
                        .map(|j| Expr {
                            op: Op::Index(r, Box::new(int_lit(j, span))),
                            kind: Kind::Real,
                            span,
                        })
                        .collect();
                    return Ok(self.bound_first(values, block));
                }
                _ => return err_at(other, advice()),
            },
        };
        if elems.len() != width {
            return err_at(
                e,
                format!(
                    "the rows of `{}` have {width} elements and this array {}",
                    self.shown(y),
                    elems.len()
                ),
            );
        }
        let mut values = Vec::with_capacity(width);
        for el in &elems {
            let v = self.expr(el, block)?;
            values.push(self.coerce_real(v)?);
        }
        Ok(self.bound_first(values, block))
    }

    /// Each of `values` bound to a temporary of its own, in order.
    fn bound_first(&mut self, values: Vec<Expr>, block: &mut Block) -> Vec<Expr> {
        values
            .into_iter()
            .map(|v| {
                let span = v.span;
                let t = self.temp("row", Kind::Real, span);
                block.stmts.push(Stmt::Let {
                    var: t,
                    init: Init::Expr(v),
                    span,
                });
                var_expr(t, Kind::Real, span)
            })
            .collect()
    }
}
