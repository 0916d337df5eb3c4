//! Names and scopes: variables, each keeping the user's name (`r#x` and `x` alike) for `wrt(..)`
//! and messages, with a fresh emitted name when a binding shadows another; the scopes that map
//! the user's names to variables; the names of rejected bindings, so that their uses report
//! nothing more.

use super::*;

impl Lowerer<'_> {
    /// A fresh name: `base` if free, else `base_1`, `base_2`, ...; never another variable's,
    /// and never an identifier of the user's function unless it is the user's own binding
    /// (`user`). Tangent and adjoint names live in the macro's own syntax context (see
    /// `emit::Names`), so they need no room here.
    pub(super) fn fresh_name(&mut self, base: &str, user: bool) -> String {
        let used_here = self.given.contains(base);
        if !used_here && (user || !self.taken.contains(base)) {
            self.taken.insert(base.to_string());
            self.given.insert(base.to_string());
            return base.to_string();
        }
        // Names only ever become taken, so the search for `base` resumes where the last one
        // stopped: restarting at 1 made a thousand loops over `i` quadratic.
        let start = self.next_suffix.get(base).copied().unwrap_or(1);
        for k in start.. {
            let candidate = format!("{base}_{k}");
            if !self.taken.contains(&candidate) && !self.given.contains(&candidate) {
                self.taken.insert(candidate.clone());
                self.given.insert(candidate.clone());
                self.next_suffix.insert(base.to_string(), k + 1);
                return candidate;
            }
        }
        unreachable!("the suffixes are unbounded")
    }

    pub(super) fn new_var(
        &mut self,
        user_name: &str,
        kind: Kind,
        mutable: bool,
        span: Span,
    ) -> VarId {
        let name = self.fresh_name(user_name, true);
        let id = self.vars.push(Var {
            name,
            user_name: user_name.to_string(),
            kind,
            mutable,
            span,
            ty: None,
        });
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(user_name.to_string(), id);
        id
    }

    /// A variable for a user binding that comes into scope later (after its initialiser).
    pub(super) fn unscoped_var(
        &mut self,
        user_name: &str,
        kind: Kind,
        mutable: bool,
        span: Span,
    ) -> VarId {
        let name = self.fresh_name(user_name, true);
        self.vars.push(Var {
            name,
            user_name: user_name.to_string(),
            kind,
            mutable,
            span,
            ty: None,
        })
    }

    pub(super) fn temp(&mut self, base: &str, kind: Kind, span: Span) -> VarId {
        let name = self.fresh_name(&format!("__{base}"), false);
        self.vars.push(Var {
            name,
            user_name: base.to_string(),
            kind,
            mutable: false,
            span,
            ty: None,
        })
    }

    /// Marks the names bound by `pat` as rejected.
    pub(super) fn poison_pattern(&mut self, pat: &syn::Pat) {
        struct Names<'a>(&'a mut HashSet<String>);
        impl<'ast> Visit<'ast> for Names<'_> {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                self.0.insert(name_of(&p.ident));
            }
        }
        Names(&mut self.poisoned).visit_pat(pat);
    }

    /// Whether `node` names a binding that was rejected.
    pub(super) fn mentions_poisoned(&self, node: &impl ToTokens) -> bool {
        fn walk(tokens: proc_macro2::TokenStream, poisoned: &HashSet<String>) -> bool {
            tokens.into_iter().any(|t| match t {
                proc_macro2::TokenTree::Ident(i) => poisoned.contains(&name_of(&i)),
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), poisoned),
                _ => false,
            })
        }
        !self.poisoned.is_empty() && walk(node.to_token_stream(), &self.poisoned)
    }

    pub(super) fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// What to write instead of using the tuple `v` whole.
    pub(super) fn whole_tuple(&self, v: VarId) -> String {
        let t = self.shown(v);
        format!("`{t}` is a tuple: use its fields, `{t}.0`, `{t}.1`, or destructure it, `let (a, b) = {t};`")
    }

    /// `v` as the user wrote it, for messages (`y` for a shadowed `y`, `r#match`).
    pub(super) fn shown(&self, v: VarId) -> syn::Ident {
        crate::names::ident(&self.vars[v].user_name, self.vars[v].span)
    }

    pub(super) fn kind(&self, v: VarId) -> &Kind {
        &self.vars[v].kind
    }

    /// The variable `e` names (not a tuple bound whole: only its fields are values).
    pub(super) fn path_var(&self, e: &syn::Expr) -> Option<VarId> {
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => p
                .path
                .get_ident()
                .and_then(|i| self.lookup(&name_of(i)))
                .filter(|v| !self.tuples.contains_key(v)),
            syn::Expr::Paren(p) => self.path_var(&p.expr),
            syn::Expr::Group(g) => self.path_var(&g.expr),
            _ => None,
        }
    }

    pub(super) fn var_of(&self, e: &syn::Expr) -> syn::Result<VarId> {
        match e {
            syn::Expr::Path(p) if p.qself.is_none() => {
                if let Some(i) = p.path.get_ident() {
                    return match self.lookup(&name_of(i)) {
                        Some(v) if self.tuples.contains_key(&v) => err_at(i, self.whole_tuple(v)),
                        Some(v) => Ok(v),
                        None => err_at(i, format!("`{i}` is not a variable of this function")),
                    };
                }
                err_at(e, "expected a variable")
            }
            syn::Expr::Paren(p) => self.var_of(&p.expr),
            syn::Expr::Group(g) => self.var_of(&g.expr),
            _ => err_at(e, "expected a variable"),
        }
    }
}
