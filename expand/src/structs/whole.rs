//! A struct passed whole to another annotated function, `rhs(u, p)` with `p: &Params`, and the
//! path companions (`rhs::jvp`, `rhs::rev`, `rhs::ARGS`) through which callers reach a function
//! with struct parameters.
//!
//! The flattened function takes the struct itself as well as the fields its body reads
//! (`flatten`), typed `&[f64]` there so that the pipeline passes it on with its tangent and
//! adjoint as it passes a read-only array: `rhs::jvp(u, u_dot, p, p_dot)`,
//! `rhs::rev(u, u_bar, p, &mut p_bar[..])`. Here its companions get the struct type back:
//! `p: &[S]` becomes `p: &<Params as Struct>::At<S>`, `p_bar[..]` becomes `*p_bar`, and the
//! length checks of the array it stood for are dropped. So the callee's own companions, which
//! take `&Params<S>`, receive the caller's struct, its tangent and its adjoint unchanged, and
//! rustc checks every type.

use super::flatten::Param;
use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};

/// A temporary adjoint for the fields a function reads itself from a struct it also passes
/// whole: the callee accumulates into `p_bar` while the body's own reads accumulate into the
/// temporary, added into `p_bar` after the call (two `&mut` borrows of `p_bar` otherwise).
/// Returns the temporary's name and the statements before and after the call.
pub(super) fn field_adjoints(
    krate: &syn::Path,
    bar: &syn::Ident,
) -> (syn::Ident, TokenStream, TokenStream) {
    let temp = syn::Ident::new(&format!("{bar}_fields"), Span::mixed_site());
    let reals = syn::Ident::new("reals", Span::mixed_site());
    let k = syn::Ident::new("k", Span::mixed_site());
    let v = syn::Ident::new("v", Span::mixed_site());
    let tr = quote!(#krate::Struct);
    let pre = quote!(let mut #temp = #tr::zero_like(&*#bar););
    let post = quote! {
        let #reals = #tr::to_reals(&#temp);
        let mut #k = 0usize;
        #tr::for_each_real_mut(&mut *#bar, &mut |#v| {
            *#v += #reals[#k];
            #k += 1;
        });
    };
    (temp, pre, post)
}

/// The names standing for whole structs in the flattened companions (`p`, `p_dot`, `p_bar`),
/// each with its struct type.
fn whole_names(params: &[Param]) -> Vec<(String, syn::Type)> {
    let mut out = Vec::new();
    for p in params {
        if let Param::Struct(s) = p {
            // A struct held as its reals stays a slice (`super::reals`).
            if s.whole && !s.reals {
                let name = syn::ext::IdentExt::unraw(&super::flatten::whole_ident(s)).to_string();
                for n in [name.clone(), format!("{name}_dot"), format!("{name}_bar")] {
                    out.push((n, s.ty.clone()));
                }
            }
        }
    }
    out
}

/// The flattened companions with the struct type back for the structs passed whole, and
/// without the item named `drop`.
pub(super) fn retype(
    items: Vec<syn::Item>,
    params: &[Param],
    drop: &str,
    krate: &syn::Path,
) -> syn::Result<Vec<syn::Item>> {
    let names = whole_names(params);
    let mut out = Vec::new();
    for mut item in items {
        match &mut item {
            syn::Item::Fn(f) if f.sig.ident == drop => continue,
            syn::Item::Fn(f) => {
                retype_sig(&mut f.sig, &names, krate);
                f.block = syn::parse2(rewrite(f.block.to_token_stream(), &names, krate))?;
            }
            syn::Item::Impl(i) => {
                for ii in &mut i.items {
                    if let syn::ImplItem::Fn(f) = ii {
                        retype_sig(&mut f.sig, &names, krate);
                    }
                }
            }
            _ => {}
        }
        out.push(item);
    }
    Ok(out)
}

fn retype_sig(sig: &mut syn::Signature, names: &[(String, syn::Type)], krate: &syn::Path) {
    for input in &mut sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let syn::Pat::Ident(pi) = &*pt.pat else {
            continue;
        };
        let name = syn::ext::IdentExt::unraw(&pi.ident).to_string();
        let Some((_, ty)) = names.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let syn::Type::Reference(r) = &*pt.ty else {
            continue;
        };
        let syn::Type::Slice(slice) = &*r.elem else {
            continue;
        };
        let elem = &slice.elem;
        let m = r.mutability;
        *pt.ty = syn::parse_quote!(&#m <#ty as #krate::Struct>::At<#elem>);
    }
}

/// `p_bar[..]` as `*p_bar`, and no length checks of `p_dot` or `p_bar`; a `&mut` struct's
/// copies around calls (`s[..].to_vec()`, `s[..].copy_from_slice(..)`, see `emit::rev`) made
/// through its reals (`Struct::to_reals`, `Struct::set_reals`), so that they stay `Vec<S>`.
fn rewrite(tokens: TokenStream, names: &[(String, syn::Type)], krate: &syn::Path) -> TokenStream {
    let is_name = |s: &str| names.iter().any(|(n, _)| n == s);
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::new();
    let mut i = 0;
    while i < tts.len() {
        // `__tl::check_len("f", "p_dot", p_dot.len(), "p", p.len());`
        if let (
            Some(TokenTree::Ident(a)),
            Some(TokenTree::Ident(b)),
            Some(TokenTree::Group(g)),
            Some(TokenTree::Punct(semi)),
        ) = (tts.get(i), tts.get(i + 3), tts.get(i + 4), tts.get(i + 5))
        {
            if a == "__tl" && b == "check_len" && semi.as_char() == ';' {
                let checked = g.stream().into_iter().nth(2).map(|t| t.to_string());
                if checked.is_some_and(|c| is_name(c.trim_matches('"'))) {
                    i += 6;
                    continue;
                }
            }
        }
        if let Some((copy, used)) = reals_copy(&tts[i..], names, krate) {
            out.extend(copy);
            i += used;
            continue;
        }
        if let Some(path) = method_companion(&tts[i..]) {
            out.extend(path);
            i += 7;
            continue;
        }
        match &tts[i] {
            TokenTree::Ident(id) if is_name(&id.to_string()) => {
                let full = matches!(tts.get(i + 1), Some(TokenTree::Group(g))
                    if g.delimiter() == Delimiter::Bracket && g.stream().to_string() == "..");
                if full {
                    out.extend(quote!(*));
                    out.push(tts[i].clone());
                    i += 2;
                    continue;
                }
                out.push(tts[i].clone());
            }
            TokenTree::Group(g) => {
                let mut n = Group::new(g.delimiter(), rewrite(g.stream(), names, krate));
                n.set_span(g.span());
                out.push(TokenTree::Group(n));
            }
            tt => out.push(tt.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

/// `s[..].to_vec()` / `s.to_vec()` as `Struct::to_reals(&*s)`, and `s[..].copy_from_slice(x)` /
/// `s.copy_from_slice(x)` as `Struct::set_reals(&mut *s, x)`, for a whole struct `s`; the
/// replacement and the number of tokens it stands for.
fn reals_copy(
    tts: &[TokenTree],
    names: &[(String, syn::Type)],
    krate: &syn::Path,
) -> Option<(TokenStream, usize)> {
    let TokenTree::Ident(name) = tts.first()? else {
        return None;
    };
    if !names.iter().any(|(n, _)| name == n) {
        return None;
    }
    let full = matches!(tts.get(1), Some(TokenTree::Group(g))
        if g.delimiter() == Delimiter::Bracket && g.stream().to_string() == "..");
    let k = if full { 2 } else { 1 };
    let dot = matches!(tts.get(k), Some(TokenTree::Punct(p)) if p.as_char() == '.');
    let (Some(TokenTree::Ident(method)), Some(TokenTree::Group(args))) =
        (tts.get(k + 1), tts.get(k + 2))
    else {
        return None;
    };
    if !dot || args.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    let tr = quote!(#krate::Struct);
    let copy = if method == "to_vec" && args.stream().is_empty() {
        quote!(#tr::to_reals(&*#name))
    } else if method == "copy_from_slice" {
        let from = rewrite(args.stream(), names, krate);
        quote!(#tr::set_reals(&mut *#name, #from).expect("tapeless: a struct saved before a call has the same reals"))
    } else {
        return None;
    };
    Some((copy, k + 3))
}

/// `Self::m::jvp` (the pipeline's path to a callee's companion, for `self.m(..)`) as the
/// method's `Self::__tl_p_m_jvp` (its `Self::m_jvp_at` taking data as callers send it, see
/// `held::sent_companions`); `generic` and `rev` likewise, `ARGS` as `Self::__m_args_at`.
fn method_companion(tts: &[TokenTree]) -> Option<TokenStream> {
    let ident = |k: usize| match tts.get(k) {
        Some(TokenTree::Ident(i)) => Some(i.clone()),
        _ => None,
    };
    let colon = |k: usize| matches!(tts.get(k), Some(TokenTree::Punct(p)) if p.as_char() == ':');
    let (this, method, item) = (ident(0)?, ident(3)?, ident(6)?);
    if this != "Self" || !(colon(1) && colon(2) && colon(4) && colon(5)) {
        return None;
    }
    let sent = super::held::SENT;
    let name = match item.to_string().as_str() {
        "generic" | "jvp" | "rev" => format_ident!("{}{}_{}", sent, method, item),
        "ARGS" => format_ident!("__{}_args_at", method),
        _ => return None,
    };
    let name = syn::Ident::new(&name.to_string(), method.span());
    Some(quote!(Self::#name))
}

/// `f::generic`, `f::jvp`, `f::rev` and `f::ARGS` for a free function with struct parameters,
/// forwarding to the wrappers in `wrappers`; `ARGS` says, per parameter of the user's function,
/// what the flattened function's `__f_flat_args` says of it (a struct: read, and written when
/// `&mut`).
pub(super) fn path_companions(
    user: &syn::Ident,
    vis: &syn::Visibility,
    wrappers: &TokenStream,
    items: &[syn::Item],
    params: &[Param],
    flat_name: &syn::Ident,
) -> syn::Result<TokenStream> {
    let args_const = args_const(user, "", vis, items, params, flat_name, None);
    let mut signatures = wrappers.clone();
    signatures.extend(args_const.clone());
    let paths = crate::companions::path_companions(user, vis, &signatures, false)?;
    Ok(quote!(#args_const #paths))
}

/// `__f_args` (`__f_args_at` for a method): per parameter of the user's function, what the
/// flattened function's `__f_flat_args` says of it; a struct is read, and written when `&mut`.
/// `prefix` is `Self::` in a method.
pub(super) fn args_const(
    user: &syn::Ident,
    at: &str,
    vis: &syn::Visibility,
    items: &[syn::Item],
    params: &[Param],
    flat_name: &syn::Ident,
    prefix: Option<TokenStream>,
) -> TokenStream {
    let flat_args = format_ident!("__{}_args", flat_name);
    let has_args = items
        .iter()
        .any(|i| matches!(i, syn::Item::Const(c) if c.ident == flat_args));
    let mut args_const = TokenStream::new();
    if has_args {
        let mut entries = Vec::new();
        let mut k = 0usize;
        for p in params {
            match p {
                Param::Plain(_) => {
                    entries.push(quote!(#prefix #flat_args[#k]));
                    k += 1;
                }
                Param::Struct(s) => {
                    let m = s.mutable;
                    entries.push(quote!((true, #m)));
                    k += usize::from(s.whole) + s.leaves.len();
                }
            }
        }
        let n = entries.len();
        let args = format_ident!("__{}_args{}", user, at);
        args_const = quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #args: [(bool, bool); #n] = [#(#entries),*];
        };
    }
    args_const
}
