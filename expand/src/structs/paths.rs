//! Field chains rooted at a struct parameter (`p.inner.a`), shared by the flattening and the
//! passes that read struct parameters' fields.

/// `p.a.b` rooted at a struct parameter: its root and members.
pub(super) fn chain(e: &syn::Expr, roots: &[String]) -> Option<(syn::Ident, Vec<syn::Member>)> {
    match e {
        syn::Expr::Field(f) => {
            if let Some((root, mut members)) = chain(&f.base, roots) {
                members.push(f.member.clone());
                return Some((root, members));
            }
            if let syn::Expr::Path(p) = &*f.base {
                if p.qself.is_none() {
                    if let Some(id) = p.path.get_ident() {
                        if roots.iter().any(|r| id == r) {
                            return Some((id.clone(), vec![f.member.clone()]));
                        }
                    }
                }
            }
            None
        }
        syn::Expr::Paren(p) => chain(&p.expr, roots),
        syn::Expr::Group(g) => chain(&g.expr, roots),
        _ => None,
    }
}
