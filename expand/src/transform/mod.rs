//! The two differentiating transforms: [`tangent`] (forward mode) and [`adjoint`] (reverse
//! mode). Each walks the IR once, with one exhaustive `match` over statements and one over
//! operations, so a new operation cannot be added without its derivative in both modes.

pub mod adjoint;
pub mod tangent;
