//! Whole-array assignment of fixed-size arrays, `u = rk4(u, h, p);`, `u = v;`, `u = [..];`: the
//! new value is made first (a call's result or a constructor into a temporary), then copied into
//! `u` element by element, the loop one would write by hand. Its derivative is that loop's, and
//! `u` keeps its identity, so the assignment may sit in a loop or a branch.
//!
//! Before: `u = rk4(u, h, p);`
//! After:  `let __whole = call rk4(u, h, p); for __i in 0..u.len() { u[__i] = __whole[__i] }`
//!
//! The user's function is compiled as written, so rustc has checked that both sides are arrays
//! of one length. A `Vec` assigned whole may change its length, which the arrays of the
//! derivative code cannot follow: it stays refused.

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
            Kind::RealArray(ArrayRepr::Array(_)) => {}
            Kind::RealArray(ArrayRepr::Vec) => return err_at(a, format!(
                "assigning a whole `Vec` is not supported, since it may change its length; copy the elements, `for i in 0..{shown}.len() {{ {shown}[i] = v[i]; }}`, or use a fixed-size array `[f64; N]`"
            )),
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
                end: Expr {
                    op: Op::Len(target),
                    kind: Kind::Int,
                    span,
                },
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
                block.stmts.push(Stmt::Call(Call {
                    callee,
                    args,
                    results: vec![t],
                    tuple: false,
                    arg_spans: super::call::arg_spans(call),
                    span: call.span(),
                }));
                return Ok(t);
            }
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
