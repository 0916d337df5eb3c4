//! A `&mut` struct parameter (or `&mut self`) whose fields the function uses *and* which it
//! passes whole: `inner(s, h); s.x[1] *= 0.5;`, and a `&mut self` method that calls methods of
//! `self` (`self.x[0] += self.force(v);`, `self.kick(h); self.drift(h);`).
//!
//! Flattened by its fields, the function would hold slices of the fields beside the whole
//! struct the callee writes, which alias. So such a struct is held as **its reals** instead,
//! as a caller holds a struct taken from a call (`taken`): the flattened function takes one
//! `&mut [f64]` standing for the whole struct (named as the parameter, `self` and the separator
//! for the receiver), its fields are places in it that rustc evaluates (`s.x[i]` is
//! `s[__tl_State::__TL_AT_x + (i)]`, `self.k` is `self__[Self::__TL_AT_k]`, `&s.x` is
//! `&s[at..at + len]`, from the constants the struct's attribute publishes, `layout`), and the
//! struct goes on whole to the callee's companions for callers holding reals: `inner(s, h)` as
//! `__inner_held(s, h)` and `self.force(v)` as `Self::__tl_m_force(self__, v)` (`held`), which
//! take it as any `AsStruct + AddAdjoint` and store what the callee writes back. The pipeline
//! differentiates the reals as any written array (saved and restored around calls as an
//! array's). The companions (`wrap`) copy the struct, its tangent and its adjoint into their
//! reals before the call and back after it. Integer and bool fields have no place among the
//! reals (their place is a compile error naming the field), as for a held struct.

use proc_macro2::TokenStream;
use quote::quote;

/// A struct parameter held as its reals: its name in the user's function, its name in the
/// flattened function, and the layout naming its places.
pub(super) struct Held {
    pub(super) root: String,
    pub(super) flat: syn::Ident,
    pub(super) layout: super::self_calls::Layout,
}

/// The layout of `ty`'s places: `Self`, or the struct's alias (`__tl_State`); `None` for a
/// type whose alias cannot be named here (a path of several segments, generic arguments).
pub(super) fn layout_of(ty: &syn::Type) -> Option<super::self_calls::Layout> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let id = p.path.get_ident()?;
    if id == "Self" {
        return Some(super::self_calls::Layout::of_type(id.clone()));
    }
    Some(super::self_calls::Layout::of_type(
        super::layout::alias_name(id),
    ))
}

/// The `&mut` roots passed whole (`roots`) whose fields are used too (`leaves`), held as their
/// reals when their places can be named ([`layout_of`]): not a type written as a path, nor a
/// receiver with fields of nested structs used (`Self` names no alias of theirs).
pub(super) fn held_roots<'a>(
    roots: impl Iterator<Item = &'a syn::Ident>,
    leaves: &[(syn::Ident, super::flatten::Leaf)],
    params: &[super::flatten::Param],
) -> Vec<Held> {
    let mut out: Vec<Held> = Vec::new();
    for root in roots {
        let used = leaves.iter().any(|(r, _)| r == root);
        if !used || out.iter().any(|h| *root == h.root) {
            continue;
        }
        let param = params.iter().find_map(|p| match p {
            super::flatten::Param::Struct(s) if s.name == *root => Some(s),
            _ => None,
        });
        let Some(s) = param else { continue };
        let Some(layout) = layout_of(&s.ty) else {
            continue;
        };
        let nested = leaves.iter().any(|(r, l)| r == root && l.path.len() > 1);
        if s.receiver && nested {
            continue;
        }
        out.push(Held {
            root: root.to_string(),
            flat: super::flatten::whole_ident(s),
            layout,
        });
    }
    out
}

/// Whether `a` is a struct held as its reals passed whole (`s`, `&mut *s`, `&*s`).
pub(super) fn is_held_arg(held: &[Held], a: &syn::Expr) -> bool {
    let inner = match a {
        syn::Expr::Reference(r) => match &*r.expr {
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &*u.expr,
            e => e,
        },
        e => e,
    };
    let syn::Expr::Path(p) = inner else {
        return false;
    };
    p.path
        .get_ident()
        .is_some_and(|id| held.iter().any(|h| *id == h.root))
}

/// Whether method call `m` passes a struct held as its reals (the receiver or an argument).
pub(super) fn held_call(held: &[Held], m: &syn::ExprMethodCall) -> bool {
    is_held_arg(held, &m.receiver) || m.args.iter().any(|a| is_held_arg(held, a))
}

/// The refusal of a `&mut` struct `shown` passed whole beside its fields when it cannot be held
/// as its reals ([`held_roots`]).
pub(super) fn refusal(shown: &str) -> String {
    if shown == "self" {
        "in a `&mut self` method that calls a method of `self` or passes `self` whole, fields of nested structs of `self` (`self.inner.a`) are not supported yet: `self` is held as its reals, and `Self` names no places of a nested struct. Read and write the nested struct in a method of its own (`self.inner.relax(h)`), or in the callee".to_string()
    } else {
        format!("passing the `&mut` struct `{shown}` whole to another function while using its fields here needs its type named by one identifier (`{shown}: &mut State`, with `use ..::State;`): the struct is held as its reals at the places its type's attribute publishes (`__tl_State::__TL_AT_x`)")
    }
}

/// A field chain `e` on a held root: the flat root, the field's start and its length.
pub(super) fn field(
    held: &[Held],
    roots: &[String],
    e: &syn::Expr,
) -> Option<(syn::Ident, TokenStream, TokenStream)> {
    let (root, members) = super::flatten::chain(e, roots)?;
    let h = held.iter().find(|h| root == h.root)?;
    let mut path = Vec::new();
    for m in members {
        match m {
            syn::Member::Named(id) => path.push(syn::ext::IdentExt::unraw(&id).to_string()),
            syn::Member::Unnamed(_) => return None,
        }
    }
    let (at, len) = super::taken::place(&h.layout, &path);
    Some((h.flat.clone(), at, len))
}

/// `root[at + (index)]`.
pub(super) fn indexed(
    (root, at, _): &(syn::Ident, TokenStream, TokenStream),
    index: &syn::Expr,
) -> syn::Expr {
    syn::parse_quote!(#root[#at + (#index)])
}

/// `root[at]` for a real, `root[at..at + len]` for an array field.
pub(super) fn place(
    (root, at, len): &(syn::Ident, TokenStream, TokenStream),
    array: bool,
) -> syn::Expr {
    if array {
        syn::parse_quote!(#root[#at..#at + #len])
    } else {
        syn::parse_quote!(#root[#at])
    }
}

/// The callee of `f(.., s, ..)` with a held `s`: `f`'s companions for callers holding structs
/// as reals (`__f_held`, see `held::companions`), the path's last segment renamed.
/// A callee the caller's pass (`taken`) already made one taking structs as reals
/// (`__step_into`, `__energy_held`, `Self::__tl_self_rk4_into`) stays as it is.
pub(super) fn held_callee(func: &mut syn::Expr) {
    if let syn::Expr::Path(p) = func {
        if let Some(last) = p.path.segments.last_mut() {
            let name = last.ident.to_string();
            let taken = name.starts_with("__tl_")
                || (name.starts_with("__") && (name.ends_with("_into") || name.ends_with("_held")));
            if last.arguments.is_none() && !taken {
                last.ident = super::held::name(&last.ident);
            }
        }
    }
}

/// The wrapper's statements for a struct held as reals: `let mut r = base.__tl_held();` before
/// the call, `base.__tl_unhold(&r)` after it, and the argument `&mut r[..]`.
pub(super) fn copy_in_out(base: &syn::Ident) -> (TokenStream, TokenStream, TokenStream) {
    let reals = syn::Ident::new(&format!("{base}_reals"), proc_macro2::Span::mixed_site());
    // Its reals, then its integer and bool fields (`layout::hold`), as the callees' companions
    // for callers holding reals read it.
    let pre = quote!(let mut #reals = (*#base).__tl_held(););
    let post = quote!((*#base).__tl_unhold(&#reals););
    (pre, post, quote!(&mut #reals[..]))
}
