//! The layout of a struct's reals, published by its attribute for annotated callers that hold
//! a struct taken from a call as its reals (`taken`).
//!
//! `#[differentiable] struct State { x: [f64; 3], t: f64, n: usize }` gets hidden constants
//! `State::<f64>::__TL_AT_x` (where field `x` starts among the reals, in the order of
//! `Struct::to_reals`), `__TL_LEN_x` (how many reals it holds) and `__TL_REALS` (all of them);
//! a fixed-size nalgebra field (`SVector<f64, 3>`, `Matrix2<f64>`) holds its reals in storage
//! order, its length from its written type; a field without a fixed place (an integer, a
//! `Vec<f64>` or `DVector`, and every field after one)
//! gets constants whose evaluation is a compile error saying so, so that only a caller that
//! reads such a field fails. An integer or bool field has a slot after the reals instead
//! (`__TL_DATA_AT_steps`; `__TL_HELD` is the length of the held slice) and a reader
//! `__tl_slot_steps(f64) -> usize` (`DataSlot`). It also implements `AsStruct` for `[S]` and
//! `Vec<S>` when every field is real, an integer or a bool (the struct rebuilt from the held
//! slice), `AddAdjoint` for both always (an adjoint added real by real), and `__tl_hold` /
//! `__tl_unhold`, which write a struct into a held slice and set its reals from one. rustc
//! evaluates every offset: nothing here is a guess.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// What a field contributes to the reals.
pub(super) enum Slot {
    /// `f64`.
    Real,
    /// `[f64; N]`.
    Array(syn::Expr),
    /// A fixed-size nalgebra vector or matrix (`SVector<f64, 3>`, `Matrix2<f64>`): its number of
    /// reals, in storage order.
    Matrix(syn::Expr),
    /// `Vec<f64>` or a `DVector`/`DMatrix`: no length known to the attribute.
    Vec,
    /// A nested annotated struct.
    Nested(syn::Type),
    /// No reals: an integer or a bool (its type; a slot beside the reals of a held struct,
    /// `DataSlot`), or other data (`None`).
    Data(Option<syn::Type>),
}

/// The constants and impls; `fields` in declaration order.
pub(super) fn expand(
    krate: &syn::Path,
    name: &syn::Ident,
    s: &syn::Ident,
    vis: &syn::Visibility,
    fields: &[(syn::Ident, Slot)],
) -> TokenStream {
    let aliases = aliases(name, vis, fields);
    let mut consts = TokenStream::new();
    let mut at = quote!(0usize);
    let mut fixed = true;
    let mut all_real = true;
    let mut build = Vec::new();
    let mut bounds = Vec::new();
    // The integer and bool fields, held in slots after the reals.
    let mut data = Vec::new();
    for (f, slot) in fields {
        let unraw = syn::ext::IdentExt::unraw(f);
        let at_name = format_ident!("__TL_AT_{}", unraw);
        let len_name = format_ident!("__TL_LEN_{}", unraw);
        let len = match slot {
            Slot::Real => Some(quote!(1usize)),
            Slot::Array(n) | Slot::Matrix(n) => Some(quote!((#n) as usize)),
            // At `S`: a constant not depending on `S` is evaluated where it is written, and a
            // nested struct without a fixed number of reals is an error only where a caller
            // reads a place that needs it.
            Slot::Nested(ty) => Some(quote!(<#ty<#s>>::__TL_REALS)),
            Slot::Vec | Slot::Data(_) => None,
        };
        let message = no_place(slot, &unraw.to_string());
        match (&len, fixed) {
            (Some(len), true) => consts.extend(quote! {
                pub const #at_name: usize = #at;
                pub const #len_name: usize = #len;
            }),
            _ => consts.extend(quote! {
                pub const #at_name: usize = panic!(#message);
                pub const #len_name: usize = panic!(#message);
            }),
        }
        let here = quote!(Self::#at_name);
        match slot {
            Slot::Real => build.push(quote!(#f: reals[#name::<#s>::#at_name])),
            Slot::Array(_) => {
                build.push(quote!(#f: ::core::array::from_fn(|i| reals[#name::<#s>::#at_name + i])))
            }
            Slot::Matrix(_) => build.push(quote! {
                #f: {
                    let mut m = #krate::__private::ZeroShape::zero_shape();
                    #krate::FieldReals::reals_mut(&mut m).copy_from_slice(
                        &reals[#name::<#s>::#at_name..#name::<#s>::#at_name + #name::<#s>::#len_name]
                    );
                    m
                }
            }),
            Slot::Nested(ty) => {
                // A bound, not a requirement: without it, a nested struct with integers would
                // make the impl an error rather than absent.
                bounds.push(quote!([#s]: #krate::__private::AsStruct<#ty<#s>>));
                build.push(quote! {
                    #f: {
                        const {
                            assert!(
                                <#ty<#s>>::__TL_DATA == 0,
                                "tapeless: an annotated caller holds a struct as its reals, which needs its nested structs' fields real (`f64`, `[f64; N]`): an integer or bool field is held at the outer struct only"
                            )
                        };
                        #krate::__private::AsStruct::<#ty<#s>>::as_struct(
                            &reals[#name::<#s>::#at_name..#name::<#s>::#at_name + #name::<#s>::#len_name]
                        )
                    }
                })
            }
            Slot::Vec => {
                fixed = false;
                all_real = false;
            }
            Slot::Data(Some(ty)) => {
                let (items, field, at) = data_slot(krate, name, s, (f, ty), data.len(), fields);
                consts.extend(items);
                build.push(field);
                data.push((f.clone(), at));
            }
            Slot::Data(None) => all_real = false,
        }
        if let Some(len) = len.filter(|_| fixed) {
            at = quote!(#here + #len);
        }
    }
    let n_data = data.len();
    let total = totals(&at, fixed, n_data);
    // Integer and bool fields are held at the outermost struct only: with a nested struct too,
    // no `AsStruct` (whose nested places rustc would evaluate for a nested struct that has none).
    if !data.is_empty() && fields.iter().any(|(_, s)| matches!(s, Slot::Nested(_))) {
        all_real = false;
    }
    let from_reals = all_real.then(|| from_reals(krate, name, s, &build, &bounds));
    let add = add_adjoint(krate, name, s, n_data);
    let hold = hold(krate, name, s, &data);
    quote! {
        #aliases
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, clippy::all)]
        impl<#s> #name<#s> {
            #consts
            #total
            /// How many integer and bool fields a held struct keeps after its reals.
            pub const __TL_DATA: usize = #n_data;
        }
        #hold
        #from_reals
        #add
    }
}

/// `AsStruct` for `[S]` and `Vec<S>`: the struct rebuilt from its reals (`build`, a field each).
fn from_reals(
    krate: &syn::Path,
    name: &syn::Ident,
    s: &syn::Ident,
    build: &[TokenStream],
    bounds: &[TokenStream],
) -> TokenStream {
    let p = quote!(#krate::__private);
    let rt = quote!(#p::Real);
    quote! {
        #[automatically_derived]
        #[allow(clippy::all)]
        impl<#s: #rt> #p::AsStruct<#name<#s>> for [#s] where #(#bounds),* {
            fn as_struct(&self) -> #name<#s> {
                let reals = self;
                #name { #(#build,)* }
            }
        }
        #[automatically_derived]
        #[allow(clippy::all)]
        impl<#s: #rt> #p::AsStruct<#name<#s>> for ::std::vec::Vec<#s> where #(#bounds),* {
            fn as_struct(&self) -> #name<#s> {
                #p::AsStruct::<#name<#s>>::as_struct(&self[..])
            }
        }
    }
}

/// `AddAdjoint` for `[S]` and `Vec<S>`: an adjoint of the struct added real by real, or
/// taken as a struct and stored back (`adjoint_in`, `store_adjoint`).
fn add_adjoint(krate: &syn::Path, name: &syn::Ident, s: &syn::Ident, n_data: usize) -> TokenStream {
    let p = quote!(#krate::__private);
    let rt = quote!(#p::Real);
    quote! {
        #[automatically_derived]
        #[allow(clippy::all)]
        impl<#s: #rt> #p::AddAdjoint<#name<#s>> for [#s] {
            fn add_adjoint(&mut self, adjoint: &#name<#s>) {
                for (v, a) in self.iter_mut().zip(#krate::Struct::to_reals(adjoint)) {
                    *v += a;
                }
            }
            fn adjoint_in(&self, shape: &#name<#s>) -> #name<#s> {
                let mut out = #krate::Struct::zero_like(shape);
                #krate::Struct::set_reals(&mut out, &self[..self.len() - #n_data])
                    .expect("tapeless: a struct held as its reals has its adjoint's reals");
                out
            }
            fn store_adjoint(&mut self, adjoint: &#name<#s>) {
                adjoint.__tl_hold(self);
            }
        }
        #[automatically_derived]
        #[allow(clippy::all)]
        impl<#s: #rt> #p::AddAdjoint<#name<#s>> for ::std::vec::Vec<#s> {
            fn add_adjoint(&mut self, adjoint: &#name<#s>) {
                #p::AddAdjoint::<#name<#s>>::add_adjoint(&mut self[..], adjoint)
            }
            fn adjoint_in(&self, shape: &#name<#s>) -> #name<#s> {
                #p::AddAdjoint::<#name<#s>>::adjoint_in(&self[..], shape)
            }
            fn store_adjoint(&mut self, adjoint: &#name<#s>) {
                #p::AddAdjoint::<#name<#s>>::store_adjoint(&mut self[..], adjoint)
            }
        }
    }
}

/// `__TL_REALS` and `__TL_HELD` (the reals, then the integer and bool fields), or constants
/// whose evaluation says why a struct with a `Vec` field has none.
fn totals(at: &TokenStream, fixed: bool, n_data: usize) -> TokenStream {
    if fixed {
        return quote! {
            pub const __TL_REALS: usize = #at;
            /// The length of the struct held as its reals: its reals, then its integer and
            /// bool fields.
            pub const __TL_HELD: usize = #at + #n_data;
        };
    }
    let message = "tapeless: a struct with a `Vec<f64>`, `DVector` or `DMatrix` field has no fixed number of reals: an annotated caller cannot hold it as its reals; step it in place (`fn step(s: &mut State, ..)`)";
    quote! {
        pub const __TL_REALS: usize = panic!(#message);
        pub const __TL_HELD: usize = panic!(#message);
    }
}

/// Why field `f` has no place among the reals, as the evaluation of its place says.
fn no_place(slot: &Slot, f: &str) -> String {
    match slot {
        Slot::Data(Some(_)) => format!("tapeless: `{f}` is an integer or bool field, read here as a real: an annotated caller holding a struct taken from a call reads it where an integer or bool is written (`0..s2.{f}`, `s2.{f} as f64`, `let n: usize = s2.{f};`, or `if s2.{f}` for a bool)"),
        Slot::Data(None) => format!("tapeless: `{f}` is not a real field: an annotated caller holding a struct taken from a call reads its real, integer and bool fields only; pass the value as a parameter"),
        _ => format!("tapeless: `{f}` has no fixed place among the struct's reals (it is, or follows, a `Vec<f64>`, `DVector` or `DMatrix` field): an annotated caller cannot hold this struct as its reals; step it in place (`fn step(s: &mut State, ..)`)"),
    }
}

/// An integer or bool field `f` of type `ty`, the `j`-th: its slot's place
/// `__TL_DATA_AT_f` after the reals and its reader `__tl_slot_f` (items of the struct's
/// `impl`), the field built from a held slice, and the place's name.
fn data_slot(
    krate: &syn::Path,
    name: &syn::Ident,
    s: &syn::Ident,
    (f, ty): (&syn::Ident, &syn::Type),
    j: usize,
    fields: &[(syn::Ident, Slot)],
) -> (TokenStream, TokenStream, syn::Ident) {
    let unraw = syn::ext::IdentExt::unraw(f);
    let at = format_ident!("__TL_DATA_AT_{}", unraw);
    let slot = format_ident!("__tl_slot_{}", unraw);
    let message = format!("tapeless: `{unraw}` has no fixed place beside the struct's reals (the struct has a `Vec<f64>`, `DVector` or `DMatrix` field): an annotated caller cannot hold this struct as its reals; step it in place (`fn step(s: &mut State, ..)`)");
    let place = if fixed_struct(fields) {
        quote!(Self::__TL_REALS + #j)
    } else {
        quote!(panic!(#message))
    };
    let items = quote! {
        pub const #at: usize = #place;
        /// The value of the field from its slot (a constant of the derivatives).
        pub fn #slot(slot: f64) -> #ty {
            <#ty as #krate::__private::DataSlot>::from_slot(slot)
        }
    };
    let field =
        quote!(#f: <#ty as #krate::__private::DataSlot>::from_slot(reals[#name::<#s>::#at]));
    (items, field, at)
}

/// Whether every field has a fixed place among the reals (no `Vec<f64>`, `DVector` or
/// `DMatrix`, which a holder cannot hold).
fn fixed_struct(fields: &[(syn::Ident, Slot)]) -> bool {
    !fields.iter().any(|(_, s)| matches!(s, Slot::Vec))
}

/// `__tl_hold` (the struct written into the slice a caller holds it in: its reals, then its
/// integer and bool fields) and `__tl_unhold` (the reals set from such a slice), with which
/// the hidden `into` companions and `AddAdjoint` write and read a held struct.
fn hold(
    krate: &syn::Path,
    name: &syn::Ident,
    s: &syn::Ident,
    data: &[(syn::Ident, syn::Ident)],
) -> TokenStream {
    let n = data.len();
    // The slots by their order after the reals, not by `__TL_DATA_AT_f`: a struct with a `Vec`
    // field has no such place, and this is compiled for it too.
    let writes = data.iter().enumerate().map(
        |(j, (f, _))| quote!(held[reals + #j] = #krate::__private::DataSlot::to_slot(self.#f);),
    );
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code, clippy::all)]
        impl<#s: #krate::__private::Real> #name<#s> {
            #[inline]
            pub fn __tl_hold(&self, held: &mut [#s]) {
                let reals = held.len() - #n;
                let mut k = 0usize;
                #krate::Struct::for_each_real(self, &mut |v| {
                    held[k] = v;
                    k += 1;
                });
                #(#writes)*
            }
            /// The slice a caller holds the struct in, made: `__TL_HELD` long (a compile error
            /// for a struct without a fixed number of reals).
            #[inline]
            pub fn __tl_held(&self) -> ::std::vec::Vec<#s> {
                let mut held = ::std::vec![#krate::__private::cst::<#s>(0.0); Self::__TL_HELD];
                self.__tl_hold(&mut held);
                held
            }
            #[inline]
            pub fn __tl_unhold(&mut self, held: &[#s]) {
                #krate::Struct::set_reals(self, &held[..held.len() - #n])
                    .expect("tapeless: a struct held as its reals has its reals");
            }
        }
    }
}

/// The key naming field `name` in `FieldType<KEY>` (the FNV-1a hash of its unraw name): the
/// struct's attribute implements the trait with it and a function reading the field as a
/// parameter of its own names the field's type with it ([`field_type`]).
pub(super) fn field_key(name: &syn::Ident) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in syn::ext::IdentExt::unraw(name).to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The declared type of the field `root.path` of a struct of type `ty` (`Self` for a receiver):
/// `<<P as FieldType<{grid}>>::T as FieldType<{n}>>::T` for `p.grid.n`, which rustc resolves
/// through the impls [`field_types`] writes.
pub(super) fn field_type(krate: &syn::Path, ty: &syn::Type, path: &[syn::Ident]) -> syn::Type {
    let mut t = ty.clone();
    for f in path {
        let key = field_key(f);
        let span = f.span();
        t = syn::parse_quote_spanned!(span=> <#t as #krate::__private::FieldType<#key>>::T);
    }
    t
}

/// `impl<S: Real> FieldType<{n}> for P<S> { type T = usize; }` for each field, its declared
/// type at the scalar (`S` for an `f64`, `Inner<S>` for a nested struct), so that annotated
/// functions type the fields they read as parameters of their own as declared.
pub(super) fn field_types(
    krate: &syn::Path,
    name: &syn::Ident,
    s: &syn::Ident,
    fields: &[(syn::Ident, syn::Type)],
) -> TokenStream {
    let impls = fields.iter().map(|(f, ty)| {
        let key = field_key(f);
        quote! {
            #[automatically_derived]
            #[allow(private_interfaces, private_bounds)]
            impl<#s: #krate::__private::Real> #krate::__private::FieldType<#key> for #name<#s> {
                type T = #ty;
            }
        }
    });
    quote!(#(#impls)*)
}

/// The name of the struct's type alias for callers holding it as its reals (`__tl_State`, see
/// [`aliases`]).
pub(super) fn alias_name(name: &syn::Ident) -> syn::Ident {
    format_ident!(
        "__tl_{}",
        syn::ext::IdentExt::unraw(name),
        span = name.span()
    )
}

/// `type __tl_State = State;` (the struct at `f64`, whose places a caller holding a literal of
/// it as its reals names, `__tl_State::__TL_AT_x`: in an expression `State::__TL_AT_x` would
/// leave the scalar to infer) and `type __tl_State__inner = Inner;` per nested struct field.
fn aliases(name: &syn::Ident, vis: &syn::Visibility, fields: &[(syn::Ident, Slot)]) -> TokenStream {
    let alias = alias_name(name);
    let mut out = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, private_interfaces)]
        #vis type #alias = #name;
    };
    for (f, slot) in fields {
        if let Slot::Nested(ty) = slot {
            let nested = format_ident!("{}__{}", alias, syn::ext::IdentExt::unraw(f));
            out.extend(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types, dead_code, private_interfaces)]
                #vis type #nested = #ty;
            });
        }
    }
    out
}
