//! `..base` in a struct local's literal: `State { x: a, ..s0 }`, `State { x: a, ..*s }`.
//!
//! A struct local is a local per field (`locals`), so the fields a literal leaves to its base
//! are locals too, copied from the base when the literal is evaluated, as Rust copies them:
//!
//! - from a **struct local** (`..s0`), whose fields the pass knows: every field of `s0` the
//!   literal does not name (`let t__v = s0__v;`);
//! - from anything else named by a path (`..*s` or `..s` with `s` a struct parameter), whose
//!   fields the attribute cannot see: the fields of the new local the rest of its block reads
//!   (`t.v` read later: `let t__v = s.v;`, which the flattening then reads as any field of
//!   `s`). A field nobody reads needs no local.
//!
//! The base is a path (a local or a parameter, behind `*` or parentheses): a value computed by
//! an expression would be evaluated once per field. Anything else is refused, saying to bind it
//! or to write the fields out.

use proc_macro2::{TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// The base of a literal: the root it names and the field path below it (`s0.inner` in
/// `..s0.inner`), as written without `*` or parentheses.
pub(super) struct Base {
    pub(super) root: syn::Ident,
    pub(super) path: Vec<String>,
    /// The base's expression without `*` (what a field of it is read from).
    pub(super) expr: syn::Expr,
}

/// The base `rest` of a literal, or the refusal of one that is not a path.
pub(super) fn base(rest: &syn::Expr) -> syn::Result<Base> {
    let mut e = rest;
    loop {
        match e {
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            _ => break,
        }
    }
    let mut path = Vec::new();
    let mut cur = e;
    while let syn::Expr::Field(f) = cur {
        match &f.member {
            syn::Member::Named(m) => path.push(syn::ext::IdentExt::unraw(m).to_string()),
            syn::Member::Unnamed(_) => break,
        }
        cur = &f.base;
    }
    path.reverse();
    let root = match cur {
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        _ => None,
    };
    match root {
        Some(root) => Ok(Base {
            root,
            path,
            expr: e.clone(),
        }),
        None => Err(syn::Error::new_spanned(
            rest,
            "`..base` takes a struct local or a struct parameter by its name (`..s0`, `..*s`): bind this value to a local first, or write every field",
        )),
    }
}

/// Whether field path `a` is `b`, inside it, or holds it: a field named in a literal covers
/// every path through it.
pub(super) fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// `base.rel.a.b`: the field `rel` of the base, at the base's span.
pub(super) fn field_of(base: &Base, rel: &[String]) -> syn::Expr {
    let mut e = base.expr.clone();
    let span = base.expr.span();
    for f in rel {
        let m = syn::Ident::new(f, span);
        e = syn::parse_quote_spanned!(span=> #e.#m);
    }
    e
}

/// The field paths of `name` read by `stmts` (`t.v` and `t.inner.a` give `["v"]`, `["inner",
/// "a"]`), until a `let` binds `name` again; a path that another extends is left out (its
/// whole use is refused where it is read, as for any struct local).
pub(super) fn uses(name: &str, stmts: &[syn::Stmt]) -> Vec<Vec<String>> {
    let mut v = Uses {
        name: name.to_string(),
        found: Vec::new(),
    };
    for (i, stmt) in stmts.iter().enumerate() {
        v.visit_stmt(stmt);
        if let syn::Stmt::Local(l) = stmt {
            v.found.extend(through(name, l, &stmts[i + 1..]));
            let mut names = Vec::new();
            super::locals::bound_names(&l.pat, &mut names);
            if names.contains(&v.name) {
                break;
            }
        }
    }
    let all = v.found;
    let mut out: Vec<Vec<String>> = Vec::new();
    for p in &all {
        let extended = all.iter().any(|q| q.len() > p.len() && q.starts_with(p));
        if !extended && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// The fields of `name` that a later local built with `..name` reads through it (`let q = Pair
/// { w: .., ..p }; q.inner.x` reads `p.inner.x`): the literal copies them from `name`.
fn through(name: &str, l: &syn::Local, later: &[syn::Stmt]) -> Vec<Vec<String>> {
    fn parts(
        lit: &syn::ExprStruct,
        prefix: &[String],
        named: &mut Vec<Vec<String>>,
        rests: &mut Vec<(Vec<String>, syn::Expr)>,
    ) {
        if let Some(rest) = &lit.rest {
            rests.push((prefix.to_vec(), (**rest).clone()));
        }
        for fv in &lit.fields {
            if let syn::Member::Named(m) = &fv.member {
                let mut path = prefix.to_vec();
                path.push(syn::ext::IdentExt::unraw(m).to_string());
                match &fv.expr {
                    syn::Expr::Struct(inner) => parts(inner, &path, named, rests),
                    _ => named.push(path),
                }
            }
        }
    }
    let (Some((q, _)), Some(init)) = (super::locals::simple_binding(&l.pat), &l.init) else {
        return Vec::new();
    };
    let syn::Expr::Struct(lit) = &*init.expr else {
        return Vec::new();
    };
    let (mut named, mut rests) = (Vec::new(), Vec::new());
    parts(lit, &[], &mut named, &mut rests);
    let mut out = Vec::new();
    let q = syn::ext::IdentExt::unraw(&q).to_string();
    for (prefix, rest) in rests {
        let Ok(b) = base(&rest) else { continue };
        if syn::ext::IdentExt::unraw(&b.root) != name {
            continue;
        }
        for w in uses(&q, later) {
            let own = named.iter().any(|n| overlaps(n, &w));
            if !own && w.len() > prefix.len() && w.starts_with(&prefix) {
                let mut mapped = b.path.clone();
                mapped.extend(w[prefix.len()..].iter().cloned());
                out.push(mapped);
            }
        }
    }
    out
}

struct Uses {
    name: String,
    found: Vec<Vec<String>>,
}

impl Uses {
    /// `name . a . b` in a macro's tokens (`assert!(t.v > 0.0)`).
    fn tokens(&mut self, tokens: TokenStream) {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, tt) in tts.iter().enumerate() {
            match tt {
                TokenTree::Group(g) => self.tokens(g.stream()),
                TokenTree::Ident(id) if *id == self.name => {
                    let after_dot =
                        i > 0 && matches!(&tts[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
                    if after_dot {
                        continue;
                    }
                    let mut path = Vec::new();
                    let mut j = i + 1;
                    while let (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(m))) =
                        (tts.get(j), tts.get(j + 1))
                    {
                        let call = matches!(tts.get(j + 2), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                        if p.as_char() != '.' || call {
                            break;
                        }
                        path.push(syn::ext::IdentExt::unraw(m).to_string());
                        j += 2;
                    }
                    if !path.is_empty() {
                        self.found.push(path);
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'a> Visit<'a> for Uses {
    fn visit_expr_field(&mut self, f: &'a syn::ExprField) {
        let mut named = true;
        let mut path = Vec::new();
        match &f.member {
            syn::Member::Named(m) => path.push(syn::ext::IdentExt::unraw(m).to_string()),
            syn::Member::Unnamed(_) => named = false,
        }
        let mut cur: &syn::Expr = &f.base;
        while let syn::Expr::Field(g) = cur {
            match &g.member {
                syn::Member::Named(m) => path.push(syn::ext::IdentExt::unraw(m).to_string()),
                syn::Member::Unnamed(_) => named = false,
            }
            cur = &g.base;
        }
        let root = match cur {
            syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
            _ => None,
        };
        match root {
            Some(r) if named && syn::ext::IdentExt::unraw(&r) == self.name => {
                path.reverse();
                self.found.push(path);
            }
            _ => syn::visit::visit_expr_field(self, f),
        }
    }

    fn visit_macro(&mut self, m: &'a syn::Macro) {
        self.tokens(m.tokens.clone());
    }

    fn visit_item(&mut self, _: &'a syn::Item) {}
}
