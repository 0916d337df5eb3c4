//! `#[differentiable]` on an `impl` block, which is how methods of a *trait* impl are
//! differentiated.
//!
//! The companions of a method (`rhs_jvp`, `rhs_vjp`, the hidden flattened ones) are associated
//! items of the method's `impl` (see `structs`). In `impl Model for Lorenz` they cannot be: a
//! trait impl holds the trait's members and nothing else (E0407), and an attribute on a method
//! does not see which `impl` it is in. On the block, the attribute sees it all:
//!
//! ```text
//! #[differentiable]                          impl Model for Lorenz {
//! impl Model for Lorenz {                        fn rhs(&self, ..) { .. }        // as written
//!     #[differentiable]                 -->  }
//!     fn rhs(&self, ..) { .. }               impl Lorenz {
//! }                                              pub fn rhs_jvp(&self, ..) { .. }
//!                                                pub fn rhs_vjp(&self, ..) { .. }
//!                                                ..
//!                                            }
//! ```
//!
//! Each method marked `#[differentiable(..)]` is expanded as a method (its arguments as
//! written, plus `associated`, since the block says it is one), the user's method stays in the
//! trait impl, and the companions go to an inherent `impl` of the same type with the same
//! generics, `pub` as the trait's methods are public. On an inherent `impl` the block attribute
//! changes nothing but where the expansion happens: the methods it marks are expanded in place,
//! as their own attributes would be. Methods not marked are left as written; a block with no
//! marked method is an error (the attribute would do nothing).
//!
//! **Traits and their default method bodies**: `#[differentiable]` on a trait and on its
//! default methods, and `#[differentiable(defaults)]` on each implementation, which replays
//! the default bodies the implementation does not write and keeps their companions
//! (`crate::traits`).

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};

/// The expansion of `#[differentiable(attr)]` on an `impl` block.
pub fn expand(attr: TokenStream, mut block: syn::ItemImpl) -> syn::Result<TokenStream> {
    let (attr, flags) = Flags::split(attr, &block)?;
    let args = crate::attr::parse(attr.clone())?;
    if !only_crate(&args) {
        return Err(syn::Error::new_spanned(
            attr,
            "on an `impl` block, `#[differentiable]` takes no arguments but `crate = path` and `defaults`: give each method its own `#[differentiable(..)]`",
        ));
    }
    let krate = (!attr.is_empty()).then_some(&args.krate);
    let in_trait = block.trait_.is_some();
    let written: Vec<syn::Ident> = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f.sig.ident.clone()),
            _ => None,
        })
        .collect();
    let mut kept = Vec::new();
    let mut companions = Vec::new();
    let mut marked = false;
    let mut pending = std::mem::take(&mut block.items).into_iter();
    while let Some(item) = pending.next() {
        let syn::ImplItem::Fn(mut method) = item else {
            kept.push(item);
            continue;
        };
        // A replayed default body the implementation writes itself.
        if flags
            .replay
            .as_ref()
            .is_some_and(|w| w.contains(&method.sig.ident))
        {
            continue;
        }
        let Some(k) = method.attrs.iter().position(is_differentiable) else {
            kept.push(syn::ImplItem::Fn(method));
            continue;
        };
        marked = true;
        if let Some(c) = method
            .sig
            .generics
            .const_params()
            .chain(block.generics.const_params())
            .next()
        {
            let err = syn::Error::new_spanned(c, "a method generic over a length is not differentiable yet: write a free function, `fn f<const N: usize>(x: &[f64; N], ..)`, or write the length");
            let rest = pending.collect();
            return Ok(without_differentiable(block, kept, method, rest, err));
        }
        let own = method.attrs.remove(k);
        let method_attr = method_args(&own, krate)?;
        let name = method.sig.ident.clone();
        if in_trait && matches!(method.vis, syn::Visibility::Inherited) {
            method.vis = syn::parse_quote!(pub);
        }
        let out = crate::differentiable(method_attr, method.to_token_stream());
        let ImplItems(items) = syn::parse2(out)?;
        for mut item in items {
            match &mut item {
                syn::ImplItem::Const(c)
                    if c.ident
                        .to_string()
                        .ends_with(crate::structs::TRAIT_IMPL_GUARD) => {}
                syn::ImplItem::Fn(f) if in_trait && f.sig.ident == name => {
                    f.vis = syn::Visibility::Inherited;
                    kept.push(item);
                }
                _ if in_trait => companions.push(item),
                _ => kept.push(item),
            }
        }
    }
    if !marked && flags.replay.is_none() && !flags.defaults {
        return Err(syn::Error::new_spanned(
            &block.self_ty,
            "`#[differentiable]` on an `impl` block expands the methods marked `#[differentiable]` inside it, and none is: mark the methods to differentiate",
        ));
    }
    block.items = kept;
    if !in_trait {
        return Ok(quote!(#block));
    }
    let (generics, self_ty) = (&block.generics, &block.self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let inherent = quote! {
        impl #impl_generics #self_ty #where_clause {
            #(#companions)*
        }
    };
    if flags.replay.is_some() {
        // The trait's default bodies: the trait impl has them already, the companions are new.
        return Ok(inherent);
    }
    let replay = flags
        .defaults
        .then(|| replay_defaults(&mut block, &written));
    Ok(quote! {
        #block
        #inherent
        #replay
    })
}

/// `defaults` on `impl Model for Lorenz`: the hidden method the annotated trait requires, and
/// the invocation of its replay (`Model! { {impl Model for Lorenz} {rhs} }`, see
/// `crate::traits`) with the methods the block writes, which the replay skips.
fn replay_defaults(block: &mut syn::ItemImpl, written: &[syn::Ident]) -> TokenStream {
    let Some((_, path, _)) = &block.trait_ else {
        return TokenStream::new();
    };
    let mut mac = path.clone();
    let Some(last) = mac.segments.last_mut() else {
        return TokenStream::new();
    };
    last.arguments = syn::PathArguments::None;
    let guard = crate::traits::guard(&last.ident);
    let (generics, self_ty) = (&block.generics, &block.self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let head = quote!(impl #impl_generics #path for #self_ty #where_clause);
    block.items.push(syn::parse_quote! {
        #[allow(non_snake_case)]
        fn #guard(&self) {}
    });
    quote!(#mac! { { #head } { #(#written)* } })
}

/// What `on an impl block` takes besides `crate = path`: `defaults` (the trait is annotated:
/// replay its default bodies, `crate::traits`) and, in a replay, `__defaults_of_trait(..)` with
/// the methods the implementation writes.
struct Flags {
    defaults: bool,
    replay: Option<Vec<syn::Ident>>,
}

impl Flags {
    /// The attribute without the flags, and the flags.
    fn split(attr: TokenStream, block: &syn::ItemImpl) -> syn::Result<(TokenStream, Flags)> {
        use proc_macro2::TokenTree;
        let mut flags = Flags {
            defaults: false,
            replay: None,
        };
        let mut rest: Vec<TokenTree> = Vec::new();
        let tts: Vec<TokenTree> = attr.into_iter().collect();
        for part in tts.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
            match part {
                [TokenTree::Ident(i)] if i == "defaults" => {
                    if block.trait_.is_none() {
                        return Err(syn::Error::new(
                            i.span(),
                            "`defaults` replays the default methods of an annotated trait into its implementation: it goes on `impl Trait for Type`",
                        ));
                    }
                    flags.defaults = true;
                }
                [TokenTree::Ident(i), TokenTree::Group(g)] if i == "__defaults_of_trait" => {
                    let names = g.stream().into_iter().filter_map(|t| match t {
                        TokenTree::Ident(i) => Some(i),
                        _ => None,
                    });
                    flags.replay = Some(names.collect());
                }
                [] => {}
                part => {
                    if !rest.is_empty() {
                        rest.push(TokenTree::Punct(proc_macro2::Punct::new(
                            ',',
                            proc_macro2::Spacing::Alone,
                        )));
                    }
                    rest.extend(part.iter().cloned());
                }
            }
        }
        Ok((rest.into_iter().collect(), flags))
    }
}

/// Whether the arguments are at most `crate = path` (what a block's or a trait's attribute
/// takes).
pub(crate) fn only_crate(args: &crate::attr::Args) -> bool {
    !(args.wrt.is_some()
        || args.rhs.is_some()
        || args.gradient.is_some()
        || !args.constants.is_empty()
        || args.associated
        || !args.patterns.is_empty()
        || args.custom.is_some()
        || !args.stencil)
}

/// Whether an attribute is `#[differentiable]` (by any path ending so).
pub(crate) fn is_differentiable(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "differentiable")
}

/// The method's own arguments, with `associated` (the method is in an `impl`) and the block's
/// `crate = path` where the method names no crate of its own.
fn method_args(attr: &syn::Attribute, krate: Option<&syn::Path>) -> syn::Result<TokenStream> {
    let own = match &attr.meta {
        syn::Meta::Path(_) => TokenStream::new(),
        syn::Meta::List(list) => list.tokens.clone(),
        syn::Meta::NameValue(nv) => {
            return Err(syn::Error::new_spanned(
                nv,
                "write `#[differentiable]` or `#[differentiable(..)]`",
            ))
        }
    };
    let names_crate = own
        .clone()
        .into_iter()
        .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if i == "crate"));
    let krate = krate.filter(|_| !names_crate).map(|k| quote!(, crate = #k));
    if own.is_empty() {
        Ok(quote!(associated #krate))
    } else {
        Ok(quote!(associated, #own #krate))
    }
}

/// The items of an `impl` body, as one method's expansion gives them.
struct ImplItems(Vec<syn::ImplItem>);

impl Parse for ImplItems {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(input.parse()?);
        }
        Ok(ImplItems(items))
    }
}

/// The block as written, with no method marked `#[differentiable]` (whose expansion on its
/// own would only add errors to `err`), and `err`.
fn without_differentiable(
    mut block: syn::ItemImpl,
    kept: Vec<syn::ImplItem>,
    method: syn::ImplItemFn,
    rest: Vec<syn::ImplItem>,
    err: syn::Error,
) -> TokenStream {
    block.items = kept;
    block.items.push(syn::ImplItem::Fn(method));
    block.items.extend(rest);
    for item in &mut block.items {
        if let syn::ImplItem::Fn(f) = item {
            f.attrs.retain(|a| !is_differentiable(a));
        }
    }
    let err = err.to_compile_error();
    quote::quote!(#block #err)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(item: proc_macro2::TokenStream) -> syn::File {
        let out = crate::differentiable(quote!(), item);
        syn::parse2(out).expect("the expansion parses as items")
    }

    fn fn_names(i: &syn::ItemImpl) -> Vec<String> {
        i.items
            .iter()
            .filter_map(|it| match it {
                syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_trait_impl_keeps_its_methods_and_gets_an_inherent_impl_of_companions() {
        let file = expand(quote! {
            impl Model for Lorenz {
                const K: f64 = 2.0;
                #[differentiable]
                fn rhs(&self, du: &mut [f64], u: &[f64]) { du[0] = self.sigma * u[0]; }
                fn plain(&self) -> f64 { 1.0 }
            }
        });
        let impls: Vec<&syn::ItemImpl> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Impl(i) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(impls.len(), 2, "the trait impl and the inherent one");
        assert!(impls[0].trait_.is_some() && impls[1].trait_.is_none());
        assert_eq!(fn_names(impls[0]), ["rhs", "plain"]);
        let companions = fn_names(impls[1]);
        for name in ["rhs_jvp", "rhs_vjp", "rhs_jvp_at", "rhs_vjp_at"] {
            assert!(
                companions.iter().any(|c| c == name),
                "{name} in {companions:?}"
            );
        }
        // The trait's method keeps no visibility (E0449), the companions are public.
        let text = quote!(#file).to_string();
        assert!(!text.contains("compile_error"), "{text}");
        assert!(
            !text.contains(crate::structs::TRAIT_IMPL_GUARD),
            "the guard is dropped"
        );
        assert!(
            matches!(&impls[0].items[1], syn::ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Inherited))
        );
    }

    #[test]
    fn a_block_without_marked_methods_is_an_error() {
        let out = crate::differentiable(quote!(), quote!(impl Lorenz { fn f(&self) {} }));
        assert!(out.to_string().contains("none is: mark the methods"));
    }
}
