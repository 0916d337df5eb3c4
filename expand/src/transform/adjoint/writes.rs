//! First accumulations written. A local array's adjoint is created as zeros (`zero k_bar` in
//! the forward sweep), and the reverse sweep accumulates into it (`k_bar[i] += e`). When the
//! first access of every element is such an accumulation, in one reversed loop over the whole
//! array, the zero is only added to: the accumulation is written instead (`k_bar[i] = e`), so
//! the loop reads nothing of `k_bar`. The zeroing stays (Rust needs the array initialised, and
//! LLVM does not drop a `memset` that a loop overwrites: on problem L's `rk4_fast` the five
//! `memset`s per step remain; the loads of the stage adjoints go).
//!
//! The rule, for a fixed-size local array `v` (not a parameter: a parameter's adjoint is the
//! caller's) of literal length `N`, whose adjoint is zeroed at the top level of the forward
//! sweep, and an accumulation `v_bar[i] += e` in the top-level reverse of a loop `for i in
//! 0..N` (literal bounds, exclusive, no adaptor but `.rev()`, so it visits every element
//! once):
//!
//! - the loop's body is only adjoint statements made of accumulations, temporaries and takes
//!   (no nested loop, branch, call or runtime update), so every iteration runs every
//!   statement once: no `break`, `continue` or condition;
//! - the accumulation is at the top level of one of them, indexed by the loop's variable
//!   itself (not `i + 1`, not another index), so the loop covers every element exactly once;
//! - the loop names `v_bar` only there (checked on the printed code: any other mention, a read
//!   of another element or `e` reading `v_bar`, keeps the `+=`);
//! - nothing before the loop in the reverse sweep, the seeding and the final copies names
//!   `v_bar` (so the element still holds its zero when it is first accumulated into).
//!
//! Exact up to the sign of zeros: `0 + e` and `e` are the same value for every `e` but `-0.0`
//! (`0.0 + -0.0` is `+0.0`), and a zero's sign changes no later value that is not itself a
//! zero (`x + 0.0 == x + -0.0` for `x` not a zero; products of zeros are zeros).
//!
//! Before: `for i in (0..40).rev() { let a = out_bar[i]; k1_bar[i] += a * 0.5; }`.
//! After: `for i in (0..40).rev() { let a = out_bar[i]; k1_bar[i] = a * 0.5; }`.

use super::resets::mentions;
use crate::emit::Emitter;
use crate::ir::rev::{RevFunction, RevStmt, Target};
use crate::ir::*;
use proc_macro2::TokenStream;

/// Writes the first accumulations of `ir`'s reverse sweep that the rule above allows.
pub(super) fn write_first_accumulations(em: &Emitter, ir: &mut RevFunction) {
    let printed: Vec<TokenStream> = ir
        .reverse
        .iter()
        .map(|s| em.rev_stmts(std::slice::from_ref(s)))
        .collect();
    let before = [em.rev_stmts(&ir.seed), em.rev_stmts(&ir.finals)];
    let zeroed: Vec<VarId> = ir
        .forward
        .iter()
        .filter_map(|s| match s {
            RevStmt::Zero(v) => Some(*v),
            _ => None,
        })
        .collect();
    for p in 0..ir.reverse.len() {
        let (printed, later) = (&printed[..p], &printed[p]);
        let RevStmt::ReverseFor { var, range, body } = &mut ir.reverse[p] else {
            continue;
        };
        let Some(n) = full_range(range) else {
            continue;
        };
        if !body.iter().all(straight) {
            continue;
        }
        let i = *var;
        let fresh = |v: VarId| {
            let b = em.bar(v).to_string();
            zeroed.contains(&v)
                && !em.f.params.iter().any(|q| q.var == v)
                && length(em, v) == Some(n)
                && mentions(later, &b) == 1
                && printed.iter().chain(&before).all(|t| mentions(t, &b) == 0)
        };
        for s in body.iter_mut() {
            let RevStmt::Adjoint { body, .. } = s else {
                continue;
            };
            for a in body.iter_mut() {
                if let RevStmt::Accumulate {
                    target: Target::Index(v, e),
                    write,
                    ..
                } = a
                {
                    if matches!(e.op, Op::Var(w) if w == i) && fresh(*v) {
                        *write = true;
                    }
                }
            }
        }
    }
}

/// The length `N` of a range `0..N` with literal bounds, in either order (`.rev()` the only
/// adaptor: no `.step_by`), which the reversed loop runs over backwards.
pub(super) fn full_range(r: &Range) -> Option<usize> {
    let rev_only = r.adaptors.iter().all(|a| matches!(a, Adaptor::Rev));
    if r.inclusive || !rev_only || literal(&r.start) != Some(0) {
        return None;
    }
    literal(&r.end)
}

/// The value of an integer literal.
fn literal(e: &Expr) -> Option<usize> {
    match &e.op {
        Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse().ok(),
        _ => None,
    }
}

/// The literal length of a fixed-size array.
fn length(em: &Emitter, v: VarId) -> Option<usize> {
    match &em.var(v).kind {
        Kind::RealArray(ArrayRepr::Array(n)) => syn::parse2::<syn::LitInt>(n.0.clone())
            .ok()?
            .base10_parse()
            .ok(),
        _ => None,
    }
}

/// Whether `s` is an adjoint statement every iteration runs whole: accumulations, temporaries
/// and takes only.
pub(super) fn straight(s: &RevStmt) -> bool {
    let RevStmt::Adjoint { body, .. } = s else {
        return false;
    };
    body.iter().all(|a| {
        matches!(
            a,
            RevStmt::Accumulate { .. } | RevStmt::Bind { .. } | RevStmt::Take { .. }
        )
    })
}
