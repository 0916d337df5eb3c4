//! The reference problems of tapeless (`shared/problems.md`), written once: the seed problem S,
//! Lorenz-96 4D-Var (problem L), Lorenz-63, and the learned solver N, each with its constants,
//! its `#[differentiable]` functions and, where one exists, the hand-written reference adjoint.
//! The tests, the examples and the benchmarks all use these, so they compute the same numbers.
//!
//! Not published: a development dependency of the `tapeless` crate only.
#![deny(missing_docs)]

pub mod l96;
pub mod l96_batch;
pub mod l96_fast;
pub mod lorenz63;
pub mod n;
pub mod n_batch;
pub mod seed;
pub mod solver;
pub mod solver_batch;
mod solver_clip;
