//! Tuples of scalars held in locals: `let p = (a * b, c.exp());` then `p.0 + p.1`, `p.0 = ..`,
//! `p = (x, y);`, `let (q, r) = p;`, and the destructuring assignment `(a, b) = (b, a);`.
//!
//! A tuple is no value of the IR: each field is a variable of its own (as for a tuple bound
//! whole to a call's result, `let t: (f64, f64) = f(..);`, see `bind`), and the name maps to
//! them. Every value of a tuple written out is computed before any field or place is assigned,
//! as Rust does, so `(a, b) = (b, a)` swaps.
//!
//! Before: `let p = (a * b, c.exp()); (a, b) = (b, a);`
//! After:  `let p_0 = a * b; let p_1 = exp(c); let __val = b; let __val1 = a; a = __val; b = __val1`

use super::stmt::simple_binding;
use super::*;

const HOLDS_ARRAY: &str = "the fields of a tuple held in a local are reals, integers or bools: bind an array or a matrix to a name of its own, `let (a, v) = (x, w.to_vec());` as `let a = x; let v = w.to_vec();`";

impl Lowerer<'_> {
    /// `let p = (x, y);` (`ty` its written type, if any): one variable per field.
    pub(super) fn let_tuple_value(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        ty: Option<&syn::Type>,
        values: &syn::ExprTuple,
        block: &mut Block,
    ) -> syn::Result<()> {
        let lowered = self.tuple_values(values, ty, block)?;
        let name = name_of(ident);
        let mut fields = Vec::new();
        for (k, value) in lowered.into_iter().enumerate() {
            let var = self.unscoped_var(
                &format!("{name}_{k}"),
                value.kind.clone(),
                mutable,
                ident.span(),
            );
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span: values.span(),
            });
            fields.push(var);
        }
        // The name itself holds no value: only its fields are read and written.
        let whole = self.new_var(&name, Kind::Opaque, false, ident.span());
        self.tuples.insert(whole, fields);
        Ok(())
    }

    /// The values of the tuple `values`, each a real, an integer or a bool (converted to the
    /// written field type `ty`, if any).
    pub(super) fn tuple_values(
        &mut self,
        values: &syn::ExprTuple,
        ty: Option<&syn::Type>,
        block: &mut Block,
    ) -> syn::Result<Vec<Expr>> {
        let tys: Vec<Option<&syn::Type>> = match ty {
            Some(syn::Type::Tuple(t)) if t.elems.len() == values.elems.len() => {
                t.elems.iter().map(Some).collect()
            }
            Some(t) => {
                return err_at(
                    t,
                    format!("write a tuple type of {} fields", values.elems.len()),
                )
            }
            None => vec![None; values.elems.len()],
        };
        let mut lowered = Vec::new();
        for (v, t) in values.elems.iter().zip(tys) {
            if self.array_like(v) {
                return err_at(v, HOLDS_ARRAY);
            }
            let x = self.expr(v, block)?;
            let declared = match t {
                Some(t) => Some(kind_of_type(t, false)?),
                None => None,
            };
            let x = match (declared, &x.kind) {
                (Some(Kind::Real), _) => self.coerce_real(x)?,
                (_, Kind::Real | Kind::Int | Kind::Bool) => x,
                (Some(Kind::Int | Kind::Bool), _) => x,
                // An element of data rows, `obs[2][1]`, or a constant of unwritten type: a real.
                (None, Kind::Opaque) if self.is_real_data(&x) || self.is_unknown_constant(&x) => {
                    self.coerce_real(x)?
                }
                _ => return err_at(v, HOLDS_ARRAY),
            };
            lowered.push(x);
        }
        Ok(lowered)
    }

    /// `let (q, r) = p;` of a tuple local `p`: `None` when `init` names no tuple.
    pub(super) fn let_tuple_of_local(
        &mut self,
        tuple: &syn::PatTuple,
        init: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> Option<syn::Result<()>> {
        let syn::Expr::Path(p) = strip_paren(init) else {
            return None;
        };
        let v = p.path.get_ident().and_then(|i| self.lookup(&name_of(i)))?;
        let fields = self.tuples.get(&v)?.clone();
        Some(self.bind_fields(tuple, fields, span, block))
    }

    fn bind_fields(
        &mut self,
        tuple: &syn::PatTuple,
        fields: Vec<VarId>,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if tuple.elems.len() != fields.len() {
            return err_at(
                tuple,
                format!("the tuple has {} fields: bind each to a name", fields.len()),
            );
        }
        let mut bound = Vec::new();
        for (p, f) in tuple.elems.iter().zip(fields) {
            if let syn::Pat::Wild(_) = p {
                continue;
            }
            let (ident, mutable) = simple_binding(p)?;
            bound.push((ident, mutable, f));
        }
        for (ident, mutable, f) in bound {
            let kind = self.kind(f).clone();
            let var = self.new_var(&name_of(&ident), kind.clone(), mutable, ident.span());
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(var_expr(f, kind, span)),
                span,
            });
        }
        Ok(())
    }

    /// `p = (x, y);` of a tuple local, `(a, b) = (x, y);` of places: every value computed
    /// first (into temporaries), then assigned in order.
    pub(super) fn assign_tuple(
        &mut self,
        a: &syn::ExprAssign,
        block: &mut Block,
    ) -> syn::Result<()> {
        let Some(values) = written_tuple(&a.right) else {
            return err_at(&a.right, "expected a tuple, `(x, y)`");
        };
        let span = a.span();
        let targets: Vec<&syn::Expr> = match strip_paren(&a.left) {
            syn::Expr::Tuple(t) => t.elems.iter().collect(),
            left => {
                let v = self.tuple_var(left).ok_or_else(|| {
                    syn::Error::new_spanned(left, "assign a tuple to a tuple local, `p = (x, y);`, or to a tuple of places, `(a, b) = (x, y);`")
                })?;
                let fields = self.tuples[&v].clone();
                return self.assign_fields(&fields, values, span, block);
            }
        };
        if targets.len() != values.elems.len() {
            return err_at(a, "assign as many values as there are places");
        }
        let staged = self.staged_values(values, block)?;
        for (target, value) in targets.into_iter().zip(staged) {
            if let syn::Expr::Infer(_) = strip_paren(target) {
                continue;
            }
            let place = self.place(target, block)?;
            let value = self.place_value(&place, value, span)?;
            block.stmts.push(Stmt::Assign { place, value, span });
        }
        Ok(())
    }

    fn assign_fields(
        &mut self,
        fields: &[VarId],
        values: &syn::ExprTuple,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if fields.len() != values.elems.len() {
            return err_at(values, format!("the tuple has {} fields", fields.len()));
        }
        let staged = self.staged_values(values, block)?;
        for (&f, value) in fields.iter().zip(staged) {
            self.vars[f].mutable = true;
            let place = Place::Var(f);
            let value = self.place_value(&place, value, span)?;
            block.stmts.push(Stmt::Assign { place, value, span });
        }
        Ok(())
    }

    /// The values of a tuple written out, each bound to a temporary unless a literal, so that
    /// assigning one cannot change the next.
    fn staged_values(
        &mut self,
        values: &syn::ExprTuple,
        block: &mut Block,
    ) -> syn::Result<Vec<Expr>> {
        let lowered = self.tuple_values(values, None, block)?;
        let mut staged = Vec::new();
        for x in lowered {
            if let Op::Lit(_) = x.op {
                staged.push(x);
                continue;
            }
            let (span, kind) = (x.span, x.kind.clone());
            let t = self.temp("val", kind.clone(), span);
            block.stmts.push(Stmt::Let {
                var: t,
                init: Init::Expr(x),
                span,
            });
            staged.push(var_expr(t, kind, span));
        }
        Ok(staged)
    }

    /// The fields of the tuple local `e` names, as values of `kinds` (the components of the
    /// function's result): `None` unless `e` names a tuple of that many fields, each of a kind
    /// convertible to its component's (reals, or integers and bools as such).
    pub(super) fn tuple_fields_as(&mut self, e: &syn::Expr, kinds: &[Kind]) -> Option<Vec<Expr>> {
        let v = self.tuple_var(e)?;
        let fields = self.tuples[&v].clone();
        if kinds.len() < 2 || fields.len() != kinds.len() {
            return None;
        }
        let span = e.span();
        let mut values = Vec::new();
        for (f, kind) in fields.into_iter().zip(kinds) {
            let x = var_expr(f, self.kind(f).clone(), span);
            match kind {
                Kind::Real => values.push(self.coerce_real(x).ok()?),
                k if k == self.kind(f) => values.push(x),
                _ => return None,
            }
        }
        Some(values)
    }

    /// Whether `e` is, from its syntax, an array or a matrix: an array or matrix variable, an
    /// array written out, `vec![..]`, `v.to_vec()`, `v.clone()`.
    fn array_like(&self, e: &syn::Expr) -> bool {
        match strip_paren(e) {
            syn::Expr::Array(_) | syn::Expr::Repeat(_) => true,
            syn::Expr::Macro(m) => m.mac.path.is_ident("vec"),
            syn::Expr::MethodCall(mc) => mc.method == "to_vec" || mc.method == "clone",
            syn::Expr::Reference(r) => self.array_like(&r.expr),
            e => self
                .path_var(e)
                .is_some_and(|v| matches!(self.kind(v), Kind::RealArray(_) | Kind::Matrix)),
        }
    }

    /// The tuple local `e` names, if it names one.
    fn tuple_var(&self, e: &syn::Expr) -> Option<VarId> {
        let syn::Expr::Path(p) = strip_paren(e) else {
            return None;
        };
        p.path
            .get_ident()
            .and_then(|i| self.lookup(&name_of(i)))
            .filter(|v| self.tuples.contains_key(v))
    }
}

/// The tuple `e` writes out, `(x, y)` (not the unit value `()`).
pub(super) fn written_tuple(e: &syn::Expr) -> Option<&syn::ExprTuple> {
    match strip_paren(e) {
        syn::Expr::Tuple(t) if !t.elems.is_empty() => Some(t),
        _ => None,
    }
}
