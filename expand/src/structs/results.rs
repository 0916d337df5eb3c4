//! Struct results: `fn step(s: &State, h: f64) -> State { ..; State { x: .., q: [..] } }`.
//!
//! The body ends with the struct's literal, which lists every field, so the field names are
//! visible where the struct's definition is not. The function is differentiated as a hidden
//! one that writes its result through a `&mut` struct parameter, one field (or element) at a
//! time, last first (`__step_res(s, h, result__)`: `result__.q[0] = ..`, `result__.x = ..`, so
//! that the reverse sweep takes them first to last, as an array literal's: `super::order`),
//! which the struct layer already flattens (`super::function`): every real field of the result
//! is written whole, so the initial values of the out-parameter, its tangent and its adjoint
//! are never read. The user's companions forward to the hidden ones:
//! `step_generic(s, h) -> State<S>`, `step_jvp(s, s_dot, h, h_dot) -> (State<S>, State<S>)`
//! (value and tangent), `step_vjp(s, s_bar, h, h_bar, result_bar: &State<S>) -> State<S>`
//! (the seed is the result's shape at the scalar type, as every adjoint of a struct).
//!
//! A field copied whole from a struct parameter's (`t: s.t`, `steps: s.steps`, `x: s.x`) may
//! be a real, an array or an integer, which is not visible: the hidden function does not write
//! it, and the companions copy it after the call (the source's last value when it is `&mut`)
//! with its tangent (`CopiedField::tangent`: the source's for reals, the value for data), and
//! add its adjoint into the source's before the reverse sweep (`CopiedField::add_adjoint`).
//!
//! The out-parameter is built from the literal's shape, at no cost: a real field is `S::zero()`,
//! an array field `core::array::from_fn(|_| zero)` (its length inferred by rustc from the field's
//! type), a nested literal the same recursively, and an integer or bool field the literal's own
//! expression (a literal, or one of parameters: it is not differentiated and the hidden
//! function does not write it). A field's kind is guessed from its expression (an array literal,
//! a repeat `[e; n]`, a local or parameter declared as an array; an integer literal, a cast to
//! an integer, `.len()`, an integer parameter; a bool literal, a comparison; otherwise a real),
//! and every guess is checked by rustc: the shape and the hidden function's out-parameter are
//! typed by the struct's own fields, so a wrong guess is a type error, never a derivative taken
//! as zero.

use super::flatten;
use super::result_locals::{arrays, field_root, param_names, struct_roots, LocalLiterals};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// How a field of the result is written.
enum Kind {
    /// A real, written whole.
    Real,
    /// An array literal, written element by element.
    Elements(Vec<syn::Expr>),
    /// An nalgebra vector or matrix built by a constructor (`Vector3::new(a, b, c)`), written
    /// element by element in storage order (`super::matrix_fields::constructor`).
    Storage(Vec<syn::Expr>),
    /// `[e; n]`.
    Repeat(syn::Expr, syn::Expr),
    /// An array local or parameter, copied element by element.
    Copy(syn::Expr),
    /// A nested struct literal.
    Nested(syn::ExprStruct),
    /// An integer or a bool: the shape's, not written.
    Data,
    /// A field of a struct parameter copied whole (`t: s.t`, `steps: s.steps`), whose kind is
    /// not visible: copied by the companions with its tangent and adjoint
    /// (`CopiedField`), not written by the hidden function.
    Copied(syn::Ident),
}

/// The expansion of `#[differentiable]` on a function whose result is a struct built by the
/// body's tail literal.
pub(super) fn expand(
    attr: &TokenStream,
    func: syn::ItemFn,
    ty: &syn::Type,
    method: bool,
) -> syn::Result<TokenStream> {
    let literal = tail_literal(&func, ty)?;
    let receiver = func.sig.receiver().is_some();
    if literal.path.is_ident("Self") && !receiver {
        return Err(syn::Error::new_spanned(
            &literal.path,
            "an associated function without `self` builds its struct result by the type's name (`State { x: .., q: [..] }`, not `Self { .. }`): the companions build the result at the scalar type from that name",
        ));
    }
    refuse_returns(&func.block)?;
    let sep = flatten::separator(&func);
    let out = syn::Ident::new(&format!("result{sep}"), Span::call_site());
    let index = syn::Ident::new(&format!("i{sep}"), Span::call_site());
    let cx = Cx::new(&func, &index);
    let mut writes = Vec::new();
    cx.writes(&literal, &quote!(#out), &mut writes)?;
    // Last first, so the reverse sweep takes the fields first to last, as an array literal's.
    if super::order::literal_any_order(&literal, &func.sig) {
        writes.reverse();
    }
    let writes_params = func.sig.inputs.iter().any(|a| {
        matches!(a, syn::FnArg::Typed(pt) if matches!(&*pt.ty, syn::Type::Reference(r) if r.mutability.is_some()))
    });
    if writes.is_empty() && !writes_params {
        return Err(syn::Error::new_spanned(
            &literal,
            "this result only copies fields of the parameters and data (`t: s.t`, `n: 3`): there is nothing to differentiate; copy the struct outside differentiable code (`s.clone()`), or compute at least one real field here",
        ));
    }
    let hidden_name = format_ident!("__{}_res", func.sig.ident);
    let mut hidden = func.clone();
    hidden.attrs = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    hidden.attrs.push(syn::parse_quote!(#[doc(hidden)]));
    hidden
        .attrs
        .push(syn::parse_quote!(#[allow(dead_code, non_snake_case, unused_variables, clippy::manual_memcpy)]));
    hidden.vis = syn::Visibility::Inherited;
    hidden.sig.ident = hidden_name.clone();
    hidden.sig.output = syn::ReturnType::Default;
    hidden
        .sig
        .inputs
        .push(syn::parse_quote_spanned!(ty.span()=> #out: &mut #ty));
    hidden.block.stmts.pop();
    for w in writes {
        hidden.block.stmts.push(syn::parse2(w)?);
    }
    let hidden_attr = with_out_in_wrt(attr, &out);
    let expanded = super::function(&hidden_attr, hidden)?;
    let file: syn::File = syn::parse2(expanded.clone())?;
    let args = crate::attr::parse(attr.clone())?;
    let wrappers = wrappers(
        &args.krate,
        &func,
        &file,
        &hidden_name,
        &literal,
        &sep,
        method,
    )?;
    let into = if args.wrt.is_some() {
        None
    } else if method {
        let out = (&literal, ty);
        super::into::method_into_companions(&args.krate, &func, &wrappers, &hidden_name, out)?
    } else {
        super::into::into_companions(&args.krate, &func, &wrappers, &literal, ty, &hidden_name)?
    };
    let into = into.map(|i| crate::same_configuration(&func.attrs, i));
    let user = &func;
    Ok(quote! {
        #[allow(clippy::needless_range_loop)]
        #user
        #expanded
        #wrappers
        #into
    })
}

/// The body's tail, a struct literal without `..base`.
fn tail_literal(func: &syn::ItemFn, ty: &syn::Type) -> syn::Result<syn::ExprStruct> {
    let msg = format!(
        "a differentiable function returning a struct ends with the struct's literal listing every field (`{ty} {{ x: .., q: [..] }}`), or with a local bound by one and edited by its fields (`let mut r = {ty} {{ .. }}; r.x = ..; r`): compute the fields in locals and build the result last",
        ty = ty.to_token_stream()
    );
    match func.block.stmts.last() {
        Some(syn::Stmt::Expr(syn::Expr::Struct(s), None)) => {
            if let Some(rest) = &s.rest {
                return Err(syn::Error::new_spanned(
                    rest,
                    "a returned struct lists every field: write the fields `..base` would copy (`t: base.t`)",
                ));
            }
            Ok(s.clone())
        }
        Some(syn::Stmt::Expr(syn::Expr::Path(p), None)) => {
            match LocalLiterals::of(&func.block).rest(&p.path) {
                Some(rest) => Err(syn::Error::new_spanned(
                    rest,
                    "a struct local returned whole lists every field in its literal: write the fields `..base` would copy (`m: p.m`), then edit the local and return it",
                )),
                None => Err(syn::Error::new_spanned(p, msg)),
            }
        }
        Some(last) => Err(syn::Error::new_spanned(last, msg)),
        None => Err(syn::Error::new_spanned(ty, msg)),
    }
}

/// Whether a struct-returning function's body ends with a struct literal (so that the struct
/// layer takes it, struct parameters or not).
pub(super) fn ends_with_literal(block: &syn::Block) -> bool {
    matches!(
        block.stmts.last(),
        Some(syn::Stmt::Expr(syn::Expr::Struct(_), None))
    )
}

/// `return` in the body (outside closures and items): an error on it.
fn refuse_returns(block: &syn::Block) -> syn::Result<()> {
    struct Returns(Option<syn::Error>);
    impl<'a> Visit<'a> for Returns {
        fn visit_expr_return(&mut self, r: &'a syn::ExprReturn) {
            let e = syn::Error::new_spanned(
                r,
                "a differentiable function returning a struct returns by its tail literal only: compute the fields in locals (an `if` or a loop with `break`) and build the struct last",
            );
            match &mut self.0 {
                Some(all) => all.combine(e),
                None => self.0 = Some(e),
            }
        }
        fn visit_expr_closure(&mut self, _: &'a syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut v = Returns(None);
    v.visit_block(block);
    v.0.map_or(Ok(()), Err)
}

impl<'a> Cx<'a> {
    /// The context of `func`'s literal; in a method, `self` is a parameter and a struct root.
    fn new(func: &syn::ItemFn, index: &'a syn::Ident) -> Self {
        let mut params = param_names(&func.sig);
        let mut roots = struct_roots(&func.sig);
        if func.sig.receiver().is_some() {
            params.push("self".into());
            roots.push("self".into());
        }
        Cx {
            index,
            locals: arrays(func),
            structs: LocalLiterals::of(&func.block),
            ints: super::ints::IntVars::of_signature(&func.sig),
            params,
            roots,
        }
    }
}

struct Cx<'a> {
    index: &'a syn::Ident,
    locals: Vec<String>,
    /// The struct locals bound by a literal.
    structs: LocalLiterals,
    ints: super::ints::IntVars,
    params: Vec<String>,
    /// The struct parameters.
    roots: Vec<String>,
}

impl Cx<'_> {
    fn kind(&self, e: &syn::Expr) -> Kind {
        match e {
            syn::Expr::Array(a) => Kind::Elements(a.elems.iter().cloned().collect()),
            syn::Expr::Repeat(r) => Kind::Repeat((*r.expr).clone(), (*r.len).clone()),
            syn::Expr::Struct(s) => Kind::Nested(s.clone()),
            syn::Expr::Paren(p) => self.kind(&p.expr),
            syn::Expr::Call(_) if matches!(super::matrix_fields::constructor(e), Some(Ok(_))) => {
                match super::matrix_fields::constructor(e) {
                    Some(Ok(elems)) => Kind::Storage(elems),
                    _ => Kind::Real,
                }
            }
            syn::Expr::Path(p)
                if p.path
                    .get_ident()
                    .is_some_and(|i| self.locals.contains(&i.to_string())) =>
            {
                Kind::Copy(e.clone())
            }
            _ if is_bool(e) || self.ints.is_int(e, &|_| false) => Kind::Data,
            syn::Expr::Field(_) => match field_root(e) {
                Some(root) if self.roots.contains(&root.to_string()) => Kind::Copied(root),
                // A field of a struct local returned whole (`q: r.q`, `locals::tail_whole`)
                // that the local's literal made an array.
                _ if self.structs.is_array(e, &self.locals) => Kind::Copy(e.clone()),
                _ => Kind::Real,
            },
            // `v: s.v.clone()`: a field that is not `Copy` (a `Vec`, a `DVector`) copied.
            syn::Expr::MethodCall(m)
                if m.method == "clone"
                    && m.args.is_empty()
                    && matches!(&*m.receiver, syn::Expr::Field(_)) =>
            {
                match field_root(&m.receiver) {
                    Some(root) if self.roots.contains(&root.to_string()) => Kind::Copied(root),
                    _ => Kind::Real,
                }
            }
            _ => Kind::Real,
        }
    }

    /// The hidden function's statements writing `lit` into `target` (`result__`, `result__.inner`).
    fn writes(
        &self,
        lit: &syn::ExprStruct,
        target: &TokenStream,
        out: &mut Vec<TokenStream>,
    ) -> syn::Result<()> {
        let index = self.index;
        for fv in &lit.fields {
            let member = &fv.member;
            if let syn::Member::Unnamed(i) = member {
                return Err(syn::Error::new_spanned(
                    i,
                    "a differentiable struct has named fields: give this field a name",
                ));
            }
            let span = fv.span();
            let place = quote_spanned!(span=> #target.#member);
            if let Some(Err(e)) = super::matrix_fields::constructor(&fv.expr) {
                return Err(e);
            }
            match self.kind(&fv.expr) {
                Kind::Real => {
                    let e = &fv.expr;
                    out.push(quote_spanned!(span=> #place = #e;));
                }
                Kind::Elements(elems) | Kind::Storage(elems) => {
                    for (i, e) in elems.iter().enumerate() {
                        let i = syn::Index::from(i);
                        let i = quote!(#i);
                        out.push(quote_spanned!(span=> #place[#i] = #e;));
                    }
                }
                Kind::Repeat(e, n) => {
                    out.push(quote_spanned!(span=> for #index in 0..#n { #place[#index] = #e; }));
                }
                Kind::Copy(e) => {
                    out.push(quote_spanned!(span=> for #index in 0..#e.len() { #place[#index] = #e[#index]; }));
                }
                Kind::Nested(s) => {
                    if let Some(rest) = &s.rest {
                        return Err(syn::Error::new_spanned(
                            rest,
                            "a returned struct lists every field: write the fields `..base` would copy (`t: base.t`)",
                        ));
                    }
                    self.writes(&s, &place, out)?;
                }
                Kind::Data => self.data_of_params(&fv.expr)?,
                Kind::Copied(_) => {}
            }
        }
        Ok(())
    }

    /// An integer or bool field is computed again where the result's shape is built, from the
    /// companion's parameters: it may name only parameters and constants.
    fn data_of_params(&self, e: &syn::Expr) -> syn::Result<()> {
        struct Paths<'a>(&'a [String], Option<syn::Error>);
        impl<'a> Visit<'a> for Paths<'_> {
            fn visit_expr_path(&mut self, p: &'a syn::ExprPath) {
                if let Some(id) = p.path.get_ident() {
                    let name = id.to_string();
                    let constant = name.chars().all(|c| !c.is_lowercase());
                    if !constant && !self.0.contains(&name) && self.1.is_none() {
                        self.1 = Some(syn::Error::new_spanned(
                            p,
                            "an integer or bool field of a returned struct is computed from parameters and constants only (it is not differentiated, and the result's shape is built before the body runs): take it as a parameter, or compute it outside",
                        ));
                    }
                }
            }
        }
        let mut v = Paths(&self.params, None);
        v.visit_expr(e);
        v.1.map_or(Ok(()), Err)
    }

    /// The result's shape at the scalar `scalar`: zeros, and the integer and bool fields.
    fn shape(&self, lit: &syn::ExprStruct, krate: &syn::Path, scalar: &TokenStream) -> TokenStream {
        let zero = quote!(<#scalar as #krate::Real>::from_f64(0.0));
        if lit.path.is_ident("Self") {
            return self.shape_of_self(lit, krate, scalar);
        }
        let fields = lit.fields.iter().map(|fv| {
            let member = &fv.member;
            let span = fv.span();
            let value = match self.kind(&fv.expr) {
                Kind::Real => zero.clone(),
                Kind::Elements(_) | Kind::Repeat(..) | Kind::Copy(_) => {
                    quote!(::core::array::from_fn(|_| #zero))
                }
                Kind::Storage(_) => quote!(#krate::__private::ZeroShape::zero_shape()),
                Kind::Nested(s) => self.shape(&s, krate, scalar),
                Kind::Data => fv.expr.to_token_stream(),
                Kind::Copied(_) => {
                    let e = &fv.expr;
                    quote!(::core::clone::Clone::clone(&#e))
                }
            };
            quote_spanned!(span=> #member: #value)
        });
        let path = &lit.path;
        quote_spanned!(path.span()=> #path::<#scalar> { #(#fields),* })
    }
}

impl Cx<'_> {
    /// The shape of a `Self { .. }` result in a method (the type's name is not visible, and a
    /// struct literal cannot name `Self` at another scalar): the receiver `this` with its reals
    /// zero and its other fields copied (the type is the receiver's: rustc checks it against
    /// the result's), then the literal's integer, bool and nested fields set.
    fn shape_of_self(
        &self,
        lit: &syn::ExprStruct,
        krate: &syn::Path,
        scalar: &TokenStream,
    ) -> TokenStream {
        let zero = quote!(<#scalar as #krate::Real>::from_f64(0.0));
        let v = syn::Ident::new("shape", Span::mixed_site());
        let mut sets = TokenStream::new();
        for fv in &lit.fields {
            let member = &fv.member;
            match self.kind(&fv.expr) {
                Kind::Data => {
                    let e = &fv.expr;
                    sets.extend(quote_spanned!(fv.span()=> #v.#member = #e;));
                }
                Kind::Nested(s) => {
                    let inner = self.shape(&s, krate, scalar);
                    sets.extend(quote_spanned!(fv.span()=> #v.#member = #inner;));
                }
                _ => {}
            }
        }
        let this = syn::Ident::new("this", lit.path.span());
        quote!({
            #[allow(unused_mut)]
            let mut #v: <Self as #krate::Struct>::At<#scalar> =
                #krate::Struct::map_reals(&*#this, &mut |_| #zero);
            #sets
            #v
        })
    }
}

/// A copied field: its place in the result (`.inner.t`), its source (`s.inner.t`) and root.
struct CopiedAt {
    place: TokenStream,
    source: syn::Expr,
    root: syn::Ident,
}

impl Cx<'_> {
    fn copied(&self, lit: &syn::ExprStruct, prefix: &TokenStream, out: &mut Vec<CopiedAt>) {
        for fv in &lit.fields {
            let member = &fv.member;
            let place = quote!(#prefix.#member);
            match self.kind(&fv.expr) {
                Kind::Copied(root) => out.push(CopiedAt {
                    place,
                    source: match &fv.expr {
                        syn::Expr::MethodCall(m) => (*m.receiver).clone(),
                        e => e.clone(),
                    },
                    root,
                }),
                Kind::Nested(s) => self.copied(&s, &place, out),
                _ => {}
            }
        }
    }
}

/// The same chain from another root: `s.inner.t` from `s_dot`.
fn rerooted(e: &syn::Expr, root: &syn::Ident) -> syn::Expr {
    match e {
        syn::Expr::Field(f) => {
            let mut f = f.clone();
            f.base = Box::new(rerooted(&f.base, root));
            syn::Expr::Field(f)
        }
        _ => syn::parse_quote!(#root),
    }
}

fn is_bool(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Bool(_)),
        syn::Expr::Paren(p) => is_bool(&p.expr),
        syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Not(_)),
        syn::Expr::Binary(b) => matches!(
            b.op,
            syn::BinOp::And(_)
                | syn::BinOp::Or(_)
                | syn::BinOp::Eq(_)
                | syn::BinOp::Ne(_)
                | syn::BinOp::Lt(_)
                | syn::BinOp::Le(_)
                | syn::BinOp::Gt(_)
                | syn::BinOp::Ge(_)
        ),
        _ => false,
    }
}

/// The attribute of the hidden function: the out-parameter added to `wrt(..)` when there is one.
fn with_out_in_wrt(attr: &TokenStream, out: &syn::Ident) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let mut tokens: Vec<TokenTree> = attr.clone().into_iter().collect();
    for i in 0..tokens.len().saturating_sub(1) {
        let is_wrt = matches!(&tokens[i], TokenTree::Ident(id) if id == "wrt");
        let before_as = matches!(tokens.get(i + 2), Some(TokenTree::Ident(id)) if id == "as");
        if let (true, false, TokenTree::Group(g)) = (is_wrt, before_as, &tokens[i + 1]) {
            let inner = g.stream();
            let mut n = Group::new(g.delimiter(), quote!(#inner, #out));
            n.set_span(g.span());
            tokens[i + 1] = TokenTree::Group(n);
            break;
        }
    }
    tokens.into_iter().collect()
}

/// `step_generic`, `step_jvp`, `step_vjp`: the hidden companions with the out-parameter made
/// the result.
/// The hidden companion's parameters other than the out-parameter, and whether each
/// out-parameter there is the value (`true`) or its tangent or adjoint, in order; absent when
/// the hidden function writes no field.
fn split_out<'a>(sig: &'a syn::Signature, sep: &str) -> (Vec<&'a syn::PatType>, Vec<bool>) {
    let out_names = [
        format!("result{sep}"),
        format!("result{sep}_dot"),
        format!("result{sep}_bar"),
    ];
    let mut kept = Vec::new();
    let mut outs = Vec::new();
    for a in &sig.inputs {
        if let syn::FnArg::Typed(pt) = a {
            let name = pt.pat.to_token_stream().to_string();
            if out_names.contains(&name) {
                outs.push(name == out_names[0]);
            } else {
                kept.push(pt);
            }
        }
    }
    (kept, outs)
}

impl Cx<'_> {
    /// The copied fields' values after the call (a `&mut` source holds the body's last value),
    /// their tangents, and their adjoints added to the sources' before the reverse sweep (which
    /// starts from the adjoint of the sources' last values): the statements before and after
    /// the hidden companion's call.
    fn copies(
        &self,
        krate: &syn::Path,
        literal: &syn::ExprStruct,
        kind: &str,
        names: &[TokenStream],
        (value, second): (&syn::Ident, &syn::Ident),
    ) -> (TokenStream, TokenStream) {
        let mut copied = Vec::new();
        self.copied(literal, &TokenStream::new(), &mut copied);
        let has = |name: &syn::Ident| names.iter().any(|n| *name == n.to_string());
        let cf = quote!(#krate::__private::CopiedField);
        let mut after = TokenStream::new();
        let mut before = TokenStream::new();
        for c in &copied {
            let (place, source) = (&c.place, &c.source);
            after.extend(quote!(#value #place = ::core::clone::Clone::clone(&#source);));
            // In a method's `_at` companions the receiver is `this` (`self_as_this`).
            let root = if c.root == "self" {
                "this".to_string()
            } else {
                c.root.to_string()
            };
            let dot = format_ident!("{}_dot", root);
            let bar = format_ident!("{}_bar", root);
            if kind == "jvp" {
                let t = if has(&dot) {
                    let d = rerooted(source, &dot);
                    quote!(::core::option::Option::Some(&#d))
                } else {
                    quote!(::core::option::Option::None)
                };
                after.extend(quote!(#second #place = #cf::tangent(&#source, #t);));
            }
            if kind == "vjp" && has(&bar) {
                let b = rerooted(source, &bar);
                before.extend(quote!(#cf::add_adjoint(&mut #b, &#second #place);));
            }
        }
        (before, after)
    }
}

fn wrappers(
    krate: &syn::Path,
    func: &syn::ItemFn,
    file: &syn::File,
    hidden: &syn::Ident,
    literal: &syn::ExprStruct,
    sep: &str,
    method: bool,
) -> syn::Result<TokenStream> {
    let syn::ReturnType::Type(_, literal_ty) = &func.sig.output else {
        return Err(super::wrap::internal("a struct result without a type"));
    };
    let index = format_ident!("i{}", sep);
    let cx = Cx::new(func, &index);
    let user = &func.sig.ident;
    let vis = &func.vis;
    let mut out = TokenStream::new();
    // In a method the companions are associated functions (`Self::__f_res_vjp_at`), `_at` with
    // a receiver, which they take as `this`.
    let receiver = func.sig.receiver();
    let at = if receiver.is_some() { "_at" } else { "" };
    let prefix = method.then(|| quote!(Self::));
    let naming = naming(func, prefix.as_ref());
    for kind in ["generic", "jvp", "vjp"] {
        let target = format!("{hidden}_{kind}{at}");
        let comp = super::wrap::find(&file.items, &target)
            .ok_or_else(|| super::wrap::internal(&format!("`{target}` not generated")))?;
        let (kept, outs) = split_out(&comp.sig, sep);
        let scalar = super::wrap::scalar_of(&comp.sig);
        let ret = &literal_ty;
        let res_ty = quote!(<#ret as #krate::Struct>::At<#scalar>);
        let names: Vec<TokenStream> = kept.iter().map(|pt| pt.pat.to_token_stream()).collect();
        let shape = cx.shape(literal, krate, &scalar);
        let generics = &comp.sig.generics;
        let where_clause = &comp.sig.generics.where_clause;
        let name = format_ident!("{}_{}{}", user, kind, at);
        let target = &comp.sig.ident;
        let target = quote!(#prefix #target);
        let value = syn::Ident::new("value", Span::mixed_site());
        let second = syn::Ident::new("second", Span::mixed_site());
        // The out-parameter, and its tangent or adjoint when some field is differentiated.
        let out_args = outs.iter().map(|&v| {
            if v {
                quote!(&mut #value)
            } else {
                quote!(&mut #second)
            }
        });
        let out_args = quote!(#(#out_args),*);
        let (before, after) = cx.copies(krate, literal, kind, &names, (&value, &second));
        let mut seed_param = None;
        let (inputs, body, output, doc) = match kind {
            "generic" => (
                quote!(#(#kept),*),
                quote! {
                    let mut #value: #res_ty = #shape;
                    #target(#(#names,)* #out_args);
                    #after
                    #value
                },
                quote!(#res_ty),
                format!(" [`{user}`] at any scalar type `S` (`f32`, `f64`, dual numbers), generated by `#[differentiable]`: the result is the struct at `S`."),
            ),
            "jvp" => (
                quote!(#(#kept),*),
                quote! {
                    let mut #value: #res_ty = #shape;
                    let mut #second: #res_ty = #shape;
                    #target(#(#names,)* #out_args);
                    #after
                    (#value, #second)
                },
                quote!((#res_ty, #res_ty)),
                format!(" Forward mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets a tangent `x_dot` after it; returns `(value, tangent)`, both the result struct at the scalar type."),
            ),
            _ => {
                let seed = seed_name(&kept);
                seed_param = Some(quote!(#seed: &#res_ty));
                (
                    quote!(#(#kept,)* #seed: &#res_ty),
                    quote! {
                        let mut #value: #res_ty = #shape;
                        let mut #second: #res_ty = #krate::Struct::map_reals(#seed, &mut |v| v);
                        #before
                        #target(#(#names,)* #out_args);
                        #after
                        #value
                    },
                    quote!(#res_ty),
                    format!(" Reverse mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets an adjoint `x_bar` after it, into which `J^T {seed}` is accumulated, `{seed}` being the result struct's adjoint at the scalar type; returns the value."),
                )
            }
        };
        let body = if receiver.is_some() {
            super::result_methods::self_as_this(body)
        } else {
            body
        };
        // A caller using only the companions uses the function too: naming it here keeps
        // `dead_code` quiet about it without allowing dead code in the function itself.
        let body = quote!(#naming #body);
        out.extend(quote! {
            #[doc = #doc]
            #[allow(clippy::all, dead_code)]
            #vis fn #name #generics(#inputs) -> #output #where_clause {
                #body
            }
        });
        if receiver.is_some_and(|r| r.mutability.is_none()) {
            let signature = (&kept[..], seed_param, generics, &output);
            out.extend(super::result_methods::method_form(
                krate, user, kind, signature, &scalar, vis,
            ));
        }
    }
    Ok(out)
}

/// `let _ = f;` (`Self::f` in a method), which makes a caller using only `f`'s companions use
/// `f`; nothing for a function with type or const parameters (which `let _` could not infer).
fn naming(func: &syn::ItemFn, prefix: Option<&TokenStream>) -> TokenStream {
    let generic = func
        .sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
    if generic {
        return TokenStream::new();
    }
    let user = &func.sig.ident;
    quote!(let _ = #prefix #user;)
}

/// `result_bar`, or with `_` appended until no parameter has the name.
fn seed_name(kept: &[&syn::PatType]) -> syn::Ident {
    let mut seed = String::from("result_bar");
    while kept
        .iter()
        .any(|pt| pt.pat.to_token_stream().to_string() == seed)
    {
        seed.push('_');
    }
    syn::Ident::new(&seed, Span::call_site())
}
