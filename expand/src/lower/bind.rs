//! `let` in all its forms: a value, an array constructor or pattern, a differentiable call, a
//! tuple (whole or by fields), `sin_cos`, and a value given by an `if` or `match`.

use super::rest::{rest_binding, strip_deref};
use super::stmt::{let_initialiser, simple_binding, Binding};
use super::*;

impl Lowerer<'_> {
    pub(super) fn local(&mut self, local: &syn::Local, block: &mut Block) -> syn::Result<()> {
        let span = local.span();
        let init = let_initialiser(local)?;
        let (pat, written) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        // The constants of the function a type names (`[f64; N]`) come with it.
        let ty = written.map(|t| self.type_with_consts(t));
        let ty = ty.as_ref();
        if let (syn::Pat::Tuple(tuple), syn::Expr::Tuple(values)) = (pat, strip_paren(init)) {
            return self.let_tuple_values(tuple, values, ty, span, block);
        }
        if let (syn::Pat::Tuple(tuple), syn::Expr::MethodCall(mc)) = (pat, strip_paren(init)) {
            if mc.method == "sin_cos" {
                return self.let_sin_cos(tuple, mc, ty, span, block);
            }
        }
        if let Some(pair) = self.best_pair(init, block) {
            return self.let_best_pair(pat, pair?, block);
        }
        if self.let_iterator(local, init, block)? {
            return Ok(());
        }
        if let Some(done) = self.let_tuple_row(pat, init, block) {
            return done;
        }
        if let syn::Pat::Tuple(tuple) = pat {
            if let Some(syn::Type::Tuple(types)) = ty {
                super::rows::refuse_rows_in_tuple(types)?;
            }
            if super::tuple_branches::gives_by_branches(init) {
                return self.let_tuple_branches(tuple, ty, init, span, block);
            }
            if let Some(done) = self.let_tuple_of_local(tuple, init, span, block) {
                return done;
            }
            return self.let_tuple_call(tuple, init, ty, span, block);
        }
        if let syn::Pat::Slice(elems) = pat {
            return self.let_array_pattern(elems, init, ty, span, block);
        }
        if let Some(done) = self.let_subslice(pat, init, block) {
            return done;
        }
        let (ident, mutable) = simple_binding(pat)?;
        if self.let_deref_copy(&ident, init, block)? {
            return Ok(());
        }
        if self.let_empty_vec(&ident, mutable, ty, init, block)? {
            return Ok(());
        }
        if let syn::Expr::Tuple(values) = strip_paren(init) {
            if !values.elems.is_empty() {
                return self.let_tuple_value(&ident, mutable, ty, values, block);
            }
        }
        if self.let_row_copy(&ident, init, span, block)? {
            return Ok(());
        }
        if self.let_nested_local(&ident, mutable, init, block)? {
            return Ok(());
        }
        if let (Some(syn::Type::Tuple(types)), syn::Expr::Call(call)) = (ty, strip_paren(init)) {
            if !types.elems.is_empty() && self.is_differentiable_call(call) {
                super::rows::refuse_rows_in_tuple(types)?;
                return self.let_tuple_whole(&ident, mutable, types, call, block);
            }
        }
        if self.let_rows_call(&ident, mutable, ty, init, local, block)? {
            return Ok(());
        }
        let declared = match ty {
            Some(t) => Some(kind_of_type(t, false)?),
            None => None,
        };
        let binding = Binding {
            ident: &ident,
            mutable,
            ty,
            declared,
            span,
        };
        if matches!(strip_paren(init), syn::Expr::If(_) | syn::Expr::Match(_))
            || matches!(strip_paren(init), syn::Expr::Block(b) if b.label.is_none() && b.attrs.is_empty())
            || matches!(strip_paren(init), syn::Expr::Loop(l) if gives_value(l))
        {
            return self.let_branches(binding, init, block);
        }
        if let syn::Expr::Call(call) = strip_paren(init) {
            if self.is_differentiable_call(call) {
                return self.let_call(binding, call, local, block);
            }
        }
        if let Some(array_init) = self.array_init(init, block)? {
            self.let_array(binding, array_init, block);
            return Ok(());
        }
        self.let_value(binding, init, block)
    }

    /// `let (a, b) = (x, y);`: one binding each, all values read before any is bound.
    pub(super) fn let_tuple_values(
        &mut self,
        tuple: &syn::PatTuple,
        values: &syn::ExprTuple,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if tuple.elems.len() != values.elems.len() {
            return err(span, "bind each value to its own name: `let (a, b) = (x, y);` with as many names as values");
        }
        let lowered = self.tuple_values(values, ty, block)?;
        for (p, value) in tuple.elems.iter().zip(lowered) {
            if let syn::Pat::Wild(_) = p {
                continue;
            }
            let (ident, mutable) = simple_binding(p)?;
            if let Kind::RealArray(_) = value.kind {
                return err(
                    value.span,
                    "copy arrays with `.to_vec()` into their own `let`",
                );
            }
            let var = self.new_var(&name_of(&ident), value.kind.clone(), mutable, ident.span());
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span,
            });
        }
        Ok(())
    }

    /// `let t: (f64, f64) = g(..);`: a tuple bound whole, whose fields `t.0`, `t.1` are
    /// variables of their own (reals, integers or bools).
    pub(super) fn let_tuple_whole(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        types: &syn::TypeTuple,
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<()> {
        let mut kinds = Vec::new();
        for t in &types.elems {
            match kind_of_type(t, false)? {
                k @ (Kind::Real | Kind::Int | Kind::Bool) => kinds.push(k),
                _ => return err_at(t, "a tuple bound whole has fields of type `f64`, integers or bools; destructure one that holds arrays or matrices: `let (a, v): (f64, Vec<f64>) = f(..);`"),
            }
        }
        let args = self.call_args(call, block)?;
        let callee = self.callee_path(call)?;
        let name = name_of(ident);
        let results: Vec<VarId> = kinds
            .into_iter()
            .enumerate()
            .map(|(k, kind)| self.unscoped_var(&format!("{name}_{k}"), kind, mutable, ident.span()))
            .collect();
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results: results.clone(),
            tuple: true,
            arg_spans: super::call::arg_spans(call),
            span: call.span(),
        }));
        // The name itself holds no value: only its fields are read.
        let whole = self.new_var(&name, Kind::Opaque, false, ident.span());
        self.tuples.insert(whole, results);
        Ok(())
    }

    /// `let (s, c) = x.sin_cos();` as `let s = x.sin(); let c = x.cos();`, which is how std
    /// computes the pair, so the values are the same to the bit.
    pub(super) fn let_sin_cos(
        &mut self,
        tuple: &syn::PatTuple,
        mc: &syn::ExprMethodCall,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if !mc.args.is_empty() {
            return err_at(&mc.method, "`sin_cos` takes no arguments");
        }
        if tuple.elems.len() != 2 {
            return err_at(
                tuple,
                "`sin_cos` gives two values: `let (s, c) = x.sin_cos();`",
            );
        }
        if let Some(t) = ty {
            if !matches!(t, syn::Type::Tuple(pair) if pair.elems.iter().all(|e| is_ident(e, "f64")))
            {
                return err_at(t, "`sin_cos` gives `(f64, f64)`");
            }
        }
        let x = self.real_expr(&mc.receiver, block)?;
        let x = self.evaluated_once(x, "angle", block);
        for (p, u) in tuple.elems.iter().zip([Unary::Sin, Unary::Cos]) {
            if let syn::Pat::Wild(_) = p {
                continue;
            }
            let (ident, mutable) = simple_binding(p)?;
            let value = Expr {
                op: Op::Unary(u, Box::new(x.clone())),
                kind: Kind::Real,
                span: mc.span(),
            };
            let var = self.new_var(&name_of(&ident), Kind::Real, mutable, ident.span());
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span,
            });
        }
        Ok(())
    }

    /// `let [x, y, z] = a;` of a real array `[f64; N]`, of a differentiable call that returns
    /// one, or of an array written out (`[u, v]`): one binding per element, read by index.
    pub(super) fn let_array_pattern(
        &mut self,
        pattern: &syn::PatSlice,
        init: &syn::Expr,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if let Some(v) = self.rows_var(strip_deref(strip_paren(init))) {
            self.refuse_rows(v, init, "destructuring it into rows")?;
        }
        if let Some(rest) = pattern.elems.iter().position(|p| rest_binding(p).is_some()) {
            let source = self.rest_source(init, ty, block)?;
            let elems: Vec<&syn::Pat> = pattern.elems.iter().collect();
            return self.let_rest_pattern(&elems, rest, source, span, block);
        }
        let mut names = Vec::new();
        for p in &pattern.elems {
            names.push(match p {
                syn::Pat::Wild(_) => None,
                p => Some(simple_binding(p)?),
            });
        }
        let n = names.len();
        let declared = match ty {
            None => None,
            Some(t) => match kind_of_type(t, false)? {
                k @ Kind::RealArray(ArrayRepr::Array(_)) => Some(k),
                _ => return err_at(t, "an array pattern takes an array of reals: `[f64; N]`"),
            },
        };
        let source = match strip_paren(init) {
            syn::Expr::Array(values) if values.elems.len() == n => {
                let mut lowered = Vec::new();
                for v in &values.elems {
                    lowered.push(self.real_expr(v, block)?);
                }
                for (name, value) in names.into_iter().zip(lowered) {
                    self.bind_element(name, value, span, block);
                }
                return Ok(());
            }
            syn::Expr::Call(call) if self.is_differentiable_call(call) => {
                let args = self.call_args(call, block)?;
                let kind = declared.unwrap_or_else(|| {
                    Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))))
                });
                let array = self.temp("array", kind, call.span());
                let callee = self.callee_path(call)?;
                block.stmts.push(Stmt::Call(Call {
                    callee,
                    args,
                    results: vec![array],
                    tuple: false,
                    arg_spans: super::call::arg_spans(call),
                    span: call.span(),
                }));
                array
            }
            other => match self.path_var(strip_deref(other)) {
                Some(v) if matches!(self.kind(v), Kind::RealArray(ArrayRepr::Array(_))) => v,
                // `*u` of a reference to an array `&[f64; N]`, read as the slice it coerces to.
                Some(v)
                    if !std::ptr::eq(strip_deref(other), other)
                        && matches!(self.kind(v), Kind::RealArray(_)) =>
                {
                    v
                }
                Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => {
                    return err_at(
                        other,
                        format!(
                            "only arrays `[f64; N]` can be destructured, and `{0}` is a slice or a `Vec`; read its elements: `let a = {0}[0];`",
                            self.shown(v)
                        ),
                    )
                }
                _ => return err_at(other, "destructure an array variable, an array `[a, b]` or the result of a differentiable call: `let [x, y, z] = v;`"),
            },
        };
        for (i, name) in names.into_iter().enumerate() {
            let Some((ident, _)) = &name else { continue };
            let index = Expr {
                op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
                    &i.to_string(),
                    span,
                )))),
                kind: Kind::Int,
                span,
            };
            let value = Expr {
                op: Op::Index(source, Box::new(index)),
                kind: Kind::Real,
                span: ident.span(),
            };
            self.bind_element(name, value, span, block);
        }
        Ok(())
    }

    /// `let ident = value;` for one element of a destructured array (`_`, `None`, binds nothing).
    pub(super) fn bind_element(
        &mut self,
        name: Option<(syn::Ident, bool)>,
        value: Expr,
        span: Span,
        block: &mut Block,
    ) {
        let Some((ident, mutable)) = name else { return };
        let var = self.new_var(&name_of(&ident), Kind::Real, mutable, ident.span());
        block.stmts.push(Stmt::Let {
            var,
            init: Init::Expr(value),
            span,
        });
    }

    /// `let (a, b) = g(..)`: the results of a differentiable call.
    pub(super) fn let_tuple_call(
        &mut self,
        tuple: &syn::PatTuple,
        init: &syn::Expr,
        ty: Option<&syn::Type>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let call = match strip_paren(init) {
            syn::Expr::Call(c) => c,
            other => return err_at(other, "destructuring is supported for the result of a differentiable call, `let (a, b) = f(..);`"),
        };
        let tys: Vec<Option<&syn::Type>> = match ty {
            Some(syn::Type::Tuple(t)) => t.elems.iter().map(Some).collect(),
            Some(t) => return err_at(t, "write a tuple type, `(f64, f64)`"),
            None => vec![None; tuple.elems.len()],
        };
        if tys.len() != tuple.elems.len() {
            return err(
                span,
                "the tuple type and the pattern have different lengths",
            );
        }
        let mut kinds = Vec::new();
        for t in &tys {
            kinds.push(match t {
                Some(t) => kind_of_type(t, false)?,
                None => Kind::Real,
            });
        }
        let args = self.call_args(call, block)?;
        let mut results = Vec::new();
        for (p, kind) in tuple.elems.iter().zip(kinds) {
            let (ident, mutable) = simple_binding(p)?;
            results.push((ident, mutable, kind));
        }
        let results = results
            .into_iter()
            .map(|(ident, mutable, kind)| {
                self.new_var(&name_of(&ident), kind, mutable, ident.span())
            })
            .collect();
        let callee = self.callee_path(call)?;
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results,
            tuple: true,
            arg_spans: super::call::arg_spans(call),
            span: call.span(),
        }));
        Ok(())
    }

    /// `let x = if c { a } else { b };`, `let x = match k { .. };` and `let x = loop { ..
    /// break v; .. };`: a variable assigned in every branch (at every `break`).
    pub(super) fn let_branches(
        &mut self,
        b: Binding<'_>,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        let (ident, span) = (b.ident, b.span);
        let var = self.unscoped_var(
            &name_of(ident),
            b.declared.clone().unwrap_or(Kind::Opaque),
            true,
            ident.span(),
        );
        if b.declared.is_none() {
            self.unset_targets.push(var);
        }
        let pos = block.stmts.len();
        match strip_paren(init) {
            syn::Expr::If(i) => {
                let s = self.if_stmt(i, block, Some(var))?;
                block.stmts.push(s);
            }
            syn::Expr::Match(m) => self.match_stmt(m, block, Some(var))?,
            // `let y = { let t = x.sin(); t * x };`: the block's statements in a scope of
            // their own, its tail the value.
            syn::Expr::Block(b) => self.tail_value(&b.block.stmts, b.span(), var, block)?,
            // `let r = loop { .. break v; .. };`
            syn::Expr::Loop(l) => self.value_loop(l, var, block)?,
            other => return err_at(other, "expected an `if`, a `match` or a block"),
        }
        let first = self.first_value(var, ident, span)?;
        block.stmts.insert(
            pos,
            Stmt::Let {
                var,
                init: Init::Expr(first),
                span,
            },
        );
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(name_of(ident), var);
        Ok(())
    }

    /// The value a variable given by branches holds before them (zero, `false`), of the kind
    /// the branches gave it; an error asking for its type if they gave none it can hold.
    pub(super) fn first_value(
        &self,
        var: VarId,
        ident: &dyn std::fmt::Display,
        span: Span,
    ) -> syn::Result<Expr> {
        Ok(match self.kind(var) {
            Kind::Real => real_lit(0.0, span),
            Kind::Int => Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> 0))),
                kind: Kind::Int,
                span,
            },
            Kind::Bool => Expr {
                op: Op::Lit(Literal::Other(syn::parse_quote_spanned!(span=> false))),
                kind: Kind::Bool,
                span,
            },
            _ => {
                return err(
                    span,
                    format!(
                        "write the type of `{ident}`: `let {ident}: f64 = ...` (or an integer type)"
                    ),
                )
            }
        })
    }

    /// A differentiable call bound to a name.
    pub(super) fn let_call(
        &mut self,
        b: Binding<'_>,
        call: &syn::ExprCall,
        local: &syn::Local,
        block: &mut Block,
    ) -> syn::Result<()> {
        let kind = match &b.declared {
            Some(k) => k.clone(),
            None => self.inferred_kind(local, b.ident)?,
        };
        let args = self.call_args(call, block)?;
        let var = self.new_var(&name_of(b.ident), kind.clone(), b.mutable, b.ident.span());
        if b.declared.is_none() && kind == Kind::Real {
            self.untyped_results.push(var);
        }
        let callee = self.callee_path(call)?;
        block.stmts.push(Stmt::Call(Call {
            callee,
            args,
            results: vec![var],
            tuple: false,
            arg_spans: super::call::arg_spans(call),
            span: call.span(),
        }));
        Ok(())
    }

    /// An array built by a constructor (`vec![..]`, `[..]`, `.to_vec()`): its kind is the
    /// declared one, or the constructor's.
    pub(super) fn let_array(&mut self, b: Binding<'_>, array_init: Init, block: &mut Block) {
        let kind = match (&b.declared, &array_init) {
            (Some(k @ Kind::RealArray(_)), _) => k.clone(),
            (_, Init::VecFill { .. } | Init::VecList(_)) => Kind::RealArray(ArrayRepr::Vec),
            (_, Init::ArrayFill { len, .. }) => {
                Kind::RealArray(ArrayRepr::Array(ArrayLen(len.clone())))
            }
            (_, Init::ArrayList(es)) => {
                let n = es.len();
                Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))))
            }
            (_, Init::CopyOf(src)) => match self.kind(*src) {
                Kind::RealArray(r @ (ArrayRepr::Vec | ArrayRepr::Array(_))) => {
                    Kind::RealArray(r.clone())
                }
                _ => Kind::RealArray(ArrayRepr::Vec),
            },
            (_, Init::Expr(_)) => unreachable!("array_init gives array initialisers"),
        };
        let var = self.new_var(&name_of(b.ident), kind, b.mutable, b.ident.span());
        // `let w = v;` of an array of arrays seen flat is one too.
        if let Init::CopyOf(src) = &array_init {
            if let Some(len) = self.rows.get(src).cloned() {
                self.rows.insert(var, len);
            }
        }
        block.stmts.push(Stmt::Let {
            var,
            init: array_init,
            span: b.span,
        });
    }

    /// A value bound to a name: a scalar, an integer or bool, a matrix, or an opaque value,
    /// checked against the declared type.
    pub(super) fn let_value(
        &mut self,
        b: Binding<'_>,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<()> {
        let mut value = self.expr(init, block)?;
        if let Kind::RealArray(_) = value.kind {
            return err_at(init,
                "binding an array to a new name would alias it; copy it with `.to_vec()` (or `.clone()`) instead",
            );
        }
        let ty = b.ty;
        let kind = match b.declared {
            Some(Kind::Real) => {
                value = self.coerce_real(value)?;
                Kind::Real
            }
            Some(k @ (Kind::Int | Kind::Bool)) => {
                if value.kind == Kind::Real {
                    return err_at(init, format!("a real value cannot initialise a `{}`", ty.map(|t| t.to_token_stream().to_string()).unwrap_or_default()));
                }
                k
            }
            Some(Kind::RealArray(_)) => return err_at(init, "initialise an array with `vec![..]`, `[..]`, `.to_vec()`, `.clone()` or a differentiable call"),
            Some(Kind::Matrix) => {
                if value.kind != Kind::Matrix {
                    return err_at(init, "this value is not a matrix or vector");
                }
                Kind::Matrix
            }
            Some(Kind::Opaque) | None => {
                if value.kind == Kind::Opaque && ty.is_some_and(is_int_type) {
                    Kind::Int
                } else if value.kind == Kind::Opaque
                    && matches!(&value.op, Op::Index(a, _) if self.vars[*a].ty.as_ref().is_some_and(holds_integers))
                {
                    // `let a = at[k];` of `at: &[usize]`: an integer, passed on as one.
                    Kind::Int
                } else if value.kind == Kind::Opaque && b.mutable && self.is_real_data(&value) {
                    // `let mut t = obs[k][j];`, later assigned reals (`t = t * x`).
                    value = self.coerce_real(value)?;
                    Kind::Real
                } else {
                    value.kind.clone()
                }
            }
        };
        let row = kind == Kind::Opaque && self.is_data_row(&value);
        let var = self.new_var(&name_of(b.ident), kind, b.mutable, b.ident.span());
        self.vars[var].ty = ty.cloned();
        if let (None, Op::Var(src)) = (ty, &value.op) {
            // A copy of data read by its type (`let w = weight;` of an `Option`, `let o = obs;`
            // of tuples) is read as the original is.
            if self.kind(var) == &Kind::Opaque
                && (self.option_inner(*src).is_some() || self.tuple_rows(*src).is_some())
            {
                self.vars[var].ty = self.vars[*src].ty.clone();
            }
        }
        if row {
            // `let o = obs[k];` (or `&obs[k]` of `obs: &[Vec<f64>]`): passed on whole
            // (`call::data_row_arg`).
            let ragged = self.is_ragged_row(&value);
            self.passed_row(var, ragged);
        }
        block.stmts.push(Stmt::Let {
            var,
            init: Init::Expr(value),
            span: b.span,
        });
        Ok(())
    }

    /// Array constructors: `vec![v; n]`, `vec![a, b]`, `[v; N]`, `[a, b]`, `x.to_vec()`,
    /// `x.clone()`, and `c` itself for an array or `Vec` `c`; `None` when `e` is none of these.
    pub(super) fn array_init(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Option<Init>> {
        match strip_paren(e) {
            syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let tokens = m.mac.tokens.clone();
                if let Ok(fill) = syn::parse2::<VecFill>(tokens.clone()) {
                    refuse_nested(&fill.value)?;
                    let value = self.real_expr(&fill.value, block)?;
                    let len = self.expr(&fill.len, block)?;
                    if len.kind.is_real() {
                        return err_at(&fill.len, "the length of a `vec!` is an integer");
                    }
                    return Ok(Some(Init::VecFill { value, len }));
                }
                let list = syn::parse::Parser::parse2(
                    syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
                    tokens,
                )?;
                let mut es = Vec::new();
                for item in &list {
                    refuse_nested(item)?;
                    es.push(self.real_expr(item, block)?);
                }
                Ok(Some(Init::VecList(es)))
            }
            syn::Expr::Repeat(r) => {
                refuse_nested(&r.expr)?;
                let value = self.real_expr(&r.expr, block)?;
                Ok(Some(Init::ArrayFill {
                    value,
                    len: self.with_consts(r.len.to_token_stream()),
                }))
            }
            syn::Expr::Array(a) => {
                let mut es = Vec::new();
                for item in &a.elems {
                    refuse_nested(item)?;
                    es.push(self.real_expr(item, block)?);
                }
                Ok(Some(Init::ArrayList(es)))
            }
            // `let d = c;` of a fixed-size array copies it (arrays of `f64` are `Copy`); of a
            // `Vec`, moves it, which a copy does as well since the moved value is not read again.
            syn::Expr::Path(_) => match self.path_var(e) {
                Some(v)
                    if matches!(
                        self.kind(v),
                        Kind::RealArray(ArrayRepr::Array(_) | ArrayRepr::Vec)
                    ) =>
                {
                    Ok(Some(Init::CopyOf(v)))
                }
                _ => Ok(None),
            },
            syn::Expr::MethodCall(mc)
                if (mc.method == "to_vec" || mc.method == "clone") && mc.args.is_empty() =>
            {
                if let Some(run) = self.sub_run(&mc.receiver, false, block)? {
                    return Ok(Some(Init::CopyOf(self.run_copy(run, mc.span(), block))));
                }
                match self.path_var(&mc.receiver) {
                    Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => {
                        self.refuse_rows(v, mc, "a copy of it whole")?;
                        Ok(Some(Init::CopyOf(v)))
                    }
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }
}

/// An error on `e` when it is an array, `[0.0; 3]` or `[a, b]`, as an element of an array being
/// built: arrays of arrays of reals are data only.
fn refuse_nested(e: &syn::Expr) -> syn::Result<()> {
    match strip_paren(e) {
        e @ (syn::Expr::Array(_) | syn::Expr::Repeat(_)) => err_at(e, NESTED_LOCAL),
        syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => err_at(e, NESTED_LOCAL),
        _ => Ok(()),
    }
}

/// `vec![value; len]`.
pub(super) struct VecFill {
    pub(super) value: syn::Expr,
    pub(super) len: syn::Expr,
}

impl syn::parse::Parse for VecFill {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let value = input.parse()?;
        input.parse::<syn::Token![;]>()?;
        let len = input.parse()?;
        Ok(VecFill { value, len })
    }
}
