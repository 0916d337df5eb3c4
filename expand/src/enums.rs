//! `#[differentiable]` on an enum: a type differentiable functions read as data (a solver's
//! scheme, a boundary condition), passed by value, matched and compared, never differentiated.
//! The enum is emitted as written with `impl tapeless::Data` beside it; its variants may hold
//! integers and bools, not reals (a real would silently get no derivative).
//!
//! Before: `#[differentiable] enum Scheme { Euler, Rk4 }`
//! After:  `enum Scheme { Euler, Rk4 } impl ::tapeless::Data for Scheme {}`

use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(attr: TokenStream, e: syn::ItemEnum) -> syn::Result<TokenStream> {
    let args = crate::attr::parse(attr.clone())?;
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "`#[differentiable]` on an enum takes no arguments: the enum is read as data",
        ));
    }
    if let Some(param) = e.generics.params.first() {
        return Err(syn::Error::new_spanned(
            param,
            "an enum read as data has no generic parameters: write its variants with concrete types",
        ));
    }
    for variant in &e.variants {
        for field in &variant.fields {
            if holds_real(&field.ty) {
                return Err(syn::Error::new_spanned(
                    &field.ty,
                    "an enum is read as data by differentiable functions, and a real in a variant would get no derivative: hold integers and bools in its variants, and pass reals as parameters (or as fields of a `#[differentiable]` struct taken by reference)",
                ));
            }
        }
    }
    let krate = &args.krate;
    let name = &e.ident;
    Ok(quote! {
        #e
        impl #krate::Data for #name {}
    })
}

/// Whether `ty` names a real type, or one tapeless cannot see into (which may hold one): only
/// integers, `bool`, `char`, `&str`, `String` and arrays, tuples, `Vec`s and `Option`s of them
/// are accepted.
fn holds_real(ty: &syn::Type) -> bool {
    const PLAIN: &[&str] = &[
        "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
        "bool", "char", "String", "str",
    ];
    match ty {
        syn::Type::Group(g) => holds_real(&g.elem),
        syn::Type::Paren(p) => holds_real(&p.elem),
        syn::Type::Reference(r) => holds_real(&r.elem),
        syn::Type::Array(a) => holds_real(&a.elem),
        syn::Type::Slice(s) => holds_real(&s.elem),
        syn::Type::Tuple(t) => t.elems.iter().any(holds_real),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return true;
            };
            let name = last.ident.to_string();
            match &last.arguments {
                syn::PathArguments::None => !PLAIN.contains(&name.as_str()),
                syn::PathArguments::AngleBracketed(a) if name == "Vec" || name == "Option" => {
                    a.args.iter().any(|g| match g {
                        syn::GenericArgument::Type(t) => holds_real(t),
                        _ => true,
                    })
                }
                _ => true,
            }
        }
        _ => true,
    }
}
