//! Closures: names bound to items, bodies inlined where they are used, closures stored in a
//! `let`.

use super::*;

impl Lowerer<'_> {
    /// Binds the names of `pat` to `item` (see [`Alias`]); `counter` is the loop's variable,
    /// renamed after the first name bound to it.
    pub(in crate::lower) fn bind(
        &mut self,
        pat: &syn::Pat,
        item: Item,
        counter: &mut Option<VarId>,
        block: &mut Block,
    ) -> syn::Result<()> {
        match (pat, item) {
            (syn::Pat::Paren(p), item) => self.bind(&p.pat, item, counter, block),
            (syn::Pat::Type(t), item) => self.bind(&t.pat, item, counter, block),
            (syn::Pat::Reference(r), item) if r.mutability.is_none() => {
                self.bind(&r.pat, item, counter, block)
            }
            (syn::Pat::Wild(_), _) => Ok(()),
            (syn::Pat::Tuple(t), Item::Pair(a, b)) if t.elems.len() == 2 => {
                self.bind(&t.elems[0], *a, counter, block)?;
                self.bind(&t.elems[1], *b, counter, block)
            }
            (syn::Pat::Ident(pi), item) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let name = name_of(&pi.ident);
                let span = pi.ident.span();
                let mutable = pi.mutability.is_some();
                match item {
                    // A row of arrays of reals, `o` of `for o in obs`: a copy, read as `o[j]`.
                    Item::Elem { array, index, .. } if !mutable && self.holds_rows(array) => {
                        self.bind_data_row(&name, array, index, span, block);
                    }
                    Item::Elem {
                        array,
                        index,
                        writable,
                    } if !mutable => {
                        let kind = self.element_kind(array);
                        let v = self.new_var(&name, kind, false, span);
                        self.aliases.insert(
                            v,
                            Alias::Elem {
                                array,
                                index,
                                writable,
                            },
                        );
                    }
                    Item::Window { array, start, len } if !mutable => {
                        let v = self.new_var(&name, Kind::RealArray(ArrayRepr::Slice), false, span);
                        self.aliases.insert(v, Alias::Window { array, start, len });
                    }
                    Item::Value(Expr { op: Op::Var(v), .. }) if !mutable && *counter == Some(v) => {
                        // The loop's counter takes the user's name.
                        *counter = None;
                        let fresh = self.fresh_name(&name, true);
                        self.vars[v].name = fresh;
                        self.vars[v].user_name = name.clone();
                        self.vars[v].span = span;
                        self.scopes
                            .last_mut()
                            .expect("a scope is open")
                            .insert(name, v);
                    }
                    Item::Value(Expr { op: Op::Var(v), .. }) if !mutable => {
                        // A value already in a variable (an accumulator, an argument).
                        self.scopes
                            .last_mut()
                            .expect("a scope is open")
                            .insert(name, v);
                    }
                    item @ (Item::Elem { .. } | Item::Value(_)) => {
                        let value = self.item_value(item, pat)?;
                        let v = self.new_var(&name, value.kind.clone(), mutable, span);
                        block.stmts.push(Stmt::Let {
                            var: v,
                            init: Init::Expr(value),
                            span,
                        });
                    }
                    _ => {
                        return err_at(
                            pat,
                            "bind a window or a pair to names without `mut`: `|(a, b)|`",
                        )
                    }
                }
                Ok(())
            }
            (syn::Pat::Slice(s), Item::Elem { array, index, .. })
                if self.element_kind(array) == Kind::Opaque =>
            {
                self.bind_row_elements(s, array, index, block)
            }
            (syn::Pat::Slice(s), Item::Window { array, start, .. }) if self.rows_var_id(array) => {
                self.bind_flat_row_elements(s, array, start, block)
            }
            (syn::Pat::Tuple(t), Item::Elem { array, index, .. })
                if self.tuple_rows(array).is_some() =>
            {
                self.bind_tuple_row(t, array, &index, block)
                    .expect("`array` holds tuples")
            }
            (syn::Pat::Tuple(_), _) => err_at(
                pat,
                "this pattern does not match the item: `zip` and `enumerate` give pairs, `(a, b)`",
            ),
            (other, _) => err_at(
                other,
                "bind the item to a name, `x`, `&x`, `x: f64`, or a pair of them, `(i, x)`",
            ),
        }
    }

    /// `o` of `for o in obs`, a row of an array of arrays of real data: a copy of a
    /// `[f64; K]` row, a borrowed `Vec` row (see [`super::super::ragged`]), read as `o[j]`.
    fn bind_data_row(
        &mut self,
        name: &str,
        array: VarId,
        index: Expr,
        span: Span,
        block: &mut Block,
    ) {
        let v = self.new_var(name, Kind::Opaque, false, span);
        let row = Expr {
            op: Op::Index(array, Box::new(index)),
            kind: Kind::Opaque,
            span,
        };
        self.let_row(v, row, block);
    }

    /// Whether `array` is a parameter of arrays of arrays of reals (`obs: &[[f64; 2]]`, data),
    /// or of rows of reals of varying lengths (`obs: &[Vec<f64>]`, see [`super::super::ragged`]).
    pub(in crate::lower) fn holds_rows(&self, array: VarId) -> bool {
        self.kind(array) == &Kind::Opaque
            && self.vars[array]
                .ty
                .as_ref()
                .is_some_and(|t| nests_arrays_of_reals(t) || ragged_rows(t))
    }

    /// `[t, y]` bound to a row `array[index]` of opaque data (`obs: &[[f64; 2]]`): the row
    /// copied into a temporary, each name bound to its element, `_` skipped.
    fn bind_row_elements(
        &mut self,
        pat: &syn::PatSlice,
        array: VarId,
        index: Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = pat.span();
        let row = self.temp("row", Kind::Opaque, span);
        block.stmts.push(Stmt::Let {
            var: row,
            init: Init::Expr(Expr {
                op: Op::Index(array, Box::new(index)),
                kind: Kind::Opaque,
                span,
            }),
            span,
        });
        for (k, elem) in pat.elems.iter().enumerate() {
            match elem {
                syn::Pat::Wild(_) => {}
                syn::Pat::Ident(pi)
                    if pi.by_ref.is_none() && pi.subpat.is_none() && pi.mutability.is_none() =>
                {
                    let span = pi.ident.span();
                    let v = self.new_var(&name_of(&pi.ident), Kind::Opaque, false, span);
                    if self.holds_rows(array) {
                        self.real_elems.push(v);
                    }
                    block.stmts.push(Stmt::Let {
                        var: v,
                        init: Init::Expr(Expr {
                            op: Op::Index(row, Box::new(int_lit(k, span))),
                            kind: Kind::Opaque,
                            span,
                        }),
                        span,
                    });
                }
                other => return err_at(other, "bind each element of the row to a plain name or `_`, `[t, y]` (without `mut`, `..` or nested patterns)"),
            }
        }
        Ok(())
    }

    /// The value of `closure` applied to `args`, its body lowered into `block` (in the scopes of
    /// a stored closure's `let`, if `stored`). A closure does not write what it captures.
    pub(in crate::lower) fn inline_closure(
        &mut self,
        closure: &syn::ExprClosure,
        stored: Option<Vec<HashMap<String, VarId>>>,
        args: Vec<Item>,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        check_closure(closure)?;
        if closure.inputs.len() != args.len() {
            return err_at(
                &closure.inputs,
                format!("this closure takes {} argument(s) here", args.len()),
            );
        }
        let mark = self.vars.len();
        let outer = stored.map(|s| std::mem::replace(&mut self.scopes, s));
        self.scopes.push(HashMap::new());
        let mut inner = Block::default();
        let result = (|| {
            for (pat, item) in closure.inputs.iter().zip(args) {
                self.bind(pat, item, &mut None, &mut inner)?;
            }
            match strip_paren(&closure.body) {
                syn::Expr::Block(b) if b.label.is_none() => match b.block.stmts.split_last() {
                    Some((syn::Stmt::Expr(e, None), rest)) => {
                        self.stmts_into(rest, &mut inner);
                        self.expr(e, &mut inner)
                    }
                    _ => err_at(
                        &b.block,
                        "end the closure's block with its value (no `;` after it)",
                    ),
                },
                body => self.expr(body, &mut inner),
            }
        })();
        self.scopes.pop();
        if let Some(outer) = outer {
            self.scopes = outer;
        }
        let value = result?;
        let writes_capture = certain_writes(&inner).into_iter().any(|v| v.0 < mark);
        if writes_capture {
            return err_at(closure, "a closure that assigns to a variable it captures is not supported; write a `for` loop that assigns it");
        }
        block.stmts.extend(inner.stmts);
        Ok(value)
    }

    /// `let f = |x| ..;`: kept and inlined where it is called, in the scopes of its `let`; the
    /// scalars it reads are copied here, as the closure captures them.
    pub(in crate::lower) fn let_closure(
        &mut self,
        pat: &syn::Pat,
        closure: &syn::ExprClosure,
        block: &mut Block,
    ) -> syn::Result<()> {
        check_closure(closure)?;
        let (ident, mutable) = simple_binding(pat)?;
        if mutable {
            return err_at(pat, "a closure is bound without `mut`");
        }
        let mut names = IdentCollector::default();
        names.visit_expr(&closure.body);
        let mut scopes = self.scopes.clone();
        let mut captured: Vec<String> = names.0.into_iter().collect();
        captured.sort();
        for name in captured {
            let Some(v) = self.lookup(&name) else {
                continue;
            };
            if self.aliases.contains_key(&v) || self.closures.contains_key(&v) {
                continue;
            }
            match self.kind(v).clone() {
                kind @ (Kind::Real | Kind::Int | Kind::Bool) if self.vars[v].mutable => {
                    let span = closure.span();
                    let copy = self.temp(&name, kind.clone(), span);
                    block.stmts.push(Stmt::Let {
                        var: copy,
                        init: Init::Expr(var_expr(v, kind, span)),
                        span,
                    });
                    scopes
                        .last_mut()
                        .expect("a scope is open")
                        .insert(name, copy);
                }
                Kind::RealArray(_) | Kind::Matrix if closure.capture.is_some() => {
                    return err_at(
                        closure.capture,
                        format!("a `move` closure keeps its own copy of `{name}`; write the closure without `move`"),
                    );
                }
                _ => {}
            }
        }
        let v = self.new_var(&name_of(&ident), Kind::Opaque, false, ident.span());
        self.closures.insert(
            v,
            StoredClosure {
                closure: closure.clone(),
                scopes,
            },
        );
        Ok(())
    }

    /// `f(a, b)` of a closure stored in a `let`, if `call` is one.
    pub(in crate::lower) fn closure_call(
        &mut self,
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let Some(v) = self.path_var(&call.func) else {
            return Ok(None);
        };
        let Some(stored) = self.closures.get(&v).cloned() else {
            return Ok(None);
        };
        let mut args = Vec::new();
        for a in &call.args {
            args.push(self.closure_arg(a, block)?);
        }
        self.inline_closure(&stored.closure, Some(stored.scopes), args, block)
            .map(Some)
    }

    /// An argument of a closure: a number, or a tuple of them.
    pub(in crate::lower) fn closure_arg(
        &mut self,
        a: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Item> {
        if let syn::Expr::Tuple(t) = strip_paren(a) {
            if t.elems.len() == 2 {
                let first = self.closure_arg(&t.elems[0], block)?;
                let second = self.closure_arg(&t.elems[1], block)?;
                return Ok(Item::Pair(Box::new(first), Box::new(second)));
            }
        }
        let x = self.expr(a, block)?;
        if matches!(x.kind, Kind::RealArray(_) | Kind::Matrix) {
            return err_at(
                a,
                "pass numbers to a closure; the arrays it reads it captures",
            );
        }
        // Bound to the closure's parameter by its name, once.
        Ok(Item::Value(x))
    }
}

/// What a closure may not hold: `return` (which would return from the closure), `async`.
pub(in crate::lower) fn check_closure(c: &syn::ExprClosure) -> syn::Result<()> {
    if let Some(a) = &c.asyncness {
        return err_at(a, "`async` closures are not supported");
    }
    if let syn::ReturnType::Type(_, t) = &c.output {
        if t.to_token_stream().to_string() != "f64" {
            return err_at(t, "a closure here returns `f64`");
        }
    }
    pub(in crate::lower) struct Finder(Option<Span>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            self.0.get_or_insert(r.return_token.span);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder(None);
    f.visit_expr(&c.body);
    match f.0 {
        Some(span) => err(
            span,
            "`return` inside a closure is not supported; give the value as the closure's last expression",
        ),
        None => Ok(()),
    }
}

/// A function named where a closure is expected (`.map(f64::tanh)`, `.map(scale)`,
/// `.fold(0.0, add)`): the closure of `arity` arguments that calls it, `|arg0| f64::tanh(arg0)`,
/// spanned at the path so that what the call cannot do is reported there. `None` for any other
/// expression. The arguments are bound in the closure's own scope, so their names only have to
/// differ from the path's.
pub(in crate::lower) fn path_closure(e: &syn::Expr, arity: usize) -> Option<syn::ExprClosure> {
    let syn::Expr::Path(p) = strip_paren(e) else {
        return None;
    };
    if p.qself.is_some() || !p.attrs.is_empty() {
        return None;
    }
    let span = p.span();
    let own = p.path.get_ident().map(name_of);
    let args: Vec<syn::Ident> = (0..arity)
        .map(|k| {
            let mut name = format!("arg{k}");
            while own.as_deref() == Some(name.as_str()) {
                name.push('_');
            }
            syn::Ident::new(&name, span)
        })
        .collect();
    Some(syn::parse_quote_spanned!(span=> |#(#args),*| #p(#(#args),*)))
}
