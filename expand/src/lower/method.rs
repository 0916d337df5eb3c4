//! Method calls: the elementary functions as methods (`x.sin()`, `a.atan2(b)`, `x.mul_add(a, b)`),
//! `clamp`, and the methods of matrices and integers.

use super::*;

impl Lowerer<'_> {
    /// `receiver.method(args)`: an elementary function, a method of a matrix, of an integer or
    /// a bool, or `v.len()`.
    pub(super) fn method_call(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = self.method_span(mc);
        let name = mc.method.to_string();
        const ITERATORS: &[&str] = &[
            "iter",
            "iter_mut",
            "into_iter",
            "map",
            "sum",
            "fold",
            "zip",
            "enumerate",
            "product",
        ];
        let special = self.first_last(mc, block);
        if let Some(x) = special.or_else(|| self.option_method(mc, span, block)) {
            return x;
        }
        if let Some(x) = self.iterator_method(mc, block)? {
            return Ok(x);
        }
        if is_matrix_method(&name) {
            if let Some(x) = self.try_matrix_method(mc, block)? {
                return Ok(x);
            }
        }
        if ITERATORS.contains(&name.as_str()) {
            return err_at(
                &mc.method,
                format!("iterators are not supported (`.{name}()`); write a `for` loop over `0..v.len()`"),
            );
        }
        if mc.turbofish.is_some() {
            return err_at(&mc.turbofish, "remove the turbofish");
        }
        if matches!(name.as_str(), "len" | "is_empty") && mc.args.is_empty() {
            let len = self.len_method(mc, span)?;
            if name == "len" {
                return Ok(len);
            }
            // `v.is_empty()` as `v.len() == 0`, of any array the subset takes the length of.
            return Ok(Expr {
                op: Op::Binary(Binary::Eq, Box::new(len), Box::new(int_lit(0, span))),
                kind: Kind::Bool,
                span,
            });
        }
        let receiver = self.expr(&mc.receiver, block)?;
        if receiver.kind == Kind::Matrix {
            return matrix_shape(mc, receiver, span);
        }
        if name == "clamp" && receiver.kind == Kind::Real {
            if mc.args.len() != 2 {
                return err_at(&mc.method, "`clamp` takes two arguments: `x.clamp(lo, hi)`");
            }
            return self.clamp(receiver, [&mc.args[0], &mc.args[1]], mc, span, block);
        }
        if name == "sin_cos" {
            return err_at(
                mc,
                "destructure the pair where it is made: `let (s, c) = x.sin_cos();`",
            );
        }
        // `k.abs()` and `k.signum()` of an integer are integer methods, copied as written below.
        let unary = Unary::from_method(&name)
            .filter(|u| !(matches!(u, Unary::Abs | Unary::Signum) && receiver.kind == Kind::Int));
        if let Some(u) = unary {
            if !mc.args.is_empty() {
                return err_at(&mc.method, format!("`{name}` takes no arguments"));
            }
            let x = self.coerce_real(receiver)?;
            return Ok(Expr {
                op: Op::Unary(u, Box::new(x)),
                kind: Kind::Real,
                span,
            });
        }
        if let Some(b) = Binary::from_method(&name) {
            if mc.args.len() != 1 {
                return err_at(&mc.method, format!("`{name}` takes one argument"));
            }
            let y = self.expr(&mc.args[0], block)?;
            return self.binary(b, receiver, y, (span, mc.method.span()), block);
        }
        if name == "powi" {
            return self.powi_method(mc, receiver, span, block);
        }
        if let Some(t) = Ternary::from_method(&name) {
            if mc.args.len() != 2 {
                return err_at(
                    &mc.method,
                    format!("`{name}` takes two arguments: `a.{name}(b, c)`"),
                );
            }
            let b = self.expr(&mc.args[0], block)?;
            let c = self.expr(&mc.args[1], block)?;
            return self.ternary(t, [receiver, b, c], span);
        }
        if (name == "last" || name == "first") && mc.args.is_empty() {
            return first_last_option(mc, &name);
        }
        if name == "sqr" || name == "square" {
            return err_at(&mc.method, "write `x * x` or `x.powi(2)`");
        }
        if matches!(receiver.kind, Kind::Int | Kind::Bool) {
            return self.integer_method(mc, receiver, &name, span, block);
        }
        err_at(&mc.method,
            format!(
                "method `{name}` cannot be differentiated; the supported methods are `{}`, or mark a plain function as constant with `#[differentiable(constants(f))]`",
                supported_real_methods(&["powi", "clamp", "sin_cos", "len"])
            ),
        )
    }

    /// `x.powi(n)`, `receiver` the lowered `x`.
    fn powi_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        receiver: Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if mc.args.len() != 1 {
            return err_at(&mc.method, "`powi` takes one argument");
        }
        let x = self.coerce_real(receiver)?;
        let n = self.expr(&mc.args[0], block)?;
        if n.kind.is_real() {
            return err_at(&mc.args[0], "the exponent of `powi` is an integer, `x.powi(2)`; for a real exponent write `x.powf(y)`");
        }
        Ok(Expr {
            op: Op::Powi(Box::new(x), Box::new(n)),
            kind: Kind::Real,
            span,
        })
    }

    /// `v.len()` of a variable.
    fn len_method(&mut self, mc: &syn::ExprMethodCall, span: Span) -> syn::Result<Expr> {
        let v = match self.path_var(&mc.receiver) {
            Some(v) => v,
            None => {
                if let syn::Expr::Index(ix) = strip_paren(&mc.receiver) {
                    if let Some(v) = self.rows_var(&ix.expr) {
                        self.refuse_rows(
                            v,
                            &mc.receiver,
                            "the length of a row (it is the length `K` of `[f64; K]`)",
                        )?;
                    }
                }
                return err_at(&mc.receiver, "take the length of a variable: `v.len()`");
            }
        };
        if let Some(len) = self.alias_len(v) {
            return Ok(len);
        }
        if let Some(len) = self.rows_len(v, span) {
            return Ok(len);
        }
        if self.kind(v) == &Kind::Opaque && !self.param_vars.contains(&v) {
            // A row of data bound in the body (`y` of `for y in obs`, `obs: &[Vec<f64>]`): its
            // length is a read of the binding, which the reverse sweep then binds again.
            return Ok(Expr {
                op: Op::Method(
                    Box::new(var_expr(v, Kind::Opaque, span)),
                    syn::Ident::new("len", span),
                    Vec::new(),
                ),
                kind: Kind::Int,
                span,
            });
        }
        Ok(Expr {
            op: Op::Len(v),
            kind: Kind::Int,
            span,
        })
    }

    /// `x.clamp(lo, hi)` as std computes it: it panics unless `lo <= hi` (checked by std's own
    /// `clamp` at the values), then `if x < lo { lo }`, then `if x > hi { hi }`, a NaN passing
    /// through. The derivative is the branch's: of `lo` below, of `hi` above, of `x` between
    /// and at the bounds.
    /// `whole` is the call, `x.clamp(lo, hi)` or `f64::clamp(x, lo, hi)`, for messages.
    pub(super) fn clamp(
        &mut self,
        x: Expr,
        [lo, hi]: [&syn::Expr; 2],
        whole: &dyn ToTokens,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if self.no_hoist > 0 {
            return err_at(
                whole,
                "bind the clamped value with `let` first, `let c = x.clamp(lo, hi);`, and use `c` here",
            );
        }
        let lo = self.real_expr(lo, block)?;
        let hi = self.real_expr(hi, block)?;
        let value = self.temp("clamp", Kind::Real, span);
        self.vars[value].mutable = true;
        block.stmts.push(Stmt::Let {
            var: value,
            init: Init::Expr(x),
            span,
        });
        let lo = self.evaluated_once(lo, "lo", block);
        let hi = self.evaluated_once(hi, "hi", block);
        let check = self.temp("bounds", Kind::Opaque, span);
        block.stmts.push(Stmt::Let {
            var: check,
            init: Init::Expr(Expr {
                op: Op::ConstCall(
                    syn::parse_quote_spanned!(span=> ::core::primitive::f64::clamp),
                    vec![lo.clone(), lo.clone(), hi.clone()],
                ),
                kind: Kind::Opaque,
                span,
            }),
            span,
        });
        for (op, bound) in [(Binary::Lt, lo), (Binary::Gt, hi)] {
            let current = var_expr(value, Kind::Real, span);
            block.stmts.push(Stmt::If {
                cond: Expr {
                    op: Op::Binary(op, Box::new(current), Box::new(bound.clone())),
                    kind: Kind::Bool,
                    span,
                },
                then: Block {
                    stmts: vec![Stmt::Assign {
                        place: Place::Var(value),
                        value: bound,
                        span,
                    }],
                },
                els: Block::default(),
                span,
            });
        }
        Ok(var_expr(value, Kind::Real, span))
    }

    /// `x` itself when reading it again costs nothing (a literal or a variable), else a
    /// temporary bound to it in `block`.
    pub(super) fn evaluated_once(&mut self, x: Expr, base: &str, block: &mut Block) -> Expr {
        if matches!(x.op, Op::Lit(_) | Op::Var(_)) {
            return x;
        }
        let (span, kind) = (x.span, x.kind.clone());
        let t = self.temp(base, kind.clone(), span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(x),
            span,
        });
        var_expr(t, kind, span)
    }

    /// A method named like one of nalgebra's (see [`is_matrix_method`]): lowered as one when its
    /// receiver is a matrix or vector, `None` when it is not.
    pub(super) fn try_matrix_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        // Methods of nalgebra values; on anything else, the usual advice.
        let mut probe = Block::default();
        self.no_hoist += 1;
        let lowered = self.expr(&mc.receiver, &mut probe);
        self.no_hoist -= 1;
        // A receiver that is itself a matrix method (`x.map(..).sum()`) has its own error.
        let matrix_receiver = matches!(strip_paren(&mc.receiver), syn::Expr::MethodCall(r) if is_matrix_method(&r.method.to_string()));
        let lowered = match lowered {
            Err(e) if matrix_receiver => return Err(e),
            other => other,
        };
        if let Ok(r) = lowered {
            self.untyped_matrix_result(&r)?;
            if r.kind == Kind::Matrix {
                block.stmts.extend(probe.stmts);
                return self.matrix_method(mc, r, block).map(Some);
            }
        }
        Ok(None)
    }

    /// A method of an integer or a bool: no derivative, copied as written.
    pub(super) fn integer_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        receiver: Expr,
        name: &str,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let mut args = Vec::new();
        for a in &mc.args {
            let x = self.expr(a, block)?;
            if x.kind.is_real() {
                return err_at(
                    a,
                    format!("`.{name}()` of an integer takes integer arguments here"),
                );
            }
            args.push(x);
        }
        // An integer's predicates (`k.is_multiple_of(OBS_EVERY)`, as clippy asks for) are
        // bools; its other methods (`abs_diff`, `pow`, `min`) give its own type.
        let predicate = matches!(
            name,
            "is_multiple_of" | "is_power_of_two" | "is_positive" | "is_negative"
        );
        let kind = if predicate {
            Kind::Bool
        } else {
            receiver.kind.clone()
        };
        Ok(Expr {
            op: Op::Method(Box::new(receiver), mc.method.clone(), args),
            kind,
            span,
        })
    }
}

/// The refusal of `x.last()` / `x.first()` left an `Option`: what to write to take the element.
fn first_last_option(mc: &syn::ExprMethodCall, name: &str) -> syn::Result<Expr> {
    let x = mc.receiver.to_token_stream();
    let at = if name == "last" {
        format!("{x}[{x}.len() - 1]")
    } else {
        format!("{x}[0]")
    };
    err_at(&mc.method, format!("`.{name}()` gives an `Option`: take the element with `*{x}.{name}().unwrap()`, `{x}.{name}().copied().unwrap()`, or `{at}`"))
}

/// `m.nrows()` or `m.ncols()` of a matrix, `receiver`: a shape, an integer copied as written;
/// any other method left to this point an error naming the supported ones.
fn matrix_shape(mc: &syn::ExprMethodCall, receiver: Expr, span: Span) -> syn::Result<Expr> {
    let name = mc.method.to_string();
    if matches!(name.as_str(), "nrows" | "ncols") && mc.args.is_empty() {
        return Ok(Expr {
            op: Op::Method(Box::new(receiver), mc.method.clone(), Vec::new()),
            kind: Kind::Int,
            span,
        });
    }
    err_at(&mc.method, format!("method `{name}` of a matrix or vector cannot be differentiated; the supported ones are `{}`, with `+ - *`, `/` by a real and elements `v[i]`, `m[(i, j)]`", matrix_methods_shown()))
}
