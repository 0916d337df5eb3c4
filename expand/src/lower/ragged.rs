//! Tables of rows of varying lengths read as data, the way observations of varying counts are
//! held in Rust (`obs: &[Vec<f64>]`, `&Vec<Vec<f64>>`, `&[&[f64]]`, positions `at:
//! &[Vec<usize>]`): such a parameter is opaque data outside `wrt(..)`; a row is borrowed where it
//! is bound (`emit::expr` prints `&obs[k]`, a `Vec` row cannot be moved out), read as the rows of
//! `&[[f64; K]]` are, and passed on as a view of data (`Function::data_slices`), never lifted or
//! copied.
//!
//! Before: `for y in obs { j += misfit(&u, y); }`
//! After:  `for __i in 0..obs.len() { let y = &obs[__i]; j += misfit::jvp(u, u_dot,
//!          &DataSlice::new(y), &LazyZeros::new(y.len())).. }`

use super::*;

impl Lowerer<'_> {
    /// `obs[k]` of a table of data (`obs: &[Vec<f64>]`, `at: &[Vec<usize>]`, `&[[f64; K]]`)
    /// bound to a temporary, for an iterator over the row, `at[k].iter()`; `None` for another
    /// expression.
    pub(super) fn table_row(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<Option<VarId>> {
        let syn::Expr::Index(ix) = strip_paren(e) else {
            return Ok(None);
        };
        let table = match self.path_var(&ix.expr) {
            Some(v)
                if self.kind(v) == &Kind::Opaque && !matches!(&*ix.index, syn::Expr::Range(_)) =>
            {
                v
            }
            _ => return Ok(None),
        };
        let span = e.span();
        let index = self.index_expr(&ix.index, block)?;
        let t = self.temp("row", Kind::Opaque, span);
        let row = Expr {
            op: Op::Index(table, Box::new(index)),
            kind: Kind::Opaque,
            span,
        };
        self.let_row(t, row, block);
        Ok(Some(t))
    }

    /// Marks `var`, bound to a row of real data that is passed on whole: a view of the caller's
    /// data (`Function::data_slices`) for a row of varying length (`ragged`), a row lifted to
    /// the scalar (`Function::data_rows`) for a `[f64; K]` row.
    pub(super) fn passed_row(&mut self, var: VarId, ragged: bool) {
        if ragged {
            self.ragged_rows.insert(var);
            self.data_slices.insert(var);
        } else {
            self.data_rows.insert(var);
        }
    }

    /// `let var = row;` of a row of a table of data (`obs[k]`, or a row of a row bound so):
    /// `var` read as the table's rows are, its elements real data if they are reals, borrowed
    /// if the rows are of varying lengths.
    pub(super) fn let_row(&mut self, var: VarId, row: Expr, block: &mut Block) {
        if let Op::Index(a, _) = &row.op {
            if self.holds_rows(*a) || self.real_rows.contains(a) {
                self.real_rows.push(var);
            }
        }
        if self.is_ragged_row(&row) {
            self.ragged_rows.insert(var);
        }
        let span = row.span;
        block.stmts.push(Stmt::Let {
            var,
            init: Init::Expr(row),
            span,
        });
    }

    /// `&at[k]`, a row of a table of rows of varying lengths outside `wrt(..)` (`at:
    /// &[Vec<usize>]`, `obs: &[Vec<f64>]`), passed on as it is borrowed; `None` for another
    /// argument.
    pub(super) fn borrowed_row_arg(
        &mut self,
        r: &syn::ExprReference,
        block: &mut Block,
    ) -> syn::Result<Option<Arg>> {
        let syn::Expr::Index(ix) = strip_paren(&r.expr) else {
            return Ok(None);
        };
        let table = match self.path_var(&ix.expr) {
            Some(v)
                if r.mutability.is_none()
                    && self.kind(v) == &Kind::Opaque
                    && self.vars[v].ty.as_ref().is_some_and(borrowed_rows)
                    && !self.holds_rows(v) =>
            {
                v
            }
            _ => return Ok(None),
        };
        let index = self.index_expr(&ix.index, block)?;
        Ok(Some(Arg::Value(Expr {
            op: Op::Index(table, Box::new(index)),
            kind: Kind::Opaque,
            span: r.span(),
        })))
    }

    /// Whether `e` is a row of a table of rows of reals of varying lengths (`obs[k]` of `obs:
    /// &[Vec<f64>]`, or a variable bound to one): a view of data, never copied.
    pub(super) fn is_ragged_row(&self, e: &Expr) -> bool {
        match &e.op {
            Op::Index(a, _) => {
                self.kind(*a) == &Kind::Opaque && self.vars[*a].ty.as_ref().is_some_and(ragged_rows)
            }
            Op::Var(v) | Op::Ref(v) => self.ragged_rows.contains(v),
            _ => false,
        }
    }

    /// A parameter of rows of varying lengths, `obs: &[Vec<f64>]`: data, read as written in
    /// every companion; an error if it is to be differentiated (no `wrt(..)`, or named there).
    pub(super) fn ragged_param(&mut self, ty: &syn::Type, name: &str) -> syn::Result<Kind> {
        let in_wrt = match self.args.wrt.as_deref() {
            None => true,
            Some(w) => w.iter().any(|n| name_of(n) == name),
        };
        if in_wrt {
            return err_at(ty, format!("rows of varying lengths are read as data: name the parameters to differentiate, `#[differentiable(wrt(x0))]`, leaving `{name}` out; to differentiate with respect to them, pass the values flat, `{name}: &[f64]`, with the rows' offsets"));
        }
        Ok(Kind::Opaque)
    }
}
