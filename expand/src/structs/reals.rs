//! A `&mut` struct parameter (or `&mut self`) whose fields the function uses *and* which it
//! passes whole: `inner(s, h); s.x[1] *= 0.5;`, and a `&mut self` method that calls methods of
//! `self` (`self.x[0] += self.force(v);`, `self.kick(h); self.drift(h);`).
//!
//! Flattened by its fields, the function would hold slices of the fields beside the whole
//! struct the callee writes, which alias. So such a struct is held as **its reals** instead,
//! as a caller holds a struct taken from a call (`taken`): the flattened function takes one
//! `&mut [f64]` standing for the whole struct (named as the parameter, `self` and the separator
//! for the receiver), its fields are places in it that rustc evaluates (`s.x[i]` is
//! `s[__tl_State::__TL_AT_x + (i)]`, `self.k` is `self__[Self::__TL_AT_k]`, `&s.x` is
//! `&s[at..at + len]`, from the constants the struct's attribute publishes, `layout`), and the
//! struct goes on whole to the callee's companions for callers holding reals: `inner(s, h)` as
//! `__inner_held(s, h)` and `self.force(v)` as `Self::__tl_m_force(self__, v)` (`held`), which
//! take it as any `AsStruct + AddAdjoint` and store what the callee writes back. The pipeline
//! differentiates the reals as any written array (saved and restored around calls as an
//! array's). The companions (`wrap`) copy the struct, its tangent and its adjoint into their
//! reals before the call and back after it. Integer and bool fields have no place among the
//! reals (their place is a compile error naming the field), as for a held struct.

use proc_macro2::TokenStream;
use quote::quote;

/// A struct parameter held as its reals: its name in the user's function, its name in the
/// flattened function, and the layout naming its places.
pub(super) struct Held {
    pub(super) root: String,
    pub(super) flat: syn::Ident,
    pub(super) layout: super::self_calls::Layout,
}

/// The layout of `ty`'s places: `Self`, or the struct's alias (`__tl_State`); `None` for a
/// type whose alias cannot be named here (a path of several segments, generic arguments).
pub(super) fn layout_of(ty: &syn::Type) -> Option<super::self_calls::Layout> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let id = p.path.get_ident()?;
    if id == "Self" {
        return Some(super::self_calls::Layout::of_type(id.clone()));
    }
    Some(super::self_calls::Layout::of_type(
        super::layout::alias_name(id),
    ))
}

/// A field chain `e` on a held root: the flat root, the field's start and its length.
pub(super) fn field(
    held: &[Held],
    roots: &[String],
    e: &syn::Expr,
) -> Option<(syn::Ident, TokenStream, TokenStream)> {
    let (root, members) = super::flatten::chain(e, roots)?;
    let h = held.iter().find(|h| root == h.root)?;
    let mut path = Vec::new();
    for m in members {
        match m {
            syn::Member::Named(id) => path.push(syn::ext::IdentExt::unraw(&id).to_string()),
            syn::Member::Unnamed(_) => return None,
        }
    }
    let (at, len) = super::taken::place(&h.layout, &path);
    Some((h.flat.clone(), at, len))
}

/// `root[at + (index)]`.
pub(super) fn indexed(
    (root, at, _): &(syn::Ident, TokenStream, TokenStream),
    index: &syn::Expr,
) -> syn::Expr {
    syn::parse_quote!(#root[#at + (#index)])
}

/// `root[at]` for a real, `root[at..at + len]` for an array field.
pub(super) fn place((root, at, len): &(syn::Ident, TokenStream, TokenStream), array: bool) -> syn::Expr {
    if array {
        syn::parse_quote!(#root[#at..#at + #len])
    } else {
        syn::parse_quote!(#root[#at])
    }
}

/// The callee of `f(.., s, ..)` with a held `s`: `f`'s companions for callers holding structs
/// as reals (`__f_held`, see `held::companions`), the path's last segment renamed.
pub(super) fn held_callee(func: &mut syn::Expr) {
    if let syn::Expr::Path(p) = func {
        if let Some(last) = p.path.segments.last_mut() {
            if last.arguments.is_none() {
                last.ident = super::held::name(&last.ident);
            }
        }
    }
}

/// The wrapper's statements for a struct held as reals: `let mut r = Struct::to_reals(&*base);`
/// before the call, `Struct::set_reals(base, &r)` after it, and the argument `&mut r[..]`.
pub(super) fn copy_in_out(
    krate: &syn::Path,
    base: &syn::Ident,
) -> (TokenStream, TokenStream, TokenStream) {
    let reals = syn::Ident::new(&format!("{base}_reals"), proc_macro2::Span::mixed_site());
    let tr = quote!(#krate::Struct);
    let pre = quote!(let mut #reals = #tr::to_reals(&*#base););
    let post = quote!(
        #tr::set_reals(&mut *#base, &#reals)
            .expect("tapeless: a struct held as its reals has as many reals after the call");
    );
    (pre, post, quote!(&mut #reals[..]))
}
