//! Which parameters of a signature are structs: a reference to a type tapeless does not know.

use super::flatten::{Param, StructParam};
use proc_macro2::{TokenStream, TokenTree};

/// `&T` / `&mut T` with `T` a path that names no type tapeless knows: a struct.
pub fn struct_type(ty: &syn::Type) -> Option<(bool, syn::Type)> {
    let syn::Type::Reference(r) = ty else {
        return None;
    };
    let syn::Type::Path(p) = &*r.elem else {
        return None;
    };
    let last = p.path.segments.last()?;
    const KNOWN: &[&str] = &[
        "f64", "f32", "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32",
        "i64", "i128", "bool", "str", "String",
    ];
    if p.qself.is_some() || !last.arguments.is_none() {
        return None;
    }
    if KNOWN.contains(&last.ident.to_string().as_str()) {
        return None;
    }
    Some((r.mutability.is_some(), (*r.elem).clone()))
}

/// Whether the function takes a struct or a receiver.
pub fn has_structs(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|a| match a {
        syn::FnArg::Receiver(_) => true,
        syn::FnArg::Typed(pt) => struct_type(&pt.ty).is_some(),
    })
}

/// The parameters, struct ones recognised.
pub fn params(sig: &syn::Signature) -> syn::Result<Vec<Param>> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        match arg {
            syn::FnArg::Receiver(r) => {
                if r.reference.is_none() || r.colon_token.is_some() {
                    return Err(syn::Error::new_spanned(
                        r,
                        "take the receiver as `&self` or `&mut self`: its real fields are differentiated like a struct parameter's",
                    ));
                }
                out.push(Param::Struct(Box::new(StructParam {
                    name: syn::Ident::new("self", r.self_token.span),
                    mutable: r.mutability.is_some(),
                    ty: syn::parse_quote_spanned!(r.self_token.span=> Self),
                    leaves: Vec::new(),
                    receiver: true,
                    whole: false,
                    reals: false,
                    constant: false,
                    sep: String::from("__"),
                })));
            }
            syn::FnArg::Typed(pt) => match (struct_type(&pt.ty), &*pt.pat) {
                (Some((mutable, ty)), syn::Pat::Ident(pi)) => {
                    out.push(Param::Struct(Box::new(StructParam {
                        name: pi.ident.clone(),
                        mutable,
                        ty,
                        leaves: Vec::new(),
                        receiver: false,
                        whole: false,
                        reals: false,
                        constant: false,
                        sep: String::from("__"),
                    })))
                }
                _ => out.push(Param::Plain(pt.clone())),
            },
        }
    }
    Ok(out)
}

/// The shortest run of two or more underscores that no identifier of `func` contains.
pub(super) fn separator(func: &syn::ItemFn) -> String {
    fn idents(tokens: TokenStream, out: &mut Vec<String>) {
        for t in tokens {
            match t {
                TokenTree::Ident(i) => out.push(i.to_string()),
                TokenTree::Group(g) => idents(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut all = Vec::new();
    idents(quote::quote!(#func), &mut all);
    let mut sep = String::from("__");
    while all.iter().any(|i| i.contains(&sep)) {
        sep.push('_');
    }
    sep
}

/// The names of the struct parameters (with `only_mut`, of the `&mut` ones).
pub(super) fn struct_roots(params: &[Param], only_mut: bool) -> Vec<String> {
    params
        .iter()
        .filter_map(|p| match p {
            Param::Struct(s) if s.mutable || !only_mut => Some(s.name.to_string()),
            _ => None,
        })
        .collect()
}

/// The written type of each struct parameter but the receiver (`s`, `State`).
pub(super) fn param_types(params: &[Param]) -> Vec<(String, syn::Type)> {
    params
        .iter()
        .filter_map(|p| match p {
            Param::Struct(s) if !s.receiver => Some((s.name.to_string(), s.ty.clone())),
            _ => None,
        })
        .collect()
}
