//! A struct result taken by an annotated caller: `let s2 = step(&s, p, h); s2.x`, and the time
//! loop `let mut s = State { .. }; for _ in 0..n { s = step(&s, p, h); }`.
//!
//! The caller's expansion cannot see the struct's fields, and the pipeline has no value kind
//! for a struct. So the caller holds such a struct as **its reals** (a `Vec<f64>` in the order
//! of `Struct::to_reals`), which the pipeline differentiates as any array, and every place in it
//! is a constant rustc evaluates: the struct-result function `step` names its result type
//! (`type __step_out = State;`, and `__step_out__inner` per nested literal) and publishes a
//! hidden companion `__step_into` ([`super::into::into_companions`]) that writes the result's
//! reals into an out-parameter (`__step_into(&mut s2, &s, p, h)`). The caller's pass
//! ([`rewrite`]) then reads `s2.x` as `s2[__step_out::__TL_AT_x]` and `s2.q[i]` as
//! `s2[__step_out::__TL_AT_q + i]` (the constants the struct's attribute computes from its field
//! types, `layout`), builds a literal held as reals element by element, and assigns `s =
//! step(&s, ..)` through a temporary. Type aliases rather than constants of `step`'s: a place
//! is evaluated only where a caller uses it (an integer field's is a compile error there).
//!
//! `__step_into`'s companions take each struct argument as any `A: AsStruct<State<S>>`: the
//! struct itself (a struct parameter of the caller, passed whole) or the reals a caller holds
//! (`[S]`, `Vec<S>`, implemented by the struct's attribute when every field is real), so that
//! rustc's types decide how an argument is read; adjoints are added back through `AddAdjoint`.
//! They forward to the user-level companions `step_generic`, `step_jvp` and `step_vjp`. A held
//! struct passed by shared reference to a function not returning a struct (`energy(&s2, p)`)
//! is passed to its `__energy_held` (`held`), which does the same for its path companions.
//!
//! A method called on a struct parameter returning a struct (`let t = s.scaled(x)`) goes
//! through the type's `__tl_self_scaled_into(&mut t, s, x)` as `State::new(..)` does, `s`
//! passed whole; one taking a held argument (`s.dot(&t)`) through `State::__tl_m_dot(s, &t)`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

use super::self_calls::Layout;

/// The place of field `path` (`["inner", "a"]`) in a struct held as reals whose type is
/// `alias`: its start and its length.
pub(super) fn place(alias: &Layout, path: &[String]) -> (TokenStream, TokenStream) {
    let mut at = Vec::new();
    let mut len = TokenStream::new();
    for (i, f) in path.iter().enumerate() {
        at.push(alias.item(&path[..i], &format!("__TL_AT_{f}")));
        len = alias.item(&path[..i], &format!("__TL_LEN_{f}"));
    }
    (quote!((#(#at)+*)), len)
}

/// A local holding a struct as its reals, and the companion naming its places.
pub(super) struct Taken {
    pub(super) name: String,
    pub(super) layout: Layout,
    /// The function whose result it holds (empty for a method's or a literal's).
    pub(super) callee: String,
    /// For a call's result held at a type's places (`self_calls::typed`), its number of reals
    /// through the check that the result is of that type.
    pub(super) checked: Option<TokenStream>,
}

/// The function with its struct results taken as reals (see the module documentation), or
/// `None` when it takes none.
pub(super) fn rewrite(func: &syn::ItemFn) -> syn::Result<Option<syn::ItemFn>> {
    let roots: Vec<(String, syn::Type)> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => match (super::flatten::struct_type(&pt.ty), &*pt.pat) {
                (Some((_, ty)), syn::Pat::Ident(pi)) => Some((unraw(&pi.ident), ty)),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let sep = super::flatten::separator(func);
    let mut out = func.clone();
    super::chains::bind_receivers(&mut out.block, &roots, &sep);
    let (taken, refused) = super::evidence::find(&out.block, &roots);
    if let Some(e) = refused {
        return Err(e);
    }
    if taken.is_empty() {
        return Ok(None);
    }
    let mut pass = Pass {
        taken,
        roots,
        index: syn::Ident::new(&format!("k{sep}"), Span::call_site()),
        sep,
        mut_self: super::order::mut_self(&func.sig),
        mutable: mutable_bindings(&out.block),
        error: None,
    };
    pass.visit_block_mut(&mut out.block);
    match pass.error {
        Some(e) => Err(e),
        None => Ok(Some(out)),
    }
}

/// The names `block` binds with `let mut`.
fn mutable_bindings(block: &syn::Block) -> Vec<String> {
    struct Mutable(Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Mutable {
        fn visit_local(&mut self, l: &'a syn::Local) {
            if let Some((name, true)) = super::locals::simple_binding(&l.pat) {
                self.0.push(unraw(&name));
            }
            syn::visit::visit_local(self, l);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut m = Mutable(Vec::new());
    syn::visit::Visit::visit_block(&mut m, block);
    m.0
}

/// Whether `e` mentions the identifier `name`.
fn mentions(e: &syn::Expr, name: &str) -> bool {
    fn any(tokens: TokenStream, name: &str) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => unraw(&i) == name,
            proc_macro2::TokenTree::Group(g) => any(g.stream(), name),
            _ => false,
        })
    }
    any(e.to_token_stream(), name)
}

/// Whether the body takes a struct result (`rewrite` would change it).
pub(super) fn takes_results(block: &syn::Block) -> bool {
    let mut block = block.clone();
    super::chains::bind_receivers(&mut block, &[], "__");
    let (taken, refused) = super::evidence::find(&block, &[]);
    !taken.is_empty() || refused.is_some()
}

/// `f` in `f(..)` when `f` is a plain name.
pub(super) fn callee(e: &syn::Expr) -> Option<&syn::Ident> {
    match e {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            _ => None,
        },
        syn::Expr::Paren(p) => callee(&p.expr),
        _ => None,
    }
}

struct Pass {
    taken: Vec<Taken>,
    /// The caller's struct parameters and their types.
    roots: Vec<(String, syn::Type)>,
    index: syn::Ident,
    sep: String,
    /// The function's receiver is `&mut self` (`super::order::mut_self`).
    mut_self: bool,
    /// The names the body binds `let mut`.
    mutable: Vec<String>,
    error: Option<syn::Error>,
}

impl Pass {
    fn taken(&self, e: &syn::Expr) -> Option<&Taken> {
        let syn::Expr::Path(p) = e else { return None };
        let id = p.path.get_ident()?;
        self.taken.iter().find(|t| unraw(id) == t.name)
    }

    fn fail(&mut self, e: syn::Error) {
        match &mut self.error {
            Some(all) => all.combine(e),
            None => self.error = Some(e),
        }
    }

    /// A field chain on a taken local: the local, its layout and the place's name suffix
    /// (`x`, `inner__a`).
    fn field_place(&self, e: &syn::Expr) -> Option<(syn::Ident, Layout, Vec<String>)> {
        let mut path = Vec::new();
        let mut cur = e;
        while let syn::Expr::Field(f) = cur {
            let syn::Member::Named(m) = &f.member else {
                return None;
            };
            path.push(syn::ext::IdentExt::unraw(m).to_string());
            cur = &f.base;
        }
        if path.is_empty() {
            return None;
        }
        path.reverse();
        let t = self.taken(cur)?;
        let syn::Expr::Path(p) = cur else { return None };
        let local = p.path.get_ident()?.clone();
        Some((local, t.layout.clone(), path))
    }

    /// A call's result into the taken local `target` (a `let` or an assignment).
    fn call_into(
        &self,
        target: &syn::Ident,
        layout: &syn::Ident,
        call: &syn::ExprCall,
    ) -> TokenStream {
        let args = &call.args;
        quote!(#layout(&mut #target, #args))
    }

    /// The statements holding literal `lit` in `target`, at the places of `layout` (a path of
    /// fields after `prefix`).
    fn literal(
        &mut self,
        target: &syn::Ident,
        layout: &Layout,
        lit: &syn::ExprStruct,
        prefix: &[String],
        out: &mut Vec<TokenStream>,
    ) {
        let k = self.index.clone();
        for fv in &lit.fields {
            let syn::Member::Named(f) = &fv.member else {
                continue;
            };
            let mut path = prefix.to_vec();
            path.push(syn::ext::IdentExt::unraw(f).to_string());
            let (at, len) = place(layout, &path);
            let e = &fv.expr;
            let span = fv.span();
            match e {
                syn::Expr::Struct(inner) => self.literal(target, layout, inner, &path, out),
                syn::Expr::Array(a) => {
                    for (i, x) in a.elems.iter().enumerate() {
                        out.push(quote_spanned!(span=> #target[#at + #i] = #x;));
                    }
                }
                syn::Expr::Repeat(r) => {
                    let x = &r.expr;
                    out.push(quote_spanned!(span=> for #k in 0..#len { #target[#at + #k] = #x; }));
                }
                // An integer or a bool: its slot beside the reals (`layout`).
                _ if path.len() == 1
                    && (is_bool(e) || super::ints::IntVars::default().is_int(e, &|_| false)) =>
                {
                    let at = layout.item(&[], &format!("__TL_DATA_AT_{}", path[0]));
                    if is_bool(e) {
                        out.push(quote_spanned!(span=> #target[#at] = if #e { 1.0 } else { 0.0 };));
                    } else {
                        out.push(quote_spanned!(span=> #target[#at] = (#e) as f64;));
                    }
                }
                syn::Expr::Call(_) if super::matrix_fields::constructor(e).is_some() => {
                    match super::matrix_fields::constructor(e) {
                        Some(Ok(elems)) => {
                            for (i, x) in elems.iter().enumerate() {
                                out.push(quote_spanned!(span=> #target[#at + #i] = #x;));
                            }
                        }
                        Some(Err(err)) => self.fail(err),
                        None => {}
                    }
                }
                // A real; an array field is written as an array literal or a repeat (`x:
                // [a, b, c]`, `q: [0.0; 3]`), else the place is a type error of rustc's.
                _ => out.push(quote_spanned!(span=> #target[#at] = #e;)),
            }
        }
    }
}

impl VisitMut for Pass {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut stmts = Vec::new();
        for mut stmt in std::mem::take(&mut block.stmts) {
            if self.written_receiver(&mut stmt) || self.typed_data_let(&mut stmt) {
                stmts.push(stmt);
                continue;
            }
            match self.statement(&mut stmt) {
                Some(new) => stmts.extend(new),
                None => {
                    self.visit_stmt_mut(&mut stmt);
                    stmts.push(stmt);
                }
            }
        }
        block.stmts = stmts;
    }

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if self.data_operands(e) {
            return;
        }
        // `s.energy(p)` on a held `s`: the method's companions for a receiver held as reals.
        if let syn::Expr::MethodCall(m) = e {
            if let Some(t) = self.taken(&m.receiver) {
                let layout = t.layout.clone();
                if layout.is_call() {
                    let n = &t.name;
                    let msg = format!("`{n}` holds the result of a call whose type is not known here (a method of `self` passed no struct parameter of this function, which would give it its type as `s` gives `self.rhs(s)` with `s: &State`; or a type named by a path): write it by its name, `let {n}: State = ..` (with `use ..::State;`), to call its methods");
                    self.fail(syn::Error::new_spanned(&m.method, msg));
                    return;
                }
                // A local the user binds `mut` may be written by the method (`&mut self`, which
                // the caller cannot see; rustc refuses the user's call on a local not `mut`):
                // passed `&mut`, and the callee's `ARGS` tell the pipeline whether it writes.
                let written =
                    self.mutable.contains(&t.name) && !m.args.iter().any(|a| mentions(a, &t.name));
                for a in &mut m.args {
                    self.visit_expr_mut(a);
                }
                let callee =
                    super::held::method_callee(&quote!(#layout), &m.method, super::held::METHOD);
                let (recv, args) = (&m.receiver, &m.args);
                let span = m.method.span();
                *e = if written {
                    syn::parse_quote_spanned!(span=> #callee(&mut #recv, #args))
                } else {
                    syn::parse_quote_spanned!(span=> #callee(&#recv, #args))
                };
                return;
            }
        }
        // `self.energy(&s)` with a held `s`: the method's companions for arguments held as
        // reals (`held::method_companions`), the receiver passed whole.
        if let Some(m) = super::self_calls::method(e) {
            let held = m.args.iter().any(|a| {
                matches!(a, syn::Expr::Reference(r) if r.mutability.is_none() && self.taken(&r.expr).is_some())
            });
            if held {
                let mut m = m.clone();
                for a in &mut m.args {
                    self.visit_expr_mut(a);
                }
                let callee =
                    super::held::method_callee(&quote!(Self), &m.method, super::held::METHOD);
                let (recv, args) = (&m.receiver, &m.args);
                let span = m.method.span();
                *e = syn::parse_quote_spanned!(span=> #callee(#recv, #args));
                return;
            }
        }
        // `s.dot(&u)` on a struct parameter `s` with a held `u`: likewise through `s`'s type.
        if let Some((_, ty, m)) = super::evidence::param_method(e, &self.roots) {
            let held = m.args.iter().any(|a| {
                matches!(a, syn::Expr::Reference(r) if r.mutability.is_none() && self.taken(&r.expr).is_some())
            });
            if held {
                let (ty, mut m) = (ty.clone(), m.clone());
                for a in &mut m.args {
                    self.visit_expr_mut(a);
                }
                let callee =
                    super::held::method_callee(&quote!(#ty), &m.method, super::held::METHOD);
                let (recv, args) = (&m.receiver, &m.args);
                let span = m.method.span();
                *e = syn::parse_quote_spanned!(span=> #callee(#recv, #args));
                return;
            }
        }
        if let syn::Expr::Index(ix) = e {
            if let Some((local, layout, path)) = self.field_place(&ix.expr) {
                self.visit_expr_mut(&mut ix.index);
                let (at, _) = place(&layout, &path);
                let i = &ix.index;
                let span = ix.expr.span();
                *e = syn::parse_quote_spanned!(span=> #local[#at + (#i)]);
                return;
            }
        }
        if let Some((local, layout, path)) = self.field_place(e) {
            let (at, _) = place(&layout, &path);
            let span = e.span();
            *e = syn::parse_quote_spanned!(span=> #local[#at]);
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        let f = callee(&syn::Expr::Call(c.clone())).cloned();
        let returns_struct = f
            .as_ref()
            .is_some_and(|f| self.taken.iter().any(|t| t.callee == unraw(f)));
        if !returns_struct {
            let mut held = false;
            for arg in &c.args {
                let (inner, shared) = match arg {
                    syn::Expr::Reference(r) => (&*r.expr, r.mutability.is_none()),
                    e => (e, false),
                };
                let Some(t) = self.taken(inner) else { continue };
                if shared && f.is_some() {
                    held = true;
                    continue;
                }
                let name = &t.name;
                let msg = if shared {
                    let written = quote::ToTokens::to_token_stream(&c.func)
                        .to_string()
                        .replace(' ', "");
                    format!("`{name}` holds a struct taken from a call, which goes on to a `#[differentiable]` free function called by its name (`energy(&{name}, ..)`, `{name} = step(&{name}, ..)`) or to a `&self` method (`{name}.energy(..)`), not through a path (`{written}(..)`): bring a free function into scope (`use ..;`) and call it by its name, or make an associated function a `&self` method called on `{name}`")
                } else {
                    format!("`{name}` holds a struct taken from a call, which goes on by shared reference (`energy(&{name}, ..)`, `{name} = step(&{name}, ..)`): it cannot be written in place nor moved; pass `&{name}`, or step it in place from the start (`fn step(s: &mut State, ..)`)")
                };
                self.fail(syn::Error::new_spanned(arg, msg));
            }
            if let (true, Some(f)) = (held, &f) {
                let held = super::held::name(f);
                *c.func = syn::parse_quote!(#held);
            }
        }
        syn::visit_mut::visit_expr_call_mut(self, c);
    }

    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

impl Pass {
    /// `s2.steps` read where an integer or a bool is written, as its slot beside the reals
    /// (`super::layout`) through the struct's `__tl_slot_steps` (a constant of the
    /// derivatives): `(s2.steps == true)` for a condition. `None` when `e` is not a field of a
    /// held struct whose places are a type's.
    fn data_read(&self, e: &syn::Expr, condition: bool) -> Option<syn::Expr> {
        let e = strip_parens(e);
        let (local, layout, path) = self.field_place(e)?;
        if layout.is_call() || path.len() != 1 {
            return None;
        }
        let at = layout.item(&[], &format!("__TL_DATA_AT_{}", path[0]));
        let slot = layout.item(&[], &format!("__tl_slot_{}", path[0]));
        let span = e.span();
        Some(if condition {
            syn::parse_quote_spanned!(span=> (#slot(#local[#at]) == true))
        } else {
            syn::parse_quote_spanned!(span=> #slot(#local[#at]))
        })
    }

    /// Replaces the operands of `e` that are integer or bool fields of held structs by their
    /// slots (see [`Pass::data_read`]): the bounds of a range, a condition, the operands of
    /// `&&`, `||`, `!`, a cast, an index, and a comparison or arithmetic with an integer
    /// literal. Visits the rest of `e` and returns true when it found one.
    fn data_operands(&mut self, e: &mut syn::Expr) -> bool {
        let mut found = false;
        let mut swap = |this: &Self, x: &mut syn::Expr, condition: bool| {
            if let Some(read) = this.data_read(x, condition) {
                *x = read;
                found = true;
            }
        };
        match e {
            syn::Expr::Range(r) => {
                for x in r.start.iter_mut().chain(r.end.iter_mut()) {
                    swap(self, x, false);
                }
            }
            syn::Expr::If(i) => swap(self, &mut i.cond, true),
            syn::Expr::While(w) => swap(self, &mut w.cond, true),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                swap(self, &mut u.expr, true)
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                swap(self, &mut b.left, true);
                swap(self, &mut b.right, true);
            }
            syn::Expr::Binary(b) => {
                let int = |x: &syn::Expr| super::ints::is_int_lit(x);
                if int(&b.right) {
                    swap(self, &mut b.left, false);
                }
                if int(&b.left) {
                    swap(self, &mut b.right, false);
                }
            }
            syn::Expr::Cast(c) => swap(self, &mut c.expr, false),
            syn::Expr::Index(ix) => swap(self, &mut ix.index, false),
            _ => {}
        }
        if found {
            syn::visit_mut::visit_expr_mut(self, e);
        }
        found
    }

    /// `let n: usize = s2.steps;` (`bool` alike) of a held struct's integer or bool field.
    fn typed_data_let(&mut self, stmt: &mut syn::Stmt) -> bool {
        let syn::Stmt::Local(l) = stmt else {
            return false;
        };
        let syn::Pat::Type(pt) = &l.pat else {
            return false;
        };
        let bool_ty = matches!(&*pt.ty, syn::Type::Path(p) if p.path.is_ident("bool"));
        if !bool_ty && !super::ints::is_typed_int(&l.pat) {
            return false;
        }
        let Some(init) = &mut l.init else {
            return false;
        };
        match self.data_read(&init.expr, bool_ty) {
            Some(read) => {
                *init.expr = read;
                true
            }
            None => false,
        }
    }

    /// `s2.kick(h);`, a method called on a held `s2` for what it writes (its result dropped):
    /// `layout::__tl_m_kick(&mut s2, h);`, which the method's companions take as a written
    /// struct (`held::method_companions`); whether `stmt` was one.
    fn written_receiver(&mut self, stmt: &mut syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::MethodCall(m), Some(_)) = stmt else {
            return false;
        };
        let Some(t) = self.taken(&m.receiver) else {
            return false;
        };
        if t.layout.is_call() {
            return false;
        }
        let layout = t.layout.clone();
        for a in &mut m.args {
            self.visit_expr_mut(a);
        }
        let callee = super::held::method_callee(&quote!(#layout), &m.method, super::held::DROPPED);
        let (recv, args) = (&m.receiver, &m.args);
        let span = m.method.span();
        let call: syn::Expr = syn::parse_quote_spanned!(span=> #callee(&mut #recv, #args));
        *stmt = syn::Stmt::Expr(call, Some(Default::default()));
        true
    }

    /// `value` of a binding or assignment of a taken local visited: for `s.step(p, h)` on a
    /// held `s` (the method's `into` companion, through the receiver's type), for
    /// `self.rk4(&s, h)` and `State::new(..)` the arguments only, not the call. The held receiver's layout and the
    /// call, for the first.
    fn visit_value(&mut self, value: &mut syn::Expr) -> Option<(Layout, syn::ExprMethodCall)> {
        if let syn::Expr::MethodCall(m) = value {
            let held = self.taken(&m.receiver).map(|t| t.layout.clone());
            if held.as_ref().is_some_and(Layout::is_call) {
                // Its type is not known here: refused as in an expression.
                self.visit_expr_mut(value);
                return None;
            }
            if held.is_some() || m.receiver.to_token_stream().to_string() == "self" {
                for a in &mut m.args {
                    self.visit_expr_mut(a);
                }
                return held.map(|recv| (recv, m.clone()));
            }
        }
        // `s.scaled(x)` on a struct parameter: its arguments likewise.
        if super::evidence::param_method(value, &self.roots).is_some() {
            if let syn::Expr::MethodCall(m) = value {
                for a in &mut m.args {
                    self.visit_expr_mut(a);
                }
            }
            return None;
        }
        // `State::midpoint(&s, &t)`: its arguments likewise (held ones passed as they are).
        if let (Some(_), syn::Expr::Call(c)) = (super::self_calls::associated(value), &mut *value) {
            for a in &mut c.args {
                self.visit_expr_mut(a);
            }
            return None;
        }
        self.visit_expr_mut(value);
        None
    }

    /// The statements standing for `stmt` when it binds or assigns a taken local.
    fn statement(&mut self, stmt: &mut syn::Stmt) -> Option<Vec<syn::Stmt>> {
        let (target, value, is_let) = match stmt {
            syn::Stmt::Local(l) => {
                let (name, _) = super::locals::simple_binding(&l.pat)?;
                self.taken.iter().find(|t| unraw(&name) == t.name)?;
                let Some(init) = &mut l.init else {
                    self.fail(syn::Error::new_spanned(
                        &l.pat,
                        "a struct taken from a call is bound with its value: `let s2 = step(&s, h);`",
                    ));
                    return None;
                };
                (name, &mut init.expr, true)
            }
            syn::Stmt::Expr(syn::Expr::Assign(a), Some(_)) => {
                let syn::Expr::Path(p) = &*a.left else {
                    return None;
                };
                let name = p.path.get_ident()?.clone();
                self.taken.iter().find(|t| unraw(&name) == t.name)?;
                (name, &mut a.right, false)
            }
            _ => return None,
        };
        let method = self.visit_value(value);
        let layout = self
            .taken
            .iter()
            .find(|t| unraw(&target) == t.name)?
            .layout
            .clone();
        let into = if is_let {
            target.clone()
        } else {
            format_ident!("{}{}next", target, self.sep)
        };
        let taken = self.taken.iter().find(|t| unraw(&target) == t.name)?;
        // The reals, then the integer and bool fields (`__TL_HELD`), for a type's places; a
        // method's places (`self_calls`) publish the reals only.
        let reals = match &taken.checked {
            Some(checked) => checked.clone(),
            None if layout.is_call() => layout.item(&[], "__TL_REALS"),
            None => layout.item(&[], "__TL_HELD"),
        };
        let mut out = vec![quote!(let mut #into = vec![0.0; #reals];)];
        match &**value {
            // `s2.clone()`: a copy of the reals.
            _ if method
                .as_ref()
                .is_some_and(|(_, m)| m.method == "clone" && m.args.is_empty()) =>
            {
                let (_, m) = method?;
                let (recv, k) = (&m.receiver, &self.index);
                out.push(quote!(for #k in 0..#reals { #into[#k] = #recv[#k]; }));
            }
            // `let t = s;` of a held `s`: a copy of the reals.
            syn::Expr::Path(p) if self.taken(value).is_some() => {
                let k = &self.index;
                out.push(quote!(for #k in 0..#reals { #into[#k] = #p[#k]; }));
            }
            _ if method.is_some() => {
                let (recv_layout, m) = method?;
                let name = format_ident!(
                    "{}{}_into",
                    super::held::METHOD,
                    unraw(&m.method),
                    span = m.method.span()
                );
                let (recv, args) = (&m.receiver, &m.args);
                out.push(quote!(#recv_layout::#name(&mut #into, &#recv, #args);));
            }
            _ if super::self_calls::into_call(&into, value, &self.roots).is_some() => {
                out.push(super::self_calls::into_call(&into, value, &self.roots)?);
            }
            syn::Expr::Call(call) if callee(value).is_some() => {
                let layout = format_ident!("__{}_into", callee(value)?);
                let call = self.call_into(&into, &layout, call);
                out.push(quote!(#call;));
            }
            syn::Expr::Struct(lit) if lit.rest.is_none() => {
                let mut writes = Vec::new();
                self.literal(&into, &layout, lit, &[], &mut writes);
                // Last first: the reverse sweep takes them first to last, as an array's.
                if super::order::any_order(lit.fields.iter().map(|f| &f.expr), self.mut_self) {
                    writes.reverse();
                }
                out.extend(writes);
            }
            other => {
                self.fail(syn::Error::new_spanned(
                    other,
                    "a struct taken from a call is bound or assigned by a call of a `#[differentiable]` function returning it (`s = step(&s, p, h);`) or by a literal naming every field",
                ));
                return None;
            }
        }
        if !is_let {
            let k = &self.index;
            out.push(quote!(for #k in 0..#reals { #target[#k] = #into[#k]; }));
        }
        let block: syn::Block = match syn::parse2(quote!({ #(#out)* })) {
            Ok(b) => b,
            Err(e) => {
                self.fail(e);
                return None;
            }
        };
        if is_let {
            Some(block.stmts)
        } else {
            Some(vec![syn::Stmt::Expr(
                syn::Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block,
                }),
                None,
            )])
        }
    }
}

/// A bool expression as its syntax shows: a literal, a comparison, `!`, `&&`, `||`.
fn is_bool(e: &syn::Expr) -> bool {
    use syn::BinOp::*;
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(_),
            ..
        }) => true,
        syn::Expr::Binary(b) => matches!(
            b.op,
            Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_) | And(_) | Or(_)
        ),
        syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Not(_)),
        syn::Expr::Paren(p) => is_bool(&p.expr),
        _ => false,
    }
}

fn strip_parens(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        e => e,
    }
}

/// The slot readers (`__step_out::__tl_slot_steps`) that `func`'s body calls: constants of
/// the derivatives, named in the pipeline's `constants(..)`.
pub(super) fn slot_readers(func: &syn::ItemFn) -> Vec<syn::Path> {
    struct Find(Vec<syn::Path>);
    impl<'a> syn::visit::Visit<'a> for Find {
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                let slot = p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident.to_string().starts_with("__tl_slot_"));
                if slot && !self.0.contains(&p.path) {
                    self.0.push(p.path.clone());
                }
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let mut f = Find(Vec::new());
    syn::visit::Visit::visit_item_fn(&mut f, func);
    f.0
}

/// `const _: usize = __step_out::__TL_AT_x;` for every place of a type's layout
/// (`__step_out`, `__tl_State`) that `func`'s body reads: a constant item is evaluated by `cargo
/// check` too, so a place without a fixed position (a field after a `Vec<f64>`, an integer read
/// as a real) is a compile error where the caller is written, not only where its companions are
/// instantiated. Empty when there is none.
pub(super) fn place_checks(func: &syn::ItemFn) -> TokenStream {
    struct Find(Vec<syn::Path>);
    impl<'a> syn::visit::Visit<'a> for Find {
        fn visit_expr_path(&mut self, p: &'a syn::ExprPath) {
            let segs = &p.path.segments;
            let place = p.qself.is_none()
                && segs.len() == 2
                && segs[1].arguments.is_none()
                && segs[0].arguments.is_none()
                && segs[1].ident.to_string().starts_with("__TL_");
            if place && !self.0.contains(&p.path) {
                self.0.push(p.path.clone());
            }
        }
    }
    let mut f = Find(Vec::new());
    syn::visit::Visit::visit_item_fn(&mut f, func);
    if f.0.is_empty() {
        return TokenStream::new();
    }
    // One item per place, so that rustc reports each failing place, in order.
    let places = &f.0;
    quote! {
        #(const _: usize = #places;)*
    }
}

/// A name without `r#`.
pub(super) fn unraw(id: &syn::Ident) -> String {
    syn::ext::IdentExt::unraw(id).to_string()
}
