//! The forward-mode transform: `f_jvp`, the value and the directional derivative `J x_dot`.
//!
//! Each statement is followed by (or, for an assignment that reads its own target, preceded by)
//! the statement of its tangent; loops and branches keep their shape. Inactive values get no
//! tangent (symbolic zero), so integer and constant code is copied unchanged.
//!
//! The transform builds the tangent IR ([`crate::ir::tan`]): [`build`] walks the primal IR once
//! and puts each primal statement next to its tangent statement, whose value ([`expr`], from the
//! rule table's forms) stays tokens; `emit::tan` prints it and [`describe`] prints it readably.
//!
//! Before: `let y = x * x.sin(); s += y;`
//! After:  `let y = x * Real::sin(x);`
//!         `let y_dot = x_dot * Real::sin(x) + x * (rules::sin(x) * x_dot);`
//!         `s_dot = s_dot + y_dot; s = s + y;`

use crate::emit::Emitter;
use crate::ir::tan::{TanFunction, TanStmt, Tangent};
use crate::ir::*;
use crate::rules::{BinaryDeriv, TernaryDeriv, UnaryDeriv};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

/// The tangent of a matrix expression: tokens, and whether they are a reference `&M` (a
/// variable's tangent) rather than an owned matrix.
struct MatrixTangent {
    tokens: TokenStream,
    by_ref: bool,
}

impl MatrixTangent {
    fn owned(t: TokenStream) -> Self {
        MatrixTangent {
            tokens: t,
            by_ref: false,
        }
    }

    /// As an operand of nalgebra's operators.
    fn r(&self) -> TokenStream {
        let t = &self.tokens;
        if self.by_ref {
            t.clone()
        } else {
            quote!(&(#t))
        }
    }

    /// As an owned matrix.
    fn into_owned(self) -> TokenStream {
        let t = self.tokens;
        if self.by_ref {
            quote!((#t).clone())
        } else {
            t
        }
    }
}

/// The sum of the present terms (`None` when all are symbolic zeros).
fn sum_terms(terms: Vec<Option<TokenStream>>) -> Option<TokenStream> {
    let terms: Vec<TokenStream> = terms.into_iter().flatten().collect();
    match terms.len() {
        0 => None,
        1 => terms.into_iter().next(),
        _ => Some(quote!((#(#terms)+*))),
    }
}

/// The tangent of a matrix-valued expression (`None` for a symbolic zero).
fn matrix(em: &Emitter, e: &Expr) -> Option<MatrixTangent> {
    let scalar = &em.scalar;
    let span = e.span;
    let owned = |t: Option<TokenStream>| t.map(MatrixTangent::owned);
    match &e.op {
        Op::Var(v) => em.is_active(*v).then(|| MatrixTangent {
            tokens: em.dot_ref(*v),
            by_ref: true,
        }),
        Op::Unary(u, a) => match u.rule().deriv {
            UnaryDeriv::Negate => {
                let da = matrix(em, a)?.r();
                owned(Some(quote_spanned!(span=> (-#da))))
            }
            UnaryDeriv::Chain | UnaryDeriv::Zero | UnaryDeriv::None => {
                unreachable!("not an operation of matrices")
            }
        },
        Op::Binary(b, x, y) => matrix_binary(em, e, *b, x, y),
        // A matrix made at the scalar type (`DVector::zeros(n)`) carries no derivative.
        Op::ConstCall(..) => None,
        Op::Linalg(op, args) => {
            let a = &args[0];
            match op {
                LinOp::Transpose => {
                    let da = matrix(em, a)?.r();
                    owned(Some(quote_spanned!(span=> (#da).transpose())))
                }
                LinOp::Map { param, body } => {
                    let da = matrix(em, a)?.r();
                    let db = expr(em, body)?;
                    let (v, vd, xs) = (em.name(*param), em.dot(*param), em.mat_ref(a));
                    owned(Some(
                        quote_spanned!(span=> (#xs).zip_map(#da, |#v: #scalar, #vd: #scalar| #db)),
                    ))
                }
                LinOp::ComponentMul => {
                    let b = &args[1];
                    let (xs, ys) = (em.mat_ref(a), em.mat_ref(b));
                    let dx = matrix(em, a).map(|d| {
                        let d = d.r();
                        quote_spanned!(span=> (#d).component_mul(#ys))
                    });
                    let dy = matrix(em, b).map(|d| {
                        let d = d.r();
                        quote_spanned!(span=> (#xs).component_mul(#d))
                    });
                    owned(sum_terms(vec![dx, dy]))
                }
                LinOp::FromSlice(ty, order) => {
                    let Op::Var(v) = &a.op else {
                        unreachable!("vectors are built from array variables")
                    };
                    if !em.is_active(*v) {
                        return None;
                    }
                    let d = em.dot(*v);
                    let dims: Vec<TokenStream> = args[1..].iter().map(|d| em.primal(d)).collect();
                    owned(Some(em.vector_of_slice(
                        ty,
                        *order,
                        &dims,
                        quote!(&#d[..]),
                        span,
                    )))
                }
                LinOp::Column | LinOp::Row => {
                    let da = matrix(em, a)?.r();
                    let (m, k) = (format_ident!("{}", op.name()), em.primal(&args[1]));
                    owned(Some(quote_spanned!(span=> (#da).#m(#k).into_owned())))
                }
                LinOp::Dot | LinOp::Sum | LinOp::Norm | LinOp::NormSquared | LinOp::Element => {
                    unreachable!("a real, not a matrix")
                }
            }
        }
        Op::Lit(_)
        | Op::Index(..)
        | Op::Len(_)
        | Op::Powi(..)
        | Op::Ternary(..)
        | Op::Cast(..)
        | Op::Path(_)
        | Op::Ref(_)
        | Op::Matches(..)
        | Op::PathIndex(..)
        | Op::Method(..)
        | Op::Field(..)
        | Op::AsReal(_) => unreachable!("not a matrix"),
    }
}

/// The tangent of a binary operation of matrices (sums, products, scalings).
fn matrix_binary(em: &Emitter, e: &Expr, b: Binary, x: &Expr, y: &Expr) -> Option<MatrixTangent> {
    let span = e.span;
    let owned = |t: Option<TokenStream>| t.map(MatrixTangent::owned);
    let (xm, ym) = (x.kind == Kind::Matrix, y.kind == Kind::Matrix);
    let deriv = b.rule().deriv;
    match deriv {
        BinaryDeriv::Add | BinaryDeriv::Sub => {
            let (dx, dy) = (matrix(em, x), matrix(em, y));
            match (dx, dy, deriv) {
                (None, None, _) => None,
                (Some(a), None, _) => Some(a),
                (None, Some(d), BinaryDeriv::Add) => Some(d),
                (None, Some(d), _) => {
                    let d = d.r();
                    owned(Some(quote_spanned!(span=> (-#d))))
                }
                (Some(a), Some(d), _) => {
                    let (a, d) = (a.r(), d.r());
                    let op: TokenStream = b.name().parse().expect("an operator");
                    owned(Some(quote_spanned!(span=> (#a #op #d))))
                }
            }
        }
        BinaryDeriv::Product if xm && ym => {
            let (xs, ys) = (em.mat_ref(x), em.mat_ref(y));
            let rt = &em.rt;
            let dx = matrix(em, x).map(|d| {
                let d = d.r();
                quote_spanned!(span=> #rt::linalg::mul(#d, #ys))
            });
            let dy = matrix(em, y).map(|d| {
                let d = d.r();
                quote_spanned!(span=> #rt::linalg::mul(#xs, #d))
            });
            owned(sum_terms(vec![dx, dy]))
        }
        BinaryDeriv::Product | BinaryDeriv::Quotient => {
            let (m, s) = if xm { (x, y) } else { (y, x) };
            let (ms, ss) = (em.mat_ref(m), em.primal(s));
            let op: TokenStream = b.name().parse().expect("an operator");
            let dm = matrix(em, m).map(|d| {
                let d = d.r();
                quote_spanned!(span=> (#d #op #ss))
            });
            let ds = expr(em, s).map(|d| {
                if deriv == BinaryDeriv::Quotient {
                    quote_spanned!(span=> (#ms * (-(#d) / (#ss * #ss))))
                } else {
                    quote_spanned!(span=> (#ms * #d))
                }
            });
            owned(sum_terms(vec![dm, ds]))
        }
        BinaryDeriv::Partials | BinaryDeriv::None => {
            unreachable!("not an operation of matrices")
        }
    }
}

/// The tangent of a real-valued matrix operation (`a.dot(b)`, norms, sums, elements).
fn linalg_real(
    em: &Emitter,
    op: &LinOp,
    args: &[Expr],
    span: proc_macro2::Span,
) -> Option<TokenStream> {
    let scalar = &em.scalar;
    let rt = &em.rt;
    let a = &args[0];
    match op {
        LinOp::Dot => {
            let b = &args[1];
            let (xs, ys) = (em.mat_ref(a), em.mat_ref(b));
            let dx = matrix(em, a).map(|d| {
                let d = d.r();
                quote_spanned!(span=> (#d).dot(#ys))
            });
            let dy = matrix(em, b).map(|d| {
                let d = d.r();
                quote_spanned!(span=> (#xs).dot(#d))
            });
            sum_terms(vec![dx, dy])
        }
        LinOp::Sum => {
            let da = matrix(em, a)?.r();
            Some(quote_spanned!(span=> (#da).sum()))
        }
        LinOp::NormSquared => {
            let (da, xs) = (matrix(em, a)?.r(), em.mat_ref(a));
            Some(quote_spanned!(span=> (#rt::cst::<#scalar>(2.0) * (#xs).dot(#da))))
        }
        LinOp::Norm => {
            let (da, xs) = (matrix(em, a)?.r(), em.mat_ref(a));
            Some(quote_spanned!(span=> #rt::linalg::per_norm(#xs, (#xs).dot(#da))))
        }
        LinOp::Element => {
            let Op::Var(m) = &a.op else {
                unreachable!("elements are of variables")
            };
            if !em.is_active(*m) {
                return None;
            }
            let (d, i, j) = (em.dot(*m), em.primal(&args[1]), em.primal(&args[2]));
            Some(quote_spanned!(span=> #d[(#i, #j)]))
        }
        LinOp::Transpose
        | LinOp::Map { .. }
        | LinOp::ComponentMul
        | LinOp::FromSlice(..)
        | LinOp::Column
        | LinOp::Row => {
            unreachable!("a matrix, not a real")
        }
    }
}

/// The tangent of expression `e` (`None` for a symbolic zero); an owned matrix for matrices.
pub fn expr(em: &Emitter, e: &Expr) -> Option<TokenStream> {
    if e.kind == Kind::Matrix {
        return matrix(em, e).map(MatrixTangent::into_owned);
    }
    if e.kind != Kind::Real {
        return None;
    }
    let rt = &em.rt;
    let span = e.span;
    match &e.op {
        Op::Lit(_)
        | Op::Len(_)
        | Op::Path(_)
        | Op::Ref(_)
        | Op::Matches(..)
        | Op::Field(..)
        | Op::AsReal(_)
        | Op::PathIndex(..)
        | Op::Method(..)
        | Op::ConstCall(..)
        | Op::Cast(..) => None,
        Op::Var(v) => em.is_active(*v).then(|| {
            let d = em.dot(*v);
            quote!(#d)
        }),
        Op::Index(v, i) => em.is_active(*v).then(|| {
            let (d, i) = (em.dot(*v), em.primal(i));
            quote_spanned!(span=> #d[#i])
        }),
        Op::Unary(u, a) => {
            let da = expr(em, a)?;
            let x = em.primal(a);
            Some(match u.rule().deriv {
                UnaryDeriv::Negate => quote_spanned!(span=> (-#da)),
                UnaryDeriv::Chain => {
                    let rule = format_ident!("{}", u.name(), span = span);
                    quote_spanned!(span=> (#rt::rules::#rule(#x) * #da))
                }
                // A symbolic zero: the result is inactive.
                UnaryDeriv::Zero => return None,
                UnaryDeriv::None => unreachable!("`{}` has no derivative", u.name()),
            })
        }
        Op::Binary(b, x, y) => {
            let (dx, dy) = (expr(em, x), expr(em, y));
            if dx.is_none() && dy.is_none() {
                return None;
            }
            let (xs, ys) = (em.primal(x), em.primal(y));
            Some(match b.rule().deriv {
                BinaryDeriv::Add => match (dx, dy) {
                    (Some(a), Some(b)) => quote_spanned!(span=> (#a + #b)),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => unreachable!(),
                },
                BinaryDeriv::Sub => match (dx, dy) {
                    (Some(a), Some(b)) => quote_spanned!(span=> (#a - #b)),
                    (Some(a), None) => a,
                    (None, Some(b)) => quote_spanned!(span=> (-#b)),
                    (None, None) => unreachable!(),
                },
                BinaryDeriv::Product => match (dx, dy) {
                    (Some(a), Some(b)) => quote_spanned!(span=> (#a * #ys + #xs * #b)),
                    (Some(a), None) => em.times(a, y, ys, span),
                    (None, Some(b)) => em.times(b, x, xs, span),
                    (None, None) => unreachable!(),
                },
                BinaryDeriv::Quotient => match (dx, dy) {
                    (Some(a), None) => quote_spanned!(span=> (#a / #ys)),
                    (dx, dy) => {
                        let p = em.temp("partials");
                        let terms = partial_terms(&p, dx, dy);
                        quote_spanned!(span=> { let #p = #rt::rules::div(#xs, #ys); #terms })
                    }
                },
                BinaryDeriv::Partials => {
                    let rule = format_ident!("{}", b.name(), span = span);
                    let p = em.temp("partials");
                    let terms = partial_terms(&p, dx, dy);
                    quote_spanned!(span=> { let #p = #rt::rules::#rule(#xs, #ys); #terms })
                }
                BinaryDeriv::None => unreachable!("`{}` has no derivative", b.name()),
            })
        }
        // The tangent of `a.mul_add(b, c)` is `a_dot * b + a * b_dot + c_dot`, written with
        // plain products and sums as the product rule's is: a linear combination of the
        // tangents, whose rounding does not decide the primal's value (only the value itself is
        // fused).
        Op::Ternary(t, a, b, c) => match t.rule().deriv {
            TernaryDeriv::MulAdd => {
                let (da, db, dc) = (expr(em, a), expr(em, b), expr(em, c));
                let (as_, bs) = (em.primal(a), em.primal(b));
                sum_terms(vec![
                    da.map(|d| quote_spanned!(span=> (#d * #bs))),
                    db.map(|d| quote_spanned!(span=> (#as_ * #d))),
                    dc,
                ])
            }
        },
        Op::Powi(x, n) => {
            let dx = expr(em, x)?;
            let (xs, ns) = (em.primal(x), em.primal(n));
            Some(quote_spanned!(span=> (#rt::rules::powi(#xs, #ns) * #dx)))
        }
        Op::Linalg(op, args) => linalg_real(em, op, args, span),
    }
}

/// `p.0 * dx + p.1 * dy`, leaving out zero terms.
fn partial_terms(
    p: &proc_macro2::Ident,
    dx: Option<TokenStream>,
    dy: Option<TokenStream>,
) -> TokenStream {
    match (dx, dy) {
        (Some(a), Some(b)) => quote!(#p.0 * #a + #p.1 * #b),
        (Some(a), None) => quote!(#p.0 * #a),
        (None, Some(b)) => quote!(#p.1 * #b),
        (None, None) => unreachable!(),
    }
}

/// The tangent of a `let` initialiser, for an active variable.
fn init(em: &Emitter, var: VarId, init: &Init) -> TokenStream {
    let rt = &em.rt;
    let zero = em.zero();
    let or_zero = |e: &Expr| expr(em, e).unwrap_or_else(|| zero.clone());
    match init {
        Init::Expr(e) if e.kind == Kind::Matrix => expr(em, e).unwrap_or_else(|| {
            // The value is bound just before its tangent.
            let n = em.name(var);
            quote!(#rt::zeros_like(&#n))
        }),
        Init::Expr(e) => or_zero(e),
        Init::VecFill { value, len } => {
            let (d, n) = (or_zero(value), em.primal(len));
            quote!(::std::vec![#d; #n])
        }
        Init::ArrayFill { value, len } => {
            let d = or_zero(value);
            quote!([#d; #len])
        }
        Init::ArrayList(es) => {
            let ds = es.iter().map(or_zero);
            quote!([#(#ds),*])
        }
        Init::VecList(es) => {
            let ds = es.iter().map(or_zero);
            quote!(::std::vec![#(#ds),*])
        }
        Init::CopyOf(src) => {
            if em.is_active(*src) {
                em.copy_of(*src, &em.dot(*src))
            } else {
                // The copy is bound just before its tangent.
                let copy = em.name(var);
                quote!(#rt::zeros_like(&#copy))
            }
        }
    }
}

/// The tangent IR of a block whose first statement is `first`.
fn block<'a>(em: &Emitter, b: &'a Block, first: StmtId, out: &mut Vec<TanStmt<'a>>) {
    for (id, s) in b.numbered(first) {
        stmt(em, id, s, out);
    }
}

/// A nested block's tangent IR.
fn nested<'a>(em: &Emitter, b: &'a Block, first: StmtId) -> Vec<TanStmt<'a>> {
    let mut out = Vec::new();
    block(em, b, first, &mut out);
    out
}

/// The primal statement `s` (numbered `id`) with its tangent.
fn stmt<'a>(em: &Emitter, id: StmtId, s: &'a Stmt, out: &mut Vec<TanStmt<'a>>) {
    let rt = &em.rt;
    match s {
        Stmt::Let { var, init: i, .. } => {
            out.push(TanStmt::Let {
                id,
                var: *var,
                init: i,
            });
            if em.is_active(*var) {
                let mut reads = Vec::new();
                crate::activity::init_derivative_sources(i, &em.active, &mut reads);
                out.push(TanStmt::LetDot {
                    var: *var,
                    mutable: em.var(*var).mutable,
                    value: Tangent {
                        tokens: init(em, *var, i),
                        reads,
                    },
                });
            }
        }
        Stmt::Assign { place, value, .. } => {
            let var = place.var();
            if em.is_active(var) {
                let tokens = expr(em, value).unwrap_or_else(|| {
                    if value.kind == Kind::Matrix {
                        let n = em.name(var);
                        quote!(#rt::zeros_like(&#n))
                    } else {
                        em.zero()
                    }
                });
                let mut reads = Vec::new();
                crate::activity::derivative_sources(value, &em.active, &mut reads);
                // The tangent first: `value` may read the target's old value.
                out.push(TanStmt::SetDot {
                    place,
                    value: Tangent { tokens, reads },
                });
            }
            out.push(TanStmt::Assign { id, place, value });
        }
        Stmt::Call(c) => {
            let active = c
                .args
                .iter()
                .any(|a| crate::activity::arg_active(a, &em.active));
            if !active {
                out.push(TanStmt::Call { id, call: c });
                // A result that later receives active values starts with a zero tangent.
                out.extend(
                    c.results
                        .iter()
                        .filter(|&&r| em.is_active(r))
                        .map(|&r| TanStmt::ZeroDot(r)),
                );
                return;
            }
            out.push(TanStmt::JvpCall {
                id,
                call: c,
                args: jvp_args(em, c),
            });
        }
        Stmt::For {
            var, range, body, ..
        } => out.push(TanStmt::For {
            id,
            var: *var,
            range,
            body: nested(em, body, id.inner()),
            primal: body,
        }),
        Stmt::While { cond, body, .. } => out.push(TanStmt::While {
            id,
            cond,
            body: nested(em, body, id.inner()),
        }),
        Stmt::If {
            cond, then, els, ..
        } => {
            let then_ir = nested(em, then, id.inner());
            let els_ir = nested(em, els, id.els(then));
            out.push(TanStmt::If {
                id,
                cond,
                then: then_ir,
                els: els_ir,
            });
        }
        // Kept as in the primal, at its place: it reads the values, never the tangents.
        Stmt::Assert(a) => out.push(TanStmt::Assert { id, assert: a }),
    }
}

/// The arguments of the callee's forward-mode companion for the active call `c`: each primal
/// argument followed by its tangent (zeros for an inactive one).
fn jvp_args(em: &Emitter, c: &Call) -> Vec<TokenStream> {
    let rt = &em.rt;
    let primal = em.primal_args(&c.args);
    let paired = em.paired(c);
    let mut args = Vec::new();
    for (a, p) in c.args.iter().zip(primal) {
        args.push(p);
        match a {
            Arg::Value(e) if e.kind == Kind::Real => {
                args.push(expr(em, e).unwrap_or_else(|| em.zero()));
            }
            Arg::Value(e) => {
                if let Some((v, by_ref)) = em.data_row_arg(e) {
                    args.push(em.data_row(v, by_ref, Some(false)));
                } else if paired {
                    // The unread tangent of an integer or bool for `jvp_paired`.
                    args.push(quote!(()));
                }
            }
            Arg::Array { var, by_ref } => {
                let d = em.dot(*var);
                args.push(if em.is_active(*var) {
                    em.array_arg(*var, *by_ref, &d)
                } else {
                    em.zero_array_arg(*var, *by_ref, false)
                });
            }
            Arg::ArrayMut { var, by_ref } => {
                let d = em.dot(*var);
                let d = if *by_ref {
                    quote!(&mut #d)
                } else {
                    quote!(&mut *#d)
                };
                args.push(em.nested_arg(*var, d, true));
            }
            Arg::Matrix { var, by_ref } => {
                let d = if em.is_active(*var) {
                    em.dot_ref(*var)
                } else {
                    let r = em.var_mat_ref(*var);
                    quote!(&#rt::zeros_like(#r))
                };
                args.push(em.matrix_arg(*var, *by_ref, d));
            }
        }
    }
    args
}

/// The tangents of the result's parts (`None` when the function returns nothing).
fn result(em: &Emitter) -> Option<Vec<TokenStream>> {
    let f = em.f;
    let rt = &em.rt;
    em.result_ty()?;
    let dots = f
        .ret
        .values
        .iter()
        .zip(&f.ret.parts)
        .map(|(v, k)| match (&v.op, k) {
            (_, Kind::Real) => expr(em, v).unwrap_or_else(|| em.zero()),
            (Op::Var(x), _) if em.is_rows(*x) => {
                let d = if em.is_active(*x) {
                    let d = em.dot(*x);
                    quote!(#d)
                } else {
                    let n = em.name(*x);
                    quote!((#rt::zeros_like(&#n)))
                };
                em.rows_result(d)
            }
            (Op::Var(x), _) if em.is_active(*x) => {
                let d = em.dot(*x);
                quote!(#d)
            }
            (Op::Var(x), _) => {
                let n = em.name(*x);
                quote!(#rt::zeros_like(&#n))
            }
            _ => unreachable!("array results are variables"),
        })
        .collect();
    Some(dots)
}

/// The tangent IR of `f_jvp`: the body with its tangents, and the tangent of the result.
pub fn build<'a>(em: &Emitter<'a>) -> TanFunction<'a> {
    let f: &'a Function = em.f;
    TanFunction {
        body: nested(em, &f.body, StmtId::FIRST),
        result: result(em),
    }
}

/// The tangent parameter of `p`, if it has one.
fn dot_param(em: &Emitter, p: &Param) -> Option<TokenStream> {
    let scalar = &em.scalar;
    if !em.is_active(p.var) {
        return None;
    }
    let d = em.dot(p.var);
    let m = p.mutable.then(|| quote!(mut));
    let written = em.var(p.var).kind == Kind::RealArray(ArrayRepr::SliceMut);
    if let Some(ty) = em.rows_ty(p.var, written) {
        return Some(quote!(#d: #ty));
    }
    Some(match &em.var(p.var).kind {
        Kind::Real => {
            let ty = em.real_param_ty(p.var);
            quote!(#m #d: #ty)
        }
        Kind::RealArray(ArrayRepr::Slice) => quote!(#d: &[#scalar]),
        Kind::RealArray(ArrayRepr::SliceMut) => quote!(#d: &mut [#scalar]),
        Kind::RealArray(ArrayRepr::Vec) => quote!(#m #d: ::std::vec::Vec<#scalar>),
        Kind::RealArray(ArrayRepr::Array(n)) => quote!(#m #d: [#scalar; #n]),
        Kind::Matrix => {
            let ty = em.param_ty(p.var);
            quote!(#m #d: #ty)
        }
        _ => return None,
    })
}

/// The forward-mode companion `f_jvp`: its tangent IR, printed.
pub fn function(em: &Emitter, vis: &syn::Visibility) -> TokenStream {
    let f = em.f;
    let name = format_ident!("{}_jvp", f.name);
    let user = &f.name;
    let mut params = Vec::new();
    for p in &f.params {
        params.push(em.primal_param(p));
        params.extend(dot_param(em, p));
    }
    let ir = build(em);
    let body = em.tan_stmts(&ir.body);
    let ret = em.result_ty().map(|t| quote!(-> (#t, #t)));
    let tail = em.tan_tail(ir.result.as_deref());
    let generics = em.generics();
    let import = em.runtime_import();
    let allows = em.allows();
    let checks = em.length_checks(&name, |v| em.dot(v));
    let flatten = em.flatten_rows(Some(&|v| em.dot(v)), false);
    let doc = format!(
        " Forward mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets a tangent `x_dot` after it; returns `(value, tangent of the value)`, and `&mut` arguments receive their values and tangents."
    );
    quote! {
        #[doc = #doc]
        #allows
        #vis fn #name #generics(#(#params),*) #ret {
            #import
            #flatten
            #checks
            #body
            #tail
        }
    }
}

/// The tangent IR of `f_jvp`, printed (see [`crate::ir::tan::print`]), for `TAPELESS_DEBUG=1`
/// and golden tests: the statements in order, each tangent with the tangents it reads, the
/// callees' tangent companions it calls, and the statements that run as the primal only.
///
/// It prints the IR the generator builds and the emitter prints, built again with a fresh
/// emitter.
pub fn describe(f: &Function, active: &IdVec<VarId, bool>) -> String {
    let em = Emitter::new(f, active.clone(), syn::parse_quote!(::tapeless), false);
    let ir = build(&em);
    crate::ir::tan::print(f, &format!("{}_jvp", f.name), &ir)
}

#[cfg(test)]
mod tests {
    //! The tangent IR holds every primal statement once, in order, and the tangents each
    //! tangent statement reads, found in the code it prints, are those the activity analysis
    //! names.

    use super::*;
    use std::collections::BTreeSet;

    const CASES: &[&str] = &[
        "fn f(x: f64, y: f64) -> f64 { let a = x * y; let b = a.sin() + x / y; b * b }",
        "fn g(x: &[f64]) -> f64 { let mut t = 1.0; for i in 0..x.len() { let a = x[i] * 2.0; if a > t { t = t * a; } else { t = t + a.exp(); } } t }",
        "fn two_steps(u: &mut [f64], h: f64) -> f64 { let mut k = vec![0.0; u.len()]; rhs(&mut k, u); for i in 0..u.len() { u[i] = u[i] + h * k[i]; } let mut s = 0.0; for i in 0..u.len() { s = s + u[i].powf(h) * k[i]; } s }",
        "fn quad(a: &DMatrix<f64>, x: &DVector<f64>, u: &[f64], n: usize) -> f64 { let v = DVector::from_column_slice(u); let y = a * x + v.component_mul(x); let mut acc = y.dot(x); for j in 0..n { let c = a.column(j); acc = acc + c.norm() * a[(0, j)]; } acc + y.transpose().sum() }",
    ];

    fn lowered(src: &str) -> (Function, IdVec<VarId, bool>) {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        let active = crate::activity::analyse(&f, None);
        (f, active)
    }

    /// The ids of the primal statements of `stmts`, in order, and every tangent statement.
    fn walk<'a>(stmts: &'a [TanStmt<'a>], ids: &mut Vec<usize>, dots: &mut Vec<&'a Tangent>) {
        for s in stmts {
            match s {
                TanStmt::Let { id, .. }
                | TanStmt::Assign { id, .. }
                | TanStmt::Call { id, .. }
                | TanStmt::Assert { id, .. }
                | TanStmt::JvpCall { id, .. } => ids.push(id.0),
                TanStmt::LetDot { value, .. } | TanStmt::SetDot { value, .. } => dots.push(value),
                TanStmt::ZeroDot(_) => {}
                TanStmt::For { id, body, .. } | TanStmt::While { id, body, .. } => {
                    ids.push(id.0);
                    walk(body, ids, dots);
                }
                TanStmt::If { id, then, els, .. } => {
                    ids.push(id.0);
                    walk(then, ids, dots);
                    walk(els, ids, dots);
                }
            }
        }
    }

    #[test]
    fn every_primal_statement_once_and_tangent_reads_agree_with_the_code() {
        for src in CASES {
            let (f, active) = lowered(src);
            let em = Emitter::new(&f, active.clone(), syn::parse_quote!(::tapeless), false);
            let ir = build(&em);
            let (mut ids, mut dots) = (Vec::new(), Vec::new());
            walk(&ir.body, &mut ids, &mut dots);
            assert_eq!(ids, (0..f.body.size()).collect::<Vec<_>>(), "{src}");
            assert!(!dots.is_empty(), "{src}");
            for t in dots {
                let code = t.tokens.to_string();
                let read: BTreeSet<String> = code
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| w.ends_with("_dot"))
                    .map(str::to_string)
                    .collect();
                let named: BTreeSet<String> = t
                    .reads
                    .iter()
                    .map(|v| format!("{}_dot", f.vars[*v].name))
                    .collect();
                assert_eq!(read, named, "{src}: {code}");
            }
        }
    }
}
