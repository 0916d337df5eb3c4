//! The companions of a function with struct parameters: each forwards to the same companion of
//! the flattened function, passing the fields of `p`, `p_dot` or `p_bar`.

use super::flatten::{Leaf, Param, StructParam, Use};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;

/// A parameter of a flattened companion: its pattern and name.
struct Input {
    pat: syn::PatType,
    name: String,
}

/// The flattened companion's parameters of one parameter of the user's function.
enum Group<'a> {
    Plain {
        value: Input,
        extra: Option<Input>,
    },
    Struct {
        param: &'a StructParam,
        /// Per used field: its value parameter and its tangent or adjoint, if any.
        fields: Vec<(&'a Leaf, Input, Option<Input>)>,
        /// The struct passed whole to callees: its tangent or adjoint, if any.
        whole: Option<Option<Input>>,
    },
}

fn input_name_of(id: &syn::Ident) -> String {
    syn::ext::IdentExt::unraw(id).to_string()
}

fn input_name(pt: &syn::PatType) -> String {
    match &*pt.pat {
        syn::Pat::Ident(pi) => syn::ext::IdentExt::unraw(&pi.ident).to_string(),
        _ => String::new(),
    }
}

fn internal(what: &str) -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        format!("tapeless: internal error in the struct layer: {what}"),
    )
}

/// Splits a flattened companion's parameters by the user's parameters.
fn groups<'a>(sig: &syn::Signature, params: &'a [Param]) -> syn::Result<Vec<Group<'a>>> {
    let inputs: Vec<Input> = sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(pt) => Some(Input {
                pat: pt.clone(),
                name: input_name(pt),
            }),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let mut it = inputs.into_iter().peekable();
    let mut take = |name: &str| -> syn::Result<(Input, Option<Input>)> {
        let value = it
            .next()
            .filter(|i| i.name == name)
            .ok_or_else(|| internal(&format!("parameter `{name}` not found")))?;
        let extra = match it.peek() {
            Some(i) if i.name == format!("{name}_dot") || i.name == format!("{name}_bar") => {
                it.next()
            }
            _ => None,
        };
        Ok((value, extra))
    };
    let mut out = Vec::new();
    for p in params {
        match p {
            Param::Plain(pt) => {
                let (value, extra) = take(&input_name(pt))?;
                out.push(Group::Plain { value, extra });
            }
            Param::Struct(s) => {
                let whole = if s.whole {
                    Some(take(&input_name_of(&super::flatten::whole_ident(s)))?.1)
                } else {
                    None
                };
                let mut fields = Vec::new();
                for leaf in &s.leaves {
                    let (value, extra) = take(&leaf.flat.to_string())?;
                    fields.push((leaf, value, extra));
                }
                out.push(Group::Struct {
                    param: s,
                    fields,
                    whole,
                });
            }
        }
    }
    // What follows the parameters (`result_bar`, the seed of the result).
    out.extend(it.map(|value| Group::Plain { value, extra: None }));
    Ok(out)
}

fn mentions_f64(ty: &syn::Type) -> bool {
    ty.to_token_stream()
        .to_string()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64")
}

struct Ctx<'a> {
    krate: &'a syn::Path,
    /// The companion's scalar type parameter.
    scalar: TokenStream,
}

impl Ctx<'_> {
    /// The struct's type at `scalar`.
    fn struct_ty(&self, s: &StructParam, scalar: &TokenStream) -> TokenStream {
        let krate = self.krate;
        let ty = &s.ty;
        if super::type_is_self(ty) {
            return quote!(<Self as #krate::Struct>::At<#scalar>);
        }
        // A projection rather than `Params<S>`: for a struct that is not annotated, the one
        // error is the trait's, on the written type, saying to annotate it.
        let tr = quote::quote_spanned!(ty.span()=> #krate::Struct);
        quote::quote_spanned!(ty.span()=> <#ty as #tr>::At<#scalar>)
    }

    /// The scalar of a struct's fields in a companion: `S`, or `f64` when none is differentiated.
    fn struct_scalar(
        &self,
        fields: &[(&Leaf, Input, Option<Input>)],
        whole: &Option<Option<Input>>,
    ) -> TokenStream {
        if whole.is_some() {
            // A struct passed whole is always differentiated (`function` checks `wrt`).
            return self.scalar.clone();
        }
        for (leaf, value, _) in fields {
            if matches!(leaf.used, Use::Real | Use::Array) {
                return if mentions_f64(&value.pat.ty) {
                    quote!(f64)
                } else {
                    self.scalar.clone()
                };
            }
        }
        quote!(f64)
    }
}

/// The argument passing field `leaf` of `base` to a parameter of type `ty`.
fn field_arg(base: &syn::Ident, leaf: &Leaf, ty: &syn::Type) -> TokenStream {
    let path = &leaf.path;
    let place = quote!(#base #(.#path)*);
    match ty {
        syn::Type::Reference(r) => match (&*r.elem, r.mutability.is_some()) {
            (syn::Type::Slice(_), true) if leaf.used == Use::Real => {
                quote!(::core::slice::from_mut(&mut #place))
            }
            (syn::Type::Slice(_), true) => quote!(&mut #place[..]),
            (syn::Type::Slice(_), false) => quote!(&#place[..]),
            (_, true) => quote!(&mut #place),
            (_, false) => quote!(&#place),
        },
        _ => quote!(#place),
    }
}

/// A wrapper's parameters and the flattened call's arguments.
struct Forward {
    inputs: Vec<TokenStream>,
    /// The wrapper's parameter names, in order.
    names: Vec<TokenStream>,
    args: Vec<TokenStream>,
    /// Statements before and after the call (see [`super::whole::field_adjoints`]).
    pre: TokenStream,
    post: TokenStream,
    /// The receiver's fields are all outside `wrt(..)`: the companion takes it at `f64`, as
    /// `self` is, so the method form passes `self` unlifted.
    receiver_at_f64: bool,
}

/// A plain parameter of a wrapper, and the name it is forwarded by: a `mut a: f64` of the
/// user's is taken as `a: f64` (the wrapper only passes it on) and forwarded as `a`.
fn plain_input(pt: &syn::PatType) -> (TokenStream, TokenStream) {
    let mut pt = pt.clone();
    if let syn::Pat::Ident(pi) = &mut *pt.pat {
        pi.mutability = None;
        pi.by_ref = None;
    }
    let n = &pt.pat;
    (quote!(#pt), quote!(#n))
}

fn forward(cx: &Ctx, groups: &[Group], extra_suffix: &str) -> Forward {
    let mut inputs = Vec::new();
    let mut names = Vec::new();
    let mut args = Vec::new();
    let mut pre = TokenStream::new();
    let mut post = TokenStream::new();
    let mut receiver_at_f64 = false;
    for g in groups {
        match g {
            Group::Plain { value, extra } => {
                for pt in std::iter::once(&value.pat).chain(extra.iter().map(|e| &e.pat)) {
                    let (input, n) = plain_input(pt);
                    inputs.push(input);
                    args.push(n.clone());
                    names.push(n);
                }
            }
            Group::Struct {
                param,
                fields,
                whole,
            } => {
                let scalar = cx.struct_scalar(fields, whole);
                if param.receiver {
                    receiver_at_f64 = scalar.to_string() == "f64";
                }
                let ty = cx.struct_ty(param, &scalar);
                let base = base_name(param);
                let m = param.mutable.then(|| quote!(mut));
                inputs.push(quote!(#base: &#m #ty));
                names.push(quote!(#base));
                let extra_base = format_ident!("{}_{}", base, extra_suffix);
                let whole_extra = matches!(whole, Some(Some(_)));
                if whole_extra || fields.iter().any(|(_, _, e)| e.is_some()) {
                    let m = (param.mutable || extra_suffix == "bar").then(|| quote!(mut));
                    inputs.push(quote!(#extra_base: &#m #ty));
                    names.push(quote!(#extra_base));
                }
                let mut field_extra_base = extra_base.clone();
                if whole.is_some() {
                    args.push(quote!(#base));
                    if whole_extra {
                        if extra_suffix == "bar" {
                            args.push(quote!(&mut *#extra_base));
                            if fields.iter().any(|(_, _, e)| e.is_some()) {
                                let (temp, p, q) =
                                    super::whole::field_adjoints(cx.krate, &extra_base);
                                field_extra_base = temp;
                                pre.extend(p);
                                post.extend(q);
                            }
                        } else {
                            args.push(quote!(#extra_base));
                        }
                    }
                }
                for (leaf, value, extra) in fields {
                    args.push(field_arg(&base, leaf, &value.pat.ty));
                    if let Some(e) = extra {
                        args.push(field_arg(&field_extra_base, leaf, &e.pat.ty));
                    }
                }
            }
        }
    }
    Forward {
        inputs,
        names,
        args,
        pre,
        post,
        receiver_at_f64,
    }
}

/// `p`, or `this` for the receiver.
fn base_name(s: &StructParam) -> syn::Ident {
    if s.receiver {
        syn::Ident::new("this", s.name.span())
    } else {
        s.name.clone()
    }
}

fn find<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemFn> {
    items.iter().find_map(|i| match i {
        syn::Item::Fn(f) if f.sig.ident == name => Some(f),
        _ => None,
    })
}

/// The companions of the user's function `func`.
pub fn wrappers(
    krate: &syn::Path,
    func: &syn::ItemFn,
    params: &[Param],
    flat_name: &syn::Ident,
    flat: syn::File,
    method: bool,
) -> syn::Result<TokenStream> {
    let user = &func.sig.ident;
    let vis = &func.vis;
    let items = flat_companions(flat, flat_name);
    // In a method, the flattened companions are associated functions of the same `impl` (so
    // `Self::K` in the body still names the type's items), called as `Self::__f_flat_vjp`;
    // the path companions (`__f_flat::jvp`) and the reverse-only companion have no callers.
    let companions: Vec<String> = ["generic", "jvp", "vjp", "grad"]
        .iter()
        .map(|n| format!("{flat_name}_{n}"))
        .collect();
    let call_prefix = if method {
        quote!(Self::)
    } else {
        TokenStream::new()
    };
    let mut out = TokenStream::new();
    let whole = params
        .iter()
        .any(|p| matches!(p, Param::Struct(s) if s.whole));
    let receiver = params.iter().find_map(|p| match p {
        Param::Struct(s) if s.receiver => Some(s),
        _ => None,
    });
    // With a receiver, `f_vjp` is the method and `f_vjp_at` the associated function.
    let at = if receiver.is_some() { "_at" } else { "" };
    let shown = if method {
        format!("Self::{user}")
    } else {
        user.to_string()
    };
    let w = Wrapping {
        krate,
        user,
        vis,
        method,
        receiver: receiver.map(|r| &**r),
        at,
        call_prefix: &call_prefix,
    };
    for (kind, suffix, doc) in companion_kinds(&shown) {
        let target = if kind == "rev" {
            format!("__{flat_name}_rev")
        } else {
            format!("{flat_name}_{kind}")
        };
        if let Some(comp) = find(&items, &target) {
            out.extend(w.companion(comp, params, kind, suffix, &doc)?);
        }
    }
    // With a struct passed whole the flattened gradient would hold it as an array: no `_grad`
    // yet (`_vjp` gives the same).
    let items = if whole {
        super::whole::retype(items, params, &format!("{flat_name}_grad"), krate)?
    } else {
        items
    };
    if let (Some(grad), Some(vjp)) = (
        find(&items, &format!("{flat_name}_grad")),
        find(&items, &format!("{flat_name}_vjp")),
    ) {
        let cx = Ctx {
            krate,
            scalar: scalar_of(&grad.sig),
        };
        let name = format_ident!("{}_grad{}", user, at);
        let body = gradient(&cx, grad, vjp, params, &call_prefix)?;
        let (inputs, output, call) = body;
        let generics = &grad.sig.generics;
        let doc = format!(" Value and gradient of [`{shown}`], generated by `#[differentiable]`: returns `(value, gradient)`, one entry per differentiated parameter (a tuple when there are several), `Vec`s for arrays, the struct itself for a struct.");
        out.extend(quote! {
            #[doc = #doc]
            #[allow(clippy::all, dead_code)]
            #vis fn #name #generics(#(#inputs),*) -> #output {
                #call
            }
        });
        if receiver.is_some_and(|r| !r.mutable) {
            let g = groups(&grad.sig, params)?;
            let fw = forward(&cx, &g, "");
            let output: syn::ReturnType = syn::parse_quote!(-> #output);
            out.extend(method_form(
                krate, user, "grad", &cx, &fw, generics, &output, vis,
            ));
        }
    }
    if method {
        let mut companions = companions;
        companions.push(format!("__{flat_name}_rev"));
        companions.push(format!("__{flat_name}_args"));
        out.extend(associated_companions(&items, &companions)?);
        out.extend(super::whole::args_const(
            user,
            at,
            vis,
            &items,
            params,
            flat_name,
            Some(quote!(Self::)),
        ));
    } else {
        let paths = super::whole::path_companions(user, vis, &out, &items, params, flat_name)?;
        out.extend(quote! {
            #(#items)*
            const _: () = {
                let _ = #user;
            };
            #paths
        });
    }
    Ok(out)
}

/// The wrapped companions: kind, suffix of the tangent or adjoint, documentation; the
/// reverse-only companion last, for callers passing a struct whole (`rhs::rev`).
fn companion_kinds(shown: &str) -> [(&'static str, &'static str, String); 4] {
    [
        ("generic", "", format!(" [`{shown}`] at any scalar type `S` (`f32`, `f64`, dual numbers), generated by `#[differentiable]`.")),
        ("jvp", "dot", format!(" Forward mode of [`{shown}`], generated by `#[differentiable]`: each differentiated parameter `x` gets a tangent `x_dot` after it; returns `(value, tangent of the value)`.")),
        ("vjp", "bar", format!(" Reverse mode of [`{shown}`], generated by `#[differentiable]`: each differentiated parameter `x` gets an adjoint `x_bar` after it, into which `J^T result_bar` is accumulated; returns the value.")),
        ("rev", "bar", String::new()),
    ]
}

/// What the companion wrappers of one function share.
struct Wrapping<'a> {
    krate: &'a syn::Path,
    user: &'a syn::Ident,
    vis: &'a syn::Visibility,
    method: bool,
    receiver: Option<&'a StructParam>,
    at: &'a str,
    call_prefix: &'a TokenStream,
}

impl Wrapping<'_> {
    /// The wrapper of the flattened companion `comp` (`generic`, `jvp`, `vjp`, `rev`), and its
    /// method form for a `&self` receiver.
    fn companion(
        &self,
        comp: &syn::ItemFn,
        params: &[Param],
        kind: &str,
        suffix: &str,
        doc: &str,
    ) -> syn::Result<TokenStream> {
        let (krate, user, vis) = (self.krate, self.user, self.vis);
        let mut out = TokenStream::new();
        let struct_doc = " A struct parameter `p: &Params` is taken at the scalar type, `&Params<S>`; its tangent `p_dot` or adjoint `p_bar` is the same struct (`p_bar.sigma`).";
        let cx = Ctx {
            krate,
            scalar: scalar_of(&comp.sig),
        };
        let g = groups(&comp.sig, params)?;
        let fw = forward(&cx, &g, suffix);
        let (name, doc) = if kind == "rev" {
            (
                format_ident!("__{}_rev{}", user, self.at),
                quote!(#[doc(hidden)]),
            )
        } else {
            let doc = format!("{doc}{struct_doc}");
            (
                format_ident!("{}_{}{}", user, kind, self.at),
                quote!(#[doc = #doc]),
            )
        };
        let generics = &comp.sig.generics;
        let output = &comp.sig.output;
        let target = &comp.sig.ident;
        let inputs = &fw.inputs;
        let args = &fw.args;
        let naming = self.method.then(|| quote!(let _ = Self::#user;));
        let call_prefix = self.call_prefix;
        let call = if fw.pre.is_empty() && fw.post.is_empty() {
            quote!(#call_prefix #target(#(#args),*))
        } else {
            let (pre, post) = (&fw.pre, &fw.post);
            let value = syn::Ident::new("value", Span::mixed_site());
            quote! {
                #pre
                let #value = #call_prefix #target(#(#args),*);
                #post
                #value
            }
        };
        out.extend(quote! {
            #doc
            #[allow(clippy::all, dead_code)]
            #vis fn #name #generics(#(#inputs),*) #output {
                #naming
                #call
            }
        });
        if kind != "rev" && self.receiver.is_some_and(|r| !r.mutable) {
            out.extend(method_form(
                krate, user, kind, &cx, &fw, generics, output, vis,
            ));
        }
        Ok(out)
    }
}

/// The flattened function's companions, without the flattened function itself.
fn flat_companions(flat: syn::File, flat_name: &syn::Ident) -> Vec<syn::Item> {
    let mut items: Vec<syn::Item> = Vec::new();
    for mut item in flat.items {
        match &item {
            syn::Item::Fn(f) if f.sig.ident == *flat_name => continue,
            syn::Item::Const(c) if c.ident == "_" => continue,
            _ => {}
        }
        if let Some(attrs) = item_attrs(&mut item) {
            attrs.push(syn::parse_quote!(#[allow(dead_code, non_snake_case)]));
        }
        items.push(item);
    }
    items
}

/// In a method, the flattened companions as hidden associated functions calling each other as
/// `Self::name`.
fn associated_companions(items: &[syn::Item], companions: &[String]) -> syn::Result<TokenStream> {
    let mut out = TokenStream::new();
    for item in items {
        if let syn::Item::Const(c) = item {
            if companions.iter().any(|n| c.ident == n) {
                out.extend(c.to_token_stream());
            }
            continue;
        }
        let syn::Item::Fn(f) = item else { continue };
        if !companions.iter().any(|c| f.sig.ident == c) {
            continue;
        }
        let mut f = f.clone();
        let block = f.block.to_token_stream();
        f.block = syn::parse2(qualify(block, companions))?;
        f.attrs.push(syn::parse_quote!(#[doc(hidden)]));
        out.extend(f.to_token_stream());
    }
    Ok(out)
}

/// `self.f_kind(..)`: the `_at` form with `self` lifted to the scalar type.
#[allow(clippy::too_many_arguments)]
fn method_form(
    krate: &syn::Path,
    user: &syn::Ident,
    kind: &str,
    cx: &Ctx,
    fw: &Forward,
    generics: &syn::Generics,
    output: &syn::ReturnType,
    vis: &syn::Visibility,
) -> TokenStream {
    let name = format_ident!("{}_{}", user, kind);
    let at = format_ident!("{}_{}_at", user, kind);
    let scalar = &cx.scalar;
    if fw.inputs.is_empty() {
        return TokenStream::new();
    }
    // The receiver's group is first: `this: &At<S>` becomes `&self`; `this_dot` or `this_bar`
    // becomes `self_dot` or `self_bar`.
    let mut inputs = fw.inputs.clone();
    let mut args = fw.names.clone();
    inputs[0] = quote!(&self);
    // Outside `wrt(..)`, the receiver is data at `f64`, as `self` is: passed as it is.
    let lift = if fw.receiver_at_f64 {
        args[0] = quote!(self);
        TokenStream::new()
    } else {
        args[0] = quote!(&this);
        quote!(let this = #krate::Struct::lift::<#scalar>(self);)
    };
    for (i, a) in args.iter_mut().enumerate().skip(1) {
        let text = a.to_string();
        if let Some(suffix) = text.strip_prefix("this_") {
            let renamed = format_ident!("self_{}", suffix);
            *a = quote!(#renamed);
            let ty = inputs[i].to_string();
            let ty: TokenStream = ty
                .split_once(':')
                .map(|(_, t)| t.parse().unwrap_or_default())
                .unwrap_or_default();
            inputs[i] = quote!(#renamed: #ty);
        }
    }
    let doc = format!(" [`Self::{at}`] with `self` lifted to the scalar type (its values as constants), generated by `#[differentiable]`.");
    quote! {
        #[doc = #doc]
        #[allow(clippy::all, dead_code)]
        #vis fn #name #generics(#(#inputs),*) #output {
            #lift
            Self::#at(#(#args),*)
        }
    }
}

fn scalar_of(sig: &syn::Signature) -> TokenStream {
    match sig.generics.type_params().next() {
        Some(tp) => {
            let i = &tp.ident;
            quote!(#i)
        }
        None => quote!(f64),
    }
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    match item {
        syn::Item::Fn(i) => Some(&mut i.attrs),
        syn::Item::Struct(i) => Some(&mut i.attrs),
        syn::Item::Impl(i) => Some(&mut i.attrs),
        syn::Item::Const(i) => Some(&mut i.attrs),
        _ => None,
    }
}

/// The gradient: the flattened gradient's entries, struct fields gathered into a zero struct.
fn gradient(
    cx: &Ctx,
    grad: &syn::ItemFn,
    vjp: &syn::ItemFn,
    params: &[Param],
    call_prefix: &TokenStream,
) -> syn::Result<(Vec<TokenStream>, TokenStream, TokenStream)> {
    let krate = cx.krate;
    let g = groups(&grad.sig, params)?;
    let v = groups(&vjp.sig, params)?;
    let fw = forward(cx, &g, "");
    // The flattened gradient's entry types.
    let syn::ReturnType::Type(_, ret) = &grad.sig.output else {
        return Err(internal("gradient without result"));
    };
    let syn::Type::Tuple(pair) = &**ret else {
        return Err(internal("gradient result not a pair"));
    };
    let (Some(value_ty), Some(entries_ty)) = (pair.elems.first(), pair.elems.get(1)) else {
        return Err(internal("gradient result not a pair"));
    };
    let active: usize = v
        .iter()
        .map(|g| match g {
            Group::Plain { extra, .. } => usize::from(extra.is_some()),
            Group::Struct { fields, .. } => fields.iter().filter(|f| f.2.is_some()).count(),
        })
        .sum();
    let entry_tys: Vec<syn::Type> = match entries_ty {
        syn::Type::Tuple(t) if active > 1 => t.elems.iter().cloned().collect(),
        t => vec![t.clone()],
    };
    let entries: Vec<syn::Ident> = (0..active).map(|i| format_ident!("__g{}", i)).collect();
    let mut k = 0;
    let mut setup = TokenStream::new();
    let mut results = Vec::new();
    let mut result_tys = Vec::new();
    for (gg, vg) in g.iter().zip(&v) {
        match (gg, vg) {
            (Group::Plain { .. }, Group::Plain { extra, .. }) => {
                if extra.is_some() {
                    let (Some(e), Some(t)) = (entries.get(k), entry_tys.get(k)) else {
                        return Err(internal("gradient entries"));
                    };
                    results.push(quote!(#e));
                    result_tys.push(t.to_token_stream());
                    k += 1;
                }
            }
            (
                Group::Struct {
                    param,
                    fields,
                    whole,
                },
                Group::Struct { fields: vf, .. },
            ) => {
                if !vf.iter().any(|f| f.2.is_some()) {
                    continue;
                }
                let base = base_name(param);
                let acc = format_ident!("__{}_grad", base);
                setup.extend(quote!(let mut #acc = #krate::Struct::zero_like(#base);));
                for ((leaf, _, _), (_, _, bar)) in fields.iter().zip(vf) {
                    if bar.is_none() {
                        continue;
                    }
                    let Some(e) = entries.get(k) else {
                        return Err(internal("gradient entries"));
                    };
                    let path = &leaf.path;
                    if leaf.used == Use::Array {
                        setup.extend(quote!(#acc #(.#path)* .copy_from_slice(&#e[..]);));
                    } else {
                        setup.extend(quote!(#acc #(.#path)* = #e;));
                    }
                    k += 1;
                }
                results.push(quote!(#acc));
                let scalar = cx.struct_scalar(fields, whole);
                result_tys.push(cx.struct_ty(param, &scalar));
            }
            _ => return Err(internal("groups disagree")),
        }
    }
    let target = &grad.sig.ident;
    let args = &fw.args;
    let (result, result_ty) = if results.len() == 1 {
        (quote!(#(#results)*), quote!(#(#result_tys)*))
    } else {
        (quote!((#(#results,)*)), quote!((#(#result_tys,)*)))
    };
    let destructure = if active == 1 {
        quote!(let #(#entries)* = __g;)
    } else {
        quote!(let (#(#entries,)*) = __g;)
    };
    let call = quote! {
        let (__value, __g) = #call_prefix #target(#(#args),*);
        #destructure
        #setup
        (__value, #result)
    };
    Ok((fw.inputs, quote!((#value_ty, #result_ty)), call))
}

/// Calls of the flattened companions by their bare names, as `Self::name`.
fn qualify(tokens: TokenStream, names: &[String]) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let mut out: Vec<TokenTree> = Vec::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let mut n = Group::new(g.delimiter(), qualify(g.stream(), names));
                n.set_span(g.span());
                out.push(TokenTree::Group(n));
            }
            TokenTree::Ident(i) if names.iter().any(|n| i == n) => {
                let after_path =
                    matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                if !after_path {
                    out.extend(quote!(Self::));
                }
                out.push(TokenTree::Ident(i));
            }
            tt => out.push(tt),
        }
    }
    out.into_iter().collect()
}
