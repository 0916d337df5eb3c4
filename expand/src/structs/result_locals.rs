//! What a struct result's literal is read against (`results`): the parameters, the struct
//! parameters, the locals declared as arrays, and the struct locals bound by a literal.
//!
//! A local returned whole after edits (`let mut r = State { x: .., q: [..] }; r.x = ..; r.q[1]
//! += ..; r`) reaches `results` as the literal of its fields (`State { x: r.x, q: r.q }`,
//! `super::locals::tail_whole`), where `r.q` does not say that it is an array: the literal that
//! bound `r` does ([`LocalLiterals::array_len`]), so the field is copied element by element.

use super::flatten;
use syn::visit::Visit;

/// The names of locals and parameters declared as arrays (`let q = [..]`, `q: [f64; 3]`,
/// `x: &[f64]`).
pub(super) fn arrays(func: &syn::ItemFn) -> Vec<String> {
    fn is_array(ty: &syn::Type) -> bool {
        match ty {
            syn::Type::Array(_) | syn::Type::Slice(_) => true,
            syn::Type::Reference(r) => is_array(&r.elem),
            _ => false,
        }
    }
    struct Locals(Vec<String>);
    impl<'a> Visit<'a> for Locals {
        fn visit_local(&mut self, l: &'a syn::Local) {
            let (pat, typed) = match &l.pat {
                syn::Pat::Type(pt) => (&*pt.pat, is_array(&pt.ty)),
                p => (p, false),
            };
            let init = l
                .init
                .as_ref()
                .is_some_and(|i| matches!(&*i.expr, syn::Expr::Array(_) | syn::Expr::Repeat(_)));
            if let syn::Pat::Ident(pi) = pat {
                if typed || init {
                    self.0.push(pi.ident.to_string());
                }
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut v = Locals(Vec::new());
    for a in &func.sig.inputs {
        if let syn::FnArg::Typed(pt) = a {
            if let (syn::Pat::Ident(pi), true) = (&*pt.pat, is_array(&pt.ty)) {
                v.0.push(pi.ident.to_string());
            }
        }
    }
    v.visit_block(&func.block);
    v.0
}

pub(super) fn param_names(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => match &*pt.pat {
                syn::Pat::Ident(pi) => Some(pi.ident.to_string()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

pub(super) fn struct_roots(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => match (flatten::struct_type(&pt.ty), &*pt.pat) {
                (Some(_), syn::Pat::Ident(pi)) => Some(pi.ident.to_string()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// The root of a field chain `s.a.b`.
pub(super) fn field_root(e: &syn::Expr) -> Option<syn::Ident> {
    match e {
        syn::Expr::Field(f) if matches!(f.member, syn::Member::Named(_)) => field_root(&f.base),
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    }
}

/// The struct locals bound by a literal at the body's top level, each name's last binding (a
/// copy `let t = s;` is `s`'s literal; a `let` of anything else forgets the name): the
/// bindings the body's tail sees.
pub(super) struct LocalLiterals(Vec<(String, syn::ExprStruct)>);

impl LocalLiterals {
    pub(super) fn of(block: &syn::Block) -> Self {
        let mut bound: Vec<(String, syn::ExprStruct)> = Vec::new();
        for stmt in &block.stmts {
            let syn::Stmt::Local(l) = stmt else { continue };
            let Some((name, _)) = super::locals::simple_binding(&l.pat) else {
                continue;
            };
            let name = name.to_string();
            let lit = l
                .init
                .as_ref()
                .and_then(|init| match strip_parens(&init.expr) {
                    syn::Expr::Struct(lit) => Some(lit.clone()),
                    syn::Expr::Path(p) if p.qself.is_none() => {
                        let from = p.path.get_ident()?.to_string();
                        bound
                            .iter()
                            .find(|(n, _)| *n == from)
                            .map(|(_, l)| l.clone())
                    }
                    _ => None,
                });
            bound.retain(|(n, _)| *n != name);
            if let Some(lit) = lit {
                bound.push((name, lit));
            }
        }
        LocalLiterals(bound)
    }

    /// `..base` of the literal binding `name`, when it has one.
    pub(super) fn rest(&self, name: &syn::Path) -> Option<&syn::Expr> {
        let name = name.get_ident()?.to_string();
        let lit = &self.0.iter().find(|(n, _)| *n == name)?.1;
        lit.rest.as_deref()
    }

    /// The expression the literal binding `e`'s root gave the field `e` names (`r.inner.q`:
    /// `q` of the nested literal `inner` of `r`'s).
    fn field(&self, e: &syn::Expr) -> Option<&syn::Expr> {
        let mut members = Vec::new();
        let mut at = e;
        while let syn::Expr::Field(f) = at {
            let syn::Member::Named(m) = &f.member else {
                return None;
            };
            members.push(m.clone());
            at = &f.base;
        }
        let syn::Expr::Path(root) = at else {
            return None;
        };
        let root = root.path.get_ident()?.to_string();
        let mut lit = &self.0.iter().find(|(n, _)| *n == root)?.1;
        let (last, nested) = members.split_first()?;
        for m in nested.iter().rev() {
            match strip_parens(&find(lit, m)?.expr) {
                syn::Expr::Struct(inner) => lit = inner,
                _ => return None,
            }
        }
        Some(&find(lit, last)?.expr)
    }

    /// Whether the field `e` of a struct local is an array by its literal (`q: [a, b]`, `q:
    /// [0.0; N]`, `q: w` of an array local `w`, or a field of another struct local that is
    /// one).
    pub(super) fn is_array(&self, e: &syn::Expr, arrays: &[String]) -> bool {
        let mut at = e;
        // A field of a struct local copied from another's (`let t = State { q: s.q, .. }`),
        // at most a few deep (a literal may read the name it rebinds).
        for _ in 0..8 {
            match self.field(at).map(strip_parens) {
                Some(syn::Expr::Array(_) | syn::Expr::Repeat(_)) => return true,
                Some(syn::Expr::Path(p)) => {
                    return p
                        .path
                        .get_ident()
                        .is_some_and(|i| arrays.contains(&i.to_string()))
                }
                Some(next @ syn::Expr::Field(_)) => at = next,
                _ => return false,
            }
        }
        false
    }
}

fn find<'a>(lit: &'a syn::ExprStruct, member: &syn::Ident) -> Option<&'a syn::FieldValue> {
    lit.fields
        .iter()
        .find(|fv| matches!(&fv.member, syn::Member::Named(n) if n == member))
}

fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        e => e,
    }
}
