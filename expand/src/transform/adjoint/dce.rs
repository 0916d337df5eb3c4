//! Dead-code elimination of the reverse-only companion `__f_rev`, over its reverse IR: a
//! forward statement stays when it computes a value that the reverse sweep reads (an adjoint, a
//! recomputation, the index of a restored element), that a kept statement, a branch decision or
//! a loop range reads, or that binds a variable the forward sweep saves, the reverse sweep
//! recomputes, or an active array's adjoint takes its shape from (not a fixed-size array's: `[0; N]`); the others become
//! [`RevStmt::Skipped`]. An assertion is never live: it writes nothing the reverse sweep reads,
//! and the caller's forward sweep already ran it (in the callee's primal), so `__f_rev` drops it. Callers' reverse sweeps already have the call's results, so this is
//! what `__f_rev` recomputes instead of the whole primal.

use crate::ir::rev::{Cond, RevFunction, RevStmt, Saved};
use crate::ir::*;
use std::collections::HashSet;

/// The forward statements of `ir` that the reverse sweep needs, directly or through other
/// statements (a fixed point over the variables they write).
pub(super) fn live_statements(
    f: &Function,
    active: &IdVec<VarId, bool>,
    ir: &RevFunction,
) -> HashSet<StmtId> {
    let mut wanted = IdVec::from_elem(false, f.vars.len());
    let mut reads = Vec::new();
    for part in [&ir.seed, &ir.reverse] {
        reverse_reads(part, &mut reads);
    }
    control_reads(&ir.forward, &mut reads);
    for r in reads {
        wanted[r] = true;
    }
    // An active array's binding gives its adjoint its shape, a variable the forward sweep saves
    // must be bound, and a recomputed one is checked against its binding; their values may
    // stay unwanted.
    let mut saved = IdVec::from_elem(false, f.vars.len());
    recomputed(&ir.reverse, &mut saved);
    forward_walk(&ir.forward, &mut |s| {
        if let RevStmt::Save { value, .. } = s {
            match value {
                Saved::Place { place, .. } => saved[place.var()] = true,
                Saved::Var(v) | Saved::ArrayCopy(v) => saved[*v] = true,
                Saved::Decision(_) => {}
            }
        }
    });
    let shaped = |v: VarId| saved[v] || active[v] && !f.vars[v].kind.static_shape();
    loop {
        let mut live = HashSet::new();
        let mut reads = Vec::new();
        forward_walk(&ir.forward, &mut |s| match s {
            RevStmt::Let { id, var, init } if wanted[*var] || shaped(*var) => {
                live.insert(*id);
                init.reads(&mut reads);
            }
            // A push is kept for the length of the adjoint (and the index of each element's).
            RevStmt::Assign { id, place, value }
                if wanted[place.var()] || matches!(place, Place::Push(v, _) if shaped(*v)) =>
            {
                live.insert(*id);
                value.reads(&mut reads);
                if let Place::Index(_, i) | Place::Push(_, i) = place {
                    i.reads(&mut reads);
                }
            }
            RevStmt::Call { id, call } => {
                let writes_wanted = call.results.iter().any(|r| wanted[*r] || shaped(*r))
                    || call
                        .args
                        .iter()
                        .any(|a| matches!(a, Arg::ArrayMut { var, .. } if wanted[*var]));
                if writes_wanted {
                    live.insert(*id);
                    call.args.iter().for_each(|a| a.reads(&mut reads));
                }
            }
            _ => {}
        });
        let mut changed = false;
        for r in reads {
            if !wanted[r] {
                wanted[r] = true;
                changed = true;
            }
        }
        if !changed {
            return live;
        }
    }
}

/// Replaces the forward statements of `ir` outside `live` by [`RevStmt::Skipped`].
pub(super) fn skip_dead(stmts: &mut [RevStmt], live: &HashSet<StmtId>) {
    for s in stmts {
        match s {
            RevStmt::Let { id, .. }
            | RevStmt::Assign { id, .. }
            | RevStmt::Call { id, .. }
            | RevStmt::Assert { id, .. }
                if !live.contains(id) =>
            {
                *s = RevStmt::Skipped { id: *id };
            }
            RevStmt::For { body, .. } | RevStmt::While { body, .. } => skip_dead(body, live),
            RevStmt::If { then, els, .. } => {
                skip_dead(then, live);
                skip_dead(els, live);
            }
            _ => {}
        }
    }
}

/// The primal values read by a reverse sweep: by adjoints, recomputations and the indices of
/// restored elements.
fn reverse_reads(stmts: &[RevStmt], out: &mut Vec<VarId>) {
    for s in stmts {
        match s {
            RevStmt::Adjoint { reads, .. } => out.extend(reads),
            RevStmt::Recompute { init, .. } => init.reads(out),
            RevStmt::Restore {
                place: Place::Index(_, i),
                ..
            } => i.reads(out),
            RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                reverse_reads(body, out)
            }
            RevStmt::Gather(g) => out.extend(&g.reads),
            RevStmt::Replay { then, els, .. } => {
                reverse_reads(then, out);
                reverse_reads(els, out);
            }
            _ => {}
        }
    }
}

/// Marks the variables a reverse sweep recomputes.
fn recomputed(stmts: &[RevStmt], out: &mut IdVec<VarId, bool>) {
    for s in stmts {
        match s {
            RevStmt::Recompute { var, .. } => out[*var] = true,
            RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                recomputed(body, out)
            }
            RevStmt::Replay { then, els, .. } => {
                recomputed(then, out);
                recomputed(els, out);
            }
            _ => {}
        }
    }
}

/// What a forward sweep's control reads: branch decisions (saved for the replay) and loop
/// ranges (evaluated again by the reversed loops).
fn control_reads(stmts: &[RevStmt], out: &mut Vec<VarId>) {
    forward_walk(stmts, &mut |s| match s {
        RevStmt::Decide { cond, .. }
        | RevStmt::If {
            cond: Cond::Expr(cond),
            ..
        } => cond.reads(out),
        RevStmt::For { range, .. } => range.reads(out),
        // The loop runs as many times as forwards: its condition's inputs are kept.
        RevStmt::While { cond, .. } => cond.reads(out),
        _ => {}
    });
}

/// Calls `visit` on every statement of a forward sweep, outer first.
fn forward_walk<'s, 'a>(stmts: &'s [RevStmt<'a>], visit: &mut impl FnMut(&'s RevStmt<'a>)) {
    for s in stmts {
        visit(s);
        match s {
            RevStmt::For { body, .. } | RevStmt::While { body, .. } => forward_walk(body, visit),
            RevStmt::If { then, els, .. } => {
                forward_walk(then, visit);
                forward_walk(els, visit);
            }
            _ => {}
        }
    }
}
