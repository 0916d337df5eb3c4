//! `Vec`s grown by `push`: the stored trajectory of a 4D-Var cost.
//!
//! A local created empty, `let mut traj: Vec<f64> = Vec::new();` (also
//! `Vec::with_capacity(n)` and `vec![]`, and `Vec<[f64; K]>`, an array of arrays seen flat as
//! [`super::rows`] sees it), is a `Vec` of reals whose length the body changes:
//!
//! - `traj.push(value)` of a real is one statement writing [`Place::Push`], `v.len()` before
//!   it being the index the element gets; of a row `[f64; K]` (a local array, a literal, a
//!   call's result: anything `let row: [f64; K] = ..` binds), the row is bound first and its
//!   elements pushed in order, `for j in 0..K { traj.push(row[j]) }`;
//! - every other use of the `Vec` is that of any local `Vec` (`traj[k]`, `traj[k][j]`,
//!   `traj.len()`, iterators over it), at the length it has where it is used.
//!
//! The tangent pushes the tangent of each element onto `traj_dot`. The reverse sweep walks the
//! pushes back as Tapenade pops a stack: the adjoint `traj_bar` is zeroed at the final length,
//! and the reverse of each push takes the element off again (`traj.pop()`, so the reverse of
//! what ran before the push sees the length it had there) and then takes the element's adjoint
//! at the index it had, `traj_bar[traj.len()]`. No value is saved for a push: the elements
//! before it are the ones the push left.
//!
//! Before: `let mut v = Vec::new(); for k in 0..n { v.push(x * k as f64); }`
//! After (reverse sweep): `for k in (0..n).rev() { v.pop(); let a = v_bar[v.len()]; x_bar += a * k as f64; }`

use super::rows::row_len;
use super::*;

/// What a `Vec` created empty holds: reals, or rows `[f64; K]` of the given length.
enum Elements {
    Reals,
    Rows(syn::Expr),
}

impl Lowerer<'_> {
    /// `let [mut] v = Vec::new();` (or `Vec::with_capacity(n)`, `vec![]`): a local `Vec` of
    /// reals to grow by `push`; `false` when `init` creates no empty `Vec`.
    pub(super) fn let_empty_vec(
        &mut self,
        ident: &syn::Ident,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let turbofish = match strip_paren(init) {
            syn::Expr::Macro(m) if m.mac.path.is_ident("vec") && m.mac.tokens.is_empty() => None,
            e if slices::is_empty_vec(e) => vec_turbofish(e),
            _ => return Ok(false),
        };
        let element = match (ty, turbofish) {
            (Some(t), _) => vec_element(t),
            (None, Some(t)) => Some(t),
            (None, None) => None,
        };
        let elements = match element {
            None => Elements::Reals,
            Some(t) => match elements_of(t) {
                Some(e) => e,
                None => {
                    let v = name_of(ident);
                    return err_at(t, format!("a `Vec` grown by `push` holds reals or rows of reals in a differentiable function: write `let mut {v}: Vec<f64> = Vec::new();` or `Vec<[f64; K]>`, or keep integers and other data out of the function"));
                }
            },
        };
        let span = init.span();
        let kind = Kind::RealArray(ArrayRepr::Vec);
        let var = self.new_var(&name_of(ident), kind, mutable, ident.span());
        if let Elements::Rows(k) = elements {
            let k = row_len(&k)?;
            self.rows.insert(var, k);
        }
        block.stmts.push(Stmt::Let {
            var,
            init: Init::VecList(Vec::new()),
            span,
        });
        Ok(true)
    }

    /// `let [mut] x = *x0;` of a parameter `x0: &[f64; N]` (the state a trajectory starts
    /// from): a local `[f64; N]` filled with a copy, `let mut x = [0.0; N]; for j in 0..N {
    /// x[j] = x0[j]; }`, as `let row = traj[k];` copies a row; `false` for any other `let`.
    pub(super) fn let_deref_copy(
        &mut self,
        ident: &syn::Ident,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let syn::Expr::Unary(u) = strip_paren(init) else {
            return Ok(false);
        };
        if !matches!(u.op, syn::UnOp::Deref(_)) {
            return Ok(false);
        }
        let Some(src) = self.path_var(strip_paren(&u.expr)) else {
            return Ok(false);
        };
        let n = match (self.kind(src), &self.vars[src].ty) {
            (
                Kind::RealArray(ArrayRepr::Slice | ArrayRepr::SliceMut),
                Some(syn::Type::Reference(r)),
            ) => match strip_type_group(&r.elem) {
                syn::Type::Array(a) if !self.rows.contains_key(&src) => a.len.clone(),
                _ => return Ok(false),
            },
            _ => return Ok(false),
        };
        let span = init.span();
        let tokens = self.with_consts(n.to_token_stream());
        let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(tokens.clone())));
        // Mutable whatever the user wrote: the copy's loop writes it.
        let var = self.new_var(&name_of(ident), kind, true, ident.span());
        block.stmts.push(Stmt::Let {
            var,
            init: Init::ArrayFill {
                value: real_lit(0.0, span),
                len: tokens.clone(),
            },
            span,
        });
        let j = self.temp("j", Kind::Int, span);
        let at = || var_expr(j, Kind::Int, span);
        block.stmts.push(Stmt::For {
            var: j,
            range: Range {
                start: int_lit(0, span),
                end: Expr {
                    op: Op::Len(src),
                    kind: Kind::Int,
                    span,
                },
                inclusive: false,
                adaptors: Vec::new(),
            },
            body: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Index(var, at()),
                    value: Expr {
                        op: Op::Index(src, Box::new(at())),
                        kind: Kind::Real,
                        span,
                    },
                    span,
                }],
            },
            span,
        });
        Ok(true)
    }

    /// `v.push(value)` on a local `Vec` of reals.
    pub(super) fn push_stmt(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = mc.span();
        let receiver = strip_paren(&mc.receiver);
        let shown = receiver.to_token_stream();
        let var = match self.var_of(receiver) {
            Ok(v) if self.param_vars.contains(&v) => {
                return err_at(&mc.method, "`.push()` onto a parameter is not supported: its adjoint has the caller's length; push onto a local `Vec` created in the function, `let mut w: Vec<f64> = Vec::new();`, and return it");
            }
            Ok(v) if self.kind(v) == &Kind::RealArray(ArrayRepr::Vec) => v,
            Ok(v) if matches!(self.kind(v), Kind::RealArray(_)) => {
                return err_at(&mc.method, format!("`.push()` grows a local `Vec` of reals: `{shown}` keeps its length; make a local `let mut v: Vec<f64> = Vec::new();` and push onto it"));
            }
            Ok(_) => {
                return err_at(&mc.method, format!("`.push()` is supported on a local `Vec<f64>` or `Vec<[f64; K]>` created empty: `let mut {shown}: Vec<f64> = Vec::new();`"));
            }
            Err(e) => return Err(e),
        };
        let [value] = mc.args.iter().collect::<Vec<_>>()[..] else {
            return err_at(&mc.method, "`.push()` takes one value");
        };
        let at = |span| Expr {
            op: Op::Len(var),
            kind: Kind::Int,
            span,
        };
        match self.rows.get(&var).cloned() {
            None => {
                let value = self.expr(value, block)?;
                if let Kind::RealArray(_) = value.kind {
                    // Reported here, and the `Vec` poisoned: its uses as rows would only
                    // repeat the error.
                    self.error(syn::Error::new(value.span, format!("`{shown}` holds reals: to push rows, write its type, `let mut {shown}: Vec<[f64; K]> = Vec::new();`")));
                    self.poisoned.insert(self.vars[var].user_name.clone());
                    return Ok(());
                }
                let value = self.coerce_real(value)?;
                block.stmts.push(Stmt::Assign {
                    place: Place::Push(var, at(span)),
                    value,
                    span,
                });
                Ok(())
            }
            Some(k) => self.push_row(var, k, value, span, block),
        }
    }

    /// The elements of a row pushed in order onto `var`, a `Vec` of rows of length `k`.
    fn push_row(
        &mut self,
        var: VarId,
        k: Expr,
        value: &syn::Expr,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        let row = match self.var_of(strip_paren(value)).ok() {
            Some(r) if matches!(self.kind(r), Kind::RealArray(ArrayRepr::Array(_))) => r,
            _ => self.bind_pushed_row(&k, value, block)?,
        };
        let j = self.temp("j", Kind::Int, span);
        let body = Block {
            stmts: vec![Stmt::Assign {
                place: Place::Push(
                    var,
                    Expr {
                        op: Op::Len(var),
                        kind: Kind::Int,
                        span,
                    },
                ),
                value: Expr {
                    op: Op::Index(row, Box::new(var_expr(j, Kind::Int, span))),
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
                end: k,
                inclusive: false,
                adaptors: Vec::new(),
            },
            body,
            span,
        });
        Ok(())
    }

    /// `let pushed: [f64; K] = value;` in a scope of its own (so the name hides none of the
    /// user's), lowered as the user's `let` would be: the row a push appends.
    fn bind_pushed_row(
        &mut self,
        k: &Expr,
        value: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<VarId> {
        let span = value.span();
        let k = match &k.op {
            Op::Lit(Literal::Other(l)) => l.to_token_stream(),
            Op::Path(p) => p.to_token_stream(),
            _ => {
                return err_at(
                    value,
                    "bind the row to a local `[f64; K]` first and push that",
                )
            }
        };
        let name = syn::Ident::new("pushed", span);
        let stmt: syn::Stmt = syn::parse_quote_spanned!(span=> let #name: [f64; #k] = #value;);
        let syn::Stmt::Local(local) = stmt else {
            return err_at(
                value,
                "bind the row to a local `[f64; K]` first and push that",
            );
        };
        self.scopes.push(HashMap::new());
        let done = self.local(&local, block);
        let row = self.lookup("pushed");
        self.scopes.pop();
        done?;
        match row {
            Some(r) if matches!(self.kind(r), Kind::RealArray(ArrayRepr::Array(_))) => Ok(r),
            _ => err_at(
                value,
                "bind the row to a local `[f64; K]` first and push that",
            ),
        }
    }
}

/// `T` of `Vec::<T>::new()` or `Vec::<T>::with_capacity(n)`.
fn vec_turbofish(e: &syn::Expr) -> Option<&syn::Type> {
    let syn::Expr::Call(call) = strip_paren(e) else {
        return None;
    };
    let syn::Expr::Path(p) = strip_paren(&call.func) else {
        return None;
    };
    let segments = &p.path.segments;
    let vec = segments.iter().rev().nth(1)?;
    generic_arg(&vec.arguments)
}

/// `T` of a written `Vec<T>`.
fn vec_element(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = strip_type_group(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    generic_arg(&last.arguments)
}

fn generic_arg(args: &syn::PathArguments) -> Option<&syn::Type> {
    let syn::PathArguments::AngleBracketed(a) = args else {
        return None;
    };
    match a.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// Reals (`f64`, `_`) or rows `[f64; K]`.
fn elements_of(t: &syn::Type) -> Option<Elements> {
    match strip_type_group(t) {
        syn::Type::Infer(_) => Some(Elements::Reals),
        syn::Type::Path(p) if p.path.is_ident("f64") => Some(Elements::Reals),
        syn::Type::Array(a) => match strip_type_group(&a.elem) {
            syn::Type::Path(p) if p.path.is_ident("f64") => Some(Elements::Rows(a.len.clone())),
            _ => None,
        },
        _ => None,
    }
}
