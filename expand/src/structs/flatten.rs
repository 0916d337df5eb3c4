//! A function with struct parameters (or a `&self` receiver) as a function of the fields it
//! uses: `p.sigma` becomes the parameter `p__sigma`, `s.x[i]` the slice `s__x[i]`.
//!
//! A proc macro on `fn f` cannot see the struct's fields, so each field's kind is guessed from
//! its use in the body: indexed, borrowed or asked its `.len()`, it holds reals (a slice); a
//! condition or an operand of `!`, `&&`, `||`, a bool; a range bound, an index (also inside its
//! arithmetic), the source of a cast, an operand of `%`, beside an integer literal or an integer
//! variable (see `ints`), the value of a `let` of an integer type (`let k: usize = p.n;`), an
//! integer of the type the struct declares (`<P as FieldType<..>>::T`); passed bare to functions
//! only (`h(p.c, p.n)`), whatever rustc finds it to be (`Use::Arg`, `__tl::Sent`); otherwise a
//! real. Every guess is checked by rustc: the companions pass `p.sigma` to the flattened
//! function's `f64` parameter (at the scalar `S`), `&p.x[..]` to its `&[S]` parameter, `p.n` to
//! its integer, so a wrong guess is a type error, never a derivative taken as zero.

use proc_macro2::{Span, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// How a field is used.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Use {
    /// Only in value position: a real.
    Real,
    /// An integer (`usize`).
    Int,
    /// A bool.
    Bool,
    /// Indexed, borrowed or measured: an array or `Vec` of reals.
    Array,
    /// Only passed bare to calls of functions, `h(p.c, p.n)`: a real or an integer, which the
    /// syntax does not tell; taken at its declared type (`__tl::Sent`, see `ints`).
    Arg,
}

impl Use {
    /// The kind of a field used both as `self` and as `other`: an array over all, a bare
    /// argument under any other use, a real under an integer or a bool.
    fn and(self, other: Use) -> Use {
        match (self, other) {
            (_, Use::Array) => Use::Array,
            (Use::Arg, o) => o,
            (s, Use::Arg) => s,
            (Use::Real, o) => o,
            (s, _) => s,
        }
    }
}

/// One field path of a struct parameter that the body uses.
pub struct Leaf {
    /// The member names, `["inner", "a"]` for `p.inner.a`.
    pub path: Vec<syn::Ident>,
    /// The parameter of the flattened function.
    pub flat: syn::Ident,
    pub used: Use,
    /// Written (assigned, or borrowed `&mut`).
    pub written: bool,
    pub span: Span,
}

/// A struct parameter (or the receiver, named `self`).
pub struct StructParam {
    pub name: syn::Ident,
    /// `&mut`.
    pub mutable: bool,
    /// The written type (`Params`, `model::Params`; `Self` for the receiver).
    pub ty: syn::Type,
    pub leaves: Vec<Leaf>,
    pub receiver: bool,
    /// Passed whole to another annotated function (`rhs(u, p)`): the flattened function also
    /// takes the struct itself, named as the user's parameter.
    pub whole: bool,
    /// `&mut`, passed whole and its fields used too: held as its reals (`super::reals`).
    pub reals: bool,
    /// Passed whole but outside `wrt(..)`: see `super::constants_outside_wrt`.
    pub constant: bool,
    /// What joins a root to its field names in flat names (`p__sigma`): the shortest run of
    /// underscores (two or more) that no identifier of the user's function contains, set by
    /// [`flatten`]. So flat names are collision-free by construction: none equals an identifier
    /// of the function (each contains the separator, none of those does), and two field paths
    /// never share one (no name part contains it).
    pub sep: String,
}

/// A parameter of the function: a struct, or another one kept as written.
pub enum Param {
    Struct(Box<StructParam>),
    Plain(syn::PatType),
}

/// The flattened function's name for a struct passed whole: the user's parameter, or `self`
/// and the separator for the receiver (no field path is empty, so no field is named so, and no
/// identifier of the function contains the separator).
pub fn whole_ident(s: &StructParam) -> syn::Ident {
    if s.receiver {
        syn::Ident::new(&format!("self{}", s.sep), s.name.span())
    } else {
        s.name.clone()
    }
}

pub(super) use super::signature::separator;
pub use super::signature::{has_structs, params, struct_type};
use super::signature::{param_types, struct_roots};

/// The flattened function, `name`, and the struct parameters with the fields the body uses.
pub fn flatten(
    func: &syn::ItemFn,
    name: &syn::Ident,
    params: &mut [Param],
) -> syn::Result<syn::ItemFn> {
    let (roots, mutable_roots) = (struct_roots(params, false), struct_roots(params, true));
    let sep = separator(func);
    for p in params.iter_mut() {
        if let Param::Struct(s) = p {
            s.sep = sep.clone();
        }
    }
    let mut body = (*func.block).clone();
    let mut locals = super::locals::Locals::new(&sep);
    locals.mut_self = super::order::mut_self(&func.sig);
    locals.run(&mut body)?;
    let collector = |held: Vec<super::reals::Held>| Collector {
        taken: locals.taken.clone(),
        sep: sep.clone(),
        roots: roots.clone(),
        mutable_roots: mutable_roots.clone(),
        leaves: Vec::new(),
        whole: Vec::new(),
        whole_mut: Vec::new(),
        errors: None,
        ints: super::ints::IntVars::of_signature(&func.sig),
        types: param_types(params),
        held,
        statement: None,
        array_locals: super::copies::array_locals(&func.block),
    };
    let (mut block, mut v) = (body.clone(), collector(Vec::new()));
    v.visit_block_mut(&mut block);
    // A `&mut` struct passed whole whose fields are used too: again, held as its reals.
    let held = v.held_roots(params);
    if !held.is_empty() {
        block = body;
        v = collector(held);
        v.visit_block_mut(&mut block);
    }
    v.aliased();
    if let Some(e) = v.errors {
        return Err(e);
    }
    for p in params.iter_mut() {
        if let Param::Struct(s) = p {
            s.reals = v.held.iter().any(|h| s.name == h.root);
            s.whole = v.whole.contains(&s.name);
        }
    }
    // Hand the leaves to their parameters.
    for (root, leaf) in v.leaves {
        for p in params.iter_mut() {
            if let Param::Struct(s) = p {
                if s.name == root {
                    s.leaves.push(leaf);
                    break;
                }
            }
        }
    }
    let mut inputs: Vec<syn::FnArg> = Vec::new();
    let mut scalar_writes = Vec::new();
    for p in params.iter() {
        match p {
            Param::Plain(pt) => inputs.push(syn::FnArg::Typed(pt.clone())),
            Param::Struct(s) => {
                if s.whole {
                    // The struct itself, read by the callees: typed a slice here so that the
                    // pipeline passes it on with its tangent and adjoint, and given its struct
                    // type in the companions (`whole::retype`).
                    let name = whole_ident(s);
                    let m = s.mutable.then(|| quote::quote!(mut));
                    inputs.push(syn::parse_quote_spanned!(name.span()=> #name: &#m [f64]));
                }
                for leaf in &s.leaves {
                    let flat = &leaf.flat;
                    let written = leaf.written && s.mutable;
                    if leaf.written && matches!(leaf.used, Use::Int | Use::Bool) {
                        return Err(syn::Error::new(
                            leaf.span,
                            "a differentiable function writes only the real fields of a struct: compute integers and bools in a function that is not differentiated",
                        ));
                    }
                    let ty: syn::Type = match (leaf.used, written) {
                        (Use::Real | Use::Arg, false) => syn::parse_quote_spanned!(leaf.span=> f64),
                        (Use::Real | Use::Arg, true) => {
                            scalar_writes.push(flat.clone());
                            syn::parse_quote_spanned!(leaf.span=> &mut [f64])
                        }
                        (Use::Int, _) => syn::parse_quote_spanned!(leaf.span=> usize),
                        (Use::Bool, _) => syn::parse_quote_spanned!(leaf.span=> bool),
                        (Use::Array, false) => syn::parse_quote_spanned!(leaf.span=> &[f64]),
                        (Use::Array, true) => syn::parse_quote_spanned!(leaf.span=> &mut [f64]),
                    };
                    inputs.push(syn::parse_quote!(#flat: #ty));
                }
            }
        }
    }
    if !scalar_writes.is_empty() {
        // A written real field is a one-element slice (`slice::from_mut(&mut s.t)`).
        super::scalar_writes::ScalarWrites(scalar_writes).visit_block_mut(&mut block);
    }
    let mut sig = func.sig.clone();
    sig.ident = name.clone();
    sig.inputs = inputs.into_iter().collect();
    let attrs: Vec<syn::Attribute> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    Ok(syn::ItemFn {
        attrs,
        vis: syn::Visibility::Inherited,
        sig,
        block: Box::new(block),
    })
}

struct Collector {
    /// See [`StructParam::sep`].
    sep: String,
    /// The flat names of struct locals (`super::locals`), which no leaf may take.
    taken: Vec<String>,
    roots: Vec<String>,
    /// Struct parameters taken `&mut`, and the receiver: not passed whole (yet).
    mutable_roots: Vec<String>,
    /// Roots passed whole to a call.
    whole: Vec<syn::Ident>,
    /// `&mut` roots passed whole, with the error should their fields be used too (`aliased`).
    whole_mut: Vec<(syn::Ident, syn::Error)>,
    /// `(root, leaf)` in order of first use.
    leaves: Vec<(syn::Ident, Leaf)>,
    errors: Option<syn::Error>,
    /// The integer variables where the visitor is: a field beside one is an integer.
    ints: super::ints::IntVars,
    /// The written type of each struct parameter but the receiver (`s`, `State`).
    types: Vec<(String, syn::Type)>,
    /// The struct parameters held as their reals (`super::reals`).
    held: Vec<super::reals::Held>,
    /// The method call that is a statement of its own, its result dropped (`self.kick(h);`).
    statement: Option<*const syn::ExprMethodCall>,
    /// The locals the body reads as arrays (`super::copies`).
    array_locals: Vec<String>,
}

pub(super) use super::paths::chain;

mod tokens;

impl Collector {
    /// A `&mut` struct passed whole whose fields the function also uses: an error (the field
    /// slices would alias the whole struct). Passed whole alone, the struct stands for itself
    /// in the flattened function, saved and restored around calls through its reals
    /// (`super::whole`).
    fn aliased(&mut self) {
        let whole_mut = std::mem::take(&mut self.whole_mut);
        let mut reported: Vec<syn::Ident> = Vec::new();
        for (root, e) in whole_mut {
            if self.leaves.iter().any(|(r, _)| *r == root) && !reported.contains(&root) {
                // For `self`, at a field of a nested struct (what is refused).
                let nested = self
                    .leaves
                    .iter()
                    .find(|(r, l)| *r == root && l.path.len() > 1);
                let e = match nested {
                    Some((_, l)) if root == "self" => syn::Error::new(l.span, e.to_string()),
                    _ => e,
                };
                reported.push(root);
                self.error(e);
            }
        }
    }

    /// The `&mut` roots passed whole whose fields are used too, held as their reals when
    /// their places can be named; the others stay refused.
    fn held_roots(&self, params: &[Param]) -> Vec<super::reals::Held> {
        let roots = self.whole_mut.iter().map(|(r, _)| r);
        super::reals::held_roots(roots, &self.leaves, params)
    }

    fn error(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    /// If `e` is a field chain, replaces it by its flat name, recording the use; whether it was.
    fn leaf(&mut self, e: &mut syn::Expr, used: Use, written: bool) -> bool {
        if let Some(place) = super::reals::field(&self.held, &self.roots, e) {
            *e = super::reals::place(&place, used == Use::Array);
            return true;
        }
        let Some((root, members)) = chain(e, &self.roots) else {
            return false;
        };
        let span = e.span();
        let mut path = Vec::new();
        for m in members {
            match m {
                syn::Member::Named(id) => path.push(id),
                syn::Member::Unnamed(i) => {
                    self.error(syn::Error::new_spanned(
                        &i,
                        "a differentiable struct has named fields: give this field a name",
                    ));
                    return true;
                }
            }
        }
        let names: Vec<String> = path
            .iter()
            .map(|i| syn::ext::IdentExt::unraw(i).to_string())
            .collect();
        let same_path = |l: &Leaf| {
            l.path.len() == names.len()
                && l.path
                    .iter()
                    .zip(&names)
                    .all(|(a, b)| syn::ext::IdentExt::unraw(a) == *b)
        };
        let flat = if let Some((_, l)) = self
            .leaves
            .iter_mut()
            .find(|(r, l)| *r == root && same_path(l))
        {
            l.used = l.used.and(used);
            l.written |= written;
            l.flat.clone()
        } else {
            // Readable (`p__sigma`), and checked free: no identifier of the function contains
            // the separator, and a clash between two paths (`p_` + `a`, `p` + `_a`) gets a
            // number, which no field name is; so does another's tangent or adjoint (`clash`).
            let base = format!("{}{}{}", root, self.sep, names.join(&self.sep));
            let mut name = base.clone();
            let mut n = 0;
            let clash = |l: &Leaf, name: &str| super::clash(&l.flat.to_string(), name);
            while self.leaves.iter().any(|(_, l)| clash(l, &name)) || self.taken.contains(&name) {
                n += 1;
                name = format!("{base}{}{n}", self.sep);
            }
            let flat = syn::Ident::new(&name, span);
            self.leaves.push((
                root,
                Leaf {
                    path,
                    flat: flat.clone(),
                    used,
                    written,
                    span,
                },
            ));
            flat
        };
        *e = syn::parse_quote_spanned!(span=> #flat);
        true
    }

    /// Visits `e`, a field chain in it used as `hint`; an integer's hint reaches the operands
    /// of its arithmetic (`(i + p.n) % 3`).
    fn with_hint(&mut self, e: &mut syn::Expr, hint: Use) {
        if self.leaf(e, hint, false) {
            return;
        }
        match e {
            syn::Expr::Paren(p) if hint == Use::Int => self.with_hint(&mut p.expr, hint),
            syn::Expr::Binary(b) if hint == Use::Int && super::ints::is_arithmetic(&b.op) => {
                self.with_hint(&mut b.left, hint);
                self.with_hint(&mut b.right, hint);
            }
            _ => self.visit_expr_mut(e),
        }
    }

    /// Whether `e` is an integer (see [`super::ints`]).
    fn is_int(&self, e: &syn::Expr) -> bool {
        let int_field = |f: &syn::Expr| {
            chain(f, &self.roots)
                .is_some_and(|(root, path)| super::ints::is_int_leaf(&self.leaves, &root, &path))
        };
        self.ints.is_int(e, &int_field)
    }

    fn is_root(&self, e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Path(p) => {
                p.qself.is_none()
                    && p.path
                        .get_ident()
                        .is_some_and(|id| self.roots.iter().any(|r| id == r))
            }
            _ => false,
        }
    }
}

impl Collector {
    /// The expressions whose operands' kinds follow from the operator or the position:
    /// conditions are bools, ranges and `%` integers, casts to a float take an integer.
    fn visit_hinted(&mut self, e: &mut syn::Expr) {
        match e {
            syn::Expr::If(i) => {
                self.with_hint(&mut i.cond, Use::Bool);
                self.visit_block_mut(&mut i.then_branch);
                if let Some((_, els)) = &mut i.else_branch {
                    self.visit_expr_mut(els);
                }
            }
            syn::Expr::While(w) => {
                self.with_hint(&mut w.cond, Use::Bool);
                self.visit_block_mut(&mut w.body);
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                self.with_hint(&mut u.expr, Use::Bool);
            }
            syn::Expr::Range(r) => {
                if let Some(s) = &mut r.start {
                    self.with_hint(s, Use::Int);
                }
                if let Some(s) = &mut r.end {
                    self.with_hint(s, Use::Int);
                }
            }
            syn::Expr::Cast(c) => {
                let to_float = matches!(&*c.ty, syn::Type::Path(p) if p.path.is_ident("f64") || p.path.is_ident("f32"));
                let hint = if to_float { Use::Int } else { Use::Real };
                self.with_hint(&mut c.expr, hint);
            }
            syn::Expr::Binary(b) => {
                let hint = match b.op {
                    syn::BinOp::And(_) | syn::BinOp::Or(_) => Use::Bool,
                    syn::BinOp::Rem(_) => Use::Int,
                    _ if self.is_int(&b.left) || self.is_int(&b.right) => Use::Int,
                    _ => Use::Real,
                };
                self.with_hint(&mut b.left, hint);
                self.with_hint(&mut b.right, hint);
            }
            syn::Expr::Match(m) => {
                let on_ints = m.arms.iter().any(|a| super::ints::is_int_pat(&a.pat));
                self.with_hint(&mut m.expr, if on_ints { Use::Int } else { Use::Real });
                for arm in m.arms.iter_mut() {
                    self.visit_arm_mut(arm);
                }
            }
            _ => syn::visit_mut::visit_expr_mut(self, e),
        }
    }
}

impl VisitMut for Collector {
    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if self.leaf(e, Use::Real, false) {
            return;
        }
        if self.is_root(e) {
            let s = e.to_token_stream();
            let msg = format!("use the fields of `{s}` (`{s}.sigma`, `{s}.x[i]`): a differentiable function reads and writes a struct through its fields, and does not pass, copy or return it whole yet");
            self.error(syn::Error::new_spanned(&*e, msg));
            return;
        }
        match super::matrix_fields::rewrite(e, &self.roots) {
            Some(Ok(written)) => {
                self.leaf(e, Use::Array, written);
                return;
            }
            Some(Err(err)) => return self.error(err),
            None => {}
        }
        match e {
            syn::Expr::Call(c) => {
                self.visit_expr_mut(&mut c.func);
                let plain = super::ints::sends_fields(c, &self.roots);
                let mut held = false;
                for a in c.args.iter_mut() {
                    held |= super::reals::is_held_arg(&self.held, a);
                    if !(self.whole_arg(a) || (plain && self.leaf(a, Use::Arg, false))) {
                        self.visit_expr_mut(a);
                    }
                }
                if held {
                    super::reals::held_callee(&mut c.func);
                }
            }
            syn::Expr::Index(ix) => {
                if let Some(place) = super::reals::field(&self.held, &self.roots, &ix.expr) {
                    self.with_hint(&mut ix.index, Use::Int);
                    *e = super::reals::indexed(&place, &ix.index);
                    return;
                }
                if !self.leaf(&mut ix.expr, Use::Array, false) {
                    self.visit_expr_mut(&mut ix.expr);
                }
                self.with_hint(&mut ix.index, Use::Int);
            }
            syn::Expr::MethodCall(m) if super::scalar_writes::is_array_method(&m.method) => {
                // `s.x.iter_mut()` writes the field: its flat slice is `&mut`.
                let written = m.method == "iter_mut";
                if !self.leaf(&mut m.receiver, Use::Array, written) {
                    self.visit_expr_mut(&mut m.receiver);
                }
                for a in m.args.iter_mut() {
                    self.visit_expr_mut(a);
                }
            }
            syn::Expr::MethodCall(m) if self.is_root(&m.receiver) => {
                if let Some(call) = self.root_method(m) {
                    *e = call;
                }
            }
            syn::Expr::Assign(a) => {
                let hint = if self.is_int(&a.left) || self.is_int(&a.right) {
                    Use::Int
                } else {
                    Use::Real
                };
                if !self.leaf(&mut a.left, hint, true) {
                    self.mark_index_write(&mut a.left);
                }
                self.visit_expr_mut(&mut a.right);
            }
            syn::Expr::Binary(b) if super::ints::is_compound(&b.op) => {
                let hint = if self.is_int(&b.left) || self.is_int(&b.right) {
                    Use::Int
                } else {
                    Use::Real
                };
                if !self.leaf(&mut b.left, hint, true) {
                    self.mark_index_write(&mut b.left);
                }
                self.with_hint(&mut b.right, hint);
            }
            syn::Expr::Reference(r) => {
                let mutable = r.mutability.is_some();
                if let Some(place) = super::reals::field(&self.held, &self.roots, &r.expr) {
                    // `&s.x` is the field's range of the reals.
                    *r.expr = super::reals::place(&place, true);
                    return;
                }
                if self.leaf(&mut r.expr, Use::Array, mutable) {
                    // `&s.x` is the slice `s__x` itself.
                    *e = (*r.expr).clone();
                } else {
                    if mutable {
                        self.mark_index_write(&mut r.expr);
                    } else {
                        self.visit_expr_mut(&mut r.expr);
                    }
                }
            }
            // The loop's and the closure's variables end with them (a count of `.enumerate()`
            // named as a real of the body after the loop, found by the random programs).
            syn::Expr::ForLoop(f) => {
                self.visit_expr_mut(&mut f.expr);
                let outer = self.ints.clone();
                self.ints.bind_for(&f.pat, &f.expr);
                self.visit_block_mut(&mut f.body);
                self.ints = outer;
            }
            syn::Expr::Closure(c) => {
                let outer = self.ints.clone();
                self.ints.bind_closure(c);
                self.visit_expr_mut(&mut c.body);
                self.ints = outer;
            }
            _ => self.visit_hinted(e),
        }
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        match &mut local.init {
            // `let w = p.w;` read as an array: a copy of the field's reals.
            Some(init)
                if super::copies::is_array_copy(&local.pat, &init.expr, &self.array_locals) =>
            {
                if self.leaf(&mut init.expr, Use::Array, false) {
                    let e = &init.expr;
                    *init.expr = syn::parse_quote_spanned!(e.span()=> #e.to_vec());
                }
            }
            // `let k: usize = p.n;`: the field is an integer (also inside arithmetic).
            Some(init) if super::ints::is_typed_int(&local.pat) => {
                self.with_hint(&mut init.expr, Use::Int);
                if let Some((_, diverge)) = &mut init.diverge {
                    self.visit_expr_mut(diverge);
                }
            }
            _ => syn::visit_mut::visit_local_mut(self, local),
        }
        let int = local
            .init
            .as_ref()
            .is_some_and(|init| self.is_int(&init.expr));
        self.ints.bind_let(local, int);
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        // `vec![..]` holds expressions: visited as an array's, so `&p.w` in it is the slice.
        if m.path.is_ident("vec") {
            let tokens = &m.tokens;
            if let Ok(mut e) = syn::parse2::<syn::Expr>(quote::quote!([#tokens])) {
                self.visit_expr_mut(&mut e);
                if let Some(TokenTree::Group(g)) = e.to_token_stream().into_iter().next() {
                    m.tokens = g.stream();
                    return;
                }
            }
        }
        m.tokens = self.tokens(m.tokens.clone());
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        // A block's `let`s end with it.
        let outer = self.ints.clone();
        syn::visit_mut::visit_block_mut(self, b);
        self.ints = outer;
    }

    fn visit_stmt_mut(&mut self, s: &mut syn::Stmt) {
        self.statement = match s {
            syn::Stmt::Expr(syn::Expr::MethodCall(m), Some(_)) => Some(&*m as *const _),
            _ => None,
        };
        syn::visit_mut::visit_stmt_mut(self, s);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {
        // Items inside the body have their own scope.
    }
}

impl Collector {
    /// A struct parameter passed whole to a call, `p` or `&p`: recorded, and written `p` (the
    /// flattened function's reference to the struct); whether `a` was one.
    fn whole_arg(&mut self, a: &mut syn::Expr) -> bool {
        let (root, mutable) = match &*a {
            syn::Expr::Reference(r) if self.is_root(&r.expr) => {
                ((*r.expr).clone(), r.mutability.is_some())
            }
            // `&mut *s`, `&*s`: a reborrow.
            syn::Expr::Reference(r) if matches!(&*r.expr, syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) && self.is_root(&u.expr)) =>
            {
                let syn::Expr::Unary(u) = &*r.expr else {
                    return false;
                };
                ((*u.expr).clone(), r.mutability.is_some())
            }
            other if self.is_root(other) => (other.clone(), false),
            _ => return false,
        };
        let syn::Expr::Path(p) = &root else {
            return false;
        };
        let Some(id) = p.path.get_ident().cloned() else {
            return false;
        };
        let shown = id.to_string();
        let held = self.held.iter().any(|h| shown == h.root);
        if !held && (mutable || self.mutable_roots.contains(&shown)) {
            // Refused only if the function also uses the struct's fields (`aliased`).
            // Refused only when the struct cannot be held as its reals (`held_roots`).
            let msg = super::reals::refusal(&shown);
            self.whole_mut
                .push((id.clone(), syn::Error::new_spanned(&*a, msg)));
        }
        if !self.whole.contains(&id) {
            self.whole.push(id.clone());
        }
        *a = if shown == "self" {
            let span = id.span();
            let name = syn::Ident::new(&format!("self{}", self.sep), span);
            syn::parse_quote_spanned!(span=> #name)
        } else {
            root
        };
        true
    }

    /// A method called on a struct parameter: `self.m(args)` as [`Self::method_of_self`]; on
    /// another one, `s.m(args)` with `s: &State` (or `&mut State`) as `State::__tl_at_m(s,
    /// args)`, the struct passed whole, which `whole::rewrite` makes the method's own `_at`
    /// companions (`State::m_jvp_at`, taking the receiver at any scalar).
    fn root_method(&mut self, m: &mut syn::ExprMethodCall) -> Option<syn::Expr> {
        if m.receiver.to_token_stream().to_string() == "self" {
            return self.method_of_self(m);
        }
        let root = m.receiver.to_token_stream().to_string();
        let ty = self.types.iter().find(|(r, _)| *r == root)?.1.clone();
        let (held, prefix) = (super::reals::held_call(&self.held, m), self.prefix(m));
        let call = self.method_of_self(m)?;
        let syn::Expr::Call(mut call) = call else {
            return None;
        };
        let span = m.method.span();
        if held {
            *call.func =
                super::held::method_callee(&super::held::respan_type(&ty, span), &m.method, prefix);
            return Some(syn::Expr::Call(call));
        }
        let name = super::held::param_call(&m.method);
        let ty = super::held::respan_type(&ty, span);
        *call.func = syn::parse_quote_spanned!(span=> #ty::#name);
        Some(syn::Expr::Call(call))
    }

    /// `self.m(args)` with `&self`: `Self::m(self__, args)`, the method's companions reached by
    /// `whole::rewrite` (`Self::m::jvp` -> `Self::m_jvp_at`); whether `m` was one.
    fn method_of_self(&mut self, m: &mut syn::ExprMethodCall) -> Option<syn::Expr> {
        if !self.is_root(&m.receiver) || m.turbofish.is_some() {
            return None;
        }
        let (held, prefix) = (super::reals::held_call(&self.held, m), self.prefix(m));
        let mut receiver = (*m.receiver).clone();
        if !self.whole_arg(&mut receiver) {
            return None;
        }
        for a in m.args.iter_mut() {
            if !self.whole_arg(a) {
                self.visit_expr_mut(a);
            }
        }
        let method = &m.method;
        let args = &m.args;
        let span = method.span();
        if held {
            // Through the method's companions for a receiver held as its reals (those that
            // drop the result for a statement, `self.kick(h);`).
            let callee = super::held::method_callee(&quote::quote!(Self), method, prefix);
            return Some(syn::parse_quote_spanned!(span=> #callee(#receiver, #args)));
        }
        Some(syn::parse_quote_spanned!(span=> Self::#method(#receiver, #args)))
    }

    /// The prefix of the companions `m` calls on a held receiver: [`super::held::DROPPED`]
    /// when it is a statement of its own.
    fn prefix(&self, m: &syn::ExprMethodCall) -> &'static str {
        match self.statement {
            Some(s) if std::ptr::eq(s, m) => super::held::DROPPED,
            _ => super::held::METHOD,
        }
    }

    /// `s.x[i] = ..` or `&mut s.x`: the array field is written.
    fn mark_index_write(&mut self, e: &mut syn::Expr) {
        match e {
            syn::Expr::Index(ix)
                if super::reals::field(&self.held, &self.roots, &ix.expr).is_some() =>
            {
                self.visit_expr_mut(e)
            }
            syn::Expr::Index(ix) => {
                if !self.leaf(&mut ix.expr, Use::Array, true) {
                    self.visit_expr_mut(&mut ix.expr);
                }
                self.with_hint(&mut ix.index, Use::Int);
            }
            _ => self.visit_expr_mut(e),
        }
    }
}
