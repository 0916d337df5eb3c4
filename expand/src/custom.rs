//! Custom derivative rules, as JAX's `custom_jvp`/`custom_vjp` and ChainRules' `rrule`:
//! `#[differentiable(custom(jvp = f_tangent, vjp = f_adjoint))]` on a function the macro does not
//! look into (an external solver, a table lookup, a LAPACK call).
//!
//! The user's rules have the signatures of the companions they stand for, generic over the
//! scalar `S: Real` (so that Hessian-vector products run them at dual numbers; a rule written at
//! `f64` only is a type error at its name):
//!
//! ```text
//! fn f(x: f64, u: &[f64], n: usize) -> f64             the function, any Rust
//! fn f_tangent<S: Real>(x: S, x_dot: S, u: &[S], u_dot: &[S], n: usize) -> (S, S)
//! fn f_adjoint<S: Real>(x: S, x_bar: &mut S, u: &[S], u_bar: &mut [S], n: usize, result_bar: S) -> S
//! ```
//!
//! (`f_adjoint` adds `J^T result_bar` into the adjoints and returns the value). From them the
//! macro generates the companions a generated function has, with the same names and signatures
//! (`f_generic`, `f_jvp`, `f_vjp`, `__f_rev`, `__f_args`, `f_grad` and the path companions
//! `f::jvp`, ..), so annotated code calls `f` like any other annotated function. `f_generic`
//! is the function itself when it is generic over its scalar (`fn f<S: Real>`), else the value
//! part of the tangent rule at zero tangents.
//!
//! Parameters are reals (`f64`, `&[f64]`, `[f64; N]`), differentiated, and values of other
//! types (integers, bools, ..), copied. The result is `f64`, `[f64; N]` or `Vec<f64>`. A rule
//! returns its results: `&mut` parameters are refused.

use crate::attr::{Args, Custom};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, Type};

/// How a parameter enters the companions.
enum ParamKind {
    /// `f64`.
    Real,
    /// `&[f64]`.
    Slice,
    /// `[f64; N]`.
    Array(syn::Expr),
    /// A value of another type, copied.
    Other(Type),
}

/// How the result leaves them.
enum ResultKind {
    Real,
    Array(syn::Expr),
    Vec,
}

struct Param {
    name: syn::Ident,
    kind: ParamKind,
}

const REAL_TYPES: &str =
    "a function with custom rules takes `f64`, `&[f64]` or `[f64; N]` reals (and values of other types, copied)";

fn is_f64(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("f64"))
}

fn mentions_f64(ty: &Type) -> bool {
    quote!(#ty)
        .to_string()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64")
}

fn param_kind(ty: &Type) -> syn::Result<ParamKind> {
    match ty {
        _ if is_f64(ty) => Ok(ParamKind::Real),
        Type::Reference(r) if r.mutability.is_some() && mentions_f64(&r.elem) => Err(syn::Error::new_spanned(
            r,
            "a function with custom rules returns its results: take `&[f64]` and return a `Vec<f64>` or an array instead of writing into `&mut`",
        )),
        Type::Reference(r) => match &*r.elem {
            Type::Slice(s) if is_f64(&s.elem) => Ok(ParamKind::Slice),
            elem if mentions_f64(elem) => Err(syn::Error::new_spanned(ty, REAL_TYPES)),
            _ => Ok(ParamKind::Other(ty.clone())),
        },
        Type::Array(a) if is_f64(&a.elem) => Ok(ParamKind::Array(a.len.clone())),
        Type::Paren(p) => param_kind(&p.elem),
        _ if mentions_f64(ty) => Err(syn::Error::new_spanned(ty, REAL_TYPES)),
        _ => Ok(ParamKind::Other(ty.clone())),
    }
}

fn result_kind(sig: &syn::Signature) -> syn::Result<ResultKind> {
    let advice = "a function with custom rules returns `f64`, `[f64; N]` or `Vec<f64>`";
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return Err(syn::Error::new_spanned(&sig.ident, advice));
    };
    match &**ty {
        t if is_f64(t) => Ok(ResultKind::Real),
        Type::Array(a) if is_f64(&a.elem) => Ok(ResultKind::Array(a.len.clone())),
        Type::Path(p)
            if p.qself.is_none()
                && p.path.segments.len() == 1
                && p.path.segments[0].ident == "Vec"
                && matches!(&p.path.segments[0].arguments, syn::PathArguments::AngleBracketed(a)
                    if a.args.len() == 1 && matches!(&a.args[0], syn::GenericArgument::Type(t) if is_f64(t))) =>
        {
            Ok(ResultKind::Vec)
        }
        t => Err(syn::Error::new_spanned(t, advice)),
    }
}

/// The parameters of `plain` (the function at `f64`), or every mistake in them.
fn params(plain: &ItemFn) -> syn::Result<Vec<Param>> {
    let mut cx = crate::ctxt::Ctxt::new();
    let mut out = Vec::new();
    for input in &plain.sig.inputs {
        let syn::FnArg::Typed(t) = input else {
            cx.push(syn::Error::new_spanned(input, "custom rules are for free functions: take the value as a parameter instead of `self`"));
            continue;
        };
        let syn::Pat::Ident(p) = &*t.pat else {
            cx.push(syn::Error::new_spanned(
                &t.pat,
                "name the parameter: `x: f64`",
            ));
            continue;
        };
        match param_kind(&t.ty) {
            Ok(kind) => out.push(Param {
                name: syn::ext::IdentExt::unraw(&p.ident),
                kind,
            }),
            Err(e) => cx.push(e),
        }
    }
    cx.check().map(|()| out)
}

/// The expansion of `#[differentiable(custom(..))] func`.
pub fn expand(func: &ItemFn, args: &Args, rule: &Custom) -> syn::Result<TokenStream> {
    let mut cx = crate::ctxt::Ctxt::new();
    if args.wrt.is_some() || !args.patterns.is_empty() {
        cx.push(syn::Error::new(rule.span, "custom rules differentiate every real parameter: remove `wrt(..)`, or write the rules of the pattern you want"));
    }
    if args.rhs.is_some() || args.gradient.is_some() {
        cx.push(syn::Error::new(rule.span, "`rhs = ..` and `gradient = ..` are generated from a body the macro reads: with custom rules, implement the trait by hand with your rules"));
    }
    if !args.constants.is_empty() {
        cx.push(syn::Error::new(rule.span, "`constants(..)` is for bodies the macro reads: remove it, the body of a function with custom rules is not differentiated"));
    }
    let generic = crate::generic::is_generic(func);
    let plain = crate::generic::at_f64(func)?;
    if !plain.sig.generics.params.is_empty() {
        cx.push(syn::Error::new_spanned(&plain.sig.generics, "a function with custom rules has no generic parameters but its scalar: `fn f<S: Real>(..)` or `fn f(..)` at `f64`"));
    }
    let params = params(&plain).map_err(|e| cx.push(e)).ok();
    let result = result_kind(&plain.sig).map_err(|e| cx.push(e)).ok();
    cx.check()?;
    let (Some(params), Some(result)) = (params, result) else {
        // Each `None` pushed its error, which `check` returned.
        return Ok(quote!(#func));
    };
    let gen = Companions {
        func,
        krate: &args.krate,
        rule,
        params,
        result,
        generic,
    };
    let items = gen.items();
    let path = crate::companions::path_companions(&func.sig.ident, &func.vis, &items, generic)?;
    let generated = crate::same_configuration(&func.attrs, quote!(#items #path));
    Ok(quote! {
        #func
        #generated
    })
}

struct Companions<'a> {
    func: &'a ItemFn,
    krate: &'a syn::Path,
    rule: &'a Custom,
    params: Vec<Param>,
    result: ResultKind,
    generic: bool,
}

impl Companions<'_> {
    fn scalar(&self) -> TokenStream {
        quote!(S)
    }

    fn ty(&self, kind: &ParamKind) -> TokenStream {
        let s = self.scalar();
        match kind {
            ParamKind::Real => quote!(#s),
            ParamKind::Slice => quote!(&[#s]),
            ParamKind::Array(n) => quote!([#s; #n]),
            ParamKind::Other(t) => quote!(#t),
        }
    }

    fn bar_ty(&self, kind: &ParamKind) -> Option<TokenStream> {
        let s = self.scalar();
        match kind {
            ParamKind::Real => Some(quote!(&mut #s)),
            ParamKind::Slice | ParamKind::Array(_) => Some(quote!(&mut [#s])),
            ParamKind::Other(_) => None,
        }
    }

    fn result_ty(&self) -> TokenStream {
        let s = self.scalar();
        match &self.result {
            ResultKind::Real => quote!(#s),
            ResultKind::Array(n) => quote!([#s; #n]),
            ResultKind::Vec => quote!(::std::vec::Vec<#s>),
        }
    }

    fn result_bar_ty(&self) -> TokenStream {
        let s = self.scalar();
        match &self.result {
            ResultKind::Real => quote!(#s),
            ResultKind::Array(_) | ResultKind::Vec => quote!(&[#s]),
        }
    }

    // Generated names live in the macro's syntax context, so that a parameter the user names
    // `x_dot`, `result_bar` or `value` cannot collide with them.
    fn dot(p: &Param) -> syn::Ident {
        hygienic(&format!("{}_dot", p.name))
    }

    fn bar(p: &Param) -> syn::Ident {
        hygienic(&format!("{}_bar", p.name))
    }

    /// `x: S, x_dot: S, ..` (`tangents`) or `x: S, ..`.
    fn primal_params(&self) -> Vec<TokenStream> {
        self.params
            .iter()
            .map(|p| {
                let (n, t) = (&p.name, self.ty(&p.kind));
                quote!(#n: #t)
            })
            .collect()
    }

    fn jvp_params(&self) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for p in &self.params {
            let (n, t) = (&p.name, self.ty(&p.kind));
            out.push(quote!(#n: #t));
            if !matches!(p.kind, ParamKind::Other(_)) {
                let d = Self::dot(p);
                out.push(quote!(#d: #t));
            }
        }
        out
    }

    fn vjp_params(&self) -> Vec<TokenStream> {
        let mut out = Vec::new();
        for p in &self.params {
            let (n, t) = (&p.name, self.ty(&p.kind));
            out.push(quote!(#n: #t));
            if let Some(bt) = self.bar_ty(&p.kind) {
                let b = Self::bar(p);
                out.push(quote!(#b: #bt));
            }
        }
        let (rb, rb_name) = (self.result_bar_ty(), hygienic("result_bar"));
        out.push(quote!(#rb_name: #rb));
        out
    }

    fn names(&self, with: impl Fn(&Param) -> Option<syn::Ident>) -> Vec<syn::Ident> {
        let mut out = Vec::new();
        for p in &self.params {
            out.push(p.name.clone());
            if !matches!(p.kind, ParamKind::Other(_)) {
                if let Some(extra) = with(p) {
                    out.push(extra);
                }
            }
        }
        out
    }

    /// A call of the user's rule, spanned at its name in the attribute so that a rule with the
    /// wrong signature is a type error there.
    fn call_rule(&self, rule: &syn::Path, args: &[TokenStream]) -> TokenStream {
        let span = rule.span();
        quote_spanned!(span=> #rule(#(#args),*))
    }

    fn items(&self) -> TokenStream {
        let user = &self.func.sig.ident;
        let vis = &self.func.vis;
        let krate = self.krate;
        let (generic_name, jvp, vjp, rev, args_name, grad) = (
            format_ident!("{}_generic", user),
            format_ident!("{}_jvp", user),
            format_ident!("{}_vjp", user),
            format_ident!("__{}_rev", user),
            format_ident!("__{}_args", user),
            format_ident!("{}_grad", user),
        );
        let allows = quote!(#[allow(unused_mut, unused_variables, clippy::all)]);
        let s = self.scalar();
        let bound = quote!(<#s: #krate::Real>);
        let ret = self.result_ty();
        let primal = self.primal_params();
        let jvp_params = self.jvp_params();
        let vjp_params = self.vjp_params();
        // The primal: the user's function when generic, else the tangent rule at zero tangents.
        let generic_body = if self.generic {
            let names = self.params.iter().map(|p| &p.name);
            quote!(#user(#(#names),*))
        } else {
            let mut args = Vec::new();
            for p in &self.params {
                let n = &p.name;
                args.push(quote!(#n));
                match &p.kind {
                    ParamKind::Real => args.push(quote!(#krate::__private::cst::<#s>(0.0))),
                    ParamKind::Slice => {
                        args.push(quote!(&#krate::__private::zeros::<#s>(#n.len())[..]))
                    }
                    ParamKind::Array(len) => {
                        args.push(quote!([#krate::__private::cst::<#s>(0.0); #len]))
                    }
                    ParamKind::Other(_) => {}
                }
            }
            let call = self.call_rule(&self.rule.jvp, &args);
            quote!(#call.0)
        };
        let jvp_args: Vec<TokenStream> = self
            .names(|p| Some(Self::dot(p)))
            .iter()
            .map(|n| quote!(#n))
            .collect();
        let jvp_call = self.call_rule(&self.rule.jvp, &jvp_args);
        let mut vjp_args: Vec<TokenStream> = self
            .names(|p| Some(Self::bar(p)))
            .iter()
            .map(|n| quote!(#n))
            .collect();
        let rb_name = hygienic("result_bar");
        vjp_args.push(quote!(#rb_name));
        let vjp_call = self.call_rule(&self.rule.vjp, &vjp_args);
        let arrays = self.params.iter().map(|p| {
            let array = matches!(p.kind, ParamKind::Slice | ParamKind::Array(_));
            quote!((#array, false))
        });
        let n_params = self.params.len();
        let doc_generic = format!(
            " [`{user}`] at any scalar type `S`, generated by `#[differentiable(custom(..))]`."
        );
        let doc_jvp = format!(" Forward mode of [`{user}`]: its custom tangent rule, generated by `#[differentiable(custom(..))]`.");
        let doc_vjp = format!(" Reverse mode of [`{user}`]: its custom adjoint rule, generated by `#[differentiable(custom(..))]`.");
        let grad_fn =
            matches!(self.result, ResultKind::Real).then(|| self.grad(&grad, &vjp, &bound));
        // The rules' signatures, said first: a rule of another signature (one written at
        // `f64` only, say) is a type error naming the signature it needs.
        let jvp_tys = self.jvp_params().into_iter().map(|p| param_ty(&p));
        let vjp_tys: Vec<TokenStream> = self.vjp_params().iter().map(param_ty).collect();
        let (jvp_rule, vjp_rule) = (&self.rule.jvp, &self.rule.vjp);
        let jvp_sig =
            quote_spanned!(jvp_rule.span()=> let _: fn(#(#jvp_tys),*) -> (#ret, #ret) = #jvp_rule;);
        let vjp_sig =
            quote_spanned!(vjp_rule.span()=> let _: fn(#(#vjp_tys),*) -> #ret = #vjp_rule;);
        quote! {
            const _: () = {
                #[allow(dead_code)]
                fn signatures #bound() {
                    #jvp_sig
                    #vjp_sig
                }
            };
            #[doc = #doc_generic]
            #allows
            #vis fn #generic_name #bound(#(#primal),*) -> #ret {
                #generic_body
            }
            #[doc = #doc_jvp]
            #allows
            #vis fn #jvp #bound(#(#jvp_params),*) -> (#ret, #ret) {
                #jvp_call
            }
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #args_name: [(bool, bool); #n_params] = [#(#arrays),*];
            #[doc = #doc_vjp]
            #allows
            #vis fn #vjp #bound(#(#vjp_params),*) -> #ret {
                #vjp_call
            }
            #[doc(hidden)]
            #allows
            #vis fn #rev #bound(#(#vjp_params),*) {
                let _ = #vjp_call;
            }
            #grad_fn
        }
    }

    /// `f_grad`: value and gradient, as a generated function's.
    fn grad(&self, grad: &syn::Ident, vjp: &syn::Ident, bound: &TokenStream) -> TokenStream {
        let user = &self.func.sig.ident;
        let vis = &self.func.vis;
        let krate = self.krate;
        let s = self.scalar();
        let primal = self.primal_params();
        let mut zeros = Vec::new();
        let mut args = Vec::new();
        let mut parts = Vec::new();
        let mut tys = Vec::new();
        for p in &self.params {
            let n = &p.name;
            args.push(quote!(#n));
            let b = Self::bar(p);
            match &p.kind {
                ParamKind::Real => {
                    zeros.push(quote!(let mut #b = #krate::__private::cst::<#s>(0.0);));
                    args.push(quote!(&mut #b));
                    tys.push(quote!(#s));
                }
                ParamKind::Slice | ParamKind::Array(_) => {
                    zeros.push(quote!(let mut #b = #krate::__private::zeros::<#s>(#n.len());));
                    args.push(quote!(&mut #b[..]));
                    tys.push(quote!(::std::vec::Vec<#s>));
                }
                ParamKind::Other(_) => continue,
            }
            parts.push(b);
        }
        args.push(quote!(#krate::__private::cst::<#s>(1.0)));
        let value = hygienic("value");
        let (gradient, gradient_ty) = if parts.len() == 1 {
            (quote!(#(#parts)*), quote!(#(#tys)*))
        } else {
            (quote!((#(#parts),*)), quote!((#(#tys),*)))
        };
        let doc = format!(" Value and gradient of [`{user}`] by its custom adjoint rule, generated by `#[differentiable(custom(..))]`.");
        quote! {
            #[doc = #doc]
            #[allow(unused_mut, clippy::all)]
            #vis fn #grad #bound(#(#primal),*) -> (#s, #gradient_ty) {
                #(#zeros)*
                let #value = #vjp(#(#args),*);
                (#value, #gradient)
            }
        }
    }
}

/// A generated local, in the macro's own syntax context.
fn hygienic(name: &str) -> syn::Ident {
    syn::Ident::new(name, proc_macro2::Span::mixed_site())
}

/// The type of a parameter `name: ty`.
fn param_ty(param: &TokenStream) -> TokenStream {
    match syn::parse2::<syn::PatType>(param.clone()) {
        Ok(p) => {
            let ty = p.ty;
            quote!(#ty)
        }
        Err(_) => quote!(_),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn companions_state_the_rules_signatures_and_refuse_writes() {
        let out = crate::differentiable(
            quote::quote!(custom(jvp = t, vjp = a)),
            quote::quote!(
                fn f(x: f64, u: &[f64], n: usize) -> f64 {
                    x
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("let _ : fn (S , S , & [S] , & [S] , usize) -> (S , S) = t ;"),
            "{out}"
        );
        assert!(
            out.contains("let _ : fn (S , & mut S , & [S] , & mut [S] , usize , S) -> S = a ;"),
            "{out}"
        );
        let out = crate::differentiable(
            quote::quote!(custom(jvp = t, vjp = a)),
            quote::quote!(
                fn f(u: &mut [f64]) -> f64 {
                    u[0]
                }
            ),
        )
        .to_string();
        assert!(out.contains("returns its results"), "{out}");
    }
}
