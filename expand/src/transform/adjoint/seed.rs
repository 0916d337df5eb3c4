//! The adjoint of expressions: a seed (the adjoint of an expression's value) accumulated
//! into the adjoints of its operands, by each operation's rule; matrix seeds stay symbolic
//! (`alpha * m`, a broadcast value) until a variable's adjoint accumulates them. The result is
//! statements of the reverse IR (accumulations, temporaries, runtime updates of matrix adjoints)
//! whose values are still tokens, with the primal values they read recorded beside them.

use super::Reverse;
use crate::activity::expr_active;
use crate::emit::Value;
use crate::ir::rev::{RevStmt, Target};
use crate::ir::*;
use crate::rules::{BinaryDeriv, TernaryDeriv, UnaryDeriv};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};

/// The adjoint of a matrix value on its way to the operands: `alpha * m` for a matrix `m`
/// (given as a reference `&M`), or `value` in every element of a matrix shaped like `like`.
/// Scalings and broadcasts stay symbolic until a variable's adjoint accumulates them.
#[derive(Clone)]
pub(super) enum MatrixSeed<'a> {
    Scaled {
        m: TokenStream,
        alpha: Option<Value>,
    },
    Fill {
        like: &'a Expr,
        value: Value,
    },
}

impl<'a> Reverse<'a> {
    /// Accumulates `seed`, the adjoint of `e`'s value, into the adjoints of its operands.
    pub(super) fn expr(&self, e: &'a Expr, seed: Value, out: &mut Vec<RevStmt<'a>>) {
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        if !expr_active(e, active) {
            return;
        }
        let span = e.span;
        if e.kind == Kind::Matrix && !matches!(e.op, Op::Var(_) | Op::Index(..)) {
            unreachable!("matrices have matrix seeds")
        }
        match &e.op {
            Op::Var(v) => out.push(RevStmt::Accumulate {
                target: Target::Var(*v),
                value: seed,
                span,
                write: false,
            }),
            Op::Index(v, i) => {
                self.read(i);
                out.push(RevStmt::Accumulate {
                    target: Target::Index(*v, i),
                    value: seed,
                    span,
                    write: false,
                });
            }
            Op::Unary(u, a) => match u.rule().deriv {
                UnaryDeriv::Negate => self.expr(a, Value::Expr(quote!((-#seed))), out),
                UnaryDeriv::Chain => {
                    let rule = format_ident!("{}", u.name(), span = span);
                    let x = self.primal(a);
                    self.expr(
                        a,
                        Value::Expr(quote_spanned!(span=> (#seed * #rt::rules::#rule(#x)))),
                        out,
                    );
                }
                UnaryDeriv::Zero => {
                    unreachable!("`{}` is inactive: its derivative is zero", u.name())
                }
                UnaryDeriv::None => unreachable!("`{}` has no derivative", u.name()),
            },
            Op::Binary(b, x, y) => self.binary(*b, x, y, seed, span, out),
            Op::Ternary(t, a, b, c) => match t.rule().deriv {
                TernaryDeriv::MulAdd => {
                    let act = [a, b, c].map(|x| expr_active(x, active));
                    let seed = if act.iter().filter(|x| **x).count() > 1 {
                        self.bind_value(seed, out)
                    } else {
                        seed
                    };
                    if act[0] {
                        let bs = self.primal(b);
                        self.expr(a, Value::Expr(quote_spanned!(span=> (#seed * #bs))), out);
                    }
                    if act[1] {
                        let as_ = self.primal(a);
                        self.expr(b, Value::Expr(quote_spanned!(span=> (#seed * #as_))), out);
                    }
                    self.expr(c, seed, out);
                }
            },
            Op::Powi(x, n) => {
                let (xs, ns) = (self.primal(x), self.primal(n));
                self.expr(
                    x,
                    Value::Expr(quote_spanned!(span=> (#seed * #rt::rules::powi(#xs, #ns)))),
                    out,
                );
            }
            Op::Linalg(op, args) => self.linalg_real(op, args, seed, span, out),
            Op::Lit(_)
            | Op::Len(_)
            | Op::Cast(..)
            | Op::ConstCall(..)
            | Op::Path(_)
            | Op::Ref(_)
            | Op::Matches(..)
            | Op::PathIndex(..)
            | Op::Method(..)
            | Op::Field(..)
            | Op::AsReal(_) => {
                unreachable!("inactive operations have no adjoint")
            }
        }
    }

    /// Accumulates `seed`, the adjoint of `x b y`, into the adjoints of `x` and `y` by the
    /// rule of `b`.
    fn binary(
        &self,
        b: Binary,
        x: &'a Expr,
        y: &'a Expr,
        seed: Value,
        span: proc_macro2::Span,
        out: &mut Vec<RevStmt<'a>>,
    ) {
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        let (ax, ay) = (expr_active(x, active), expr_active(y, active));
        let seed = if ax && ay {
            self.bind_value(seed, out)
        } else {
            seed
        };
        // Each operand's value is read only where it is printed.
        let (xs, ys) = (|| self.primal(x), || self.primal(y));
        let deriv = b.rule().deriv;
        match deriv {
            BinaryDeriv::Add => {
                self.expr(x, seed.clone(), out);
                self.expr(y, seed, out);
            }
            BinaryDeriv::Sub => {
                self.expr(x, seed.clone(), out);
                self.expr(y, Value::Expr(quote!((-#seed))), out);
            }
            BinaryDeriv::Product => {
                if ax {
                    let ys = em.times(seed.to_token_stream(), y, ys(), span);
                    self.expr(x, Value::Expr(ys), out);
                }
                if ay {
                    let xs = em.times(seed.to_token_stream(), x, xs(), span);
                    self.expr(y, Value::Expr(xs), out);
                }
            }
            BinaryDeriv::Quotient if !ay => {
                let ys = ys();
                self.expr(x, Value::Expr(quote_spanned!(span=> (#seed / #ys))), out)
            }
            BinaryDeriv::Quotient | BinaryDeriv::Partials => {
                let rule = format_ident!(
                    "{}",
                    if deriv == BinaryDeriv::Quotient {
                        "div"
                    } else {
                        b.name()
                    },
                    span = span
                );
                let p = em.temp("partials");
                let (xs, ys) = (xs(), ys());
                out.push(RevStmt::Bind {
                    name: p.clone(),
                    value: quote_spanned!(span=> #rt::rules::#rule(#xs, #ys)),
                    span: Some(span),
                });
                self.expr(x, Value::Expr(quote_spanned!(span=> (#seed * #p.0))), out);
                self.expr(y, Value::Expr(quote_spanned!(span=> (#seed * #p.1))), out);
            }
            BinaryDeriv::None => unreachable!("`{}` has no derivative", b.name()),
        }
    }

    /// `value` as a name: itself if it is one, else a temporary bound to it.
    pub(super) fn bind_value(&self, value: Value, out: &mut Vec<RevStmt<'a>>) -> Value {
        match value {
            Value::Name(_) => value,
            Value::Expr(e) => {
                let g = self.em.temp("adj");
                out.push(RevStmt::Bind {
                    name: g.clone(),
                    value: e,
                    span: None,
                });
                Value::Name(g)
            }
        }
    }

    /// `seed` scaled by the real `factor`.
    pub(super) fn scale(
        &self,
        seed: &MatrixSeed<'a>,
        factor: Value,
        out: &mut Vec<RevStmt<'a>>,
    ) -> MatrixSeed<'a> {
        match seed {
            MatrixSeed::Scaled { m, alpha } => {
                let alpha = match alpha {
                    Some(a) => Value::Expr(quote!((#a * #factor))),
                    None => factor,
                };
                MatrixSeed::Scaled {
                    m: m.clone(),
                    alpha: Some(self.bind_value(alpha, out)),
                }
            }
            MatrixSeed::Fill { like, value } => MatrixSeed::Fill {
                like,
                value: self.bind_value(Value::Expr(quote!((#value * #factor))), out),
            },
        }
    }

    /// The seed as a matrix `&M` and a real factor (one when absent).
    pub(super) fn split(
        &self,
        seed: &MatrixSeed<'a>,
        out: &mut Vec<RevStmt<'a>>,
    ) -> (TokenStream, Option<Value>) {
        let rt = &self.em.rt;
        match seed {
            MatrixSeed::Scaled { m, alpha } => (m.clone(), alpha.clone()),
            MatrixSeed::Fill { like, value } => {
                let like = self.mat_ref(like);
                let g = self.em.temp("adj");
                out.push(RevStmt::Bind {
                    name: g.clone(),
                    value: quote!(#rt::linalg::filled_like(#like, #value)),
                    span: None,
                });
                (quote!(&#g), None)
            }
        }
    }

    /// The factor of a split seed, one when absent.
    pub(super) fn factor(&self, alpha: &Option<Value>) -> TokenStream {
        let scalar = &self.em.scalar;
        let rt = &self.em.rt;
        match alpha {
            Some(a) => quote!(#a),
            None => quote!(#rt::cst::<#scalar>(1.0)),
        }
    }

    /// `<seed, x>`, a real, for `x` a `&M`.
    pub(super) fn seed_dot(&self, seed: &MatrixSeed<'a>, x: &TokenStream) -> TokenStream {
        match seed {
            MatrixSeed::Scaled { m, alpha: None } => quote!((#m).dot(#x)),
            MatrixSeed::Scaled { m, alpha: Some(a) } => quote!((#a * (#m).dot(#x))),
            MatrixSeed::Fill { value, .. } => quote!((#value * (#x).sum())),
        }
    }

    /// Binds a new matrix given by `value` and seeds `e` with it, scaled by `alpha`.
    pub(super) fn matrix_from(
        &self,
        e: &'a Expr,
        value: TokenStream,
        alpha: Option<Value>,
        out: &mut Vec<RevStmt<'a>>,
    ) {
        let g = self.em.temp("adj");
        out.push(RevStmt::Bind {
            name: g.clone(),
            value,
            span: None,
        });
        let seed = MatrixSeed::Scaled {
            m: quote!(&#g),
            alpha,
        };
        self.matrix(e, seed, out);
    }

    /// Accumulates `seed`, the adjoint of the matrix value of `e`, into the adjoints of its
    /// operands: into a variable's adjoint in place (`ger`, `gemm_tr`, scaled additions), and
    /// through a new matrix for operands that are expressions.
    pub(super) fn matrix(&self, e: &'a Expr, seed: MatrixSeed<'a>, out: &mut Vec<RevStmt<'a>>) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        if !expr_active(e, active) {
            return;
        }
        let span = e.span;
        match &e.op {
            Op::Var(v) => {
                let b = em.bar_mut(*v);
                let code = match seed {
                    MatrixSeed::Scaled { m, alpha: None } => {
                        quote_spanned!(span=> #rt::linalg::accumulate(#b, #m);)
                    }
                    MatrixSeed::Scaled { m, alpha: Some(a) } => {
                        quote_spanned!(span=> #rt::linalg::accumulate_scaled(#b, #m, #a);)
                    }
                    MatrixSeed::Fill { value, .. } => {
                        quote_spanned!(span=> #rt::linalg::accumulate_fill(#b, #value);)
                    }
                };
                out.push(RevStmt::Update { var: *v, code });
            }
            Op::Unary(u, a) => match u.rule().deriv {
                UnaryDeriv::Negate => {
                    let s = self.scale(&seed, Value::Expr(quote!(#rt::cst::<#scalar>(-1.0))), out);
                    self.matrix(a, s, out);
                }
                UnaryDeriv::Chain | UnaryDeriv::Zero | UnaryDeriv::None => {
                    unreachable!("not an operation of matrices")
                }
            },
            Op::Binary(b, x, y) => self.matrix_binary(e, *b, x, y, seed, out),
            Op::Linalg(op, args) => self.matrix_linalg(e, op, args, seed, out),
            Op::Lit(_)
            | Op::Index(..)
            | Op::Len(_)
            | Op::Powi(..)
            | Op::Ternary(..)
            | Op::Cast(..)
            | Op::ConstCall(..)
            | Op::Path(_)
            | Op::Ref(_)
            | Op::Matches(..)
            | Op::PathIndex(..)
            | Op::Method(..)
            | Op::Field(..)
            | Op::AsReal(_) => unreachable!("not a matrix"),
        }
    }

    /// The adjoint of a binary operation of matrices (sums, products, scalings).
    fn matrix_binary(
        &self,
        e: &'a Expr,
        b: Binary,
        x: &'a Expr,
        y: &'a Expr,
        seed: MatrixSeed<'a>,
        out: &mut Vec<RevStmt<'a>>,
    ) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        let span = e.span;
        // A variable's adjoint, accumulated into in place.
        let leaf = |x: &Expr| match &x.op {
            Op::Var(v) => em.is_active(*v).then(|| (*v, em.bar_mut(*v))),
            Op::Lit(_)
            | Op::Index(..)
            | Op::Len(_)
            | Op::Unary(..)
            | Op::Binary(..)
            | Op::Ternary(..)
            | Op::Powi(..)
            | Op::Cast(..)
            | Op::ConstCall(..)
            | Op::Path(_)
            | Op::Ref(_)
            | Op::Matches(..)
            | Op::PathIndex(..)
            | Op::Method(..)
            | Op::Field(..)
            | Op::AsReal(_)
            | Op::Linalg(..) => None,
        };
        let (xm, ym) = (x.kind == Kind::Matrix, y.kind == Kind::Matrix);
        let deriv = b.rule().deriv;
        match deriv {
            BinaryDeriv::Add => {
                self.matrix(x, seed.clone(), out);
                self.matrix(y, seed, out);
            }
            BinaryDeriv::Sub => {
                if expr_active(y, active) {
                    let neg =
                        self.scale(&seed, Value::Expr(quote!(#rt::cst::<#scalar>(-1.0))), out);
                    self.matrix(y, neg, out);
                }
                self.matrix(x, seed, out);
            }
            BinaryDeriv::Product if xm && ym => {
                let (sm, alpha) = self.split(&seed, out);
                let factor = self.factor(&alpha);
                if expr_active(x, active) {
                    let ys = self.mat_ref(y);
                    match leaf(x) {
                            Some((v, b)) => out.push(RevStmt::Update { var: v, code: quote_spanned!(span=> #rt::linalg::mul_adjoint_lhs_acc(#b, #sm, #ys, #factor);) }),
                            None => self.matrix_from(x, quote_spanned!(span=> #rt::linalg::mul_adjoint_lhs(#sm, #ys, #rt::cst::<#scalar>(1.0))), alpha.clone(), out),
                        }
                }
                if expr_active(y, active) {
                    let xs = self.mat_ref(x);
                    match leaf(y) {
                            Some((v, b)) => out.push(RevStmt::Update { var: v, code: quote_spanned!(span=> #rt::linalg::mul_adjoint_rhs_acc(#b, #xs, #sm, #factor);) }),
                            None => self.matrix_from(y, quote_spanned!(span=> #rt::linalg::mul_adjoint_rhs(#xs, #sm, #rt::cst::<#scalar>(1.0))), alpha, out),
                        }
                }
            }
            BinaryDeriv::Product | BinaryDeriv::Quotient => {
                let (m, s) = if xm { (x, y) } else { (y, x) };
                let ss = self.primal_value(s);
                if expr_active(s, active) {
                    let d = self.seed_dot(&seed, &self.mat_ref(m));
                    let g = if deriv == BinaryDeriv::Quotient {
                        quote_spanned!(span=> (-#d / (#ss * #ss)))
                    } else {
                        d
                    };
                    self.expr(s, Value::Expr(g), out);
                }
                let factor = if deriv == BinaryDeriv::Quotient {
                    Value::Expr(quote_spanned!(span=> (#rt::cst::<#scalar>(1.0) / #ss)))
                } else {
                    ss
                };
                let scaled = self.scale(&seed, factor, out);
                self.matrix(m, scaled, out);
            }
            BinaryDeriv::Partials | BinaryDeriv::None => {
                unreachable!("not an operation of matrices")
            }
        }
    }

    /// The adjoint of a matrix-valued nalgebra method.
    fn matrix_linalg(
        &self,
        e: &'a Expr,
        op: &LinOp,
        args: &'a [Expr],
        seed: MatrixSeed<'a>,
        out: &mut Vec<RevStmt<'a>>,
    ) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        let span = e.span;
        let a = &args[0];
        match op {
            LinOp::Transpose => {
                let (sm, alpha) = self.split(&seed, out);
                self.matrix_from(a, quote_spanned!(span=> (#sm).transpose()), alpha, out);
            }
            LinOp::Map { param, body } => {
                // The closure's derivative along `v` times the seed: its tangent.
                let Some(db) = crate::transform::tangent::expr(em, body) else {
                    return;
                };
                let (sm, alpha) = self.split(&seed, out);
                let (v, vd, xs) = (em.name(*param), em.dot(*param), self.mat_ref(a));
                self.matrix_from(
                    a,
                    quote_spanned!(span=> (#xs).zip_map(#sm, |#v: #scalar, #vd: #scalar| #db)),
                    alpha,
                    out,
                );
            }
            LinOp::ComponentMul => {
                let b = &args[1];
                let (sm, alpha) = self.split(&seed, out);
                if expr_active(a, active) {
                    let ys = self.mat_ref(b);
                    self.matrix_from(
                        a,
                        quote_spanned!(span=> (#sm).component_mul(#ys)),
                        alpha.clone(),
                        out,
                    );
                }
                if expr_active(b, active) {
                    let xs = self.mat_ref(a);
                    self.matrix_from(
                        b,
                        quote_spanned!(span=> (#sm).component_mul(#xs)),
                        alpha,
                        out,
                    );
                }
            }
            LinOp::FromSlice(_, order) => {
                let Op::Var(v) = &a.op else {
                    unreachable!("vectors are built from array variables")
                };
                let (sm, alpha) = self.split(&seed, out);
                let (b, factor) = (em.bar(*v), self.factor(&alpha));
                // An array listing the elements row by row takes the seed's transpose, whose
                // storage lists them in that order.
                let sm = match order {
                    SliceOrder::Columns => sm,
                    SliceOrder::Rows => quote_spanned!(span=> &(#sm).transpose()),
                };
                out.push(RevStmt::Update {
                    var: *v,
                    code: quote_spanned!(span=> #rt::linalg::accumulate_into_slice(&mut #b[..], #sm, #factor);),
                });
            }
            LinOp::Column | LinOp::Row => {
                let Op::Var(m) = &a.op else {
                    unreachable!("columns and rows are of variables")
                };
                let (sm, alpha) = self.split(&seed, out);
                let (b, k, factor) = (em.bar_mut(*m), self.primal(&args[1]), self.factor(&alpha));
                let rule = format_ident!("accumulate_{}", op.name());
                out.push(RevStmt::Update {
                    var: *m,
                    code: quote_spanned!(span=> #rt::linalg::#rule(#b, #k, #sm, #factor);),
                });
            }
            LinOp::Dot | LinOp::Sum | LinOp::Norm | LinOp::NormSquared | LinOp::Element => {
                unreachable!("a real, not a matrix")
            }
        }
    }

    /// The adjoint of a real-valued matrix operation for the real `seed`.
    pub(super) fn linalg_real(
        &self,
        op: &LinOp,
        args: &'a [Expr],
        seed: Value,
        span: proc_macro2::Span,
        out: &mut Vec<RevStmt<'a>>,
    ) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let a = &args[0];
        let seed = self.bind_value(seed, out);
        let active = &em.active;
        match op {
            LinOp::Dot => {
                let b = &args[1];
                if expr_active(a, active) {
                    let to_a = MatrixSeed::Scaled {
                        m: self.mat_ref(b),
                        alpha: Some(seed.clone()),
                    };
                    self.matrix(a, to_a, out);
                }
                if expr_active(b, active) {
                    let to_b = MatrixSeed::Scaled {
                        m: self.mat_ref(a),
                        alpha: Some(seed),
                    };
                    self.matrix(b, to_b, out);
                }
            }
            LinOp::Sum => self.matrix(
                a,
                MatrixSeed::Fill {
                    like: a,
                    value: seed,
                },
                out,
            ),
            LinOp::NormSquared => {
                let xs = self.mat_ref(a);
                let alpha = self.bind_value(
                    Value::Expr(quote_spanned!(span=> (#rt::cst::<#scalar>(2.0) * #seed))),
                    out,
                );
                self.matrix(
                    a,
                    MatrixSeed::Scaled {
                        m: xs,
                        alpha: Some(alpha),
                    },
                    out,
                );
            }
            LinOp::Norm => {
                let xs = self.mat_ref(a);
                let alpha = self.bind_value(
                    Value::Expr(quote_spanned!(span=> #rt::linalg::per_norm(#xs, #seed))),
                    out,
                );
                self.matrix(
                    a,
                    MatrixSeed::Scaled {
                        m: xs,
                        alpha: Some(alpha),
                    },
                    out,
                );
            }
            LinOp::Element => {
                let Op::Var(m) = &a.op else {
                    unreachable!("elements are of variables")
                };
                if em.is_active(*m) {
                    let (b, i, j) = (em.bar(*m), self.primal(&args[1]), self.primal(&args[2]));
                    out.push(RevStmt::Update {
                        var: *m,
                        code: quote_spanned!(span=> #b[(#i, #j)] += #seed;),
                    });
                }
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
}
