//! Types by their names: the [`Kind`] of a value from the type the user wrote (a proc macro sees
//! syntax, not types), and the messages saying which types are accepted.

use super::*;

pub(super) fn is_ident(ty: &syn::Type, name: &str) -> bool {
    matches!(strip_type_group(ty), syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// `ty` without the invisible groups a `macro_rules!` fragment (`$t:ty`) puts around it.
pub(super) fn strip_type_group(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => strip_type_group(&g.elem),
        ty => ty,
    }
}

pub(super) const INT_TYPES: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
];

pub(super) fn is_int_type(ty: &syn::Type) -> bool {
    INT_TYPES.iter().any(|t| is_ident(ty, t))
}

pub(super) fn mentions_float(ty: &syn::Type) -> bool {
    let s = ty.to_token_stream().to_string();
    s.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64" || w == "f32")
}

/// A parameter's type tapeless cannot look into, taken by value and read as data if rustc finds
/// it `tapeless::Data` (an enum choosing a scheme, `scheme: Scheme`): a plain path without
/// generic arguments that names no type tapeless knows (`f64`, integers, `bool`, `Vec`,
/// `Option`, nalgebra's).
pub(crate) fn declared_data(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = strip_type_group(ty) else {
        return false;
    };
    let known = [
        "f64", "f32", "bool", "Vec", "Option", "String", "str", "Self",
    ];
    p.qself.is_none()
        && p.path
            .segments
            .iter()
            .all(|s| matches!(s.arguments, syn::PathArguments::None))
        && !mentions_float(ty)
        && !is_int_type(ty)
        && p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            !known.contains(&name.as_str()) && matrix_kind(ty).is_none()
        })
}

/// `Vec<f64>`?
pub(super) fn is_vec_f64(ty: &syn::Type) -> bool {
    if let syn::Type::Path(p) = strip_type_group(ty) {
        if let Some(last) = p.path.segments.last() {
            if last.ident == "Vec" {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    return matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_ident(t, "f64"));
                }
            }
        }
    }
    false
}

/// The element type of `Vec<T>`, `[T]` or `[T; N]` (after invisible groups).
fn element_type(ty: &syn::Type) -> Option<&syn::Type> {
    match strip_type_group(ty) {
        syn::Type::Slice(s) => Some(&s.elem),
        syn::Type::Array(a) => Some(&a.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let seg = p.path.segments.last()?;
            match &seg.arguments {
                syn::PathArguments::AngleBracketed(a)
                    if seg.ident == "Vec" && a.args.len() == 1 =>
                {
                    match &a.args[0] {
                        syn::GenericArgument::Type(t) => Some(t),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The element type of the rows of a table read by reference whose rows are `Vec`s or slices,
/// `&[Vec<T>]`, `&Vec<Vec<T>>`, `&[&[T]]`: rows of lengths known only when the program runs.
fn ragged_row(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Reference(r) = strip_type_group(ty) else {
        return None;
    };
    if r.mutability.is_some() || matches!(strip_type_group(&r.elem), syn::Type::Array(_)) {
        return None;
    }
    match strip_type_group(element_type(&r.elem)?) {
        syn::Type::Reference(row) if row.mutability.is_none() => {
            match strip_type_group(&row.elem) {
                syn::Type::Slice(s) => Some(&s.elem),
                _ => None,
            }
        }
        row @ syn::Type::Path(_) => element_type(row),
        _ => None,
    }
}

/// Rows of reals of lengths known only when the program runs, read by reference: `&[Vec<f64>]`,
/// `&Vec<Vec<f64>>`, `&[&[f64]]` (observations of varying counts, read as data).
pub(crate) fn ragged_rows(ty: &syn::Type) -> bool {
    ragged_row(ty).is_some_and(|t| is_ident(t, "f64"))
}

/// Any table of rows of varying lengths (reals, integers, bools): its rows are borrowed where
/// they are bound, `let y = &obs[k];`, as a `Vec` row cannot be moved out.
pub(crate) fn borrowed_rows(ty: &syn::Type) -> bool {
    ragged_row(ty).is_some()
}

/// Whether `ty` is a slice, array or `Vec` of integers (by reference or not): `at: &[usize]`.
pub(super) fn holds_integers(ty: &syn::Type) -> bool {
    match strip_type_group(ty) {
        syn::Type::Reference(r) => holds_integers(&r.elem),
        ty => element_type(ty).is_some_and(is_int_type),
    }
}

/// `&Vec<f64>` or `&mut Vec<f64>`?
pub(super) fn is_vec_ref(ty: &syn::Type) -> bool {
    matches!(strip_type_group(ty), syn::Type::Reference(r) if is_vec_f64(&r.elem))
}

/// The kind of a value of type `ty`, or an error saying which types are accepted.
pub(super) fn kind_of_type(ty: &syn::Type, param: bool) -> syn::Result<Kind> {
    if is_ident(ty, "f64") || crate::structs::ints::is_sent(strip_type_group(ty)) {
        return Ok(Kind::Real);
    }
    if let Some(k) = matrix_kind(ty) {
        return k;
    }
    if is_ident(ty, "f32") {
        return err_at(ty,
            "write `f64`: the generated companions are generic over the scalar type, so they also run at `f32`",
        );
    }
    if is_int_type(ty) || crate::structs::ints::is_field_type(strip_type_group(ty)) {
        return Ok(Kind::Int);
    }
    if is_ident(ty, "bool") {
        return Ok(Kind::Bool);
    }
    if is_vec_f64(ty) {
        return Ok(Kind::RealArray(ArrayRepr::Vec));
    }
    match strip_type_group(ty) {
        syn::Type::Array(a) if is_ident(&a.elem, "f64") => {
            return Ok(Kind::RealArray(ArrayRepr::Array(ArrayLen(
                a.len.to_token_stream(),
            ))))
        }
        syn::Type::Reference(r) if param => {
            if let syn::Type::Slice(s) = strip_type_group(&r.elem) {
                if is_ident(&s.elem, "f64") {
                    return Ok(Kind::RealArray(if r.mutability.is_some() {
                        ArrayRepr::SliceMut
                    } else {
                        ArrayRepr::Slice
                    }));
                }
            }
            // `&[f64; N]` is read as the slice it coerces to (the function as written has
            // checked its length).
            if let syn::Type::Array(a) = strip_type_group(&r.elem) {
                if is_ident(&a.elem, "f64") {
                    return Ok(Kind::RealArray(if r.mutability.is_some() {
                        ArrayRepr::SliceMut
                    } else {
                        ArrayRepr::Slice
                    }));
                }
            }
            // `&Vec<f64>` is read as the slice it derefs to (its length cannot change
            // through `&mut` in the subset, which has no `push`).
            if is_vec_f64(&r.elem) {
                return Ok(Kind::RealArray(if r.mutability.is_some() {
                    ArrayRepr::SliceMut
                } else {
                    ArrayRepr::Slice
                }));
            }
            if let Some(k) = matrix_kind(&r.elem) {
                if r.mutability.is_some() {
                    return err_at(ty, "a matrix or vector parameter is read, not written, by a differentiable function: take `&DVector<f64>` (or the value) and return the result, built in a local, `let mut du = DVector::zeros(n); du[i] = ..; du`");
                }
                return k;
            }
        }
        syn::Type::Paren(p) => return kind_of_type(&p.elem, param),
        _ => {}
    }
    if option_of_scalar(ty).is_some() {
        if param {
            return Ok(Kind::Opaque);
        }
        return err_at(ty, "an `Option` is read as data: take it as a parameter outside `wrt(..)`, `weight: Option<f64>`, and test it with `if let Some(w) = weight` or `match`; in a local, hold the value and a flag, `let (w, given) = (0.0, false);`");
    }
    if is_integer_data(ty) {
        return Ok(Kind::Opaque);
    }
    if let Some(t) = tuple_elements(ty) {
        if mentions_float(ty) {
            return tuples_of_reals(ty, t, param);
        }
    }
    if nests_arrays_of_reals(ty) {
        return err_at(ty, NESTED_LOCAL);
    }
    if param && declared_data(ty) {
        // `scheme: Scheme`: data, which rustc checks is `tapeless::Data` (see `lib::generate`).
        return Ok(Kind::Opaque);
    }
    let what = if mentions_float(ty) {
        "unsupported type"
    } else {
        // A name tapeless cannot look behind may hide an `f64`: refusing it is what keeps a
        // derivative from silently coming out zero.
        "tapeless sees types by their names and cannot look behind this one (a type alias or a generic type may hide an `f64`)"
    };
    err_at(
        ty,
        format!("{what}: write `f64`, `&[f64]`, `&mut [f64]`, `[f64; N]`, `Vec<f64>` or an nalgebra `DVector<f64>`, `DMatrix<f64>`, `SVector<f64, N>`, `SMatrix<f64, R, C>` for reals, or integers and bools (also in slices, arrays and `Vec`s); a struct is a parameter by reference, `p: &Params`, with `#[differentiable]` on its definition"),
    )
}

/// The tuple type of the elements of `ty`, a slice, array or `Vec` (or a reference of one) of
/// tuples: `(usize, f64)` of `&[(usize, f64)]`.
pub(super) fn tuple_elements(ty: &syn::Type) -> Option<&syn::TypeTuple> {
    let elem = match ty {
        syn::Type::Reference(r) => return tuple_elements(&r.elem),
        syn::Type::Paren(p) => return tuple_elements(&p.elem),
        syn::Type::Group(g) => return tuple_elements(&g.elem),
        syn::Type::Slice(s) => &*s.elem,
        syn::Type::Array(a) => &*a.elem,
        syn::Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(seg) if seg.ident == "Vec" => match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                    syn::GenericArgument::Type(t) => t,
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    match strip_type_group(elem) {
        syn::Type::Tuple(t) if !t.elems.is_empty() => Some(t),
        _ => None,
    }
}

/// The kinds of the fields of `t` when each is a real, an integer or a bool: `[Real, Int]` of
/// `(f64, usize)`.
pub(super) fn tuple_field_kinds(t: &syn::TypeTuple) -> Option<Vec<Kind>> {
    fn field_kind(f: &syn::Type) -> Option<Kind> {
        match strip_type_group(f) {
            syn::Type::Paren(p) => field_kind(&p.elem),
            f if is_ident(f, "f64") => Some(Kind::Real),
            f if is_int_type(f) => Some(Kind::Int),
            f if is_ident(f, "bool") => Some(Kind::Bool),
            _ => None,
        }
    }
    t.elems.iter().map(field_kind).collect()
}

/// A slice, array or `Vec` of tuples holding reals (`elem` the tuple type): data when it is a
/// parameter of tuples of reals, integers and bools (`obs: &[(usize, f64)]` outside
/// `wrt(..)`, see `tuple_data`), refused elsewhere saying what to write.
fn tuples_of_reals(ty: &syn::Type, elem: &syn::TypeTuple, param: bool) -> syn::Result<Kind> {
    if tuple_field_kinds(elem).is_none() {
        return err_at(
            elem,
            "the fields of tuples in a slice, array or `Vec` are reals, integers or bools, `&[(usize, f64)]`: pass arrays as arrays of arrays, `&[[f64; K]]`, or as slices of their own",
        );
    }
    if !param {
        return err_at(
            ty,
            "a slice, array or `Vec` of tuples holding reals is read as data: take it as a parameter outside `wrt(..)`, `obs: &[(usize, f64)]`; a local holds each field in a slice of its own, `idx: Vec<usize>, y: Vec<f64>`",
        );
    }
    Ok(Kind::Opaque)
}

/// The kind of the value of `ty`, an `Option` of a real, an integer or a bool (`Option<f64>`).
pub(super) fn option_of_scalar(ty: &syn::Type) -> Option<Kind> {
    let syn::Type::Path(p) = strip_type_group(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != "Option" || p.qself.is_some() {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
        return None;
    };
    match a.args.first()? {
        syn::GenericArgument::Type(t) if a.args.len() == 1 => match strip_type_group(t) {
            t if is_ident(t, "f64") => Some(Kind::Real),
            t if is_int_type(t) => Some(Kind::Int),
            t if is_ident(t, "bool") => Some(Kind::Bool),
            _ => None,
        },
        _ => None,
    }
}

/// Integers and bools, and slices, arrays, `Vec`s and references of them: values that hold no
/// real, copied as written.
pub(super) fn is_integer_data(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_integer_data(&r.elem),
        syn::Type::Slice(s) => is_integer_data(&s.elem),
        syn::Type::Array(a) => is_integer_data(&a.elem),
        syn::Type::Paren(p) => is_integer_data(&p.elem),
        syn::Type::Group(g) => is_integer_data(&g.elem),
        syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(is_integer_data),
        syn::Type::Path(p) if p.qself.is_none() => {
            if is_int_type(ty) || is_ident(ty, "bool") {
                return true;
            }
            match p.path.segments.last() {
                Some(last) if last.ident == "Vec" && p.path.segments.len() == 1 => {
                    match &last.arguments {
                        syn::PathArguments::AngleBracketed(a) => {
                            matches!(a.args.first(), Some(syn::GenericArgument::Type(t)) if is_integer_data(t))
                        }
                        _ => false,
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The written type of each component of the result.
pub(super) fn return_types(output: &syn::ReturnType, tuple: bool) -> Vec<Option<syn::Type>> {
    match output {
        syn::ReturnType::Default => Vec::new(),
        syn::ReturnType::Type(_, ty) => match strip_type_group(ty) {
            syn::Type::Tuple(t) if tuple => t.elems.iter().cloned().map(Some).collect(),
            ty => vec![Some(ty.clone())],
        },
    }
}

/// Names of `f64` constants that are reals wherever they appear.
pub(super) fn is_float_const_path(path: &syn::Path) -> bool {
    path.segments.iter().any(|s| s.ident == "f64")
}

/// The parameter `name: ty` of arrays of arrays of reals as it carries derivatives: by
/// reference, with rows of reals, `name: &[[f64; 2]]`.
pub(super) fn by_reference(ty: &syn::Type, name: &str) -> String {
    let row = row_len(ty).unwrap_or_else(|| "K".to_string());
    format!("`{name}: &[[f64; {row}]]`")
}

/// The length of the innermost rows of `ty` (`2` of `&[[f64; 2]]`), as written.
fn row_len(ty: &syn::Type) -> Option<String> {
    match strip_type_group(ty) {
        syn::Type::Reference(r) => row_len(&r.elem),
        syn::Type::Paren(p) => row_len(&p.elem),
        syn::Type::Array(a) if is_ident(&a.elem, "f64") => {
            Some(a.len.to_token_stream().to_string())
        }
        syn::Type::Array(a) => row_len(&a.elem),
        syn::Type::Slice(s) => row_len(&s.elem),
        syn::Type::Path(p) => match &p.path.segments.last()?.arguments {
            syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                syn::GenericArgument::Type(t) => row_len(t),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Why an array of arrays of reals cannot be built or written, and what to write instead.
pub(super) const NESTED_LOCAL: &str = "arrays of arrays of reals are parameters `x: &[[f64; K]]` (data, or differentiated when named in `wrt(..)`) and `&mut [[f64; K]]`, and locals made in a `let` of their own, `let mut v = [[0.0; K]; N];`, `vec![[0.0; K]; n]` or `let f = forces(&x);` of a function returning `Vec<[f64; K]>` or `[[f64; K]; N]`, all read and written `v[k][j]`; elsewhere write the values flat, `[0.0; 3 * N]` read as `v[3 * k + j]`, or one array per component";

/// Whether `ty` is a slice, array or `Vec` (or a reference to one) whose elements are arrays of
/// reals: `&[[f64; 2]]`, `Vec<[f64; 3]>`, `[[f64; 2]; N]`.
pub(super) fn nests_arrays_of_reals(ty: &syn::Type) -> bool {
    let elem = match strip_type_group(ty) {
        syn::Type::Reference(r) => return nests_arrays_of_reals(&r.elem),
        syn::Type::Slice(s) => &*s.elem,
        syn::Type::Array(a) => &*a.elem,
        syn::Type::Path(p) => match p.path.segments.last() {
            Some(seg) if seg.ident == "Vec" => match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) => match a.args.first() {
                    Some(syn::GenericArgument::Type(t)) if a.args.len() == 1 => t,
                    _ => return false,
                },
                _ => return false,
            },
            _ => return false,
        },
        _ => return false,
    };
    matches!(strip_type_group(elem), syn::Type::Array(a) if is_ident(&a.elem, "f64"))
        || matches!(strip_type_group(elem), syn::Type::Array(_) | syn::Type::Slice(_) if nests_arrays_of_reals(elem))
}
