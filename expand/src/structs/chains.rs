//! A method called on a struct result without binding it first: `State::new(a, b, c).norm2()`,
//! `s.scaled(x).norm2()` on a struct parameter `s`. Before the caller's pass (`taken`) looks
//! for struct results, the receiver is bound to a local of its own just before the statement
//! (`let tmp__0 = State::new(a, b, c); .. tmp__0.norm2() ..`), which the caller then holds as
//! its reals like any bound result (`evidence`: its own methods are called). Only receivers
//! evaluated exactly once by the statement are bound: not inside a closure, a loop, a branch
//! or a block of it, nor in a loop's or a branch's condition (which stay as written, and a
//! method called there is refused as before). The functions are pure but for their `&mut`
//! arguments, so evaluating the receiver first gives the same values.

use syn::visit_mut::VisitMut;

/// `block` with every such receiver bound first; `roots` are the caller's struct parameters,
/// `sep` the flat names' separator (no identifier of the function contains it, so the new
/// locals clash with none).
pub(super) fn bind_receivers(block: &mut syn::Block, roots: &[(String, syn::Type)], sep: &str) {
    let mut b = Binder {
        roots,
        sep,
        count: 0,
        found: Vec::new(),
    };
    b.visit_block_mut(block);
}

struct Binder<'a> {
    roots: &'a [(String, syn::Type)],
    sep: &'a str,
    count: usize,
    /// The receivers bound in the statement being visited, in order.
    found: Vec<(syn::Ident, syn::Expr)>,
}

impl Binder<'_> {
    /// A call whose result is a struct the caller can hold at its type's places: an
    /// associated function of a user's type, or (as a receiver) a method of a struct parameter.
    fn bindable(&self, e: &syn::Expr, receiver: bool) -> bool {
        if let Some((ty, _)) = super::self_calls::associated(e) {
            return super::evidence::user_type(&ty.to_string());
        }
        receiver && super::evidence::param_method(e, self.roots).is_some()
    }

    /// A new local bound to `value` before the statement (its own receivers first).
    fn bind(&mut self, value: &mut syn::Expr) -> syn::Ident {
        let name = syn::Ident::new(
            &format!("tmp{}{}", self.sep, self.count),
            proc_macro2::Span::call_site(),
        );
        self.count += 1;
        let mut value = value.clone();
        self.expr(&mut value);
        self.found.push((name.clone(), value));
        name
    }

    /// The statement's own expression: receivers bound, nested blocks left to `visit_block_mut`.
    fn expr(&mut self, e: &mut syn::Expr) {
        match e {
            syn::Expr::MethodCall(m) => {
                if self.bindable(&m.receiver, true) && m.turbofish.is_none() {
                    let name = self.bind(&mut m.receiver);
                    *m.receiver = syn::parse_quote!(#name);
                } else {
                    self.expr(&mut m.receiver);
                }
                m.args.iter_mut().for_each(|a| self.expr(a));
            }
            syn::Expr::Binary(b) => {
                self.expr(&mut b.left);
                self.expr(&mut b.right);
            }
            syn::Expr::Unary(u) => self.expr(&mut u.expr),
            syn::Expr::Paren(p) => self.expr(&mut p.expr),
            syn::Expr::Call(c) => c.args.iter_mut().for_each(|a| self.expr(a)),
            // `&State::new(..)` passed on: bound likewise, the local passed by reference.
            syn::Expr::Reference(r) if r.mutability.is_none() && self.bindable(&r.expr, false) => {
                let name = self.bind(&mut r.expr);
                *r.expr = syn::parse_quote!(#name);
            }
            syn::Expr::Reference(r) => self.expr(&mut r.expr),
            syn::Expr::Assign(a) => self.expr(&mut a.right),
            syn::Expr::Cast(c) => self.expr(&mut c.expr),
            syn::Expr::Field(f) => self.expr(&mut f.base),
            syn::Expr::Index(i) => {
                self.expr(&mut i.expr);
                self.expr(&mut i.index);
            }
            syn::Expr::Array(a) => a.elems.iter_mut().for_each(|x| self.expr(x)),
            syn::Expr::Tuple(t) => t.elems.iter_mut().for_each(|x| self.expr(x)),
            // Control flow and nested blocks: their own statements are visited as blocks.
            other => self.visit_expr_mut(other),
        }
    }
}

impl VisitMut for Binder<'_> {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            match &mut stmt {
                syn::Stmt::Local(l) => {
                    if let Some(init) = &mut l.init {
                        self.expr(&mut init.expr);
                        if let Some((_, diverge)) = &mut init.diverge {
                            self.visit_expr_mut(diverge);
                        }
                    }
                }
                syn::Stmt::Expr(e, _) => self.expr(e),
                syn::Stmt::Item(_) => {}
                syn::Stmt::Macro(_) => {}
            }
            for (name, value) in std::mem::take(&mut self.found) {
                stmts.push(syn::parse_quote!(let #name = #value;));
            }
            stmts.push(stmt);
        }
        block.stmts = stmts;
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
