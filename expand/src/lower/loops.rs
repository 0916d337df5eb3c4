//! Unbounded loops and the exits of loops: `while`, `loop`, `break`, `continue` (also labelled,
//! `break 'outer`), and `return` inside a loop, lowered to [`Stmt::While`] and bool flags
//! (`while let` over data in [`super::while_let`]).
//!
//! A loop whose body leaves it gets a flag per way out, raised where the user wrote the exit:
//! `broken` before the loop for a `break`, `continued` at the start of each iteration for a
//! `continue`, the function's `returned` for a `return`. The rest of every block after a
//! statement that may raise one is guarded by `if !flag` (as after an early `return`), and the
//! loop's condition tests the flags first, so nothing of the user's condition runs after an
//! exit. A `for` loop that may stop early becomes a `while` over a counter, so that it runs (and
//! its adjoint counts) only the iterations taken:
//!
//! Before: `for k in 0..n { x = x * 0.5; if x < tol { break; } }`
//! After:  `let mut __next = 0; let __end = n; let mut __broken = false;`
//!         `while !__broken && (__next < __end) { let k = __next; __next = __next + 1;`
//!         `    x = x * 0.5; if x < tol { __broken = true; } }`
//!
//! The condition of a loop is not differentiated: the derivative is the one along the path
//! taken, and the reverse sweep replays the counted trips (see `transform::adjoint`).

use super::*;

/// A loop being lowered: its label and the flags its exits raise.
pub(super) struct LoopCtx {
    label: Option<String>,
    broken: Option<VarId>,
    continued: Option<VarId>,
    /// The variable a `loop` that gives a value assigns at each `break value`.
    value: Option<VarId>,
}

/// Where the exits of some statements go: `(loop, is_break)` by position in the stack of
/// enclosing loops, and whether one of them returns.
#[derive(Default)]
pub(super) struct Exits {
    targets: Vec<(usize, bool)>,
    returns: bool,
}

/// Finds the `break`s, `continue`s and `return`s of some statements, resolved against the
/// labels of the enclosing loops (innermost last); exits of loops nested in the statements
/// stay inside them.
struct ExitFinder<'a> {
    enclosing: &'a [Option<String>],
    nested: Vec<Option<String>>,
    exits: Exits,
}

impl ExitFinder<'_> {
    fn exit(&mut self, label: Option<&syn::Lifetime>, is_break: bool) {
        let target = match label {
            Some(l) => {
                let name = l.ident.to_string();
                if self.nested.iter().any(|n| n.as_deref() == Some(&name)) {
                    return;
                }
                self.enclosing
                    .iter()
                    .rposition(|n| n.as_deref() == Some(&name))
            }
            None if !self.nested.is_empty() => return,
            None => self.enclosing.len().checked_sub(1),
        };
        if let Some(t) = target {
            if !self.exits.targets.contains(&(t, is_break)) {
                self.exits.targets.push((t, is_break));
            }
        }
    }

    fn nested_loop(&mut self, label: Option<&syn::Label>, body: &syn::Block) {
        self.nested.push(label.map(|l| l.name.ident.to_string()));
        self.visit_block(body);
        self.nested.pop();
    }
}

impl<'ast> Visit<'ast> for ExitFinder<'_> {
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        self.exit(b.label.as_ref(), true);
        if let Some(e) = &b.expr {
            self.visit_expr(e);
        }
    }
    fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
        self.exit(c.label.as_ref(), false);
    }
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        self.exits.returns = true;
        if let Some(e) = &r.expr {
            self.visit_expr(e);
        }
    }
    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.nested_loop(f.label.as_ref(), &f.body);
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.nested
            .push(w.label.as_ref().map(|l| l.name.ident.to_string()));
        self.visit_expr(&w.cond);
        self.visit_block(&w.body);
        self.nested.pop();
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.nested_loop(l.label.as_ref(), &l.body);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether `l` gives a value: a `break v` in its body leaves it (unlabelled outside inner
/// loops, or with its label), closures aside.
pub(super) fn gives_value(l: &syn::ExprLoop) -> bool {
    struct Finder<'a> {
        label: Option<&'a syn::Ident>,
        depth: usize,
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
            let ours = match &b.label {
                Some(l) => Some(&l.ident) == self.label,
                None => self.depth == 0,
            };
            self.found |= ours && b.expr.is_some();
            syn::visit::visit_expr_break(self, b);
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.depth += 1;
            syn::visit::visit_expr_loop(self, e);
            self.depth -= 1;
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.depth += 1;
            syn::visit::visit_expr_while(self, e);
            self.depth -= 1;
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.depth += 1;
            syn::visit::visit_expr_for_loop(self, e);
            self.depth -= 1;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut finder = Finder {
        label: l.label.as_ref().map(|l| &l.name.ident),
        depth: 0,
        found: false,
    };
    syn::visit::Visit::visit_block(&mut finder, &l.body);
    finder.found
}

fn label_name(label: Option<&syn::Label>) -> Option<String> {
    label.map(|l| l.name.ident.to_string())
}

fn lit(text: &str, kind: Kind, span: Span) -> Expr {
    let lit = match kind {
        Kind::Bool => syn::Lit::Bool(syn::LitBool::new(text == "true", span)),
        _ => syn::Lit::Int(syn::LitInt::new(text, span)),
    };
    Expr {
        op: Op::Lit(Literal::Other(lit)),
        kind,
        span,
    }
}

fn binary(op: Binary, a: Expr, b: Expr, kind: Kind) -> Expr {
    let span = a.span;
    Expr {
        op: Op::Binary(op, Box::new(a), Box::new(b)),
        kind,
        span,
    }
}

impl Lowerer<'_> {
    /// The exits of `stmts` with the loops being lowered around them, and (`label`, when
    /// `Some`) one more loop whose body they are.
    fn exits_of<'s>(
        &self,
        stmts: impl IntoIterator<Item = &'s syn::Stmt>,
        inner: Option<Option<String>>,
    ) -> Exits {
        let mut enclosing: Vec<Option<String>> =
            self.loops.iter().map(|l| l.label.clone()).collect();
        enclosing.extend(inner);
        let mut finder = ExitFinder {
            enclosing: &enclosing,
            nested: Vec::new(),
            exits: Exits::default(),
        };
        for s in stmts {
            finder.visit_stmt(s);
        }
        finder.exits
    }

    /// The flags that `s` may raise (loops' exits, and `return` in a function with early
    /// returns), in the order of the loops, `returned` last.
    pub(super) fn exit_flags(&self, s: &syn::Stmt) -> Vec<VarId> {
        if self.loops.is_empty() {
            return match &self.early {
                Some(e) if stmt_returns(s) => vec![e.flag],
                _ => Vec::new(),
            };
        }
        let exits = self.exits_of([s], None);
        let mut flags = Vec::new();
        for (k, ctx) in self.loops.iter().enumerate() {
            for (is_break, flag) in [(true, ctx.broken), (false, ctx.continued)] {
                if let Some(f) = flag {
                    if exits.targets.contains(&(k, is_break)) {
                        flags.push(f);
                    }
                }
            }
        }
        if exits.returns {
            if let Some(e) = &self.early {
                flags.push(e.flag);
            }
        }
        flags
    }

    /// `!(a || b || ..)`: none of the flags is raised.
    pub(super) fn none_raised(&self, flags: &[VarId], span: Span) -> Expr {
        let mut any: Option<Expr> = None;
        for &f in flags {
            let v = var_expr(f, Kind::Bool, span);
            any = Some(match any {
                None => v,
                Some(a) => binary(Binary::Or, a, v, Kind::Bool),
            });
        }
        not(any.expect("at least one flag"))
    }

    /// A new flag `let mut name = false;`, pushed to `block`.
    pub(super) fn flag(&mut self, name: &str, span: Span, block: &mut Block) -> VarId {
        let v = self.temp(name, Kind::Bool, span);
        self.vars[v].mutable = true;
        block.stmts.push(Stmt::Let {
            var: v,
            init: Init::Expr(lit("false", Kind::Bool, span)),
            span,
        });
        v
    }

    /// Whether the `for` loop `f` may stop before its range ends (a `break`, a `break` or
    /// `continue` to an outer loop, a `return`), and so runs as a `while`.
    pub(super) fn for_stops_early(&self, f: &syn::ExprForLoop) -> bool {
        let me = self.loops.len();
        let exits = self.exits_of(&f.body.stmts, Some(label_name(f.label.as_ref())));
        exits.returns || exits.targets.iter().any(|&(t, b)| t < me || b)
    }

    /// The body of a loop labelled `label` whose own flag `broken` (if any) is declared: the
    /// `continued` flag at its start, if it has a `continue`, and the statements, lowered with
    /// the loop on the stack. Also returns the loop's exit test (`None`: it never leaves but by
    /// its range or condition): its own `broken`, the flags of outer loops it leaves, and
    /// `returned` when it may return.
    pub(super) fn loop_body(
        &mut self,
        label: Option<&syn::Label>,
        stmts: &[syn::Stmt],
        prefix: Block,
        span: Span,
        block: &mut Block,
    ) -> (Block, Option<Expr>) {
        let me = self.loops.len();
        let exits = self.exits_of(stmts, Some(label_name(label)));
        let broken = exits
            .targets
            .contains(&(me, true))
            .then(|| self.flag("broken", span, block));
        let mut body = prefix;
        let continued = exits
            .targets
            .contains(&(me, false))
            .then(|| self.flag("continued", span, &mut body));
        let mut leaving: Vec<VarId> = broken.into_iter().collect();
        for &(t, is_break) in &exits.targets {
            if t < me {
                let ctx = &self.loops[t];
                leaving.extend(if is_break { ctx.broken } else { ctx.continued });
            }
        }
        if exits.returns {
            if let Some(e) = &self.early {
                leaving.push(e.flag);
            }
        }
        leaving.dedup();
        self.loops.push(LoopCtx {
            label: label_name(label),
            broken,
            continued,
            value: self.loop_value.take(),
        });
        self.stmts_into(stmts, &mut body);
        self.loops.pop();
        let exit = (!leaving.is_empty()).then(|| self.none_raised(&leaving, span));
        (body, exit)
    }

    /// The body of a `for` loop that runs its whole range (`continue`s allowed).
    pub(super) fn for_body(&mut self, f: &syn::ExprForLoop) -> Block {
        self.for_body_after(f, Block::default())
    }

    /// The body of a `for` loop that runs its whole range, after `prefix` (the binding of an
    /// iterator's item).
    pub(super) fn for_body_after(&mut self, f: &syn::ExprForLoop, prefix: Block) -> Block {
        let mut unused = Block::default();
        let (body, _) = self.loop_body(
            f.label.as_ref(),
            &f.body.stmts,
            prefix,
            f.span(),
            &mut unused,
        );
        body
    }

    /// `while`, `loop`, `break` and `continue` as statements.
    pub(super) fn loop_stmt(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<()> {
        match e {
            syn::Expr::While(w) => self.while_loop(w, block),
            syn::Expr::Loop(l) => self.plain_loop(l, block),
            syn::Expr::Break(b) => {
                if let Some(v) = &b.expr {
                    let target = self.loop_ctx(b.label.as_ref()).and_then(|c| c.value);
                    let Some(target) = target else {
                        return err_at(v, "`break` with a value leaves a `loop` whose value is bound, `let r = loop { .. };`, or is the function's result; assign the value to a variable declared before this loop, then `break;`");
                    };
                    self.assign_value(target, v, block)?;
                }
                self.raise(b.label.as_ref(), true, b.span(), block)
            }
            syn::Expr::Continue(c) => self.raise(c.label.as_ref(), false, c.span(), block),
            other => Err(unsupported(other)),
        }
    }

    /// `break` or `continue` (to `label`): raises the flag of the loop it leaves.
    fn raise(
        &mut self,
        label: Option<&syn::Lifetime>,
        is_break: bool,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let what = if is_break { "break" } else { "continue" };
        let ctx = match label {
            Some(l) => {
                let name = l.ident.to_string();
                match self
                    .loops
                    .iter()
                    .rev()
                    .find(|c| c.label.as_deref() == Some(&name))
                {
                    Some(c) => c,
                    None => return err_at(l, format!("no enclosing loop is labelled `{l}`")),
                }
            }
            None => match self.loops.last() {
                Some(c) => c,
                None => return err(span, format!("`{what}` outside a loop")),
            },
        };
        let flag = if is_break { ctx.broken } else { ctx.continued };
        let Some(flag) = flag else {
            return err(span, format!("`{what}` is supported as a statement of a loop body (`if done {{ {what}; }}`), not inside a value"));
        };
        block.stmts.push(Stmt::Assign {
            place: Place::Var(flag),
            value: lit("true", Kind::Bool, span),
            span,
        });
        Ok(())
    }

    /// The condition of a `while`, which cannot hoist a call.
    fn loop_condition(&mut self, cond: &syn::Expr) -> syn::Result<Expr> {
        let mut pre = Block::default();
        self.no_hoist += 1;
        let c = self.expr(cond, &mut pre);
        self.no_hoist -= 1;
        let c = c?;
        if !pre.stmts.is_empty() {
            return err_at(cond, "a `while` condition cannot call a differentiable function; compute the value into a variable before the loop and again at the end of its body, and test the variable");
        }
        if c.kind != Kind::Bool {
            return err_at(cond, "the condition of a `while` must be a `bool`");
        }
        Ok(c)
    }

    /// The loop statement, its condition tested after the exit flags.
    pub(super) fn push_while(
        &mut self,
        cond: Option<Expr>,
        exit: Option<Expr>,
        body: Block,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let cond = match (exit, cond) {
            (Some(x), Some(c)) => binary(Binary::And, x, c, Kind::Bool),
            (Some(x), None) => x,
            (None, Some(c)) => c,
            (None, None) => {
                return err(span, "this `loop` never ends: leave it with `break` (`if done { break; }`), or write `for i in 0..max_iter`")
            }
        };
        let trips = self.temp("trips", Kind::Int, span);
        block.stmts.push(Stmt::While {
            cond,
            body,
            trips,
            span,
        });
        Ok(())
    }

    /// `while cond { body }`.
    fn while_loop(&mut self, w: &syn::ExprWhile, block: &mut Block) -> syn::Result<()> {
        if let syn::Expr::Let(l) = &*w.cond {
            return self.while_let(w, l, block);
        }
        let cond = self.loop_condition(&w.cond)?;
        self.scopes.push(HashMap::new());
        let (body, exit) = self.loop_body(
            w.label.as_ref(),
            &w.body.stmts,
            Block::default(),
            w.span(),
            block,
        );
        self.scopes.pop();
        self.push_while(Some(cond), exit, body, w.span(), block)
    }

    /// A `loop` that gives a value, `let r = loop { .. break v; .. };` or the function's
    /// result: each `break v` to it assigns `target` (declared by the caller) before raising
    /// the loop's flag, as an `if` that gives a value assigns it in each branch.
    pub(super) fn value_loop(
        &mut self,
        l: &syn::ExprLoop,
        target: VarId,
        block: &mut Block,
    ) -> syn::Result<()> {
        self.loop_value = Some(target);
        self.plain_loop(l, block)
    }

    /// The loop a `break` or `continue` to `label` leaves, if there is one.
    fn loop_ctx(&self, label: Option<&syn::Lifetime>) -> Option<&LoopCtx> {
        match label {
            Some(l) => {
                let name = l.ident.to_string();
                self.loops
                    .iter()
                    .rev()
                    .find(|c| c.label.as_deref() == Some(&name))
            }
            None => self.loops.last(),
        }
    }

    /// `loop { body }`, left by `break` (or `return`, or an exit of an outer loop).
    fn plain_loop(&mut self, l: &syn::ExprLoop, block: &mut Block) -> syn::Result<()> {
        self.scopes.push(HashMap::new());
        let (body, exit) = self.loop_body(
            l.label.as_ref(),
            &l.body.stmts,
            Block::default(),
            l.span(),
            block,
        );
        self.scopes.pop();
        self.push_while(None, exit, body, l.span(), block)
    }

    /// A `for` loop that may stop early, as a `while` over a counter: `a..b`, `a..=b` and
    /// `.step_by(k)` count up, `.rev()` (then `.step_by(k)`) counts down; the bounds and the
    /// step are evaluated once, as the range's are.
    pub(super) fn for_as_while(
        &mut self,
        f: &syn::ExprForLoop,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = f.span();
        let over_items = is_iterator_chain(&f.expr)
            || matches!(
                strip_paren(&f.expr),
                syn::Expr::Reference(_) | syn::Expr::Path(_)
            );
        let (range, seq) = if over_items {
            let (range, seq) = self.iter_range(&f.expr, block)?;
            (range, Some(seq))
        } else {
            (self.range(&f.expr, block)?, None)
        };
        let (down, step) = match range.adaptors.as_slice() {
            [] => (false, None),
            [Adaptor::StepBy(k)] => (false, Some(k.clone())),
            [Adaptor::Rev] => (true, None),
            [Adaptor::Rev, Adaptor::StepBy(k)] => (true, Some(k.clone())),
            _ => return err_at(&f.expr, "a `for` loop that may stop early (`break`, `return`) runs over `a..b` or `a..=b`, with `.rev()` and then `.step_by(k)`; write `.step_by(k).rev()` as a `while` loop over a counter"),
        };
        let int = |e: Expr| Init::Expr(e);
        let step = step.map(|k| {
            let v = self.temp("step", Kind::Int, span);
            block.stmts.push(Stmt::Let {
                var: v,
                init: int(k),
                span,
            });
            var_expr(v, Kind::Int, span)
        });
        let next = self.temp("next", Kind::Int, span);
        self.vars[next].mutable = true;
        let bound = self.temp(if down { "start" } else { "end" }, Kind::Int, span);
        let one = || lit("1", Kind::Int, span);
        // Counting down, `next` is one past the element to visit: `a..=b` starts at `b + 1`.
        let (first, last) = match (down, range.inclusive) {
            (true, true) => (
                binary(Binary::Add, range.end, one(), Kind::Int),
                range.start,
            ),
            (true, false) => (range.end, range.start),
            (false, _) => (range.start, range.end),
        };
        block.stmts.push(Stmt::Let {
            var: next,
            init: int(first),
            span,
        });
        block.stmts.push(Stmt::Let {
            var: bound,
            init: int(last),
            span,
        });
        let next_e = || var_expr(next, Kind::Int, span);
        let bound_e = var_expr(bound, Kind::Int, span);
        let cmp = match (down, range.inclusive) {
            (true, _) => Binary::Gt,
            (false, true) => Binary::Le,
            (false, false) => Binary::Lt,
        };
        let cond = binary(cmp, next_e(), bound_e, Kind::Bool);
        self.scopes.push(HashMap::new());
        let var = match &*f.pat {
            // Over items, the counter is the position, bound to the item below.
            _ if seq.is_some() => self.temp("i", Kind::Int, span),
            syn::Pat::Ident(pi)
                if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() =>
            {
                self.new_var(&name_of(&pi.ident), Kind::Int, false, pi.ident.span())
            }
            syn::Pat::Wild(w) => self.temp("unused", Kind::Int, w.span()),
            other => {
                self.scopes.pop();
                return err_at(other, "write a plain loop variable: `for i in 0..n`");
            }
        };
        let bind = Stmt::Let {
            var,
            init: int(next_e()),
            span,
        };
        let mut prefix = counter_step(down, step, (next, bound), bind, span);
        let Some(seq) = seq else {
            let (body, exit) = self.loop_body(f.label.as_ref(), &f.body.stmts, prefix, span, block);
            self.scopes.pop();
            return self.push_while(Some(cond), exit, body, span, block);
        };
        // The item at the position `var`, then the body, its statements after a `filter`
        // nested in the filter's test (as in [`Lowerer::iter_for`]).
        let outer = self.begin_filters();
        let bound = (|| {
            let item = self.item(&seq.src, var_expr(var, Kind::Int, span), &mut prefix)?;
            self.bind(&f.pat, item, &mut Some(var), &mut prefix)
        })();
        if let Err(e) = bound {
            self.nest_filters(&mut prefix, outer);
            self.scopes.pop();
            return Err(e);
        }
        let (mut body, exit) = self.loop_body(f.label.as_ref(), &f.body.stmts, prefix, span, block);
        self.nest_filters(&mut body, outer);
        self.scopes.pop();
        self.check_not_written(&seq, &body, &f.expr)?;
        self.push_while(Some(cond), exit, body, span, block)
    }
}

/// The first statements of a counted loop's body: `let i = next;` and the counter moved to the
/// next element (`next += k`; counting down, `next -= 1` first, then the step over the rest).
fn counter_step(
    down: bool,
    step: Option<Expr>,
    (next, bound): (VarId, VarId),
    bind: Stmt,
    span: Span,
) -> Block {
    let one = || lit("1", Kind::Int, span);
    let next_e = || var_expr(next, Kind::Int, span);
    let set_next = |value: Expr| Stmt::Assign {
        place: Place::Var(next),
        value,
        span,
    };
    let mut prefix = Block::default();
    if down {
        // `next -= 1; let i = next;` then, with a step `k`, the next element `i - k` if it
        // is in the range (`if next >= a + k { next = next - (k - 1) } else { next = a }`),
        // without going below zero.
        prefix
            .stmts
            .push(set_next(binary(Binary::Sub, next_e(), one(), Kind::Int)));
        prefix.stmts.push(bind);
        if let Some(k) = step {
            let bound_e = || var_expr(bound, Kind::Int, span);
            let reach = binary(Binary::Add, bound_e(), k.clone(), Kind::Int);
            let rest = binary(Binary::Sub, k, one(), Kind::Int);
            prefix.stmts.push(Stmt::If {
                cond: binary(Binary::Ge, next_e(), reach, Kind::Bool),
                then: Block {
                    stmts: vec![set_next(binary(Binary::Sub, next_e(), rest, Kind::Int))],
                },
                els: Block {
                    stmts: vec![set_next(bound_e())],
                },
                span,
            });
        }
    } else {
        prefix.stmts.push(bind);
        let k = step.unwrap_or_else(one);
        prefix
            .stmts
            .push(set_next(binary(Binary::Add, next_e(), k, Kind::Int)));
    }
    prefix
}
