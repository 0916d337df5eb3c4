//! Slices, arrays and `Vec`s of tuples of reals and integers as data: the sparse observations of
//! 4D-Var, `obs: &[(usize, f64)]` or `&[(usize, usize, f64)]` outside `wrt(..)`.
//!
//! Such a parameter is opaque data (copied as written, passed on as written); its tuples are
//! read field by field, each field a value of its own kind: a real (lifted into the scalar type,
//! carrying no derivative), an integer or a bool. The forms read are `for &(k, y) in obs`,
//! `for (k, y) in obs.iter()` (`*k` reads the field), closures `|&(k, y)|` of iterator chains,
//! `obs[j].1`, `o.1` of `for o in obs`, `let (k, y) = obs[j];` and `let o = obs[j];` (a tuple
//! local, see [`tuples`](super::tuples)).
//!
//! Before: `for &(k, y) in obs { j += (x[k] - y).powi(2); }`
//! After:  `for __i in 0..obs.len() { let k = obs[__i].0; let y = real(obs[__i].1); j = (j + powi((x[k] - y), 2)) }`

use super::*;

impl Lowerer<'_> {
    /// The kinds of the fields of the tuples `array` holds, when it is data of tuples
    /// (`obs: &[(usize, f64)]`).
    pub(super) fn tuple_rows(&self, array: VarId) -> Option<Vec<Kind>> {
        if self.kind(array) != &Kind::Opaque {
            return None;
        }
        let ty = self.vars[array].ty.as_ref()?;
        tuple_field_kinds(tuple_elements(ty)?)
    }

    /// The field `k` of `array[index]`, a value of its kind (`kinds` those of the fields).
    fn tuple_row_field(
        &self,
        array: VarId,
        index: &Expr,
        k: usize,
        kinds: &[Kind],
        span: Span,
    ) -> Expr {
        let row = Expr {
            op: Op::Index(array, Box::new(index.clone())),
            kind: Kind::Opaque,
            span,
        };
        let field = |kind| Expr {
            op: Op::Field(Box::new(row.clone()), k as u32),
            kind,
            span,
        };
        match kinds[k] {
            Kind::Real => Expr {
                op: Op::AsReal(Box::new(field(Kind::Opaque))),
                kind: Kind::Real,
                span,
            },
            ref kind => field(kind.clone()),
        }
    }

    /// `(k, y)` bound to the tuple `array[index]` (`&(k, y)` of `for &(k, y) in obs`, or
    /// `(k, y)` of `obs.iter()`, whose references `*k` reads): a variable for each name, `_`
    /// skipped. `None` unless `array` holds tuples.
    pub(super) fn bind_tuple_row(
        &mut self,
        pat: &syn::PatTuple,
        array: VarId,
        index: &Expr,
        block: &mut Block,
    ) -> Option<syn::Result<()>> {
        let kinds = self.tuple_rows(array)?;
        Some(self.bind_tuple_fields(pat, array, index, &kinds, block))
    }

    fn bind_tuple_fields(
        &mut self,
        pat: &syn::PatTuple,
        array: VarId,
        index: &Expr,
        kinds: &[Kind],
        block: &mut Block,
    ) -> syn::Result<()> {
        if pat.elems.len() != kinds.len() {
            return err_at(
                pat,
                format!(
                    "the tuples of `{}` have {} fields: bind each to a name or `_`",
                    self.shown(array),
                    kinds.len()
                ),
            );
        }
        let mut bound = Vec::new();
        for (k, p) in pat.elems.iter().enumerate() {
            match p {
                syn::Pat::Wild(_) => {}
                syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                    bound.push((k, pi));
                }
                other => {
                    return err_at(
                        other,
                        "bind each field of the tuple to a plain name or `_`, `&(k, y)`",
                    )
                }
            }
        }
        for (k, pi) in bound {
            let span = pi.ident.span();
            let value = self.tuple_row_field(array, index, k, kinds, span);
            let mutable = pi.mutability.is_some();
            let v = self.new_var(&name_of(&pi.ident), kinds[k].clone(), mutable, span);
            self.tuple_refs.insert(v);
            block.stmts.push(Stmt::Let {
                var: v,
                init: Init::Expr(value),
                span,
            });
        }
        Ok(())
    }

    /// `obs[j].k` of data of tuples, or `o.k` of an item `o` of `for o in obs`: the field's
    /// value. `None` when `f` reads no such tuple.
    pub(super) fn tuple_data_field(
        &mut self,
        f: &syn::ExprField,
        block: &mut Block,
    ) -> Option<syn::Result<Expr>> {
        let syn::Member::Unnamed(k) = &f.member else {
            return None;
        };
        let (array, index) = match strip_paren(&f.base) {
            syn::Expr::Index(ix) => {
                let array = self.path_var(strip_paren(&ix.expr))?;
                self.tuple_rows(array)?;
                match self.index_expr(&ix.index, block) {
                    Ok(index) => (array, index),
                    Err(e) => return Some(Err(e)),
                }
            }
            base => match self.alias(self.path_var(base)?)? {
                Alias::Elem { array, index, .. } => (*array, index.clone()),
                Alias::Window { .. } => return None,
            },
        };
        let kinds = self.tuple_rows(array)?;
        if k.index as usize >= kinds.len() {
            return Some(err_at(
                k,
                format!(
                    "the tuples of `{}` have {} fields",
                    self.shown(array),
                    kinds.len()
                ),
            ));
        }
        Some(Ok(self.tuple_row_field(
            array,
            &index,
            k.index as usize,
            &kinds,
            f.span(),
        )))
    }

    /// `let (k, y) = obs[j];` or `let o = obs[j];` (then read `o.1`, `let (k, y) = o;`) of
    /// data of tuples: `None` when `init` reads no such tuple.
    pub(super) fn let_tuple_row(
        &mut self,
        pat: &syn::Pat,
        init: &syn::Expr,
        block: &mut Block,
    ) -> Option<syn::Result<()>> {
        let syn::Expr::Index(ix) = strip_paren(init) else {
            return None;
        };
        let array = self.path_var(strip_paren(&ix.expr))?;
        let kinds = self.tuple_rows(array)?;
        let index = match self.index_expr(&ix.index, block) {
            Ok(index) => index,
            Err(e) => return Some(Err(e)),
        };
        let pat = match pat {
            syn::Pat::Reference(r) if r.mutability.is_none() => &*r.pat,
            p => p,
        };
        Some(match pat {
            syn::Pat::Tuple(t) => self.bind_tuple_fields(t, array, &index, &kinds, block),
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                self.let_tuple_row_whole(pi, array, &index, &kinds, block);
                Ok(())
            }
            other => err_at(
                other,
                "bind the tuple to a name, `let o = obs[j];`, or its fields, `let (k, y) = obs[j];`",
            ),
        })
    }

    /// `let o = obs[j];`: a tuple local, one variable per field (see [`tuples`](super::tuples)).
    fn let_tuple_row_whole(
        &mut self,
        pi: &syn::PatIdent,
        array: VarId,
        index: &Expr,
        kinds: &[Kind],
        block: &mut Block,
    ) {
        let name = name_of(&pi.ident);
        let mutable = pi.mutability.is_some();
        let span = pi.ident.span();
        let mut fields = Vec::new();
        for k in 0..kinds.len() {
            let value = self.tuple_row_field(array, index, k, kinds, span);
            let var = self.unscoped_var(&format!("{name}_{k}"), kinds[k].clone(), mutable, span);
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span,
            });
            fields.push(var);
        }
        let whole = self.new_var(&name, Kind::Opaque, false, span);
        self.tuples.insert(whole, fields);
    }
}

impl Lowerer<'_> {
    /// `*k` (or `**k`) of a field `k` bound from a tuple of data by `for (k, y) in obs.iter()`.
    pub(super) fn is_tuple_ref(&self, e: &syn::Expr) -> bool {
        let mut e = strip_paren(e);
        while let syn::Expr::Unary(u) = e {
            if !matches!(u.op, syn::UnOp::Deref(_)) {
                break;
            }
            e = strip_paren(&u.expr);
        }
        self.path_var(e)
            .is_some_and(|v| self.tuple_refs.contains(&v))
    }
}
