//! An array field of a struct parameter copied into a local, `let w = p.w;`, then read as an
//! array (`w[i]`, `w.len()`, `w.iter()`): the local is a copy of the field's reals,
//! `let w = p__w.to_vec();`, so that it is an array of its own in the flattened function (it
//! was taken for a real, "`w` is not an array"). Writing to it writes the copy, as in Rust.

use syn::visit::Visit;

/// The names of the locals `block` reads as arrays.
pub fn array_locals(block: &syn::Block) -> Vec<String> {
    let mut v = Arrays(Vec::new());
    v.visit_block(block);
    v.0
}

struct Arrays(Vec<String>);

/// The name of `e` when it is a plain variable.
fn var(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => p
            .path
            .get_ident()
            .map(|i| syn::ext::IdentExt::unraw(i).to_string()),
        syn::Expr::Paren(p) => var(&p.expr),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Arrays {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        let array = match e {
            syn::Expr::Index(ix) => var(&ix.expr),
            syn::Expr::MethodCall(m) if super::scalar_writes::is_array_method(&m.method) => {
                var(&m.receiver)
            }
            _ => None,
        };
        self.0.extend(array);
        syn::visit::visit_expr(self, e);
    }
}

/// Whether `let pat = init` copies a field into a local that `arrays` holds: `pat` a plain
/// name (or `mut` one) and `init` a field chain.
pub fn is_array_copy(pat: &syn::Pat, init: &syn::Expr, arrays: &[String]) -> bool {
    let syn::Pat::Ident(pi) = pat else {
        return false;
    };
    let name = syn::ext::IdentExt::unraw(&pi.ident).to_string();
    pi.subpat.is_none()
        && pi.by_ref.is_none()
        && matches!(init, syn::Expr::Field(_))
        && arrays.contains(&name)
}
