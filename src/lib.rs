//! Compile-time automatic differentiation for Rust, by source transformation.
//!
//! Annotate a function with `#[differentiable]` and tapeless generates, next to it, its
//! derivatives as ordinary Rust: no tape, no runtime graph, loops as loops.
//!
//! ```
//! use tapeless::differentiable;
//!
//! #[differentiable]
//! fn energy(x: &[f64]) -> f64 {
//!     let mut e = 0.0;
//!     for i in 0..x.len() {
//!         e += x[i] * x[i].sin();
//!     }
//!     e
//! }
//!
//! let x = [0.5, 1.0, 2.0];
//! let (e, grad) = energy_grad(&x[..]);
//! assert_eq!(e, energy(&x));
//! for i in 0..3 {
//!     assert!((grad[i] - (x[i].sin() + x[i] * x[i].cos())).abs() < 1e-15);
//! }
//! ```
//!
//! For `fn f(x: f64, u: &[f64], out: &mut [f64], n: usize) -> f64` the companions are:
//!
//! | companion | what it computes |
//! |---|---|
//! | `f_generic::<S>(x, u, out, n) -> S` | `f` at any scalar type `S: Real` (`f32`, `f64`, [`Dual`]) |
//! | `f_jvp(x, x_dot, u, u_dot, out, out_dot, n) -> (S, S)` | the value and its tangent `J v`; `out_dot` receives the tangent of `out` |
//! | `f_vjp(x, &mut x_bar, u, u_bar, out, out_bar, n, result_bar) -> S` | the value; `J^T result_bar` is added into `x_bar` and `u_bar`; `out_bar` goes in as the adjoint of `out`'s final value and comes out as the adjoint of its initial value |
//! | `f_grad(x, u, n) -> (S, (S, Vec<S>))` | value and gradient, for scalar functions without `&mut` parameters |
//!
//! Integers, bools and other non-real parameters get no tangent or adjoint. Every companion is
//! generic over the scalar type, so evaluating the adjoint at dual numbers gives
//! Hessian-vector products with no new generated code.
//!
//! The [`guide`] walks through every option of the attribute, with the companions' full
//! signatures and a call of each, then the seed story, ODE adjoints, Hessian-vector products,
//! hypergradients and learned solvers, each with an example that runs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate self as tapeless;

/// Generates a function's derivative companions; every option, the companions' full signatures
/// and a call of each are in [`guide::attribute`].
#[doc(inline)]
pub use tapeless_macros::differentiable;
pub use tapeless_runtime::{
    accumulate, check, fourdvar, hyper, linalg, nested, ode, optim, parallel, params, rules, sum,
    zeros_like, Data, Dual, FieldReals, InputError, One, Real, Struct, UserError, UserFailure,
    Zero, ZerosLike,
};

#[cfg(feature = "argmin")]
pub use tapeless_runtime::minimize;

#[doc(hidden)]
pub use tapeless_runtime::__private;

pub mod guide;

/// The README's code blocks, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
