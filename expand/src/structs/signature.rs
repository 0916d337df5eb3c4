//! Which parameters of a signature are structs: a reference to a type tapeless does not know.

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
