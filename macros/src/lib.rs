//! The `#[differentiable]` attribute of [tapeless](https://docs.rs/tapeless).
//!
//! A thin shell: the expansion is the plain library `tapeless-expand`, so that tests can call
//! it directly. See that crate for the pipeline (lower, activity, tangent, adjoint, emit).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Generates, next to the function, its derivative companions, and keeps the function as
/// written: `f_generic` (the function at any scalar type), `f_jvp` (value and tangent), `f_vjp`
/// (value and adjoint), and `f_grad` (value and gradient, for scalar functions without `&mut`
/// parameters). Every real parameter is followed by its tangent (`x_dot`) or adjoint (`x_bar`);
/// the seed of the result, `result_bar`, comes last.
///
/// Options: `wrt(x, p)` (differentiate with respect to these parameters only),
/// `constants(noise)` (plain functions whose results are constants of the derivative),
/// `rhs = Name` (also a unit struct implementing `tapeless::ode::Rhs`), `crate = path` (where
/// the `tapeless` crate is).
///
/// The full signatures, a runnable example of each option and a call of each companion are in
/// the guide of the `tapeless` crate:
/// [`tapeless::guide::attribute`](https://docs.rs/tapeless/latest/tapeless/guide/attribute/index.html).
#[proc_macro_attribute]
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    tapeless_expand::differentiable(attr.into(), item.into()).into()
}
