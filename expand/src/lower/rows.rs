//! Arrays of arrays of reals that carry derivatives, seen flat.
//!
//! A parameter `x: &[[f64; K]]` in `wrt(..)` (also `&[[f64; K]; N]` and `&Vec<[f64; K]>`, and
//! any of them by `&mut`, in `wrt(..)` or not, as `&mut [f64]` is) is lowered as the flat slice
//! that `<[[f64; K]]>::as_flattened` views it as, `x[k][j]` at `K * k + j` (the layout Rust
//! guarantees for arrays of arrays):
//!
//! - `x[k][j]` reads (and `x[k][j] = ..`, `x[k][j] += ..` write) `x[K * k + j]`, the index
//!   checked `j < K` as Rust checks `x[k][j]` (an index past a row would otherwise read the next
//!   one; a literal index is checked here);
//! - `x.len()` is `x.len() / K`;
//! - a row `p` of `for p in x` (or `&x`, `x.iter()`, and the items of `map`, `zip`,
//!   `enumerate`, ... over them) is the window `x[K * k..K * k + K]`, read `p[j]`, `p.len()`;
//! - `let row = x[k];` copies the row into a local `[f64; K]` (`let mut row = [0.0; K]; for j
//!   in 0..K { row[j] = x[K * k + j] }`), which is then an ordinary real array.
//!
//! `K` is the row length as written, an integer literal or a `const`, which rustc evaluates in
//! the generated index arithmetic. The companions take the same nested shape at the scalar
//! (`x: &[[S; K]]`, `x_dot: &[[S; K]]`, `x_bar: &mut [[S; K]]`: the adjoint of an array of
//! arrays is an array of arrays, as a struct's adjoint is the struct) and begin by flattening
//! each, `let x = x.as_flattened();` (`Emitter::flatten_rows`), generic over `S` as
//! `as_flattened` is. So every transform sees a flat slice it already differentiates, and the
//! nested shape never reaches the IR.
//!
//! Why a view rather than a nested kind in the IR: each transform, the liveness of saved
//! values, the snapshots and the emitter's copies would need a second shape and its proofs; the
//! flat view keeps them as they are.
//!
//! Across calls (session 13), the nested shape is what crosses:
//!
//! - passed to a differentiable function (`forces(pos, &mut f)`, a parameter or a local, by
//!   reference), the caller's flat array, tangent and adjoint are viewed nested again,
//!   `__tl::as_rows(x)` (`as_rows_mut`), `K` inferred from the callee's parameter; every
//!   companion takes a rows parameter as `&[[S; K]]` (also one written `&[[f64; K]; N]` or
//!   `&Vec<[f64; K]>`, whose arguments coerce to it), so the view fits any of them;
//! - returned (`-> Vec<[f64; K]>`, `-> [[f64; K]; N]`), the value held flat is given back
//!   nested, `__tl::rows_from_flat` (its shape the companion's result type), the tangent too,
//!   and the seed comes in as `result_bar: &[[S; K]]`, flattened where it seeds;
//! - bound by a caller, `let f = forces_of(pos);` (its type written, or found by the uses
//!   `f[k][j]`, `for p in &f { p[j] }`), the result is flattened where it is bound,
//!   `__tl::flat_rows`, into a local `Vec<S>` seen flat, its row length the written `K` or the
//!   callee's `forces_of::ROWS` (a constant every function returning rows exports); a fixed-size
//!   local assigned a call's result whole, `x = step(&x);`, copies the flat result in.
//!
//! Not yet, refused with what to write: sub-slices, copies of it whole, writing through a row of
//! `iter_mut`, a rows local passed by value, a whole `Vec` of rows assigned, rows in a tuple bound
//! from a call. Outside `wrt(..)` and read only, arrays of arrays stay data (`Kind::Opaque`,
//! kept `f64` in every companion).

use super::iter::{int_bin, int_lit};
use super::*;
use proc_macro2::TokenStream;

/// The rows `[f64; K]` of a reference to an array of arrays of reals (`&[[f64; K]]`,
/// `&[[f64; K]; N]`, `&Vec<[f64; K]>`, or `&mut` of them): whether it is `&mut`, and `K` as
/// written.
pub(super) fn rows_of_ref(ty: &syn::Type) -> Option<(bool, &syn::Expr)> {
    let syn::Type::Reference(r) = strip_type_group(ty) else {
        return None;
    };
    let len = match strip_type_group(&r.elem) {
        syn::Type::Slice(s) => match strip_type_group(&s.elem) {
            syn::Type::Array(row) if is_ident(&row.elem, "f64") => &row.len,
            _ => return None,
        },
        owned => rows_of_owned(owned)?,
    };
    Some((r.mutability.is_some(), len))
}

/// An error on an array of arrays of reals among the types of a tuple bound whole from a call,
/// `let (f, e): (Vec<[f64; 3]>, f64) = forces(..);`, which is not supported yet.
pub(super) fn refuse_rows_in_tuple(types: &syn::TypeTuple) -> syn::Result<()> {
    match types.elems.iter().find(|t| rows_of_owned(t).is_some()) {
        Some(t) => err_at(t, "an array of arrays of reals in a tuple returned by a call is not supported yet: return it alone, `let f = forces(..);`, or write it into a parameter `f: &mut [[f64; K]]`"),
        None => Ok(()),
    }
}

/// The rows `[f64; K]` of an owned array of arrays of reals, `Vec<[f64; K]>` or `[[f64; K];
/// N]` (a result's type): `K` as written.
pub(super) fn rows_of_owned(ty: &syn::Type) -> Option<&syn::Expr> {
    let elem = match strip_type_group(ty) {
        syn::Type::Array(a) => &*a.elem,
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(seg) if seg.ident == "Vec" => match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                    syn::GenericArgument::Type(t) => t,
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    match strip_type_group(elem) {
        syn::Type::Array(row) if is_ident(&row.elem, "f64") => Some(&row.len),
        _ => None,
    }
}

impl Lowerer<'_> {
    /// An error on each part of the result typed as an array of arrays (`Vec<[f64; K]>`,
    /// `[[f64; K]; N]`) whose value is not an array of arrays seen flat, which the companions
    /// give back in the nested shape.
    pub(super) fn check_rows_results(&mut self, tys: &[Option<syn::Type>], values: &[Expr]) {
        if tys.len() != values.len() {
            // A part was refused already.
            return;
        }
        for (ty, value) in tys.iter().zip(values) {
            let Some(ty) = ty.as_ref().filter(|t| rows_of_owned(t).is_some()) else {
                continue;
            };
            if !matches!(&value.op, Op::Var(v) if self.rows.contains_key(v)) {
                self.error(syn::Error::new(value.span, format!("return an array of arrays variable here, `let mut out = vec![[0.0; K]; n];` written `out[k][j] = ..`, then `out` (the result is `{}`)", ty.to_token_stream())));
            }
        }
    }

    /// `let f = forces(&pos);` of a differentiable function returning an array of arrays of
    /// reals, its type written (`let f: Vec<[f64; 3]> = ..`, `[[f64; 3]; N]`) or its elements
    /// read `f[k][j]` after it: a local held flat, `Vec<S>`, the callee's nested result
    /// flattened where it is bound (`__tl::flat_rows`), the length of its rows the written `K`
    /// or the callee's own, `forces::ROWS`; `false` when `init` is no such call.
    pub(super) fn let_rows_call(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        local: &syn::Local,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let syn::Expr::Call(call) = strip_paren(init) else {
            return Ok(false);
        };
        if !self.is_differentiable_call(call) {
            return Ok(false);
        }
        let len = match ty {
            Some(t) => match rows_of_owned(t) {
                Some(k) => self.local_row_len(k)?,
                None => return Ok(false),
            },
            None => {
                let uses = self.inferred.get(&(local as *const syn::Local as usize));
                if uses.is_none_or(|u| u.rows.is_none()) {
                    return Ok(false);
                }
                let mut path = self.callee_path(call)?;
                // A constant of the companions' type takes no generic arguments.
                if let Some(last) = path.segments.last_mut() {
                    last.arguments = syn::PathArguments::None;
                }
                path.segments.push(syn::PathSegment::from(syn::Ident::new(
                    "ROWS",
                    Span::call_site(),
                )));
                Expr {
                    op: Op::Path(path),
                    kind: Kind::Int,
                    span: call.span(),
                }
            }
        };
        let args = self.call_args(call, block)?;
        let kind = Kind::RealArray(ArrayRepr::Vec);
        let var = self.new_var(&name_of(ident), kind, mutable, ident.span());
        self.rows.insert(var, len);
        block.stmts.push(Stmt::Call(Call {
            callee: self.callee_path(call)?,
            args,
            results: vec![var],
            tuple: false,
            span: call.span(),
            arg_spans: super::call::arg_spans(call),
        }));
        Ok(true)
    }

    /// The kind of a parameter `name: ty` holding arrays of arrays of reals, with the length of
    /// its rows (as written, and as an integer expression) when it is seen flat; `None` for
    /// data, read as written and never differentiated (a shared reference or a value outside
    /// `wrt(..)`).
    pub(super) fn nested_param(
        &mut self,
        ty: &syn::Type,
        name: &str,
    ) -> syn::Result<Option<(Kind, (ArrayLen, Expr))>> {
        let wrt = self.args.wrt.as_deref();
        let in_wrt = wrt.is_none_or(|w| w.iter().any(|n| name_of(n) == name));
        match rows_of_ref(ty) {
            Some((mutable, k)) if mutable || in_wrt => {
                let len = row_len(k)?;
                let repr = if mutable {
                    ArrayRepr::SliceMut
                } else {
                    ArrayRepr::Slice
                };
                Ok(Some((
                    Kind::RealArray(repr),
                    (ArrayLen(k.to_token_stream()), len),
                )))
            }
            Some(_) => Ok(None),
            None => {
                let by_ref = by_reference(ty, name);
                if matches!(strip_type_group(ty), syn::Type::Reference(r) if r.mutability.is_some())
                {
                    return err_at(ty, format!("an array of arrays written by a differentiable function has rows of reals, `{name}: &mut [[f64; K]]`; for deeper nesting, pass the values flat, `{name}: &mut [f64]`"));
                }
                match wrt {
                    None => err_at(ty, format!("to differentiate with respect to `{name}`, take it by reference with rows of reals, {by_ref}; to read it as data, name the parameters to differentiate, `#[differentiable(wrt(x))]`, leaving `{name}` out")),
                    // Data; `check_wrt` reports it if `wrt(..)` names it.
                    Some(_) => Ok(None),
                }
            }
        }
    }

    /// The array of arrays seen flat that `e` names, if it names one.
    pub(super) fn rows_var(&self, e: &syn::Expr) -> Option<VarId> {
        self.path_var(e).filter(|v| self.rows.contains_key(v))
    }

    /// Whether `v` is an array of arrays seen flat.
    pub(super) fn rows_var_id(&self, v: VarId) -> bool {
        self.rows.contains_key(&v)
    }

    /// An error on `arg` if it passes `v`, a local array of arrays seen flat, by value: a
    /// differentiable function takes one by reference (the companions view the caller's flat
    /// array nested again, `__tl::as_rows`).
    pub(super) fn rows_by_value(&self, v: VarId, arg: &syn::Expr) -> syn::Result<()> {
        let owned = matches!(
            self.kind(v),
            Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_))
        );
        if self.rows_var_id(v) && owned && !matches!(arg, syn::Expr::Reference(_)) {
            return err_at(arg, format!("pass the array of arrays `{0}` by reference, `&{0}` (or `&mut {0}`): a differentiable function takes one as `&[[f64; K]]` or `&mut [[f64; K]]`", self.shown(v)));
        }
        Ok(())
    }

    /// Makes `copy` an array of arrays seen flat if `source` is one.
    pub(super) fn rows_like(&mut self, copy: VarId, source: VarId) {
        if let Some(len) = self.rows.get(&source).cloned() {
            self.rows.insert(copy, len);
        }
    }

    /// `[t, y]` of `for &[t, y] in x` bound to the row of `x` (seen flat) starting at `start`:
    /// each name a copy of its element, `_` skipped (rustc has checked the pattern's length).
    pub(super) fn bind_flat_row_elements(
        &mut self,
        pat: &syn::PatSlice,
        array: VarId,
        start: Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        for (j, p) in pat.elems.iter().enumerate() {
            if matches!(p, syn::Pat::Wild(_)) {
                continue;
            }
            let (ident, mutable) = stmt::simple_binding(p)?;
            let span = ident.span();
            let index = iter::add(&start, int_lit(j, span));
            let v = self.new_var(&name_of(&ident), Kind::Real, mutable, span);
            block.stmts.push(Stmt::Let {
                var: v,
                init: Init::Expr(Expr {
                    op: Op::Index(array, Box::new(index)),
                    kind: Kind::Real,
                    span,
                }),
                span,
            });
        }
        Ok(())
    }

    /// An error on `node` if `v` is an array of arrays seen flat, which cannot be used whole
    /// as `what` says.
    pub(super) fn refuse_rows(&self, v: VarId, node: &dyn ToTokens, what: &str) -> syn::Result<()> {
        if !self.rows.contains_key(&v) {
            return Ok(());
        }
        err_at(node, format!("`{}` is an array of arrays of reals that carries derivatives: {what} is not supported yet; read its elements, `{0}[k][j]`, iterate over its rows, `for row in {0}`, or copy one, `let row = {0}[k];`", self.shown(v)))
    }

    /// `x[k][j]` (`outer`, whose base `inner` is `x[k]`) of an array of arrays seen flat: the
    /// variable and the flat index.
    pub(super) fn row_element(
        &mut self,
        inner: &syn::ExprIndex,
        outer: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<(VarId, Expr)> {
        let v = self.var_of(&inner.expr)?;
        for index in [&inner.index, &outer.index] {
            if let syn::Expr::Range(r) = &**index {
                return err_at(r, "index single elements of an array of arrays, `x[k][j]`");
            }
        }
        let k = self.index_expr(&inner.index, block)?;
        let j = self.index_expr(&outer.index, block)?;
        let index = self.row_index(v, k, j, &outer.index)?;
        Ok((v, index))
    }

    /// The flat index `K * k + j` of `x[k][j]`, checked `j < K` as Rust checks it.
    pub(super) fn row_index(
        &self,
        v: VarId,
        k: Expr,
        j: Expr,
        j_node: &syn::Expr,
    ) -> syn::Result<Expr> {
        let len = self.rows[&v].clone();
        let span = j.span;
        let literal = |e: &Expr| match &e.op {
            Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse::<usize>().ok(),
            _ => None,
        };
        if let (Some(n), Some(jv)) = (literal(&len), literal(&j)) {
            if jv >= n {
                return err_at(j_node, format!("index out of bounds: the rows of `{}` have {n} elements but the index is {jv}", self.shown(v)));
            }
            return Ok(int_bin(Binary::Add, int_bin(Binary::Mul, len, k), j));
        }
        let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::row_index);
        Ok(Expr {
            op: Op::ConstCall(path, vec![k, j, len]),
            kind: Kind::Int,
            span,
        })
    }

    /// The place `x[k][j]` (`outer`, whose base `inner` is `x[k]`) of an array of arrays seen
    /// flat, written through `&mut`.
    pub(super) fn row_place(
        &mut self,
        inner: &syn::ExprIndex,
        outer: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<Place> {
        let (v, index) = self.row_element(inner, outer, block)?;
        if self.kind(v) == &Kind::RealArray(ArrayRepr::Slice) {
            return err_at(
                &inner.expr,
                format!(
                    "`{}` is read only: take it as `&mut [[f64; K]]` to write into it",
                    self.shown(v)
                ),
            );
        }
        self.vars[v].mutable = true;
        Ok(Place::Index(v, index))
    }

    /// `j` as an offset into a row of `v` (the window `p` of `for p in x`, read `p[j]`),
    /// checked `j < K` as Rust checks `p[j]`; `j` itself when `v` is not seen flat.
    pub(super) fn row_offset(&self, v: VarId, j: Expr, j_node: &syn::Expr) -> syn::Result<Expr> {
        if !self.rows.contains_key(&v) {
            return Ok(j);
        }
        let index = self.row_index(v, int_lit(0, j.span), j, j_node)?;
        // `K * 0 + j` of a literal `j` is `j`.
        Ok(match index.op {
            Op::Binary(Binary::Add, _, j) => *j,
            _ => index,
        })
    }

    /// `x.len()` of an array of arrays seen flat: its number of rows.
    pub(super) fn rows_len(&self, v: VarId, span: Span) -> Option<Expr> {
        let len = self.rows.get(&v)?.clone();
        let flat = Expr {
            op: Op::Len(v),
            kind: Kind::Int,
            span,
        };
        Some(int_bin(Binary::Div, flat, len))
    }

    /// The rows of `array`, an array of arrays seen flat, as the items of an iterator source
    /// (`x`, `&x`, `x.iter()`; `method` is the source's method, if any): windows of length `K`,
    /// given as `K` and the number of rows; `None` if `array` is not seen flat.
    pub(super) fn rows_source(
        &self,
        array: VarId,
        method: Option<&str>,
        writable: bool,
        node: &dyn ToTokens,
    ) -> Option<syn::Result<(Expr, Expr)>> {
        let size = self.rows.get(&array)?.clone();
        if writable || !matches!(method, None | Some("iter" | "into_iter")) {
            let what = match method {
                Some(m) => format!("`.{m}(..)`"),
                None => "iterating to write".to_string(),
            };
            let what = format!(
                "{what} (write `{}[k][j] = ..` in a loop over `k`)",
                self.shown(array)
            );
            return Some(
                self.refuse_rows(array, node, &what)
                    .map(|()| (size.clone(), size)),
            );
        }
        let end = self.rows_len(array, size.span)?;
        Some(Ok((size, end)))
    }

    /// `let row = x[k];` (`init`) of an array of arrays seen flat: a copy of the row, a local
    /// `[f64; K]`; `false` when `init` is not such a row.
    pub(super) fn let_row_copy(
        &mut self,
        ident: &syn::Ident,
        init: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<bool> {
        if let Some((v, which)) = self.end_row_of(init) {
            let k = self.end_row_index(v, which, init.span());
            return self.row_copy(ident, v, k, init, span, block).map(|()| true);
        }
        let syn::Expr::Index(ix) = strip_paren(init) else {
            return Ok(false);
        };
        let Some(v) = self.rows_var(&ix.expr) else {
            return Ok(false);
        };
        if let syn::Expr::Range(r) = &*ix.index {
            return err_at(
                r,
                format!(
                    "sub-slices of `{}` are not supported yet; copy a row, `let row = {0}[k];`",
                    self.shown(v)
                ),
            );
        }
        let k = self.index_expr(&ix.index, block)?;
        self.row_copy(ident, v, k, init, span, block)?;
        Ok(true)
    }

    /// The row `x[k]` of `v`, an array of arrays seen flat, copied into a new local `ident`,
    /// `[f64; K]` (`init` the user's expression, for the check of the row's elements).
    pub(super) fn row_copy(
        &mut self,
        ident: &syn::Ident,
        v: VarId,
        k: Expr,
        init: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let k = self.evaluated_once(k, "row_index", block);
        let len = self.rows[&v].clone();
        let tokens = len_tokens(&len);
        let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(tokens.clone())));
        let row = self.new_var(&name_of(ident), kind, true, ident.span());
        block.stmts.push(Stmt::Let {
            var: row,
            init: Init::ArrayFill {
                value: real_lit(0.0, span),
                len: tokens,
            },
            span,
        });
        let j = self.temp("j", Kind::Int, span);
        let index = self.row_index(v, k, var_expr(j, Kind::Int, span), init)?;
        let body = Block {
            stmts: vec![Stmt::Assign {
                place: Place::Index(row, var_expr(j, Kind::Int, span)),
                value: Expr {
                    op: Op::Index(v, Box::new(index)),
                    kind: Kind::Real,
                    span,
                },
                span,
            }],
        };
        block.stmts.push(Stmt::For {
            var: j,
            range: Range {
                start: int_lit(0, span),
                end: len,
                inclusive: false,
                adaptors: Vec::new(),
            },
            body,
            span,
        });
        Ok(())
    }

    /// `*x.last().unwrap()` (`x.last().unwrap()`, through `.copied()` or `.cloned()`; also
    /// `first`) of `x`, an array of arrays seen flat: `x` and `"last"` or `"first"`.
    pub(super) fn end_row_of(&self, e: &syn::Expr) -> Option<(VarId, &'static str)> {
        let e = match strip_paren(e) {
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip_paren(&u.expr),
            e => e,
        };
        let syn::Expr::MethodCall(mc) = e else {
            return None;
        };
        let (end, which) = super::slices::first_last_of(mc)?;
        if !end.args.is_empty() {
            return None;
        }
        Some((self.rows_var(strip_paren(&end.receiver))?, which))
    }

    /// The index of the row `x.last().unwrap()` (`which` is `"last"` or `"first"`) of `v`, an
    /// array of arrays seen flat, checked as `unwrap` checks it.
    pub(super) fn end_row_index(&self, v: VarId, which: &str, span: Span) -> Expr {
        let helper = syn::Ident::new(&format!("{which}_index"), Span::call_site());
        let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::#helper);
        let rows = self.rows_len(v, span).expect("`v` is seen flat");
        Expr {
            op: Op::ConstCall(path, vec![rows]),
            kind: Kind::Int,
            span,
        }
    }
}

impl Lowerer<'_> {
    /// `let v = [[0.0; K]; N];`, `vec![[0.0; K]; n]` or `[[a, b], [c, d]]` (its type, if
    /// written, is rustc's to check): a local array of arrays seen flat, `[0.0; K * N]`,
    /// `vec![0.0; K * n]`, `[a, b, c, d]`; `false` when `init` is none of these.
    pub(super) fn let_nested_local(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        Ok(self.nested_local(ident, mutable, init, block)?.is_some())
    }

    /// A result written as an array of arrays' constructor, `vec![[0.0; K]; n]`: bound to a
    /// local seen flat (as `let_nested_local` binds it), which the companions return nested;
    /// `None` when `e` is no such constructor.
    pub(super) fn nested_result(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let name = syn::Ident::new("result", e.span());
        let v = self.nested_local(&name, false, e, block)?;
        Ok(v.map(|v| var_expr(v, self.kind(v).clone(), e.span())))
    }

    /// [`Lowerer::let_nested_local`], giving the local bound.
    fn nested_local(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Option<VarId>> {
        let span = init.span();
        let (init, kind, len) = match strip_paren(init) {
            syn::Expr::Repeat(outer) => {
                let syn::Expr::Repeat(row) = strip_paren(&outer.expr) else {
                    return Ok(None);
                };
                let len = self.local_row_len(&row.len)?;
                let value = self.real_expr(&row.expr, block)?;
                let (k, n) = (
                    len_tokens(&len),
                    self.with_consts(outer.len.to_token_stream()),
                );
                let total = quote::quote!((#k) * (#n));
                let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(total.clone())));
                (Init::ArrayFill { value, len: total }, kind, len)
            }
            syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let Ok(fill) = syn::parse2::<bind::VecFill>(m.mac.tokens.clone()) else {
                    return Ok(None);
                };
                let syn::Expr::Repeat(row) = strip_paren(&fill.value) else {
                    return Ok(None);
                };
                let len = self.local_row_len(&row.len)?;
                let value = self.real_expr(&row.expr, block)?;
                let n = self.index_expr(&fill.len, block)?;
                let total = int_bin(Binary::Mul, len.clone(), n);
                let kind = Kind::RealArray(ArrayRepr::Vec);
                (Init::VecFill { value, len: total }, kind, len)
            }
            syn::Expr::Array(outer) => {
                let rows: Vec<&syn::ExprArray> = outer
                    .elems
                    .iter()
                    .filter_map(|e| match strip_paren(e) {
                        syn::Expr::Array(a) => Some(a),
                        _ => None,
                    })
                    .collect();
                let k = rows.first().map_or(0, |r| r.elems.len());
                if rows.is_empty() || rows.len() != outer.elems.len() || k == 0 {
                    return Ok(None);
                }
                let mut es = Vec::new();
                for row in &rows {
                    if row.elems.len() != k {
                        return err_at(row, format!("the rows of an array of arrays have one length: this one has {} elements, the first {k}", row.elems.len()));
                    }
                    for e in &row.elems {
                        es.push(self.real_expr(e, block)?);
                    }
                }
                let total = es.len();
                let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#total))));
                (Init::ArrayList(es), kind, int_lit(k, span))
            }
            _ => return Ok(None),
        };
        let var = self.new_var(&name_of(ident), kind, mutable, ident.span());
        self.rows.insert(var, len);
        block.stmts.push(Stmt::Let { var, init, span });
        Ok(Some(var))
    }

    /// The row length `K` of a local `[[0.0; K]; N]`, a function's `const` given its value.
    fn local_row_len(&self, k: &syn::Expr) -> syn::Result<Expr> {
        let tokens = self.with_consts(k.to_token_stream());
        match syn::parse2::<syn::Expr>(tokens) {
            Ok(e) => row_len(&e),
            Err(_) => row_len(k),
        }
    }
}

/// The row length `K` written in `[f64; K]`, as an integer expression: a literal or a path to
/// a constant, which the generated code names as written.
pub(super) fn row_len(k: &syn::Expr) -> syn::Result<Expr> {
    let span = k.span();
    match strip_paren(k) {
        syn::Expr::Lit(syn::ExprLit {
            lit: lit @ syn::Lit::Int(_),
            ..
        }) => Ok(Expr {
            op: Op::Lit(Literal::Other(lit.clone())),
            kind: Kind::Int,
            span,
        }),
        syn::Expr::Path(p) if p.qself.is_none() => Ok(Expr {
            op: Op::Path(p.path.clone()),
            kind: Kind::Int,
            span,
        }),
        other => err_at(other, "write the length of the rows as an integer literal or the name of a `const`, `[f64; 3]` or `[f64; K]`"),
    }
}

/// The tokens of a row length made by [`row_len`].
fn len_tokens(len: &Expr) -> TokenStream {
    match &len.op {
        Op::Lit(l) => match l {
            Literal::Other(l) => l.to_token_stream(),
            Literal::Real(_) => unreachable!("row lengths are integers"),
        },
        Op::Path(p) => p.to_token_stream(),
        _ => unreachable!("row lengths are literals or paths"),
    }
}
