//! Emission: IR to Rust tokens, shared by the transforms, and the assembly of the companions.
//!
//! [`Emitter`] knows the names of variables and of their tangents and adjoints (`x`, `x_dot`,
//! `x_bar`), prints primal expressions in the scalar type `S` of the generated code (literals
//! become `cst::<S>(..)`, methods become `Real::sin(..)`), and prints the tangent IR and the
//! reverse IR that the transforms build (`emit/tan.rs`, [`crate::ir::tan`]; `emit/rev.rs`,
//! [`crate::ir::rev`]); it holds no transform's state. Every expression is emitted with the span of the user's code, so a type error lands on what
//! the user wrote.
//!
//! Generated names come from [`crate::names`], which keeps them apart from the user's.

mod expr;
mod fill;
mod generics;
mod reserve;
mod rev;
mod rows;
mod tan;

pub use expr::Value;
pub use generics::generic_primal;

use crate::ir::*;
use crate::names::{ident, scalar_name, Names};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use std::cell::RefCell;
use syn::visit_mut::VisitMut;

/// `x` as an `f64` expression. A literal too large for `f64` (`1e309`, allowed by
/// `#[allow(overflowing_literals)]`) is infinite, which no literal token can spell.
fn real_literal(x: f64) -> TokenStream {
    if x.is_finite() {
        proc_macro2::Literal::f64_unsuffixed(x).into_token_stream()
    } else if x.is_nan() {
        quote!(::core::primitive::f64::NAN)
    } else if x > 0.0 {
        quote!(::core::primitive::f64::INFINITY)
    } else {
        quote!(::core::primitive::f64::NEG_INFINITY)
    }
}

/// Shared state of code generation for one function.
pub struct Emitter<'a> {
    /// The lowered function.
    pub f: &'a Function,
    /// Activity of every variable.
    pub active: IdVec<VarId, bool>,
    /// The runtime's private module, as named inside generated functions (see
    /// [`Emitter::runtime_import`]).
    pub rt: TokenStream,
    /// Path to the facade crate.
    pub krate: syn::Path,
    /// Parameters outside `wrt(..)` that the body never writes: they keep their `f64` type in
    /// the companions, so data (observations, forcings) is passed as it is at every scalar type.
    fixed: IdVec<VarId, bool>,
    names: RefCell<Names>,
    /// The stacks whose capacity a loop already reserves (see `emit/reserve.rs`).
    reserved: RefCell<Vec<Ident>>,
    /// Elements summed in a local while a gather's scalar loop prints (see `emit/rev.rs`).
    sums: RefCell<Vec<(VarId, u64, Ident)>>,
    /// The name of the result's adjoint, the seed of the reverse sweep.
    result_bar: Ident,
    /// The scalar type parameter of the companions: `S`, unless the user's function names
    /// something `S` (a type parameter is no local, so hygiene does not set it apart).
    pub scalar: Ident,
}

impl<'a> Emitter<'a> {
    /// A new emitter.
    pub fn new(
        f: &'a Function,
        active: IdVec<VarId, bool>,
        krate: syn::Path,
        wrt_given: bool,
    ) -> Self {
        let written = f.body.writes();
        let mut fixed = IdVec::from_elem(false, f.vars.len());
        if wrt_given {
            for p in &f.params {
                let v = &f.vars[p.var];
                if v.kind.is_real() && !active[p.var] && !written.contains(&p.var) {
                    fixed[p.var] = true;
                }
            }
        }
        let (names, result_bar) = Names::new(f);
        let scalar = scalar_name(&f.idents);
        Emitter {
            f,
            active,
            fixed,
            rt: quote!(__tl),
            krate,
            names: RefCell::new(names),
            reserved: RefCell::new(Vec::new()),
            sums: RefCell::new(Vec::new()),
            result_bar,
            scalar,
        }
    }

    /// Whether `v` is a parameter kept as `f64` data (see [`Emitter::new`]).
    pub fn is_fixed(&self, v: VarId) -> bool {
        self.fixed[v]
    }

    /// Whether `v` carries a derivative.
    pub fn is_active(&self, v: VarId) -> bool {
        self.active[v]
    }

    /// The variable's record.
    pub fn var(&self, v: VarId) -> &Var {
        &self.f.vars[v]
    }

    /// Whether `v` is a parameter of the function.
    pub fn is_param(&self, v: VarId) -> bool {
        self.f.params.iter().any(|p| p.var == v)
    }

    /// Whether `v` is a parameter taken by reference (`w: &DMatrix<f64>`).
    fn is_ref_param(&self, v: VarId) -> bool {
        self.is_param(v) && matches!(self.var(v).ty, Some(syn::Type::Reference(_)))
    }

    /// A matrix operand as a reference `&M`, which nalgebra's operators take without moving
    /// anything: `w` for a reference parameter, `&h` for an owned value, `&(expr)` for an
    /// expression, lifted into the scalar type for `f64` data.
    pub fn mat_ref(&self, e: &Expr) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        match &e.op {
            Op::Var(v) if self.is_fixed(*v) => {
                let n = self.name(*v);
                let r = if self.is_ref_param(*v) {
                    quote!(#n)
                } else {
                    quote!(&#n)
                };
                quote_spanned!(e.span=> &#rt::linalg::lift::<#scalar, _, _, _>(#r))
            }
            Op::Var(v) if self.is_ref_param(*v) => self.name(*v).into_token_stream(),
            Op::Var(v) => {
                let n = self.name(*v);
                quote_spanned!(e.span=> &#n)
            }
            _ => {
                let p = self.primal(e);
                quote_spanned!(e.span=> &(#p))
            }
        }
    }

    /// Matrix variable `v` as a reference (see [`Emitter::mat_ref`]).
    pub fn var_mat_ref(&self, v: VarId) -> TokenStream {
        self.mat_ref(&Expr {
            op: Op::Var(v),
            kind: Kind::Matrix,
            span: self.var(v).span,
        })
    }

    /// The tangent of matrix variable `v` as a reference.
    pub fn dot_ref(&self, v: VarId) -> TokenStream {
        let d = self.dot(v);
        if self.is_ref_param(v) {
            quote!(#d)
        } else {
            quote!(&#d)
        }
    }

    /// The adjoint of matrix variable `v` as a shared reference.
    pub fn bar_ref(&self, v: VarId) -> TokenStream {
        let b = self.bar(v);
        if self.is_param(v) {
            quote!(&*#b)
        } else {
            quote!(&#b)
        }
    }

    /// The adjoint of matrix variable `v` as a mutable reference, to accumulate into.
    pub fn bar_mut(&self, v: VarId) -> TokenStream {
        let b = self.bar(v);
        if self.is_param(v) {
            quote!(&mut *#b)
        } else {
            quote!(&mut #b)
        }
    }

    /// The owned type of a matrix parameter or result, in `S` (`&DMatrix<f64>` gives
    /// `DMatrix<S>`).
    pub fn matrix_ty(&self, ty: &syn::Type) -> TokenStream {
        match ty {
            syn::Type::Reference(r) => self.ty(&r.elem),
            ty => self.ty(ty),
        }
    }

    /// The variable's name in generated code: the user's, in the user's syntax context.
    pub fn name(&self, v: VarId) -> Ident {
        ident(&self.var(v).name, self.var(v).span)
    }

    /// The name of its tangent, `x_dot`, in the macro's own syntax context.
    pub fn dot(&self, v: VarId) -> Ident {
        Names::derived(&self.var(v).name, "dot", self.var(v).span)
    }

    /// The name of its adjoint, `x_bar`, in the macro's own syntax context.
    pub fn bar(&self, v: VarId) -> Ident {
        Names::derived(&self.var(v).name, "bar", self.var(v).span)
    }

    /// A fresh internal name, `__{base}{n}`, in the macro's own syntax context.
    pub fn temp(&self, base: &str) -> Ident {
        self.names.borrow_mut().temp(base)
    }

    /// A fresh internal name `base` (or `base{n}` when taken), in the macro's own syntax context.
    pub fn fresh(&self, base: &str) -> Ident {
        self.names.borrow_mut().fresh(base, Span::call_site())
    }

    /// Starts the generation of another companion (see [`Names::begin_function`]).
    pub fn begin_function(&self) {
        self.names.borrow_mut().begin_function()
    }

    /// The name of the seed of the result's adjoint: `result_bar`, unless a variable named
    /// `result` has taken it as its own adjoint's name.
    pub fn result_bar(&self) -> Ident {
        self.result_bar.clone()
    }

    /// Zero in the scalar type.
    pub fn zero(&self) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        quote!(#rt::cst::<#scalar>(0.0))
    }

    /// `ty` with `f64` replaced by the scalar type `S`.
    pub fn ty(&self, ty: &syn::Type) -> TokenStream {
        struct ToS<'a>(&'a Ident);
        impl VisitMut for ToS<'_> {
            fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
                if p.qself.is_none() && p.path.is_ident("f64") {
                    let mut scalar = self.0.clone();
                    scalar.set_span(p.path.segments[0].ident.span());
                    p.path = scalar.into();
                } else {
                    syn::visit_mut::visit_type_path_mut(self, p);
                }
            }
        }
        let mut ty = ty.clone();
        ToS(&self.scalar).visit_type_mut(&mut ty);
        ty.into_token_stream()
    }

    /// The type of a value of kind `kind` (for results), in `S`.
    pub fn kind_ty(&self, kind: &Kind) -> TokenStream {
        let scalar = &self.scalar;
        match kind {
            Kind::Real => quote!(#scalar),
            Kind::RealArray(ArrayRepr::Vec) => quote!(::std::vec::Vec<#scalar>),
            Kind::RealArray(ArrayRepr::Array(n)) => quote!([#scalar; #n]),
            Kind::RealArray(ArrayRepr::Slice) => quote!(&[#scalar]),
            Kind::RealArray(ArrayRepr::SliceMut) => quote!(&mut [#scalar]),
            Kind::Int | Kind::Bool | Kind::Opaque | Kind::Matrix => {
                unreachable!("results are real; matrices have their written type")
            }
        }
    }

    /// The type of component `k` of the result, in `S`.
    pub fn result_part_ty(&self, k: usize) -> TokenStream {
        let ret = &self.f.ret;
        match (&ret.parts[k], ret.tys.get(k)) {
            (Kind::Matrix, Some(Some(ty))) => self.matrix_ty(ty),
            // An array of arrays, held flat: returned in its nested shape.
            (_, Some(Some(ty))) if self.result_rows(k).is_some() => self.ty(ty),
            (kind, _) => self.kind_ty(kind),
        }
    }

    /// The result type of the generated primal, in `S` (empty for `()`).
    pub fn result_ty(&self) -> Option<TokenStream> {
        let ret = &self.f.ret;
        match (ret.parts.len(), ret.tuple) {
            (0, _) => None,
            (_, false) => Some(self.result_part_ty(0)),
            _ => {
                let parts = (0..ret.parts.len()).map(|k| self.result_part_ty(k));
                Some(quote!((#(#parts,)*)))
            }
        }
    }

    /// A `let` initialiser, in the scalar type `S`.
    pub fn init(&self, init: &Init) -> TokenStream {
        match init {
            Init::Expr(e) => self.primal(e),
            Init::VecFill { value, len } => {
                let (v, n) = (self.primal(value), self.primal(len));
                quote!(::std::vec![#v; #n])
            }
            Init::ArrayFill { value, len } => {
                let v = self.primal(value);
                quote!([#v; #len])
            }
            Init::ArrayList(es) => {
                let es = es.iter().map(|e| self.primal(e));
                quote!([#(#es),*])
            }
            Init::VecList(es) => {
                let es = es.iter().map(|e| self.primal(e));
                quote!(::std::vec![#(#es),*])
            }
            Init::CopyOf(v) => self.copy_of(*v, &self.name(*v)),
        }
    }

    /// An owned copy of array `v` (named `name`): `.to_vec()` of a slice, `.clone()` otherwise.
    pub fn copy_of(&self, v: VarId, name: &Ident) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        if self.is_fixed(v) {
            return quote!(#rt::lift::<#scalar>(&#name[..]));
        }
        match self.var(v).kind {
            Kind::RealArray(ArrayRepr::Slice | ArrayRepr::SliceMut) => quote!(#name.to_vec()),
            _ => quote!(#name.clone()),
        }
    }

    /// The iterator of a loop, forwards.
    pub fn range(&self, r: &Range) -> TokenStream {
        let (a, b) = (self.primal(&r.start), self.primal(&r.end));
        let mut it = if r.inclusive {
            quote!((#a..=#b))
        } else {
            quote!((#a..#b))
        };
        for ad in &r.adaptors {
            it = match ad {
                Adaptor::Rev => quote!(#it.rev()),
                Adaptor::StepBy(k) => {
                    let k = self.primal(k);
                    quote!(#it.step_by(#k))
                }
            };
        }
        it
    }

    /// `let [mut] name` for a binding of `v`.
    pub fn binding(&self, v: VarId) -> TokenStream {
        let name = self.name(v);
        if self.var(v).mutable {
            quote!(mut #name)
        } else {
            quote!(#name)
        }
    }

    /// A call's arguments in primal form.
    pub fn primal_args(&self, args: &[Arg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| match a {
                Arg::Value(e) => match self.data_row_arg(e) {
                    Some((v, by_ref)) => self.data_row(v, by_ref, None),
                    None => self.primal(e),
                },
                Arg::Array { var, by_ref } => self.array_arg(*var, *by_ref, &self.name(*var)),
                Arg::ArrayMut { var, by_ref } => {
                    let n = self.name(*var);
                    let arg = if *by_ref {
                        quote!(&mut #n)
                    } else {
                        quote!(&mut *#n)
                    };
                    self.nested_arg(*var, arg, true)
                }
                Arg::Matrix { var, by_ref } => {
                    self.matrix_arg(*var, *by_ref, self.var_mat_ref(*var))
                }
            })
            .collect()
    }

    /// A matrix argument given as a reference `r`: passed as a reference where the user's code
    /// passes one (`&h`, or a reference parameter `w`), else as an owned copy.
    pub fn matrix_arg(&self, var: VarId, by_ref: bool, r: TokenStream) -> TokenStream {
        if by_ref || self.is_ref_param(var) {
            r
        } else {
            quote!((#r).clone())
        }
    }

    /// An array argument read by the callee: `&v`, a slice `v`, or a copy of a `Vec` or array
    /// passed by value (the caller keeps its own for the reverse sweep), flat.
    pub(super) fn flat_array_arg(&self, var: VarId, by_ref: bool, name: &Ident) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        if self.is_fixed(var) && *name == self.name(var) {
            // `f64` data, lifted into the scalar type for the callee.
            return match (&self.var(var).kind, by_ref) {
                (Kind::RealArray(ArrayRepr::Array(_)), false) => {
                    quote!(::core::array::from_fn(|__k| #rt::cst::<#scalar>(#name[__k])))
                }
                (Kind::RealArray(ArrayRepr::Vec), false) => {
                    quote!(#rt::lift::<#scalar>(&#name[..]))
                }
                (Kind::RealArray(ArrayRepr::Array(_)), true) => {
                    quote!(&#rt::lift_in::<#scalar, _>(&#name)[..])
                }
                // Borrowed: lifted only for a callee that differentiates it.
                _ => quote!(&#rt::DataSlice::<#scalar>::new(&#name[..])),
            };
        }
        match (&self.var(var).kind, by_ref) {
            (_, true) => quote!(&#name),
            (Kind::RealArray(ArrayRepr::Vec), false) => quote!(#name.clone()),
            _ => quote!(#name),
        }
    }

    /// The pattern binding a call's results.
    pub fn call_results(&self, c: &Call, name: impl Fn(VarId) -> Ident) -> TokenStream {
        let results: Vec<TokenStream> = c
            .results
            .iter()
            .map(|&r| {
                let n = name(r);
                if self.var(r).mutable {
                    quote!(mut #n)
                } else {
                    quote!(#n)
                }
            })
            .collect();
        if c.tuple {
            quote!((#(#results,)*))
        } else {
            quote!(#(#results)*)
        }
    }

    /// The primal body: the user's function in the scalar type `S`.
    pub fn primal_block(&self, b: &Block) -> TokenStream {
        self.primal_filled(&b.stmts)
    }

    pub(crate) fn primal_stmt(&self, s: &Stmt) -> TokenStream {
        match s {
            Stmt::Let { var, init, span } => {
                let (b, init) = (self.binding(*var), self.init(init));
                quote_spanned!(*span=> let #b = #init;)
            }
            Stmt::Assign { place, value, span } => {
                let v = self.primal(value);
                self.write(place, v, *span)
            }
            Stmt::Call(c) => {
                let callee = self.companion(&c.callee, "generic");
                let args = self.primal_args(&c.args);
                if c.results.is_empty() {
                    quote_spanned!(c.span=> #callee(#(#args),*);)
                } else {
                    let pat = self.call_results(c, |r| self.name(r));
                    let value = self.rows_call_value(c, quote!(#callee(#(#args),*)));
                    quote_spanned!(c.span=> let #pat = #value;)
                }
            }
            Stmt::For {
                var,
                range,
                body,
                span,
            } => {
                if let Some(peeled) =
                    crate::transform::adjoint::peeled_primal(self, *var, range, body)
                {
                    return peeled;
                }
                let (i, r, body) = (self.name(*var), self.range(range), self.primal_block(body));
                quote_spanned!(*span=> for #i in #r { #body })
            }
            Stmt::Assert(a) => self.assert(a),
            Stmt::While {
                cond, body, span, ..
            } => {
                let (c, body) = (self.primal(cond), self.primal_block(body));
                quote_spanned!(*span=> while #c { #body })
            }
            Stmt::If {
                cond,
                then,
                els,
                span,
            } => {
                let (c, t) = (self.primal(cond), self.primal_block(then));
                if els.stmts.is_empty() {
                    quote_spanned!(*span=> if #c { #t })
                } else {
                    let e = self.primal_block(els);
                    quote_spanned!(*span=> if #c { #t } else { #e })
                }
            }
        }
    }

    /// A kept assertion, `assert!(cond, "..", args)`: the values it compares or prints are
    /// those of the primal; reals as `f64` (a dual number compares and prints its value).
    pub fn assert(&self, a: &Assert) -> TokenStream {
        let rt = &self.rt;
        let value = |e: &Expr| {
            let t = self.primal(e);
            if e.kind == Kind::Real {
                quote_spanned!(e.span=> #rt::Real::to_f64(#t))
            } else {
                t
            }
        };
        let operands = a.operands.iter().map(value);
        let mac = &a.mac;
        match &a.message {
            // The message std would print for the user's condition, not for the generated one.
            None if a.operands.len() == 1 => {
                let written = &a.written;
                quote_spanned!(a.span=> #mac!(#(#operands),*, "assertion failed: {}", #written);)
            }
            None => quote_spanned!(a.span=> #mac!(#(#operands),*);),
            Some((format, args)) => {
                let args = args.iter().map(value);
                quote_spanned!(a.span=> #mac!(#(#operands,)* #format #(, #args)*);)
            }
        }
    }

    /// An assignable place (a push is written by [`Emitter::write`]).
    pub fn place(&self, p: &Place) -> TokenStream {
        match p {
            Place::Var(v) => self.name(*v).into_token_stream(),
            Place::Index(v, i) => {
                let (v, i) = (self.name(*v), self.primal(i));
                quote!(#v[#i])
            }
            Place::Push(v, i) => {
                let (v, i) = (self.name(*v), self.primal(i));
                quote!(#v[#i])
            }
        }
    }

    /// `place = value;`, or `v.push(value);` for a push.
    pub fn write(&self, p: &Place, value: TokenStream, span: Span) -> TokenStream {
        match p {
            Place::Push(v, _) => {
                let v = self.name(*v);
                quote_spanned!(span=> #v.push(#value);)
            }
            _ => {
                let p = self.place(p);
                quote_spanned!(span=> #p = #value;)
            }
        }
    }

    /// The result values, as the primal returns them.
    pub fn result_value(&self) -> TokenStream {
        let ret = &self.f.ret;
        let values: Vec<TokenStream> = ret
            .values
            .iter()
            .map(|e| match &e.op {
                // The result variable is not used again.
                Op::Var(v) if e.kind == Kind::Matrix => self.name(*v).into_token_stream(),
                Op::Var(v) if self.is_rows(*v) => {
                    let n = self.name(*v);
                    self.rows_result(quote!(#n))
                }
                _ => self.primal(e),
            })
            .collect();
        if ret.tuple {
            quote!((#(#values,)*))
        } else {
            quote!(#(#values)*)
        }
    }

    /// The generated function's parameters in primal form (`x: S`, `u: &[S]`, `n: usize`).
    pub fn primal_param(&self, p: &Param) -> TokenStream {
        let name = self.name(p.var);
        let ty = self.param_ty(p.var);
        if p.mutable {
            quote!(mut #name: #ty)
        } else {
            quote!(#name: #ty)
        }
    }

    /// A parameter's type in the companions: the user's, with `f64` replaced by `S` unless the
    /// parameter is `f64` data (a real one outside `wrt(..)`, or an opaque one: arrays of
    /// arrays of reals, read as `f64` and converted where used as reals).
    pub fn param_ty(&self, v: VarId) -> TokenStream {
        let ty = self.var(v).ty.as_ref().expect("parameters have types");
        if self.is_fixed(v) || self.var(v).kind == Kind::Opaque {
            quote!(#ty)
        } else if let Some(rows) =
            self.rows_ty(v, self.var(v).kind == Kind::RealArray(ArrayRepr::SliceMut))
        {
            // Also `&[[f64; K]; N]`, `&Vec<[f64; K]>`: callers pass views (`nested_arg`).
            rows
        } else {
            self.ty(ty)
        }
    }

    /// The type of a real parameter that is a struct's field passed bare (`__tl::Sent<..>`, see
    /// `structs::ints`), at the scalar: its tangent and adjoint have it too; `None` for others.
    pub fn sent_ty(&self, v: VarId) -> Option<TokenStream> {
        let var = self.var(v);
        let ty = var.ty.as_ref()?;
        (var.kind == Kind::Real && crate::structs::ints::is_sent(ty)).then(|| self.ty(ty))
    }

    /// The type of a real parameter's tangent and adjoint: the scalar, or its [`Self::sent_ty`].
    pub fn real_param_ty(&self, v: VarId) -> TokenStream {
        self.sent_ty(v)
            .unwrap_or_else(|| self.scalar.to_token_stream())
    }

    /// Whether `c` passes a field at its declared type ([`Self::sent_ty`]): it calls the
    /// callee's `jvp_paired` / `rev_paired`, each integer or bool argument followed by an
    /// unread `()` for its tangent or adjoint.
    pub fn paired(&self, c: &Call) -> bool {
        c.args.iter().any(
            |a| matches!(a, Arg::Value(Expr { op: Op::Var(v), .. }) if self.sent_ty(*v).is_some()),
        )
    }

    /// The callee's forward companion `c` calls: `jvp`, or `jvp_paired` ([`Self::paired`]).
    pub fn jvp_of(&self, c: &Call) -> &'static str {
        if self.paired(c) {
            "jvp_paired"
        } else {
            "jvp"
        }
    }

    /// The callee's reverse companion `c` calls: `rev`, or `rev_paired` ([`Self::paired`]).
    pub fn rev_of(&self, c: &Call) -> &'static str {
        if self.paired(c) {
            "rev_paired"
        } else {
            "rev"
        }
    }

    /// The adjoint `bar` of an argument active in the caller, passed to a callee's reverse
    /// companion as `__tl::active(bar)` spanned at the user's argument: a callee that leaves its
    /// parameter outside `wrt(..)` refuses it (`OutsideWrt`), and rustc reports that at the
    /// span of the argument expression, which the generated adjoint's own (hygienic) name does
    /// not have. (`__tl` is imported at the call site's span, which the user's code shares.)
    pub fn at_argument(&self, span: Span, bar: TokenStream) -> TokenStream {
        quote_spanned!(span=> __tl::active(#bar))
    }

    /// The import at the top of every generated body: `use ::tapeless::__private as __tl;`,
    /// so generated code names the runtime briefly and hygienically.
    pub fn runtime_import(&self) -> TokenStream {
        let krate = &self.krate;
        quote!(use #krate::__private as __tl;)
    }

    /// Entry checks that each tangent or adjoint array (named by `companion_name`, e.g. `x_bar`)
    /// has the length of its value, for the companion `function`.
    pub fn length_checks(
        &self,
        function: &Ident,
        companion_name: impl Fn(VarId) -> Ident,
    ) -> TokenStream {
        let rt = &self.rt;
        let mut out = TokenStream::new();
        let fname = function.to_string();
        for p in &self.f.params {
            if !self.is_active(p.var) {
                continue;
            }
            if let Kind::RealArray(ArrayRepr::Slice | ArrayRepr::SliceMut | ArrayRepr::Vec) =
                self.var(p.var).kind
            {
                let (n, c) = (self.name(p.var), companion_name(p.var));
                let (ns, cs) = (n.to_string(), c.to_string());
                out.extend(quote!(#rt::check_len(#fname, #cs, #c.len(), #ns, #n.len());));
            }
            if self.var(p.var).kind == Kind::Matrix {
                let (n, c) = (self.name(p.var), companion_name(p.var));
                let (ns, cs) = (n.to_string(), c.to_string());
                out.extend(
                    quote!(#rt::linalg::check_shape(#fname, #cs, #c.shape(), #ns, #n.shape());),
                );
            }
        }
        out
    }

    /// The lints generated code silences, and why: the reverse sweep declares `mut` bindings it
    /// may not restore, inactive parameters go unused, a `let` given by an `if` starts with a
    /// placeholder, expressions keep the parentheses of the IR, and clippy's style advice is
    /// for people, not for generated code.
    pub fn allows(&self) -> TokenStream {
        quote!(#[allow(unused_mut, unused_variables, unused_assignments, unused_parens, clippy::all)])
    }
}

/// `rhs = Name`: a unit struct implementing `tapeless::ode::Rhs` by calling the companions of
/// `fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64)` (lowering checked the signature and
/// that no `wrt(..)` is given).
pub fn rhs_impl(em: &Emitter, vis: &syn::Visibility, name: &Ident) -> TokenStream {
    let f = em.f;
    let krate = &em.krate;
    // The reverse-only companion: an integrator has the stages' values already, and `du` is
    // scratch for it.
    let (generic, jvp, vjp) = (
        format_ident!("{}_generic", f.name),
        format_ident!("{}_jvp", f.name),
        format_ident!("__{}_rev", f.name),
    );
    let user = &f.name;
    // The lengths it works with, from the constant indices its body uses.
    let length = |n: crate::dims::Needed| match n {
        crate::dims::Needed::Exactly(n) => quote!(#krate::ode::Length::Exactly(#n)),
        crate::dims::Needed::AtLeast(n) => quote!(#krate::ode::Length::AtLeast(#n)),
        crate::dims::Needed::Any => quote!(#krate::ode::Length::Any),
    };
    let needed = |k: usize| crate::dims::needed(f, f.params[k].var);
    let state = length(crate::dims::state(needed(0), needed(1)));
    let parameters = length(needed(2));
    let vjp_state = crate::adapters::vjp_state_method(
        krate,
        needed(2),
        |p_bar| quote!(#vjp(du, du_bar, u, u_bar, p, #p_bar, t, &mut t_bar)),
    );
    let krate_path = quote!(#krate).to_string().replace(' ', "");
    let doc = format!(" The right-hand side [`{user}`] as a [`Rhs`]({krate_path}::ode::Rhs) with its tangent ([`RhsJvp`]({krate_path}::ode::RhsJvp)) and adjoint ([`RhsVjp`]({krate_path}::ode::RhsVjp)), generated by `#[differentiable(rhs = {name})]`.");
    quote! {
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

        // The struct is how this function is used: the reference keeps `dead_code` quiet.
        const _: fn(&mut [f64], &[f64], &[f64], f64) = #user;

        impl #krate::ode::Rhs for #name {
            #[inline]
            fn dims(&self) -> #krate::ode::RhsDims {
                #krate::ode::RhsDims::new(#state, #parameters)
            }

            // Forwarders, always inlined, so the integrator calls the companion itself, which
            // is inlined into its stage loop (`companions::inline_for_integrators`).
            #[inline(always)]
            fn eval<S: #krate::Real>(&self, du: &mut [S], u: &[S], p: &[S], t: S) {
                #generic(du, u, p, t)
            }
        }

        impl #krate::ode::RhsJvp for #name {
            #[inline(always)]
            fn jvp<S: #krate::Real>(&self, (du, du_dot): (&mut [S], &mut [S]), (u, u_dot): (&[S], &[S]), (p, p_dot): (&[S], &[S]), t: S) {
                #jvp(du, du_dot, u, u_dot, p, p_dot, t, #krate::__private::cst::<S>(0.0))
            }
        }

        impl #krate::ode::RhsVjp for #name {
            #[inline(always)]
            fn vjp<S: #krate::Real>(&self, (du, du_bar): (&mut [S], &mut [S]), (u, u_bar): (&[S], &mut [S]), (p, p_bar): (&[S], &mut [S]), t: S) {
                // Time is not differentiated by integrators.
                let mut t_bar = #krate::__private::cst::<S>(0.0);
                #vjp(du, du_bar, u, u_bar, p, p_bar, t, &mut t_bar)
            }

            #vjp_state
        }
    }
}
