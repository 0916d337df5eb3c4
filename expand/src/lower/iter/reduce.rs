//! What consumes a chain: a `for` loop, `sum`, `product`, `fold`, and `collect` in a `let`.

use super::*;

impl Lowerer<'_> {
    /// `for pat in chain { body }`.
    pub(in crate::lower) fn iter_for(
        &mut self,
        f: &syn::ExprForLoop,
        block: &mut Block,
    ) -> syn::Result<()> {
        let (range, seq) = self.iter_range(&f.expr, block)?;
        let span = f.expr.span();
        self.scopes.push(HashMap::new());
        let counter = self.temp("i", Kind::Int, span);
        let mut body = Block::default();
        let outer = self.begin_filters();
        let lowered = (|| {
            let item = self.item(&seq.src, var_expr(counter, Kind::Int, span), &mut body)?;
            self.bind(&f.pat, item, &mut Some(counter), &mut body)?;
            // As a range loop's body: with the loop on the stack, so a `continue` raises the
            // flag that guards the rest of the iteration.
            let prefix = std::mem::take(&mut body);
            body = self.for_body_after(f, prefix);
            Ok::<_, syn::Error>(())
        })();
        self.nest_filters(&mut body, outer);
        self.scopes.pop();
        lowered?;
        self.check_replayable(&range, &body, &f.expr)?;
        self.check_not_written(&seq, &body, &f.expr)?;
        block.stmts.push(Stmt::For {
            var: counter,
            range,
            body,
            span: f.span(),
        });
        Ok(())
    }

    /// The positions `for pat in chain` visits, as a range of a counter whose trailing `.rev()`
    /// and `.step_by(k)` are the range's, and the chain that gives the item at a position.
    pub(in crate::lower) fn iter_range(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<(Range, Seq)> {
        if let Some(unknown) = unknown_adapter(e) {
            return Err(unknown_adapter_error(unknown));
        }
        let mut trailing = Vec::new();
        let seq = self.chain(e, Some(&mut trailing), block)?;
        trailing.reverse();
        let range = Range {
            start: self.bounded(seq.start.clone(), block),
            end: self.bounded(seq.end.clone(), block),
            inclusive: false,
            adaptors: trailing,
        };
        Ok((range, seq))
    }

    /// `for x in v` of an array iterates over a copy, which the loop may not see change.
    pub(in crate::lower) fn check_not_written(
        &self,
        seq: &Seq,
        body: &Block,
        at: &syn::Expr,
    ) -> syn::Result<()> {
        let written = certain_writes(body);
        let mut arrays = Vec::new();
        seq.src.arrays(&mut arrays);
        if let Some((a, _)) = arrays.iter().find(|(a, w)| !w && written.contains(a)) {
            return err_at(at, format!("`{}` is assigned inside the loop that iterates over it; iterate over a copy made before the loop, `let w = {0};`", self.shown(*a)));
        }
        Ok(())
    }

    /// The reverse sweep re-evaluates the range: its variables must not change in the loop.
    pub(in crate::lower) fn check_replayable(
        &self,
        range: &Range,
        body: &Block,
        at: &syn::Expr,
    ) -> syn::Result<()> {
        let mut reads = Vec::new();
        range.reads(&mut reads);
        let written = body.writes();
        for r in reads {
            if written.contains(&r) && !self.length_kept(r, range, body) {
                return err_at(at, format!("`{}` is assigned inside the loop, so the loop's range cannot be replayed; copy it into a new variable before the loop", self.shown(r)));
            }
        }
        Ok(())
    }

    /// A loop over `seq` in `block`, `each` given the item of every position and the body.
    pub(in crate::lower) fn reduce(
        &mut self,
        seq: Seq,
        trailing: Vec<Adaptor>,
        at: &syn::Expr,
        mut each: impl FnMut(&mut Self, VarId, Item, &mut Block) -> syn::Result<()>,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = at.span();
        let range = Range {
            start: self.bounded(seq.start.clone(), block),
            end: self.bounded(seq.end.clone(), block),
            inclusive: false,
            adaptors: trailing,
        };
        let counter = self.temp("i", Kind::Int, span);
        let mut body = Block::default();
        let outer = self.begin_filters();
        let built = self
            .item(&seq.src, var_expr(counter, Kind::Int, span), &mut body)
            .and_then(|item| each(self, counter, item, &mut body));
        self.nest_filters(&mut body, outer);
        built?;
        self.check_replayable(&range, &body, at)?;
        block.stmts.push(Stmt::For {
            var: counter,
            range,
            body,
            span,
        });
        Ok(())
    }

    /// `chain.sum()`, `chain.product()`, `chain.fold(init, |acc, x| ..)`: an accumulator and a
    /// loop before the expression, which reads the accumulator. `None` when `mc` is not one.
    pub(in crate::lower) fn iterator_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let name = mc.method.to_string();
        if let Some(pick) = best_of(mc) {
            return self.best(mc, pick, block).map(Some);
        }
        if let Some(unknown) = unknown_adapter(&mc.receiver) {
            return Err(unknown_adapter_error(unknown));
        }
        if !is_iterator_chain(&mc.receiver) {
            if SOURCES.contains(&name.as_str()) {
                return err_at(&mc.method, format!("an iterator is a value only through what it gives: end it with `.sum()`, `.product()`, `.fold(..)`, or `.collect()` in a `let`, or loop over it with `for` ({SUPPORTED})"));
            }
            return Ok(None);
        }
        let span = self.method_span(mc);
        if self.no_hoist > 0 {
            return err_at(mc, "an iterator here would run before the condition that guards it; bind it to a `let` first");
        }
        match name.as_str() {
            "sum" | "product" | "fold" => {}
            "collect" => return err_at(&mc.method, "bind the collected vector to a `let`: `let v: Vec<f64> = x.iter().map(..).collect();`"),
            _ if ADAPTERS.contains(&name.as_str()) => return err_at(&mc.method, format!("an iterator is a value only through what it gives: end it with `.sum()`, `.product()`, `.fold(..)`, or `.collect()` in a `let`, or loop over it with `for` ({SUPPORTED})")),
            _ => return Err(unknown_adapter_error(mc)),
        }
        if let Some(t) = &mc.turbofish {
            if name == "fold"
                || t.args.len() != 1
                || !matches!(t.args.first(), Some(syn::GenericArgument::Type(ty)) if ty.to_token_stream().to_string() == "f64")
            {
                return err_at(t, "the turbofish here is `::<f64>`");
            }
        }
        let want = if name == "fold" { 2 } else { 0 };
        if mc.args.len() != want {
            return err_at(&mc.method, format!("`{name}` takes {want} argument(s)"));
        }
        let mut trailing = Vec::new();
        let seq = self.chain(&mc.receiver, Some(&mut trailing), block)?;
        trailing.reverse();
        let (init, closure): (Expr, Option<Result<Binary, syn::ExprClosure>>) = match name.as_str()
        {
            "sum" => (real_lit(0.0, span), None),
            "product" => (real_lit(1.0, span), None),
            _ => {
                let init = self.expr(&mc.args[0], block)?;
                let init = if init.kind == Kind::Int || init.kind == Kind::Bool {
                    init
                } else {
                    self.coerce_real(init)?
                };
                let step = match strip_paren(&mc.args[1]) {
                    syn::Expr::Closure(c) => Err(c.clone()),
                    // `.fold(f64::NEG_INFINITY, f64::max)`: the maximum.
                    syn::Expr::Path(p) if min_or_max(&p.path).is_some() => {
                        Ok(min_or_max(&p.path).expect("checked"))
                    }
                    // `.fold(0.0, add)`: the closure that calls the function.
                    other => match path_closure(other, 2) {
                        Some(c) => Err(c),
                        None => return err_at(other, "write the step as a closure, `|acc, x| acc + x`, or name a function of two reals, `f64::max`, `add`"),
                    },
                };
                (init, Some(step))
            }
        };
        let kind = init.kind.clone();
        let acc = self.temp(&name, kind.clone(), span);
        self.vars[acc].mutable = true;
        block.stmts.push(Stmt::Let {
            var: acc,
            init: Init::Expr(init),
            span,
        });
        let op = if name == "product" {
            Binary::Mul
        } else {
            Binary::Add
        };
        let whole = syn::Expr::MethodCall(mc.clone());
        self.reduce(
            seq,
            trailing,
            &whole,
            |l, _, item, body| {
                let current = var_expr(acc, kind.clone(), span);
                let value = match &closure {
                    None => {
                        let x = l.item_value(item, &mc.receiver)?;
                        l.binary(op, current, x, (span, span), body)?
                    }
                    Some(Ok(op)) => {
                        let x = l.item_value(item, &mc.receiver)?;
                        l.binary(*op, current, x, (span, span), body)?
                    }
                    Some(Err(c)) => {
                        let v =
                            l.inline_closure(c, None, vec![Item::Value(current), item], body)?;
                        l.place_value(&Place::Var(acc), v, c.body.span())?
                    }
                };
                body.stmts.push(Stmt::Assign {
                    place: Place::Var(acc),
                    value,
                    span,
                });
                Ok(())
            },
            block,
        )?;
        Ok(Some(var_expr(acc, kind, span)))
    }

    /// `let v: Vec<f64> = chain.collect();` (or `.collect::<Vec<f64>>()`): a vector of the
    /// chain's length, its elements assigned in a loop. `false` when `init` is not one.
    pub(in crate::lower) fn let_collect(
        &mut self,
        local: &syn::Local,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let syn::Expr::MethodCall(mc) = strip_paren(init) else {
            return Ok(false);
        };
        if mc.method != "collect" || !is_iterator_chain(&mc.receiver) {
            return Ok(false);
        }
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let is_vec = |t: &syn::Type| {
            let s = t.to_token_stream().to_string().replace(' ', "");
            s == "Vec<f64>" || s == "Vec<_>"
        };
        let typed = ty.is_some_and(is_vec) && mc.turbofish.is_none()
            || mc.turbofish.as_ref().is_some_and(|t| {
                t.args.len() == 1
                    && matches!(t.args.first(), Some(syn::GenericArgument::Type(t)) if is_vec(t))
                    && ty.is_none_or(is_vec)
            });
        if !typed {
            return err_at(mc, "collect into a `Vec<f64>`: `let v: Vec<f64> = ...collect();` or `.collect::<Vec<f64>>()`");
        }
        if !mc.args.is_empty() {
            return err_at(&mc.method, "`collect` takes no arguments");
        }
        let (ident, _) = simple_binding(pat)?;
        let v = self.unscoped_var(
            &name_of(&ident),
            Kind::RealArray(ArrayRepr::Vec),
            true,
            ident.span(),
        );
        self.collect_into(v, mc, init, local.span(), block)?;
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(name_of(&ident), v);
        Ok(true)
    }

    /// The function's result `chain.collect()` (or `.collect::<Vec<f64>>()`), returned as
    /// `Vec<f64>`: collected into a temporary, `None` when `e` is not one.
    pub(in crate::lower) fn collected_result(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let syn::Expr::MethodCall(mc) = strip_paren(e) else {
            return Ok(None);
        };
        if mc.method != "collect" || !is_iterator_chain(&mc.receiver) {
            return Ok(None);
        }
        if !mc.args.is_empty() {
            return err_at(&mc.method, "`collect` takes no arguments");
        }
        let span = e.span();
        let kind = Kind::RealArray(ArrayRepr::Vec);
        let v = self.temp("result", kind.clone(), span);
        self.vars[v].mutable = true;
        self.collect_into(v, mc, e, span, block)?;
        Ok(Some(var_expr(v, kind, span)))
    }

    /// `v` (a new `Vec<f64>`) made at the length of the chain `mc.receiver` and its items
    /// assigned in a loop.
    fn collect_into(
        &mut self,
        v: VarId,
        mc: &syn::ExprMethodCall,
        init: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if let Some(filter) = filter_before(&mc.receiver) {
            return err_at(&filter.method, "`collect` after `filter` makes a `Vec` of the length of the items kept, which the derivative code cannot follow; collect first and filter in a `for` loop, or sum or fold the filtered items");
        }
        let seq = self.chain(&mc.receiver, None, block)?;
        let n = self.bounded(count(&seq), block);
        let start = seq.start.clone();
        block.stmts.push(Stmt::Let {
            var: v,
            init: Init::VecFill {
                value: real_lit(0.0, span),
                len: n,
            },
            span,
        });
        self.reduce(
            seq,
            Vec::new(),
            init,
            |l, counter, item, body| {
                let value = l.item_value(item, &mc.receiver)?;
                let value = l.coerce_real(value)?;
                let c = var_expr(counter, Kind::Int, span);
                let index = if is_zero(&start) {
                    c
                } else {
                    int_bin(Binary::Sub, c, start.clone())
                };
                body.stmts.push(Stmt::Assign {
                    place: Place::Index(v, index),
                    value,
                    span,
                });
                Ok(())
            },
            block,
        )
    }
}

/// `f64::max` or `f64::min`, as the step of a `fold`.
fn min_or_max(path: &syn::Path) -> Option<Binary> {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match names.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["f64", "max"] => Some(Binary::Max),
        ["f64", "min"] => Some(Binary::Min),
        _ => None,
    }
}
