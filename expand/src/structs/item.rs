//! `#[differentiable]` on a `struct`: the struct at every scalar type, and its `Struct` impl.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

/// What a field holds, decided from its written type.
enum Field {
    /// `f64`: the scalar `S`.
    Real,
    /// `[f64; N]` or `Vec<f64>`: reals in order.
    Reals,
    /// A nested annotated struct `Inner`: `Inner<S>`.
    Nested,
    /// Anything else without an `f64` (integers, bools, `Vec<usize>`, `String`, ...): cloned.
    Data,
}

fn is_ident(ty: &syn::Type, name: &str) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

fn mentions_float(ty: &syn::Type) -> bool {
    quote!(#ty)
        .to_string()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64" || w == "f32")
}

fn is_vec_of_f64(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return false;
    };
    last.ident == "Vec"
        && a.args.len() == 1
        && matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_ident(t, "f64"))
}

const NOT_STRUCTS: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128", "bool",
    "char", "String",
];

fn classify(ty: &syn::Type) -> syn::Result<Field> {
    const WHAT: &str = "write `f64`, `[f64; N]`, `Vec<f64>`, another `#[differentiable]` struct, or data without reals (integers, bools, `Vec<usize>`, ...)";
    if is_ident(ty, "f64") {
        return Ok(Field::Real);
    }
    if is_ident(ty, "f32") {
        return Err(syn::Error::new_spanned(
            ty,
            "write `f64`: the struct is generated at every scalar type, so it also holds `f32`",
        ));
    }
    if is_vec_of_f64(ty) {
        return Ok(Field::Reals);
    }
    if let syn::Type::Array(a) = ty {
        if is_ident(&a.elem, "f64") {
            return Ok(Field::Reals);
        }
    }
    if let syn::Type::Path(p) = ty {
        if p.qself.is_none() && p.path.segments.len() == 1 {
            let seg = &p.path.segments[0];
            let name = seg.ident.to_string();
            if seg.arguments.is_none() && !NOT_STRUCTS.contains(&name.as_str()) {
                return Ok(Field::Nested);
            }
        }
    }
    if mentions_float(ty) {
        return Err(syn::Error::new_spanned(
            ty,
            format!("unsupported field type in a differentiable struct: {WHAT}"),
        ));
    }
    Ok(Field::Data)
}

/// Where a field's reals go (`super::layout`), from its kind and written type.
fn slot(kind: &Field, ty: &syn::Type) -> super::layout::Slot {
    use super::layout::Slot;
    match (kind, ty) {
        (Field::Real, _) => Slot::Real,
        (Field::Reals, syn::Type::Array(a)) => Slot::Array(a.len.clone()),
        (Field::Reals, _) => Slot::Vec,
        (Field::Nested, _) => Slot::Nested(ty.clone()),
        (Field::Data, _) => Slot::Data,
    }
}

/// The expansion of `#[differentiable] struct Name { .. }`.
pub fn expand(krate: &syn::Path, mut item: syn::ItemStruct) -> syn::Result<TokenStream> {
    if let Some(g) = item.generics.params.first() {
        return Err(syn::Error::new_spanned(
            g,
            "remove the type parameter: write the struct with `f64` fields, and `#[differentiable]` makes it generic over the scalar type",
        ));
    }
    if item.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &item.generics.where_clause,
            "remove the `where` clause: a differentiable struct has no type parameters of its own",
        ));
    }
    let syn::Fields::Named(fields) = &mut item.fields else {
        return Err(syn::Error::new_spanned(
            &item.fields,
            "give the struct named fields (`struct Params { sigma: f64, .. }`): the derivative code reads them by name",
        ));
    };
    let name = item.ident.clone();
    let scalar = quote!(S);
    let mut real_names = Vec::new();
    let mut map = Vec::new();
    let mut each = Vec::new();
    let mut each_mut = Vec::new();
    let mut zero = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut slots = Vec::new();
    for field in fields.named.iter_mut() {
        let f = field.ident.clone().expect("named fields have names");
        let span = field.ty.span();
        let kind = match classify(&field.ty) {
            Ok(k) => k,
            Err(e) => {
                match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                }
                continue;
            }
        };
        let fname = syn::ext::IdentExt::unraw(&f).to_string();
        slots.push((f.clone(), slot(&kind, &field.ty)));
        match kind {
            Field::Real => {
                field.ty = syn::parse_quote_spanned!(span=> #scalar);
                real_names.push(fname);
                map.push(quote!(#f: f(self.#f)));
                each.push(quote!(f(self.#f);));
                each_mut.push(quote!(f(&mut self.#f);));
                zero.push(quote!(#f: <#scalar as #krate::Zero>::zero()));
            }
            Field::Reals => {
                field.ty = match &field.ty {
                    syn::Type::Array(a) => {
                        let len = &a.len;
                        syn::parse_quote_spanned!(span=> [#scalar; #len])
                    }
                    _ => syn::parse_quote_spanned!(span=> ::std::vec::Vec<#scalar>),
                };
                real_names.push(fname);
                let is_array = matches!(field.ty, syn::Type::Array(_));
                if is_array {
                    map.push(quote!(#f: self.#f.map(|v| f(v))));
                    zero.push(quote!(#f: self.#f.map(|_| <#scalar as #krate::Zero>::zero())));
                } else {
                    map.push(quote!(#f: self.#f.iter().map(|&v| f(v)).collect()));
                    zero.push(
                        quote!(#f: self.#f.iter().map(|_| <#scalar as #krate::Zero>::zero()).collect()),
                    );
                }
                each.push(quote!(for v in self.#f.iter() { f(*v); }));
                each_mut.push(quote!(for v in self.#f.iter_mut() { f(v); }));
            }
            Field::Nested => {
                let ty = &field.ty;
                field.ty = syn::parse_quote_spanned!(span=> #ty<#scalar>);
                real_names.push(fname);
                let tr = quote_spanned!(span=> #krate::Struct);
                map.push(quote!(#f: #tr::map_reals(&self.#f, &mut *f)));
                each.push(quote!(#tr::for_each_real(&self.#f, &mut *f);));
                each_mut.push(quote!(#tr::for_each_real_mut(&mut self.#f, &mut *f);));
                zero.push(quote!(#f: #tr::zero_like(&self.#f)));
            }
            Field::Data => {
                map.push(quote!(#f: ::core::clone::Clone::clone(&self.#f)));
                zero.push(quote!(#f: ::core::clone::Clone::clone(&self.#f)));
            }
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    item.generics = syn::parse_quote!(<#scalar = f64>);
    let rt = quote!(#krate::__private::Real);
    let layout = super::layout::expand(krate, &name, &slots);
    Ok(quote! {
        #layout
        #item
        #[automatically_derived]
        #[allow(clippy::all, unused_variables)]
        impl<#scalar: #rt> #krate::Struct for #name<#scalar> {
            type Scalar = #scalar;
            type At<__T: #rt> = #name<__T>;
            const REAL_FIELDS: &'static [&'static str] = &[#(#real_names),*];
            fn map_reals<__T: #rt>(&self, f: &mut dyn FnMut(#scalar) -> __T) -> #name<__T> {
                #name { #(#map,)* }
            }
            fn for_each_real(&self, f: &mut dyn FnMut(#scalar)) {
                #(#each)*
            }
            fn for_each_real_mut(&mut self, f: &mut dyn FnMut(&mut #scalar)) {
                #(#each_mut)*
            }
            fn zero_like(&self) -> Self {
                #name { #(#zero,)* }
            }
        }
    })
}
