//! `while let Some(k) = next(k) { .. }`: a loop over values of data, the derivative along the
//! path taken.
//!
//! The scrutinee is data, whose value carries no derivative: a call of a function of integers
//! and data that is not annotated (`next_cell(k, n)`, a search, a schedule), or an `Option` data
//! parameter. The pattern is `Some(b)`, `b` a name or `_`; `b` is bound to the value as
//! `if let Some(w) = weight` binds it (see [`super::options`]): a real of an `Option<f64>`
//! parameter lifted into the scalar type, any other value as written. The loop is a `while`
//! whose condition tests a flag raised where the scrutinee is `None`, so its trips are counted
//! for the reverse sweep as every `while`'s are (see [`super::loops`]); `break`, `continue` and
//! `return` in its body leave it as they leave a `while`.
//!
//! Before: `let mut k = 0; while let Some(j) = next(k, n) { s = s * x[j]; k = j; }`
//! After:  `let mut k = 0; let mut __ended = false;`
//!         `while !__ended { let __next = next(k, n);`
//!         `    if matches!(__next, Some(_)) { let j = __next.unwrap(); s = s * x[j]; k = j; }`
//!         `    else { __ended = true; } }`
//!
//! Refused, saying what to write: a `Vec` shortened by `pop` (lengths here only grow), a
//! scrutinee that may carry a derivative, and any other pattern.

use super::*;

const PATTERN: &str =
    "write `while let Some(k) = ..` with a name or `_` inside `Some`; test a condition with `while` otherwise";
const DATA: &str = "`while let` tests data, whose value carries no derivative: `while let Some(k) = next(k)` of a function of integers that is not annotated, or of an `Option` parameter outside `wrt(..)`; for a real that carries a derivative test a condition, `while r > tol { .. }`";
const POP: &str = "`while let Some(v) = stack.pop()` is not supported (a `Vec` here only grows); visit the elements backwards, `for v in stack.iter().rev()`, or count down, `while n > 0 { n -= 1; let v = stack[n]; .. }`";

impl Lowerer<'_> {
    /// `while let pat = scrutinee { body }` (`l` is the condition), as above.
    pub(super) fn while_let(
        &mut self,
        w: &syn::ExprWhile,
        l: &syn::ExprLet,
        block: &mut Block,
    ) -> syn::Result<()> {
        let binding = some_binding(&l.pat)?;
        if let syn::Expr::MethodCall(mc) = strip_paren(&l.expr) {
            if mc.method == "pop" {
                return err_at(&l.expr, POP);
            }
        }
        let span = w.span();
        let inner = self.option_var(&l.expr).map(|(_, inner)| inner);
        let mut pre = Block::default();
        self.no_hoist += 1;
        let scrutinee = self.expr(&l.expr, &mut pre);
        self.no_hoist -= 1;
        let scrutinee = scrutinee?;
        if !pre.stmts.is_empty() || scrutinee.kind.is_real() {
            return err_at(&l.expr, DATA);
        }
        let ended = self.flag("ended", span, block);
        let next = self.temp("next", Kind::Opaque, l.expr.span());
        self.scopes.push(HashMap::new());
        let mut prefix = Block::default();
        if let Some(b) = binding {
            let bspan = b.ident.span();
            let (kind, value) = match &inner {
                Some(inner) => (inner.clone(), self.option_value(next, inner, bspan)),
                None => (
                    Kind::Opaque,
                    Expr {
                        op: Op::Method(
                            Box::new(var_expr(next, Kind::Opaque, bspan)),
                            syn::Ident::new("unwrap", bspan),
                            Vec::new(),
                        ),
                        kind: Kind::Opaque,
                        span: bspan,
                    },
                ),
            };
            let mutable = b.mutability.is_some();
            let v = self.new_var(&name_of(&b.ident), kind, mutable, bspan);
            prefix.stmts.push(Stmt::Let {
                var: v,
                init: Init::Expr(value),
                span: bspan,
            });
        }
        let (then, exit) = self.loop_body(w.label.as_ref(), &w.body.stmts, prefix, span, block);
        self.scopes.pop();
        let yes = Expr {
            op: Op::Lit(Literal::Other(syn::Lit::Bool(syn::LitBool::new(
                true, span,
            )))),
            kind: Kind::Bool,
            span,
        };
        let body = Block {
            stmts: vec![
                Stmt::Let {
                    var: next,
                    init: Init::Expr(scrutinee),
                    span,
                },
                Stmt::If {
                    cond: self.option_test(next, &l.pat),
                    then,
                    els: Block {
                        stmts: vec![Stmt::Assign {
                            place: Place::Var(ended),
                            value: yes,
                            span,
                        }],
                    },
                    span,
                },
            ],
        };
        let cond = not(var_expr(ended, Kind::Bool, span));
        self.push_while(Some(cond), exit, body, span, block)
    }
}

/// The name `b` of `Some(b)` (`None` for `Some(_)`): an error for any other pattern.
fn some_binding(pat: &syn::Pat) -> syn::Result<Option<&syn::PatIdent>> {
    let syn::Pat::TupleStruct(ts) = pat else {
        return err_at(pat, PATTERN);
    };
    let is_some = ts.path.segments.last().is_some_and(|s| s.ident == "Some");
    if !is_some || ts.elems.len() != 1 || ts.qself.is_some() {
        return err_at(pat, PATTERN);
    }
    match &ts.elems[0] {
        syn::Pat::Wild(_) => Ok(None),
        syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Ok(Some(p)),
        other => err_at(other, PATTERN),
    }
}
