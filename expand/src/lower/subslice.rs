//! Sub-slices passed to differentiable calls: `f(&x[1..])`, `f(&x[a..b])`, `f(&mut du[..n]);`.
//!
//! The IR passes whole arrays, so a sub-slice is a copy: its bounds evaluated once and checked
//! as std checks them, its elements copied into a `Vec` the callee reads, and for `&mut` copied
//! back after the call. Values are those of the function to the bit (a copy changes none), and
//! the derivative is the copies' (the identity on the elements concerned). The copy back of a
//! `&mut` sub-slice follows the call, so that call must be a statement of its own (where a
//! value of it is used in an expression, the rest of the expression could read the array before
//! the copy back).
//!
//! Before: `f(&mut du[a..b]);`
//! After:  `let __from = a; let __to = b; assert!(..); let __sub = vec![0.0; __to - __from];`
//!         `for __i in 0..__sub.len() { __sub[__i] = du[__from + __i] }`
//!         `call f(&mut __sub); for __i in 0..__sub.len() { du[__from + __i] = __sub[__i] }`
//!
//! Except a sub-slice of a `&[f64]` parameter outside `wrt(..)` (the 4D-Var `misfit(&u,
//! &obs[k * n..])`): data, never written, so no copy but a view, `let __sub =
//! __tl::data_window(&obs, __from, __to);` (opaque, `Function::data_slices`), passed on
//! borrowed as `__tl::DataSlice` (see `runtime/src/data.rs`): the time loop allocates nothing.

use super::iter::{add, int_lit};
use super::*;

/// A copy of a `&mut` sub-slice to write back after its call: the copy, the array, and the
/// variable holding the first index.
pub(super) struct CopyBack {
    sub: VarId,
    array: VarId,
    from: Expr,
}

impl Lowerer<'_> {
    /// The argument `&x[range]` or `&mut x[range]` (`ix`), as a copy bound before the call.
    pub(super) fn subslice_arg(
        &mut self,
        r: &syn::ExprReference,
        ix: &syn::ExprIndex,
        range: &syn::ExprRange,
        block: &mut Block,
    ) -> syn::Result<Arg> {
        let mutable = r.mutability.is_some();
        if let Some(base) = self.path_var(&ix.expr) {
            if self.subslices.contains(&base) {
                // A sub-slice of a sub-slice local, `&tail[1..]`.
                let run = self.run(&r.expr, mutable, block)?;
                let a = syn::Expr::Reference(r.clone());
                return self.window_arg(&a, run.array, run.start, run.len, block);
            }
        }
        let array = match self.path_var(&ix.expr) {
            Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => v,
            // `&at[a..b]` of integer data (`at: &[usize]`): a view, passed on as written.
            Some(v)
                if !mutable
                    && self.kind(v) == &Kind::Opaque
                    && self.vars[v].ty.as_ref().is_some_and(holds_integers) =>
            {
                let span = r.span();
                let len = Expr {
                    op: Op::Len(v),
                    kind: Kind::Int,
                    span,
                };
                let (from, to) = self.range_bounds(len, ix, range, span, block)?;
                return Ok(self.window(v, from, to, span, block));
            }
            _ => {
                return err_at(
                    &ix.expr,
                    "take a sub-slice of an array of reals: `&x[a..b]`",
                )
            }
        };
        self.refuse_rows(array, ix, "a sub-slice of it")?;
        if mutable && self.kind(array) == &Kind::RealArray(ArrayRepr::Slice) {
            return err_at(
                r,
                format!(
                    "`{}` is a shared slice and cannot be passed as `&mut`",
                    self.shown(array)
                ),
            );
        }
        if mutable && self.copy_backs.is_none() {
            return err_at(r, "pass `&mut v[a..b]` to a call that is a statement of its own, `f(&mut v[a..b], ..);`, and read its result through the arguments it writes");
        }
        let span = r.span();
        let len = Expr {
            op: Op::Len(array),
            kind: Kind::Int,
            span,
        };
        let (from, to) = self.range_bounds(len, ix, range, span, block)?;
        if !mutable && self.is_data_param(array) {
            return Ok(self.data_view(array, from, to, span, block));
        }
        let (from_e, to_e) = (
            var_expr(from, Kind::Int, span),
            var_expr(to, Kind::Int, span),
        );
        let int = |op, a: Expr, b: Expr| Expr {
            op: Op::Binary(op, Box::new(a), Box::new(b)),
            kind: Kind::Int,
            span,
        };
        let sub = self.temp("sub", Kind::RealArray(ArrayRepr::Vec), span);
        self.vars[sub].mutable = true;
        block.stmts.push(Stmt::Let {
            var: sub,
            init: Init::VecFill {
                value: real_lit(0.0, span),
                len: int(Binary::Sub, to_e, from_e),
            },
            span,
        });
        let from = var_expr(from, Kind::Int, span);
        self.copied_arg(sub, array, from, mutable, span, block)
    }

    /// Whether `array` is a `&[f64]` parameter outside `wrt(..)`: `f64` data in every
    /// companion, never written.
    fn is_data_param(&self, array: VarId) -> bool {
        let Some(wrt) = &self.args.wrt else {
            return false;
        };
        let name = &self.vars[array].user_name;
        self.param_vars.contains(&array)
            && self.kind(array) == &Kind::RealArray(ArrayRepr::Slice)
            && !wrt.iter().any(|w| &name_of(w) == name)
    }

    /// The sub-slice `array[from..to]` of a data parameter (bounds checked already), bound as
    /// a view of the `f64` data, `let __sub = __tl::data_window(obs, __from, __to);`: no copy,
    /// and passed on with zero slots made only if read (`ir::Function::data_slices`).
    fn data_view(
        &mut self,
        array: VarId,
        from: VarId,
        to: VarId,
        span: Span,
        block: &mut Block,
    ) -> Arg {
        let arg = self.window(array, from, to, span, block);
        if let Arg::Value(Expr {
            op: Op::Var(sub), ..
        }) = &arg
        {
            self.data_slices.insert(*sub);
        }
        arg
    }

    /// `let __sub = __tl::data_window(array, __from, __to);`, passed on as `__sub`.
    fn window(
        &mut self,
        array: VarId,
        from: VarId,
        to: VarId,
        span: Span,
        block: &mut Block,
    ) -> Arg {
        let krate = &self.args.krate;
        let path: syn::Path = syn::parse_quote!(#krate::__private::data_window);
        let sub = self.temp("sub", Kind::Opaque, span);
        let var = |v, kind| var_expr(v, kind, span);
        let window = Expr {
            op: Op::ConstCall(
                path,
                vec![
                    Expr {
                        op: Op::Ref(array),
                        kind: Kind::Opaque,
                        span,
                    },
                    var(from, Kind::Int),
                    var(to, Kind::Int),
                ],
            ),
            kind: Kind::Opaque,
            span,
        };
        block.stmts.push(Stmt::Let {
            var: sub,
            init: Init::Expr(window),
            span,
        });
        Arg::Value(var(sub, Kind::Opaque))
    }

    /// A sub-slice local or window `w` of `array` (from `from`, `len` elements) passed to a
    /// call as `w`, `&w` or `&mut w` (`mutable`): copied like a sub-slice.
    /// A `&mut [f64]` one passed by name is passed as `&mut`.
    pub(super) fn window_arg(
        &mut self,
        a: &syn::Expr,
        array: VarId,
        from: Expr,
        len: Expr,
        block: &mut Block,
    ) -> syn::Result<Arg> {
        let mutable = match a {
            syn::Expr::Reference(r) => r.mutability.is_some(),
            a => self
                .path_var(a)
                .is_some_and(|v| self.kind(v) == &Kind::RealArray(ArrayRepr::SliceMut)),
        };
        if mutable && self.copy_backs.is_none() {
            return err_at(a, "pass a `&mut` sub-slice to a call that is a statement of its own, `f(&mut v[a..b], ..);`, and read its result through the arguments it writes");
        }
        let span = a.span();
        let sub = self.temp("sub", Kind::RealArray(ArrayRepr::Vec), span);
        self.vars[sub].mutable = true;
        block.stmts.push(Stmt::Let {
            var: sub,
            init: Init::VecFill {
                value: real_lit(0.0, span),
                len,
            },
            span,
        });
        self.copied_arg(sub, array, from, mutable, span, block)
    }

    /// A row `p` of an array of arrays seen flat (`for p in traj`, `zip`, `map(|(a, b)| ..)`),
    /// passed read-only to a call: a copy `[f64; K]` made before the call (the adjoint flows back
    /// through its loop); `None` for a `&mut` argument or a window of a plain array.
    pub(super) fn row_arg(
        &mut self,
        a: &syn::Expr,
        array: VarId,
        from: Expr,
        block: &mut Block,
    ) -> Option<Arg> {
        if matches!(a, syn::Expr::Reference(r) if r.mutability.is_some()) {
            return None;
        }
        let len = match &self.rows.get(&array)?.op {
            Op::Lit(Literal::Other(l)) => l.to_token_stream(),
            Op::Path(p) => p.to_token_stream(),
            _ => return None,
        };
        let span = a.span();
        let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(len.clone())));
        let row = self.temp("row", kind, span);
        self.vars[row].mutable = true;
        block.stmts.push(Stmt::Let {
            var: row,
            init: Init::ArrayFill {
                value: real_lit(0.0, span),
                len,
            },
            span,
        });
        self.copied_arg(row, array, from, false, span, block).ok()
    }

    /// The copy `sub` of the elements of `array` from `from` on, made in `block` and passed
    /// on, and written back after the call when `mutable`.
    fn copied_arg(
        &mut self,
        sub: VarId,
        array: VarId,
        from: Expr,
        mutable: bool,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Arg> {
        let copy_in = self.copy_loop(sub, array, from.clone(), true, span);
        block.stmts.push(copy_in);
        if mutable {
            self.vars[array].mutable = true;
            if let Some(pending) = &mut self.copy_backs {
                pending.push(CopyBack { sub, array, from });
            }
            Ok(Arg::ArrayMut {
                var: sub,
                by_ref: true,
            })
        } else {
            Ok(Arg::Array {
                var: sub,
                by_ref: true,
            })
        }
    }

    /// The bounds of `x[range]` (`ix`) of an array of `len` elements, each evaluated once into
    /// a variable, and checked as std checks them (`from <= to <= len`), with the sub-slice as
    /// written in the message.
    pub(super) fn range_bounds(
        &mut self,
        len: Expr,
        ix: &syn::ExprIndex,
        range: &syn::ExprRange,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<(VarId, VarId)> {
        let int = |op, a: Expr, b: Expr| Expr {
            op: Op::Binary(op, Box::new(a), Box::new(b)),
            kind: match op {
                Binary::Le | Binary::And => Kind::Bool,
                _ => Kind::Int,
            },
            span,
        };
        let start = match &range.start {
            Some(e) => self.index_expr(e, block)?,
            None => int_lit(0, span),
        };
        let end = match &range.end {
            Some(e) => self.index_expr(e, block)?,
            None => len.clone(),
        };
        let end = match range.limits {
            syn::RangeLimits::Closed(_) => int(Binary::Add, end, int_lit(1, span)),
            syn::RangeLimits::HalfOpen(_) => end,
        };
        let from = self.bound_once("from", start, span, block);
        let to = self.bound_once("to", end, span, block);
        let (from_e, to_e) = (
            var_expr(from, Kind::Int, span),
            var_expr(to, Kind::Int, span),
        );
        let in_bounds = int(
            Binary::And,
            int(Binary::Le, from_e.clone(), to_e.clone()),
            int(Binary::Le, to_e.clone(), len.clone()),
        );
        let text = ix.to_token_stream().to_string();
        block.stmts.push(Stmt::Assert(Assert {
            mac: syn::Ident::new("assert", span),
            operands: vec![in_bounds],
            message: Some((
                syn::LitStr::new(
                    &format!(
                        "sub-slice `{}` out of range: {{}}..{{}} of a slice of length {{}}",
                        text.replace('{', "{{").replace('}', "}}")
                    ),
                    span,
                ),
                vec![from_e, to_e, len],
            )),
            written: text,
            span,
        }));
        Ok((from, to))
    }

    /// The copies back of the `&mut` sub-slices of the call just lowered, into `block`.
    pub(super) fn copy_back(&mut self, pending: Vec<CopyBack>, span: Span, block: &mut Block) {
        for c in pending {
            let s = self.copy_loop(c.sub, c.array, c.from, false, span);
            block.stmts.push(s);
        }
    }

    /// `for i in 0..sub.len() { sub[i] = array[from + i] }` (`into_sub`), or the copy back.
    fn copy_loop(
        &mut self,
        sub: VarId,
        array: VarId,
        from: Expr,
        into_sub: bool,
        span: Span,
    ) -> Stmt {
        let counter = self.temp("i", Kind::Int, span);
        let i = || var_expr(counter, Kind::Int, span);
        let at = add(&from, i());
        let (to, from_place) = if into_sub {
            ((sub, i()), (array, at))
        } else {
            ((array, at), (sub, i()))
        };
        Stmt::For {
            var: counter,
            range: Range {
                start: int_lit(0, span),
                end: Expr {
                    op: Op::Len(sub),
                    kind: Kind::Int,
                    span,
                },
                inclusive: false,
                adaptors: Vec::new(),
            },
            body: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Index(to.0, to.1),
                    value: Expr {
                        op: Op::Index(from_place.0, Box::new(from_place.1)),
                        kind: Kind::Real,
                        span,
                    },
                    span,
                }],
            },
            span,
        }
    }

    /// An integer bound to a temporary, evaluated once.
    pub(super) fn bound_once(
        &mut self,
        base: &str,
        value: Expr,
        span: Span,
        block: &mut Block,
    ) -> VarId {
        let t = self.temp(base, Kind::Int, span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(value),
            span,
        });
        t
    }
}
