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
    /// An nalgebra vector or matrix of `f64` (`SVector<f64, 3>`, `DVector<f64>`,
    /// `DMatrix<f64>`, ...): the same type at `S`, its reals in storage (column-major) order.
    Matrix,
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

/// The nalgebra types a field may have, by their last path segment, with `f64` as the first
/// generic argument (the same names as parameters, `crate::lower`'s `MATRIX_TYPES`).
const MATRIX_FIELDS: &[&str] = &[
    "DVector",
    "DMatrix",
    "SVector",
    "SMatrix",
    "RowDVector",
    "RowSVector",
    "Vector1",
    "Vector2",
    "Vector3",
    "Vector4",
    "Vector5",
    "Vector6",
    "Matrix1",
    "Matrix2",
    "Matrix3",
    "Matrix4",
    "Matrix5",
    "Matrix6",
];

/// The first generic argument of `ty` when it is one of [`MATRIX_FIELDS`] (`SVector<f64, 3>`,
/// `nalgebra::DVector<f64>`), as a mutable reference so that the struct at `S` replaces it.
fn matrix_elem(ty: &mut syn::Type) -> Option<&mut syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last_mut()?;
    if !MATRIX_FIELDS.contains(&last.ident.to_string().as_str()) {
        return None;
    }
    match &mut last.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first_mut() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

const NOT_STRUCTS: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128", "bool",
    "char", "String",
];

fn classify(ty: &syn::Type) -> syn::Result<Field> {
    const WHAT: &str = "write `f64`, `[f64; N]`, `Vec<f64>`, an nalgebra vector or matrix of `f64` (`SVector<f64, N>`, `DVector<f64>`, `SMatrix<f64, R, C>`, `DMatrix<f64>`), another `#[differentiable]` struct, or data without reals (integers, bools, `Vec<usize>`, ...)";
    if is_ident(ty, "f64") {
        return Ok(Field::Real);
    }
    if let Some(elem) = matrix_elem(&mut ty.clone()) {
        return if is_ident(elem, "f64") {
            Ok(Field::Matrix)
        } else {
            Err(syn::Error::new_spanned(
                elem,
                "write `f64` as the element type: the struct is generated at every scalar type",
            ))
        };
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

/// What the `Struct` impl says of each field, in field order.
#[derive(Default)]
struct Parts {
    real_names: Vec<String>,
    map: Vec<TokenStream>,
    each: Vec<TokenStream>,
    each_mut: Vec<TokenStream>,
    zero: Vec<TokenStream>,
}

/// The field at the scalar `S` (its type rewritten) and its parts of the `Struct` impl.
fn field_parts(
    krate: &syn::Path,
    scalar: &syn::Ident,
    field: &mut syn::Field,
    kind: Field,
    parts: &mut Parts,
) {
    let f = field.ident.clone().expect("named fields have names");
    let span = field.ty.span();
    let fname = syn::ext::IdentExt::unraw(&f).to_string();
    match kind {
        Field::Real => {
            field.ty = syn::parse_quote_spanned!(span=> #scalar);
            parts.real_names.push(fname);
            parts.map.push(quote!(#f: f(self.#f)));
            parts.each.push(quote!(f(self.#f);));
            parts.each_mut.push(quote!(f(&mut self.#f);));
            parts
                .zero
                .push(quote!(#f: <#scalar as #krate::Zero>::zero()));
        }
        Field::Reals => {
            field.ty = match &field.ty {
                syn::Type::Array(a) => {
                    let len = &a.len;
                    syn::parse_quote_spanned!(span=> [#scalar; #len])
                }
                _ => syn::parse_quote_spanned!(span=> ::std::vec::Vec<#scalar>),
            };
            parts.real_names.push(fname);
            let is_array = matches!(field.ty, syn::Type::Array(_));
            if is_array {
                parts.map.push(quote!(#f: self.#f.map(|v| f(v))));
                parts
                    .zero
                    .push(quote!(#f: self.#f.map(|_| <#scalar as #krate::Zero>::zero())));
            } else {
                parts
                    .map
                    .push(quote!(#f: self.#f.iter().map(|&v| f(v)).collect()));
                parts.zero.push(
                    quote!(#f: self.#f.iter().map(|_| <#scalar as #krate::Zero>::zero()).collect()),
                );
            }
            parts.each.push(quote!(for v in self.#f.iter() { f(*v); }));
            parts
                .each_mut
                .push(quote!(for v in self.#f.iter_mut() { f(v); }));
        }
        Field::Matrix => {
            if let Some(elem) = matrix_elem(&mut field.ty) {
                *elem = syn::parse_quote_spanned!(span=> #scalar);
            }
            parts.real_names.push(fname);
            parts.map.push(quote!(#f: self.#f.map(|v| f(v))));
            parts
                .zero
                .push(quote!(#f: self.#f.map(|_| <#scalar as #krate::Zero>::zero())));
            parts.each.push(quote!(for v in self.#f.iter() { f(*v); }));
            parts
                .each_mut
                .push(quote!(for v in self.#f.iter_mut() { f(v); }));
        }
        Field::Nested => {
            let ty = &field.ty;
            field.ty = syn::parse_quote_spanned!(span=> #ty<#scalar>);
            parts.real_names.push(fname);
            let tr = quote_spanned!(span=> #krate::Struct);
            parts
                .map
                .push(quote!(#f: #tr::map_reals(&self.#f, &mut *f)));
            parts
                .each
                .push(quote!(#tr::for_each_real(&self.#f, &mut *f);));
            parts
                .each_mut
                .push(quote!(#tr::for_each_real_mut(&mut self.#f, &mut *f);));
            parts.zero.push(quote!(#f: #tr::zero_like(&self.#f)));
        }
        Field::Data => {
            parts
                .map
                .push(quote!(#f: ::core::clone::Clone::clone(&self.#f)));
            parts
                .zero
                .push(quote!(#f: ::core::clone::Clone::clone(&self.#f)));
        }
    }
}

/// Where a field's reals go (`super::layout`), from its kind and written type.
fn slot(kind: &Field, ty: &syn::Type) -> super::layout::Slot {
    use super::layout::Slot;
    match (kind, ty) {
        (Field::Real, _) => Slot::Real,
        (Field::Reals, syn::Type::Array(a)) => Slot::Array(a.len.clone()),
        (Field::Reals, _) => Slot::Vec,
        // A fixed-size nalgebra field has its length in its type; a `DVector`'s is not known
        // here: held like a `Vec<f64>` field.
        (Field::Matrix, _) => match super::matrix_fields::fixed_len(ty) {
            Some(len) => Slot::Matrix(len),
            None => Slot::Vec,
        },
        (Field::Nested, _) => Slot::Nested(ty.clone()),
        // An integer or a bool: a slot beside the reals of a held struct (one of the types
        // `DataSlot` is implemented for; `u128`, `i128` and `char` are not).
        (Field::Data, syn::Type::Path(p))
            if p.qself.is_none()
                && [
                    "usize", "isize", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "bool",
                ]
                .iter()
                .any(|t| p.path.is_ident(t)) =>
        {
            Slot::Data(Some(ty.clone()))
        }
        (Field::Data, _) => Slot::Data(None),
    }
}

/// The expansion of `#[differentiable] struct Name { .. }`.
pub fn expand(krate: &syn::Path, mut item: syn::ItemStruct) -> syn::Result<TokenStream> {
    if let Some(g) = item.generics.params.first() {
        let msg = match g {
            syn::GenericParam::Const(_) => "a differentiable struct has no const generic parameter yet: write its lengths, `[f64; 40]`, or pass the arrays to a function generic over their length, `fn f<const N: usize>(x: &[f64; N], ..)`",
            _ => "remove the type parameter: write the struct with `f64` fields, and `#[differentiable]` makes it generic over the scalar type",
        };
        return Err(syn::Error::new_spanned(g, msg));
    }
    if item.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &item.generics.where_clause,
            "remove the `where` clause: a differentiable struct has no type parameters of its own",
        ));
    }
    // The struct's type parameters avoid every identifier of the item (a struct named `S`, or
    // a field of a type `S`), so that none shadows a type the user wrote.
    let idents = crate::names::idents_in(quote!(#item));
    let scalar = crate::names::scalar_name(&idents);
    let other = crate::names::type_param("T", &idents);
    let syn::Fields::Named(fields) = &mut item.fields else {
        return Err(syn::Error::new_spanned(
            &item.fields,
            "give the struct named fields (`struct Params { sigma: f64, .. }`): the derivative code reads them by name",
        ));
    };
    let name = item.ident.clone();
    let mut parts = Parts::default();
    let mut errors: Option<syn::Error> = None;
    let mut slots = Vec::new();
    // The fields whose declared types callers name (`layout::field_types`).
    let mut typed = Vec::new();
    for field in fields.named.iter_mut() {
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
        let ident = field.ident.clone().expect("named fields have names");
        slots.push((ident.clone(), slot(&kind, &field.ty)));
        field_parts(krate, &scalar, field, kind, &mut parts);
        typed.push((ident, field.ty.clone()));
    }
    if let Some(e) = errors {
        return Err(e);
    }
    let Parts {
        real_names,
        map,
        each,
        each_mut,
        zero,
    } = parts;
    item.generics = syn::parse_quote!(<#scalar = f64>);
    let rt = quote!(#krate::__private::Real);
    let layout = super::layout::expand(krate, &name, &scalar, &item.vis, &slots);
    let field_types = super::layout::field_types(krate, &name, &scalar, &typed);
    Ok(quote! {
        #layout
        #field_types
        #item
        #[automatically_derived]
        #[allow(clippy::all, unused_variables)]
        impl<#scalar: #rt> #krate::Struct for #name<#scalar> {
            type Scalar = #scalar;
            type At<#other: #rt> = #name<#other>;
            const REAL_FIELDS: &'static [&'static str] = &[#(#real_names),*];
            fn map_reals<#other: #rt>(&self, f: &mut dyn FnMut(#scalar) -> #other) -> #name<#other> {
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
