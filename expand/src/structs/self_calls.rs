//! A struct-result method called on the caller's own `self`: `let k1 = self.rhs(s);`, `s =
//! self.rk4(&s, h);` in another `#[differentiable]` method of the same type (a model whose
//! right-hand side and time step return the state as a struct).
//!
//! The caller holds the result as its reals (`taken`), as it holds a free function's. A free
//! function `step` names its result's type for callers (`type __step_out = State;`), but a
//! method's attribute can add only items of its `impl`, where a type alias is not stable Rust.
//! So the method publishes its result's places as associated constants ([`out_places`]):
//! `Self::__tl_self_rk4_out__TL_AT_x::<f64>()`, which is `<State>::__TL_AT_x`, `.._LEN_x`, `__TL_REALS`, and
//! `Self::__tl_self_rk4_out__inner__TL_AT_a` per nested literal, which the caller's pass reads
//! through [`item`]. The call goes through `Self::__tl_self_rk4_into(&mut s2, self, &s, h)`
//! (`into::method_into_companions`), the receiver passed whole as any struct argument.
//! A result whose own methods are called (`k1.norm2()`) is held at a type's places instead
//! ([`typed`]): the type written, or that of the struct parameters and literal locals the
//! call passes (`self.rhs(s)` with `s: &State`), which rustc checks (`ResultIs`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// Where a caller holding a struct as its reals finds its places: a type (`__step_out`,
/// `__tl_State`: `__step_out::__TL_AT_x`), or the `const fn`s a struct-result method publishes
/// in its type (`owner` `Self` for `self.rk4(..)`, `State` for `State::new(..)`:
/// `State::__tl_self_new_out__TL_AT_x::<f64>()`, see [`out_places`]).
#[derive(Clone)]
pub(super) struct Layout {
    pub(super) name: syn::Ident,
    pub(super) owner: Option<TokenStream>,
}

impl Layout {
    /// A type's (`__step_out`).
    pub(super) fn of_type(name: syn::Ident) -> Self {
        Layout { name, owner: None }
    }

    /// Method `method`'s result, its places in `owner` (`Self`, `State`).
    pub(super) fn of_call(method: &syn::Ident, owner: TokenStream) -> Self {
        let name = format_ident!(
            "{}{}_out",
            super::held::SELF_CALL,
            syn::ext::IdentExt::unraw(method),
            span = method.span()
        );
        Layout {
            name,
            owner: Some(owner),
        }
    }

    /// Whether its places are a method's (`of_call`).
    pub(super) fn is_call(&self) -> bool {
        self.owner.is_some()
    }

    /// `item` (`__TL_AT_x`) of the struct nested at `nested` (`["inner"]`, or none).
    pub(super) fn item(&self, nested: &[String], item: &str) -> TokenStream {
        let name = &self.name;
        let base = if nested.is_empty() {
            name.clone()
        } else {
            format_ident!("{}__{}", name, nested.join("__"))
        };
        match &self.owner {
            Some(owner) => {
                let f = format_ident!("{}{}", base, item, span = name.span());
                quote!(#owner::#f::<f64>())
            }
            None => {
                let f = format_ident!("{}", item);
                quote!(#base::#f)
            }
        }
    }
}

impl quote::ToTokens for Layout {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.name.to_tokens(tokens);
    }
}

/// `m` in `self.m(..)` (a method called on `self`, without turbofish).
pub(super) fn method(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    match e {
        syn::Expr::MethodCall(m)
            if m.turbofish.is_none()
                && matches!(&*m.receiver, syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident("self")) =>
        {
            Some(m)
        }
        _ => None,
    }
}

/// The places of method `user`'s result (`literal` of type `ty`) as `const fn`s of the `impl`,
/// for callers calling it on their `self`: `__tl_self_rk4_out__TL_REALS`, and per field of the
/// literal `..__TL_AT_x`, `..__TL_LEN_x` (nested literals under `..__inner`), each the
/// struct's own constant, evaluated where a caller reads it.
pub(super) fn out_places(
    krate: &syn::Path,
    vis: &syn::Visibility,
    user: &str,
    literal: &syn::ExprStruct,
    ty: &syn::Type,
) -> TokenStream {
    let alias = format_ident!("{}{}_out", super::held::SELF_CALL, user);
    let reals = format_ident!("{}__TL_REALS", alias);
    let at = at_scalar(krate, ty);
    let mut out = place_fn(krate, vis, &reals, quote!(<#at>::__TL_REALS));
    let is = format_ident!("{}_is", alias);
    out.extend(quote! {
        #[doc(hidden)]
        #[inline(always)]
        #[allow(non_snake_case, dead_code)]
        #vis const fn #is<__T: #krate::Real, __O: #krate::__private::ResultIs<#at>>() -> usize {
            <#at>::__TL_REALS
        }
    });
    fields(krate, vis, &alias, literal, ty, &mut out);
    out
}

/// A call's result held at a struct type's own places, so that its methods can be called
/// (`let k = State::new(..); k.norm2()`, `let t = s.scaled(x); t.norm2()`, `let y: State =
/// self.step(&s); y.energy()`): the type written (for `self.step(..)`, whose owner is the
/// caller's type, `written` may be the type of what the call passes: `evidence`), else the one
/// the call goes through, which must be a plain name. The layout
/// (`__tl_State`) and the number of reals through the method's `.._out_is::<f64, State>()`,
/// which rustc refuses unless the result is of that type (`ResultIs`), at `span`. `None` when
/// there is no such type.
pub(super) fn typed(
    layout: &Layout,
    written: Option<&syn::Type>,
    guess: bool,
    span: proc_macro2::Span,
) -> Option<(Layout, TokenStream)> {
    let owner = layout.owner.as_ref()?;
    let ty: syn::Type = match written {
        Some(t) => t.clone(),
        None if guess => syn::parse2(owner.clone()).ok()?,
        None => return None,
    };
    let syn::Type::Path(p) = &ty else { return None };
    let id = p.path.get_ident()?;
    let of_type = if id == "Self" {
        Layout::of_type(id.clone())
    } else {
        Layout::of_type(super::layout::alias_name(id))
    };
    let is = format_ident!("{}_is", layout.name);
    // At the binding, where rustc's error on a result of another type belongs.
    let check = super::held::respan(quote!(#owner::#is::<f64, #ty>()), span);
    Some((of_type, check))
}

fn fields(
    krate: &syn::Path,
    vis: &syn::Visibility,
    owner: &syn::Ident,
    literal: &syn::ExprStruct,
    ty: &syn::Type,
    out: &mut TokenStream,
) {
    for fv in &literal.fields {
        let syn::Member::Named(f) = &fv.member else {
            continue;
        };
        let f = syn::ext::IdentExt::unraw(f);
        let (at, len) = (
            format_ident!("__TL_AT_{}", f),
            format_ident!("__TL_LEN_{}", f),
        );
        let (own_at, own_len) = (
            format_ident!("{}__TL_AT_{}", owner, f),
            format_ident!("{}__TL_LEN_{}", owner, f),
        );
        let ty_at = at_scalar(krate, ty);
        out.extend(place_fn(krate, vis, &own_at, quote!(<#ty_at>::#at)));
        out.extend(place_fn(krate, vis, &own_len, quote!(<#ty_at>::#len)));
        if let syn::Expr::Struct(inner) = &fv.expr {
            let path = &inner.path;
            let inner_ty: syn::Type = syn::parse_quote!(#path);
            let owner = format_ident!("{}__{}", owner, f);
            fields(krate, vis, &owner, inner, &inner_ty, out);
        }
    }
}

/// The struct `ty` at the scalar `__T` (`State<__T>`, `<Self as Struct>::At<__T>`): a place
/// depending on the generic is evaluated only where a caller instantiates it (an associated
/// constant of a non-generic `impl`, or one not depending on a generic, is evaluated with the
/// `impl`, and an integer field's place is a compile error).
fn at_scalar(krate: &syn::Path, ty: &syn::Type) -> TokenStream {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() && !p.path.is_ident("Self") => {
            let mut p = p.clone();
            if let Some(last) = p.path.segments.last_mut() {
                last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<__T>));
            }
            quote!(#p)
        }
        _ => quote!(<#ty as #krate::Struct>::At<__T>),
    }
}

/// `const fn name<__T>() -> usize { value }`, `value` depending on `__T` (see [`at_scalar`]);
/// callers call it at `f64`.
fn place_fn(
    krate: &syn::Path,
    vis: &syn::Visibility,
    name: &syn::Ident,
    value: TokenStream,
) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[inline(always)]
        #[allow(non_snake_case, dead_code)]
        #vis const fn #name<__T: #krate::Real>() -> usize {
            #value
        }
    }
}

/// `State` and `new` in `State::new(..)` (an associated function called through its type's
/// name, or `Self::new(..)`): a path of two plain segments.
pub(super) fn associated(e: &syn::Expr) -> Option<(syn::Ident, syn::Ident)> {
    let syn::Expr::Call(c) = e else { return None };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let segs = &p.path.segments;
    if p.qself.is_some() || p.path.leading_colon.is_some() || segs.len() != 2 {
        return None;
    }
    if segs.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    Some((segs[0].ident.clone(), segs[1].ident.clone()))
}

/// The statement writing the result of `self.rk4(&s, h)` (the method's companions for a call on
/// `self`) or `State::new(a, b)` (the associated function's, through its type) into the reals
/// `into`: `Self::__tl_self_rk4_into(&mut into, self, &s, h);`.
pub(super) fn into_call(
    into: &syn::Ident,
    value: &syn::Expr,
    roots: &[(String, syn::Type)],
) -> Option<TokenStream> {
    let into_name = |f: &syn::Ident| {
        format_ident!(
            "{}{}_into",
            super::held::SELF_CALL,
            syn::ext::IdentExt::unraw(f),
            span = f.span()
        )
    };
    if let Some(m) = method(value) {
        let name = into_name(&m.method);
        let (recv, args) = (&m.receiver, &m.args);
        return Some(quote!(Self::#name(&mut #into, #recv, #args);));
    }
    // `s.scaled(x)` on a struct parameter `s: &State`: through its type, `s` passed whole.
    if let Some((_, ty, m)) = super::evidence::param_method(value, roots) {
        let name = into_name(&m.method);
        let ty = super::held::respan_type(ty, m.method.span());
        let (recv, args) = (&m.receiver, &m.args);
        return Some(quote!(#ty::#name(&mut #into, #recv, #args);));
    }
    let (ty, f) = associated(value)?;
    let syn::Expr::Call(call) = value else {
        return None;
    };
    let (name, args) = (into_name(&f), &call.args);
    Some(quote!(#ty::#name(&mut #into, #args);))
}
