//! Array patterns with a rest, `let [a, b, rest @ ..] = x;`, `let [first, .., last] = x;`, and
//! array constants inside the function, `const W: [f64; 3] = [0.5, 1.0, 2.0];`.
//!
//! A pattern binds the elements before the rest by their index, those after it from the end
//! (`x[x.len() - 1]`), and a named rest as a copy of the middle, an array of the remaining length
//! filled element by element (rustc has checked the lengths in the function as written).
//!
//! An array constant is a `let` of an array of reals at the start of its block (a constant is
//! visible in its whole block, also before it): its elements carry no derivative, since they
//! depend on no input, and it is read, indexed and passed as any array.

use super::iter::int_lit;
use super::stmt::simple_binding;
use super::*;

impl Lowerer<'_> {
    /// The element bindings of `let [..] = source;` with a rest `..` in `elems` (at `rest`), each
    /// with its index; a named rest is bound to a copy.
    pub(super) fn let_rest_pattern(
        &mut self,
        elems: &[&syn::Pat],
        rest: usize,
        source: VarId,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<()> {
        if elems[rest + 1..].iter().any(|p| rest_binding(p).is_some()) {
            return err(span, "an array pattern has one `..`");
        }
        let len = || Expr {
            op: Op::Len(source),
            kind: Kind::Int,
            span,
        };
        let int_sub = |a: Expr, k: usize| Expr {
            op: Op::Binary(Binary::Sub, Box::new(a), Box::new(int_lit(k, span))),
            kind: Kind::Int,
            span,
        };
        for (i, p) in elems.iter().enumerate() {
            if i == rest {
                continue;
            }
            let index = if i < rest {
                int_lit(i, span)
            } else {
                int_sub(len(), elems.len() - i)
            };
            let name = match p {
                syn::Pat::Wild(_) => None,
                p => Some(simple_binding(p)?),
            };
            let value = Expr {
                op: Op::Index(source, Box::new(index)),
                kind: Kind::Real,
                span: p.span(),
            };
            self.bind_element(name, value, span, block);
        }
        let Some(Some((ident, _))) = rest_binding(elems[rest]) else {
            return Ok(());
        };
        // The rest: `[0.0; N - k]` (or a `Vec` where `N` is not written), then a copy loop.
        let skipped = elems.len() - 1;
        let kind = match self.kind(source) {
            Kind::RealArray(ArrayRepr::Array(n)) if n.to_string() != "_" => {
                let n = &n.0;
                Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!((#n) - #skipped))))
            }
            _ => Kind::RealArray(ArrayRepr::Vec),
        };
        let init = match &kind {
            Kind::RealArray(ArrayRepr::Array(n)) => Init::ArrayFill {
                value: real_lit(0.0, span),
                len: n.0.clone(),
            },
            _ => Init::VecFill {
                value: real_lit(0.0, span),
                len: int_sub(len(), skipped),
            },
        };
        // Mutable whatever the pattern says: the copy loop fills it.
        let var = self.unscoped_var(&name_of(&ident), kind, true, ident.span());
        block.stmts.push(Stmt::Let { var, init, span });
        let counter = self.temp("i", Kind::Int, span);
        let i = || var_expr(counter, Kind::Int, span);
        let from = Expr {
            op: Op::Binary(Binary::Add, Box::new(i()), Box::new(int_lit(rest, span))),
            kind: Kind::Int,
            span,
        };
        block.stmts.push(Stmt::For {
            var: counter,
            range: Range {
                start: int_lit(0, span),
                end: Expr {
                    op: Op::Len(var),
                    kind: Kind::Int,
                    span,
                },
                inclusive: false,
                adaptors: Vec::new(),
            },
            body: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Index(var, i()),
                    value: Expr {
                        op: Op::Index(source, Box::new(from)),
                        kind: Kind::Real,
                        span,
                    },
                    span,
                }],
            },
            span,
        });
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(name_of(&ident), var);
        Ok(())
    }

    /// The array a pattern with a rest destructures: an array variable (or `*u` of a reference
    /// to one), or a differentiable call's result bound to a temporary.
    pub(super) fn rest_source(
        &mut self,
        init: &syn::Expr,
        ty: Option<&syn::Type>,
        block: &mut Block,
    ) -> syn::Result<VarId> {
        let e = strip_paren(init);
        if let syn::Expr::Call(call) = e {
            if self.is_differentiable_call(call) {
                let kind = match ty {
                    Some(t) => kind_of_type(t, false)?,
                    None => Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(_)))),
                };
                let args = self.call_args(call, block)?;
                let callee = self.callee_path(call)?;
                let t = self.temp("array", kind, call.span());
                self.push_call(call, (callee, args), t, block);
                return Ok(t);
            }
        }
        match self.path_var(strip_deref(e)) {
            Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => Ok(v),
            _ => err_at(e, "destructure an array variable or the result of a differentiable call: `let [a, rest @ ..] = v;`"),
        }
    }

    /// The array constants among `stmts`, `const W: [f64; N] = [..];`, bound at the start of
    /// `block` as arrays of reals (errors are reported where the items are lowered).
    pub(super) fn array_consts_into(&mut self, stmts: &[syn::Stmt], block: &mut Block) {
        for s in stmts {
            let syn::Stmt::Item(syn::Item::Const(c)) = s else {
                continue;
            };
            let syn::Type::Array(a) = strip_type_group(&c.ty) else {
                continue;
            };
            if !is_ident(&a.elem, "f64") {
                continue;
            }
            let span = c.ident.span();
            let mut probe = Block::default();
            let init = match self.array_init(&c.expr, &mut probe) {
                Ok(Some(init @ (Init::ArrayList(_) | Init::ArrayFill { .. })))
                    if probe.stmts.is_empty() =>
                {
                    init
                }
                _ => continue,
            };
            let len = self.with_consts(a.len.to_token_stream());
            let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(len)));
            // A local named in lower case (`W` as `w`, or `w_1` when the function has a `w`), so
            // the generated code draws no `non_snake_case` warning.
            let user = name_of(&c.ident);
            let name = self.fresh_name(&user.to_lowercase(), false);
            let var = self.vars.push(Var {
                name,
                user_name: user.clone(),
                kind,
                mutable: false,
                span,
                ty: None,
            });
            self.scopes
                .last_mut()
                .expect("a scope is open")
                .insert(user, var);
            block.stmts.push(Stmt::Let { var, init, span });
        }
    }
}

/// `Some(None)` for `..`, `Some(Some((rest, mutable)))` for `rest @ ..`, `None` for any other
/// pattern.
pub(super) fn rest_binding(p: &syn::Pat) -> Option<Option<(syn::Ident, bool)>> {
    match p {
        syn::Pat::Rest(_) => Some(None),
        syn::Pat::Ident(pi) => match &pi.subpat {
            Some((_, sub)) if matches!(&**sub, syn::Pat::Rest(_)) && pi.by_ref.is_none() => {
                Some(Some((pi.ident.clone(), pi.mutability.is_some())))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `e` without a leading `*`.
pub(super) fn strip_deref(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip_paren(&u.expr),
        e => e,
    }
}
