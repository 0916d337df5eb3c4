//! `Option`s of reals, integers and bools as data parameters (`weight: Option<f64>` outside
//! `wrt(..)`): tested with `if let Some(w) = weight`, `match weight { Some(w) => .., None => .. }`,
//! `weight.is_some()`, `weight.is_none()`, and read with `weight.unwrap_or(e)`; arms may have
//! guards, `Some(w) if w > 0.0 =>`.
//!
//! The parameter is opaque data (copied as written); a test is `matches!(weight, Some(_))` with
//! the user's own pattern (its bindings made `_`), and the value bound in a branch is
//! `weight.unwrap()` read where the test has passed: a real lifted into the scalar type, carrying
//! no derivative, or an integer or bool as written. `unwrap_or(e)` is the branch it stands for,
//! so `e` may carry a derivative.
//!
//! Before: `let s = weight.unwrap_or(x); if let Some(w) = weight { y = w * x; }`
//! After:  `let mut __or = x; if matches!(weight, Some(_)) { __or = real(weight.unwrap()) } let s = __or; if matches!(weight, Some(_)) { let w = real(weight.unwrap()); y = (w * x) }`

use super::*;

impl Lowerer<'_> {
    /// The kind of the value an `Option` data parameter `v` holds, if `v` is one.
    pub(super) fn option_inner(&self, v: VarId) -> Option<Kind> {
        if self.kind(v) != &Kind::Opaque {
            return None;
        }
        option_of_scalar(self.vars[v].ty.as_ref()?)
    }

    /// The `Option` data parameter `e` names, with the kind of its value.
    pub(super) fn option_var(&self, e: &syn::Expr) -> Option<(VarId, Kind)> {
        let v = self.path_var(strip_paren(e))?;
        Some((v, self.option_inner(v)?))
    }

    /// `matches!(v, pat)`, the bindings of `pat` made `_`.
    pub(super) fn option_test(&self, v: VarId, pat: &syn::Pat) -> Expr {
        let mut pat = pat.clone();
        if let syn::Pat::TupleStruct(ts) = &mut pat {
            for p in ts.elems.iter_mut() {
                *p = syn::Pat::Wild(syn::PatWild {
                    attrs: Vec::new(),
                    underscore_token: syn::Token![_](p.span()),
                });
            }
        }
        Expr {
            op: Op::Matches(v, Box::new(pat.clone())),
            kind: Kind::Bool,
            span: pat.span(),
        }
    }

    /// `v.unwrap()` of an `Option` data parameter holding `inner`, read where it is `Some`.
    pub(super) fn option_value(&self, v: VarId, inner: &Kind, span: Span) -> Expr {
        let unwrap = Expr {
            op: Op::Method(
                Box::new(var_expr(v, Kind::Opaque, span)),
                syn::Ident::new("unwrap", span),
                Vec::new(),
            ),
            kind: if *inner == Kind::Real {
                Kind::Opaque
            } else {
                inner.clone()
            },
            span,
        };
        match inner {
            Kind::Real => Expr {
                op: Op::AsReal(Box::new(unwrap)),
                kind: Kind::Real,
                span,
            },
            _ => unwrap,
        }
    }

    /// Binds the name of `Some(w)` (`pat`; nothing for `Some(_)`, `None`, `_`) to the value of
    /// `v`, in `block`: an error for any other pattern.
    fn bind_option(
        &mut self,
        pat: &syn::Pat,
        v: VarId,
        inner: &Kind,
        block: &mut Block,
    ) -> syn::Result<()> {
        const WRITE: &str = "match an `Option` with `Some(w)`, `Some(_)`, `None` or `_`";
        let ts = match pat {
            syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 && ends_with(&ts.path, "Some") => ts,
            syn::Pat::Path(p) if ends_with(&p.path, "None") => return Ok(()),
            syn::Pat::Ident(p) if p.ident == "None" && p.subpat.is_none() => return Ok(()),
            syn::Pat::Wild(_) => return Ok(()),
            other => return err_at(other, WRITE),
        };
        match &ts.elems[0] {
            syn::Pat::Wild(_) => Ok(()),
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let span = p.ident.span();
                let value = self.option_value(v, inner, span);
                let mutable = p.mutability.is_some();
                let w = self.new_var(&name_of(&p.ident), inner.clone(), mutable, span);
                block.stmts.push(Stmt::Let {
                    var: w,
                    init: Init::Expr(value),
                    span,
                });
                Ok(())
            }
            other => err_at(other, WRITE),
        }
    }

    /// `if let Some(w) = weight { .. } else { .. }` of an `Option` data parameter: `None` when
    /// `l` tests none.
    pub(super) fn if_let_option(
        &mut self,
        i: &syn::ExprIf,
        l: &syn::ExprLet,
        target: Option<VarId>,
    ) -> Option<syn::Result<Stmt>> {
        let (v, inner) = self.option_var(&l.expr)?;
        let cond = self.option_test(v, &l.pat);
        let mut then = Block::default();
        self.scopes.push(HashMap::new());
        let body = self
            .bind_option(&l.pat, v, &inner, &mut then)
            .and_then(|()| self.branch(&i.then_branch.stmts, i.then_branch.span(), target));
        self.scopes.pop();
        let els = self.else_block(i, target);
        Some((|| {
            then.stmts.extend(body?.stmts);
            Ok(Stmt::If {
                cond,
                then,
                els: els?,
                span: i.span(),
            })
        })())
    }

    /// `match weight { Some(w) => .., None => .. }` of an `Option` data parameter (the value
    /// of `target`, or statements): a chain of tested `if`s, `false` when `m` matches no such
    /// parameter.
    pub(super) fn match_option(
        &mut self,
        m: &syn::ExprMatch,
        target: Option<VarId>,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let Some((v, inner)) = self.option_var(&m.expr) else {
            return Ok(false);
        };
        let mut chain: Option<Block> = None;
        for arm in m.arms.iter().rev() {
            let mut then = Block::default();
            self.scopes.push(HashMap::new());
            let bound = self.bind_option(&arm.pat, v, &inner, &mut then);
            let body = bound.and_then(|()| self.arm_body(arm, target, &mut then));
            self.scopes.pop();
            body?;
            let test = self.option_test(v, &arm.pat);
            let mut stmts = Vec::new();
            let cond = match &arm.guard {
                None => test,
                Some((_, guard)) => {
                    self.option_guard(&arm.pat, guard, (v, &inner), test, &mut stmts)?
                }
            };
            stmts.push(Stmt::If {
                cond,
                then,
                els: chain.take().unwrap_or_default(),
                span: arm.span(),
            });
            chain = Some(Block { stmts });
        }
        block.stmts.extend(chain.unwrap_or_default().stmts);
        Ok(true)
    }

    /// The guard `g` of an arm `Some(w) if g =>` of a `match` on the `Option` `v` holding
    /// `inner`: a flag raised where the pattern matches (`test`) and `g` holds, read with `w`
    /// bound, its statements pushed to `out`. As in Rust, the guard runs only where the arms
    /// before it failed, and only if the pattern matches; it is not differentiated.
    ///
    /// ```text
    /// let mut guard = false;
    /// if matches!(weight, Some(_)) { let w = real(weight.unwrap()); guard = (w > 0.0); }
    /// if guard { let w = real(weight.unwrap()); .. } else { (the arms after) }
    /// ```
    fn option_guard(
        &mut self,
        pat: &syn::Pat,
        guard: &syn::Expr,
        (v, inner): (VarId, &Kind),
        test: Expr,
        out: &mut Vec<Stmt>,
    ) -> syn::Result<Expr> {
        let span = guard.span();
        let flag = self.temp("guard", Kind::Bool, span);
        self.vars[flag].mutable = true;
        let no = Expr {
            op: Op::Lit(Literal::Other(syn::Lit::Bool(syn::LitBool::new(
                false, span,
            )))),
            kind: Kind::Bool,
            span,
        };
        out.push(Stmt::Let {
            var: flag,
            init: Init::Expr(no),
            span,
        });
        let mut tested = Block::default();
        self.scopes.push(HashMap::new());
        let bound = self.bind_option(pat, v, inner, &mut tested);
        let bindings = tested.stmts.len();
        self.no_hoist += 1;
        let g = bound.and_then(|()| self.expr(guard, &mut tested));
        self.no_hoist -= 1;
        self.scopes.pop();
        let g = g?;
        if tested.stmts.len() != bindings {
            return err_at(guard, "a match guard cannot call a differentiable function");
        }
        if g.kind != Kind::Bool {
            return err_at(guard, "a match guard must be a `bool`");
        }
        tested.stmts.push(Stmt::Assign {
            place: Place::Var(flag),
            value: g,
            span,
        });
        out.push(Stmt::If {
            cond: test,
            then: tested,
            els: Block::default(),
            span,
        });
        Ok(var_expr(flag, Kind::Bool, span))
    }

    /// The body of a `match` arm into `out`: the value of `target`, or statements.
    fn arm_body(
        &mut self,
        arm: &syn::Arm,
        target: Option<VarId>,
        out: &mut Block,
    ) -> syn::Result<()> {
        if let Some(t) = target {
            return self.assign_value(t, &arm.body, out);
        }
        match strip_paren(&arm.body) {
            syn::Expr::Block(b) if b.label.is_none() => {
                self.stmts_into(&b.block.stmts, out);
                Ok(())
            }
            syn::Expr::Tuple(t) if t.elems.is_empty() => Ok(()),
            other => self.expr_stmt(other, out),
        }
    }

    /// `weight.is_some()`, `weight.is_none()`, `weight.unwrap_or(e)` of an `Option` data
    /// parameter: `None` when `mc` is none of these.
    pub(super) fn option_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        span: Span,
        block: &mut Block,
    ) -> Option<syn::Result<Expr>> {
        let (v, inner) = self.option_var(&mc.receiver)?;
        let name = mc.method.to_string();
        let test = |some: bool| {
            let pat: syn::Pat = if some {
                syn::parse_quote_spanned!(span=> ::core::option::Option::Some(_))
            } else {
                syn::parse_quote_spanned!(span=> ::core::option::Option::None)
            };
            Expr {
                op: Op::Matches(v, Box::new(pat)),
                kind: Kind::Bool,
                span,
            }
        };
        Some(match (name.as_str(), mc.args.len()) {
            ("is_some", 0) => Ok(test(true)),
            ("is_none", 0) => Ok(test(false)),
            ("unwrap_or", 1) => self.unwrap_or(mc, v, &inner, test(true), block),
            _ => err_at(&mc.method, "of an `Option`, `is_some()`, `is_none()` and `unwrap_or(e)` are supported; test it with `if let Some(w) = ..` or `match`"),
        })
    }

    /// `Some(e)` of a constant `e` (`damped(&u, Some(0.5))`): an `Option` given as data, copied
    /// as written. A value that may carry a derivative is refused: an `Option` carries none.
    pub(super) fn some_value(
        &mut self,
        call: &syn::ExprCall,
        path: &syn::Path,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if call.args.len() != 1 {
            return err_at(call, "`Some` takes one value");
        }
        let value = self.expr(&call.args[0], block)?;
        if !data_value(&value) {
            return err_at(&call.args[0], "an `Option` is data, whose value carries no derivative: give `Some(..)` a constant or data (`Some(0.5)`, `Some(k)`), or pass a real that carries a derivative as an `f64` of its own");
        }
        Ok(Expr {
            op: Op::ConstCall(path.clone(), vec![value]),
            kind: Kind::Opaque,
            span,
        })
    }

    /// `weight.unwrap_or(e)`: a variable given `e`, then the value where there is one.
    fn unwrap_or(
        &mut self,
        mc: &syn::ExprMethodCall,
        v: VarId,
        inner: &Kind,
        is_some: Expr,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if self.no_hoist > 0 {
            return err_at(
                mc,
                "bind the value with `let` first, `let w = weight.unwrap_or(e);`, and use `w` here",
            );
        }
        let span = mc.span();
        let default = self.expr(&mc.args[0], block)?;
        let default = match inner {
            Kind::Real => self.coerce_real(default)?,
            _ => default,
        };
        let t = self.temp("or", inner.clone(), span);
        self.vars[t].mutable = true;
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(default),
            span,
        });
        block.stmts.push(Stmt::If {
            cond: is_some,
            then: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Var(t),
                    value: self.option_value(v, inner, span),
                    span,
                }],
            },
            els: Block::default(),
            span,
        });
        Ok(var_expr(t, inner.clone(), span))
    }
}

/// Whether `e` carries no derivative by its form: a literal, data, or arithmetic of those.
fn data_value(e: &Expr) -> bool {
    match &e.op {
        Op::Lit(_) | Op::AsReal(_) | Op::Path(_) | Op::PathIndex(..) => true,
        _ if e.kind != Kind::Real && !e.kind.is_real() => true,
        Op::Unary(Unary::Neg, a) | Op::Cast(a, _) => data_value(a),
        Op::Binary(_, a, b) => data_value(a) && data_value(b),
        _ => false,
    }
}

/// Whether `path` names `Some` (`Some`, `Option::Some`): a value of an `Option`, not a call.
pub(super) fn is_some_path(path: &syn::Path) -> bool {
    ends_with(path, "Some")
}

/// Whether the last segment of `path` is `name` (`Some`, `Option::Some`).
fn ends_with(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}
