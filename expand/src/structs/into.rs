//! The hidden companions through which an annotated caller holding a struct as its reals
//! (`taken`) calls a function returning a struct: `__step_into` for a free function
//! (`generic`, `jvp`, `rev`, `ARGS`, and the type aliases naming the result's places), and
//! `__tl_m_step_into_generic`, `_jvp`, `_rev`, `_ARGS` beside a `&self` method's companions. Each
//! takes the out-parameter (the caller's reals of the result, with their tangent or adjoint)
//! and every struct argument as any `A: AsStruct<State<S>>` (the struct itself, or the reals a
//! caller holds), adds adjoints back through `AddAdjoint`, and forwards to the user-level
//! companions (`step_generic`, `step_jvp`, `step_vjp`, or a method's `step_generic_at`, ..).

use super::taken::unraw;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

/// The hidden `__f_into` path companions of a struct-result function `f` (see the module
/// documentation): `generic`, `jvp`, `rev`, `ARGS` and the places of the literal's fields.
/// `wrappers` holds the user-level companions; `None` when `f` cannot be taken by a caller
/// (`wrt(..)`, `&mut` parameters).
pub(super) fn into_companions(
    krate: &syn::Path,
    func: &syn::ItemFn,
    wrappers: &TokenStream,
    literal: &syn::ExprStruct,
    ty: &syn::Type,
    hidden: &syn::Ident,
) -> syn::Result<Option<TokenStream>> {
    let mutable = func.sig.inputs.iter().any(|a| {
        matches!(a, syn::FnArg::Typed(pt) if matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some()))
    });
    if mutable {
        return Ok(None);
    }
    let file: syn::File = syn::parse2(wrappers.clone())?;
    let find = |name: String| super::wrap::find(&file.items, &name).cloned();
    let user = &func.sig.ident;
    let (Some(generic), Some(jvp), Some(vjp)) = (
        find(format!("{user}_generic")),
        find(format!("{user}_jvp")),
        find(format!("{user}_vjp")),
    ) else {
        return Ok(None);
    };
    let roots: Vec<String> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => match (super::flatten::struct_type(&pt.ty), &*pt.pat) {
                (Some(_), syn::Pat::Ident(pi)) => Some(unraw(&pi.ident)),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let name = format_ident!("__{}_into", user);
    let vis = &func.vis;
    let n = func.sig.inputs.len();
    let args = (0..n).map(|k| quote!(#hidden::ARGS[#k]));
    let aliases = aliases(vis, &format_ident!("__{}_out", user), literal, ty);
    let cx = Cx {
        krate,
        roots: &roots,
        method: None,
        at: "",
    };
    let generic = cx.companion(&generic, "generic")?;
    let jvp = cx.companion(&jvp, "jvp")?;
    let rev = cx.companion(&vjp, "rev")?;
    let n = n + 1;
    Ok(Some(quote! {
        #aliases
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
        #[allow(dead_code, non_upper_case_globals, clippy::all)]
        impl #name {
            pub const ARGS: [(bool, bool); #n] = [(false, true), #(#args),*];
            #generic
            #jvp
            #rev
        }
    }))
}

/// `__tl_m_f_into_generic`, `_jvp`, `_rev` and `_ARGS` beside the companions of a `&self` method
/// `f` returning a struct (`wrappers`, the items of its `impl`): what a caller holding the
/// receiver as its reals calls for `s = s.step(p, h)` or `let s2 = s.scaled(c)`, through the
/// receiver's type. The caller holds the result at the receiver's places, so each requires the
/// result to be of the receiver's type (`SameStruct`, checked by rustc where it is called: a
/// method returning another struct still compiles, and is refused only there). `None` for a
/// method without `&self`, with `&mut` parameters or `wrt(..)`.
///
/// Beside them go the same companions for a caller calling the method on its own `self`
/// (`s = self.rk4(&s, h)` in another method of the type): `__tl_self_f_into_generic`, `_jvp`,
/// `_rev`, `_ARGS`, without the bound (the caller holds the result at the method's own places,
/// the constants of [`super::self_calls::out_places`]).
pub(super) fn method_into_companions(
    krate: &syn::Path,
    func: &syn::ItemFn,
    wrappers: &TokenStream,
    hidden: &syn::Ident,
    (literal, ty): (&syn::ExprStruct, &syn::Type),
) -> syn::Result<Option<TokenStream>> {
    let shared_self =
        matches!(func.sig.receiver(), Some(r) if r.reference.is_some() && r.mutability.is_none());
    let mutable = func.sig.inputs.iter().any(|a| {
        matches!(a, syn::FnArg::Typed(pt) if matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some()))
    });
    // An associated function (`State::new(..)`): the `__tl_self_` companions only, without
    // `_at` (no receiver).
    let associated = func.sig.receiver().is_none();
    if !(shared_self || associated) || mutable {
        return Ok(None);
    }
    let at = if associated { "" } else { "_at" };
    let file: syn::File = syn::parse2(wrappers.clone())?;
    let find = |name: String| super::wrap::find(&file.items, &name).cloned();
    let user = unraw(&func.sig.ident);
    let (Some(generic), Some(jvp), Some(vjp)) = (
        find(format!("{user}_generic{at}")),
        find(format!("{user}_jvp{at}")),
        find(format!("{user}_vjp{at}")),
    ) else {
        return Ok(None);
    };
    let mut roots: Vec<String> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => match (super::flatten::struct_type(&pt.ty), &*pt.pat) {
                (Some(_), syn::Pat::Ident(pi)) => Some(unraw(&pi.ident)),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    if !associated {
        roots.push("this".into());
    }
    let syn::ReturnType::Type(_, ret) = &generic.sig.output else {
        return Ok(None);
    };
    let n = func.sig.inputs.len();
    let hidden_args = format_ident!("__{}_args{}", hidden, at);
    let vis = &func.vis;
    let mut out = super::self_calls::out_places(krate, vis, &user, literal, ty);
    let prefixes: &[&'static str] = if associated {
        &[super::held::SELF_CALL]
    } else {
        &[super::held::METHOD, super::held::SELF_CALL]
    };
    for &prefix in prefixes {
        let cx = Cx {
            krate,
            roots: &roots,
            method: Some((user.clone(), (**ret).clone(), func.vis.clone(), prefix)),
            at,
        };
        let args = (0..n).map(|k| quote!(Self::#hidden_args[#k]));
        let args_name = format_ident!("{}{}_into_ARGS", prefix, user);
        let generic = cx.companion(&generic, "generic")?;
        let jvp = cx.companion(&jvp, "jvp")?;
        let rev = cx.companion(&vjp, "rev")?;
        let m = n + 1;
        out.extend(quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals, dead_code)]
            #vis const #args_name: [(bool, bool); #m] = [(false, true), #(#args),*];
            #generic
            #jvp
            #rev
        });
    }
    Ok(Some(out))
}

/// `type __f_out = State;`, naming the result's type for callers (whose places are
/// `__f_out::__TL_AT_x`), and `type __f_out__inner = Pair;` per nested literal. Type aliases, not
/// constants: a place is evaluated only where a caller uses it (an integer field's is a
/// compile error there, see `layout`).
fn aliases(
    vis: &syn::Visibility,
    alias: &syn::Ident,
    lit: &syn::ExprStruct,
    ty: &syn::Type,
) -> TokenStream {
    let mut out = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, private_interfaces)]
        #vis type #alias = #ty;
    };
    for fv in &lit.fields {
        if let (syn::Member::Named(f), syn::Expr::Struct(inner)) = (&fv.member, &fv.expr) {
            let f = syn::ext::IdentExt::unraw(f);
            let path = &inner.path;
            let inner_ty: syn::Type = syn::parse_quote!(#path);
            let nested = format_ident!("{}__{}", alias, f);
            out.extend(aliases(vis, &nested, inner, &inner_ty));
        }
    }
    out
}

/// The companion's inputs, the call's arguments, and the statements before and after it.
type Parts<'a> = (
    &'a mut Vec<TokenStream>,
    &'a mut Vec<TokenStream>,
    &'a mut TokenStream,
    &'a mut TokenStream,
);

struct Cx<'a> {
    krate: &'a syn::Path,
    roots: &'a [String],
    /// For a method: its name, the result's type at the scalar (the generic companion's), its
    /// visibility (the companions' own: none in a trait impl) and the companions' prefix
    /// (`__tl_m_` for a receiver held as reals, `__tl_self_` for a call on the caller's `self`).
    method: Option<(String, syn::Type, syn::Visibility, &'static str)>,
    /// `_at` for a method's companions with a receiver, empty for an associated function's.
    at: &'static str,
}

impl Cx<'_> {
    /// Whether a companion's parameter stands for a struct (`s`, `s_dot`, `s_bar`).
    fn is_struct(&self, name: &str) -> bool {
        let name = name.trim_start_matches("r#");
        self.roots
            .iter()
            .any(|r| name == r || name == format!("{r}_dot") || name == format!("{r}_bar"))
    }

    /// A struct argument `name` of the companion (`r` its type): generic over `AsStruct` for a
    /// value or tangent, over `AddAdjoint` for an adjoint (a temporary struct added back after
    /// the call). Pushes to the inputs, the call's arguments and the statements around it.
    fn struct_arg(
        &self,
        k: usize,
        name: &TokenStream,
        r: &syn::TypeReference,
        generics: &mut syn::Generics,
        (inputs, call, before, after): Parts,
    ) {
        let krate = self.krate;
        let p = quote!(#krate::__private);
        let elem = &r.elem;
        let g = format_ident!("__A{}", k);
        let local = syn::Ident::new(&format!("arg{k}"), Span::mixed_site());
        if r.mutability.is_some() {
            generics
                .params
                .push(syn::parse_quote!(#g: ?Sized + #p::AddAdjoint<#elem>));
            inputs.push(quote!(#name: &mut #g));
            let value = syn::Ident::new(&format!("arg{}", k - 1), Span::mixed_site());
            // The callee adds to the caller's adjoint (taken as a struct and stored back), in
            // the order it adds to an adjoint passed to it directly.
            before.extend(quote!(let mut #local: #elem = #p::AddAdjoint::<#elem>::adjoint_in(#name, &#value);));
            after.extend(quote!(#p::AddAdjoint::<#elem>::store_adjoint(#name, &#local);));
            call.push(quote!(&mut #local));
        } else {
            generics
                .params
                .push(syn::parse_quote!(#g: ?Sized + #p::AsStruct<#elem>));
            inputs.push(quote!(#name: &#g));
            before.extend(quote!(let #local: #elem = #p::AsStruct::<#elem>::as_struct(#name);));
            call.push(quote!(&#local));
        }
    }

    /// The user-level generic companion beside the reverse one `comp` (`step_generic`, or a
    /// method's `Self::step_generic_at`).
    fn generic_of(&self, comp: &syn::ItemFn) -> TokenStream {
        match &self.method {
            Some((user, ..)) => {
                let g = format_ident!("{}_generic{}", user, self.at);
                quote!(Self::#g)
            }
            None => {
                let t = comp.sig.ident.to_string();
                format_ident!("{}_generic", t.trim_end_matches("_vjp")).to_token_stream()
            }
        }
    }

    /// The companion's visibility and name: `pub` `generic` for a free function's; for a
    /// method's, the method's own and `__tl_m_f_into_generic`, with the bound that the result
    /// is the receiver's type (held at the receiver's places).
    fn name_and_vis(
        &self,
        kind: &str,
        scalar: &TokenStream,
        generics: &mut syn::Generics,
    ) -> (syn::Visibility, syn::Ident) {
        let krate = self.krate;
        match &self.method {
            Some((user, ret, vis, prefix)) => {
                let p = quote!(#krate::__private);
                if *prefix == super::held::METHOD {
                    generics
                        .make_where_clause()
                        .predicates
                        .push(syn::parse_quote!(
                            <Self as #krate::Struct>::At<#scalar>: #p::SameStruct<#ret>
                        ));
                }
                let name = format_ident!("{}{}_into_{}", prefix, user, kind);
                (vis.clone(), name)
            }
            None => (syn::parse_quote!(pub), format_ident!("{}", kind)),
        }
    }

    /// `generic`, `jvp` or `rev` of `__f_into`, forwarding to the user-level `comp`.
    fn companion(&self, comp: &syn::ItemFn, kind: &str) -> syn::Result<TokenStream> {
        let krate = self.krate;
        let mut generics = comp.sig.generics.clone();
        let scalar = super::wrap::scalar_of(&comp.sig);
        let mut inputs = Vec::new();
        let mut call = Vec::new();
        let mut before = TokenStream::new();
        let mut after = TokenStream::new();
        let out = syn::Ident::new("out", Span::mixed_site());
        let second = syn::Ident::new("out_second", Span::mixed_site());
        inputs.push(quote!(#out: &mut [#scalar]));
        if kind != "generic" {
            inputs.push(quote!(#second: &mut [#scalar]));
        }
        let mut seed = None;
        let params: Vec<&syn::PatType> = comp
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(pt) => Some(pt),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        for (k, pt) in params.iter().enumerate() {
            let name = pt.pat.to_token_stream();
            let text = name.to_string();
            if kind == "rev" && k + 1 == params.len() {
                // The seed: the result's adjoint, built from the out-parameter's.
                seed = Some((name, (*pt.ty).clone()));
                continue;
            }
            let syn::Type::Reference(r) = &*pt.ty else {
                inputs.push(quote!(#pt));
                call.push(name);
                continue;
            };
            if !self.is_struct(&text) {
                inputs.push(quote!(#pt));
                call.push(name);
                continue;
            }
            let parts = (&mut inputs, &mut call, &mut before, &mut after);
            self.struct_arg(k, &name, r, &mut generics, parts);
        }
        let target = match &self.method {
            Some(_) => {
                let t = &comp.sig.ident;
                quote!(Self::#t)
            }
            None => comp.sig.ident.to_token_stream(),
        };
        let body = match kind {
            // `__tl_hold`: the reals, then the integer and bool fields (`layout`).
            "generic" => quote! {
                #before
                let value = #target(#(#call),*);
                value.__tl_hold(&mut #out[..]);
            },
            "jvp" => quote! {
                #before
                let (value, tangent) = #target(#(#call),*);
                value.__tl_hold(&mut #out[..]);
                tangent.__tl_hold(&mut #second[..]);
            },
            _ => {
                let Some((seed_name, seed_ty)) = seed else {
                    return Err(super::wrap::internal("a reverse companion without a seed"));
                };
                let syn::Type::Reference(seed_ty) = seed_ty else {
                    return Err(super::wrap::internal("a seed not taken by reference"));
                };
                let seed_ty = &seed_ty.elem;
                let generic = self.generic_of(comp);
                // The value first: the seed's shape (its integer fields) is the result's.
                let values: Vec<TokenStream> = params
                    .iter()
                    .zip(&call)
                    // The adjoints are the `&mut` parameters (`&mut` parameters of the
                    // function's own are not taken, see `into_companions`).
                    .filter(|(pt, _)| {
                        !matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some())
                    })
                    .map(|(_, c)| c.clone())
                    .collect();
                quote! {
                    #before
                    let shape = #generic(#(#values),*);
                    let mut #seed_name: #seed_ty = #krate::Struct::zero_like(&shape);
                    #seed_name.__tl_unhold(&#second[..]);
                    let value = #target(#(#call,)* &#seed_name);
                    value.__tl_hold(&mut #out[..]);
                    for v in #second.iter_mut() {
                        *v = <#scalar as #krate::Zero>::zero();
                    }
                }
            }
        };
        let (vis, fn_name) = self.name_and_vis(kind, &scalar, &mut generics);
        let where_clause = &generics.where_clause;
        Ok(quote! {
            #[doc(hidden)]
            #[inline]
            #[allow(clippy::all)]
            #vis fn #fn_name #generics(#(#inputs),*) #where_clause {
                #body
                #after
            }
        })
    }
}
