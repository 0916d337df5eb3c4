//! Control flow: `for` loops over ranges (with `.rev()` and `.step_by(k)`), `if`, `match` as a
//! chain of tested `if`s (an arm may bind the whole value and test it in a guard, `k if k < 3 =>`:
//! the name reads the value matched), and variables given a value by every branch.

use super::*;

impl Lowerer<'_> {
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, block: &mut Block) -> syn::Result<()> {
        if self.for_stops_early(f) {
            return self.for_as_while(f, block);
        }
        if is_iterator_chain(&f.expr)
            || unknown_adapter(&f.expr).is_some()
            || matches!(
                strip_paren(&f.expr),
                syn::Expr::Reference(_) | syn::Expr::Path(_)
            )
        {
            return self.iter_for(f, block);
        }
        let range = self.range(&f.expr, block)?;
        self.scopes.push(HashMap::new());
        let var = match &*f.pat {
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
        let body = self.for_body(f);
        self.scopes.pop();
        // The reverse sweep re-evaluates the range: its variables must not change in the loop.
        let mut reads = Vec::new();
        range.reads(&mut reads);
        let written = body.writes();
        for r in reads {
            if written.contains(&r) && !self.length_kept(r, &range, &body) {
                return err_at(&f.expr,
                    format!(
                        "`{}` is assigned inside the loop, so the loop's range cannot be replayed; copy it into a new variable before the loop",
                        self.shown(r)
                    ),
                );
            }
        }
        block.stmts.push(Stmt::For {
            var,
            range,
            body,
            span: f.span(),
        });
        Ok(())
    }

    pub(super) fn range(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Range> {
        let mut adaptors = Vec::new();
        let mut cur = strip_paren(e);
        let base = loop {
            match cur {
                syn::Expr::MethodCall(mc) if mc.method == "rev" && mc.args.is_empty() => {
                    adaptors.push(Adaptor::Rev);
                    cur = strip_paren(&mc.receiver);
                }
                syn::Expr::MethodCall(mc) if mc.method == "step_by" && mc.args.len() == 1 => {
                    let step = self.index_expr(&mc.args[0], block)?;
                    adaptors.push(Adaptor::StepBy(step));
                    cur = strip_paren(&mc.receiver);
                }
                syn::Expr::Range(r) => break r,
                other => {
                    return err_at(other,
                        "loop over a range of integers: `for i in a..b`, optionally with `.rev()` and `.step_by(k)`; to visit an array write `for i in 0..v.len()`",
                    )
                }
            }
        };
        adaptors.reverse();
        let (start, end) = match (&base.start, &base.end) {
            (Some(s), Some(e)) => (s, e),
            _ => return err_at(base, "give both bounds of the range: `a..b`"),
        };
        let start = self.index_expr(start, block)?;
        let end = self.index_expr(end, block)?;
        Ok(Range {
            start,
            end,
            inclusive: matches!(base.limits, syn::RangeLimits::Closed(_)),
            adaptors,
        })
    }

    /// A block that ends with the value of `target`, in a scope of its own.
    pub(super) fn tail_value(
        &mut self,
        stmts: &[syn::Stmt],
        span: Span,
        target: VarId,
        out: &mut Block,
    ) -> syn::Result<()> {
        self.scopes.push(HashMap::new());
        let result = match stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), rest)) => {
                self.stmts_into(rest, out);
                self.assign_value(target, e, out)
            }
            _ => err(
                span,
                "end the block with the value it gives (no `;` after it)",
            ),
        };
        self.scopes.pop();
        result
    }

    /// `target = e`, where `e` may itself be an `if` or `match` that gives a value.
    pub(super) fn assign_value(
        &mut self,
        target: VarId,
        e: &syn::Expr,
        out: &mut Block,
    ) -> syn::Result<()> {
        match strip_paren(e) {
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, out, Some(target))?;
                out.stmts.push(s);
                return Ok(());
            }
            syn::Expr::Match(m) => return self.match_stmt(m, out, Some(target)),
            syn::Expr::Block(b) if b.label.is_none() => {
                return self.tail_value(&b.block.stmts, b.span(), target, out)
            }
            syn::Expr::Loop(l) if gives_value(l) => return self.value_loop(l, target, out),
            _ => {}
        }
        if self.tuple_targets.contains_key(&target) {
            return self.assign_tuple_value(target, e, out);
        }
        let value = self.expr(e, out)?;
        if let Some(k) = self.unset_targets.iter().position(|&t| t == target) {
            if let Kind::RealArray(_) = value.kind {
                return err_at(e, "an `if` or `match` that gives an array is not supported; assign the elements in each branch");
            }
            if value.kind == Kind::Matrix {
                return err_at(e, "an `if` or `match` that gives a matrix or vector is not supported; compute the choice as a real and scale, or bind each branch's value with `let`");
            }
            // A constant whose type is not visible (`HALF`, `g(HALF)`) gives a real, as it does
            // as an argument of a differentiable call; so does an element of an array of arrays
            // of reals outside `wrt(..)`, `obs[0][1]` (the other branches may be active).
            self.vars[target].kind = if value.kind == Kind::Opaque
                && (self.is_unknown_constant(&value) || self.is_real_data(&value))
            {
                Kind::Real
            } else {
                value.kind.clone()
            };
            self.unset_targets.remove(k);
        }
        let value = self.place_value(&Place::Var(target), value, e.span())?;
        out.stmts.push(Stmt::Assign {
            place: Place::Var(target),
            value,
            span: e.span(),
        });
        Ok(())
    }

    /// An `if`: of statements, or (`target`) whose branches give the value of `target`.
    pub(super) fn if_stmt(
        &mut self,
        i: &syn::ExprIf,
        block: &mut Block,
        target: Option<VarId>,
    ) -> syn::Result<Stmt> {
        if let syn::Expr::Let(l) = &*i.cond {
            if let Some(s) = self.if_let_option(i, l, target) {
                return s;
            }
            return match self.if_let_end(i, l, target) {
                Some(s) => s,
                None => err_at(l, "`if let` is supported for `if let Some(v) = x.last()` (or `x.first()`, `Some(&v)`) of an array, and `if let Some(w) = weight` of an `Option` parameter outside `wrt(..)`; test a condition with `if` otherwise"),
            };
        }
        let cond = self.expr(&i.cond, block)?;
        if cond.kind != Kind::Bool {
            return err_at(&i.cond, "the condition of an `if` must be a `bool`");
        }
        let then = self.branch(&i.then_branch.stmts, i.then_branch.span(), target)?;
        let els = self.else_block(i, target)?;
        Ok(Stmt::If {
            cond,
            then,
            els,
            span: i.span(),
        })
    }

    /// The `else` of `i` (empty when there is none).
    pub(super) fn else_block(
        &mut self,
        i: &syn::ExprIf,
        target: Option<VarId>,
    ) -> syn::Result<Block> {
        Ok(match (&i.else_branch, target) {
            (None, None) => Block::default(),
            (None, Some(_)) => {
                return err(
                    i.if_token.span,
                    "an `if` that gives a value needs an `else`",
                )
            }
            (Some((_, e)), _) => match &**e {
                syn::Expr::Block(b) => self.branch(&b.block.stmts, b.span(), target)?,
                syn::Expr::If(inner) => {
                    let mut b = Block::default();
                    let s = self.if_stmt(inner, &mut b, target)?;
                    b.stmts.push(s);
                    b
                }
                other => return Err(unsupported(other)),
            },
        })
    }

    /// One branch of an `if`, in a scope of its own; with `target`, it ends with its value.
    pub(super) fn branch(
        &mut self,
        stmts: &[syn::Stmt],
        span: Span,
        target: Option<VarId>,
    ) -> syn::Result<Block> {
        let mut b = Block::default();
        match target {
            Some(t) => self.tail_value(stmts, span, t, &mut b)?,
            None => {
                self.scopes.push(HashMap::new());
                self.stmts_into(stmts, &mut b);
                self.scopes.pop();
            }
        }
        Ok(b)
    }

    pub(super) fn match_stmt(
        &mut self,
        m: &syn::ExprMatch,
        block: &mut Block,
        target: Option<VarId>,
    ) -> syn::Result<()> {
        if self.match_option(m, target, block)? {
            return Ok(());
        }
        let scrutinee = self.expr(&m.expr, block)?;
        if let Kind::RealArray(_) = scrutinee.kind {
            return err_at(
                &m.expr,
                "`match` on an array is not supported; match on an element or an index",
            );
        }
        let span = m.span();
        let tmp = self.temp("matched", scrutinee.kind.clone(), m.expr.span());
        block.stmts.push(Stmt::Let {
            var: tmp,
            init: Init::Expr(scrutinee),
            span,
        });
        if m.arms.len() > crate::limits::MAX_CHAINED_ARMS {
            return self.match_dispatch(m, tmp, target, block);
        }
        // Build the chain from the last arm backwards.
        let mut chain: Option<Block> = None;
        for arm in m.arms.iter().rev() {
            let (cond, arm_block) = self.match_arm(arm, tmp, target)?;
            let els = chain.take().unwrap_or_default();
            let s = Stmt::If {
                cond,
                then: arm_block,
                els,
                span: arm.span(),
            };
            chain = Some(Block { stmts: vec![s] });
        }
        if let Some(c) = chain {
            block.stmts.extend(c.stmts);
        }
        Ok(())
    }

    /// A long `match`, flat: the index of the first arm that matches, then one `if` per arm.
    ///
    /// ```text
    /// let mut arm = N;
    /// if matches!(matched, p0) && g0 { arm = 0; }
    /// if arm == N && matches!(matched, p1) && g1 { arm = 1; }   ..
    /// if arm == 0 { body0 }   ..
    /// ```
    pub(super) fn match_dispatch(
        &mut self,
        m: &syn::ExprMatch,
        matched: VarId,
        target: Option<VarId>,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = m.span();
        let none = m.arms.len();
        let int = |k: usize, span: Span| Expr {
            op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
                &k.to_string(),
                span,
            )))),
            kind: Kind::Int,
            span,
        };
        let arm_var = self.temp("arm", Kind::Int, m.match_token.span);
        self.vars[arm_var].mutable = true;
        block.stmts.push(Stmt::Let {
            var: arm_var,
            init: Init::Expr(int(none, span)),
            span,
        });
        let is_arm = |k: usize, span: Span| Expr {
            op: Op::Binary(
                Binary::Eq,
                Box::new(var_expr(arm_var, Kind::Int, span)),
                Box::new(int(k, span)),
            ),
            kind: Kind::Bool,
            span,
        };
        let mut bodies = Vec::with_capacity(m.arms.len());
        for (k, arm) in m.arms.iter().enumerate() {
            let arm_span = arm.span();
            let (test, body) = self.match_arm(arm, matched, target)?;
            let cond = if k == 0 {
                test
            } else {
                Expr {
                    op: Op::Binary(
                        Binary::And,
                        Box::new(is_arm(none, arm_span)),
                        Box::new(test),
                    ),
                    kind: Kind::Bool,
                    span: arm_span,
                }
            };
            block.stmts.push(Stmt::If {
                cond,
                then: Block {
                    stmts: vec![Stmt::Assign {
                        place: Place::Var(arm_var),
                        value: int(k, arm_span),
                        span: arm_span,
                    }],
                },
                els: Block::default(),
                span: arm_span,
            });
            bodies.push((body, arm_span));
        }
        for (k, (body, arm_span)) in bodies.into_iter().enumerate() {
            block.stmts.push(Stmt::If {
                cond: is_arm(k, arm_span),
                then: body,
                els: Block::default(),
                span: arm_span,
            });
        }
        Ok(())
    }

    /// One arm of a `match` on `matched`: its test (pattern and guard) and its body.
    pub(super) fn match_arm(
        &mut self,
        arm: &syn::Arm,
        matched: VarId,
        target: Option<VarId>,
    ) -> syn::Result<(Expr, Block)> {
        // `k if k < 3 =>`: the name reads the value matched.
        let whole = whole_binding(&arm.pat);
        if whole.is_none() {
            if let Some(bad) = pattern_binding(&arm.pat) {
                return err(bad, "patterns that bind variables are not supported in `match`; use literals, ranges, `|` and `_`, or bind the whole value, `k if k < 3 =>`");
            }
        }
        if let Some(c) = self.names_local_const(arm.pat.to_token_stream()) {
            return err_at(
                &c,
                format!("a `const` of the function cannot be matched here (the derivative code is other functions, which cannot see it); move `{c}` outside the function, or test with `if`: `if k == {c} {{ .. }}`"),
            );
        }
        let mut arm_block = Block::default();
        self.scopes.push(HashMap::new());
        if let Some(k) = whole {
            let scope = self.scopes.last_mut().expect("a scope is open");
            scope.insert(name_of(k), matched);
        }
        if let Some(t) = target {
            if let Err(e) = self.assign_value(t, &arm.body, &mut arm_block) {
                self.error(e);
            }
        }
        match strip_paren(&arm.body) {
            _ if target.is_some() => {}
            syn::Expr::Block(b) if b.label.is_none() => {
                self.stmts_into(&b.block.stmts, &mut arm_block)
            }
            syn::Expr::Tuple(t) if t.elems.is_empty() => {}
            other => {
                if let Err(e) = self.expr_stmt(other, &mut arm_block) {
                    self.error(e);
                }
            }
        }
        // A whole binding matches everything: `matches!(matched, _)`.
        let pat = match whole {
            Some(k) => syn::Pat::Wild(syn::PatWild {
                attrs: Vec::new(),
                underscore_token: syn::Token![_](k.span()),
            }),
            None => arm.pat.clone(),
        };
        let mut cond = Expr {
            op: Op::Matches(matched, Box::new(pat)),
            kind: Kind::Bool,
            span: arm.pat.span(),
        };
        let mut guard_pre = Block::default();
        let guard = arm.guard.as_ref().map(|(_, guard)| {
            self.no_hoist += 1;
            let g = self.expr(guard, &mut guard_pre);
            self.no_hoist -= 1;
            (guard, g)
        });
        self.scopes.pop();
        if let Some((guard, g)) = guard {
            let g = g?;
            if !guard_pre.stmts.is_empty() {
                return err_at(guard, "a match guard cannot call a differentiable function");
            }
            cond = Expr {
                op: Op::Binary(Binary::And, Box::new(cond), Box::new(g)),
                kind: Kind::Bool,
                span: guard.span(),
            };
        }
        Ok((cond, arm_block))
    }
}

pub(super) fn not(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        op: Op::Unary(Unary::Not, Box::new(e)),
        kind: Kind::Bool,
        span,
    }
}

/// The name of a pattern that binds the whole value matched, `k` (lowercase, without `ref`,
/// `mut` or `@`): `None` for any other pattern.
fn whole_binding(p: &syn::Pat) -> Option<&syn::Ident> {
    match p {
        syn::Pat::Ident(pi)
            if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() =>
        {
            pattern_binding(p).map(|_| &pi.ident)
        }
        _ => None,
    }
}

/// The span of a binding inside a pattern, if any.
pub(super) fn pattern_binding(p: &syn::Pat) -> Option<Span> {
    match p {
        syn::Pat::Ident(pi) => {
            let s = name_of(&pi.ident);
            // An uppercase single-segment path pattern is a constant, not a binding.
            if s.chars().next().is_some_and(|c| c.is_uppercase()) {
                None
            } else {
                Some(pi.span())
            }
        }
        syn::Pat::Or(o) => o.cases.iter().find_map(pattern_binding),
        syn::Pat::Paren(pp) => pattern_binding(&pp.pat),
        syn::Pat::Tuple(t) => t.elems.iter().find_map(pattern_binding),
        // An enum's variant with its fields matched, `Boundary::Clamped(0)`, `Clamped(_)`.
        syn::Pat::TupleStruct(t) => t.elems.iter().find_map(pattern_binding),
        syn::Pat::Struct(s) => s.fields.iter().find_map(|f| pattern_binding(&f.pat)),
        syn::Pat::Rest(_) => None,
        syn::Pat::Lit(_) | syn::Pat::Range(_) | syn::Pat::Wild(_) | syn::Pat::Path(_) => None,
        other => Some(other.span()),
    }
}
