//! What the reverse sweep reads, and how it gets it: the needed values (from the reads
//! each operation's rule lists), the `let`s recomputed, the overwrites saved and restored, and
//! the statements the reverse-only companion keeps.

use crate::activity::{arg_active, expr_active};
use crate::ir::*;
use crate::rules::{Operand, Reads};
use std::collections::HashSet;

/// What the reverse sweep reads, and how it gets it.
pub(super) struct Plan {
    /// The reverse sweep reads the variable's value somewhere.
    pub(super) needed: IdVec<VarId, bool>,
    /// A `let` in a loop or branch that is evaluated again in the reverse sweep.
    pub(super) recompute: IdVec<VarId, bool>,
    /// Assignments whose overwritten value is saved and put back (see [`flow`]).
    pub(super) saves: HashSet<StmtId>,
    /// `&mut` arguments of calls whose state before the call the caller's reverse sweep reads.
    pub(super) caller_needs: HashSet<(StmtId, VarId)>,
    /// The loops whose adjoint is built in gather form (see [`super::stencil`]).
    pub(super) stencils: Vec<super::stencil::Stencil>,
}

/// Reads of the values that the adjoint of `e` multiplies by (its partial derivatives): what
/// each operation's entry in the rule table says its adjoint reads.
pub(super) fn partial_reads(e: &Expr, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
    if !expr_active(e, active) {
        return;
    }
    match &e.op {
        Op::Var(_) => {}
        Op::Index(_, i) => i.reads(out),
        Op::Unary(u, a) => rule_reads(u.rule().reads, &[a], &[], active, out),
        Op::Binary(b, x, y) => rule_reads(b.rule().reads, &[x, y], &[], active, out),
        // `x.powi(n)`: its derivative `n x^(n-1)` reads both.
        Op::Powi(a, n) => rule_reads(Reads::Operands, &[a], &[n], active, out),
        // `a.mul_add(b, c)`: the partials of the product; `c` enters linearly.
        Op::Ternary(t, a, b, c) => {
            rule_reads(t.rule().reads, &[a, b], &[], active, out);
            if expr_active(c, active) {
                partial_reads(c, active, out);
            }
        }
        Op::Linalg(op, args) => {
            let rule = op.rule();
            let (mut values, mut indices) = (Vec::new(), Vec::new());
            for (operand, a) in rule.operands.iter().zip(args) {
                match operand {
                    Operand::Index => indices.push(a),
                    Operand::Matrix | Operand::MatrixVar | Operand::ArrayVar => values.push(a),
                }
            }
            rule_reads(rule.reads, &values, &indices, active, out)
        }
        Op::Lit(_)
        | Op::Len(_)
        | Op::Cast(..)
        | Op::ConstCall(..)
        | Op::Path(_)
        | Op::Ref(_)
        | Op::Matches(..)
        | Op::PathIndex(..)
        | Op::Method(..)
        | Op::AsReal(_) => {}
    }
}

/// The reads of an operation's adjoint, as its rule says, and those of its operands' adjoints.
pub(super) fn rule_reads(
    reads: Reads,
    values: &[&Expr],
    indices: &[&Expr],
    active: &IdVec<VarId, bool>,
    out: &mut Vec<VarId>,
) {
    match reads {
        Reads::Nothing => {}
        Reads::Operands => values.iter().for_each(|v| v.reads(out)),
        Reads::OtherOperand => {
            if let [x, y] = values {
                if expr_active(x, active) {
                    y.reads(out);
                }
                if expr_active(y, active) {
                    x.reads(out);
                }
            } else {
                unreachable!("products have two operands")
            }
        }
    }
    indices.iter().for_each(|i| i.reads(out));
    values.iter().for_each(|v| partial_reads(v, active, out));
}

pub(super) fn init_partial_reads(init: &Init, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
    match init {
        Init::Expr(e) | Init::VecFill { value: e, .. } | Init::ArrayFill { value: e, .. } => {
            partial_reads(e, active, out)
        }
        Init::ArrayList(es) | Init::VecList(es) => {
            es.iter().for_each(|e| partial_reads(e, active, out))
        }
        Init::CopyOf(_) => {}
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
        | Op::PathIndex(_, a) => contains_const_call(a),
        Op::Method(a, _, args) => contains_const_call(a) || args.iter().any(contains_const_call),
        Op::Binary(_, a, b) | Op::Powi(a, b) => contains_const_call(a) || contains_const_call(b),
        Op::Ternary(_, a, b, c) => [a, b, c].iter().any(|x| contains_const_call(x)),
        Op::Linalg(_, args) => args.iter().any(contains_const_call),
    }
}

/// The reads of the reverse of `s` itself (not of statements nested in it).
pub(super) fn own_reads(
    s: &Stmt,
    f: &Function,
    active: &IdVec<VarId, bool>,
    recompute: &IdVec<VarId, bool>,
    needed: &IdVec<VarId, bool>,
    out: &mut Vec<VarId>,
) {
    match s {
        Stmt::Let { var, init, .. } => {
            if active[*var] {
                init_partial_reads(init, active, out);
            }
            if recompute[*var] && needed[*var] {
                init.reads(out);
            }
        }
        Stmt::Assign { place, value, .. } => {
            let v = place.var();
            if active[v] {
                partial_reads(value, active, out);
            }
            // The adjoint indexes the target's adjoint, and a restore indexes the target.
            if let Place::Index(_, i) = place {
                if active[v] || needed[v] {
                    i.reads(out);
                }
            }
        }
        Stmt::Call(c) => {
            if c.args.iter().any(|a| arg_active(a, active)) {
                c.args.iter().for_each(|a| a.reads(out));
            }
        }
        Stmt::For { range, .. } => {
            // The reverse loop evaluates the range again; an array's length does not need its
            // values, and cannot change.
            let mut r = Vec::new();
            range.reads(&mut r);
            out.extend(
                r.into_iter()
                    .filter(|v| !matches!(f.vars[*v].kind, Kind::RealArray(_))),
            );
        }
        // An assertion runs in the forward sweep only, at its place: its reverse reads nothing;
        // a reversed `while` runs its recorded trip count, not its condition.
        Stmt::If { .. } | Stmt::While { .. } | Stmt::Assert(_) => {}
    }
}

/// The reads of the reverse of `s` and of everything nested in it.
pub(super) fn all_reads(
    s: &Stmt,
    f: &Function,
    active: &IdVec<VarId, bool>,
    recompute: &IdVec<VarId, bool>,
    needed: &IdVec<VarId, bool>,
    out: &mut Vec<VarId>,
) {
    own_reads(s, f, active, recompute, needed, out);
    let mut nested = |b: &Block| {
        for t in &b.stmts {
            all_reads(t, f, active, recompute, needed, out);
        }
    };
    match s {
        Stmt::For { body, .. } | Stmt::While { body, .. } => nested(body),
        Stmt::If { then, els, .. } => {
            nested(then);
            nested(els);
        }
        Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => {}
    }
}

pub(super) fn plan(f: &Function, active: &IdVec<VarId, bool>) -> Plan {
    let n = f.vars.len();
    let mut recompute = IdVec::from_elem(false, n);
    mark_recomputable(&f.body, 0, &mut recompute);
    let mut needed = IdVec::from_elem(false, n);
    let mut result_reads = Vec::new();
    for (e, k) in f.ret.values.iter().zip(&f.ret.parts) {
        if *k == Kind::Real {
            partial_reads(e, active, &mut result_reads);
        }
    }
    for r in result_reads {
        needed[r] = true;
    }
    // To a fixed point: restoring an element reads its index, recomputing a `let` its inputs.
    loop {
        let mut reads = Vec::new();
        for s in &f.body.stmts {
            all_reads(s, f, active, &recompute, &needed, &mut reads);
        }
        let mut changed = false;
        for r in reads {
            if !needed[r] {
                needed[r] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut plan = Plan {
        needed,
        recompute,
        saves: HashSet::new(),
        caller_needs: HashSet::new(),
        stencils: Vec::new(),
    };
    let seen = IdVec::from_elem(false, n);
    flow(&f.body, StmtId::FIRST, seen, f, active, &mut plan);
    plan.stencils = super::stencil::find(f, active, &plan);
    plan
}

/// Which overwrites must be saved: a value is put back in the reverse sweep only if the reverse
/// of a statement that ran before the overwrite (or the overwriting statement itself, or an
/// earlier iteration of an enclosing loop) reads it. Integers are always put back (indices are
/// cheap and read everywhere). `seen[v]`: the reverse of something before this block reads `v`.
pub(super) fn flow(
    b: &Block,
    first: StmtId,
    mut seen: IdVec<VarId, bool>,
    f: &Function,
    active: &IdVec<VarId, bool>,
    plan: &mut Plan,
) {
    let read_by = |s: &Stmt, plan: &Plan| {
        let mut r = Vec::new();
        all_reads(s, f, active, &plan.recompute, &plan.needed, &mut r);
        r
    };
    for (id, s) in b.numbered(first) {
        let within = read_by(s, plan);
        match s {
            Stmt::Assign { place, .. } => {
                let v = place.var();
                let real = f.vars[v].kind.is_real();
                if plan.needed[v] && (!real || seen[v] || within.contains(&v)) {
                    plan.saves.insert(id);
                }
            }
            Stmt::Call(c) => {
                for a in &c.args {
                    if let Arg::ArrayMut { var, .. } = a {
                        if plan.needed[*var] && seen[*var] {
                            plan.caller_needs.insert((id, *var));
                        }
                    }
                }
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } => {
                // Statements of earlier iterations run before every statement of the body.
                let mut inner = seen.clone();
                for r in &within {
                    inner[*r] = true;
                }
                flow(body, id.inner(), inner, f, active, plan);
            }
            Stmt::If { then, els, .. } => {
                flow(then, id.inner(), seen.clone(), f, active, plan);
                flow(els, id.els(then), seen.clone(), f, active, plan);
            }
            Stmt::Let { .. } | Stmt::Assert(_) => {}
        }
        for r in within {
            seen[r] = true;
        }
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
    let shaped =
        |v: VarId| active[v] && matches!(f.vars[v].kind, Kind::RealArray(_) | Kind::Matrix);
    loop {
        let mut useful = HashSet::new();
        let mut reads = Vec::new();
        f.body.walk_numbered(StmtId::FIRST, &mut |id, s| match s {
            Stmt::Let { var, init, .. } if wanted[*var] || shaped(*var) => {
                useful.insert(id);
                init.reads(&mut reads);
            }
            Stmt::Assign { place, value, .. } if wanted[place.var()] => {
                useful.insert(id);
                value.reads(&mut reads);
                if let Place::Index(_, i) = place {
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
