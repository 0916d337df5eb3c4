//! Arrays of arrays of reals seen flat (see `lower::rows`): the companions take them, their
//! tangents and their adjoints in the nested shape at the scalar, `x: &[[S; K]]`, and their
//! bodies begin by viewing each flat, as the IR reads them; passed to a call, returned, or bound
//! from a call's result, they cross in the nested shape (`__tl::as_rows`, `rows_from_flat`,
//! `flat_rows`).

use super::Emitter;
use crate::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::quote_spanned;

impl Emitter<'_> {
    /// The length `K` of the rows of parameter `v`, if it is an array of arrays seen flat.
    pub fn rows(&self, v: VarId) -> Option<&ArrayLen> {
        self.f
            .params
            .iter()
            .find(|p| p.var == v)
            .and_then(|p| p.rows.as_ref())
    }

    /// The type of the tangent (`mutable == false` for a shared one) or adjoint of parameter
    /// `v` seen flat: the nested shape at the scalar, `&[[S; K]]` or `&mut [[S; K]]`.
    pub fn rows_ty(&self, v: VarId, mutable: bool) -> Option<TokenStream> {
        let len = self.rows(v)?;
        let scalar = &self.scalar;
        let span = self.var(v).span;
        Some(if mutable {
            quote_spanned!(span=> &mut [[#scalar; #len]])
        } else {
            quote_spanned!(span=> &[[#scalar; #len]])
        })
    }

    /// `let x = x.as_flattened();` for each parameter seen flat and, with `companion`, for its
    /// tangent or adjoint (if it has one), at the start of a companion's body; `adjoint` when the
    /// companion's arrays are adjoints (always written).
    pub fn flatten_rows(
        &self,
        companion: Option<&dyn Fn(VarId) -> Ident>,
        adjoint: bool,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        for p in &self.f.params {
            if p.rows.is_none() {
                continue;
            }
            let written = self.var(p.var).kind == Kind::RealArray(ArrayRepr::SliceMut);
            let mut names = vec![(self.name(p.var), written)];
            if let Some(c) = companion.filter(|_| self.is_active(p.var)) {
                names.push((c(p.var), written || adjoint));
            }
            for (n, mutable) in names {
                let span = n.span();
                out.extend(if mutable {
                    quote_spanned!(span=> let #n = #n.as_flattened_mut();)
                } else {
                    quote_spanned!(span=> let #n = #n.as_flattened();)
                });
            }
        }
        out
    }
}

impl Emitter<'_> {
    /// An array argument read by the callee (see `flat_array_arg`), viewed nested again if it
    /// is an array of arrays seen flat.
    pub fn array_arg(&self, var: VarId, by_ref: bool, name: &Ident) -> TokenStream {
        let arg = self.flat_array_arg(var, by_ref, name);
        self.nested_arg(var, arg, false)
    }

    /// A row of real data passed to a call (`Function::data_rows`: `obs[k]` bound to a
    /// temporary, or `o` of `let o = obs[k];`), by value or by reference (`&o`): the variable and
    /// whether it is passed by reference.
    /// Also a view of a data sub-slice (`Function::data_slices`), passed as it is bound.
    pub fn data_row_arg(&self, e: &Expr) -> Option<(VarId, bool)> {
        let data = |v: &VarId| self.f.data_rows.contains(v) || self.f.data_slices.contains(v);
        match &e.op {
            Op::Var(v) if data(v) => Some((*v, false)),
            Op::Ref(v) if data(v) => Some((*v, true)),
            _ => None,
        }
    }

    /// A row of real data as a call's argument (see [`Self::data_row_arg`]): lifted to the
    /// scalar, `[S; K]` on the stack, as an inactive fixed-size array is; with `slot`, its zero
    /// tangent (`Some(false)`) or adjoint scratch (`Some(true)`, in `InactiveArray`, which a
    /// callee's parameter outside its `wrt(..)` requires) instead.
    pub fn data_row(&self, var: VarId, by_ref: bool, slot: Option<bool>) -> TokenStream {
        let (rt, scalar, n) = (&self.rt, &self.scalar, self.name(var));
        if self.f.data_slices.contains(&var) {
            // A view `&[f64]` of the caller's data: borrowed, its slots never made unless read.
            return match slot {
                None => quote::quote!(&#rt::DataSlice::<#scalar>::new(#n)),
                Some(false) => quote::quote!(&#rt::LazyZeros::<#scalar>::new(#n.len())),
                Some(true) => {
                    quote::quote!(&mut #rt::InactiveArray(#rt::LazyZeros::<#scalar>::new(#n.len())))
                }
            };
        }
        match (slot, by_ref) {
            (None, false) => quote::quote!(#rt::lift_in::<#scalar, _>(&#n)),
            (None, true) => quote::quote!(&#rt::lift_in::<#scalar, _>(&#n)),
            (Some(false), false) => quote::quote!(#rt::zeros_in::<#scalar, _>(&#n)),
            (Some(false), true) => quote::quote!(&#rt::zeros_in::<#scalar, _>(&#n)[..]),
            (Some(true), _) => {
                quote::quote!(&mut #rt::InactiveArray(#rt::zeros_in::<#scalar, _>(&#n)))
            }
        }
    }

    /// The tangent (or, with `mutable`, the adjoint scratch) of an array argument that carries
    /// none: zeros in the scalar type, shaped for the callee, flat; the scratch is wrapped in
    /// `InactiveArray`, which a callee's parameter outside its `wrt(..)` requires.
    fn flat_zero_array_arg(&self, var: VarId, by_ref: bool, mutable: bool) -> TokenStream {
        let scalar = &self.scalar;
        let rt = &self.rt;
        let n = self.name(var);
        let zero = self.zero();
        match (&self.var(var).kind, by_ref, mutable) {
            // A fixed-size array's scratch is an array on the stack, not a `Vec` per call.
            (Kind::RealArray(ArrayRepr::Array(_)), _, true) => {
                quote::quote!(&mut #rt::InactiveArray(#rt::zeros_in::<#scalar, _>(&#n)))
            }
            (Kind::RealArray(ArrayRepr::Array(_)), true, false) => {
                quote::quote!(&#rt::zeros_in::<#scalar, _>(&#n)[..])
            }
            // Made only if the callee reads it: not when it keeps the parameter outside its
            // `wrt(..)` (rows are viewed nested, which needs them made).
            (_, _, true) if !self.is_rows(var) => quote::quote!(
                &mut #rt::InactiveArray(#rt::LazyZeros::<#scalar>::new(#n.len()))
            ),
            (_, _, true) => quote::quote!(&mut #rt::InactiveArray(#rt::zeros::<#scalar>(#n.len()))),
            (Kind::RealArray(ArrayRepr::Array(_)), false, false) => {
                quote::quote!(::core::array::from_fn(|_| #zero))
            }
            (Kind::RealArray(ArrayRepr::Vec), false, false) => {
                quote::quote!(#rt::zeros::<#scalar>(#n.len()))
            }
            _ if !self.is_rows(var) => quote::quote!(&#rt::LazyZeros::<#scalar>::new(#n.len())),
            _ => quote::quote!(&#rt::zeros::<#scalar>(#n.len())[..]),
        }
    }

    /// The zeros standing for the tangent or adjoint of an array argument that carries none
    /// (see `flat_zero_array_arg`), viewed nested if it is an array of arrays seen flat.
    pub fn zero_array_arg(&self, var: VarId, by_ref: bool, mutable: bool) -> TokenStream {
        let zeros = self.flat_zero_array_arg(var, by_ref, mutable);
        self.nested_arg(var, zeros, mutable)
    }

    /// Whether `v` is an array of arrays seen flat (a parameter or a local).
    pub fn is_rows(&self, v: VarId) -> bool {
        self.f.rows_vars.contains(&v)
    }

    /// `arg`, a call's argument for `v` (its flat view, tangent, adjoint, a copy or zeros, as
    /// `&[S]` or `&mut [S]`), in the nested shape the callee's companions take, `&[[S; K]]`
    /// (`K` inferred from the callee's parameter) when `v` is an array of arrays seen flat.
    pub fn nested_arg(&self, v: VarId, arg: TokenStream, mutable: bool) -> TokenStream {
        if !self.is_rows(v) {
            return arg;
        }
        let rt = &self.rt;
        if mutable {
            quote::quote!(#rt::as_rows_mut(#arg))
        } else {
            quote::quote!(#rt::as_rows(#arg))
        }
    }
}

impl Emitter<'_> {
    /// The row length `K` of part `k` of the result, if it is an array of arrays held flat
    /// (`Vec<[f64; K]>` or `[[f64; K]; N]` as written).
    pub fn result_rows(&self, k: usize) -> Option<TokenStream> {
        let value = self.f.ret.values.get(k)?;
        if !matches!(value.op, Op::Var(v) if self.is_rows(v)) {
            return None;
        }
        let ty = self.f.ret.tys.get(k)?.as_ref()?;
        let elem = match ty {
            syn::Type::Array(a) => &*a.elem,
            syn::Type::Path(p) => match &p.path.segments.last()?.arguments {
                syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                    syn::GenericArgument::Type(t) => t,
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        };
        match elem {
            syn::Type::Array(row) => Some(quote::ToTokens::to_token_stream(&row.len)),
            _ => None,
        }
    }

    /// `flat` (an array, `Vec` or slice of the scalar, held flat) as the array of arrays a
    /// companion returns, its shape inferred from the companion's result type.
    pub fn rows_result(&self, flat: TokenStream) -> TokenStream {
        let rt = &self.rt;
        quote::quote!(#rt::rows_from_flat(&#flat[..]))
    }
}

impl Emitter<'_> {
    /// `call`, the call of a callee's companion, as the caller binds its results: flattened
    /// (`__tl::flat_rows`, with the tangent too) when a result is an array of arrays held flat.
    pub fn rows_call_value(&self, c: &Call, call: TokenStream) -> TokenStream {
        if !c.results.iter().any(|&r| self.is_rows(r)) {
            return call;
        }
        let rt = &self.rt;
        quote::quote!(#rt::flat_rows(#call))
    }

    /// `const __f_rows: usize = K;` when the function returns one array of arrays of reals,
    /// the length of its rows, which a caller that binds the result without its type, `let f
    /// = f(..);`, reads as `f::ROWS` (see `companions::path_companions`).
    pub fn rows_const(&self, vis: &syn::Visibility) -> TokenStream {
        let ret = &self.f.ret;
        let Some(len) = (!ret.tuple).then(|| self.result_rows(0)).flatten() else {
            return TokenStream::new();
        };
        // Rows as long as a const generic parameter have no length outside the function.
        let names = crate::names::idents_in(len.clone());
        if self
            .f
            .const_params
            .iter()
            .any(|c| names.contains(&c.ident.to_string()))
        {
            return TokenStream::new();
        }
        let name = quote::format_ident!("__{}_rows", self.f.name);
        quote::quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            #vis const #name: usize = #len;
        }
    }
}
