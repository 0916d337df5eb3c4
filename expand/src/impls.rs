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
//! **Traits and their default method bodies** are refused ([`refuse_trait`]), with what to
//! write: the method in each annotated `impl Model for Type` block. The design considered: the
//! default body `fn energy(&self, u) -> f64 { .. self.rhs(..) .. }` is one body for every
//! implementing type, so its companions would be default methods of the trait calling the
//! implementing type's companions (`Self::rhs_vjp_at(this, this_bar, ..)` at any scalar
//! `S`, with `this: &<Self as Struct>::At<S>`). The trait would have to declare those as
//! required methods generic over `S` (their signatures are the expansion's, which the trait's
//! attribute would reproduce from each declaration without a body), require `Self: Struct`
//! (so no trait objects), and every annotated impl block would fill them in; an impl that does
//! not override a default would need the default's companions, which only the trait's
//! attribute sees (a `macro_rules!` emitted beside the trait, replaying the default bodies into
//! an annotated impl block that names it, is the way through). Not done: until then a default
//! body annotated inside the trait would expand into items rustc refuses for reasons of the
//! macro's, so both placements are compile errors on the user's span.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};

/// The expansion of `#[differentiable(attr)]` on an `impl` block.
pub fn expand(attr: TokenStream, mut block: syn::ItemImpl) -> syn::Result<TokenStream> {
    let args = crate::attr::parse(attr.clone())?;
    if args.wrt.is_some()
        || args.rhs.is_some()
        || args.gradient.is_some()
        || !args.constants.is_empty()
        || args.associated
        || !args.patterns.is_empty()
        || args.custom.is_some()
        || !args.stencil
    {
        return Err(syn::Error::new_spanned(
            attr,
            "on an `impl` block, `#[differentiable]` takes no arguments but `crate = path`: give each method its own `#[differentiable(..)]`",
        ));
    }
    let krate = (!attr.is_empty()).then_some(&args.krate);
    let in_trait = block.trait_.is_some();
    let mut kept = Vec::new();
    let mut companions = Vec::new();
    let mut marked = false;
    for item in std::mem::take(&mut block.items) {
        let syn::ImplItem::Fn(mut method) = item else {
            kept.push(item);
            continue;
        };
        let Some(k) = method.attrs.iter().position(is_differentiable) else {
            kept.push(syn::ImplItem::Fn(method));
            continue;
        };
        marked = true;
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
    if !marked {
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
    Ok(quote! {
        #block
        impl #impl_generics #self_ty #where_clause {
            #(#companions)*
        }
    })
}

/// The refusal of `#[differentiable]` on a trait (see the module's documentation): on its
/// first default method's name, or on the trait's name.
pub fn refuse_trait(t: &syn::ItemTrait) -> syn::Error {
    let name = &t.ident;
    let default = t.items.iter().find_map(|item| match item {
        syn::TraitItem::Fn(f) if f.default.is_some() => Some(&f.sig.ident),
        _ => None,
    });
    let method = default.map_or("f".to_string(), |m| m.to_string());
    let msg = format!(
        "`#[differentiable]` on a trait is not supported: a trait's default method bodies are not differentiated (their companions would call each implementing type's, which the trait cannot name). Put the attribute on each implementation and on the method written there, `#[differentiable] impl {name} for Lorenz {{ #[differentiable] fn {method}(&self, ..) {{ .. }} }}`; the trait stays as written"
    );
    match default {
        Some(m) => syn::Error::new(m.span(), msg),
        None => syn::Error::new(name.span(), msg),
    }
}

/// Whether an attribute is `#[differentiable]` (by any path ending so).
fn is_differentiable(attr: &syn::Attribute) -> bool {
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
