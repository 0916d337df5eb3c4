//! Statements: their sequence and the guard that follows a statement which may `return`,
//! assertions, assignments and compound assignments, places (`let` is in `bind`).

use super::*;

impl Lowerer<'_> {
    pub(super) fn stmts(&mut self, stmts: &[syn::Stmt]) -> Block {
        let mut block = Block::default();
        self.stmts_into(stmts, &mut block);
        block
    }

    /// Lowers `stmts` into `block`. After a statement that may `return`, the rest of the block is
    /// guarded by `if !returned`.
    pub(super) fn stmts_into(&mut self, stmts: &[syn::Stmt], block: &mut Block) {
        self.collect_consts(stmts);
        self.array_consts_into(stmts, block);
        for (i, s) in stmts.iter().enumerate() {
            let exits = self.exit_flags(s);
            self.note_uses(stmts, i);
            let lowered = self.stmt(s, block);
            if let syn::Stmt::Local(local) = s {
                self.inferred.remove(&(local as *const syn::Local as usize));
            }
            if let Err(e) = lowered {
                // A statement that uses a rejected binding would only repeat that error.
                if !self.mentions_poisoned(s) {
                    self.error(e);
                }
                if let syn::Stmt::Local(local) = s {
                    self.poison_pattern(&local.pat);
                }
            }
            if !exits.is_empty() && i + 1 < stmts.len() {
                let span = stmts[i + 1].span();
                self.scopes.push(HashMap::new());
                let rest = self.stmts(&stmts[i + 1..]);
                self.scopes.pop();
                block.stmts.push(Stmt::If {
                    cond: self.none_raised(&exits, span),
                    then: rest,
                    els: Block::default(),
                    span,
                });
                return;
            }
        }
    }

    /// `return e` with early returns: assign the result variables and raise the flag.
    pub(super) fn return_assign(&mut self, e: &syn::Expr, span: Span) -> Block {
        let mut block = Block::default();
        let early_results = self
            .early
            .as_ref()
            .map(|e| e.results.clone())
            .unwrap_or_default();
        let flag = self
            .early
            .as_ref()
            .map(|e| e.flag)
            .expect("early return set up");
        let kinds: Vec<Kind> = early_results
            .iter()
            .map(|&r| self.kind(r).clone())
            .collect();
        if let Some(fields) = self.tuple_fields_as(e, &kinds) {
            // `return p;` of a tuple local.
            for (value, r) in fields.into_iter().zip(early_results) {
                block.stmts.push(Stmt::Assign {
                    place: Place::Var(r),
                    value,
                    span,
                });
            }
        } else {
            self.return_values(e, early_results, &mut block);
        }
        block.stmts.push(Stmt::Assign {
            place: Place::Var(flag),
            value: Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> true))),
                kind: Kind::Bool,
                span,
            },
            span,
        });
        block
    }

    /// The values of `return e;` assigned to the result variables.
    fn return_values(&mut self, e: &syn::Expr, early_results: Vec<VarId>, block: &mut Block) {
        let elems: Vec<&syn::Expr> = match strip_paren(e) {
            syn::Expr::Tuple(t) if early_results.len() > 1 => t.elems.iter().collect(),
            _ => vec![e],
        };
        if elems.len() != early_results.len() {
            self.error(syn::Error::new_spanned(
                e,
                "returns a different number of values than the function's type says",
            ));
            return;
        }
        for (elem, r) in elems.into_iter().zip(early_results) {
            // `assign_value` also takes an `if` or `match` that gives the value.
            if let Err(err) = self.assign_value(r, elem, block) {
                self.error(err);
            }
        }
    }

    pub(super) fn stmt(&mut self, s: &syn::Stmt, block: &mut Block) -> syn::Result<()> {
        self.spans.clear();
        match s {
            syn::Stmt::Local(local) => self.local(local, block),
            syn::Stmt::Item(syn::Item::Const(c)) => self.const_item(c),
            syn::Stmt::Item(item) => err_at(item,
                "items inside a differentiable function are not supported; move this item outside the function",
            ),
            syn::Stmt::Macro(m) if assertion(&m.mac).is_some() => self.assertion(&m.mac, block),
            syn::Stmt::Macro(m) => err_at(&m.mac.path,
                format!(
                    "macro `{}!` is not supported in a differentiable function; only `vec![..]` is, in a `let`, and the assertions `assert!`, `assert_eq!`, `assert_ne!`, `debug_assert!` (kept, not differentiated); move other macros out of the function",
                    m.mac.path.to_token_stream()
                ),
            ),
            syn::Stmt::Expr(e, semi) => {
                if semi.is_none() && !matches!(strip_paren(e), syn::Expr::ForLoop(_) | syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) | syn::Expr::While(_) | syn::Expr::Loop(_) | syn::Expr::Break(_) | syn::Expr::Continue(_) | syn::Expr::Unsafe(_)) {
                    return err_at(e, "a value here is not used: end the statement with `;`, or return the value at the end of the function");
                }
                self.expr_stmt(e, block)
            }
        }
    }

    /// `assert!(cond, "..", args)`, `assert_eq!(a, b)`...: kept as a statement, its values
    /// lowered (so they name the variables the generated code binds), its format string as
    /// written.
    fn assertion(&mut self, mac: &syn::Macro, block: &mut Block) -> syn::Result<()> {
        let operands = assertion(mac).expect("an assertion");
        let name = mac.path.segments.last().expect("a name").ident.clone();
        let args = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        )?;
        let args: Vec<&syn::Expr> = args.iter().collect();
        if args.len() < operands {
            let what = if operands == 1 {
                "a condition: `assert!(x > 0.0)`"
            } else {
                "two values: `assert_eq!(n, 3)`"
            };
            return err_at(mac, format!("`{name}!` takes {what}"));
        }
        let mut lowered = Vec::new();
        for a in &args[..operands] {
            lowered.push(self.assertion_value(a, &name, block)?);
        }
        if operands == 1 && lowered[0].kind != Kind::Bool {
            return err_at(
                args[0],
                format!("the condition of `{name}!` is a bool, `x > 0.0`"),
            );
        }
        if operands == 2 && lowered.iter().any(|e| e.kind == Kind::Real) {
            let b = lowered.pop().expect("two");
            let a = lowered.pop().expect("two");
            lowered = vec![self.coerce_real(a)?, self.coerce_real(b)?];
        }
        let message = match args.get(operands) {
            None => None,
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(format),
                ..
            })) => {
                let rewritten =
                    format::positional(&format.value(), &args[operands + 1..], format.span())
                        .or_else(|msg| err_at(format, msg))?;
                let mut values = Vec::new();
                for a in &rewritten.args {
                    values.push(self.assertion_value(a, &name, block)?);
                }
                Some((syn::LitStr::new(&rewritten.format, format.span()), values))
            }
            Some(other) => {
                return err_at(
                    other,
                    format!("the message of `{name}!` is a string literal, `\"x = {{}}\", x`"),
                )
            }
        };
        block.stmts.push(Stmt::Assert(Assert {
            mac: name,
            operands: lowered,
            message,
            written: args[0].to_token_stream().to_string(),
            span: mac.span(),
        }));
        Ok(())
    }

    /// A value an assertion reads: an integer, a bool or a real, not a whole array.
    fn assertion_value(
        &mut self,
        e: &syn::Expr,
        name: &syn::Ident,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let v = self.expr(e, block)?;
        match v.kind {
            Kind::Real | Kind::Int | Kind::Bool | Kind::Opaque => Ok(v),
            Kind::RealArray(_) | Kind::Matrix => err_at(e, format!(
                "`{name}!` of a whole array or matrix is not supported; assert on its elements or its length, `assert!(x.len() == 3)`"
            )),
        }
    }

    /// A statement that is an expression: an assignment, a loop, a branch, a `return`, a call,
    /// or a block.
    pub(super) fn expr_stmt(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<()> {
        match strip_paren(e) {
            syn::Expr::Assign(a)
                if matches!(strip_paren(&a.right), syn::Expr::If(_) | syn::Expr::Match(_)) =>
            {
                self.assign_branches(a, block)
            }
            syn::Expr::Assign(a) if tuples::written_tuple(&a.right).is_some() => {
                self.assign_tuple(a, block)
            }
            syn::Expr::Assign(a) if self.whole_array_target(&a.left).is_some() => {
                self.whole_array_assign(a, block)
            }
            syn::Expr::Assign(a) if self.whole_row_target(&a.left).is_some() => {
                self.whole_row_assign(a, block)
            }
            syn::Expr::Assign(a) => {
                let span = a.span();
                let place = self.place(&a.left, block)?;
                // `y = g(..)`: hoist the call, then assign (a matrix's call gives a matrix).
                let value = if matches!(place, Place::Var(v) if self.kind(v) == &Kind::Matrix) {
                    self.matrix_expr(&a.right, block)?
                } else {
                    self.expr(&a.right, block)?
                };
                let value = self.place_value(&place, value, a.right.span())?;
                block.stmts.push(Stmt::Assign { place, value, span });
                Ok(())
            }
            syn::Expr::Binary(b) if is_compound_assign(&b.op) => self.compound_assign(b, block),
            syn::Expr::ForLoop(f) => self.for_loop(f, block),
            syn::Expr::While(_) | syn::Expr::Loop(_) | syn::Expr::Break(_) | syn::Expr::Continue(_) => self.loop_stmt(strip_paren(e), block),
            syn::Expr::Macro(m) if assertion(&m.mac).is_some() => self.assertion(&m.mac, block),
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, block, None)?;
                block.stmts.push(s);
                Ok(())
            }
            syn::Expr::Match(m) => self.match_stmt(m, block, None),
            syn::Expr::Return(r) => self.return_stmt(r, block),
            syn::Expr::Call(call) => self.call_stmt(call, block),
            syn::Expr::MethodCall(mc) if mc.method == "push" => self.push_stmt(mc, block),
            syn::Expr::MethodCall(mc) if mc.method == "for_each" => {
                let f = for_each_as_loop(mc)?;
                self.for_loop(&f, block)
            }
            syn::Expr::MethodCall(mc) => self.slice_method_stmt(mc, block).unwrap_or_else(|| err_at(
                &mc.method,
                format!(
                    "`.{}()` is not supported as a statement: arrays keep their length and order in a differentiable function; create them with `vec![0.0; n]` and assign their elements",
                    mc.method
                ),
            )),
            syn::Expr::Block(b) if b.label.is_none() => {
                // A plain block: a scope of its own, lowered as `if true { .. }`.
                self.scopes.push(HashMap::new());
                let inner = self.stmts(&b.block.stmts);
                self.scopes.pop();
                let span = b.span();
                block.stmts.push(Stmt::If {
                    cond: Expr {
                        op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> true))),
                        kind: Kind::Bool,
                        span,
                    },
                    then: inner,
                    els: Block::default(),
                    span,
                });
                Ok(())
            }
            other => Err(unsupported(other)),
        }
    }

    /// `s = if c { a } else { b };` and `s = match k { .. };`: the branches assign the variable;
    /// an element `v[i]` gets the value through a temporary assigned in the branches.
    fn assign_branches(&mut self, a: &syn::ExprAssign, block: &mut Block) -> syn::Result<()> {
        let span = a.span();
        match self.place(&a.left, block)? {
            // Data (`k = if n > 0 { Some(n - 1) } else { None };`) is copied in each branch.
            Place::Var(v)
                if matches!(self.kind(v), Kind::Real | Kind::Int | Kind::Bool | Kind::Opaque) =>
            {
                self.assign_value(v, &a.right, block)
            }
            Place::Var(v) => err_at(
                &a.right,
                format!(
                    "an `if` or `match` that gives a value is supported for reals, integers, bools and data; assign `{}` in each branch instead",
                    self.shown(v)
                ),
            ),
            place @ (Place::Index(..) | Place::Push(..)) => {
                let value = self.temp("branch", Kind::Real, span);
                self.vars[value].mutable = true;
                block.stmts.push(Stmt::Let {
                    var: value,
                    init: Init::Expr(real_lit(0.0, span)),
                    span,
                });
                self.assign_value(value, &a.right, block)?;
                block.stmts.push(Stmt::Assign {
                    place,
                    value: var_expr(value, Kind::Real, span),
                    span,
                });
                Ok(())
            }
        }
    }

    /// `place op= value`, lowered to `place = place op value`.
    fn compound_assign(&mut self, b: &syn::ExprBinary, block: &mut Block) -> syn::Result<()> {
        let span = b.span();
        let op = match binary_op(&b.op) {
            Some(op) => op,
            None => return err_at(b.op, "bitwise assignment operators are not supported"),
        };
        let place = self.place(&b.left, block)?;
        let current = self.place_read(&place, b.left.span());
        let rhs = self.expr(&b.right, block)?;
        let value = self.binary(op, current, rhs, (span, b.op.span()), block)?;
        let value = self.place_value(&place, value, b.right.span())?;
        block.stmts.push(Stmt::Assign { place, value, span });
        Ok(())
    }

    /// `return e;` before the end of the function.
    fn return_stmt(&mut self, r: &syn::ExprReturn, block: &mut Block) -> syn::Result<()> {
        if self.early.is_none() {
            if self.ret_failed {
                return Ok(());
            }
            return err_at(
                    r,
                    "early `return` is supported in functions that return `f64` or a tuple of `f64`; for other results, assign a variable in each branch and end the function with it",
                );
        }
        let value = match &r.expr {
            Some(v) => v,
            None => return err_at(r, "return the function's value: `return x;`"),
        };
        let b = self.return_assign(value, r.span());
        block.stmts.extend(b.stmts);
        Ok(())
    }

    /// A differentiable call whose result is `()`: it writes through its `&mut` arguments.
    fn call_stmt(&mut self, call: &syn::ExprCall, block: &mut Block) -> syn::Result<()> {
        if !self.is_differentiable_call(call) {
            return err_at(call, "a call of a constant function as a statement has no effect on derivatives; remove it");
        }
        let outer = self.copy_backs.replace(Vec::new());
        let args = self.call_args(call, block);
        let pending = std::mem::replace(&mut self.copy_backs, outer).unwrap_or_default();
        let args = args?;
        if args
            .iter()
            .all(|a| matches!(a, Arg::Value(e) if !e.kind.is_real()))
        {
            return err_at(
                    &call.func,
                    "this call takes no real argument, so it cannot change a derivative; call it outside the differentiable function",
                );
        }
        let callee = self.callee_path(call)?;
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results: Vec::new(),
            tuple: false,
            arg_spans: super::call::arg_spans(call),
            span: call.span(),
        }));
        self.copy_back(pending, call.span(), block);
        Ok(())
    }

    /// The value assigned to `place`, converted to its kind.
    pub(super) fn place_value(
        &mut self,
        place: &Place,
        value: Expr,
        span: Span,
    ) -> syn::Result<Expr> {
        let var = place.var();
        let target_real = match place {
            Place::Index(..) | Place::Push(..) => true,
            Place::Var(_) => self.kind(var) == &Kind::Real,
        };
        let target_matrix = self.kind(var) == &Kind::Matrix && matches!(place, Place::Var(_));
        if target_matrix != (value.kind == Kind::Matrix) {
            err(
                span,
                format!(
                    "`{}` is {}a matrix or vector, and this value is {}",
                    self.shown(var),
                    if target_matrix { "" } else { "not " },
                    if target_matrix { "not" } else { "one" }
                ),
            )
        } else if target_real {
            self.coerce_real(value)
        } else if value.kind == Kind::Real {
            err(
                span,
                format!(
                    "`{}` is not a real variable; a real value cannot be assigned to it",
                    self.shown(var)
                ),
            )
        } else {
            Ok(value)
        }
    }

    pub(super) fn place(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Place> {
        match e {
            syn::Expr::Path(_) => {
                let v = self.var_of(e)?;
                if let Some(Alias::Elem { array, .. } | Alias::Window { array, .. }) = self.alias(v)
                {
                    return err_at(e, format!("`{}` is an element of `{}` that the iterator gives, not a variable: copy it into one to change it, `let mut t = ..;`, or write the element through `iter_mut()`", self.shown(v), self.shown(*array)));
                }
                match self.kind(v) {
                    Kind::RealArray(_) => err_at(
                        e,
                        "assigning a whole array is not supported; assign its elements in a loop",
                    ),
                    _ => {
                        self.vars[v].mutable = true;
                        Ok(Place::Var(v))
                    }
                }
            }
            syn::Expr::Index(ix) => {
                if let syn::Expr::Index(inner) = strip_paren(&ix.expr) {
                    if self.rows_var(&inner.expr).is_some() {
                        return self.row_place(inner, ix, block);
                    }
                    return err_at(e, NESTED_LOCAL);
                }
                let v = self.var_of(&ix.expr)?;
                if self.subslices.contains(&v) {
                    return self.window_place(v, ix, block);
                }
                self.refuse_rows(v, e, "assigning a whole row")?;
                if self.kind(v) == &Kind::Matrix {
                    return self.matrix_place(v, ix, block);
                }
                if self.kind(v) == &Kind::Opaque {
                    return err_at(
                        &ix.expr,
                        format!("`{}` is data, read only: to change a row of an array of arrays, copy it into a real array, `let mut r = [o[0], o[1]];`, and write `r[j]`", self.shown(v)),
                    );
                }
                if !matches!(self.kind(v), Kind::RealArray(_)) {
                    return err_at(
                        &ix.expr,
                        "only elements of real arrays can be assigned in a differentiable function",
                    );
                }
                if self.kind(v) == &Kind::RealArray(ArrayRepr::Slice) {
                    return err_at(
                        &ix.expr,
                        format!(
                            "`{}` is a shared slice: take it as `&mut [f64]` to write into it",
                            self.shown(v)
                        ),
                    );
                }
                self.vars[v].mutable = true;
                let index = self.index_expr(&ix.index, block)?;
                Ok(Place::Index(v, index))
            }
            syn::Expr::Field(f) if matches!(f.member, syn::Member::Unnamed(_)) => {
                let v = self.tuple_field(f)?;
                self.vars[v].mutable = true;
                Ok(Place::Var(v))
            }
            syn::Expr::Paren(p) => self.place(&p.expr, block),
            syn::Expr::Group(g) => self.place(&g.expr, block),
            syn::Expr::Unary(u)
                if matches!(u.op, syn::UnOp::Deref(_)) && self.is_iter_ref(&u.expr) =>
            {
                self.alias_place(&u.expr)
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => err_at(
                u,
                "writing through a reference is not supported; take the value and return it",
            ),
            other => err_at(other, "assign to a variable or to an element `v[i]`"),
        }
    }

    pub(super) fn place_read(&self, place: &Place, span: Span) -> Expr {
        match place {
            Place::Var(v) => var_expr(*v, self.kind(*v).clone(), span),
            Place::Index(v, i) | Place::Push(v, i) => Expr {
                op: Op::Index(*v, Box::new(i.clone())),
                kind: Kind::Real,
                span,
            },
        }
    }
}

pub(super) fn simple_binding(p: &syn::Pat) -> syn::Result<(syn::Ident, bool)> {
    match p {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
            Ok((pi.ident.clone(), pi.mutability.is_some()))
        }
        syn::Pat::Wild(w) => Ok((syn::Ident::new("__unused", w.span()), false)),
        other => err_at(other, "bind a plain name: `let x = ...;`"),
    }
}

/// Whether a statement contains a `return`.
pub(super) fn stmt_returns(s: &syn::Stmt) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder(false);
    f.visit_stmt(s);
    f.0
}

/// A `let` of one name: what the statement says about the binding.
pub(super) struct Binding<'a> {
    pub(super) ident: &'a syn::Ident,
    pub(super) mutable: bool,
    /// The written type.
    pub(super) ty: Option<&'a syn::Type>,
    /// The kind of the written type.
    pub(super) declared: Option<Kind>,
    /// The whole statement.
    pub(super) span: Span,
}

/// The value of a `let`, or an error for `let x;` and `let ... else`.
pub(super) fn let_initialiser(local: &syn::Local) -> syn::Result<&syn::Expr> {
    match &local.init {
        Some(init) => {
            if let Some((_, diverge)) = &init.diverge {
                return err_at(diverge, "`let ... else` is not supported; bind the value with `let` and test it with `if`");
            }
            Ok(&*init.expr)
        }
        None => err_at(
            &local.pat,
            "give the binding its value where it is declared: `let x = ...;`",
        ),
    }
}

/// How many values the assertion macro `mac` compares (1 for `assert!`, 2 for `assert_eq!`),
/// `None` for another macro.
pub(super) fn assertion(mac: &syn::Macro) -> Option<usize> {
    let name = mac.path.get_ident()?.to_string();
    match name.strip_prefix("debug_").unwrap_or(&name) {
        "assert" => Some(1),
        "assert_eq" | "assert_ne" => Some(2),
        _ => None,
    }
}

/// `chain.for_each(|pat| body)` as the `for` loop it is, `for pat in chain { body; }` (the
/// closure's parameter type, if written, dropped: the loop's pattern takes none).
fn for_each_as_loop(mc: &syn::ExprMethodCall) -> syn::Result<syn::ExprForLoop> {
    let advice = "`.for_each(..)` takes a closure of one argument, `x.iter_mut().for_each(|v| *v *= 0.5)`; or write the `for` loop, `for v in x.iter_mut() { *v *= 0.5; }`";
    let closure = match mc.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::Expr::Closure(c)] if c.inputs.len() == 1 => c,
        _ => return err_at(&mc.method, advice),
    };
    if contains_return(&closure.body) {
        return err_at(&closure.body, "a `return` in the closure of `.for_each(..)` goes to the next item: write the `for` loop with `continue`");
    }
    let pat = match &closure.inputs[0] {
        syn::Pat::Type(t) => (*t.pat).clone(),
        p => p.clone(),
    };
    let span = mc.method.span();
    let body = match &*closure.body {
        syn::Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => b.block.clone(),
        e => syn::Block {
            brace_token: Default::default(),
            stmts: vec![syn::Stmt::Expr(e.clone(), Some(syn::Token![;](span)))],
        },
    };
    Ok(syn::ExprForLoop {
        attrs: Vec::new(),
        label: None,
        for_token: syn::Token![for](span),
        pat: Box::new(pat),
        in_token: syn::Token![in](span),
        expr: mc.receiver.clone(),
        body,
    })
}

/// Whether `e` holds a `return` (outside nested closures).
fn contains_return(e: &syn::Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_expr(&mut f, e);
    f.0
}
