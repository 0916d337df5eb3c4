//! What the reverse sweep reads, and how it gets it: the needed values, the `let`s
//! recomputed, the overwrites saved and restored, the `&mut` arguments put back after a call.
//!
//! Found by liveness over the reverse IR itself ([`crate::ir::rev::live`]), not by a second
//! description of what each rule's adjoint reads: the reverse IR is built with every candidate
//! save (every variable needed, every overwrite saved, every `&mut` argument put back), the
//! analysis finds which of them a later reverse read uses and which primal values the reverse
//! sweep reads, and the plan keeps only those. Dropping a put-back that nothing reads changes
//! no read, so the live ones are the same in the final IR, which the verifier then checks.
//! Stencil loops are recognised on the scatter form's plan (a loop whose overwritten values the
//! reverse sweep needs keeps the scatter form), then the analysis runs again with their gather
//! forms, which read other values.

use crate::emit::Emitter;
use crate::ir::rev::live::liveness;
use crate::ir::*;
use std::collections::HashSet;

/// What the reverse sweep reads, and how it gets it.
pub(super) struct Plan {
    /// The reverse sweep reads the variable's value somewhere.
    pub(super) needed: IdVec<VarId, bool>,
    /// A `let` in a loop or branch that is evaluated again in the reverse sweep.
    pub(super) recompute: IdVec<VarId, bool>,
    /// Assignments whose overwritten value is saved and put back.
    pub(super) saves: HashSet<StmtId>,
    /// `&mut` arguments of calls whose state before the call the caller's reverse sweep reads.
    pub(super) caller_needs: HashSet<(StmtId, VarId)>,
    /// The loops whose adjoint is built in gather form (see [`super::stencil`]).
    pub(super) stencils: Vec<super::stencil::Stencil>,
}

/// The plan of the reverse sweep of `em.f`; `stencil`: whether stencil loops get the gather
/// form.
pub(super) fn plan(em: &Emitter, stencil: bool) -> Plan {
    let f = em.f;
    let mut recompute = IdVec::from_elem(false, f.vars.len());
    mark_recomputable(&f.body, 0, &mut recompute);
    let scatter = live(em, candidates(f, recompute.clone(), Vec::new()));
    if !stencil {
        return scatter;
    }
    let stencils = super::stencil::find(f, &em.active, &scatter);
    if stencils.is_empty() {
        return scatter;
    }
    live(em, candidates(f, recompute, stencils))
}

/// Every value the reverse sweep could get back: every variable needed, every overwrite saved,
/// every `&mut` argument of a call put back.
fn candidates(
    f: &Function,
    recompute: IdVec<VarId, bool>,
    stencils: Vec<super::stencil::Stencil>,
) -> Plan {
    let mut saves = HashSet::new();
    let mut caller_needs = HashSet::new();
    f.body.walk_numbered(StmtId::FIRST, &mut |id, s| match s {
        Stmt::Assign { .. } => {
            saves.insert(id);
        }
        Stmt::Call(c) => {
            for a in &c.args {
                if let Arg::ArrayMut { var, .. } = a {
                    caller_needs.insert((id, *var));
                }
            }
        }
        Stmt::Let { .. }
        | Stmt::For { .. }
        | Stmt::While { .. }
        | Stmt::If { .. }
        | Stmt::Assert(_) => {}
    });
    Plan {
        needed: IdVec::from_elem(true, f.vars.len()),
        recompute,
        saves,
        caller_needs,
        stencils,
    }
}

/// `candidates` narrowed to what liveness over the reverse IR they build finds read. The IR is
/// built with an emitter of its own, so that the companions' generated names do not depend on
/// the analysis.
fn live(em: &Emitter, candidates: Plan) -> Plan {
    let found = {
        let own = Emitter::new(em.f, em.active.clone(), em.krate.clone(), false);
        let ir = super::build(&own, &candidates, false);
        liveness(em.f, &ir)
    };
    let mut needed = IdVec::from_elem(false, em.f.vars.len());
    for v in found.read {
        needed[v] = true;
    }
    // An array whose length a reversed range reads must be in scope there: a binding of a
    // loop body or branch is brought back (a parameter, or a binding at the top, always is).
    for v in found.lengths {
        if !em.f.params.iter().any(|p| p.var == v) {
            needed[v] = true;
        }
    }
    Plan {
        needed,
        recompute: candidates.recompute,
        saves: found.restores,
        caller_needs: found.restored_args,
        stencils: candidates.stencils,
    }
}

/// Marks the `let`s of nested scopes that can be recomputed in the reverse sweep.
pub(super) fn mark_recomputable(b: &Block, depth: usize, recompute: &mut IdVec<VarId, bool>) {
    if depth > 0 {
        let written = b.writes();
        let mut local_recomputable: Vec<VarId> = Vec::new();
        for s in &b.stmts {
            if let Stmt::Let {
                var,
                init: Init::Expr(e),
                ..
            } = s
            {
                let mut reads = Vec::new();
                e.reads(&mut reads);
                let ok = reads
                    .iter()
                    .all(|r| local_recomputable.contains(r) || !written.contains(r));
                let calls = contains_const_call(e);
                // Recomputing gives the binding's first value: only for bindings never assigned
                // again (the `let` itself is one write).
                let reassigned = written.iter().filter(|w| *w == var).count() > 1;
                if ok && !calls && !reassigned {
                    local_recomputable.push(*var);
                    recompute[*var] = true;
                }
            }
        }
    }
    for s in &b.stmts {
        match s {
            Stmt::For { body, .. } | Stmt::While { body, .. } => {
                mark_recomputable(body, depth + 1, recompute)
            }
            Stmt::If { then, els, .. } => {
                mark_recomputable(then, depth + 1, recompute);
                mark_recomputable(els, depth + 1, recompute);
            }
            Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => {}
        }
    }
}

/// Whether `e` calls a user function (which is not re-run in the reverse sweep).
pub(super) fn contains_const_call(e: &Expr) -> bool {
    match &e.op {
        Op::ConstCall(..) => true,
        Op::Lit(_) | Op::Var(_) | Op::Len(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => false,
        Op::Index(_, a)
        | Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
        | Op::Field(a, _)
        | Op::PathIndex(_, a) => contains_const_call(a),
        Op::Method(a, _, args) => contains_const_call(a) || args.iter().any(contains_const_call),
        Op::Binary(_, a, b) | Op::Powi(a, b) => contains_const_call(a) || contains_const_call(b),
        Op::Ternary(_, a, b, c) => [a, b, c].iter().any(|x| contains_const_call(x)),
        Op::Linalg(_, args) => args.iter().any(contains_const_call),
    }
}

/// The statements the reverse-only companion keeps in its forward sweep: those that compute a
/// value its reverse sweep reads (or the shape of an adjoint array), and what they read, found
/// from the plan's mirror of the rules. The companion uses dead-code elimination over its
/// reverse IR instead (`dce.rs`); the tests check that the two agree.
#[cfg(test)]
pub(super) fn useful_statements(
    f: &Function,
    active: &IdVec<VarId, bool>,
    plan: &Plan,
) -> HashSet<StmtId> {
    let mut wanted: IdVec<VarId, bool> = plan.needed.clone();
    // An active array's binding gives its adjoint its shape; its values may stay unwanted.
    let shaped = |v: VarId| active[v] && !f.vars[v].kind.static_shape();
    loop {
        let mut useful = HashSet::new();
        let mut reads = Vec::new();
        f.body.walk_numbered(StmtId::FIRST, &mut |id, s| match s {
            Stmt::Let { var, init, .. } if wanted[*var] || shaped(*var) => {
                useful.insert(id);
                init.reads(&mut reads);
            }
            Stmt::Assign { place, value, .. }
                if wanted[place.var()] || matches!(place, Place::Push(v, _) if shaped(*v)) =>
            {
                useful.insert(id);
                value.reads(&mut reads);
                if let Place::Index(_, i) | Place::Push(_, i) = place {
                    i.reads(&mut reads);
                }
            }
            Stmt::Call(c) => {
                let writes_wanted = c.results.iter().any(|r| wanted[*r] || shaped(*r))
                    || c.args
                        .iter()
                        .any(|a| matches!(a, Arg::ArrayMut { var, .. } if wanted[*var]));
                if writes_wanted {
                    useful.insert(id);
                    c.args.iter().for_each(|a| a.reads(&mut reads));
                }
            }
            // Branch decisions are saved, and loop ranges evaluated again.
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => cond.reads(&mut reads),
            Stmt::For { range, .. } => range.reads(&mut reads),
            // An assertion is never useful to the reverse sweep (see `dce`).
            Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Assert(_) => {}
        });
        let mut changed = false;
        for r in reads {
            if !wanted[r] {
                wanted[r] = true;
                changed = true;
            }
        }
        if !changed {
            return useful;
        }
    }
}
