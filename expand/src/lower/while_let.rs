//! `while let Some(k) = next(k) { .. }`: a loop over values of data, the derivative along the
//! path taken.
//!
//! The scrutinee is data, whose value carries no derivative: a call of a function of integers
//! and data that is not annotated (`next_cell(k, n)`, a search, a schedule), or an `Option` data
//! parameter. The pattern is `Some(b)`, `b` a name or `_`; `b` is bound to the value as
//! `if let Some(w) = weight` binds it (see [`super::options`]): a real of an `Option<f64>`
//! parameter lifted into the scalar type; otherwise an integer where the body reads it as one
//! (an index, a range's bound, assigned to an integer: `x[j]`, `k = j;`), so that it is passed
//! to calls as an integer, and data as written elsewhere (a step size `h` of a schedule). The loop is a `while`
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
use syn::visit;

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
            let int = Kind::Int;
            let (kind, value) = match &inner {
                Some(inner) => (inner.clone(), self.option_value(next, inner, bspan)),
                None if self.read_as_integer(&name_of(&b.ident), &w.body) => (
                    int.clone(),
                    Expr {
                        op: Op::Method(
                            Box::new(var_expr(next, Kind::Opaque, bspan)),
                            syn::Ident::new("unwrap", bspan),
                            Vec::new(),
                        ),
                        kind: int,
                        span: bspan,
                    },
                ),
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

impl Lowerer<'_> {
    /// Whether `body` reads `name` as an integer: inside an index (`x[j]`, `x[(j + 1) % n]`), in
    /// a range's bound, or assigned to an integer variable (`k = j;`). Such a binding is an
    /// integer, passed to calls as one (`h_step(a, j)`); any other is data as written.
    fn read_as_integer(&self, name: &str, body: &syn::Block) -> bool {
        struct IntUse<'a, 'l> {
            name: &'a str,
            lowerer: &'a Lowerer<'l>,
            found: bool,
        }
        impl<'ast> Visit<'ast> for IntUse<'_, '_> {
            fn visit_expr_index(&mut self, e: &'ast syn::ExprIndex) {
                self.found |= mentions(&e.index, self.name);
                visit::visit_expr_index(self, e);
            }
            fn visit_expr_range(&mut self, e: &'ast syn::ExprRange) {
                let bounds = e.start.iter().chain(e.end.iter());
                self.found |= bounds.into_iter().any(|b| mentions(b, self.name));
                visit::visit_expr_range(self, e);
            }
            fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
                let to_int = self
                    .lowerer
                    .path_var(&e.left)
                    .is_some_and(|v| self.lowerer.kind(v) == &Kind::Int);
                self.found |= to_int && is_name(&e.right, self.name);
                visit::visit_expr_assign(self, e);
            }
            fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
            fn visit_item(&mut self, _: &'ast syn::Item) {}
        }
        let mut uses = IntUse {
            name,
            lowerer: self,
            found: false,
        };
        uses.visit_block(body);
        uses.found
    }
}

/// Whether `e` is the plain name `name`.
fn is_name(e: &syn::Expr, name: &str) -> bool {
    match strip_paren(e) {
        syn::Expr::Path(p) => {
            p.qself.is_none() && p.path.get_ident().is_some_and(|i| name_of(i) == name)
        }
        _ => false,
    }
}

/// Whether `e` reads the plain name `name` anywhere.
fn mentions(e: &syn::Expr, name: &str) -> bool {
    struct Mentions<'a> {
        name: &'a str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Mentions<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            let plain =
                p.qself.is_none() && p.path.get_ident().is_some_and(|i| name_of(i) == self.name);
            self.found |= plain;
        }
    }
    let mut m = Mentions { name, found: false };
    m.visit_expr(e);
    m.found
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
