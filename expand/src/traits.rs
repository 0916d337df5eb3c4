//! `#[differentiable]` on a trait: default method bodies differentiated for every implementing
//! type.
//!
//! A default body `fn energy(&self, u: &[f64]) -> f64 { .. self.rhs(..) .. }` is one body for
//! every implementing type, but its companions call each type's own (`Self::rhs_vjp_at`, the
//! type's inherent companions, which the trait cannot name). So the companions of a default
//! body are made where the type is known, in each implementation, from the body's tokens: the
//! trait's attribute emits the trait as written (the marks taken off its methods) and a
//! `macro_rules!` replaying the marked default bodies, imported under the trait's own name in
//! the macro namespace (`Model!`: wherever the trait is in scope, by `use` or by path, so is
//! the macro), and `#[differentiable(defaults)] impl Model for Lorenz { .. }` invokes it
//! (`crate::impls`) with its header and the names of the methods it writes, which the replay
//! skips. The replayed bodies go through the impl block's expansion as if written in it, and
//! only their companions are kept, in the inherent `impl Lorenz` beside the others:
//!
//! ```text
//! #[differentiable]                          trait Model { fn rhs(..); fn energy(..) { .. } }
//! trait Model {                              macro_rules! __tl_defaults_Model { .. }
//!     fn rhs(&self, ..);                     use __tl_defaults_Model as Model;
//!     #[differentiable]                -->
//!     fn energy(&self, ..) -> f64 { .. }     // at `#[differentiable(defaults)] impl Model for Lorenz`:
//! }                                          impl Lorenz { pub fn energy_vjp(..) .. }
//! ```
//!
//! Each impl of an annotated trait says `defaults` (its expansion cannot see whether the trait
//! is annotated, and an impl of a trait that is not must not invoke a macro that does not
//! exist). The trait requires a hidden method every such impl writes, whose name is the
//! advice when it is missing from an impl, or when an impl says `defaults` of a trait that is
//! not annotated (`Model__DIFFERENTIABLE_DEFAULTS_NEED_differentiable_ON_THE_TRAIT_AND_
//! differentiable_defaults_ON_EVERY_IMPL`); a method keeps the trait usable as a trait object,
//! which an associated constant would not.
//!
//! What stays out: the companions are inherent functions of each type, so code generic over
//! the trait (`fn fit<M: Model>(m: &M)`) calls the trait's methods, not their companions; the
//! macro is `pub(crate)`, so implementations live in the trait's crate; names in a default
//! body resolve where the impl is (a `macro_rules!` replay), so the items it names must be in
//! scope there too.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The suffix of the hidden method an annotated trait requires of each implementation.
const GUARD: &str =
    "__DIFFERENTIABLE_DEFAULTS_NEED_differentiable_ON_THE_TRAIT_AND_differentiable_defaults_ON_EVERY_IMPL";

/// The hidden method `trait_name` requires of each implementation (see the module's
/// documentation).
pub fn guard(trait_name: &syn::Ident) -> syn::Ident {
    format_ident!("{}{}", trait_name, GUARD, span = trait_name.span())
}

/// The name of the `macro_rules!` replaying `trait_name`'s default bodies.
fn replay_name(trait_name: &syn::Ident) -> syn::Ident {
    format_ident!("__tl_defaults_{}", trait_name)
}

/// The expansion of `#[differentiable(attr)]` on a trait.
pub fn expand(attr: TokenStream, mut t: syn::ItemTrait) -> syn::Result<TokenStream> {
    let args = crate::attr::parse(attr.clone())?;
    if !crate::impls::only_crate(&args) {
        return Err(syn::Error::new_spanned(
            attr,
            "on a trait, `#[differentiable]` takes no arguments but `crate = path`: give each default method its own `#[differentiable(..)]`",
        ));
    }
    let mut defaults = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for item in &mut t.items {
        let syn::TraitItem::Fn(f) = item else {
            continue;
        };
        let Some(k) = f.attrs.iter().position(crate::impls::is_differentiable) else {
            continue;
        };
        let mark = f.attrs.remove(k);
        // As on an annotated function: the dialect indexes arrays in range loops.
        f.attrs
            .push(syn::parse_quote!(#[allow(clippy::needless_range_loop)]));
        let Some(body) = &f.default else {
            let e = syn::Error::new_spanned(
                &mark,
                format!(
                    "a required method is differentiated in each implementation, `#[differentiable(defaults)] impl {} for Lorenz {{ #[differentiable] fn {}(..) {{ .. }} }}`; in the trait, mark the default bodies to differentiate",
                    t.ident, f.sig.ident
                ),
            );
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
            continue;
        };
        let mut attrs = vec![mark];
        attrs.extend(
            f.attrs
                .iter()
                .filter(|a| !a.path().is_ident("doc"))
                .cloned(),
        );
        let (sig, block) = (&f.sig, body);
        defaults.push(quote!(#(#attrs)* #sig #block));
    }
    if let Some(e) = errors {
        // The trait without its marks, so that they do not expand into errors of their own.
        let errors = e.to_compile_error();
        return Ok(quote!(#t #errors));
    }
    if defaults.is_empty() {
        return Err(syn::Error::new_spanned(
            &t.ident,
            "`#[differentiable]` on a trait differentiates the default methods marked `#[differentiable]` in it, and none is: mark a default body, or leave the trait as written and put the attribute on each `impl` block",
        ));
    }
    let guard = guard(&t.ident);
    t.items.push(syn::parse_quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        fn #guard(&self);
    });
    let replay = replay_name(&t.ident);
    let name = &t.ident;
    let krate = &args.krate;
    let named = (!attr.is_empty()).then(|| quote!(, crate = #krate));
    Ok(quote! {
        #t
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #replay {
            ({ $($head:tt)* } { $($written:ident)* }) => {
                #[#krate::differentiable(__defaults_of_trait($($written)*) #named)]
                $($head)* {
                    #(#defaults)*
                }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #replay as #name;
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(item: proc_macro2::TokenStream) -> String {
        crate::differentiable(quote!(), item).to_string()
    }

    #[test]
    fn the_trait_is_kept_without_marks_beside_its_replay() {
        let out = expand(quote! {
            trait Model {
                fn rhs(&self, du: &mut [f64], u: &[f64]);
                #[differentiable]
                fn energy(&self, u: &[f64]) -> f64 { u[0] * u[0] }
                fn plain(&self) -> f64 { 1.0 }
            }
        });
        let file: syn::File = syn::parse_str(&out).expect("the expansion parses");
        let syn::Item::Trait(t) = &file.items[0] else {
            panic!("the trait first: {out}");
        };
        let names: Vec<String> = t
            .items
            .iter()
            .filter_map(|i| match i {
                syn::TraitItem::Fn(f) => {
                    assert!(f.attrs.iter().all(|a| !crate::impls::is_differentiable(a)));
                    Some(f.sig.ident.to_string())
                }
                _ => None,
            })
            .collect();
        let guard = super::guard(&t.ident).to_string();
        assert_eq!(names, ["rhs", "energy", "plain", guard.as_str()]);
        assert!(
            matches!(&file.items[1], syn::Item::Macro(m) if m.ident.as_ref().is_some_and(|i| i == "__tl_defaults_Model"))
        );
        assert!(out.contains("use __tl_defaults_Model as Model"), "{out}");
        // Only the marked default is replayed.
        let replay = &out[out.find("macro_rules").expect("the replay")..];
        assert!(
            replay.contains("fn energy") && !replay.contains("fn plain"),
            "{replay}"
        );
    }

    #[test]
    fn an_impl_with_defaults_invokes_the_replay_with_the_methods_it_writes() {
        let out = crate::differentiable(
            quote!(defaults),
            quote! {
                impl m::Model<f64> for Lorenz {
                    #[differentiable]
                    fn rhs(&self, du: &mut [f64], u: &[f64]) { du[0] = self.sigma * u[0]; }
                    fn plain(&self) -> f64 { 1.0 }
                }
            },
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("m :: Model ! { { impl m :: Model < f64 > for Lorenz } { rhs plain } }"),
            "{out}"
        );
        assert!(out.contains(&super::guard(&quote::format_ident!("Model")).to_string()));
    }

    #[test]
    fn a_replay_keeps_only_the_companions_of_defaults_not_written() {
        let out = crate::differentiable(
            quote!(__defaults_of_trait(rhs energy)),
            quote! {
                impl Model for Lorenz {
                    #[differentiable]
                    fn energy(&self, u: &[f64]) -> f64 { u[0] * self.sigma }
                    #[differentiable]
                    fn score(&self, u: &[f64]) -> f64 { u[1] * self.sigma }
                }
            },
        );
        let file: syn::File = syn::parse2(out.clone()).expect("the expansion parses");
        let [syn::Item::Impl(inherent)] = &file.items[..] else {
            panic!("one inherent impl: {out}");
        };
        assert!(inherent.trait_.is_none());
        let text = out.to_string();
        assert!(
            text.contains("score_vjp") && !text.contains("energy_vjp"),
            "{text}"
        );
    }

    #[test]
    fn a_marked_required_method_is_an_error_and_the_marks_are_taken_off() {
        let out = expand(quote! {
            trait Model {
                #[differentiable]
                fn rhs(&self, du: &mut [f64], u: &[f64]);
            }
        });
        assert!(out.contains("a required method is differentiated in each implementation"));
        assert!(!out.contains("# [differentiable]"), "{out}");
    }
}
