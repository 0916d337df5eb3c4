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
