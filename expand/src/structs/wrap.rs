//! The companions of a function with struct parameters: each forwards to the same companion of
//! the flattened function, passing the fields of `p`, `p_dot` or `p_bar`.

use super::flatten::{Leaf, Param, StructParam, Use};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;

/// A parameter of a flattened companion: its pattern and name.
#[derive(Clone)]
pub(super) struct Input {
    pub(super) pat: syn::PatType,
    pub(super) name: String,
}

/// The flattened companion's parameters of one parameter of the user's function.
pub(super) enum Group<'a> {
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

pub(super) fn internal(what: &str) -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        format!("tapeless: internal error in the struct layer: {what}"),
    )
}

/// Splits a flattened companion's parameters by the user's parameters.
pub(super) fn groups<'a>(sig: &syn::Signature, params: &'a [Param]) -> syn::Result<Vec<Group<'a>>> {
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
    // The names of the parameters in order, to tell a field named as another's tangent or
    // adjoint (`x` and `x_dot`: flat `s__x`, `s__x_dot`) from that tangent (also `s__x_dot`).
    let expected: Vec<String> = params
        .iter()
        .flat_map(|p| match p {
            Param::Plain(pt) => vec![input_name(pt)],
            Param::Struct(s) => (s.whole)
                .then(|| input_name_of(&super::flatten::whole_ident(s)))
                .into_iter()
                .chain(s.leaves.iter().map(|l| l.flat.to_string()))
                .collect(),
        })
        .collect();
    let (mut pos, mut k) = (0, 0);
    let mut take = |name: &str| -> syn::Result<(Input, Option<Input>)> {
        let value = inputs
            .get(pos)
            .filter(|i| i.name == name)
            .cloned()
            .ok_or_else(|| internal(&format!("parameter `{name}` not found")))?;
        pos += 1;
        k += 1;
        let extra = match inputs.get(pos) {
            Some(i) if i.name == format!("{name}_dot") || i.name == format!("{name}_bar") => {
                // When the next parameter is named so, this is its value unless the value
                // follows under the same name.
                let next_is_named_so = expected.get(k) == Some(&i.name);
                let value_follows = inputs.get(pos + 1).is_some_and(|j| j.name == i.name);
                (!next_is_named_so || value_follows).then(|| {
                    pos += 1;
                    i.clone()
                })
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
    out.extend(inputs[pos..].iter().map(|value| Group::Plain {
        value: value.clone(),
        extra: None,
    }));
    Ok(out)
}

fn mentions_f64(ty: &syn::Type) -> bool {
    ty.to_token_stream()
        .to_string()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|w| w == "f64")
}

pub(super) struct Ctx<'a> {
    pub(super) krate: &'a syn::Path,
    /// The companion's scalar type parameter.
    pub(super) scalar: TokenStream,
}

impl Ctx<'_> {
    /// The struct's type at `scalar`.
    pub(super) fn struct_ty(&self, s: &StructParam, scalar: &TokenStream) -> TokenStream {
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
    pub(super) fn struct_scalar(
        &self,
        fields: &[(&Leaf, Input, Option<Input>)],
        whole: &Option<Option<Input>>,
    ) -> TokenStream {
        if whole.is_some() {
            // A struct passed whole is always differentiated (`function` checks `wrt`).
            return self.scalar.clone();
        }
        for (leaf, value, _) in fields {
            if matches!(leaf.used, Use::Real | Use::Arg | Use::Array) {
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
fn field_arg(krate: &syn::Path, base: &syn::Ident, leaf: &Leaf, ty: &syn::Type) -> TokenStream {
    let path = &leaf.path;
    let place = quote!(#base #(.#path)*);
    match ty {
        syn::Type::Reference(r) => match (&*r.elem, r.mutability.is_some()) {
            (syn::Type::Slice(_), true) if leaf.used == Use::Real => {
                quote!(::core::slice::from_mut(&mut #place))
            }
            // Through `FieldReals`: arrays, `Vec`s and nalgebra values alike.
            (syn::Type::Slice(_), true) => {
                quote!(#krate::FieldReals::reals_mut(&mut #place))
            }
            (syn::Type::Slice(_), false) => quote!(#krate::FieldReals::reals(&#place)),
            (_, true) => quote!(&mut #place),
            (_, false) => quote!(&#place),
        },
        _ => quote!(#place),
    }
}

/// A wrapper's parameters and the flattened call's arguments.
pub(super) struct Forward {
    pub(super) inputs: Vec<TokenStream>,
    /// The wrapper's parameter names, in order.
    pub(super) names: Vec<TokenStream>,
    pub(super) args: Vec<TokenStream>,
    /// The receiver is taken at the scalar type (not at `f64`, as when none of its fields is
    /// differentiated): the method form lifts `self`.
    lift_receiver: bool,
    /// Statements before and after the call (see [`super::whole::field_adjoints`]).
    pre: TokenStream,
    post: TokenStream,
}

/// A plain parameter of a wrapper, and the name it is forwarded by: a `mut a: f64` of the
/// user's is taken as `a: f64` (the wrapper only passes it on) and forwarded as `a`.
pub(super) fn plain_input(pt: &syn::PatType) -> (TokenStream, TokenStream) {
    let mut pt = pt.clone();
    if let syn::Pat::Ident(pi) = &mut *pt.pat {
        pi.mutability = None;
        pi.by_ref = None;
    }
    let n = &pt.pat;
    (quote!(#pt), quote!(#n))
}

pub(super) fn forward(cx: &Ctx, groups: &[Group], extra_suffix: &str) -> Forward {
    let mut inputs = Vec::new();
    let mut names = Vec::new();
    let mut args = Vec::new();
    let mut pre = TokenStream::new();
    let mut post = TokenStream::new();
    let mut lift_receiver = false;
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
                let scalar = if param.constant {
                    quote!(f64)
                } else {
                    cx.struct_scalar(fields, whole)
                };
                let ty = cx.struct_ty(param, &scalar);
                if param.receiver {
                    lift_receiver = scalar.to_string() != "f64";
                }
                let mut base = base_name(param);
                let m = param.mutable.then(|| quote!(mut));
                inputs.push(quote!(#base: &#m #ty));
                names.push(quote!(#base));
                let mut extra_base = format_ident!("{}_{}", base, extra_suffix);
                let whole_extra = matches!(whole, Some(Some(_)));
                let has_extra = whole_extra || fields.iter().any(|(_, _, e)| e.is_some());
                if param.constant {
                    let (lifted, extra, set) = constant_struct(cx, &base, extra_suffix, has_extra);
                    pre.extend(set);
                    base = lifted;
                    extra_base = extra;
                } else if has_extra {
                    let m = (param.mutable || extra_suffix == "bar").then(|| quote!(mut));
                    inputs.push(quote!(#extra_base: &#m #ty));
                    names.push(quote!(#extra_base));
                }
                let mut field_extra_base = extra_base.clone();
                if param.reals {
                    // The struct, its tangent or its adjoint copied into their reals and back.
                    let bases = std::iter::once(&base).chain(whole_extra.then_some(&extra_base));
                    for b in bases {
                        let (p, q, arg) = super::reals::copy_in_out(b);
                        pre.extend(p);
                        post.extend(q);
                        args.push(arg);
                    }
                } else if whole.is_some() {
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
                    args.push(field_arg(cx.krate, &base, leaf, &value.pat.ty));
                    if let Some(e) = extra {
                        args.push(field_arg(cx.krate, &field_extra_base, leaf, &e.pat.ty));
                    }
                }
            }
        }
    }
    Forward {
        inputs,
        names,
        args,
        lift_receiver,
        pre,
        post,
    }
}

/// A struct outside `wrt(..)` that the flattened companions differentiate
/// (`super::constants_outside_wrt`): `base` at `f64` lifted to the scalar type, and its zero
/// tangent or scratch adjoint when the companion takes one. Returns the names standing for the
/// struct and for its tangent or adjoint (both references), and their `let`s.
fn constant_struct(
    cx: &Ctx,
    base: &syn::Ident,
    suffix: &str,
    has_extra: bool,
) -> (syn::Ident, syn::Ident, TokenStream) {
    let (krate, scalar) = (cx.krate, &cx.scalar);
    // In the macro's syntax context: no parameter of the user's is shadowed.
    let lifted = syn::Ident::new(&format!("{base}_lifted"), Span::mixed_site());
    let extra = syn::Ident::new(&format!("{base}_{suffix}"), Span::mixed_site());
    let mut set = quote!(let #lifted = &#krate::Struct::lift::<#scalar>(#base););
    if has_extra {
        let m = (suffix == "bar").then(|| quote!(mut));
        set.extend(quote!(let #extra = &#m #krate::Struct::zero_like(#lifted);));
    }
    (lifted, extra, set)
}

/// `p`, or `this` for the receiver.
pub(super) fn base_name(s: &StructParam) -> syn::Ident {
    if s.receiver {
        syn::Ident::new("this", s.name.span())
    } else {
        s.name.clone()
    }
}

/// The function named `name` among `items` (an expansion's).
pub(super) fn find<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemFn> {
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
    let companions: Vec<String> = ["generic", "jvp", "vjp"]
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
    // The gradient is built on the user-level `f_vjp` (`grad`), so the flattened one is not
    // emitted: with a struct passed whole it would hold the struct as an array.
    let grad_name = format!("{flat_name}_grad");
    let flat_grad = find(&items, &grad_name).cloned();
    let items = if whole {
        super::whole::retype(items, params, &grad_name, krate)?
    } else {
        items
            .into_iter()
            .filter(|i| !matches!(i, syn::Item::Fn(f) if f.sig.ident == grad_name))
            .collect()
    };
    if let (Some(grad), Some(vjp)) = (flat_grad, find(&items, &format!("{flat_name}_vjp"))) {
        out.extend(w.gradient(&grad, vjp, params, &shown)?);
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
        // A function with const generic parameters is named at zeros (instantiating nothing).
        let lengths = items.iter().find_map(|i| match i {
            syn::Item::Fn(f) if f.sig.generics.const_params().next().is_some() => {
                Some(f.sig.generics.const_params().count())
            }
            _ => None,
        });
        let zeros = (0..lengths.unwrap_or(0)).map(|_| quote!(0));
        let named = if lengths.is_some() {
            quote!(#user::<#(#zeros),*>)
        } else {
            quote!(#user)
        };
        out.extend(quote! {
            #(#items)*
            const _: () = {
                let _ = #named;
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
    /// `f_grad` (on the user-level `f_vjp`, `super::grad`), and its method form for a `&self`
    /// receiver; `grad` is the flattened gradient, `vjp` the flattened reverse companion.
    fn gradient(
        &self,
        grad: &syn::ItemFn,
        vjp: &syn::ItemFn,
        params: &[Param],
        shown: &str,
    ) -> syn::Result<TokenStream> {
        let (krate, user, vis, at) = (self.krate, self.user, self.vis, self.at);
        let mut out = TokenStream::new();
        let cx = Ctx {
            krate,
            scalar: scalar_of(&grad.sig),
        };
        let name = format_ident!("{}_grad{}", user, at);
        let vjp_name = format_ident!("{}_vjp{}", user, at);
        let call_prefix = self.call_prefix;
        let vjp_call = quote!(#call_prefix #vjp_name);
        let (inputs, output, call) = super::grad::gradient(&cx, grad, vjp, params, &vjp_call)?;
        let generics = &grad.sig.generics;
        let doc = format!(" Value and gradient of [`{shown}`], generated by `#[differentiable]`: returns `(value, gradient)`, one entry per differentiated parameter (a tuple when there are several), `Vec`s for arrays, the struct itself for a struct.");
        out.extend(quote! {
            #[doc = #doc]
            #[allow(clippy::all, dead_code)]
            #vis fn #name #generics(#(#inputs),*) -> #output {
                #call
            }
        });
        if self.receiver.is_some_and(|r| !r.mutable) {
            let g = groups(&grad.sig, params)?;
            let fw = forward(&cx, &g, "");
            let output: syn::ReturnType = syn::parse_quote!(-> #output);
            out.extend(method_form(
                krate, user, "grad", &cx, &fw, generics, &output, vis,
            ));
        }
        Ok(out)
    }

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
    args[0] = quote!(&this);
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
    // A receiver that is not differentiated (no real field read, or left out of `wrt(..)`) is
    // taken at `f64`: lifted to `f64`, a copy, which keeps a struct that is not annotated to
    // the one error of the trait.
    let scalar = if fw.lift_receiver {
        scalar.clone()
    } else {
        quote!(f64)
    };
    let doc = format!(" [`Self::{at}`] with `self` lifted to the scalar type (its values as constants), generated by `#[differentiable]`.");
    // When no other input names the scalar (`loss_grad(&self, x: &[f64])` of `wrt(self)` with
    // data), nothing would say which it is: the method is the `f64` one.
    let names_scalar = |t: &TokenStream| {
        t.clone()
            .into_iter()
            .any(|tt| mentions(&tt, &cx.scalar.to_string()))
    };
    if !inputs[1..].iter().any(names_scalar) {
        let output = at_f64(output.to_token_stream(), &cx.scalar.to_string());
        return quote! {
            #[doc = #doc]
            #[allow(clippy::all, dead_code)]
            #vis fn #name(#(#inputs),*) #output {
                let this = #krate::Struct::lift::<f64>(self);
                Self::#at(#(#args),*)
            }
        };
    }
    quote! {
        #[doc = #doc]
        #[allow(clippy::all, dead_code)]
        #vis fn #name #generics(#(#inputs),*) #output {
            let this = #krate::Struct::lift::<#scalar>(self);
            Self::#at(#(#args),*)
        }
    }
}

/// Whether the token tree `tt` names `ident`.
fn mentions(tt: &proc_macro2::TokenTree, ident: &str) -> bool {
    match tt {
        proc_macro2::TokenTree::Ident(i) => i == ident,
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions(&t, ident)),
        _ => false,
    }
}

/// `tokens` with the type parameter `ident` replaced by `f64`.
fn at_f64(tokens: TokenStream, ident: &str) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) if i == ident => {
                proc_macro2::TokenTree::Ident(syn::Ident::new("f64", i.span()))
            }
            proc_macro2::TokenTree::Group(g) => {
                let mut out = proc_macro2::Group::new(g.delimiter(), at_f64(g.stream(), ident));
                out.set_span(g.span());
                proc_macro2::TokenTree::Group(out)
            }
            other => other,
        })
        .collect()
}

/// A companion's scalar: its type parameter, or `f64`.
pub(super) fn scalar_of(sig: &syn::Signature) -> TokenStream {
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
