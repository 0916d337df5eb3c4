//! The reverse IR of a function's reverse-mode companions, printed (see [`crate::ir::rev::print`]),
//! for `TAPELESS_DEBUG=1` and golden tests: `f_vjp`, then `__f_rev` (the same reverse sweep after
//! a forward sweep that keeps only what the reverse sweep reads).
//!
//! It prints the IR the generator builds and the emitter prints, built again with a fresh
//! emitter: the numbers of generated temporaries (`__adj3`) may differ from those in the
//! expansion, where the tangent companion has taken some first.

use super::{build, plan::plan};
use crate::emit::Emitter;
use crate::ir::*;

/// The reverse IR of `f_vjp` and `__f_rev`, given the activity of `f`'s variables and whether
/// the attribute had a `wrt(..)` list.
pub fn describe(f: &Function, active: &IdVec<VarId, bool>, wrt_given: bool) -> String {
    let em = Emitter::new(f, active.clone(), syn::parse_quote!(::tapeless), wrt_given);
    let plan = plan(&em, true);
    let mut out = String::new();
    for (name, reverse_only) in [
        (format!("{}_vjp", f.name), false),
        (format!("__{}_rev", f.name), true),
    ] {
        let ir = build(&em, &plan, reverse_only);
        out.push_str(&rev::print(f, &name, &ir));
    }
    out
}
