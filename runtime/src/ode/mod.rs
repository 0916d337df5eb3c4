//! Ordinary differential equations: right-hand sides, integrators with exact discrete adjoints,
//! and checkpointing.

mod rhs;

pub use rhs::Rhs;
