//! Tuples given by branches: `let (left, right) = match bc { A => (x, y), B => (z, w) };`
//! (also `if`, a block, a `loop` with `break (a, b)`, nested). Each element is a variable given
//! by the branches, as `let v = if ..` is: the branches assign the elements of their tuple, the
//! variables declared before with zeros of the kinds the branches gave.
//!
//! Before: `let (l, r) = if c { (u[0], u[1]) } else { (0.0, u[2]) };`
//! After:  `let mut l = 0.0; let mut r = 0.0; if c { l = u[0]; r = u[1]; } else { l = 0.0;
//!          r = u[2]; }`

use super::*;

/// Whether `init` gives its value by branches: an `if`, a `match`, a block or a `loop` with
/// `break v`.
pub(super) fn gives_by_branches(init: &syn::Expr) -> bool {
    match strip_paren(init) {
        syn::Expr::If(_) | syn::Expr::Match(_) => true,
        syn::Expr::Block(b) => b.label.is_none() && b.attrs.is_empty(),
        syn::Expr::Loop(l) => gives_value(l),
        _ => false,
    }
}

impl Lowerer<'_> {
    /// `let (a, b) = <branches>;`: a variable per element (`_` skipped into a variable of its
    /// own), assigned by each branch's tuple.
    pub(super) fn let_tuple_branches(
        &mut self,
        tuple: &syn::PatTuple,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let types: Vec<Option<&syn::Type>> = match ty {
            Some(syn::Type::Tuple(t)) if t.elems.len() == tuple.elems.len() => {
                t.elems.iter().map(Some).collect()
            }
            Some(other) => {
                return err_at(
                    other,
                    "the type of a tuple pattern is a tuple of as many types, `(f64, f64)`",
                )
            }
            None => vec![None; tuple.elems.len()],
        };
        let mut names = Vec::new();
        let mut vars = Vec::new();
        for (p, t) in tuple.elems.iter().zip(types) {
            let (name, at) = match p {
                syn::Pat::Wild(w) => (None, w.span()),
                p => {
                    let (ident, _) = simple_binding(p)?;
                    let at = ident.span();
                    (Some(ident), at)
                }
            };
            let declared = t.map(|t| kind_of_type(t, false)).transpose()?;
            let kind = declared.clone().unwrap_or(Kind::Opaque);
            let (v, shown) = match &name {
                Some(ident) => (
                    self.unscoped_var(&name_of(ident), kind, true, at),
                    name_of(ident),
                ),
                None => {
                    let v = self.temp("unused", kind, at);
                    self.vars[v].mutable = true;
                    (v, "_".to_string())
                }
            };
            if declared.is_none() {
                self.unset_targets.push(v);
            }
            names.push((name, shown));
            vars.push(v);
        }
        let stand_in = self.temp("tuple", Kind::Opaque, span);
        self.tuple_targets.insert(stand_in, vars.clone());
        let pos = block.stmts.len();
        let given = self.assign_value(stand_in, init, block);
        self.tuple_targets.remove(&stand_in);
        given?;
        for (v, (_, shown)) in vars.iter().zip(&names).rev() {
            let first = self.first_value(*v, shown, span)?;
            block.stmts.insert(
                pos,
                Stmt::Let {
                    var: *v,
                    init: Init::Expr(first),
                    span,
                },
            );
        }
        let scope = self.scopes.last_mut().expect("a scope is open");
        for ((name, _), v) in names.iter().zip(vars) {
            if let Some(ident) = name {
                scope.insert(name_of(ident), v);
            }
        }
        Ok(())
    }

    /// A branch's value for the tuple stand-in `target`: a tuple literal of as many elements,
    /// each assigned to its variable (an element may itself be given by branches).
    pub(super) fn assign_tuple_value(
        &mut self,
        target: VarId,
        e: &syn::Expr,
        out: &mut Block,
    ) -> syn::Result<()> {
        let vars = self.tuple_targets[&target].clone();
        match strip_paren(e) {
            syn::Expr::Tuple(t) if t.elems.len() == vars.len() => {
                for (v, x) in vars.into_iter().zip(&t.elems) {
                    self.assign_value(v, x, out)?;
                }
                Ok(())
            }
            _ => err_at(
                e,
                format!(
                    "end each branch with a tuple of {} values, `({})`",
                    vars.len(),
                    vec![".."; vars.len()].join(", ")
                ),
            ),
        }
    }
}
