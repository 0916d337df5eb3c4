//! Liveness over the reverse sweep: which of the values it gets back from the forward sweep
//! (restores, rebinds, recomputations, `&mut` arguments put back after a reverse call) some
//! later reverse read actually uses, and which primal variables the reverse sweep reads.
//!
//! The analysis runs backwards over the reverse sweep (the seeding, then the reverse proper),
//! as every liveness analysis does: a read makes its variable live; a statement that gives a
//! variable back its value is live only if the variable is live after it, and only then do its
//! own reads count (the index of an element put back, the inputs of a recomputed binding);
//! putting back a whole variable ends its liveness above, putting back an element or a
//! conditional put-back does not. A reversed loop is iterated to a fixed point, since the
//! reverse of one iteration runs before the reverse of the previous one; a replayed branch
//! joins its two sides.
//!
//! The adjoint transform builds the reverse IR with every candidate save, runs this analysis,
//! and builds it again keeping only the live ones (`transform/adjoint/plan.rs`); the verifier
//! ([`super::verify`]) then proves that every read of the final IR sees the value it needs.
//!
//! ```text
//! forward:  k = k + 1 (push k)        x = x * y (push x)
//! reverse:  restore x; adjoint of `x = x * y`, reads x, y
//!           restore k                  <- dead: no reverse read of `k` runs after it
//! ```

use super::{RevFunction, RevStmt};
use crate::ir::{Function, Kind, Place, StmtId, VarId};
use std::collections::{HashMap, HashSet};

/// What the reverse sweep reads, and which of its put-backs are live.
#[derive(Debug, Default)]
pub struct Liveness {
    /// The primal variables whose values a live statement of the reverse sweep reads (the
    /// loop variables of reversed loops included).
    pub read: HashSet<VarId>,
    /// The assignments whose overwritten value is put back and read later.
    pub restores: HashSet<StmtId>,
    /// The calls' `&mut` arguments whose state before the call is read after the callee's
    /// reverse companion has disturbed it.
    pub restored_args: HashSet<(StmtId, VarId)>,
    /// The arrays whose length a reversed loop's range reads: their values need not be live,
    /// but a binding of a loop body or branch must be brought back for it to be in scope.
    pub lengths: HashSet<VarId>,
}

/// The liveness of the reverse sweep of `ir`, a reverse IR of `f`.
pub fn liveness(f: &Function, ir: &RevFunction) -> Liveness {
    let mut a = Analysis {
        f,
        out: Liveness::default(),
        loops: HashMap::new(),
    };
    let mut live = HashSet::new();
    a.block(&ir.reverse, &mut live);
    a.block(&ir.seed, &mut live);
    a.out
}

struct Analysis<'f> {
    f: &'f Function,
    out: Liveness,
    /// Per reversed loop (by its variable or trip counter): the union of the live sets after
    /// it seen so far, and the fixed point found for them, so that an enclosing loop's next
    /// pass does not analyse it again from nothing (loop nests would take exponential time).
    loops: HashMap<VarId, (HashSet<VarId>, HashSet<VarId>)>,
}

impl Analysis<'_> {
    /// `live` holds the variables live after `stmts` on entry, before them on return.
    fn block(&mut self, stmts: &[RevStmt], live: &mut HashSet<VarId>) {
        for s in stmts.iter().rev() {
            self.stmt(s, live);
        }
    }

    fn uses(&mut self, vars: impl IntoIterator<Item = VarId>, live: &mut HashSet<VarId>) {
        for v in vars {
            live.insert(v);
            self.out.read.insert(v);
        }
    }

    fn stmt(&mut self, s: &RevStmt, live: &mut HashSet<VarId>) {
        match s {
            RevStmt::Restore { id, place, .. } => {
                if !live.contains(&place.var()) {
                    return;
                }
                self.out.restores.insert(*id);
                match place {
                    Place::Var(v) => {
                        live.remove(v);
                    }
                    // The element put back is the one the assignment wrote: its index is read.
                    Place::Index(_, i) | Place::Push(_, i) => {
                        let mut r = Vec::new();
                        i.reads(&mut r);
                        self.uses(r, live);
                    }
                }
            }
            // The elements before the one taken off are those the push left: no value changes.
            RevStmt::Unpush { .. } => {}
            // Put back whole: live when the array is, for every assignment it stands for.
            RevStmt::RestoreArray { ids, var, .. } => {
                if live.remove(var) {
                    self.out.restores.extend(ids.iter().copied());
                }
            }
            // A binding of a loop body or branch comes back whole at the start of its scope's
            // reverse: nothing above it reads this binding.
            RevStmt::Rebind { var, .. } => {
                live.remove(var);
            }
            RevStmt::Recompute { var, init } => {
                if live.remove(var) {
                    let mut r = Vec::new();
                    init.reads(&mut r);
                    self.uses(r, live);
                }
            }
            // Put back only when the callee writes the argument: the value above may still be
            // read through it, so liveness goes on.
            RevStmt::RestoreAgain { id, var, .. } => {
                if live.contains(var) {
                    self.out.restored_args.insert((*id, *var));
                }
            }
            RevStmt::Adjoint { reads, .. } => self.uses(reads.iter().copied(), live),
            RevStmt::Gather(g) => self.uses(g.reads.iter().copied(), live),
            RevStmt::ReverseFor { var, range, body } => {
                self.reversed_loop(*var, true, body, live);
                // The range is evaluated again; an array's length does not read its values.
                let mut r = Vec::new();
                range.reads(&mut r);
                let (arrays, values): (Vec<VarId>, Vec<VarId>) = r
                    .into_iter()
                    .partition(|v| matches!(self.f.vars[*v].kind, Kind::RealArray(_)));
                self.out.lengths.extend(arrays);
                self.uses(values, live);
            }
            RevStmt::ReverseWhile { trips, body, .. } => {
                self.reversed_loop(*trips, false, body, live)
            }
            RevStmt::Replay { then, els, .. } => {
                let mut other = live.clone();
                self.block(then, live);
                self.block(els, &mut other);
                live.extend(other);
            }
            // Put back before the callee's reverse companion, which is part of the adjoint
            // that reads the argument; zeroing an adjoint reads no primal value; the rest is
            // the forward sweep's or inside an adjoint.
            RevStmt::RestoreArg { .. }
            | RevStmt::Zero(_)
            | RevStmt::Declare { .. }
            | RevStmt::Skipped { .. }
            | RevStmt::Let { .. }
            | RevStmt::Assign { .. }
            | RevStmt::Call { .. }
            | RevStmt::Assert { .. }
            | RevStmt::Save { .. }
            | RevStmt::Decide { .. }
            | RevStmt::For { .. }
            | RevStmt::While { .. }
            | RevStmt::If { .. }
            | RevStmt::FinalCopy { .. }
            | RevStmt::ResultPart { .. }
            | RevStmt::Accumulate { .. }
            | RevStmt::Bind { .. }
            | RevStmt::Take { .. }
            | RevStmt::TakeMatrix { .. }
            | RevStmt::Update { .. }
            | RevStmt::ReverseCall { .. } => {}
        }
    }

    /// A reversed loop (over `key`, which the reverse loop binds again when `binds`): the
    /// reverse of each iteration runs before that of the previous one, so what the body needs
    /// at its start is live at its end too, until nothing changes. Analysis is monotone (a
    /// larger live set after the loop only makes more of the body live), so the fixed point
    /// for the live sets seen before is where the search for a larger one starts.
    fn reversed_loop(
        &mut self,
        key: VarId,
        binds: bool,
        body: &[RevStmt],
        live: &mut HashSet<VarId>,
    ) {
        let seen = self.loops.remove(&key);
        let fresh = seen.is_none();
        let (mut after, mut start) = seen.unwrap_or_default();
        if fresh || !live.is_subset(&after) {
            after.extend(live.iter().copied());
            loop {
                let mut l = after.clone();
                l.extend(start.iter().copied());
                self.block(body, &mut l);
                if binds {
                    l.remove(&key);
                }
                if l.is_subset(&start) {
                    break;
                }
                start.extend(l);
            }
        }
        // The loop may run no iteration.
        live.extend(start.iter().copied());
        self.loops.insert(key, (after, start));
    }
}
