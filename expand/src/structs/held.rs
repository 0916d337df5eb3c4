//! A struct an annotated caller holds as its reals (`taken`) passed to a function that does
//! not return a struct: `let s2 = step(&s, p, h); let e = energy(&s2, p);`, and the 4D-Var
//! cost of each state of the time loop, `s = step(&s, p, h); cost += misfit(&s, obs[k]);`.
//!
//! `fn energy(s: &State, p: &Params) -> f64` has path companions (`energy::generic`,
//! `energy::jvp`, `energy::rev`, `energy::ARGS`, see `whole`) taking each struct as the struct
//! at the scalar type, `&State<S>`. Beside them, its attribute publishes the hidden
//! `__energy_held` with the same companions whose struct arguments are any `A:
//! AsStruct<State<S>>` (the struct itself, or the reals a caller holds) and whose struct
//! adjoints are any `A: AddAdjoint<State<S>>` (an adjoint of the struct's shape is built, passed
//! to `energy::rev` and added back real by real), forwarding to `energy`'s. The caller's pass
//! (`taken`) calls `__energy_held(&s2, p)` where one of the arguments is a held struct. So the
//! pipeline passes the held reals, their tangent and their adjoint as it passes any read-only
//! array, and rustc decides every conversion: a struct with integer, bool or `Vec` fields is
//! not `AsStruct` from its reals, and the error says why. A struct the function writes (`s: &mut
//! State`) is taken as a struct from any `&mut A` (`WrittenReceiver`) and stored back after the
//! call, its tangent and adjoint likewise: a caller holding a `&mut` struct parameter as its
//! reals (`reals`: `inner(s, h); s.x[1] *= 0.5;`) passes them so.
//!
//! A `&self` method is not called by a path, and its attribute can add only items of its
//! `impl`: beside its companions go the associated `__tl_m_energy_generic`, `_jvp`, `_rev` and
//! `_ARGS` ([`method_companions`]), the same forwarders to `Self::energy_generic_at`, ... The
//! caller's pass writes `s2.energy(p)` on a held `s2` as `__step_out::__tl_m_energy(&s2, p)`
//! (through the held struct's type), which the pipeline reaches as
//! `__step_out::__tl_m_energy::jvp`, made `__step_out::__tl_m_energy_jvp` by [`method_paths`].
//! A `&mut self` method gets the same names, its receiver any `A: AsStruct<State<S>> +
//! AddAdjoint<State<S>>`: taken as a struct, written by the method and stored back (its tangent
//! and adjoint likewise), so `s2.kick(h);` on a held `s2` (the caller's pass writes `&mut s2`
//! for a method call whose result is dropped, or on a local bound `let mut`) writes the held
//! reals. A method of a struct *parameter* (`s.energy(p)`, `s.kick(h)` with `s: &State` or
//! `&mut State`) needs none of this: the caller passes the parameter whole to the method's own
//! `_at` companions ([`PARAM_CALL`]), unless the caller holds the parameter as its reals
//! (`reals`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

/// The name of `f`'s companion for callers passing a held struct: `__f_held`.
pub(super) fn name(user: &syn::Ident) -> syn::Ident {
    format_ident!(
        "__{}_held",
        syn::ext::IdentExt::unraw(user),
        span = user.span()
    )
}

/// `__f_held` for the path companions in `generated` (the companions of `func`, a free function
/// with struct parameters), or nothing when `func` has no path companions.
pub(super) fn companions(
    krate: &syn::Path,
    func: &syn::ItemFn,
    generated: &TokenStream,
) -> syn::Result<TokenStream> {
    let user = &func.sig.ident;
    let file: syn::File = syn::parse2(generated.clone())?;
    let paths = file.items.iter().find_map(|i| match i {
        syn::Item::Impl(imp) if imp.trait_.is_none() && is_type(&imp.self_ty, user) => Some(imp),
        _ => None,
    });
    let Some(paths) = paths else {
        return Ok(TokenStream::new());
    };
    let mut members = TokenStream::new();
    for item in &paths.items {
        match item {
            syn::ImplItem::Fn(f) => members.extend(forwarder(krate, user, &f.sig)),
            syn::ImplItem::Const(c) if c.ident == "ARGS" => {
                let ty = &c.ty;
                members.extend(quote!(pub const ARGS: #ty = #user::ARGS;));
            }
            _ => {}
        }
    }
    let held = name(user);
    let vis = &func.vis;
    Ok(quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #held {}
        #[allow(dead_code, clippy::all)]
        impl #held {
            #members
        }
    })
}

fn is_type(ty: &syn::Type, user: &syn::Ident) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident(user))
}

/// `&<State as Struct>::At<S>` (a struct at the scalar type, as path companions take it): the
/// reference and its element.
fn struct_at(ty: &syn::Type) -> Option<(&syn::TypeReference, &syn::Type)> {
    let syn::Type::Reference(r) = ty else {
        return None;
    };
    let syn::Type::Path(p) = &*r.elem else {
        return None;
    };
    let at = p.qself.is_some() && p.path.segments.last().is_some_and(|s| s.ident == "At");
    at.then_some((r, &*r.elem))
}

/// A member of `__f_held`: `sig` with its struct arguments generic, forwarding to `f`'s.
fn forwarder(krate: &syn::Path, user: &syn::Ident, sig: &syn::Signature) -> TokenStream {
    let method = &sig.ident;
    let public: syn::Visibility = syn::parse_quote!(pub);
    // The path companions already take data as callers send it.
    forward(
        krate,
        &public,
        sig,
        (sig.ident.clone(), None),
        quote!(#user::#method),
    )
}

/// `sig` renamed `name.0`, with its struct arguments generic, forwarding to `target`; with a
/// companion's kind `name.1` (`"generic"`, `"jvp"`, `"rev"`), its data parameters taken as
/// callers send them (`companions::data_as_callers_send`).
fn forward(
    krate: &syn::Path,
    vis: &syn::Visibility,
    sig: &syn::Signature,
    name: (syn::Ident, Option<&str>),
    target: TokenStream,
) -> TokenStream {
    forward_dropping(krate, vis, sig, name, target, None)
}

/// [`forward`], the target's result dropped when `seed` is given: the forwarder returns
/// nothing, and a `_rev` target's last parameter, the result's seed, is not the forwarder's
/// but `seed` (a zero).
fn forward_dropping(
    krate: &syn::Path,
    vis: &syn::Visibility,
    sig: &syn::Signature,
    name: (syn::Ident, Option<&str>),
    target: TokenStream,
    seed: Option<Option<TokenStream>>,
) -> TokenStream {
    let p = quote!(#krate::__private);
    let mut sig = sig.clone();
    sig.ident = name.0;
    let dropped = seed.is_some();
    let seed = seed.flatten();
    if dropped {
        sig.output = syn::ReturnType::Default;
    }
    let passed = match name.1 {
        Some(kind) => crate::companions::data_as_callers_send(&mut sig, kind),
        None => sig
            .inputs
            .iter()
            .map(|i| match i {
                syn::FnArg::Typed(pt) => Some(pt.pat.to_token_stream()),
                syn::FnArg::Receiver(_) => Some(quote!(self)),
            })
            .collect(),
    };
    let mut call = Vec::new();
    let mut before = TokenStream::new();
    let mut after = TokenStream::new();
    // The last struct value seen: the shape of the adjoint that follows it.
    let mut value: Option<TokenStream> = None;
    let mut extra: Vec<syn::GenericParam> = Vec::new();
    for (k, (input, passed)) in sig.inputs.iter_mut().zip(passed).enumerate() {
        // An unread tangent or adjoint of a data parameter.
        let Some(passed) = passed else { continue };
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let name = pt.pat.to_token_stream();
        let Some((r, elem)) = struct_at(&pt.ty) else {
            call.push(passed);
            continue;
        };
        let elem = elem.clone();
        let g = format_ident!("__A{}", k);
        let local = syn::Ident::new(&format!("arg{k}"), Span::mixed_site());
        // The tangent or adjoint of the struct before it (`s_dot`, `s_bar`, `this_bar`).
        let of_value = value.as_ref().is_some_and(|v| {
            let (v, n) = (v.to_string(), name.to_string());
            n == format!("{v}_dot") || n == format!("{v}_bar")
        });
        if r.mutability.is_some() && !of_value {
            // A struct the callee writes (the receiver of a `&mut self` method, `s: &mut
            // State`): taken as a struct and stored back; any `R: WrittenReceiver<A>` (`&mut
            // A` only), so that a caller passing `&s2` (the method's result used in an
            // expression) gets the trait's message.
            let written = format_ident!("__R{}", k);
            extra.push(syn::parse_quote!(#g: ?Sized + #p::AsStruct<#elem> + #p::AddAdjoint<#elem>));
            extra.push(syn::parse_quote!(#written: #p::WrittenReceiver<#g>));
            *pt.ty = syn::parse_quote!(#written);
            *pt.pat = syn::parse_quote!(mut #name);
            before.extend(quote!(
                let #name: &mut #g = #p::WrittenReceiver::<#g>::written(&mut #name);
                let mut #local = #p::AsStruct::<#elem>::as_struct(#name);
            ));
            after.extend(quote!(#p::AddAdjoint::<#elem>::store_adjoint(#name, &#local);));
            call.push(quote!(&mut #local));
            value = Some(name.clone());
        } else if r.mutability.is_some() {
            let Some(shape) = &value else {
                call.push(name);
                continue;
            };
            // The callee adds to the caller's adjoint (taken as a struct and stored back); the
            // tangent of a written receiver likewise.
            extra.push(syn::parse_quote!(#g: ?Sized + #p::AddAdjoint<#elem>));
            *pt.ty = syn::parse_quote!(&mut #g);
            before.extend(quote!(let mut #local = #p::AddAdjoint::<#elem>::adjoint_in(
                #name,
                &#p::AsStruct::<#elem>::as_struct(&*#shape),
            );));
            after.extend(quote!(#p::AddAdjoint::<#elem>::store_adjoint(#name, &#local);));
            call.push(quote!(&mut #local));
        } else {
            extra.push(syn::parse_quote!(#g: ?Sized + #p::AsStruct<#elem>));
            *pt.ty = syn::parse_quote!(&#g);
            // No local of the struct's type: for a struct without the attribute, rustc's
            // error would say more than the parameter's own.
            call.push(quote!(&#p::AsStruct::<#elem>::as_struct(#name)));
            if !of_value {
                value = Some(name.clone());
            }
        }
    }
    sig.generics.params.extend(extra);
    call.extend(seed);
    let result = syn::Ident::new("result", Span::mixed_site());
    if dropped {
        return dropping(vis, &sig, (before, after), quote!(#target(#(#call),*)));
    }
    quote! {
        #[doc(hidden)]
        #[inline]
        // A data parameter adds an unread tangent or adjoint to the `_at` companion's.
        #[allow(non_snake_case, clippy::too_many_arguments)]
        #vis #sig {
            #before
            let #result = #target(#(#call),*);
            #after
            #result
        }
    }
}

/// The prefix of a `&self` method's companions for callers holding the receiver as its reals:
/// `__tl_m_energy_generic`, `__tl_m_energy_jvp`, `__tl_m_energy_rev`, `__tl_m_energy_ARGS`.
pub(super) const METHOD: &str = "__tl_m_";

/// The prefix of a `&mut self` method's companions for a caller that calls it on a held struct
/// as a statement, its result dropped (`s2.kick(h);`): `__tl_d_kick_generic`, `_jvp`, `_rev`,
/// `_ARGS`, which take no seed for the result and give none back, whatever the method returns.
pub(super) const DROPPED: &str = "__tl_d_";

/// The prefix of a struct-result method's companions for a caller calling it on its own
/// `self` (`s = self.rk4(&s, h)`, see `self_calls`): `__tl_self_rk4_into_generic`, ..
pub(super) const SELF_CALL: &str = "__tl_self_";

/// The prefix a caller's pass gives a method called on a struct parameter of the caller, `s:
/// &State` (`s.energy(p)` as `State::__tl_at_energy(s, p)`, see `flatten`), which
/// [`method_paths`] makes the method's own companions for a receiver at any scalar:
/// `State::__tl_at_energy::jvp` is `State::energy_jvp_at`.
pub(super) const PARAM_CALL: &str = "__tl_at_";

/// `__tl_at_energy` for method `energy` (see [`PARAM_CALL`]).
pub(super) fn param_call(method: &syn::Ident) -> syn::Ident {
    format_ident!(
        "{}{}",
        PARAM_CALL,
        syn::ext::IdentExt::unraw(method),
        span = method.span()
    )
}

/// `ty` with every token at `span` (so that rustc's errors on a call through it point at the
/// call).
pub(super) fn respan_type(ty: &syn::Type, span: Span) -> TokenStream {
    respan(ty.to_token_stream(), span)
}

/// The callee a caller's pass writes for `s.energy(p)` on a held `s` whose type is `layout`:
/// `layout::__tl_m_energy`, which the pipeline reaches as `layout::__tl_m_energy::jvp` and
/// [`method_paths`] makes `layout::__tl_m_energy_jvp`.
pub(super) fn method_callee(layout: &TokenStream, method: &syn::Ident, prefix: &str) -> syn::Expr {
    let name = format_ident!(
        "{}{}",
        prefix,
        syn::ext::IdentExt::unraw(method),
        span = method.span()
    );
    // The whole path at the method's span, so that rustc's errors on the callee (a method
    // refused for held structs) point at the call.
    let layout = respan(layout.clone(), method.span());
    syn::parse_quote!(#layout::#name)
}

/// `tokens` with every token at `span`.
pub(super) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut n = Group::new(g.delimiter(), respan(g.stream(), span));
                n.set_span(span);
                return TokenTree::Group(n);
            }
            tt.set_span(span);
            tt
        })
        .collect()
}

/// Beside a `&self` method's companions (`generated`, the items of its `impl`), the associated
/// `__tl_m_energy_generic`, `_jvp`, `_rev` and `_ARGS` forwarding to `Self::energy_generic_at`,
/// `energy_jvp_at`, `__energy_rev_at` and `__energy_args_at` with the struct arguments, the
/// receiver first, generic over `AsStruct`/`AddAdjoint` (see the module documentation): what an
/// annotated caller calls for `s.energy(p)` on a struct it holds as its reals. Nothing for a
/// method without `&self` or writing a struct.
pub(super) fn method_companions(
    krate: &syn::Path,
    func: &syn::ItemFn,
    generated: &TokenStream,
) -> syn::Result<TokenStream> {
    let shared_self =
        matches!(func.sig.receiver(), Some(r) if r.reference.is_some() && r.mutability.is_none());
    let writes_struct = func.sig.inputs.iter().any(|a| {
        matches!(a, syn::FnArg::Typed(pt) if matches!(&*pt.ty, syn::Type::Reference(r)
            if r.mutability.is_some() && super::flatten::struct_type(&pt.ty).is_some()))
    });
    let written_self =
        matches!(func.sig.receiver(), Some(r) if r.reference.is_some() && r.mutability.is_some());
    if !(shared_self || written_self) || writes_struct {
        return Ok(TokenStream::new());
    }
    let user = syn::ext::IdentExt::unraw(&func.sig.ident).to_string();
    let file: syn::File = syn::parse2(generated.clone())?;
    let mut out = TokenStream::new();
    let kinds = [
        (format!("{user}_generic_at"), "generic"),
        (format!("{user}_jvp_at"), "jvp"),
        (format!("__{user}_rev_at"), "rev"),
    ];
    for item in &file.items {
        match item {
            syn::Item::Fn(f) => {
                let Some((target, kind)) = kinds.iter().find(|(n, _)| f.sig.ident == n) else {
                    continue;
                };
                let target = format_ident!("{}", target);
                let name = format_ident!("{}{}_{}", METHOD, user, kind);
                out.extend(forward(
                    krate,
                    &func.vis,
                    &f.sig,
                    (name, Some(kind)),
                    quote!(Self::#target),
                ));
                if written_self {
                    out.extend(dropped(krate, func, &f.sig, kind, quote!(Self::#target)));
                }
            }
            syn::Item::Const(c) if c.ident == format!("__{user}_args_at") => {
                let (ty, args, vis) = (&c.ty, &c.ident, &func.vis);
                for prefix in [METHOD, DROPPED]
                    .iter()
                    .take(if written_self { 2 } else { 1 })
                {
                    let name = format_ident!("{}{}_ARGS", prefix, user);
                    out.extend(quote! {
                        #[doc(hidden)]
                        #[allow(non_upper_case_globals, dead_code)]
                        #vis const #name: #ty = Self::#args;
                    });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A forwarder `sig` running `before`, the call, `after`, the call's result dropped.
fn dropping(
    vis: &syn::Visibility,
    sig: &syn::Signature,
    (before, after): (TokenStream, TokenStream),
    call: TokenStream,
) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[inline]
        #[allow(non_snake_case, clippy::too_many_arguments, clippy::let_unit_value)]
        #vis #sig {
            #before
            let _ = #call;
            #after
        }
    }
}

/// The [`DROPPED`] companion of kind `kind` of a `&mut self` method `func`, forwarding to its
/// `_at` companion `target` (of signature `sig`) with the result dropped: a `_rev` takes no
/// seed and passes a zero (the seed of a method returning a real; one returning more, an array
/// or a tuple, keeps its seed and gets rustc's error at a call as a statement).
fn dropped(
    krate: &syn::Path,
    func: &syn::ItemFn,
    sig: &syn::Signature,
    kind: &str,
    target: TokenStream,
) -> TokenStream {
    let user = syn::ext::IdentExt::unraw(&func.sig.ident).to_string();
    let name = format_ident!("{}{}_{}", DROPPED, user, kind);
    let returns = !matches!(func.sig.output, syn::ReturnType::Default);
    let mut sig = sig.clone();
    let seed = match kind {
        "rev" if returns => {
            // The seed: the last parameter, of the scalar type.
            let scalar = sig.generics.type_params().next().map(|t| t.ident.clone());
            let last = sig.inputs.pop().map(|p| p.into_value());
            match (last, scalar) {
                (Some(syn::FnArg::Typed(pt)), Some(s)) if matches!(&*pt.ty, syn::Type::Path(tp) if tp.path.is_ident(&s)) => {
                    Some(Some(quote!(#krate::__private::cst::<#s>(0.0))))
                }
                _ => return TokenStream::new(),
            }
        }
        _ => Some(None),
    };
    forward_dropping(krate, &func.vis, &sig, (name, Some(kind)), target, seed)
}

/// The prefix of a method's companions for a caller calling it on its own `self`
/// (`self.misfit(&u, &obs[k * n..])`, see `whole`): `__tl_p_misfit_generic`, `_jvp`, `_rev`.
pub(super) const SENT: &str = "__tl_p_";

/// Beside a method's companions (`generated`), `__tl_p_misfit_generic`, `_jvp` and `_rev`: its
/// `_at` companions (`Self::misfit_jvp_at`, ..) with each data parameter (outside `wrt(..)`)
/// taken as a caller sends every real argument, at the scalar type with a tangent or adjoint
/// after it (`companions::data_as_callers_send`, as a free function's path companions take
/// it), forwarding to them. A caller's `self.misfit(..)` calls these: it cannot see the
/// method's `wrt(..)`. Every other argument passes as it is, so a method without data
/// parameters is called exactly as through its `_at` companions.
pub(super) fn sent_companions(
    func: &syn::ItemFn,
    generated: &TokenStream,
) -> syn::Result<TokenStream> {
    if func.sig.receiver().is_none() {
        return Ok(TokenStream::new());
    }
    let user = syn::ext::IdentExt::unraw(&func.sig.ident).to_string();
    let file: syn::File = syn::parse2(generated.clone())?;
    let kinds = [
        (format!("{user}_generic_at"), "generic"),
        (format!("{user}_jvp_at"), "jvp"),
        (format!("__{user}_rev_at"), "rev"),
    ];
    let mut out = TokenStream::new();
    for item in &file.items {
        let syn::Item::Fn(f) = item else { continue };
        let Some((_, kind)) = kinds.iter().find(|(n, _)| f.sig.ident == n) else {
            continue;
        };
        // At the attribute, where the `_at` companions' errors are: a receiver type without
        // `#[differentiable]` is reported once, not once more at `&self`. (The unread tangents
        // and adjoints added next keep their own hygienic names.)
        let sig = &f.sig;
        let mut sig: syn::Signature = syn::parse2(respan(quote!(#sig), Span::call_site()))?;
        let target = sig.ident.clone();
        sig.ident = format_ident!("{}{}_{}", SENT, user, kind);
        let passed = crate::companions::data_as_callers_send(&mut sig, kind);
        let passed = passed.into_iter().flatten();
        let vis = &func.vis;
        let forwarder = quote! {
            #[doc(hidden)]
            #[inline]
            #[allow(clippy::all, dead_code, non_snake_case)]
            #vis #sig { Self::#target(#(#passed),*) }
        };
        out.extend(forwarder);
    }
    Ok(out)
}

/// `X::__tl_m_energy::jvp` (the pipeline's path to a callee's companion) as
/// `X::__tl_m_energy_jvp`, the method's own; `generic`, `rev` and `ARGS` likewise. A method of
/// a struct parameter, `X::__tl_at_energy::jvp`, is `X::energy_jvp_at` (see [`PARAM_CALL`]).
pub(super) fn method_paths(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::new();
    let mut i = 0;
    while i < tts.len() {
        if let (
            Some(TokenTree::Ident(held)),
            Some(TokenTree::Punct(a)),
            Some(TokenTree::Punct(b)),
            Some(TokenTree::Ident(kind)),
        ) = (tts.get(i), tts.get(i + 1), tts.get(i + 2), tts.get(i + 3))
        {
            let kinds = ["generic", "jvp", "rev", "ARGS"];
            let name = held.to_string();
            if let Some(method) = name.strip_prefix(PARAM_CALL) {
                if a.as_char() == ':' && b.as_char() == ':' {
                    let at = match kind.to_string().as_str() {
                        "generic" => Some(format!("{method}_generic_at")),
                        "jvp" => Some(format!("{method}_jvp_at")),
                        "rev" => Some(format!("__{method}_rev_at")),
                        "ARGS" => Some(format!("__{method}_args_at")),
                        _ => None,
                    };
                    if let Some(at) = at {
                        out.push(TokenTree::Ident(syn::Ident::new(&at, held.span())));
                        i += 4;
                        continue;
                    }
                }
            }
            if (name.starts_with(METHOD)
                || name.starts_with(DROPPED)
                || name.starts_with(SELF_CALL))
                && a.as_char() == ':'
                && b.as_char() == ':'
                && kinds.contains(&kind.to_string().as_str())
            {
                let name = syn::Ident::new(&format!("{held}_{kind}"), held.span());
                out.push(TokenTree::Ident(name));
                i += 4;
                continue;
            }
        }
        match &tts[i] {
            TokenTree::Group(g) => {
                let mut n = Group::new(g.delimiter(), method_paths(g.stream()));
                n.set_span(g.span());
                out.push(TokenTree::Group(n));
            }
            tt => out.push(tt.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}
