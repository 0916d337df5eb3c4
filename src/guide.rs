//! A guide to tapeless, one page per topic, every example a doc test that runs.
//!
//! - [`attribute`]: what `#[differentiable]` accepts (no arguments, `wrt(..)`,
//!   `constants(..)`, `rhs = Name`, `crate = path`) and the companions it generates, with their
//!   full signatures and a call of each.
//! - [`seed_story`]: problem S, the scalar 4D-Var cost that integrates dx/dt = cos(t) with RK4,
//!   gradient descent on the initial state, and the hypergradient of the step size by forward
//!   mode over the whole inner solve.
//! - [`ode_adjoints`]: [`ode::gradient`](crate::ode::gradient) with a right-hand side generated
//!   by `rhs = Name` and a loss of the saved states written with `#[differentiable]`.
//! - [`hessian_vector_products`]: forward over reverse, the generated adjoint evaluated at
//!   [`Dual`](crate::Dual) numbers, for a plain function and for a whole ODE loss.
//! - [`hypergradients`]: derivatives of an outer loss through an unrolled inner solver with
//!   [`hyper::Unrolled`](crate::hyper::Unrolled).
//! - [`learned_solvers`]: an inner update of your own, a [`hyper::Update`](crate::hyper::Update)
//!   written with a `#[differentiable]` function's `_generic` and `_vjp` companions.

#[doc = include_str!("guide/attribute.md")]
pub mod attribute {}

#[doc = include_str!("guide/seed_story.md")]
pub mod seed_story {}

#[doc = include_str!("guide/ode_adjoints.md")]
pub mod ode_adjoints {}

#[doc = include_str!("guide/hessian_vector_products.md")]
pub mod hessian_vector_products {}

#[doc = include_str!("guide/hypergradients.md")]
pub mod hypergradients {}

#[doc = include_str!("guide/learned_solvers.md")]
pub mod learned_solvers {}
