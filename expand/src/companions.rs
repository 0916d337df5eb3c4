//! The companions as associated items of a type named like the function, so that callers find
//! them through any `use` or path that reaches the function.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};

/// The companions that callers use, as associated items of a type named like the function:
/// `f::generic`, `f::jvp`, `f::rev` and `f::ARGS` call or name `f_generic`, `f_jvp`,
/// `__f_rev` and `__f_args`. A function lives in the value namespace and this type in the type
/// namespace, so both are one name: `use physics::sq;` or the path `physics::sq` brings both, and
/// a caller finds the companions wherever it finds the function.
///
/// `items` holds the companions' definitions; each method forwards to one, with its signature,
/// except that a real data parameter (outside `wrt(..)`) is taken as callers send it
/// ([`data_as_callers_send`]).
///
/// An anonymous constant also names the function, so that a function used only through its
/// companions (`f_grad(..)`) gives no `dead_code` warning: the lint is not allowed anywhere,
/// so what the user's body holds is still linted as written (named at `f64`, `f::<f64>`, when
/// the user wrote it generic over its scalar, `scalar_generic`).
pub fn path_companions(
    user: &Ident,
    vis: &syn::Visibility,
    items: &TokenStream,
    scalar_generic: bool,
) -> syn::Result<TokenStream> {
    let items: Signatures = syn::parse2(items.clone())?;
    let forwarded = [
        (format_ident!("{}_generic", user), "generic"),
        (format_ident!("{}_jvp", user), "jvp"),
        (format_ident!("__{}_rev", user), "rev"),
    ];
    let args = format_ident!("__{}_args", user);
    let rows = format_ident!("__{}_rows", user);
    // A function with const generic parameters (`const N: usize`, which the generic primal
    // declares after its scalar) is named at zeros, which instantiates nothing.
    let lengths = items.0.iter().find_map(|item| match item {
        Signature::Fn(s) if s.ident == forwarded[0].0 => Some(s.generics.const_params().count()),
        _ => None,
    });
    let zeros = (0..lengths.unwrap_or(0)).map(|_| quote!(0));
    let instance = if scalar_generic {
        quote!(#user::<f64>)
    } else if lengths.unwrap_or(0) > 0 {
        quote!(#user::<#(#zeros),*>)
    } else {
        quote!(#user)
    };
    // The user's parameters, as many as the generic primal's.
    let user_params = items.0.iter().find_map(|item| match item {
        Signature::Fn(s) if s.ident == forwarded[0].0 => Some(s.inputs.len()),
        _ => None,
    });
    let mut members = TokenStream::new();
    for item in &items.0 {
        match item {
            Signature::Fn(func_sig) => {
                let Some((_, short)) = forwarded.iter().find(|(n, _)| *n == func_sig.ident) else {
                    continue;
                };
                let target = &func_sig.ident;
                let mut sig = func_sig.clone();
                sig.ident = Ident::new(short, user.span());
                let passed = data_as_callers_send(&mut sig, short).into_iter().flatten();
                // A const generic parameter that no parameter's type names (`for i in 0..N`
                // only) cannot be inferred: the companion is named with its generics.
                let target = if sig.generics.const_params().next().is_some() {
                    let names = sig.generics.params.iter().filter_map(|g| match g {
                        syn::GenericParam::Type(t) => Some(&t.ident),
                        syn::GenericParam::Const(c) => Some(&c.ident),
                        syn::GenericParam::Lifetime(_) => None,
                    });
                    quote!(#target::<#(#names),*>)
                } else {
                    quote!(#target)
                };
                members.extend(quote! {
                    #[doc(hidden)]
                    #[inline]
                    #[allow(clippy::all)]
                    #vis #sig { #target(#(#passed),*) }
                });
                if let Some(n) = user_params {
                    members.extend(paired(vis, &sig, short, n));
                }
            }
            Signature::Const(c) if c.ident == args => {
                let ty = &c.ty;
                members.extend(quote! {
                    #[doc(hidden)]
                    #vis const ARGS: #ty = #args;
                });
            }
            // The length of the rows of an array of arrays returned (`emit::rows`).
            Signature::Const(c) if c.ident == rows => {
                members.extend(quote! {
                    #[doc(hidden)]
                    #vis const ROWS: usize = #rows;
                });
            }
            _ => {}
        }
    }
    Ok(quote! {
        // Callers that use only the companions use the function too: this reference keeps
        // `dead_code` quiet about it without allowing dead code in the function itself.
        const _: () = {
            let _ = #instance;
        };

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #user {}

        #[allow(dead_code)]
        impl #user {
            #members
        }
    })
}

/// Makes `sig` (a path companion's signature, `short` its kind) take each `f64` data parameter
/// (one outside `wrt(..)`: `f64`, `&[f64]`, `&Vec<f64>`) as callers send every real
/// argument, at the scalar type `S` and followed, in `jvp` and `rev`, by its tangent or adjoint:
/// a caller cannot see its callee's `wrt(..)`. The tangent is not read; the adjoint must be the
/// zero of an argument inactive in the caller (`__tl::OutsideWrt`), so that an active argument
/// there does not compile instead of losing its derivative. Returns, per parameter of the
/// changed signature, what the companion is called with: each parameter as it is, a data
/// parameter converted back to `f64` (`data_of`); `None` for the unread tangent or adjoint.
/// Also for a method's companions (`structs`), whose callers send data the same way.
pub(crate) fn data_as_callers_send(
    sig: &mut syn::Signature,
    short: &str,
) -> Vec<Option<TokenStream>> {
    let krate = scalar_bound(sig);
    let mut inputs = syn::punctuated::Punctuated::<syn::FnArg, syn::Token![,]>::new();
    let mut passed = Vec::new();
    for mut input in std::mem::take(&mut sig.inputs) {
        let syn::FnArg::Typed(t) = &mut input else {
            passed.push(Some(quote!(self)));
            inputs.push(input);
            continue;
        };
        let syn::Pat::Ident(p) = &mut *t.pat else {
            passed.push(Some(t.pat.to_token_stream()));
            inputs.push(input);
            continue;
        };
        p.mutability = None;
        let name = p.ident.clone();
        let data = krate
            .as_ref()
            .and_then(|(k, s)| data_param(&t.ty, k, s, &name));
        let Some(data) = data else {
            passed.push(Some(quote!(#name)));
            inputs.push(input);
            continue;
        };
        *t.ty = data.sent;
        inputs.push(input);
        passed.push(Some(data.value));
        let unread: Option<(&str, syn::Type)> = match (short, &krate) {
            ("jvp", _) => Some(("dot", data.tangent)),
            ("rev", Some((k, _))) => Some((
                "bar",
                syn::parse_quote!(&mut (impl #k::__private::OutsideWrt + ?Sized)),
            )),
            _ => None,
        };
        if let Some((suffix, ty)) = unread {
            // Named (layers that forward path companions pass each parameter by name), unread,
            // and hygienic: no user's parameter can be called the same.
            let shown = syn::ext::IdentExt::unraw(&name);
            let unread = Ident::new(&format!("_{shown}_{suffix}"), Span::mixed_site());
            inputs.push(syn::parse_quote!(#unread: #ty));
            passed.push(None);
        }
    }
    sig.inputs = inputs;
    passed
}

/// A data parameter as callers send it: its type at the scalar, its tangent's type, and its
/// `f64` value for the companion.
struct DataParam {
    sent: syn::Type,
    tangent: syn::Type,
    value: TokenStream,
}

/// `ty`, the type of the parameter `name`, as a data parameter of `f64` reals (`None` for any
/// other type: those callers pass as the companion takes them); `k` the runtime crate, `s` the
/// scalar type parameter.
fn data_param(ty: &syn::Type, k: &syn::Path, s: &Ident, name: &Ident) -> Option<DataParam> {
    let is_f64 = |t: &syn::Type| matches!(t, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("f64"));
    let rt = quote!(#k::__private);
    match ty {
        t if is_f64(t) => Some(DataParam {
            sent: syn::parse_quote!(#s),
            tangent: syn::parse_quote!(#s),
            value: quote!(#rt::data_real(#name)),
        }),
        // A fixed-size array, on the stack at both ends: callers send every `[f64; N]` (a row
        // of their data, `obs[k]`, too) at the scalar with a tangent.
        syn::Type::Array(a) if is_f64(&a.elem) => {
            let len = &a.len;
            Some(DataParam {
                sent: syn::parse_quote!([#s; #len]),
                tangent: syn::parse_quote!([#s; #len]),
                value: {
                    // The index named apart from the parameters (`__k` may be one of them).
                    let (len, k) = (const_arg(len), Ident::new("__k", Span::mixed_site()));
                    quote!(::core::array::from_fn::<f64, #len, _>(|#k| #rt::data_real(#name[#k])))
                },
            })
        }
        syn::Type::Reference(r)
            if r.mutability.is_none()
                && matches!(&*r.elem, syn::Type::Array(a) if is_f64(&a.elem)) =>
        {
            let syn::Type::Array(a) = &*r.elem else {
                return None;
            };
            // Whatever a caller sends, as for a slice: its own `&[f64; N]` data borrowed
            // (`__tl::DataSlice`), a row of its data, or values at the scalar (the length is
            // the parameter's: rustc checked the call in the user's function).
            let len = const_arg(&a.len);
            Some(DataParam {
                sent: syn::parse_quote!(&(impl #rt::DataArg + ?Sized)),
                tangent: syn::parse_quote!(&[#s]),
                value: {
                    let k = Ident::new("__k", Span::mixed_site());
                    quote!(&::core::array::from_fn::<f64, #len, _>(|#k| #rt::DataArg::f64_at(#name, #k)))
                },
            })
        }
        // A slice: whatever a caller sends (its own data borrowed, `__tl::DataSlice`, or values
        // at the scalar), read as `f64` (borrowed when it is the caller's data); the tangent,
        // never read, may be zeros never made (`__tl::LazyZeros`).
        syn::Type::Reference(r) if r.mutability.is_none() => {
            let (slice, vec) = match &*r.elem {
                syn::Type::Slice(sl) => (is_f64(&sl.elem), false),
                syn::Type::Path(p) => (false, p.qself.is_none() && vec_of_f64(&p.path)),
                _ => (false, false),
            };
            let f64s = quote!(#rt::DataArg::f64s(#name));
            (slice || vec).then(|| DataParam {
                sent: syn::parse_quote!(&(impl #rt::DataArg + ?Sized)),
                tangent: syn::parse_quote!(&(impl #rt::Unread + ?Sized)),
                value: if vec {
                    // The companion takes `&Vec<f64>`: a copy.
                    quote!(&#f64s.into_owned())
                } else {
                    quote!(&#f64s)
                },
            })
        }
        _ => None,
    }
}

/// Whether `path` is `Vec<f64>`.
fn vec_of_f64(path: &syn::Path) -> bool {
    let [seg] = path.segments.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else {
        return false;
    };
    seg.ident == "Vec"
        && a.args.len() == 1
        && matches!(&a.args[0], syn::GenericArgument::Type(syn::Type::Path(p)) if p.path.is_ident("f64"))
}

/// The runtime crate's path and the scalar type parameter of a companion's signature, read off
/// its bound `S: ::tapeless::Real`; `None` for a signature with no scalar parameter.
fn scalar_bound(sig: &syn::Signature) -> Option<(syn::Path, Ident)> {
    sig.generics.params.iter().find_map(|g| {
        let syn::GenericParam::Type(t) = g else {
            return None;
        };
        t.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(tb) = b else {
                return None;
            };
            let last = tb.path.segments.last()?;
            if last.ident != "Real" || tb.path.segments.len() < 2 {
                return None;
            }
            let mut krate = tb.path.clone();
            krate.segments.pop();
            krate.segments.pop_punct();
            Some((krate, t.ident.clone()))
        })
    })
}

/// At most this many statements (nested ones included) in a [`small_leaf`].
const SMALL_LEAF_STATEMENTS: usize = 16;

/// Whether `f` is a small leaf: it calls no other differentiable function and its body holds at
/// most [`SMALL_LEAF_STATEMENTS`] statements. Its companions get `#[inline(always)]` as an
/// integrator's right-hand side does ([`inline_for_integrators`]), for the same reason: a
/// caller that runs it per stage (`k2 = rhs(s)` four times in an RK4 step) otherwise pays a call
/// per stage, a copy of each fixed-size array argument passed by value, and, in its reverse
/// sweep, sees neither the callee's constant lengths nor that the callee's local adjoint is a
/// copy of the caller's. A leaf cannot grow its caller by more than its own (small) size; a
/// function that calls others keeps rustc's choice, so nesting does not multiply code size.
pub fn small_leaf(f: &crate::ir::Function) -> bool {
    let mut calls = false;
    f.body
        .walk(&mut |s| calls |= matches!(s, crate::ir::Stmt::Call(_)));
    !calls && f.body.size() <= SMALL_LEAF_STATEMENTS
}

/// `#[inline(always)]` on the companions an integrator calls once per stage through the
/// `ode::Rhs`, `RhsJvp` and `RhsVjp` implementations of `rhs = Name` (`f_generic`, `f_jvp`,
/// `__f_rev`): `items` with the attribute put before those functions' own attributes, the rest
/// unchanged.
///
/// Why: a right-hand side is the body of the integrator's innermost loop. Inlined there (the
/// trait methods forward to it and are inlined too), it sees the stage buffers' constant length
/// of `ode::gradient_fixed` and `ode::tangent_fixed`, so `% n` becomes a multiplication and its
/// loops lose their bounds checks and are unrolled, and a stage costs no call. Why `always`: a
/// generated adjoint of Lorenz-96's size is past rustc's threshold even with the `#[inline]`
/// hint, which measured no gain (callgrind, `benches/count_l96.rs`, problem L, instructions per
/// `gradient_fixed` call: none 2.93 M, `#[inline]` 2.88 M, `#[inline(always)]` 2.00 M; its
/// Hessian-vector product 6.51 M to 5.33 M, `tangent_fixed` 2.16 M to 1.36 M).
/// Why only these: a right-hand side is called at two or three sites of a stepper, while a cost
/// function's sweep is large and called once; other companions keep rustc's choice, except
/// those of a [`small_leaf`].
pub fn inline_for_integrators(user: &Ident, items: TokenStream) -> TokenStream {
    use proc_macro2::{Delimiter, TokenTree};
    let inlined = [
        format_ident!("{}_generic", user),
        format_ident!("{}_jvp", user),
        format_ident!("__{}_rev", user),
    ];
    let mut out = TokenStream::new();
    let mut item: Vec<TokenTree> = Vec::new();
    let flush = |item: &mut Vec<TokenTree>, out: &mut TokenStream| {
        // `fn name` at the item's top level: the companion's own signature.
        let is_inlined = item.windows(2).any(|w| match w {
            [TokenTree::Ident(f), TokenTree::Ident(name)] => {
                f == "fn" && inlined.iter().any(|h| h == name)
            }
            _ => false,
        });
        if is_inlined {
            out.extend(quote!(#[inline(always)]));
        }
        out.extend(item.drain(..));
    };
    for tt in items {
        // An item ends at its body (a brace group) or at a semicolon, as in `Signatures`.
        let end = match &tt {
            TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
            TokenTree::Punct(p) => p.as_char() == ';',
            _ => false,
        };
        item.push(tt);
        if end {
            flush(&mut item, &mut out);
        }
    }
    flush(&mut item, &mut out);
    out
}

/// Generated items read as far as their signatures: functions' bodies stay unparsed tokens, so
/// reading them costs no recursion however deep the generated expressions are.
struct Signatures(Vec<Signature>);

enum Signature {
    Fn(syn::Signature),
    Const(syn::ItemConst),
    Other,
}

impl syn::parse::Parse for Signatures {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let mut items = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let vis: syn::Visibility = input.parse()?;
            if input.peek(syn::Token![const]) {
                let mut c: syn::ItemConst = input.parse()?;
                c.attrs = attrs;
                c.vis = vis;
                items.push(Signature::Const(c));
            } else if input.peek(syn::Token![fn]) {
                let sig: syn::Signature = input.parse()?;
                let _body: proc_macro2::Group = input.parse()?;
                items.push(Signature::Fn(sig));
            } else {
                // An item of another kind: skipped whole, up to its closing brace or semicolon.
                input.step(|cursor| {
                    let mut rest = *cursor;
                    while let Some((tt, next)) = rest.token_tree() {
                        rest = next;
                        match tt {
                            proc_macro2::TokenTree::Group(g)
                                if g.delimiter() == proc_macro2::Delimiter::Brace =>
                            {
                                break
                            }
                            proc_macro2::TokenTree::Punct(p) if p.as_char() == ';' => break,
                            _ => {}
                        }
                    }
                    Ok(((), rest))
                })?;
                items.push(Signature::Other);
            }
        }
        Ok(Signatures(items))
    }
}

/// An array length as a const generic argument: a literal or a name as it is, any other
/// expression (`2 * K`, `(3)`) in braces, which Rust requires there.
fn const_arg(len: &syn::Expr) -> TokenStream {
    match len {
        syn::Expr::Lit(_) => quote!(#len),
        syn::Expr::Path(p) if p.path.get_ident().is_some() => quote!(#len),
        _ => quote!({ #len }),
    }
}

/// `jvp_paired` / `rev_paired` beside the path companion `sig` (`short` its kind, `jvp` or
/// `rev`; `n` the user's parameters): the same, with an unread tangent or adjoint after each
/// parameter that has none (an integer, a bool, other data), for a caller that passes a
/// struct's field of a kind it cannot see (`__tl::Sent`: `h(p.c, p.n)`), with a tangent and
/// adjoint whatever it is, and `()` after each other integer or bool argument.
fn paired(vis: &syn::Visibility, sig: &syn::Signature, short: &str, n: usize) -> TokenStream {
    let suffix = match short {
        "jvp" => "dot",
        "rev" => "bar",
        _ => return TokenStream::new(),
    };
    let name = |a: &syn::FnArg| match a {
        syn::FnArg::Typed(t) => match &*t.pat {
            syn::Pat::Ident(p) => Some(syn::ext::IdentExt::unraw(&p.ident).to_string()),
            _ => None,
        },
        syn::FnArg::Receiver(_) => Some("self".to_string()),
    };
    let inputs: Vec<&syn::FnArg> = sig.inputs.iter().collect();
    let mut out = sig.clone();
    out.ident = Ident::new(&format!("{short}_paired"), sig.ident.span());
    out.inputs = Default::default();
    let mut forwarded = Vec::new();
    let (mut i, mut seen) = (0, 0);
    while i < inputs.len() {
        let a = inputs[i];
        forwarded.push(arg_name(a));
        out.inputs.push(a.clone());
        i += 1;
        if seen >= n {
            continue;
        }
        seen += 1;
        let shown = name(a).unwrap_or_default();
        let partner = inputs
            .get(i)
            .and_then(|b| name(b))
            .is_some_and(|b| b == format!("{shown}_{suffix}") || b == format!("_{shown}_{suffix}"));
        if partner {
            forwarded.push(arg_name(inputs[i]));
            out.inputs.push(inputs[i].clone());
            i += 1;
        } else {
            let unread = Ident::new(&format!("_{shown}_{suffix}"), Span::mixed_site());
            out.inputs.push(if short == "jvp" {
                syn::parse_quote!(#unread: impl ::core::marker::Sized)
            } else {
                syn::parse_quote!(#unread: &mut (impl ::core::marker::Sized + ?Sized))
            });
        }
    }
    let target = Ident::new(short, sig.ident.span());
    let consts: Vec<&Ident> = sig.generics.const_params().map(|c| &c.ident).collect();
    let call = if consts.is_empty() {
        quote!(Self::#target)
    } else {
        let types = sig.generics.type_params().map(|t| &t.ident);
        quote!(Self::#target::<#(#types,)* #(#consts),*>)
    };
    quote! {
        #[doc(hidden)]
        #[inline]
        #[allow(clippy::all)]
        #vis #out { #call(#(#forwarded),*) }
    }
}

/// How a forwarder passes its parameter `a` on: by its name.
fn arg_name(a: &syn::FnArg) -> TokenStream {
    match a {
        syn::FnArg::Typed(t) => match &*t.pat {
            syn::Pat::Ident(p) => p.ident.to_token_stream(),
            other => other.to_token_stream(),
        },
        syn::FnArg::Receiver(_) => quote!(self),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly the three companions an integrator calls get the attribute, before their own
    /// attributes; items ending in `;` and other functions pass unchanged.
    #[test]
    fn only_the_integrators_companions_are_inlined() {
        let user = format_ident!("rhs");
        let items = quote! {
            const __rhs_args: [u8; 2] = [0, 1];
            #[doc = " primal"] pub fn rhs_generic<S>(x: S) -> S { x }
            fn rhs_jvp<S>(x: S) -> (S, S) { (x, x) }
            pub fn rhs_vjp<S>(x: S) -> S { { x } }
            #[doc(hidden)] fn __rhs_rev<S>(x: S) { let _ = x; }
            fn rhs_generic_helper() {}
        };
        let out = inline_for_integrators(&user, items).to_string();
        let expected = quote! {
            const __rhs_args: [u8; 2] = [0, 1];
            #[inline(always)] #[doc = " primal"] pub fn rhs_generic<S>(x: S) -> S { x }
            #[inline(always)] fn rhs_jvp<S>(x: S) -> (S, S) { (x, x) }
            pub fn rhs_vjp<S>(x: S) -> S { { x } }
            #[inline(always)] #[doc(hidden)] fn __rhs_rev<S>(x: S) { let _ = x; }
            fn rhs_generic_helper() {}
        };
        assert_eq!(out, expected.to_string());
    }

    /// A data parameter of each shape (fixed-size ones too) is taken at the scalar with an
    /// unread tangent, or an adjoint bound by `OutsideWrt`, and handed on as `f64`; active,
    /// integer and rows parameters pass as they are.
    #[test]
    fn data_parameters_are_taken_as_callers_send_them() {
        let mut sig: syn::Signature = syn::parse_quote! {
            fn __m_rev<S: ::tapeless::Real>(u: &[S], u_bar: &mut [S], w: f64, obs: &[f64],
                v: &Vec<f64>, xb: [f64; 3], xr: &[f64; 2], rows: &[[f64; 2]], k: usize,
                result_bar: S)
        };
        let passed = data_as_callers_send(&mut sig, "rev");
        assert_eq!(passed.len(), sig.inputs.len());
        let passed = passed.into_iter().flatten();
        let passed = quote!(#(#passed),*).to_string();
        let expected = quote! {
            u, u_bar, ::tapeless::__private::data_real(w),
            &::tapeless::__private::DataArg::f64s(obs),
            &::tapeless::__private::DataArg::f64s(v).into_owned(),
            ::core::array::from_fn::<f64, 3, _>(|__k| ::tapeless::__private::data_real(xb[__k])),
            &::core::array::from_fn::<f64, 2, _>(|__k| ::tapeless::__private::DataArg::f64_at(xr, __k)),
            rows, k, result_bar
        };
        assert_eq!(passed, expected.to_string());
        let inputs = sig
            .inputs
            .iter()
            .map(|i| quote!(#i).to_string())
            .collect::<Vec<_>>();
        let bound = quote!(_w_bar: &mut (impl ::tapeless::__private::OutsideWrt + ?Sized));
        assert_eq!(inputs[2], quote!(w: S).to_string());
        assert_eq!(inputs[3], bound.to_string());
        let sent = quote!(obs: &(impl ::tapeless::__private::DataArg + ?Sized));
        assert_eq!(inputs[4], sent.to_string());
        assert_eq!(inputs[8], quote!(xb: [S; 3]).to_string());
        let xb_bar = quote!(_xb_bar: &mut (impl ::tapeless::__private::OutsideWrt + ?Sized));
        assert_eq!(inputs[9], xb_bar.to_string());
        let xr = quote!(xr: &(impl ::tapeless::__private::DataArg + ?Sized));
        assert_eq!(inputs[10], xr.to_string());
        assert_eq!(inputs[12], quote!(rows: &[[f64; 2]]).to_string());
        assert_eq!(inputs.len(), 15);

        let mut jvp: syn::Signature = syn::parse_quote! {
            fn m_jvp<S: ::tapeless::Real>(u: &[S], u_dot: &[S], obs: &[f64]) -> (S, S)
        };
        data_as_callers_send(&mut jvp, "jvp");
        let last = jvp.inputs.last().map(|i| quote!(#i).to_string());
        let unread = quote!(_obs_dot: &(impl ::tapeless::__private::Unread + ?Sized));
        assert_eq!(last, Some(unread.to_string()));

        // No scalar parameter: nothing is data.
        let mut plain: syn::Signature = syn::parse_quote!(fn m_generic(obs: &[f64]) -> f64);
        data_as_callers_send(&mut plain, "generic");
        assert_eq!(
            quote!(#plain).to_string(),
            quote!(fn m_generic(obs: &[f64]) -> f64).to_string()
        );
    }
}
