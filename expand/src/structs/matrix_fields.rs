//! nalgebra fields of a struct parameter (`s.x` of `SVector<f64, 3>`, `DVector<f64>`,
//! `DMatrix<f64>`): read and written as their reals in storage order, as an array field is.
//!
//! The struct's attribute makes such a field the same nalgebra type at the scalar `S`
//! (`item`), and the companions pass it to the flattened function as a slice of its reals
//! (`tapeless::FieldReals`, column-major for a matrix), so `s.x[i]`, `s.x.len()`,
//! `s.x.iter()` and iterator chains over it are differentiated as for `[f64; N]`. What the
//! flattened function cannot see is the field's nalgebra type (the attribute on the function
//! does not see the struct), so nalgebra's own operations on a field are refused here, with
//! what to write: a local nalgebra value copied from the field's reals
//! (`DVector::from_column_slice(s.x.as_slice())`; `s.x.as_slice()` is the field's slice
//! itself), whose operations are differentiated, or the element of a matrix by its storage
//! index.

/// An nalgebra method on a struct parameter's field: `s.x.as_slice()` (or
/// `s.x.as_mut_slice()`) replaced by the field `s.x`, which the caller flattens to the slice
/// of its reals (`Ok(written)`), or the refusal of an operation of nalgebra's (`s.x.dot(&y)`,
/// `s.m[(i, j)]`); `None` for anything else.
pub(super) fn rewrite(e: &mut syn::Expr, roots: &[String]) -> Option<Result<bool, syn::Error>> {
    if let syn::Expr::MethodCall(m) = e {
        let slice = m.method == "as_slice" || m.method == "as_mut_slice";
        if slice && m.args.is_empty() && super::flatten::chain(&m.receiver, roots).is_some() {
            let written = m.method == "as_mut_slice";
            *e = (*m.receiver).clone();
            return Some(Ok(written));
        }
    }
    refused(e, roots).map(Err)
}

/// The refusal of an nalgebra operation on a struct parameter's field, if `e` is one.
fn refused(e: &syn::Expr, roots: &[String]) -> Option<syn::Error> {
    match e {
        syn::Expr::MethodCall(m)
            if is_nalgebra_method(&m.method)
                && super::flatten::chain(&m.receiver, roots).is_some() =>
        {
            let field = quote::ToTokens::to_token_stream(&m.receiver)
                .to_string()
                .replace(' ', "");
            Some(syn::Error::new_spanned(
                &m.method,
                format!(
                    "`.{}(..)` on the struct's field `{field}` is not differentiated: a function sees a struct's nalgebra field as its reals in storage order (`{field}[i]`, `{field}.iter()`); copy it into a local nalgebra value first, `let v = DVector::from_column_slice({field}.as_slice());` (or `SVector::<f64, N>::from_column_slice(..)`), whose operations are differentiated",
                    m.method
                ),
            ))
        }
        syn::Expr::Index(ix)
            if matches!(&*ix.index, syn::Expr::Tuple(_))
                && super::flatten::chain(&ix.expr, roots).is_some() =>
        {
            let field = quote::ToTokens::to_token_stream(&ix.expr)
                .to_string()
                .replace(' ', "");
            Some(syn::Error::new_spanned(
                &ix.index,
                format!(
                    "a function sees a struct's nalgebra matrix field as its reals in storage (column-major) order: write `{field}[i + j * nrows]` for the element `(i, j)`, or take the matrix as a parameter `m: &DMatrix<f64>`, whose `m[(i, j)]` is differentiated"
                ),
            ))
        }
        _ => None,
    }
}

/// nalgebra's differentiated methods (`dot`, `norm`, `transpose`, ...) and the other common
/// ones a user may write on a field, none of them a method of arrays or `Vec`s that the
/// flattening knows.
fn is_nalgebra_method(name: &syn::Ident) -> bool {
    const OTHERS: &[&str] = &[
        "norm_squared",
        "magnitude",
        "cross",
        "component_div",
        "normalize",
        "nrows",
        "ncols",
        "shape",
        "column_mut",
        "row_mut",
        "fill",
        "scale",
        "tr_mul",
        "tr_dot",
    ];
    let n = name.to_string();
    crate::rules::matrix_method_names().any(|m| m == n) || OTHERS.contains(&n.as_str())
}

/// An nalgebra vector or matrix built in a struct literal's field (`x: Vector3::new(a, b, c)`):
/// its elements in storage order, written real by real (`Ok`), or the refusal of a constructor
/// whose elements are not given in that order or whose size is not fixed (`Err`); `None` when
/// `e` is not a call of an nalgebra type's associated function. The field's type is checked by
/// rustc: the result's shape gives it zeros of its own type (`ZeroShape`).
///
/// `new` of a vector (`SVector`, `Vector1`..`Vector6`, their row forms) takes its elements in
/// order; `from([..])` of a vector and `from_column_slice(&[..])` of any fixed-size type take
/// them in storage order. A matrix's `new` takes them row by row, and `DVector`/`DMatrix` have
/// no size the result's shape can build: both refused, saying what to write.
pub(super) fn constructor(e: &syn::Expr) -> Option<Result<Vec<syn::Expr>, syn::Error>> {
    let syn::Expr::Call(c) = e else {
        return None;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let n = p.path.segments.len();
    if p.qself.is_some() || n < 2 {
        return None;
    }
    let ty = p.path.segments[n - 2].ident.to_string();
    let method = p.path.segments[n - 1].ident.to_string();
    let vector = ty == "SVector"
        || ty == "RowSVector"
        || ["Vector", "RowVector"].iter().any(|v| {
            ty.strip_prefix(v).is_some_and(|d| {
                d.len() == 1 && ('1'..='6').contains(&d.chars().next().unwrap_or('0'))
            })
        });
    let dynamic = ["DVector", "DMatrix", "RowDVector", "OMatrix", "OVector"].contains(&ty.as_str());
    let matrix = ty == "SMatrix" || (ty.starts_with("Matrix") && ty.len() > 6);
    if !(vector || dynamic || matrix) {
        return None;
    }
    let array = |a: &syn::Expr| match a {
        syn::Expr::Array(a) => Some(a.elems.iter().cloned().collect::<Vec<_>>()),
        syn::Expr::Reference(r) => match &*r.expr {
            syn::Expr::Array(a) => Some(a.elems.iter().cloned().collect()),
            _ => None,
        },
        _ => None,
    };
    let one = (c.args.len() == 1).then(|| c.args.first()).flatten();
    let elements = match method.as_str() {
        _ if dynamic => None,
        "new" if vector => Some(c.args.iter().cloned().collect()),
        "from" if vector => one.and_then(&array),
        "from_column_slice" => one.and_then(&array),
        _ => None,
    };
    Some(elements.ok_or_else(|| {
        let msg = if dynamic {
            format!("a `{ty}` field of a returned struct has no size its shape can be built with: copy it from a parameter's field (`v: s.v`), or write the struct in place (`fn step(s: &mut State, ..)` writing `s.v[i]`)")
        } else {
            format!("a returned struct's nalgebra field is written as its reals in storage (column-major) order: build it by `{ty}::from_column_slice(&[..])` with an array literal (or a vector's `new(a, b, ..)`, `from([a, b, ..])`), or copy it from a parameter's field (`x: s.x`)")
        };
        syn::Error::new_spanned(&c.func, msg)
    }))
}

/// The number of reals of a fixed-size nalgebra type as written in a struct (`SVector<f64, 3>`,
/// `SMatrix<f64, 2, 3>`, `Vector3<f64>`, `RowVector2<f64>`, `Matrix3<f64>`, `Matrix2x3<f64>`),
/// `None` for `DVector`, `DMatrix` and anything else.
pub(super) fn fixed_len(ty: &syn::Type) -> Option<syn::Expr> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    let name = last.ident.to_string();
    // `SVector<f64, N>`: `N` parses as a type when it is a name, as an expression otherwise.
    let dims: Vec<syn::Expr> = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .skip(1)
            .filter_map(|g| match g {
                syn::GenericArgument::Const(e) => Some(e.clone()),
                syn::GenericArgument::Type(syn::Type::Path(tp)) => {
                    Some(syn::Expr::Path(syn::ExprPath {
                        attrs: Vec::new(),
                        qself: tp.qself.clone(),
                        path: tp.path.clone(),
                    }))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let digit = |s: &str| -> Option<usize> {
        (s.len() == 1)
            .then(|| s.parse().ok())
            .flatten()
            .filter(|d| (1..=6).contains(d))
    };
    match name.as_str() {
        "SVector" | "RowSVector" if dims.len() == 1 => {
            let n = &dims[0];
            Some(syn::parse_quote!((#n) as usize))
        }
        "SMatrix" if dims.len() == 2 => {
            let (r, c) = (&dims[0], &dims[1]);
            Some(syn::parse_quote!(((#r) * (#c)) as usize))
        }
        _ => {
            let k = name
                .strip_prefix("RowVector")
                .or_else(|| name.strip_prefix("Vector"))
                .and_then(digit)
                .or_else(|| {
                    let m = name.strip_prefix("Matrix")?;
                    match m.split_once('x') {
                        Some((r, c)) => Some(digit(r)? * digit(c)?),
                        None => digit(m).map(|d| d * d),
                    }
                })?;
            Some(syn::parse_quote!(#k))
        }
    }
}
