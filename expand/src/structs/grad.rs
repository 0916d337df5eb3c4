//! `f_grad` of a function with struct parameters: the user-level `f_vjp` called with zero
//! adjoints and a unit seed.
//!
//! The wrapper calls the struct layer's own `f_vjp` rather than the flattened function's
//! gradient, so a struct passed whole to a callee (`rk4(u, p)`, `self.rhs(u)`) needs nothing of
//! its own: `f_vjp` already gathers the callee's adjoint of the struct and the body's adjoints
//! of its fields into `p_bar`. Before/after, for `fn cost(p: &Params, x: &[f64]) -> f64`:
//!
//! ```text
//! fn cost_grad<S>(p: &Params<S>, x: &[S]) -> (S, (Params<S>, Vec<S>)) {
//!     let mut p_bar = Struct::zero_like(p);
//!     let mut x_bar = zeros_like(&x[..]);
//!     let value = cost_vjp(p, &mut p_bar, x, &mut x_bar[..], cst::<S>(1.0));
//!     (value, (p_bar, x_bar))
//! }
//! ```

use super::flatten::Param;
use super::wrap::{base_name, forward, groups, internal, Ctx, Group};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};

/// A zero adjoint for a plain parameter named `name` whose adjoint parameter has type `ty`
/// (`&mut S`, `&mut [S]`, `&mut Matrix<..>`): the local's setup, the argument, the gradient
/// entry's type.
fn plain_zero(
    cx: &Ctx,
    name: &TokenStream,
    bar: &syn::Ident,
    ty: &syn::Type,
) -> syn::Result<(TokenStream, TokenStream, TokenStream)> {
    let krate = cx.krate;
    let scalar = &cx.scalar;
    let syn::Type::Reference(r) = ty else {
        return Err(internal("an adjoint parameter not taken by `&mut`"));
    };
    Ok(match &*r.elem {
        // Arrays' adjoints are slices; their gradients `Vec`s, as the pipeline's `f_grad`.
        syn::Type::Slice(sl) => {
            let elem = &sl.elem;
            (
                quote!(let mut #bar = #krate::__private::zeros_like(&#name[..]);),
                quote!(&mut #bar[..]),
                quote!(::std::vec::Vec<#elem>),
            )
        }
        elem if elem.to_token_stream().to_string() == scalar.to_string() => (
            quote!(let mut #bar = #krate::__private::cst::<#scalar>(0.0);),
            quote!(&mut #bar),
            quote!(#scalar),
        ),
        // A matrix, taken by value or by reference: `Borrow` reaches it either way.
        elem => (
            quote! {
                let mut #bar: #elem = #krate::__private::zeros_like(
                    ::core::borrow::Borrow::<#elem>::borrow(&#name),
                );
            },
            quote!(&mut #bar),
            quote!(#elem),
        ),
    })
}

/// The gradient's parameters, result type and body: `grad` is the flattened function's
/// gradient (what the pipeline decided has one: a real result, no written arrays), `vjp` the
/// flattened reverse companion, `vjp_name` the user-level one it is called through.
pub(super) fn gradient(
    cx: &Ctx,
    grad: &syn::ItemFn,
    vjp: &syn::ItemFn,
    params: &[Param],
    vjp_call: &TokenStream,
) -> syn::Result<(Vec<TokenStream>, TokenStream, TokenStream)> {
    let krate = cx.krate;
    let scalar = &cx.scalar;
    let g = groups(&grad.sig, params)?;
    let v = groups(&vjp.sig, params)?;
    let inputs = forward(cx, &g, "").inputs;
    let syn::ReturnType::Type(_, ret) = &grad.sig.output else {
        return Err(internal("gradient without result"));
    };
    let syn::Type::Tuple(pair) = &**ret else {
        return Err(internal("gradient result not a pair"));
    };
    let Some(value_ty) = pair.elems.first() else {
        return Err(internal("gradient result not a pair"));
    };
    // Generated locals in the macro's syntax context: a parameter the user calls `x_bar` or
    // `value` is not shadowed by them.
    let local = |s: String| syn::Ident::new(&s, Span::mixed_site());
    let mut setup = TokenStream::new();
    let mut args = Vec::new();
    let mut results = Vec::new();
    let mut result_tys = Vec::new();
    for (k, group) in v.iter().enumerate() {
        match group {
            Group::Plain { value, extra } if k < params.len() => {
                let (_, name) = super::wrap::plain_input(&value.pat);
                args.push(name.clone());
                if let Some(e) = extra {
                    let bar = local(format!("{}_bar", value.name));
                    let (set, arg, ty) = plain_zero(cx, &name, &bar, &e.pat.ty)?;
                    setup.extend(set);
                    args.push(arg);
                    results.push(quote!(#bar));
                    result_tys.push(ty);
                }
            }
            // The seed of the real result.
            Group::Plain { .. } => args.push(quote!(#krate::__private::cst::<#scalar>(1.0))),
            Group::Struct {
                param,
                fields,
                whole,
            } => {
                let base = base_name(param);
                // At the attribute's span, as the wrappers' struct types are: a struct that is
                // not annotated gets the trait's one error there, not a second on `self`.
                // (`set_span` keeps a raw name raw: `r#x`.)
                let mut arg = base.clone();
                arg.set_span(Span::call_site());
                args.push(quote!(#arg));
                // A struct outside `wrt(..)` has no adjoint in `f_vjp` (`wrap::forward`).
                let active = !param.constant
                    && (matches!(whole, Some(Some(_))) || fields.iter().any(|f| f.2.is_some()));
                if active {
                    let bar = local(format!("{}_bar", syn::ext::IdentExt::unraw(&base)));
                    setup.extend(quote!(let mut #bar = #krate::Struct::zero_like(#base);));
                    args.push(quote!(&mut #bar));
                    results.push(quote!(#bar));
                    let s = cx.struct_scalar(fields, whole);
                    result_tys.push(cx.struct_ty(param, &s));
                }
            }
        }
    }
    let (result, result_ty) = if results.len() == 1 {
        (quote!(#(#results)*), quote!(#(#result_tys)*))
    } else {
        (quote!((#(#results,)*)), quote!((#(#result_tys,)*)))
    };
    let value = local(String::from("value"));
    let body = quote! {
        #setup
        let #value = #vjp_call(#(#args),*);
        (#value, #result)
    };
    Ok((inputs, quote!((#value_ty, #result_ty)), body))
}
