//! Expressions in the generated code: the primal of every operation of the IR, in the scalar
//! type `S` (the syntax of elementary operations from the rule table), and [`Value`]s, the
//! names and expressions the transforms pass around.

use super::{real_literal, Emitter};
use crate::ir::*;
use crate::rules::Syntax;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};

impl Emitter<'_> {
    /// The primal value of `e` as a [`Value`]: a name for a variable that [`Emitter::primal`]
    /// prints as its plain name, else the expression.
    pub fn primal_value(&self, e: &Expr) -> Value {
        match &e.op {
            Op::Var(v) if e.kind != Kind::Matrix && !self.is_fixed(*v) => {
                Value::Name(self.name(*v))
            }
            _ => Value::Expr(self.primal(e)),
        }
    }

    /// `v[i]` read in the primal: a fixed array's element made a constant of the scalar type,
    /// a row of a table of rows of varying lengths (`obs: &[Vec<f64>]`, data) borrowed.
    fn index(&self, e: &Expr, v: VarId, i: &Expr) -> TokenStream {
        let (scalar, rt, span) = (&self.scalar, &self.rt, e.span);
        let (name, i) = (self.name(v), self.primal(i));
        if self.is_fixed(v) {
            quote_spanned!(span=> #rt::cst::<#scalar>(#name[#i]))
        } else if e.kind == Kind::Opaque
            && self
                .var(v)
                .ty
                .as_ref()
                .is_some_and(crate::lower::borrowed_rows)
        {
            quote_spanned!(span=> &#name[#i])
        } else {
            quote_spanned!(span=> #name[#i])
        }
    }

    /// A primal expression, in the scalar type `S`.
    pub fn primal(&self, e: &Expr) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        let span = e.span;
        match &e.op {
            Op::Lit(Literal::Real(x)) => {
                let lit = real_literal(*x);
                quote_spanned!(span=> #rt::cst::<#scalar>(#lit))
            }
            Op::Lit(Literal::Other(l)) => quote_spanned!(span=> #l),
            Op::Var(_) if e.kind == Kind::Matrix => {
                // An owned copy: the variable stays available to the reverse sweep.
                let r = self.mat_ref(e);
                quote_spanned!(span=> (#r).clone())
            }
            Op::Var(v) if self.is_fixed(*v) => {
                let v = self.name(*v);
                quote_spanned!(span=> #rt::cst::<#scalar>(#v))
            }
            Op::Var(v) => self.name(*v).into_token_stream(),
            Op::Index(v, i) => self.index(e, *v, i),
            // A fixed-size array's length is its type's `N`: printed so, it reads no binding, so
            // a reverse loop over a local array declared in a branch or a loop body (whose
            // adjoint is `[0; N]`, see `emit/rev.rs::zero_like`) needs no saved copy of it.
            Op::Len(v) => match &self.var(*v).kind {
                Kind::RealArray(ArrayRepr::Array(len)) if len.is_known() => {
                    quote_spanned!(span=> (#len as usize))
                }
                _ => {
                    let v = self.name(*v);
                    quote_spanned!(span=> #v.len())
                }
            },
            // A matrix negation prints its operand once, as a reference: printing it twice (once
            // unused) doubled the work at every level of `-(-(..))`.
            Op::Unary(Unary::Neg, inner) if e.kind == Kind::Matrix => {
                let a = self.mat_ref(inner);
                quote_spanned!(span=> (-#a))
            }
            Op::Unary(u, inner) => self.unary(*u, inner, span),
            Op::Binary(b, x, y) => self.binary(e, *b, x, y),
            Op::Ternary(t, a, b, c) => {
                let m = format_ident!("{}", t.name(), span = span);
                let (a, b, c) = (self.primal(a), self.primal(b), self.primal(c));
                quote_spanned!(span=> #rt::Real::#m(#a, #b, #c))
            }
            Op::Powi(x, n) => {
                let (x, n) = (self.primal(x), self.primal(n));
                quote_spanned!(span=> #rt::Real::powi(#x, #n))
            }
            Op::Cast(x, ty) => {
                let xs = self.primal(x);
                match (&e.kind, &x.kind) {
                    (Kind::Real, _) => quote_spanned!(span=> #rt::cst::<#scalar>((#xs) as f64)),
                    (_, Kind::Real) => quote_spanned!(span=> (#rt::Real::to_f64(#xs) as #ty)),
                    _ => quote_spanned!(span=> ((#xs) as #ty)),
                }
            }
            Op::ConstCall(path, args) if e.kind == Kind::Matrix => {
                self.matrix_constant(path, args, span)
            }
            Op::ConstCall(path, args) => {
                let args = args.iter().map(|a| {
                    let t = self.primal(a);
                    if a.kind == Kind::Real {
                        quote_spanned!(a.span=> #rt::Real::to_f64(#t))
                    } else {
                        t
                    }
                });
                quote_spanned!(span=> #path(#(#args),*))
            }
            Op::Path(p) => quote_spanned!(span=> #p),
            Op::Ref(v) => {
                let v = self.name(*v);
                quote_spanned!(span=> &#v)
            }
            Op::Matches(_, pat) if matches!(**pat, syn::Pat::Wild(_)) => {
                quote_spanned!(span=> true)
            }
            Op::Matches(v, pat) => self.matches(*v, pat, span),
            Op::AsReal(a) => {
                let a = self.primal(a);
                quote_spanned!(span=> #rt::real_constant::<#scalar>(#a))
            }
            Op::PathIndex(p, i) => {
                let i = self.primal(i);
                quote_spanned!(span=> #p[#i])
            }
            Op::Field(a, k) => {
                let k = syn::Index { index: *k, span };
                match &a.op {
                    Op::Var(_) | Op::Index(..) => {
                        let a = self.primal(a);
                        quote_spanned!(span=> #a.#k)
                    }
                    _ => {
                        let a = self.primal(a);
                        quote_spanned!(span=> (#a).#k)
                    }
                }
            }
            Op::Method(a, m, args) => {
                let a = match (&a.op, &a.kind) {
                    // A matrix's shape, `m.nrows()`, read from the matrix, not from a copy.
                    (Op::Var(v), Kind::Matrix) => self.name(*v).into_token_stream(),
                    _ => {
                        let a = self.primal(a);
                        quote!((#a))
                    }
                };
                let args = args.iter().map(|x| self.primal(x));
                quote_spanned!(span=> #a.#m(#(#args),*))
            }
            Op::Linalg(op, args) => self.linalg(op, args, span),
        }
    }

    /// A unary operation on a real: a prefix operator or a method of the scalar type.
    fn unary(&self, u: Unary, inner: &Expr, span: Span) -> TokenStream {
        let rt = &self.rt;
        let a = self.primal(inner);
        match u.rule().syntax {
            Syntax::Prefix(op) => {
                let op = operator(op, span);
                quote_spanned!(span=> (#op #a))
            }
            Syntax::Method(m) => {
                let m = format_ident!("{}", m, span = span);
                quote_spanned!(span=> #rt::Real::#m(#a))
            }
            Syntax::Infix(op) => unreachable!("`{op}` takes two operands"),
        }
    }

    /// `matches!(v, pat)`, as a `match` rather than `matches!`, whose pattern fragment refuses
    /// `..=x`; a real is matched by its primal value (patterns are `f64` literals and ranges).
    fn matches(&self, v: VarId, pat: &syn::Pat, span: Span) -> TokenStream {
        let rt = &self.rt;
        let kind = &self.var(v).kind;
        let v = self.name(v);
        if *kind == Kind::Real {
            quote_spanned!(span=> match #rt::Real::to_f64(#v) { #pat => true, _ => false })
        } else {
            quote_spanned!(span=> match #v { #pat => true, _ => false })
        }
    }

    /// A binary operation: an operator or a method of the scalar type (of nalgebra for
    /// matrices).
    fn binary(&self, e: &Expr, b: Binary, x: &Expr, y: &Expr) -> TokenStream {
        let rt = &self.rt;
        let span = e.span;
        if e.kind == Kind::Matrix {
            let op: TokenStream = b.name().parse().expect("an operator");
            match (x.kind == Kind::Matrix, y.kind == Kind::Matrix) {
                // Products through the runtime, which picks kernels for the scalar type.
                (true, true) if b == Binary::Mul => {
                    let (xs, ys) = (self.mat_ref(x), self.mat_ref(y));
                    quote_spanned!(span=> #rt::linalg::mul(#xs, #ys))
                }
                (true, true) => {
                    let (xs, ys) = (self.mat_ref(x), self.mat_ref(y));
                    quote_spanned!(span=> (#xs #op #ys))
                }
                // nalgebra multiplies a matrix by a scalar on the right only, at a generic
                // scalar type.
                (true, false) => {
                    let (xs, ys) = (self.mat_ref(x), self.primal(y));
                    quote_spanned!(span=> (#xs #op #ys))
                }
                (false, _) => {
                    let (xs, ys) = (self.primal(x), self.mat_ref(y));
                    quote_spanned!(span=> (#ys * #xs))
                }
            }
        } else {
            let (xs, ys) = (self.primal(x), self.primal(y));
            if b.is_method() {
                let m = format_ident!("{}", b.name(), span = span);
                if e.kind == Kind::Real {
                    quote_spanned!(span=> #rt::Real::#m(#xs, #ys))
                } else {
                    // Integers, or constants whose type is not visible: the method of
                    // whatever type they have.
                    quote_spanned!(span=> (#xs).#m(#ys))
                }
            } else if let Some((z, c)) = self.scaled(e, b, (x, xs.clone()), (y, ys.clone())) {
                quote_spanned!(span=> #rt::Real::mul_constant(#z, #c))
            } else {
                let op: TokenStream = b.name().parse().expect("an operator");
                quote_spanned!(span=> (#xs #op #ys))
            }
        }
    }

    /// A product of reals by a constant, as `(the other factor, the constant)`: printed as
    /// `Real::mul_constant`, which a dual number does in one multiplication per lane (a product
    /// of duals would also multiply by the constant's zero tangent and add). The constant is
    /// the right factor when both are.
    fn scaled(
        &self,
        e: &Expr,
        b: Binary,
        (x, xs): (&Expr, TokenStream),
        (y, ys): (&Expr, TokenStream),
    ) -> Option<(TokenStream, TokenStream)> {
        let real = |e: &Expr| e.kind == Kind::Real;
        if b != Binary::Mul || !real(e) || !real(x) || !real(y) {
            None
        } else if self.constant(y) {
            Some((xs, ys))
        } else if self.constant(x) {
            Some((ys, xs))
        } else {
            None
        }
    }

    /// `z * factor` for the real `factor`, with `factor_tokens` its printed value:
    /// `Real::mul_constant` when the factor is a constant (see [`Emitter::constant`]). Tangents
    /// and adjoints of products scale by the other factor so.
    pub(crate) fn times(
        &self,
        z: TokenStream,
        factor: &Expr,
        factor_tokens: TokenStream,
        span: Span,
    ) -> TokenStream {
        let rt = &self.rt;
        if factor.kind == Kind::Real && self.constant(factor) {
            quote_spanned!(span=> #rt::Real::mul_constant(#z, #factor_tokens))
        } else {
            quote_spanned!(span=> (#z * #factor_tokens))
        }
    }

    /// Whether the real `e` carries no derivative by construction at every scalar type: a
    /// literal, data outside `wrt(..)` lifted into the scalar type, or arithmetic of those
    /// (their tangents are exact zeros, so `mul_constant` by them drops only `x * 0`).
    pub(crate) fn constant(&self, e: &Expr) -> bool {
        match &e.op {
            Op::Lit(Literal::Real(_)) | Op::AsReal(_) => true,
            Op::Var(v) | Op::Index(v, _) => e.kind == Kind::Real && self.is_fixed(*v),
            Op::Unary(Unary::Neg, a) => self.constant(a),
            Op::Binary(Binary::Add | Binary::Sub | Binary::Mul | Binary::Div, a, c) => {
                e.kind == Kind::Real && self.constant(a) && self.constant(c)
            }
            _ => false,
        }
    }

    /// A matrix operation, in the scalar type `S`, with nalgebra's own methods where they
    /// exist at any scalar type (the values are those of the user's `f64` function, bit for bit).
    fn linalg(&self, op: &LinOp, args: &[Expr], span: proc_macro2::Span) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        if let LinOp::FromSlice(ty, order) = op {
            let Op::Var(v) = &args[0].op else {
                unreachable!("vectors are built from array variables")
            };
            let n = self.name(*v);
            let values = if self.is_fixed(*v) {
                quote!(&#rt::lift::<#scalar>(&#n[..])[..])
            } else {
                quote!(&#n[..])
            };
            let dims: Vec<TokenStream> = args[1..].iter().map(|d| self.primal(d)).collect();
            return self.vector_of_slice(ty, *order, &dims, values, span);
        }
        let a = self.mat_ref(&args[0]);
        match op {
            LinOp::Transpose => quote_spanned!(span=> (#a).transpose()),
            LinOp::Map { param, body } => {
                let (v, b) = (self.name(*param), self.primal(body));
                quote_spanned!(span=> (#a).map(|#v: #scalar| #b))
            }
            LinOp::ComponentMul => {
                let b = self.mat_ref(&args[1]);
                quote_spanned!(span=> (#a).component_mul(#b))
            }
            LinOp::Dot => {
                let b = self.mat_ref(&args[1]);
                quote_spanned!(span=> (#a).dot(#b))
            }
            LinOp::Sum => quote_spanned!(span=> (#a).sum()),
            LinOp::Norm => quote_spanned!(span=> #rt::linalg::norm(#a)),
            LinOp::NormSquared => quote_spanned!(span=> #rt::linalg::norm_squared(#a)),
            LinOp::FromSlice(..) => unreachable!("built above"),
            LinOp::Column | LinOp::Row => {
                let (m, k) = (format_ident!("{}", op.name()), self.primal(&args[1]));
                quote_spanned!(span=> (#a).#m(#k).into_owned())
            }
            LinOp::Element => {
                let (i, j) = (self.primal(&args[1]), self.primal(&args[2]));
                let Op::Var(m) = &args[0].op else {
                    unreachable!("elements are of variables")
                };
                let m = self.name(*m);
                if self.is_fixed_expr(&args[0]) {
                    quote_spanned!(span=> #rt::cst::<#scalar>(#m[(#i, #j)]))
                } else {
                    quote_spanned!(span=> #m[(#i, #j)])
                }
            }
        }
    }

    /// A matrix made at the scalar type, `DVector::zeros(n)`: its type's `f64` is `S`.
    fn matrix_constant(&self, path: &syn::Path, args: &[Expr], span: Span) -> TokenStream {
        let mut ty = path.clone();
        let name = ty
            .segments
            .pop()
            .expect("a type and a function")
            .into_value()
            .ident;
        let mut last = ty.segments.pop().expect("a type").into_value();
        // `DVector::zeros(n)` at the scalar type, `DVector::<S>::zeros(n)`: a reverse sweep may
        // save an element of it before anything else says what its elements are.
        if last.arguments.is_empty() && element_type_only(&last.ident.to_string()) {
            last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(::<f64>));
        }
        ty.segments.push(last);
        let ty = self.ty(&syn::Type::Path(syn::TypePath {
            qself: None,
            path: ty,
        }));
        let args = args.iter().map(|a| self.primal(a));
        quote_spanned!(span=> #ty::#name(#(#args),*))
    }

    /// `T::from_column_slice(dims.., values)` (or `from_row_slice`, by `order`; `dims` the
    /// rows and columns of a `DMatrix`, else none), with `f64` in the type's path replaced by `S`.
    pub fn vector_of_slice(
        &self,
        ty: &syn::Path,
        order: SliceOrder,
        dims: &[TokenStream],
        values: TokenStream,
        span: proc_macro2::Span,
    ) -> TokenStream {
        let ty: syn::Type = syn::Type::Path(syn::TypePath {
            qself: None,
            path: ty.clone(),
        });
        let ty = self.ty(&ty);
        let constructor = format_ident!("{}", order.constructor());
        quote_spanned!(span=> #ty::#constructor(#(#dims,)* #values))
    }

    fn is_fixed_expr(&self, e: &Expr) -> bool {
        matches!(e.op, Op::Var(v) if self.is_fixed(v))
    }
}

/// The tokens of an operator, spanned at the user's expression.
fn operator(op: &str, span: proc_macro2::Span) -> TokenStream {
    let tokens: TokenStream = op.parse().expect("an operator");
    tokens
        .into_iter()
        .map(|mut t| {
            t.set_span(span);
            t
        })
        .collect()
}

/// A generated value: a plain name, which can be used any number of times, or an expression,
/// which is bound to a name before it is used twice. The adjoint's seeds and factors are values,
/// so it never re-parses tokens to learn which they are.
#[derive(Clone, Debug)]
pub enum Value {
    /// A name (a variable, an adjoint, a temporary).
    Name(Ident),
    /// Any other expression.
    Expr(TokenStream),
}

impl ToTokens for Value {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Value::Name(n) => n.to_tokens(tokens),
            Value::Expr(e) => e.to_tokens(tokens),
        }
    }
}

/// Whether `name` is a nalgebra type whose one generic parameter is the element type
/// (`DVector<T>`, `Matrix3<T>`; not `SVector<T, N>`): written without it, `DVector::zeros(n)`,
/// it is made at the scalar type.
fn element_type_only(name: &str) -> bool {
    crate::lower::nalgebra::MATRIX_TYPES.contains(&name)
        && !matches!(name, "SVector" | "SMatrix" | "RowSVector")
}
