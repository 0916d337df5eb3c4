//! Expressions: literals, variables, indexing, operators, casts and paths (method calls in `method`),
//! each with its kind; reals checked where reals are expected, and deep trees bounded by
//! temporaries so later passes never recurse too deep.

use super::*;

impl Lowerer<'_> {
    /// Whether `e` lowers to a real value (or to an error), seen from its syntax alone: a real
    /// variable or literal, arithmetic or an elementary method on one, or a differentiable call
    /// taking one. `false` says nothing.
    pub(super) fn surely_real(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(_) => true,
                syn::Lit::Int(i) => i.suffix() == "f64",
                _ => false,
            },
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&i.to_string()))
                .is_some_and(|v| self.kind(v).is_real()),
            syn::Expr::Paren(p) => self.surely_real(&p.expr),
            syn::Expr::Reference(r) => self.surely_real(&r.expr),
            syn::Expr::Binary(b) => {
                matches!(
                    b.op,
                    syn::BinOp::Add(_)
                        | syn::BinOp::Sub(_)
                        | syn::BinOp::Mul(_)
                        | syn::BinOp::Div(_)
                ) && (self.surely_real(&b.left) || self.surely_real(&b.right))
            }
            syn::Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                (Unary::from_method(&name).is_some()
                    || Binary::from_method(&name).is_some()
                    || Ternary::from_method(&name).is_some())
                    && self.surely_real(&mc.receiver)
            }
            syn::Expr::Call(c) => {
                self.is_differentiable_call(c) && c.args.iter().any(|a| self.surely_real(a))
            }
            _ => false,
        }
    }

    /// An expression that must be real (constants of opaque kind are converted).
    pub(super) fn real_expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr(e, block)?;
        self.coerce_real(x)
    }

    /// Whether `e` is built from constants whose type is not written (`H`, `-HALF`,
    /// `HALF * HALF`, a `let` bound to one): passed to differentiable functions as reals.
    pub(super) fn is_unknown_constant(&self, e: &Expr) -> bool {
        match &e.op {
            // `None` is an `Option`, never a real (`f(x, None)` of a callee's `Option` data);
            // nor is an enum's variant, named in camel case (`Scheme::Euler`) where constants
            // are upper case (`H`, `f64::consts::PI`).
            Op::Path(p) => p
                .segments
                .last()
                .is_none_or(|s| s.ident != "None" && !camel_case(&s.ident)),
            // `Boundary::Clamped(0)`, a variant's constructor, is not one either.
            Op::ConstCall(p, _) => {
                !super::options::is_some_path(p)
                    && p.segments.last().is_none_or(|s| !camel_case(&s.ident))
            }
            Op::PathIndex(..) => true,
            Op::Unary(Unary::Neg, a) => self.is_unknown_constant(a),
            Op::Binary(
                Binary::Add | Binary::Sub | Binary::Mul | Binary::Div | Binary::Min | Binary::Max,
                a,
                b,
            ) => self.is_unknown_constant(a) && self.is_unknown_constant(b),
            Op::Var(v) => {
                self.vars[*v].ty.is_none()
                    && self.vars[*v].kind == Kind::Opaque
                    && !self.param_vars.contains(v)
            }
            _ => false,
        }
    }

    pub(super) fn coerce_real(&mut self, x: Expr) -> syn::Result<Expr> {
        match x.kind {
            Kind::Real => Ok(x),
            Kind::Opaque => {
                let span = x.span;
                Ok(Expr {
                    op: Op::AsReal(Box::new(x)),
                    kind: Kind::Real,
                    span,
                })
            }
            Kind::Int if matches!(&x.op, Op::Lit(Literal::Other(syn::Lit::Int(_)))) => {
                let Op::Lit(Literal::Other(syn::Lit::Int(l))) = &x.op else {
                    unreachable!()
                };
                err(
                    x.span,
                    format!(
                        "write `{}.0`: an integer literal is not a real",
                        l.base10_digits()
                    ),
                )
            }
            Kind::Int => err(
                x.span,
                "this is an integer where a real is expected; convert it with `as f64`",
            ),
            Kind::Bool => err(x.span, "this is a `bool` where a real is expected"),
            Kind::RealArray(_) => err(
                x.span,
                "this is an array where a real is expected; index it: `v[i]`",
            ),
            Kind::Matrix => {
                let reductions: Vec<String> = crate::rules::matrix_reductions()
                    .map(|m| format!("`{m}`"))
                    .collect();
                err(
                    x.span,
                    format!("this is a matrix or vector where a real is expected; take an element `v[i]`, `m[(i, j)]`, or reduce it: {}", reductions.join(", ")),
                )
            }
        }
    }

    pub(super) fn index_expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr(e, block)?;
        if x.kind.is_real() {
            return err_at(e, "an index or loop bound must be an integer; convert a real with `as usize` if you mean it");
        }
        Ok(x)
    }

    pub(super) fn expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr_unbounded(e, block)?;
        Ok(self.bounded(x, block))
    }

    /// `x`, or a temporary bound to it before it in `block` when `x` is deeper than
    /// [`crate::limits::MAX_EXPR_DEPTH`]. Evaluation order is kept (the temporary is computed where `x` would
    /// have been, and its parts were lowered, hence hoisted, first), so values are unchanged.
    pub(super) fn bounded(&mut self, x: Expr, block: &mut Block) -> Expr {
        let hoistable = matches!(x.kind, Kind::Real | Kind::Matrix | Kind::Int);
        if self.no_hoist > 0 || !hoistable || depth(&x) <= crate::limits::MAX_EXPR_DEPTH {
            return x;
        }
        let (span, kind) = (x.span, x.kind.clone());
        let t = self.temp("part", kind.clone(), span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(x),
            span,
        });
        var_expr(t, kind, span)
    }

    /// The span of `e`, the one `syn::spanned::Spanned` gives (its first token's joined with its
    /// last), found from its parts' and remembered: `Spanned` prints the whole expression, so
    /// asking it at every level of a long chain took time quadratic in the chain. The memory is
    /// by address, and emptied at every statement, so an expression parsed from a macro's tokens
    /// and dropped cannot lend its address to a later one.
    pub(super) fn span_of(&mut self, e: &syn::Expr) -> Span {
        let key = e as *const syn::Expr as usize;
        if let Some(s) = self.spans.get(&key) {
            return *s;
        }
        let join = |a: Span, b: Span| a.join(b).unwrap_or(a);
        let s = match e {
            syn::Expr::Binary(b) if b.attrs.is_empty() => {
                let left = self.span_of(&b.left);
                join(left, self.span_of(&b.right))
            }
            syn::Expr::MethodCall(mc) => self.method_span(mc),
            syn::Expr::Call(c) if c.attrs.is_empty() => {
                join(self.span_of(&c.func), c.paren_token.span.join())
            }
            syn::Expr::Unary(u) if u.attrs.is_empty() => join(u.op.span(), self.span_of(&u.expr)),
            syn::Expr::Cast(c) if c.attrs.is_empty() => join(self.span_of(&c.expr), c.ty.span()),
            syn::Expr::Paren(p) if p.attrs.is_empty() => p.paren_token.span.join(),
            syn::Expr::Reference(r) if r.attrs.is_empty() => {
                join(r.and_token.span, self.span_of(&r.expr))
            }
            _ => e.span(),
        };
        self.spans.insert(key, s);
        s
    }

    /// [`Lowerer::span_of`] a method call.
    pub(super) fn method_span(&mut self, mc: &syn::ExprMethodCall) -> Span {
        if !mc.attrs.is_empty() {
            return mc.span();
        }
        let receiver = self.span_of(&mc.receiver);
        let args = mc.paren_token.span.join();
        receiver.join(args).unwrap_or(receiver)
    }

    /// `e` with its kind, its parts hoisted into `block` where they must be (see [`Lowerer::bounded`]).
    pub(super) fn expr_unbounded(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let span = self.span_of(e);
        match e {
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Float(f) => Ok(real_lit(f.base10_parse::<f64>()?, span)),
                // `3f64`, `2_f64`: syn reads digits without a point as an integer literal.
                syn::Lit::Int(i) if i.suffix() == "f64" => {
                    Ok(real_lit(i.base10_parse::<f64>()?, span))
                }
                syn::Lit::Int(_) => Ok(Expr {
                    op: Op::Lit(Literal::Other(l.lit.clone())),
                    kind: Kind::Int,
                    span,
                }),
                syn::Lit::Bool(_) => Ok(Expr {
                    op: Op::Lit(Literal::Other(l.lit.clone())),
                    kind: Kind::Bool,
                    span,
                }),
                other => err_at(other, "only numeric and boolean literals are supported"),
            },
            syn::Expr::Path(p) => self.path_expr(p, span),
            syn::Expr::Paren(p) => self.expr(&p.expr, block),
            syn::Expr::Group(g) => self.expr(&g.expr, block),
            // `&h`: borrowing a matrix for an operator; generated code borrows every matrix
            // operand itself.
            syn::Expr::Reference(r) if r.mutability.is_none() => {
                let x = self.expr(&r.expr, block)?;
                // `&obs[k]`, a row of real data, borrowed as the rows of `&[Vec<f64>]` are
                // (see `emit::expr`) and copied as `[f64; K]` rows are.
                let data_row = matches!(&x.op, Op::Index(a, _) if self.holds_rows(*a));
                if x.kind != Kind::Matrix && !data_row {
                    return err_at(r, "references are supported for matrices and vectors in expressions, `w * &h`; pass arrays by reference to differentiable calls only");
                }
                Ok(x)
            }
            syn::Expr::Unary(u) => self.unary_expr(u, e, span, block),
            syn::Expr::Binary(b) => self.binary_expr(b, span, block),
            syn::Expr::Index(ix) => self.index_read(ix, span, block),
            syn::Expr::MethodCall(mc) => self.method_call(mc, block),
            syn::Expr::Call(call) => self.call_expr(call, span, block),
            syn::Expr::Cast(c) => self.cast_expr(c, span, block),
            syn::Expr::Field(f) if matches!(f.member, syn::Member::Unnamed(_)) => {
                if let Some(x) = self.tuple_data_field(f, block) {
                    return x;
                }
                if let Some(x) = self.best_pair_field(f, block) {
                    return x;
                }
                let v = self.tuple_field(f)?;
                Ok(var_expr(v, self.kind(v).clone(), span))
            }
            syn::Expr::Macro(m) => err_at(&m.mac.path,
                format!("macro `{}!` is not supported here; `vec![..]` is supported as the value of a `let`", m.mac.path.to_token_stream()),
            ),
            syn::Expr::Field(f) => match self.data_param_of(&f.base) {
                // `p.sigma` of `p: Params` taken by value: read as data, not a struct.
                Some((v, ty)) => err_at(f, format!("`{0}` is taken by value, so tapeless reads it as data and cannot see its fields; a `#[differentiable]` struct is a parameter by reference, `{0}: &{ty}`", self.shown(v))),
                None => Err(unsupported(e)),
            },
            other => Err(unsupported(other)),
        }
    }

    /// The parameter `e` names if it is read as data because tapeless cannot look into its
    /// type (`scheme: Scheme`, see `types::declared_data`), with the type as written.
    fn data_param_of(&self, e: &syn::Expr) -> Option<(VarId, String)> {
        let v = self.path_var(e).filter(|v| self.param_vars.contains(v))?;
        let ty = self.vars[v].ty.as_ref().filter(|t| declared_data(t))?;
        Some((v, ty.to_token_stream().to_string()))
    }

    /// A variable, or a path that is not one (a constant, `f64::consts::PI`).
    fn path_expr(&mut self, p: &syn::ExprPath, span: Span) -> syn::Result<Expr> {
        if p.qself.is_some() {
            return err(span, "qualified paths are not supported");
        }
        if let Some(i) = p.path.get_ident() {
            if let Some(v) = self.lookup(&name_of(i)) {
                if self.tuples.contains_key(&v) {
                    return err(span, self.whole_tuple(v));
                }
                if let Some(x) = self.alias_read(v, span) {
                    return x;
                }
                return Ok(var_expr(v, self.kind(v).clone(), span));
            }
            if let Some(c) = self.consts.get(&name_of(i)).cloned() {
                return self.local_const(&c, span);
            }
            // A const generic parameter (`const N: usize`): an integer every companion declares.
            if let Some(n) = self.const_param(&p.path, span) {
                return Ok(n);
            }
        }
        let kind = if is_float_const_path(&p.path) {
            Kind::Real
        } else {
            Kind::Opaque
        };
        let path_expr = Expr {
            op: Op::Path(p.path.clone()),
            kind: Kind::Opaque,
            span,
        };
        if kind == Kind::Real {
            self.coerce_real(path_expr)
        } else {
            Ok(path_expr)
        }
    }

    /// `-a`, `!a` (`e` is the whole expression).
    fn unary_expr(
        &mut self,
        u: &syn::ExprUnary,
        e: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let a = self.expr(&u.expr, block)?;
        match u.op {
            syn::UnOp::Neg(_) => {
                if a.kind == Kind::Bool || matches!(a.kind, Kind::RealArray(_)) {
                    return err(span, "negation applies to numbers");
                }
                let kind = a.kind.clone();
                Ok(Expr {
                    op: Op::Unary(Unary::Neg, Box::new(a)),
                    kind,
                    span,
                })
            }
            syn::UnOp::Not(_) => {
                if a.kind.is_real() {
                    return err(span, "`!` applies to bools and integers");
                }
                let kind = a.kind.clone();
                Ok(Expr {
                    op: Op::Unary(Unary::Not, Box::new(a)),
                    kind,
                    span,
                })
            }
            syn::UnOp::Deref(_)
                if self.is_iter_ref(&u.expr)
                    || self.is_tuple_ref(&u.expr)
                    || iter::is_best_of(&u.expr)
                    || slices::is_first_last(&u.expr) =>
            {
                Ok(a)
            }
            // `*s0` of `s0: &SVector<f64, 3>`: a copy, as `.clone()` is (generated code copies
            // matrices where the user's code would move them).
            syn::UnOp::Deref(_) if a.kind == Kind::Matrix => Ok(a),
            syn::UnOp::Deref(_) => err(
                span,
                "dereferencing is not supported in a differentiable function",
            ),
            _ => Err(unsupported(e)),
        }
    }

    /// `a op b` written as an operator.
    fn binary_expr(
        &mut self,
        b: &syn::ExprBinary,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if is_compound_assign(&b.op) {
            return err(span, "use a compound assignment as a statement");
        }
        let op = match binary_op(&b.op) {
            Some(op) => op,
            None => {
                return err_at(
                    b.op,
                    "bitwise operators are not supported in a differentiable function",
                )
            }
        };
        let x = self.expr(&b.left, block)?;
        // The right side of `&&` and `||` runs only when the left one says so.
        let lazy = matches!(op, Binary::And | Binary::Or);
        self.no_hoist += usize::from(lazy);
        let y = self.expr(&b.right, block);
        self.no_hoist -= usize::from(lazy);
        self.binary(op, x, y?, (span, b.op.span()), block)
    }

    /// `v[i]` read: of a real array, an opaque array, a constant array or a matrix.
    fn index_read(
        &mut self,
        ix: &syn::ExprIndex,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if let syn::Expr::Range(r) = &*ix.index {
            return err_at(r, "sub-slices are not supported; index single elements, `v[i]`, or pass the whole array and an offset");
        }
        let v = match self.path_var(&ix.expr) {
            Some(v) => v,
            None => match strip_paren(&ix.expr) {
                // A constant array, `WEIGHTS[i]`: an opaque value, real where used as one.
                syn::Expr::Path(p)
                    if p.qself.is_none()
                        && p.path
                            .get_ident()
                            .is_none_or(|i| self.lookup(&name_of(i)).is_none()) =>
                {
                    let index = self.index_expr(&ix.index, block)?;
                    return Ok(Expr {
                        op: Op::PathIndex(p.path.clone(), Box::new(index)),
                        kind: Kind::Opaque,
                        span,
                    });
                }
                syn::Expr::Index(inner) if matches!(&*inner.index, syn::Expr::Range(_)) => {
                    return err_at(
                        &inner.index,
                        "sub-slices are not supported; index the array directly, `v[offset + i]`",
                    )
                }
                syn::Expr::Index(inner) if self.rows_var(&inner.expr).is_some() => {
                    let (v, index) = self.row_element(inner, ix, block)?;
                    return Ok(Expr {
                        op: Op::Index(v, Box::new(index)),
                        kind: Kind::Real,
                        span,
                    });
                }
                syn::Expr::Index(inner) if self.opaque_rows(&inner.expr) => {
                    let row = self.index_read(inner, span, block)?;
                    self.bind_row(row, ix, span, block)?
                }
                _ => {
                    return err_at(
                        &ix.expr,
                        "index a variable: `v[i]` (nested indexing is not supported)",
                    )
                }
            },
        };
        if let syn::Expr::Range(r) = &*ix.index {
            return err_at(
                r,
                "sub-slices are not supported; index single elements, `v[i]`",
            );
        }
        if let Some(x) = self.window_read(v, ix, span, block)? {
            return Ok(x);
        }
        self.refuse_rows(v, ix, "a row used as a value")?;
        // `o[j]` of an item `o` of `for o in obs`, a row of opaque data.
        let v = match self.alias(v) {
            Some(Alias::Elem { array, index, .. }) if self.kind(*array) == &Kind::Opaque => {
                let row = Expr {
                    op: Op::Index(*array, Box::new(index.clone())),
                    kind: Kind::Opaque,
                    span,
                };
                self.bind_row(row, ix, span, block)?
            }
            _ => v,
        };
        if self.kind(v) == &Kind::Matrix {
            return self.matrix_element(v, ix, block);
        }
        let index = self.index_expr(&ix.index, block)?;
        let kind = match self.kind(v) {
                Kind::RealArray(_) => Kind::Real,
                Kind::Opaque => Kind::Opaque,
                _ if self.untyped_results.contains(&v) => {
                    return err_at(&ix.expr,
                        format!("`{0}` holds the result of a call, taken to be `f64`; if it is an array, write its type: `let {0}: [f64; N] = ...` or `let {0}: Vec<f64> = ...`", self.shown(v)),
                    )
                }
                _ => return err_at(&ix.expr, format!("`{}` is not an array", self.shown(v))),
            };
        Ok(Expr {
            op: Op::Index(v, Box::new(index)),
            kind,
            span,
        })
    }

    /// Whether `e` is a variable of opaque data (`obs: &[[f64; 2]]` outside `wrt(..)`, integer
    /// tables), or an element of one, `obs[k]`: something whose elements `obs[k][j]` index.
    fn opaque_rows(&self, e: &syn::Expr) -> bool {
        match strip_paren(e) {
            syn::Expr::Index(inner) => self.opaque_rows(&inner.expr),
            e => self
                .path_var(e)
                .is_some_and(|v| self.kind(v) == &Kind::Opaque),
        }
    }

    /// A temporary bound to `row`, a row of opaque data (`obs[k]`, a copy: the rows of arrays
    /// of arrays of reals are `Copy` arrays) before its use in `block`, so that `obs[k][j]`
    /// (`read`) is an index of a variable.
    fn bind_row(
        &mut self,
        row: Expr,
        read: &syn::ExprIndex,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<VarId> {
        if self.no_hoist > self.probe_rows {
            // The row would be read before the condition that guards it.
            return err_at(read, "bind the row first, `let row = obs[k];`, then read `row[j]`: here an element of an array of arrays would be read before the condition that guards it (the right of `&&` or `||`, a `while` condition, a match guard)");
        }
        let t = self.temp("row", Kind::Opaque, span);
        self.let_row(t, row, block);
        Ok(t)
    }

    /// The variable of the field `t.k` of a tuple `t` bound whole.
    pub(super) fn tuple_field(&self, f: &syn::ExprField) -> syn::Result<VarId> {
        let syn::Member::Unnamed(index) = &f.member else {
            return Err(unsupported(&syn::Expr::Field(f.clone())));
        };
        let t = match strip_paren(&f.base) {
            syn::Expr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().and_then(|i| self.lookup(&name_of(i)))
            }
            _ => None,
        };
        let Some(t) = t else {
            return err_at(f, "take the field of a tuple variable, `t.0`, or destructure the tuple where it is made: `let (a, b) = f(..);`");
        };
        match self.tuples.get(&t) {
            Some(parts) => match parts.get(index.index as usize) {
                Some(&v) => Ok(v),
                None => err_at(
                    index,
                    format!("`{}` has {} fields", self.shown(t), parts.len()),
                ),
            },
            None if self.untyped_results.contains(&t) => err_at(
                f,
                format!("`{0}` holds the result of a call, taken to be `f64`; if it is a tuple, write its type, `let {0}: (f64, f64) = ...`, or destructure it, `let (a, b) = ...`", self.shown(t)),
            ),
            None => err_at(f, format!("`{}` is not a tuple", self.shown(t))),
        }
    }

    /// `x as f64`, `i as usize`.
    fn cast_expr(&mut self, c: &syn::ExprCast, span: Span, block: &mut Block) -> syn::Result<Expr> {
        let x = self.expr(&c.expr, block)?;
        let kind = if is_ident(&c.ty, "f64") {
            Kind::Real
        } else if is_int_type(&c.ty) {
            Kind::Int
        } else if is_ident(&c.ty, "f32") {
            return err_at(
                &c.ty,
                "cast to `f64`: generated code chooses the scalar type",
            );
        } else {
            return err_at(&c.ty, "casts are supported to `f64` and to integer types");
        };
        if x.kind.is_real() && kind == Kind::Real {
            return Ok(x);
        }
        if matches!(x.kind, Kind::RealArray(_) | Kind::Matrix) {
            return err_at(&c.expr, "an array cannot be cast");
        }
        Ok(Expr {
            op: Op::Cast(Box::new(x), (*c.ty).clone()),
            kind,
            span,
        })
    }

    /// `x op y`; `spans` are the whole expression's and the operator's.
    pub(super) fn binary(
        &mut self,
        op: Binary,
        x: Expr,
        y: Expr,
        spans: (Span, Span),
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let (span, op_span) = spans;
        if matches!(op, Binary::And | Binary::Or) {
            for side in [&x, &y] {
                if side.kind != Kind::Bool {
                    return err(
                        side.span,
                        "`&&` and `||` take bools; compare reals first, `x > 0.0`",
                    );
                }
            }
        }
        if x.kind == Kind::Matrix || y.kind == Kind::Matrix {
            return self.matrix_binary(op, x, y, span, op_span, block);
        }
        let either_real = x.kind == Kind::Real || y.kind == Kind::Real;
        let (x, y) = if either_real {
            let x = self.coerce_real(x)?;
            let y = self.coerce_real(y)?;
            (x, y)
        } else {
            (x, y)
        };
        for side in [&x, &y] {
            if let Kind::RealArray(_) = side.kind {
                return err(
                    side.span,
                    "arithmetic on whole arrays is not supported; write a loop over the elements",
                );
            }
        }
        let kind = match op {
            Binary::Lt | Binary::Le | Binary::Gt | Binary::Ge | Binary::Eq | Binary::Ne => {
                Kind::Bool
            }
            Binary::And | Binary::Or => {
                if x.kind != Kind::Bool || y.kind != Kind::Bool {
                    return err(op_span, "`&&` and `||` take bools");
                }
                Kind::Bool
            }
            Binary::Rem if either_real => {
                return err(
                    op_span,
                    "`%` of reals is not supported: it jumps where its derivative is undefined; restructure with `if` and subtraction",
                )
            }
            _ if either_real => Kind::Real,
            _ if x.kind == Kind::Int || y.kind == Kind::Int => Kind::Int,
            _ => Kind::Opaque,
        };
        if matches!(op, Binary::Powf | Binary::Atan2 | Binary::Hypot) && kind != Kind::Real {
            return err(span, format!("`{}` takes reals", op.name()));
        }
        Ok(Expr {
            op: Op::Binary(op, Box::new(x), Box::new(y)),
            kind,
            span,
        })
    }

    /// `a.mul_add(b, c)` of reals.
    pub(super) fn ternary(
        &mut self,
        op: Ternary,
        operands: [Expr; 3],
        span: Span,
    ) -> syn::Result<Expr> {
        let [a, b, c] = operands;
        let (a, b, c) = (
            self.coerce_real(a)?,
            self.coerce_real(b)?,
            self.coerce_real(c)?,
        );
        Ok(Expr {
            op: Op::Ternary(op, Box::new(a), Box::new(b), Box::new(c)),
            kind: Kind::Real,
            span,
        })
    }
}

/// The depth of an expression tree (a leaf is 1).
pub(super) fn depth(e: &Expr) -> usize {
    let children: Vec<&Expr> = match &e.op {
        Op::Lit(_) | Op::Var(_) | Op::Len(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => {
            Vec::new()
        }
        Op::Index(_, a)
        | Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::PathIndex(_, a)
        | Op::Field(a, _)
        | Op::AsReal(a) => vec![a],
        Op::Binary(_, a, b) | Op::Powi(a, b) => vec![a, b],
        Op::Ternary(_, a, b, c) => vec![a, b, c],
        Op::Method(a, _, args) => std::iter::once(&**a).chain(args).collect(),
        Op::ConstCall(_, args) => args.iter().collect(),
        Op::Linalg(op, args) => {
            let mut c: Vec<&Expr> = args.iter().collect();
            if let LinOp::Map { body, .. } = op {
                c.push(body);
            }
            c
        }
    };
    1 + children.into_iter().map(depth).max().unwrap_or(0)
}

pub(super) fn binary_op(op: &syn::BinOp) -> Option<Binary> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) | B::AddAssign(_) => Binary::Add,
        B::Sub(_) | B::SubAssign(_) => Binary::Sub,
        B::Mul(_) | B::MulAssign(_) => Binary::Mul,
        B::Div(_) | B::DivAssign(_) => Binary::Div,
        B::Rem(_) | B::RemAssign(_) => Binary::Rem,
        B::Lt(_) => Binary::Lt,
        B::Le(_) => Binary::Le,
        B::Gt(_) => Binary::Gt,
        B::Ge(_) => Binary::Ge,
        B::Eq(_) => Binary::Eq,
        B::Ne(_) => Binary::Ne,
        B::And(_) => Binary::And,
        B::Or(_) => Binary::Or,
        _ => return None,
    })
}

pub(super) fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp as B;
    matches!(
        op,
        B::AddAssign(_) | B::SubAssign(_) | B::MulAssign(_) | B::DivAssign(_) | B::RemAssign(_)
    ) || matches!(
        op,
        B::BitAndAssign(_)
            | B::BitOrAssign(_)
            | B::BitXorAssign(_)
            | B::ShlAssign(_)
            | B::ShrAssign(_)
    )
}

pub(super) fn strip_paren(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_paren(&p.expr),
        syn::Expr::Group(g) => strip_paren(&g.expr),
        _ => e,
    }
}

pub(super) fn real_lit(x: f64, span: Span) -> Expr {
    Expr {
        op: Op::Lit(Literal::Real(x)),
        kind: Kind::Real,
        span,
    }
}

pub(super) fn var_expr(v: VarId, kind: Kind, span: Span) -> Expr {
    Expr {
        op: Op::Var(v),
        kind,
        span,
    }
}

/// Whether `name` is written in camel case (`Euler`, `Clamped`): a type's or an enum variant's,
/// where constants are upper case (`H`, `PI`) and functions snake case.
fn camel_case(name: &syn::Ident) -> bool {
    let name = name.to_string();
    name.starts_with(|c: char| c.is_uppercase()) && name.chars().any(|c| c.is_lowercase())
}
