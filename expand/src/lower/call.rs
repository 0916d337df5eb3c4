//! Calls: of `#[differentiable]` functions (hoisted out of expressions into their own
//! statements, with their arguments classified as values, arrays read or written, and matrices),
//! of functions declared constant, and of `f64::` functions.

use super::*;

/// Whether `e` computes a value (arithmetic, a call, a method), rather than naming a place.
fn is_computed(e: &syn::Expr) -> bool {
    matches!(
        strip_paren(e),
        syn::Expr::Binary(_) | syn::Expr::Unary(_) | syn::Expr::Call(_) | syn::Expr::MethodCall(_)
    )
}

/// Where each argument of `call` is written: `Call::arg_spans`.
pub(super) fn arg_spans(call: &syn::ExprCall) -> Vec<Span> {
    call.args.iter().map(|a| a.span()).collect()
}

impl Lowerer<'_> {
    /// `t = callee(args)` of `call`: a differentiable call whose one result goes to `t`.
    pub(super) fn push_call(
        &self,
        call: &syn::ExprCall,
        (callee, args): (syn::Path, Vec<Arg>),
        t: VarId,
        block: &mut Block,
    ) {
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results: vec![t],
            tuple: false,
            arg_spans: arg_spans(call),
            span: call.span(),
        }));
    }

    pub(super) fn is_constant_fn(&self, path: &syn::Path) -> bool {
        self.args.constants.iter().any(|c| c == path)
            || (path.segments.len() == 1
                && self.args.constants.iter().any(|c| {
                    c.segments.last().map(|s| &s.ident) == path.segments.last().map(|s| &s.ident)
                }))
    }

    /// Whether `call` calls a differentiable function (so its companions are called).
    pub(super) fn is_differentiable_call(&self, call: &syn::ExprCall) -> bool {
        match strip_paren(&call.func) {
            syn::Expr::Path(p) => {
                !call.args.is_empty()
                    && !super::options::is_some_path(&p.path)
                    && !self.is_constant_fn(&p.path)
                    && builtin_path(&p.path).is_none()
                    && matrix_from_slice(&p.path).is_none()
                    && matrix_new(&p.path).is_none()
                    && !is_matrix_constant(&p.path)
                    && p.path
                        .get_ident()
                        .is_none_or(|i| self.lookup(&name_of(i)).is_none())
            }
            _ => false,
        }
    }

    pub(super) fn callee_path(&self, call: &syn::ExprCall) -> syn::Result<syn::Path> {
        match strip_paren(&call.func) {
            syn::Expr::Path(p) if p.qself.is_none() => {
                if let Some(i) = p.path.get_ident() {
                    if self.lookup(&name_of(i)).is_some() {
                        return err_at(i, "calling a variable is not supported: closures and function pointers cannot be differentiated; call a `#[differentiable]` function by name");
                    }
                }
                if let Some(bad) = generic_arguments(&p.path) {
                    return err_at(bad, "remove the generic arguments: differentiable functions are called without them, or with the lengths of their const generic parameters, `f::<40>(..)` or `f::<N>(..)`");
                }
                if let Some(advice) = std_function_advice(&p.path) {
                    return err_at(p, advice);
                }
                Ok(p.path.clone())
            }
            other => err_at(
                other,
                "call a `#[differentiable]` function by its name or path",
            ),
        }
    }

    pub(super) fn call_args(
        &mut self,
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<Vec<Arg>> {
        self.callee_path(call)?;
        let mut args = Vec::new();
        let mut seen = Vec::new();
        // A `&mut [f64]` variable passed bare more than once goes to shared parameters (Rust
        // allows no two `&mut` borrows): it is read, not written.
        let bare_mut: Vec<VarId> = call
            .args
            .iter()
            .filter_map(|a| self.path_var(a))
            .filter(|v| self.kind(*v) == &Kind::RealArray(ArrayRepr::SliceMut))
            .collect();
        for a in &call.args {
            let mut arg = self.call_arg(a, block)?;
            if let Arg::ArrayMut { var, by_ref: false } = arg {
                if bare_mut.iter().filter(|&&v| v == var).count() > 1 {
                    arg = Arg::Array { var, by_ref: false };
                }
            }
            // A real passed twice would need two `&mut` borrows of one adjoint: the second use
            // gets a copy of its own, whose adjoint flows back through the copy.
            let span = a.span();
            match &arg {
                Arg::Value(Expr {
                    op: Op::Var(v),
                    kind: Kind::Real,
                    ..
                }) => {
                    if seen.contains(v) {
                        let t = self.temp("arg", Kind::Real, span);
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::Expr(var_expr(*v, Kind::Real, span)),
                            span,
                        });
                        arg = Arg::Value(var_expr(t, Kind::Real, span));
                    } else {
                        seen.push(*v);
                    }
                }
                Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                    if seen.contains(var) {
                        if let Arg::ArrayMut { .. } = arg {
                            return err_at(a, "this array is passed twice, once as `&mut`: Rust forbids it; copy it first with `.to_vec()`");
                        }
                        let kind = match self.kind(*var) {
                            Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                                Kind::RealArray(r.clone())
                            }
                            _ => Kind::RealArray(ArrayRepr::Vec),
                        };
                        let t = self.temp("arg", kind, span);
                        self.rows_like(t, *var);
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::CopyOf(*var),
                            span,
                        });
                        arg = Arg::Array {
                            var: t,
                            by_ref: true,
                        };
                    } else {
                        seen.push(*var);
                    }
                }
                Arg::Matrix { var, by_ref } => {
                    // The second use gets a copy, so that each has an adjoint of its own.
                    if seen.contains(var) {
                        let t = self.temp("arg", Kind::Matrix, span);
                        let by_ref = *by_ref;
                        block.stmts.push(Stmt::Let {
                            var: t,
                            init: Init::Expr(var_expr(*var, Kind::Matrix, span)),
                            span,
                        });
                        arg = Arg::Matrix { var: t, by_ref };
                    } else {
                        seen.push(*var);
                    }
                }
                Arg::Value(_) => {}
            }
            args.push(arg);
        }
        Ok(args)
    }

    pub(super) fn call_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Arg> {
        let a = strip_paren(a);
        if let Some(arg) = self.data_row_arg(a, block)? {
            return Ok(arg);
        }
        let inner = match a {
            syn::Expr::Reference(r) => &*r.expr,
            a => a,
        };
        if let Some(v) = self.path_var(inner) {
            self.rows_by_value(v, a)?;
            // A window is no variable of the generated code: its elements are the array's.
            if let Some(Alias::Window { array, start, len }) = self.alias(v).cloned() {
                if self.subslices.contains(&v) {
                    // A sub-slice bound to a local, `let tail = &x[1..];` (see `slices`).
                    return self.window_arg(a, array, start, len, block);
                }
                // A row of an array of arrays read by the callee is passed as a copy.
                if let Some(arg) = self.row_arg(a, array, start, block) {
                    return Ok(arg);
                }
                return err_at(a, format!("`{}` is a row or window of `{}`: copy it into an array first, `let row = [{0}[0], {0}[1]];` (or `let row = {1}[k];` of an array of arrays), and pass that", self.shown(v), self.shown(array)));
            }
            if *self.kind(v) == Kind::Matrix {
                return match a {
                    syn::Expr::Reference(r) if r.mutability.is_some() => err_at(
                        a,
                        "nalgebra values are read, not written, by a differentiable function: pass `&v` and return the result",
                    ),
                    syn::Expr::Reference(_) => Ok(Arg::Matrix { var: v, by_ref: true }),
                    _ => Ok(Arg::Matrix { var: v, by_ref: false }),
                };
            }
        }
        match a {
            syn::Expr::Reference(r) => self.ref_arg(r, block),
            _ => self.value_arg(a, block),
        }
    }

    /// Whether opaque `e` is a row of an array of arrays of real data, `[f64; K]` (`obs[k]` of
    /// `obs: &[[f64; K]]` outside `wrt(..)`, or a local bound to one, `o` of `let o = obs[k];`).
    pub(super) fn is_data_row(&self, e: &Expr) -> bool {
        match &e.op {
            Op::Var(v) | Op::Ref(v) => {
                self.data_rows.contains(v)
                    || self.real_rows.contains(v)
                    || self.ragged_rows.contains(v)
            }
            Op::Index(a, _) => self.holds_rows(*a),
            _ => false,
        }
    }

    /// The argument `obs[k]` or `&obs[k]` (a row of real data, see [`Self::is_data_row`]),
    /// bound to a temporary the IR knows as a data row (`Function::data_rows`): the callee
    /// gets it lifted to the scalar with a zero tangent and adjoint, as an inactive `[f64; K]`
    /// of the caller's, so a callee that keeps the parameter outside its `wrt(..)` and one
    /// that differentiates it both take it. `None` for any other argument.
    fn data_row_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Option<Arg>> {
        let (by_ref, row) = match a {
            syn::Expr::Reference(r) if r.mutability.is_none() => (true, strip_paren(&r.expr)),
            syn::Expr::Reference(_) => return Ok(None),
            a => (false, a),
        };
        let span = a.span();
        if let Some(v) = self.path_var(row) {
            // `o` or `&o` of `let o = obs[k];`.
            let held = Expr {
                op: Op::Var(v),
                kind: Kind::Opaque,
                span,
            };
            if self.kind(v) != &Kind::Opaque || !self.is_data_row(&held) {
                return Ok(None);
            }
            let ragged = self.ragged_rows.contains(&v);
            self.passed_row(v, ragged);
            let op = if by_ref { Op::Ref(v) } else { Op::Var(v) };
            return Ok(Some(Arg::Value(Expr {
                op,
                kind: Kind::Opaque,
                span,
            })));
        }
        let syn::Expr::Index(ix) = row else {
            return Ok(None);
        };
        if matches!(&*ix.index, syn::Expr::Range(_)) {
            return Ok(None);
        }
        match self.path_var(&ix.expr) {
            Some(v) if self.holds_rows(v) => {}
            _ => return Ok(None),
        }
        let value = self.expr(row, block)?;
        if value.kind != Kind::Opaque || !self.is_data_row(&value) {
            return Ok(None);
        }
        let t = self.temp("row", Kind::Opaque, span);
        let ragged = self.is_ragged_row(&value);
        self.passed_row(t, ragged);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(value),
            span,
        });
        let op = if by_ref { Op::Ref(t) } else { Op::Var(t) };
        Ok(Some(Arg::Value(Expr {
            op,
            kind: Kind::Opaque,
            span,
        })))
    }

    /// An argument written `&v` or `&mut v`.
    fn ref_arg(&mut self, r: &syn::ExprReference, block: &mut Block) -> syn::Result<Arg> {
        if let syn::Expr::Index(ix) = strip_paren(&r.expr) {
            if let syn::Expr::Range(range) = &*ix.index {
                return self.subslice_arg(r, ix, range, block);
            }
        }
        if let Some(row) = self.borrowed_row_arg(r, block)? {
            return Ok(row);
        }
        let v = match self.path_var(&r.expr) {
            Some(v) => v,
            None if r.mutability.is_none() && is_computed(&r.expr) => {
                // `&(s + k1 * h)`: a matrix computed for the call, borrowed from a temporary.
                let value = self.expr(&r.expr, block)?;
                if value.kind != Kind::Matrix {
                    return err_at(
                        &r.expr,
                        "bind this value to a variable first, `let v = ..;`, and pass `&v`",
                    );
                }
                let t = self.matrix_operand(value, block);
                let Op::Var(var) = t.op else {
                    unreachable!("matrix operands are variables")
                };
                return Ok(Arg::Matrix { var, by_ref: true });
            }
            None => return err_at(&r.expr, "pass a variable by reference: `&v` or `&mut v`"),
        };
        match (self.kind(v).clone(), r.mutability.is_some()) {
            (Kind::RealArray(repr), true) => {
                if repr == ArrayRepr::Slice {
                    return err_at(r, format!("`{}` is a shared slice and cannot be passed as `&mut`", self.shown(v)));
                }
                if matches!(repr, ArrayRepr::SliceMut) {
                    return err_at(r, format!("`{}` is already `&mut [f64]`: pass it as `{}`", self.shown(v), self.shown(v)));
                }
                self.vars[v].mutable = true;
                Ok(Arg::ArrayMut { var: v, by_ref: true })
            }
            (Kind::RealArray(repr), false) => {
                if matches!(repr, ArrayRepr::Slice | ArrayRepr::SliceMut) {
                    return err_at(r, format!("`{}` is already a slice: pass it as `{}`", self.shown(v), self.shown(v)));
                }
                Ok(Arg::Array { var: v, by_ref: true })
            }
            (Kind::Real, _) if self.untyped_results.contains(&v) => err_at(
                r,
                format!("`{0}` holds the result of a call, taken to be `f64`; if it is an array, write its type: `let {0}: Vec<f64> = ...` or `let {0}: [f64; N] = ...`", self.shown(v)),
            ),
            (Kind::Real, _) => err_at(r, "pass a real scalar by value; a differentiable function returns what it computes"),
            (_, false) => Ok(Arg::Value(Expr {
                op: Op::Ref(v),
                kind: Kind::Opaque,
                span: r.span(),
            })),
            (_, true) => err_at(r, "only real arrays can be passed as `&mut` to a differentiable function"),
        }
    }

    /// An argument written without `&`: an array passed by name, an array constructor, or a value.
    fn value_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Arg> {
        if let Some(v) = self.path_var(a) {
            match self.kind(v).clone() {
                Kind::RealArray(ArrayRepr::Slice) => {
                    return Ok(Arg::Array {
                        var: v,
                        by_ref: false,
                    })
                }
                Kind::RealArray(ArrayRepr::SliceMut) => {
                    return Ok(Arg::ArrayMut {
                        var: v,
                        by_ref: false,
                    })
                }
                Kind::RealArray(ArrayRepr::Array(_)) => {
                    return Ok(Arg::Array {
                        var: v,
                        by_ref: false,
                    })
                }
                // Passed by value: the generated code passes a copy, so the variable stays
                // available to the reverse sweep.
                Kind::RealArray(ArrayRepr::Vec) => {
                    return Ok(Arg::Array {
                        var: v,
                        by_ref: false,
                    })
                }
                _ => {}
            }
        }
        if let Some(init) = self.array_init(a, block)? {
            let kind = match &init {
                Init::ArrayFill { len, .. } => {
                    Kind::RealArray(ArrayRepr::Array(ArrayLen(len.clone())))
                }
                Init::ArrayList(es) => {
                    let n = es.len();
                    Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))))
                }
                Init::CopyOf(src) => match self.kind(*src) {
                    Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                        Kind::RealArray(r.clone())
                    }
                    _ => Kind::RealArray(ArrayRepr::Vec),
                },
                _ => Kind::RealArray(ArrayRepr::Vec),
            };
            let t = self.temp("arg", kind, a.span());
            block.stmts.push(Stmt::Let {
                var: t,
                init,
                span: a.span(),
            });
            return Ok(Arg::Array {
                var: t,
                by_ref: false,
            });
        }
        self.expr_arg(a, block)
    }

    /// Whether opaque `e` computes with elements of arrays of arrays of reals (`obs[k][j]`,
    /// `o[j]`, `t` of `for &[t, y] in obs`, `o[0] + obs[0][1]`, `o[0].hypot(..)`): a real. A row
    /// itself, `o`, is not.
    pub(super) fn is_real_data(&self, e: &Expr) -> bool {
        if let Op::Var(v) = &e.op {
            return self.real_elems.contains(v);
        }
        let mut reads = Vec::new();
        e.reads(&mut reads);
        reads
            .iter()
            .any(|v| self.real_rows.contains(v) || self.real_elems.contains(v))
    }

    /// An argument that is an expression: a matrix or a real bound to a variable of its own, or
    /// an inactive value as written.
    fn expr_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Arg> {
        let mut value = self.expr(a, block)?;
        if value.kind == Kind::Matrix {
            // A matrix expression: computed into a variable of its own, passed by value.
            let t = self.matrix_operand(value, block);
            let Op::Var(var) = t.op else {
                unreachable!("matrix operands are variables")
            };
            return Ok(Arg::Matrix { var, by_ref: false });
        }
        if value.kind == Kind::Opaque && self.is_real_data(&value) {
            // An element of an array of arrays of reals (`obs[k][j]`, `o[j]` of `for o in
            // obs`, `t` of `for &[t, y] in obs`): a real, with a tangent and adjoint slot in
            // the callee's companions like any real argument (found by the random programs).
            value = self.coerce_real(value)?;
        }
        if value.kind == Kind::Opaque && self.is_unknown_constant(&value) {
            // A constant whose type is not written here (`H`, `dt()`): passed as a real,
            // the common case for arguments of differentiable functions; an integer
            // constant is a type error on its span (bind it first: `let n: usize = N;`).
            value = self.coerce_real(value)?;
        }
        if value.kind == Kind::Real && !matches!(value.op, Op::Var(_)) {
            // Bind compound real arguments, so the adjoint has a variable to accumulate into.
            let t = self.temp("arg", Kind::Real, a.span());
            block.stmts.push(Stmt::Let {
                var: t,
                init: Init::Expr(value),
                span: a.span(),
            });
            return Ok(Arg::Value(var_expr(t, Kind::Real, a.span())));
        }
        Ok(Arg::Value(value))
    }

    /// `call`, whose span is `span`.
    pub(super) fn call_expr(
        &mut self,
        call: &syn::ExprCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let path = match strip_paren(&call.func) {
            syn::Expr::Path(p) if p.qself.is_none() => p.path.clone(),
            other => return err_at(other, "call a function by its name; closures and function pointers cannot be differentiated"),
        };
        if let Some(x) = self.closure_call(call, block)? {
            return Ok(x);
        }
        if super::options::is_some_path(&path) {
            return self.some_value(call, &path, span, block);
        }
        if let Some(ty) = matrix_from_slice(&path) {
            return self.matrix_from_slice(ty, call, block);
        }
        if let Some(ty) = matrix_new(&path) {
            return self.matrix_new(ty, call, block);
        }
        if is_matrix_constant(&path) {
            let mut args = Vec::new();
            for a in &call.args {
                args.push(self.expr(a, block)?);
            }
            return Ok(Expr {
                op: Op::ConstCall(path, args),
                kind: Kind::Matrix,
                span,
            });
        }
        if path.segments.len() == 2
            && path.segments[0].ident == "f64"
            && path.segments[1].ident == "clamp"
        {
            if call.args.len() != 3 {
                return err_at(
                    call,
                    "`f64::clamp` takes three arguments: `f64::clamp(x, lo, hi)`",
                );
            }
            let x = self.real_expr(&call.args[0], block)?;
            return self.clamp(x, [&call.args[1], &call.args[2]], call, span, block);
        }
        if path.segments.len() == 2
            && path.segments[0].ident == "f64"
            && builtin_path(&path).is_none()
        {
            return err_at(
                &path.segments[1].ident,
                format!(
                    "`f64::{}` cannot be differentiated; the supported functions are `{}`",
                    path.segments[1].ident,
                    supported_real_methods(&["powi", "clamp", "from"])
                ),
            );
        }
        if let Some(b) = builtin_path(&path) {
            return self.builtin_call(b, call, span, block);
        }
        if self.is_constant_fn(&path) {
            self.constant_call(path, call, span, block)
        } else {
            self.probed_call(path, call, span, block)
        }
    }

    /// `f64::sin(x)`, `f64::max(a, b)`, `f64::powi(x, n)`, `f64::from(n)`.
    fn builtin_call(
        &mut self,
        b: Builtin,
        call: &syn::ExprCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let mut args = Vec::new();
        for a in &call.args {
            args.push(self.expr(a, block)?);
        }
        match (b, args.len()) {
            (Builtin::Unary(u), 1) => {
                let x = self.coerce_real(args.remove(0))?;
                Ok(Expr {
                    op: Op::Unary(u, Box::new(x)),
                    kind: Kind::Real,
                    span,
                })
            }
            (Builtin::Binary(op), 2) => {
                let y = args.remove(1);
                let x = args.remove(0);
                self.binary(op, x, y, (span, span), block)
            }
            (Builtin::Ternary(t), 3) => {
                let c = args.remove(2);
                let b = args.remove(1);
                let a = args.remove(0);
                self.ternary(t, [a, b, c], span)
            }
            (Builtin::Powi, 2) => {
                let n = args.remove(1);
                let x = self.coerce_real(args.remove(0))?;
                Ok(Expr {
                    op: Op::Powi(Box::new(x), Box::new(n)),
                    kind: Kind::Real,
                    span,
                })
            }
            (Builtin::From, 1) => {
                let x = args.remove(0);
                if x.kind.is_real() {
                    return Ok(x);
                }
                Ok(Expr {
                    op: Op::Cast(Box::new(x), syn::parse_quote!(f64)),
                    kind: Kind::Real,
                    span,
                })
            }
            _ => err(span, "wrong number of arguments"),
        }
    }

    /// A call of a function not declared constant: of a differentiable function, hoisted into
    /// its own statement, unless every argument is inactive (then it is a constant call).
    fn probed_call(
        &mut self,
        path: syn::Path,
        call: &syn::ExprCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let mut args = Vec::new();
        // All-inactive arguments cannot carry a derivative: treat the call as constant.
        let mut probe = Block::default();
        let mut inactive = true;
        for a in &call.args {
            // Lowering a real argument only to learn that it is real would lower a nested
            // call twice per level, `g(g(g(x)))` in time exponential in the depth.
            if self.surely_real(a) {
                inactive = false;
                break;
            }
            self.no_hoist += 1;
            self.probe_rows += 1;
            let lowered = self.expr(a, &mut probe);
            self.no_hoist -= 1;
            self.probe_rows -= 1;
            match lowered {
                Ok(x) if !x.kind.is_real() && probe.stmts.iter().all(is_row_of_data) => {
                    args.push(x)
                }
                _ => {
                    inactive = false;
                    break;
                }
            }
        }
        if inactive {
            // Rows of data the arguments read (`weight(obs[k][0])`).
            block.stmts.append(&mut probe.stmts);
        }
        if !inactive || call.args.is_empty() {
            if call.args.is_empty() {
                return Ok(Expr {
                    op: Op::ConstCall(path, Vec::new()),
                    kind: Kind::Opaque,
                    span,
                });
            }
            // A differentiable call inside an expression: hoist it into its own statement.
            let call_args = self.call_args(call, block)?;
            let name = path
                .segments
                .last()
                .map(|s| name_of(&s.ident))
                .unwrap_or_default();
            let t = self.temp(&name, Kind::Real, span);
            block.stmts.push(Stmt::Call(Call {
                callee: path,
                args: call_args,
                results: vec![t],
                tuple: false,
                arg_spans: arg_spans(call),
                span,
            }));
            return Ok(var_expr(t, Kind::Real, span));
        }
        Ok(Expr {
            op: Op::ConstCall(path, args),
            kind: Kind::Opaque,
            span,
        })
    }

    /// A call of a function declared constant (`constants(..)`): its arguments read as written.
    fn constant_call(
        &mut self,
        path: syn::Path,
        call: &syn::ExprCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let mut args = Vec::new();
        for a in &call.args {
            let x = match strip_paren(a) {
                syn::Expr::Reference(r) if r.mutability.is_none() => match self.path_var(&r.expr) {
                    Some(v) => Expr {
                        op: Op::Ref(v),
                        kind: Kind::Opaque,
                        span: r.span(),
                    },
                    None => return err_at(r, "pass a variable by reference"),
                },
                _ => self.expr(a, block)?,
            };
            args.push(x);
        }
        Ok(Expr {
            op: Op::ConstCall(path, args),
            kind: Kind::Opaque,
            span,
        })
    }
}

pub(super) enum Builtin {
    Unary(Unary),
    Binary(Binary),
    Ternary(Ternary),
    Powi,
    From,
}

/// `f64::sin`, `f64::max`, `f64::from`...
pub(super) fn builtin_path(path: &syn::Path) -> Option<Builtin> {
    if path.segments.len() != 2 || path.segments[0].ident != "f64" {
        return None;
    }
    let name = path.segments[1].ident.to_string();
    if let Some(u) = Unary::from_method(&name) {
        return Some(Builtin::Unary(u));
    }
    if let Some(b) = Binary::from_method(&name) {
        return Some(Builtin::Binary(b));
    }
    if let Some(t) = Ternary::from_method(&name) {
        return Some(Builtin::Ternary(t));
    }
    match name.as_str() {
        "powi" => Some(Builtin::Powi),
        "from" => Some(Builtin::From),
        _ => None,
    }
}

/// `let row = obs[k];` of a row of arrays of arrays of reals (data), as a probe binds it.
fn is_row_of_data(s: &Stmt) -> bool {
    matches!(
        s,
        Stmt::Let {
            init: Init::Expr(Expr {
                op: Op::Index(..),
                kind: Kind::Opaque,
                ..
            }),
            ..
        }
    )
}

/// The generic arguments of a callee's path that it cannot take, if any: only the last segment
/// may have some, and only the values of const generic parameters (`f::<40>`, `f::<{ 2 * N }>`,
/// `f::<N>`, which syntax reads as a type; rustc checks that it names a constant).
fn generic_arguments(path: &syn::Path) -> Option<&dyn ToTokens> {
    let last = path.segments.len().saturating_sub(1);
    for (k, segment) in path.segments.iter().enumerate() {
        match &segment.arguments {
            syn::PathArguments::None => {}
            syn::PathArguments::AngleBracketed(a) if k == last => {
                if let Some(bad) = a.args.iter().find(|g| !is_length(g)) {
                    return Some(bad);
                }
            }
            other => return Some(other),
        }
    }
    None
}

/// Whether a generic argument can be the value of a const parameter.
fn is_length(g: &syn::GenericArgument) -> bool {
    match g {
        syn::GenericArgument::Const(_) => true,
        syn::GenericArgument::Type(syn::Type::Path(t)) => {
            t.qself.is_none() && t.path.get_ident().is_some_and(|i| !is_primitive_type(i))
        }
        _ => false,
    }
}

/// Whether `i` names a primitive type: `f::<f64>` names a type, never a length.
fn is_primitive_type(i: &syn::Ident) -> bool {
    [
        "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
        "u128", "usize", "bool", "char", "str",
    ]
    .iter()
    .any(|t| i == t)
}
