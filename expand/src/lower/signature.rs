//! The function as a whole: its signature, parameters, `wrt(..)`, result type and final value,
//! and the result variables and flag that carry an early `return`.
//!
//! Const generic parameters, `fn l96<const N: usize>(x: &[f64; N], f: f64) -> [f64; N]`, are
//! lengths: types keep them as written (every companion declares them after its scalar,
//! `emit::Emitter::generics`), and the body reads each as an integer variable bound first,
//! `let __n = N;`, the way a user binds `let n = u.len();`:
//!
//! ```text
//! fn l96<const N: usize>(x: &[f64; N], ..) {        fn l96_vjp<S: Real, const N: usize>(x: &[S; N], ..) {
//!     for i in 0..N {                        -->         let __n = N;
//!         .. x[(i + N - 1) % N] ..                       for i in 0..__n { .. x[(i + __n - 1) % __n] .. }
//! ```

use super::*;

impl Lowerer<'_> {
    pub(super) fn function(&mut self, item: &syn::ItemFn) -> Option<Function> {
        let sig = &item.sig;
        self.check_signature(sig);
        let params = self.params(sig);
        self.check_wrt(&params);
        let (ret_parts, tuple) = self.return_shape(sig);
        if params.len() == sig.inputs.len() && !self.ret_failed {
            self.check_rhs(&sig.ident, &params, &ret_parts);
        }
        if contains_early_return(&item.block) {
            self.prepare_early_return(sig, &ret_parts);
        }
        let mut body = Block::default();
        self.early_return_prologue(sig, &mut body);
        let (tail, rest) = self.split_tail(&item.block.stmts, &ret_parts);
        self.body_tail = tail.map(|t| (rest.as_ptr() as usize, t.clone()));
        self.body_statements(rest, tail, &mut body);
        let values = self.final_values(sig, tail, &ret_parts, &mut body);
        self.bind_const_params(sig, &mut body);
        let tys = return_types(&sig.output, tuple);
        self.check_rows_results(&tys, &values);
        Some(Function {
            name: sig.ident.clone(),
            vars: std::mem::take(&mut self.vars),
            params,
            ret: Ret {
                tys,
                parts: ret_parts,
                tuple,
                values,
            },
            body,
            idents: self.idents.clone(),
            map_params: std::mem::take(&mut self.map_params),
            rows_vars: self.rows.keys().copied().collect(),
            data_rows: std::mem::take(&mut self.data_rows),
            data_slices: std::mem::take(&mut self.data_slices),
            const_params: const_params(sig),
        })
    }

    /// A const generic parameter read in the body, `N`: the integer variable bound to it at the
    /// start of the body (`let __n = N;`), so that the passes see one variable as they do a
    /// length bound by the user, `let n = u.len();` (a periodic stencil `(i + N - 1) % N` over
    /// `0..N` takes the gather form of `transform::adjoint::stencil`).
    pub(super) fn const_param(&mut self, p: &syn::Path, span: Span) -> Option<Expr> {
        let name = name_of(p.get_ident()?);
        let slot = *self.const_params.get(&name)?;
        let var = match slot {
            Some(v) => v,
            None => {
                // Lower case: the variable is a local (`__n`), which rustc lints as one.
                let v = self.temp(&name.to_lowercase(), Kind::Int, span);
                self.const_params.insert(name, Some(v));
                v
            }
        };
        Some(var_expr(var, Kind::Int, span))
    }

    /// The `let`s of the const generic parameters the body reads, first in the body.
    fn bind_const_params(&mut self, sig: &syn::Signature, body: &mut Block) {
        let mut lets = Vec::new();
        for c in sig.generics.const_params() {
            if let Some(Some(var)) = self.const_params.get(&name_of(&c.ident)) {
                let span = c.ident.span();
                let path = syn::Path::from(c.ident.clone());
                lets.push(Stmt::Let {
                    var: *var,
                    init: Init::Expr(Expr {
                        op: Op::Path(path),
                        kind: Kind::Int,
                        span,
                    }),
                    span,
                });
            }
        }
        body.stmts.splice(0..0, lets);
    }

    /// What makes a signature something other than an ordinary generic-free `fn`.
    pub(super) fn check_signature(&mut self, sig: &syn::Signature) {
        if let Some(c) = &sig.constness {
            self.error(syn::Error::new(
                c.span,
                "remove `const`: a differentiable function is an ordinary `fn`",
            ));
        }
        if let Some(a) = &sig.asyncness {
            self.error(syn::Error::new(
                a.span,
                "remove `async`: a differentiable function is an ordinary `fn`",
            ));
        }
        if let Some(u) = &sig.unsafety {
            self.error(syn::Error::new(
                u.span,
                "remove `unsafe`: differentiable code must be safe Rust",
            ));
        }
        if let Some(abi) = &sig.abi {
            self.error(syn::Error::new_spanned(
                abi,
                "remove the `extern` ABI: a differentiable function is an ordinary Rust `fn`",
            ));
        }
        for param in &sig.generics.params {
            let msg = match param {
                syn::GenericParam::Type(_) => "remove the type parameter: write the function with `f64`, and tapeless generates companions generic over the scalar type",
                syn::GenericParam::Lifetime(_) => "remove the lifetime parameter: differentiable functions take references with elided lifetimes",
                syn::GenericParam::Const(c) if is_ident(&c.ty, "usize") => {
                    self.const_params.insert(name_of(&c.ident), None);
                    continue;
                }
                syn::GenericParam::Const(c) => {
                    let name = &c.ident;
                    self.error(syn::Error::new_spanned(
                        &c.ty,
                        format!("a const generic parameter of a differentiable function is a length, `const {name}: usize`: make this one a `usize`, or write its value in the body"),
                    ));
                    continue;
                }
            };
            self.error(syn::Error::new_spanned(param, msg));
        }
        if let Some(w) = &sig.generics.where_clause {
            self.error(syn::Error::new_spanned(
                w,
                "remove the `where` clause: differentiable functions have no generic parameters other than `const N: usize` lengths",
            ));
        }
        if let Some(v) = &sig.variadic {
            self.error(syn::Error::new_spanned(
                v,
                "variadic functions cannot be differentiated",
            ));
        }
    }

    /// The parameters that lower; the others are reported and their names poisoned.
    pub(super) fn params(&mut self, sig: &syn::Signature) -> Vec<Param> {
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(r) => self.error(syn::Error::new_spanned(r,
                    "methods cannot be differentiated yet: write a free function that takes the fields it needs",
                )),
                syn::FnArg::Typed(pt) => match self.param(pt) {
                    Ok(p) => params.push(p),
                    Err(e) => {
                        self.poison_pattern(&pt.pat);
                        self.error(e)
                    }
                },
            }
        }
        params
    }

    /// Every name in `wrt(..)` is a real parameter, matched by the user's name (`r#x` is `x`).
    pub(super) fn check_wrt(&mut self, params: &[Param]) {
        let Some(wrt) = &self.args.wrt else {
            return;
        };
        for name in wrt {
            let found = params.iter().any(|p: &Param| {
                let v = &self.vars[p.var];
                name_of(name) == v.user_name && v.kind.is_real()
            });
            let nested = params.iter().find_map(|p: &Param| {
                let v = &self.vars[p.var];
                let ty = v.ty.as_ref().filter(|t| nests_arrays_of_reals(t))?;
                (name_of(name) == v.user_name).then(|| by_reference(ty, &v.user_name))
            });
            let tuples = params.iter().any(|p: &Param| {
                let v = &self.vars[p.var];
                name_of(name) == v.user_name
                    && v.ty.as_ref().is_some_and(|t| tuple_elements(t).is_some())
            });
            if found {
                continue;
            }
            let option = params.iter().any(|p: &Param| {
                let v = &self.vars[p.var];
                name_of(name) == v.user_name
                    && v.ty.as_ref().is_some_and(|t| option_of_scalar(t).is_some())
            });
            if option {
                self.cx.error_spanned_by(name,
                    format!("`{name}` is an `Option`, which is read as data: leave it out of `wrt(..)`, or, to differentiate with respect to its value, take the value, `{name}: f64`, and a flag beside it"),
                );
            } else if tuples {
                self.cx.error_spanned_by(name,
                    format!("`{name}` holds tuples, which are read as data: leave it out of `wrt(..)`, or, to differentiate with respect to its reals, pass them as a slice of their own, `y: &[f64]`, beside the rest, `idx: &[usize]`"),
                );
            } else if let Some(flat) = nested {
                self.cx.error_spanned_by(name,
                    format!("to differentiate with respect to `{name}`, take it by reference with rows of reals, {flat} (or `&[[f64; K]; N]`, `&Vec<[f64; K]>`), or leave it out of `wrt(..)` to read it as data"),
                );
            } else {
                self.cx.error_spanned_by(name,
                    format!("`{name}` is not a parameter of type `f64`, `&[f64]`, `&mut [f64]`, `[f64; N]` or `Vec<f64>`"),
                );
            }
        }
    }

    /// `rhs = Name` asks for the in-place signature `fn f(du: &mut [f64], u: &[f64], p: &[f64],
    /// t: f64)` and differentiates along the state and the parameters, so it takes no `wrt(..)`.
    /// Run when the parameters and the result lowered, so a rejected one does not cascade.
    pub(super) fn check_rhs(
        &mut self,
        function: &syn::Ident,
        params: &[Param],
        ret_parts: &[Kind],
    ) {
        let Some(name) = &self.args.rhs else {
            return;
        };
        let expected = [
            Kind::RealArray(ArrayRepr::SliceMut),
            Kind::RealArray(ArrayRepr::Slice),
            Kind::RealArray(ArrayRepr::Slice),
            Kind::Real,
        ];
        // Data parameters after `t` are the fields of the generated struct (`rhs_data`).
        let in_place = (params.len() == expected.len() || self.args.rhs_data)
            && params
                .iter()
                .zip(&expected)
                .all(|(p, e)| self.vars[p.var].kind == *e)
            // `&Vec<f64>` is read as a slice, but the runtime's traits hand the function slices.
            && params
                .iter()
                .take(expected.len())
                .all(|p| !self.vars[p.var].ty.as_ref().is_some_and(is_vec_ref))
            // Arrays of arrays seen flat are not the slices the traits hand over.
            && params.iter().all(|p| p.rows.is_none())
            && ret_parts.is_empty();
        if !in_place {
            self.cx.error_spanned_by(
                function,
                "`rhs = ..` needs the in-place signature `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)`",
            );
        }
        if self.args.wrt.is_some() && !self.args.rhs_data {
            self.cx.error_spanned_by(
                name,
                "`rhs = ..` differentiates with respect to the state and the parameters: remove `wrt(..)`",
            );
        }
    }

    /// The kinds of the result's components and whether it is a tuple (none if rejected).
    pub(super) fn return_shape(&mut self, sig: &syn::Signature) -> (Vec<Kind>, bool) {
        match &sig.output {
            syn::ReturnType::Default => (Vec::new(), false),
            syn::ReturnType::Type(_, ty) => match self.return_kinds(ty) {
                Ok(kinds) => kinds,
                Err(e) => {
                    self.ret_failed = true;
                    self.error(e);
                    (Vec::new(), false)
                }
            },
        }
    }

    /// An early `return` needs result variables and a flag, which only a real result has.
    pub(super) fn prepare_early_return(&mut self, sig: &syn::Signature, ret_parts: &[Kind]) {
        if ret_parts.iter().all(|k| *k == Kind::Real) && !ret_parts.is_empty() {
            let span = sig.output.span();
            let results = (0..ret_parts.len())
                .map(|k| {
                    let v = self.temp(&format!("result_{k}"), Kind::Real, span);
                    self.vars[v].mutable = true;
                    v
                })
                .collect();
            let flag = self.temp("returned", Kind::Bool, span);
            self.vars[flag].mutable = true;
            self.early = Some(Early { results, flag });
        } else if !self.ret_failed {
            self.early_unsupported = true;
        }
    }

    /// With early returns, the body starts with `let mut result = 0.0; let mut returned = false;`.
    pub(super) fn early_return_prologue(&self, sig: &syn::Signature, body: &mut Block) {
        let Some(early) = &self.early else {
            return;
        };
        for &r in &early.results {
            body.stmts.push(Stmt::Let {
                var: r,
                init: Init::Expr(real_lit(0.0, sig.output.span())),
                span: sig.output.span(),
            });
        }
        let span = sig.output.span();
        body.stmts.push(Stmt::Let {
            var: early.flag,
            init: Init::Expr(Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> false))),
                kind: Kind::Bool,
                span,
            }),
            span,
        });
    }

    /// The function's final value (a tail expression, or a last `return e;`) and the statements
    /// before it.
    pub(super) fn split_tail<'s>(
        &self,
        stmts: &'s [syn::Stmt],
        ret_parts: &[Kind],
    ) -> (Option<&'s syn::Expr>, &'s [syn::Stmt]) {
        let statement_like = |e: &syn::Expr| {
            matches!(
                strip_paren(e),
                syn::Expr::ForLoop(_)
                    | syn::Expr::If(_)
                    | syn::Expr::Match(_)
                    | syn::Expr::Block(_)
                    | syn::Expr::While(_)
                    | syn::Expr::Loop(_)
                    | syn::Expr::Unsafe(_)
            )
        };
        let never_value = |e: &syn::Expr| match strip_paren(e) {
            syn::Expr::ForLoop(_) | syn::Expr::While(_) => true,
            syn::Expr::Loop(l) => !gives_value(l),
            _ => false,
        };
        match stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), rest))
                if !(never_value(e) || ret_parts.is_empty() && statement_like(e)) =>
            {
                (Some(e), rest)
            }
            Some((syn::Stmt::Expr(syn::Expr::Return(r), Some(_)), rest))
                if self.early.is_none() =>
            {
                match &r.expr {
                    Some(e) => (Some(&**e), rest),
                    None => (None, rest),
                }
            }
            _ => (None, stmts),
        }
    }

    /// The statements of the body; with early returns, the final value is one more `return`,
    /// guarded like the statements before it.
    pub(super) fn body_statements(
        &mut self,
        rest: &[syn::Stmt],
        tail: Option<&syn::Expr>,
        body: &mut Block,
    ) {
        if self.early.is_some() {
            let mut all = rest.to_vec();
            if let Some(e) = tail {
                all.push(syn::Stmt::Expr(
                    syn::Expr::Return(syn::ExprReturn {
                        attrs: Vec::new(),
                        return_token: syn::Token![return](e.span()),
                        expr: Some(Box::new(e.clone())),
                    }),
                    Some(syn::Token![;](e.span())),
                ));
            }
            self.stmts_into(&all, body);
        } else {
            let lowered = self.stmts(rest);
            body.stmts.extend(lowered.stmts);
        }
    }

    /// The components of the result: the tail's values, or the early-return variables.
    pub(super) fn final_values(
        &mut self,
        sig: &syn::Signature,
        tail: Option<&syn::Expr>,
        ret_parts: &[Kind],
        body: &mut Block,
    ) -> Vec<Expr> {
        let mut values = Vec::new();
        match tail {
            _ if self.ret_failed => {}
            Some(_) if self.early.is_some() => {}
            Some(e) if self.mentions_poisoned(e) => {}
            Some(e) => {
                values = self.result_values(e, ret_parts, body);
            }
            None => {
                if !ret_parts.is_empty() && self.early.is_none() && !self.early_unsupported {
                    self.error(syn::Error::new_spanned(
                        &sig.output,
                        "end the function with the value it returns",
                    ));
                }
            }
        }
        if let Some(early) = &self.early {
            values = early
                .results
                .iter()
                .map(|&r| var_expr(r, Kind::Real, self.vars[r].span))
                .collect();
        }
        values
    }

    pub(super) fn param(&mut self, pt: &syn::PatType) -> syn::Result<Param> {
        let (ident, mutable) = match &*pt.pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                (pi.ident.clone(), pi.mutability.is_some())
            }
            other => return err_at(
                other,
                "write a plain name for each parameter (patterns in parameters are not supported)",
            ),
        };
        let mut rows = None;
        let kind = if ragged_rows(&pt.ty) {
            self.ragged_param(&pt.ty, &name_of(&ident))?
        } else if nests_arrays_of_reals(&pt.ty) {
            match self.nested_param(&pt.ty, &name_of(&ident))? {
                Some((kind, len)) => {
                    rows = Some(len);
                    kind
                }
                None => Kind::Opaque,
            }
        } else {
            kind_of_type(&pt.ty, true)?
        };
        let var = self.new_var(&name_of(&ident), kind, mutable, ident.span());
        if let Some((_, len)) = &rows {
            self.rows.insert(var, len.clone());
        }
        let rows = rows.map(|(tokens, _)| tokens);
        self.param_vars.push(var);
        self.vars[var].ty = Some((*pt.ty).clone());
        if let Kind::RealArray(ArrayRepr::SliceMut) = self.vars[var].kind {
            self.vars[var].mutable = true;
        }
        Ok(Param { var, mutable, rows })
    }

    pub(super) fn return_kinds(&mut self, ty: &syn::Type) -> syn::Result<(Vec<Kind>, bool)> {
        let one = |ty: &syn::Type| -> syn::Result<Kind> {
            let bad = "a differentiable function returns `f64`, `[f64; N]`, `Vec<f64>`, an owned nalgebra matrix or vector (`DVector<f64>`, ...) or a tuple of them; return other values from a separate function";
            match kind_of_type(ty, false) {
                Ok(
                    k @ (Kind::Real
                    | Kind::Matrix
                    | Kind::RealArray(ArrayRepr::Vec)
                    | Kind::RealArray(ArrayRepr::Array(_))),
                ) => Ok(k),
                Ok(_) => err_at(ty, bad),
                // `f32`'s own advice fits; for other types, the return message.
                Err(e) if is_ident(ty, "f32") => Err(e),
                // Held flat (see `rows`): the companions return the nested shape.
                Err(_) if super::rows::rows_of_owned(ty).is_some() => {
                    super::rows::row_len(super::rows::rows_of_owned(ty).expect("checked"))?;
                    Ok(Kind::RealArray(ArrayRepr::Vec))
                }
                Err(_) if nests_arrays_of_reals(ty) => err_at(ty, "an array of arrays of reals is returned as `Vec<[f64; K]>` or `[[f64; K]; N]`; for deeper nesting, return the values flat, `Vec<f64>`"),
                Err(_) => err_at(ty, bad),
            }
        };
        match strip_type_group(ty) {
            syn::Type::Tuple(t) if t.elems.is_empty() => Ok((Vec::new(), false)),
            syn::Type::Tuple(t) => {
                let kinds = t.elems.iter().map(one).collect::<syn::Result<Vec<_>>>()?;
                Ok((kinds, true))
            }
            _ => Ok((vec![one(ty)?], false)),
        }
    }

    /// The components of the function's final value, hoisting array constructors into lets.
    pub(super) fn result_values(
        &mut self,
        e: &syn::Expr,
        parts: &[Kind],
        body: &mut Block,
    ) -> Vec<Expr> {
        if let Some(fields) = self.tuple_fields_as(e, parts) {
            return fields;
        }
        // Parentheses and invisible groups (a `macro_rules!` `$e:expr`) around a tuple.
        let elems: Vec<&syn::Expr> = match (strip_paren(e), parts.len()) {
            (syn::Expr::Tuple(t), n) if n > 1 || t.elems.len() > 1 => t.elems.iter().collect(),
            (e, _) => vec![e],
        };
        if elems.len() != parts.len() {
            self.error(syn::Error::new_spanned(
                e,
                format!(
                    "the function returns {} values but this expression has {}",
                    parts.len(),
                    elems.len()
                ),
            ));
            return Vec::new();
        }
        let mut values = Vec::new();
        for (elem, kind) in elems.into_iter().zip(parts) {
            if *kind == Kind::Real
                && (matches!(strip_paren(elem), syn::Expr::If(_) | syn::Expr::Match(_))
                    || matches!(strip_paren(elem), syn::Expr::Loop(l) if gives_value(l)))
            {
                // `if c { a } else { b }` as the result: a variable given by the branches (a
                // `loop`'s by its `break`s).
                let span = elem.span();
                let t = self.temp("result", Kind::Real, span);
                self.vars[t].mutable = true;
                body.stmts.push(Stmt::Let {
                    var: t,
                    init: Init::Expr(real_lit(0.0, span)),
                    span,
                });
                match self.assign_value(t, elem, body) {
                    Ok(()) => values.push(var_expr(t, Kind::Real, span)),
                    Err(e) => self.error(e),
                }
                continue;
            }
            let r = match kind {
                Kind::Real => self.real_expr(elem, body),
                Kind::Matrix => self.matrix_value(elem, body),
                _ => self.array_value(elem, kind.clone(), body),
            };
            if let Some(v) = self.cx.absorb(r) {
                values.push(v);
            }
        }
        values
    }

    /// An array-valued result: a variable, or a constructor bound to a temporary.
    pub(super) fn array_value(
        &mut self,
        e: &syn::Expr,
        kind: Kind,
        body: &mut Block,
    ) -> syn::Result<Expr> {
        if let Some(v) = self.path_var(e) {
            if let Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_)) = self.kind(v) {
                return Ok(var_expr(v, self.kind(v).clone(), e.span()));
            }
            if self.untyped_results.contains(&v) {
                return err_at(
                    e,
                    format!("`{0}` holds the result of a call, taken to be `f64`; write its type: `let {0}: Vec<f64> = ...` or `let {0}: [f64; N] = ...`", self.shown(v)),
                );
            }
            return err_at(e, "return a `Vec<f64>` or `[f64; N]` variable, or build one with `vec![..]` or `[..]`");
        }
        if let Some(rows) = self.nested_result(e, body)? {
            return Ok(rows);
        }
        if kind == Kind::RealArray(ArrayRepr::Vec) {
            if let Some(v) = self.collected_result(e, body)? {
                return Ok(v);
            }
        }
        let init = match self.array_init(e, body)? {
            Some(init) => init,
            None => return err_at(e, "return an array variable, `vec![..]` or `[..]` here"),
        };
        let t = self.temp("result", kind.clone(), e.span());
        body.stmts.push(Stmt::Let {
            var: t,
            init,
            span: e.span(),
        });
        Ok(var_expr(t, kind, e.span()))
    }

    /// A matrix-valued result: a variable, or an expression bound to a temporary.
    pub(super) fn matrix_value(&mut self, e: &syn::Expr, body: &mut Block) -> syn::Result<Expr> {
        let value = self.matrix_expr(e, body)?;
        if value.kind != Kind::Matrix {
            return err_at(
                e,
                "the function returns a matrix or vector, and this is not one",
            );
        }
        // A variable is returned as it is, a borrowed parameter (`x.clone()`) as a copy.
        if let Op::Var(v) = value.op {
            let borrowed = self.param_vars.contains(&v)
                && matches!(self.vars[v].ty, Some(syn::Type::Reference(_)));
            if !borrowed {
                return Ok(value);
            }
        }
        let t = self.temp("result", Kind::Matrix, e.span());
        body.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(value),
            span: e.span(),
        });
        Ok(var_expr(t, Kind::Matrix, e.span()))
    }
}

/// Whether the function body contains a `return` anywhere but as its last statement.
pub(super) fn contains_early_return(block: &syn::Block) -> bool {
    let n = block.stmts.len();
    block.stmts.iter().enumerate().any(|(i, s)| {
        let last = i + 1 == n;
        match s {
            syn::Stmt::Expr(syn::Expr::Return(_), _) if last => false,
            _ => stmt_returns(s),
        }
    })
}

/// The const generic parameters of `sig` (`const N: usize`; lowering refuses any other), as
/// the companions declare them: without attributes or defaults.
fn const_params(sig: &syn::Signature) -> Vec<syn::ConstParam> {
    sig.generics
        .const_params()
        .map(|c| syn::ConstParam {
            attrs: Vec::new(),
            eq_token: None,
            default: None,
            ..c.clone()
        })
        .collect()
}
