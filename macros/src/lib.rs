//! The `#[differentiable]` attribute of [tapeless](https://docs.rs/tapeless).
//!
//! A thin shell: the expansion is the plain library `tapeless-expand`, so that tests can call
//! it directly. See that crate for the pipeline (lower, activity, tangent, adjoint, emit).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Generates, next to the function, its derivative companions (`f_generic`, `f_jvp`, `f_vjp`,
/// and `f_grad` for scalar functions), and keeps the function as written.
/// See the `tapeless` crate for the whole story.
#[proc_macro_attribute]
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    tapeless_expand::differentiable(attr.into(), item.into()).into()
}
