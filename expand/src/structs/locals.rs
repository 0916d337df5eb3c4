//! Struct locals: `let s = State { x: .., y: .. };` as one local per field.
//!
//! A struct built by a literal inside a differentiable function is a change of names, like a
//! struct parameter: `let mut s = State { x: a, v: [0.0; 3] };` becomes
//! `let mut s__v = [0.0; 3]; let mut s__x = a;` (the same values as in the literal's order;
//! last first, so that the reverse sweep takes the fields first to last as an array literal's
//! elements, `super::order`), `s.x` becomes `s__x`, and `s = State { x: b, v: w };`
//! assigns every field through temporaries (the new literal may read the old fields). Nested
//! literals flatten further (`s.inner.a`). The pass is scoped as Rust is: a struct local is known
//! from its `let` to the end of its block, and another `let` of the same name shadows it. So
//! the pipeline sees only reals and arrays, and the derivative of a struct local is the
//! derivative of its fields. `..base` copies the fields the literal does not name
//! (`super::base`); a copy `let t = s;` (or `s.clone()`, `t = s;`) is the literal `{ ..s }`;
//! a local returned whole is the literal of its fields ([`tail_whole`]). A literal passed whole
//! by reference to an annotated function (`energy(&s)`) is held as its reals instead
//! (`super::evidence`, `super::taken`). Any other use of a struct local whole is an error on
//! its span: its fields are what a differentiable function reads.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// A struct local in scope, or a `let` shadowing one.
enum Entry {
    Struct {
        name: String,
        /// The field paths of the literal and their flat names.
        leaves: Vec<(Vec<String>, syn::Ident)>,
    },
    Shadow(String),
}

/// The rewriting pass; see the module documentation.
pub struct Locals {
    sep: String,
    scopes: Vec<Vec<Entry>>,
    /// Every flat name given, so that none is given twice.
    pub taken: Vec<String>,
    /// The function's receiver is `&mut self` (`super::order::mut_self`).
    pub mut_self: bool,
    /// The fields the rest of the block reads of the local a `let` with `..base` binds
    /// (`super::base::uses`).
    later: Vec<Vec<String>>,
    errors: Option<syn::Error>,
}

/// Whether `block` binds a struct literal to a local (`let s = State { .. };`).
pub fn has_struct_locals(block: &syn::Block) -> bool {
    struct Find(bool);
    impl<'a> syn::visit::Visit<'a> for Find {
        fn visit_local(&mut self, l: &'a syn::Local) {
            if l.init.as_ref().is_some_and(|i| is_literal(&i.expr)) {
                self.0 = true;
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Find(false);
    syn::visit::Visit::visit_block(&mut f, block);
    f.0
}

fn is_literal(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Struct(_) => true,
        syn::Expr::Paren(p) => is_literal(&p.expr),
        _ => false,
    }
}

/// `let s`, `let mut s`, `let s: State`: the name and whether it is `mut`.
pub(super) fn simple_binding(pat: &syn::Pat) -> Option<(syn::Ident, bool)> {
    match pat {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
            Some((pi.ident.clone(), pi.mutability.is_some()))
        }
        syn::Pat::Type(pt) => simple_binding(&pt.pat),
        _ => None,
    }
}

/// The names a pattern binds.
pub(super) fn bound_names(pat: &syn::Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Names<'_> {
        fn visit_pat_ident(&mut self, pi: &'a syn::PatIdent) {
            self.0.push(pi.ident.to_string());
            syn::visit::visit_pat_ident(self, pi);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

impl Locals {
    /// A pass naming flat locals with the separator `sep` (see `flatten::StructParam::sep`).
    pub fn new(sep: &str) -> Self {
        Locals {
            sep: sep.to_string(),
            scopes: Vec::new(),
            taken: Vec::new(),
            mut_self: false,
            later: Vec::new(),
            errors: None,
        }
    }

    /// Rewrites `block`; the errors found, combined.
    pub fn run(&mut self, block: &mut syn::Block) -> syn::Result<()> {
        self.visit_block_mut(block);
        match self.errors.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn error(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    /// The struct local `name` in scope: its leaves.
    fn lookup(&self, name: &str) -> Option<&[(Vec<String>, syn::Ident)]> {
        // Names are kept without `r#` (a raw `r#move` is `move` in the flat names too).
        let plain = |n: &str| n.strip_prefix("r#").unwrap_or(n).to_string();
        let name = plain(name);
        for scope in self.scopes.iter().rev() {
            for entry in scope.iter().rev() {
                match entry {
                    Entry::Struct { name: n, leaves } if plain(n) == name => return Some(leaves),
                    Entry::Shadow(n) if plain(n) == name => return None,
                    _ => {}
                }
            }
        }
        None
    }

    fn flat_name(&mut self, root: &str, path: &[String], span: Span) -> syn::Ident {
        let base = format!("{root}{}{}", self.sep, path.join(&self.sep));
        let mut name = base.clone();
        let mut n = 0;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{base}{}{n}", self.sep);
        }
        self.taken.push(name.clone());
        syn::Ident::new(&name, span)
    }

    /// The fields of a literal, nested literals flattened: `(path, value)` in evaluation order,
    /// and the `..base` of each literal with the path it is at (`bases`).
    fn literal_fields(
        &mut self,
        lit: &syn::ExprStruct,
        prefix: &[String],
        out: &mut Vec<(Vec<String>, syn::Expr)>,
        bases: &mut Vec<(Vec<String>, syn::Expr)>,
    ) {
        if let Some(rest) = &lit.rest {
            bases.push((prefix.to_vec(), (**rest).clone()));
        }
        for fv in &lit.fields {
            let syn::Member::Named(id) = &fv.member else {
                self.error(syn::Error::new_spanned(
                    &fv.member,
                    "a differentiable struct has named fields: give this field a name",
                ));
                continue;
            };
            let mut path = prefix.to_vec();
            path.push(syn::ext::IdentExt::unraw(id).to_string());
            match &fv.expr {
                syn::Expr::Struct(inner) => self.literal_fields(inner, &path, out, bases),
                e => out.push((path, e.clone())),
            }
        }
    }

    /// The fields a literal's bases give (see `super::base`): those of a struct local the
    /// literal does not name, or for another base the paths of `wanted` it does not name.
    fn base_fields(
        &mut self,
        named: &[(Vec<String>, syn::Expr)],
        bases: &[(Vec<String>, syn::Expr)],
        wanted: &[Vec<String>],
    ) -> Option<Vec<(Vec<String>, syn::Expr)>> {
        let mut out: Vec<(Vec<String>, syn::Expr)> = Vec::new();
        let mut refused = false;
        for (prefix, rest) in bases {
            let base = match super::base::base(rest) {
                Ok(b) => b,
                Err(e) => {
                    self.error(e);
                    refused = true;
                    continue;
                }
            };
            let covered = |full: &[String], out: &[(Vec<String>, syn::Expr)]| {
                named
                    .iter()
                    .chain(out)
                    .any(|(q, _)| super::base::overlaps(full, q))
            };
            match self.lookup(&base.root.to_string()).map(<[_]>::to_vec) {
                Some(leaves) => {
                    let inside: Vec<_> = leaves
                        .iter()
                        .filter(|(p, _)| p.starts_with(&base.path) && p.len() > base.path.len())
                        .collect();
                    if inside.is_empty() {
                        self.error(syn::Error::new_spanned(
                            rest,
                            format!("`..base` takes a struct local's field that is a struct: `{}` was built without one here", base.root),
                        ));
                    }
                    for (p, flat) in inside {
                        let mut full = prefix.clone();
                        full.extend(p[base.path.len()..].iter().cloned());
                        if !covered(&full, &out) {
                            let flat = syn::Ident::new(&flat.to_string(), rest.span());
                            out.push((full, syn::parse_quote_spanned!(rest.span()=> #flat)));
                        }
                    }
                }
                None => {
                    for w in wanted {
                        if w.len() > prefix.len() && w.starts_with(prefix) && !covered(w, &out) {
                            let value = super::base::field_of(&base, &w[prefix.len()..]);
                            out.push((w.clone(), value));
                        }
                    }
                }
            }
        }
        (!refused).then_some(out)
    }

    /// `let s = State { .. };` as one `let` per field.
    fn bind(&mut self, name: &syn::Ident, mutable: bool, lit: &syn::ExprStruct) -> Vec<syn::Stmt> {
        let (mut fields, mut bases) = (Vec::new(), Vec::new());
        self.literal_fields(lit, &[], &mut fields, &mut bases);
        let wanted = std::mem::take(&mut self.later);
        let given = self.base_fields(&fields, &bases, &wanted);
        let refused = given.is_none();
        fields.extend(given.unwrap_or_default());
        let root = syn::ext::IdentExt::unraw(name).to_string();
        let m = mutable.then(|| quote::quote!(mut));
        let any_order = super::order::any_order(fields.iter().map(|(_, e)| e), self.mut_self);
        let mut stmts = Vec::new();
        let mut leaves = Vec::new();
        for (path, value) in fields {
            let flat = self.flat_name(&root, &path, value.span());
            stmts.push(syn::parse_quote_spanned!(value.span()=> let #m #flat = #value;));
            leaves.push((path, flat));
        }
        // Last first, so the reverse sweep takes the fields first to last, as an array literal's.
        if any_order {
            stmts.reverse();
        }
        if let Some(scope) = self.scopes.last_mut() {
            // With its `..base` refused, the fields it would give are not reported missing too.
            scope.push(match refused {
                true => Entry::Shadow(root),
                false => Entry::Struct { name: root, leaves },
            });
        }
        stmts
    }

    /// `s = State { .. };` as an assignment of every field, through temporaries.
    fn reassign(&mut self, root: &syn::Ident, lit: &syn::ExprStruct) -> Option<syn::Expr> {
        let (mut fields, mut bases) = (Vec::new(), Vec::new());
        self.literal_fields(lit, &[], &mut fields, &mut bases);
        let leaves = self.lookup(&root.to_string())?.to_vec();
        let wanted: Vec<Vec<String>> = leaves.iter().map(|(p, _)| p.clone()).collect();
        let given = self.base_fields(&fields, &bases, &wanted)?;
        fields.extend(given);
        let mut same = fields.len() == leaves.len();
        same &= fields
            .iter()
            .all(|(p, _)| leaves.iter().any(|(q, _)| p == q));
        if !same {
            self.error(syn::Error::new_spanned(
                lit,
                format!("assign `{root}` a literal with the same fields as its `let` (nested literals alike)"),
            ));
            return None;
        }
        let mut temps = Vec::new();
        let mut writes = Vec::new();
        for (path, value) in fields {
            let Some((_, flat)) = leaves.iter().find(|(q, _)| *q == path) else {
                continue;
            };
            // A field `..s` keeps as it is (`s = State { x: b, ..s }`).
            if matches!(&value, syn::Expr::Path(p) if p.path.is_ident(flat)) {
                continue;
            }
            // Starts with the separator, which no flat name does (each starts with its root,
            // an identifier without the separator).
            let temp = syn::Ident::new(&format!("{}{flat}", self.sep), value.span());
            temps.push(quote::quote_spanned!(value.span()=> let #temp = #value;));
            writes.push(quote::quote_spanned!(value.span()=> #flat = #temp;));
        }
        if super::order::any_order(lit.fields.iter().map(|f| &f.expr), self.mut_self) {
            temps.reverse();
        }
        Some(syn::parse_quote_spanned!(lit.span()=> { #(#temps)* #(#writes)* }))
    }

    /// `s.a.b` rooted at a struct local: its flat name (or an error); `None` when `e` is not.
    fn field(&mut self, e: &syn::Expr) -> Option<syn::Expr> {
        let (root, path) = chain(e)?;
        let leaves = self.lookup(&root.to_string())?.to_vec();
        if let Some((_, flat)) = leaves.iter().find(|(p, _)| *p == path) {
            let span = e.span();
            let flat = syn::Ident::new(&flat.to_string(), span);
            return Some(syn::parse_quote_spanned!(span=> #flat));
        }
        let msg = if leaves.iter().any(|(p, _)| p.starts_with(&path)) {
            format!("read the fields of `{}` (`{}.{}`): a struct local is a local per field, and is not used whole", e.to_token_stream(), e.to_token_stream(), leaves.iter().find(|(p, _)| p.starts_with(&path)).map(|(p, _)| p[path.len()].clone()).unwrap_or_default())
        } else {
            format!("`{root}` was built without this field: its literal lists the fields it has")
        };
        self.error(syn::Error::new_spanned(e, msg));
        Some(e.clone())
    }

    fn statement(&mut self, stmt: syn::Stmt, out: &mut Vec<syn::Stmt>) {
        match stmt {
            syn::Stmt::Local(mut l) => {
                let literal = match &l.init {
                    Some(init) if init.diverge.is_none() => match strip_parens(&init.expr) {
                        syn::Expr::Struct(lit) => Some(lit.clone()),
                        e => self.copy(e),
                    },
                    _ => None,
                };
                let literal = literal.map(|mut lit| {
                    self.visit_literal(&mut lit);
                    lit
                });
                if let (Some(init), None) = (&mut l.init, &literal) {
                    self.visit_expr_mut(&mut init.expr);
                    if let Some((_, d)) = &mut init.diverge {
                        self.visit_expr_mut(d);
                    }
                }
                match (simple_binding(&l.pat), literal) {
                    (Some((name, mutable)), Some(lit)) => {
                        out.extend(self.bind(&name, mutable, &lit));
                    }
                    (_, Some(_)) => {
                        self.error(syn::Error::new_spanned(
                            &l.pat,
                            "bind a struct literal to a name (`let s = State { .. };`): its fields become locals",
                        ));
                        out.push(syn::Stmt::Local(l));
                    }
                    (_, None) => {
                        let mut names = Vec::new();
                        bound_names(&l.pat, &mut names);
                        if let Some(scope) = self.scopes.last_mut() {
                            scope.extend(names.into_iter().map(Entry::Shadow));
                        }
                        out.push(syn::Stmt::Local(l));
                    }
                }
            }
            syn::Stmt::Expr(syn::Expr::Assign(mut a), semi) => {
                let root = match &*a.left {
                    syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
                    _ => None,
                };
                let root = root.filter(|r| self.lookup(&r.to_string()).is_some());
                let right = strip_parens(&a.right).clone();
                let right = match self.copy(&right) {
                    Some(lit) => syn::Expr::Struct(lit),
                    None => right,
                };
                match (root, right) {
                    (Some(root), syn::Expr::Struct(mut lit)) => {
                        self.visit_literal(&mut lit);
                        match self.reassign(&root, &lit) {
                            Some(block) => out.push(syn::Stmt::Expr(block, None)),
                            None => out.push(syn::Stmt::Expr(syn::Expr::Assign(a), semi)),
                        }
                    }
                    _ => {
                        let mut e = syn::Expr::Assign(a.clone());
                        self.visit_expr_mut(&mut e);
                        if let syn::Expr::Assign(b) = e {
                            a = b;
                        }
                        out.push(syn::Stmt::Expr(syn::Expr::Assign(a), semi));
                    }
                }
            }
            mut other => {
                self.visit_stmt_mut(&mut other);
                out.push(other);
            }
        }
    }

    /// A copy of a struct local (`s` or `s.clone()` in `let t = s;`, `t = s.clone();`) as the
    /// literal `{ ..s }`, which copies every field (`super::base`); `None` for anything else.
    fn copy(&self, e: &syn::Expr) -> Option<syn::ExprStruct> {
        let e = match e {
            syn::Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => &*m.receiver,
            e => e,
        };
        let syn::Expr::Path(p) = e else { return None };
        let id = p.path.get_ident().filter(|_| p.qself.is_none())?;
        self.lookup(&id.to_string())?;
        Some(syn::parse_quote_spanned!(e.span()=> Copied { ..#id }))
    }

    /// The flat name of a chain `s . a . b` of a struct local starting at `tts[i]`, and the index
    /// after it.
    fn chain_in_tokens(
        &self,
        tts: &[TokenTree],
        i: usize,
        out: &[TokenTree],
    ) -> Option<(syn::Ident, usize)> {
        let TokenTree::Ident(id) = &tts[i] else {
            return None;
        };
        if matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '.') {
            return None;
        }
        let leaves = self.lookup(&id.to_string())?;
        let mut path = Vec::new();
        let mut j = i + 1;
        while let (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(m))) =
            (tts.get(j), tts.get(j + 1))
        {
            if p.as_char() != '.' {
                return None;
            }
            path.push(m.to_string());
            j += 2;
            if let Some((_, flat)) = leaves.iter().find(|(p, _)| *p == path) {
                return Some((syn::Ident::new(&flat.to_string(), id.span()), j));
            }
        }
        None
    }

    /// The expressions of a literal's fields, nested literals' too.
    fn visit_literal(&mut self, lit: &mut syn::ExprStruct) {
        for fv in lit.fields.iter_mut() {
            match &mut fv.expr {
                syn::Expr::Struct(inner) => self.visit_literal(inner),
                e => self.visit_expr_mut(e),
            }
        }
    }

    /// Field chains `s . a . b` of struct locals inside a macro's tokens (`assert!(s.x > 0.0)`).
    fn tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let tts: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::new();
        let mut i = 0;
        while i < tts.len() {
            if let Some((flat, next)) = self.chain_in_tokens(&tts, i, &out) {
                out.push(TokenTree::Ident(flat));
                i = next;
                continue;
            }
            match &tts[i] {
                TokenTree::Group(g) => {
                    let mut ng = proc_macro2::Group::new(g.delimiter(), self.tokens(g.stream()));
                    ng.set_span(g.span());
                    out.push(TokenTree::Group(ng));
                }
                tt => out.push(tt.clone()),
            }
            i += 1;
        }
        out.into_iter().collect()
    }
}

/// The name a `let` binds to a struct literal with `..base` (in it or in a nested literal).
fn based_let(stmt: &syn::Stmt) -> Option<String> {
    fn has_rest(lit: &syn::ExprStruct) -> bool {
        lit.rest.is_some()
            || lit
                .fields
                .iter()
                .any(|f| matches!(&f.expr, syn::Expr::Struct(inner) if has_rest(inner)))
    }
    let syn::Stmt::Local(l) = stmt else {
        return None;
    };
    let syn::Expr::Struct(lit) = strip_parens(&l.init.as_ref()?.expr) else {
        return None;
    };
    let (name, _) = simple_binding(&l.pat)?;
    has_rest(lit).then(|| syn::ext::IdentExt::unraw(&name).to_string())
}

fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        e => e,
    }
}

/// `s.a.b`: the root and its member names; `None` for anything else.
fn chain(e: &syn::Expr) -> Option<(syn::Ident, Vec<String>)> {
    match e {
        syn::Expr::Field(f) => {
            let syn::Member::Named(m) = &f.member else {
                return None;
            };
            let m = syn::ext::IdentExt::unraw(m).to_string();
            if let Some((root, mut path)) = chain(&f.base) {
                path.push(m);
                return Some((root, path));
            }
            match &*f.base {
                syn::Expr::Path(p) if p.qself.is_none() => {
                    Some((p.path.get_ident()?.clone(), vec![m]))
                }
                _ => None,
            }
        }
        syn::Expr::Paren(p) => chain(&p.expr),
        _ => None,
    }
}

impl VisitMut for Locals {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        self.scopes.push(Vec::new());
        let stmts = std::mem::take(&mut b.stmts);
        for (i, stmt) in stmts.iter().enumerate() {
            self.later = match based_let(stmt) {
                Some(name) => super::base::uses(&name, &stmts[i + 1..]),
                None => Vec::new(),
            };
            self.statement(stmt.clone(), &mut b.stmts);
        }
        self.scopes.pop();
    }

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if let Some(flat) = self.field(e) {
            *e = flat;
            return;
        }
        if let syn::Expr::Path(p) = e {
            if let Some(id) = p.path.get_ident() {
                if p.qself.is_none() && self.lookup(&id.to_string()).is_some() {
                    let msg = format!("use the fields of `{id}` (`{id}.x`): a struct local is a local per field, and is not passed, copied or returned whole yet; return its reals, or take a `&mut` struct parameter and write its fields");
                    self.error(syn::Error::new_spanned(&*e, msg));
                    return;
                }
            }
        }
        if let syn::Expr::Struct(lit) = e {
            self.error(syn::Error::new_spanned(
                &lit.path,
                "bind a struct literal to a local (`let s = State { .. };`) and read its fields: a differentiable function does not pass or return a struct value yet",
            ));
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        m.tokens = self.tokens(m.tokens.clone());
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Items inside the body have their own scope.
    }
}

/// `fn f(..) -> State { let s = State { .. }; ..; s }`: the tail `s`, a struct local bound by
/// a literal naming every field (or a copy of one, `let t = s;`), as the literal of its fields
/// `State { x: s.x, inner: Inner { a: s.inner.a } }`, which a struct result's layer takes
/// (`results`); `None` when the item is not such a function. The user's function is the same
/// program: the tail moves or copies each field of the dead local.
pub(super) fn tail_whole(item: &TokenStream) -> Option<TokenStream> {
    if let Ok(syn::Item::Fn(mut f)) = syn::parse2::<syn::Item>(item.clone()) {
        let lit = tail_literal(&f.sig, &f.block)?;
        f.block.stmts.pop();
        f.block
            .stmts
            .push(syn::Stmt::Expr(syn::Expr::Struct(lit), None));
        return Some(f.into_token_stream());
    }
    let mut f = syn::parse2::<syn::ImplItemFn>(item.clone()).ok()?;
    let lit = tail_literal(&f.sig, &f.block)?;
    f.block.stmts.pop();
    f.block
        .stmts
        .push(syn::Stmt::Expr(syn::Expr::Struct(lit), None));
    Some(f.into_token_stream())
}

fn tail_literal(sig: &syn::Signature, block: &syn::Block) -> Option<syn::ExprStruct> {
    if !matches!(&sig.output, syn::ReturnType::Type(_, ty) if super::returns_struct(ty)) {
        return None;
    }
    let Some(syn::Stmt::Expr(syn::Expr::Path(tail), None)) = block.stmts.last() else {
        return None;
    };
    let root = tail.path.get_ident().filter(|_| tail.qself.is_none())?;
    let mut name = root.clone();
    let mut end = block.stmts.len() - 1;
    // The `let` that binds `name` last before `end`, through copies.
    for _ in 0..16 {
        let (i, init) = block.stmts[..end]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, s)| {
                let syn::Stmt::Local(l) = s else { return None };
                let (n, _) = simple_binding(&l.pat)?;
                (n == name).then(|| (i, l.init.as_ref().map(|init| (*init.expr).clone())))
            })?;
        match strip_parens(&init?) {
            syn::Expr::Struct(lit) if complete(lit) => {
                return Some(rebuild(lit, root, &[], tail.span()));
            }
            syn::Expr::Path(p) if p.qself.is_none() => {
                name = p.path.get_ident()?.clone();
                end = i;
            }
            _ => return None,
        }
    }
    None
}

/// A literal without `..base`, nested literals alike.
fn complete(lit: &syn::ExprStruct) -> bool {
    lit.rest.is_none()
        && lit.fields.iter().all(|f| match &f.expr {
            syn::Expr::Struct(inner) => complete(inner),
            _ => matches!(f.member, syn::Member::Named(_)),
        })
}

/// `lit`'s shape with each field read from `root` (`root.inner.a`).
fn rebuild(
    lit: &syn::ExprStruct,
    root: &syn::Ident,
    prefix: &[syn::Member],
    span: Span,
) -> syn::ExprStruct {
    let mut out = lit.clone();
    for fv in out.fields.iter_mut() {
        let mut path = prefix.to_vec();
        path.push(fv.member.clone());
        fv.expr = match &fv.expr {
            syn::Expr::Struct(inner) => syn::Expr::Struct(rebuild(inner, root, &path, span)),
            _ => syn::parse_quote_spanned!(span=> #root #(.#path)*),
        };
        fv.colon_token = Some(Default::default());
    }
    out
}
