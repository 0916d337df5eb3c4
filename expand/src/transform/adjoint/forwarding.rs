//! Snapshots read in place. A fixed-size local array overwritten whole by a loop is saved
//! before it and put back whole after the loop's reverse (`transform/adjoint/snapshot.rs`):
//! `s = s_saved;`, a copy of the array. When everything that reads the array from there on
//! is a reverse companion taking it as an argument, the copy is not needed: the calls read the
//! snapshot itself (`g_rev(s_saved, ..)`) and the put-back prints nothing.
//!
//! The rule, at the top level of the reverse sweep: a put-back `s = slot` of a local (not a
//! parameter, not `f64` data lifted for the callee) from a local slot (not a stack) is read in
//! place when every statement after it, up to the next put-back of `s` at the top level (or to
//! the end of the function, after which a local is never read), either does not touch `s` at
//! all (no read, no write, no restore, in its adjoints, ranges, recomputations or nested
//! loops) or is the adjoint of a call that passes `s` only as a whole array read by the callee
//! (`Arg::Array`), and whose adjoint reads no other value of `s` (its body is the reverse call
//! and the takes of the results' adjoints, whose indices do not read `s`).
//!
//! Exact: between the put-back and the next one, `s` would hold the snapshot's value and
//! nothing writes it; the only reads are the calls', which now read the snapshot, the same
//! values. The put-back stays in the IR, marked `in_place`, so that the liveness analysis and
//! the verifier see the same versions as before; only the emitter leaves it out.
//!
//! Before: `s = __s_saved3; rhs::rev(s, &mut s_bar[..], &k2_bar[..]);`
//! After: `rhs::rev(__s_saved3, &mut s_bar[..], &k2_bar[..]);`

use crate::emit::Emitter;
use crate::ir::rev::{RevStmt, Target};
use crate::ir::*;

/// Marks the put-backs of `reverse` (a reverse sweep's top level) that the calls after them
/// can read in place, and points those calls' arguments at the snapshot.
pub(super) fn read_snapshots_in_place(em: &Emitter, reverse: &mut [RevStmt]) {
    for p in 0..reverse.len() {
        let (var, slot) = match &reverse[p] {
            RevStmt::RestoreArray { var, slot, .. } if !slot.stack => (*var, slot.name.clone()),
            _ => continue,
        };
        let local = !em.f.params.iter().any(|q| q.var == var);
        let owned = matches!(em.var(var).kind, Kind::RealArray(ArrayRepr::Array(_)));
        if !local || !owned || em.is_fixed(var) {
            continue;
        }
        let end = reverse[p + 1..]
            .iter()
            .position(|s| puts_back(s, var))
            .map_or(reverse.len(), |k| p + 1 + k);
        let segment = &reverse[p + 1..end];
        if !segment
            .iter()
            .all(|s| !touches(s, var) || call_reading(s, var))
        {
            continue;
        }
        for s in &mut reverse[p + 1..end] {
            if touches(s, var) {
                point_at(em, s, var, &slot);
            }
        }
        if let RevStmt::RestoreArray { in_place, .. } = &mut reverse[p] {
            *in_place = true;
        }
    }
}

/// Whether `s` puts `var` back whole (a put-back or a rebinding), ending a segment.
fn puts_back(s: &RevStmt, var: VarId) -> bool {
    matches!(s, RevStmt::RestoreArray { var: v, .. } | RevStmt::Rebind { var: v, .. } if *v == var)
}

/// Whether `s` is the adjoint of a call that reads `var` only as a whole array argument.
fn call_reading(s: &RevStmt, var: VarId) -> bool {
    let RevStmt::Adjoint { body, .. } = s else {
        return false;
    };
    let mut calls = 0;
    for b in body {
        match b {
            RevStmt::ReverseCall { call, .. } => {
                if call.results.contains(&var) {
                    return false;
                }
                for a in &call.args {
                    match a {
                        Arg::Array { .. } => {}
                        Arg::Value(e) => {
                            if reads_var(|r| e.reads(r), var) {
                                return false;
                            }
                        }
                        Arg::ArrayMut { var: v, .. } | Arg::Matrix { var: v, .. } => {
                            if *v == var {
                                return false;
                            }
                        }
                    }
                }
                calls += 1;
            }
            RevStmt::Take { target, .. } => {
                if let Target::Index(_, i) = target {
                    if reads_var(|r| i.reads(r), var) {
                        return false;
                    }
                }
            }
            _ => return false,
        }
    }
    calls == 1
}

/// Points the arguments `var` of the reverse call in `s` at the snapshot `slot`.
fn point_at(em: &Emitter, s: &mut RevStmt, var: VarId, slot: &proc_macro2::Ident) {
    let RevStmt::Adjoint { body, .. } = s else {
        return;
    };
    for b in body {
        if let RevStmt::ReverseCall { call, args } = b {
            for a in &call.args {
                if let Arg::Array { var: v, by_ref } = a {
                    if *v == var {
                        let old = em.array_arg(var, *by_ref, &em.name(var)).to_string();
                        let new = em.array_arg(var, *by_ref, slot);
                        for t in args.iter_mut().filter(|t| t.to_string() == old) {
                            *t = new.clone();
                        }
                    }
                }
            }
        }
    }
}

/// Whether `f` (a `reads` of the primal IR) reports `var`.
fn reads_var(f: impl FnOnce(&mut Vec<VarId>), var: VarId) -> bool {
    let mut r = Vec::new();
    f(&mut r);
    r.contains(&var)
}

/// Whether `s` reads, writes or puts back any value of `var`.
fn touches(s: &RevStmt, var: VarId) -> bool {
    let any = |stmts: &[RevStmt]| stmts.iter().any(|s| touches(s, var));
    match s {
        RevStmt::Restore { place, .. } => place.var() == var,
        RevStmt::RestoreArray { var: v, .. }
        | RevStmt::Rebind { var: v, .. }
        | RevStmt::RestoreArg { var: v, .. }
        | RevStmt::RestoreAgain { var: v, .. } => *v == var,
        RevStmt::Recompute { var: v, init } => *v == var || reads_var(|r| init.reads(r), var),
        RevStmt::Adjoint { reads, body, .. } => reads.contains(&var) || any(body),
        RevStmt::ReverseCall { call, .. } => {
            call.results.contains(&var)
                || reads_var(|r| call.args.iter().for_each(|a| a.reads(r)), var)
        }
        RevStmt::Gather(g) => g.reads.contains(&var),
        RevStmt::ReverseFor { range, body, .. } => reads_var(|r| range.reads(r), var) || any(body),
        RevStmt::ReverseWhile { body, .. } => any(body),
        RevStmt::Replay { then, els, .. } => any(then) || any(els),
        // Adjoint statements read primal values only through their `Adjoint`'s `reads`.
        _ => false,
    }
}
