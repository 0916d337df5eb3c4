//! Snapshots of fixed-size arrays. A loop that overwrites elements of a `[f64; N]` whose old
//! values the reverse sweep needs back, and whose body's reverse reads no value of that array,
//! saves the whole array once before the loop (a copy of `N` values into a local, or one push
//! onto a stack of arrays inside a loop nest) and puts it back whole after the loop's reverse,
//! instead of pushing every overwritten element onto a stack of its own and popping it back one
//! by one (a stack that allocates, and a push and a pop per element).
//!
//! Exact, not approximate: the body's reverse reads no value of the array, so what the array
//! holds while it runs does not matter; after it the array holds what it held before the loop,
//! as the element restores leave it. The liveness analysis (`ir/rev/live.rs`) counts the whole
//! put-back as live for every assignment it stands for, so the plan keeps the same saves, and
//! the verifier (`ir/rev/verify.rs`) checks the versions of every later read.
//!
//! Before: `for i in 0..n { push s[i] -> s_stack; s[i] = .. }`,
//! reverse `for i in (0..n).rev() { restore s[i] = pop(s_stack); adjoint .. }`.
//! After: `let s_saved = s; for i in 0..n { s[i] = .. }`,
//! reverse `for i in (0..n).rev() { adjoint .. } restore whole s = s_saved`.

use super::Reverse;
use crate::ir::rev::{RevStmt, Saved};
use crate::ir::*;

impl<'a> Reverse<'a> {
    /// Turns the element saves of the loop body `(fwd, rev)` (a loop at `depth`) into
    /// snapshots where that is exact: returns the statements to put before the forward loop
    /// and after its reverse.
    pub(super) fn snapshots(
        &self,
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) -> (Vec<RevStmt<'a>>, Vec<RevStmt<'a>>) {
        let em = self.em;
        let (mut before, mut after) = (Vec::new(), Vec::new());
        let mut arrays: Vec<VarId> = Vec::new();
        for s in fwd.iter() {
            if let Some(a) = element_save(s) {
                let fixed = matches!(em.var(a).kind, Kind::RealArray(ArrayRepr::Array(_)));
                if fixed && !arrays.contains(&a) {
                    arrays.push(a);
                }
            }
        }
        for a in arrays {
            let direct = fwd.iter().filter(|s| element_save(s) == Some(a)).count();
            if count_saves(fwd, a) != direct || reverse_touches(rev, a) {
                continue;
            }
            let mut ids = Vec::new();
            fwd.retain(|s| {
                let Some(slot) = save_slot(s, a) else {
                    return true;
                };
                self.saves.drop_stack(slot);
                false
            });
            rev.retain(|s| match s {
                RevStmt::Restore { id, place, .. } if place.var() == a => {
                    ids.push(*id);
                    false
                }
                _ => true,
            });
            ids.sort();
            let slot = self.saves.slot(em, depth, &em.var(a).name);
            before.push(RevStmt::Save {
                slot: slot.clone(),
                value: Saved::Var(a),
                cond: None,
            });
            after.push(RevStmt::RestoreArray {
                ids,
                var: a,
                slot,
                in_place: false,
            });
        }
        (before, after)
    }
}

/// The array whose element `s` saves onto a stack on every run of the loop body, if it does.
fn element_save(s: &RevStmt) -> Option<VarId> {
    match s {
        RevStmt::Save {
            slot,
            value:
                Saved::Place {
                    place: Place::Index(a, _),
                    ..
                },
            cond: None,
        } if slot.stack => Some(*a),
        _ => None,
    }
}

/// The stack of `s` when it saves an element of `a` (see [`element_save`]).
fn save_slot<'s>(s: &'s RevStmt, a: VarId) -> Option<&'s proc_macro2::Ident> {
    match s {
        RevStmt::Save { slot, .. } if element_save(s) == Some(a) => Some(&slot.name),
        _ => None,
    }
}

/// How many saves of `a` (elements, whole, copies) a forward sweep makes, at any depth.
fn count_saves(stmts: &[RevStmt], a: VarId) -> usize {
    stmts
        .iter()
        .map(|s| match s {
            RevStmt::Save { value, .. } => match value {
                Saved::Place { place, .. } => usize::from(place.var() == a),
                Saved::Var(v) | Saved::ArrayCopy(v) => usize::from(*v == a),
                Saved::Decision(_) => 0,
            },
            RevStmt::For { body, .. } | RevStmt::While { body, .. } => count_saves(body, a),
            RevStmt::If { then, els, .. } => count_saves(then, a) + count_saves(els, a),
            _ => 0,
        })
        .sum()
}

/// Whether a loop body's reverse `stmts` reads or puts back a value of `a` anywhere but in the
/// element restores at its top level.
fn reverse_touches(stmts: &[RevStmt], a: VarId) -> bool {
    fn nested(stmts: &[RevStmt], a: VarId) -> bool {
        stmts.iter().any(|s| match s {
            RevStmt::Restore { place, .. } => place.var() == a,
            _ => touches(s, a),
        })
    }
    fn touches(s: &RevStmt, a: VarId) -> bool {
        match s {
            RevStmt::Restore { .. } => false,
            RevStmt::RestoreArray { var, .. }
            | RevStmt::Rebind { var, .. }
            | RevStmt::RestoreArg { var, .. }
            | RevStmt::RestoreAgain { var, .. } => *var == a,
            RevStmt::Recompute { init, .. } => {
                let mut r = Vec::new();
                init.reads(&mut r);
                r.contains(&a)
            }
            RevStmt::Adjoint { reads, .. } => reads.contains(&a),
            RevStmt::Gather(g) => g.reads.contains(&a),
            RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                nested(body, a)
            }
            RevStmt::Replay { then, els, .. } => nested(then, a) || nested(els, a),
            _ => false,
        }
    }
    stmts.iter().any(|s| touches(s, a))
}
