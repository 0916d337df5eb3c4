//! Element writes of nalgebra vectors and matrices: `du[i] = e`, `m[(i, j)] += e` (and `-=`,
//! `*=`, `/=`) of a matrix or vector local, in loops and under `if`.
//!
//! A matrix's storage is a column-major array of reals, and nalgebra indexes every matrix by
//! one `usize` in that order (`m[i + j * m.nrows()]` is `m[(i, j)]`). So an element write is the
//! IR's element write [`Place::Index`] of the matrix variable at that linear index: the tangent
//! writes `du_dot[i]`, the reverse sweep accumulates and clears `du_bar[i]` and restores the
//! overwritten element, exactly as for a `Vec<f64>` (reads `m[(i, j)]` stay [`LinOp::Element`]).
//!
//! Before: `let mut m = DMatrix::zeros(2, 2); m[(1, 0)] += x;`
//! After:  `let mut m = zeros(2, 2); let __rows = m.nrows(); m[(1 + (0 * __rows))] = (m[(1 + (0 * __rows))] + x)`
//!
//! (the shape is read into a local first: `m[i + j * m.nrows()] = ..` borrows `m` twice).

use super::*;

impl Lowerer<'_> {
    /// The place `v[i]` or `v[(i, j)]` of the matrix or vector variable `v`.
    pub(super) fn matrix_place(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<Place> {
        if self.param_vars.contains(&v) {
            return err_at(&ix.expr, read_only_parameter(self.shown(v)));
        }
        let index = match strip_paren(&ix.index) {
            syn::Expr::Tuple(t) if t.elems.len() == 2 => {
                let i = self.index_expr(&t.elems[0], block)?;
                let j = self.index_expr(&t.elems[1], block)?;
                // The shape is read before the element is borrowed to be written.
                let span = ix.index.span();
                let rows = self.temp("rows", Kind::Int, span);
                block.stmts.push(Stmt::Let {
                    var: rows,
                    init: Init::Expr(nrows(v, span)),
                    span,
                });
                linear_index(var_expr(rows, Kind::Int, span), i, j, span)
            }
            syn::Expr::Tuple(t) => {
                return err_at(t, "index a matrix with a row and a column, `m[(i, j)]`")
            }
            index => self.index_expr(index, block)?,
        };
        self.vars[v].mutable = true;
        Ok(Place::Index(v, index))
    }
}

impl Lowerer<'_> {
    /// Whether `range`, which reads `r`, written in `body`, can be evaluated again after the
    /// loop: element writes do not change an array's length, nor a matrix's shape (read by
    /// `m.len()`, `m.nrows()`, not by its elements) unless it is assigned whole.
    pub(super) fn length_kept(&self, r: VarId, range: &Range, body: &Block) -> bool {
        match self.kind(r) {
            Kind::RealArray(_) => true,
            Kind::Matrix => {
                let mut values = Vec::new();
                range.start.value_reads(&mut values);
                range.end.value_reads(&mut values);
                if values.contains(&r) {
                    return false;
                }
                let mut whole = false;
                body.walk(&mut |s| match s {
                    Stmt::Assign { place, .. } => {
                        whole |= matches!(place, Place::Var(v) if *v == r)
                    }
                    Stmt::Call(c) => whole |= c.results.contains(&r),
                    _ => {}
                });
                !whole
            }
            _ => false,
        }
    }
}

/// The refusal of an element write into the matrix or vector parameter `name`.
pub(super) fn read_only_parameter(name: syn::Ident) -> String {
    format!("`{name}` is a parameter, read only: copy it into a local to change its elements, `let mut y = {name}.clone();`, and return what you compute")
}

/// `m.nrows()` of the matrix variable `m`.
fn nrows(m: VarId, span: Span) -> Expr {
    Expr {
        op: Op::Method(
            Box::new(var_expr(m, Kind::Matrix, span)),
            syn::Ident::new("nrows", span),
            Vec::new(),
        ),
        kind: Kind::Int,
        span,
    }
}

/// `i + j * rows`: the position of the element `(i, j)` of a matrix of `rows` rows in its
/// column-major storage, nalgebra's linear index.
fn linear_index(rows: Expr, i: Expr, j: Expr, span: Span) -> Expr {
    let int = |op| Expr {
        op,
        kind: Kind::Int,
        span,
    };
    let column = int(Op::Binary(Binary::Mul, Box::new(j), Box::new(rows)));
    int(Op::Binary(Binary::Add, Box::new(i), Box::new(column)))
}
