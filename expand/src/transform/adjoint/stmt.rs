//! The forward and reverse sweeps of statements: bindings, assignments (with the overwritten
//! value saved and put back), calls (through the callee's reverse companion), loops run
//! backwards, branches replayed from the saved decision. Each produces reverse-IR statements
//! ([`RevStmt`]); nothing here prints tokens except the seeds' leaves.

use super::seed::MatrixSeed;
use super::Reverse;
use crate::activity::arg_active;
use crate::emit::Value;
use crate::ir::rev::{Cond, RevStmt, Saved, Target};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

/// The forward and reverse sweeps of a block or statement.
pub(super) type Sweeps<'a> = (Vec<RevStmt<'a>>, Vec<RevStmt<'a>>);

impl<'a> Reverse<'a> {
    /// The adjoint of `let var = init`.
    pub(super) fn init(&self, var: VarId, init: &'a Init, out: &mut Vec<RevStmt<'a>>) {
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        match init {
            Init::Expr(e) if e.kind == Kind::Matrix => {
                let seed = MatrixSeed::Scaled {
                    m: em.bar_ref(var),
                    alpha: None,
                };
                self.matrix(e, seed, out)
            }
            Init::Expr(e) => self.expr(e, Value::Name(b), out),
            Init::VecFill { value, .. } | Init::ArrayFill { value, .. } => {
                self.expr(value, Value::Expr(quote!(#rt::sum(&#b[..]))), out)
            }
            Init::ArrayList(es) | Init::VecList(es) => {
                for (k, e) in es.iter().enumerate() {
                    self.expr(e, Value::Expr(quote!(#b[#k])), out);
                }
            }
            Init::CopyOf(src) => {
                if em.is_active(*src) {
                    let sb = self.bar_slice(*src);
                    out.push(RevStmt::Update {
                        var: *src,
                        code: quote!(#rt::accumulate(&mut #sb, &#b[..]);),
                    });
                }
            }
        }
    }

    /// `v_bar[..]`, or `v_bar[..v.len()]` for a `Vec` grown by `push`, whose adjoint has the
    /// final length: the elements of the adjoint of `v` where the reverse sweep is.
    fn bar_slice(&self, v: VarId) -> TokenStream {
        let b = self.em.bar(v);
        if self.pushed.contains(&v) {
            let n = self.em.name(v);
            quote!(#b[..#n.len()])
        } else {
            quote!(#b[..])
        }
    }

    /// The adjoint of `place = value`, for an active place.
    pub(super) fn assign(&self, place: &'a Place, value: &'a Expr, out: &mut Vec<RevStmt<'a>>) {
        let em = self.em;
        let var = place.var();
        if value.kind == Kind::Matrix {
            return self.assign_matrix(var, value, out);
        }
        let target = match place {
            Place::Var(_) => Target::Var(var),
            Place::Index(_, i) | Place::Push(_, i) => {
                self.read(i);
                Target::Index(var, i)
            }
        };
        // `x += e` and `x -= e`: the adjoint of x passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if same_place(place, a) && !reads_var(e, var) {
                let g = em.temp("adj");
                out.push(RevStmt::Take {
                    name: g.clone(),
                    target,
                    reset: false,
                });
                let seed = if *op == Binary::Add {
                    Value::Name(g)
                } else {
                    Value::Expr(quote!((-#g)))
                };
                self.expr(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        out.push(RevStmt::Take {
            name: g.clone(),
            target,
            reset: true,
        });
        self.expr(value, Value::Name(g), out);
    }

    /// The adjoint of `var = value` for a matrix `var`.
    pub(super) fn assign_matrix(&self, var: VarId, value: &'a Expr, out: &mut Vec<RevStmt<'a>>) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        // `h += e` and `h -= e`: the adjoint of `h` passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if matches!(a.op, Op::Var(v) if v == var) && !reads_var(e, var) {
                let seed = MatrixSeed::Scaled {
                    m: quote!(&#b),
                    alpha: (*op == Binary::Sub)
                        .then(|| Value::Expr(quote!(#rt::cst::<#scalar>(-1.0)))),
                };
                self.matrix(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        out.push(RevStmt::TakeMatrix {
            name: g.clone(),
            var,
        });
        let seed = MatrixSeed::Scaled {
            m: quote!(&#g),
            alpha: None,
        };
        self.matrix(value, seed, out);
    }

    pub(super) fn block(&self, b: &'a Block, first: StmtId, depth: usize) -> Sweeps<'a> {
        let em = self.em;
        let mut fwd = Vec::new();
        let mut revs = Vec::new();
        for (id, s) in b.numbered(first) {
            let (f, r) = self.stmt(s, id, depth);
            fwd.extend(f);
            revs.push(r);
        }
        let mut rev = Vec::new();
        if depth > 0 {
            // Bindings of this scope: what the reverse of the scope needs of them.
            for s in &b.stmts {
                let vars: Vec<VarId> = match s {
                    Stmt::Let { var, .. } => vec![*var],
                    Stmt::Call(c) => c.results.clone(),
                    _ => continue,
                };
                for v in vars {
                    // An active array or matrix is kept for its adjoint's shape, unless that
                    // is static (`[f64; N]`).
                    let shaped = !em.var(v).kind.static_shape();
                    let active = em.is_active(v);
                    if self.plan.needed[v] || (active && shaped) {
                        if self.plan.recompute[v] {
                            if let Stmt::Let { init, .. } = s {
                                rev.push(RevStmt::Recompute { var: v, init });
                            }
                        } else {
                            let slot = self.saves.slot(em, depth, &em.var(v).name);
                            fwd.push(RevStmt::Save {
                                slot: slot.clone(),
                                value: Saved::Var(v),
                                cond: None,
                            });
                            rev.push(RevStmt::Rebind { var: v, slot });
                        }
                    }
                    if active {
                        rev.push(RevStmt::Zero(v));
                    }
                }
            }
        }
        for r in revs.into_iter().rev() {
            rev.extend(r);
        }
        (fwd, rev)
    }

    pub(super) fn stmt(&self, s: &'a Stmt, id: StmtId, depth: usize) -> Sweeps<'a> {
        let mut fwd = Vec::new();
        let mut rev = Vec::new();
        let keep = self.useful.as_ref().is_none_or(|u| u.contains(&id));
        let kept = |stmt: RevStmt<'a>| if keep { stmt } else { RevStmt::Skipped { id } };
        match s {
            // Kept in the forward sweep at its place (it reads the forward values there); no
            // reverse.
            Stmt::Assert(assert) => fwd.push(kept(RevStmt::Assert { id, assert })),
            Stmt::Let { var, init, .. } => {
                fwd.push(kept(RevStmt::Let {
                    id,
                    var: *var,
                    init,
                }));
                if self.em.is_active(*var) {
                    if depth == 0 && !self.pushed.contains(var) {
                        fwd.push(RevStmt::Zero(*var));
                    }
                    self.adjoint(Some(id), &mut rev, |out| self.init(*var, init, out));
                }
            }
            Stmt::Assign { place, value, .. } => {
                self.save_place(id, place, depth, &mut fwd, &mut rev);
                if self.em.is_active(place.var()) {
                    self.adjoint(Some(id), &mut rev, |out| self.assign(place, value, out));
                }
                fwd.push(kept(RevStmt::Assign { id, place, value }));
            }
            Stmt::Call(c) => self.call(id, keep, c, depth, &mut fwd, &mut rev),
            Stmt::For {
                var, range, body, ..
            } => self.for_loop(id, *var, range, body, depth, &mut fwd, &mut rev),
            Stmt::While {
                cond, body, trips, ..
            } => self.while_loop(id, cond, *trips, body, depth, &mut fwd, &mut rev),
            Stmt::If {
                cond, then, els, ..
            } => self.branch(id, cond, [then, els], depth, &mut fwd, &mut rev),
        }
        (fwd, rev)
    }

    /// The save of the value that assignment `id` overwrites, and its restore, when the plan
    /// says the reverse sweep reads it.
    fn save_place(
        &self,
        id: StmtId,
        place: &'a Place,
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) {
        if let Place::Push(var, _) = place {
            // Taken off again whatever the plan: the reverse of what ran before the push reads
            // the length it had there.
            rev.push(RevStmt::Unpush { id, var: *var });
            return;
        }
        if !self.plan.saves.contains(&id) {
            return;
        }
        let em = self.em;
        let var = place.var();
        let slot = self.saves.slot(em, depth, &em.var(var).name);
        fwd.push(RevStmt::Save {
            slot: slot.clone(),
            value: Saved::Place {
                place,
                clone: em.var(var).kind == Kind::Matrix,
            },
            cond: None,
        });
        // Put the old value back before the adjoint reads it.
        rev.push(RevStmt::Restore { id, place, slot });
    }

    /// A `for` loop: its body's sweeps, the reverse run backwards (or in gather form).
    #[allow(clippy::too_many_arguments)] // one statement's context
    fn for_loop(
        &self,
        id: StmtId,
        var: VarId,
        range: &'a Range,
        body: &'a Block,
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) {
        let (mut bf, mut br) = self.block(body, id.inner(), depth + 1);
        let stencil = self.plan.stencils.iter().find(|st| st.id == id);
        let gather = stencil.and_then(|st| self.gather(st, var, range, body));
        // Fixed-size arrays the loop overwrites are saved whole (see `snapshot.rs`).
        let (before, after) = match gather {
            Some(_) => Default::default(),
            None => self.snapshots(depth, &mut bf, &mut br),
        };
        fwd.extend(before);
        if !bf.is_empty() {
            fwd.push(RevStmt::For {
                var,
                range,
                body: bf,
            });
        }
        if let Some(g) = gather {
            rev.push(g);
        } else if !br.is_empty() {
            rev.push(RevStmt::ReverseFor {
                var,
                range,
                body: br,
            });
        }
        rev.extend(after);
    }

    /// A `while` loop, by Tapenade's scheme: the forward sweep counts the iterations, the
    /// reverse sweep runs the body's reverse that many times.
    #[allow(clippy::too_many_arguments)] // one statement's context
    fn while_loop(
        &self,
        id: StmtId,
        cond: &'a Expr,
        trips: VarId,
        body: &'a Block,
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) {
        let (bf, br) = self.block(body, id.inner(), depth + 1);
        let counted = !br.is_empty();
        fwd.push(RevStmt::While {
            cond,
            trips,
            counted,
            body: bf,
        });
        if counted {
            let slot = self.saves.slot(self.em, depth, "trips");
            fwd.push(RevStmt::Save {
                slot: slot.clone(),
                value: Saved::Var(trips),
                cond: None,
            });
            rev.push(RevStmt::ReverseWhile {
                trips,
                slot,
                body: br,
            });
        }
    }

    /// A branch: replayed from its saved decision when either side has a reverse.
    fn branch(
        &self,
        id: StmtId,
        cond: &'a Expr,
        [then, els]: [&'a Block; 2],
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) {
        let em = self.em;
        let (tf, tr) = self.block(then, id.inner(), depth + 1);
        let (ef, er) = self.block(els, id.els(then), depth + 1);
        if tr.is_empty() && er.is_empty() {
            fwd.push(RevStmt::If {
                cond: Cond::Expr(cond),
                then: tf,
                els: ef,
            });
            return;
        }
        let taken = em.temp("branch");
        fwd.push(RevStmt::Decide {
            name: taken.clone(),
            cond,
        });
        let decision = if depth == 0 {
            crate::ir::rev::Slot {
                name: taken.clone(),
                stack: false,
            }
        } else {
            let slot = self.saves.slot(em, depth, "branch");
            fwd.push(RevStmt::Save {
                slot: slot.clone(),
                value: Saved::Decision(taken.clone()),
                cond: None,
            });
            slot
        };
        fwd.push(RevStmt::If {
            cond: Cond::Decision(taken),
            then: tf,
            els: ef,
        });
        rev.push(RevStmt::Replay {
            decision,
            then: tr,
            els: er,
        });
    }

    #[allow(clippy::too_many_arguments)] // one statement's context
    pub(super) fn call(
        &self,
        id: StmtId,
        keep: bool,
        c: &'a Call,
        depth: usize,
        fwd: &mut Vec<RevStmt<'a>>,
        rev: &mut Vec<RevStmt<'a>>,
    ) {
        let em = self.em;
        let active = c.args.iter().any(|a| arg_active(a, &em.active));
        // Arrays the call may write: their state before the call, for the callee's adjoint and for
        // the caller's reverse sweep before this point. The callee's `__{name}_args` says, at
        // compile time, whether it writes the argument and reads its incoming value; the
        // snapshot is taken only when it matters.
        let effects = em.companion(&c.callee, "ARGS");
        let mut snapshots = Vec::new();
        for (k, a) in c.args.iter().enumerate() {
            if let Arg::ArrayMut { var, .. } = a {
                let needed = self.plan.caller_needs.contains(&(id, *var));
                if !(active || needed) {
                    continue;
                }
                let cond = if needed {
                    quote!(#effects[#k].1)
                } else {
                    quote!((#effects[#k].1 && #effects[#k].0))
                };
                let slot = self.saves.slot(em, depth, &em.var(*var).name);
                fwd.push(RevStmt::Save {
                    slot: slot.clone(),
                    value: Saved::ArrayCopy(*var),
                    cond: Some(cond.clone()),
                });
                snapshots.push((*var, cond, slot));
            }
        }
        // The reverse-only companion skips a call whose results its reverse sweep never reads.
        fwd.push(if keep {
            RevStmt::Call { id, call: c }
        } else {
            RevStmt::Skipped { id }
        });
        let mut restore_before = Vec::new();
        let mut restore_after = Vec::new();
        for (var, cond, slot) in snapshots {
            let before = em.temp("before_call");
            restore_before.push(RevStmt::RestoreArg {
                var,
                before: before.clone(),
                cond,
                slot,
            });
            if self.plan.caller_needs.contains(&(id, var)) || !active {
                restore_after.push(RevStmt::RestoreAgain { id, var, before });
            }
        }
        if depth == 0 {
            // Results are active when the call is, or when active values are assigned to them
            // later.
            for &r in &c.results {
                if em.is_active(r) {
                    fwd.push(RevStmt::Zero(r));
                }
            }
        }
        rev.extend(restore_before);
        if !active {
            // A constant call: nothing disturbs the argument after its first restore, but the
            // restore again is what tells liveness that the reverse sweep above reads the
            // argument's state before the call (`caller_needs`), so that it is saved at all.
            rev.extend(restore_after);
            return;
        }
        // The callee's reverse-only companion: it recomputes only what its reverse sweep reads.
        self.adjoint(Some(id), rev, |out| {
            let args = self.reverse_call_args(c);
            out.push(RevStmt::ReverseCall { call: c, args });
        });
        rev.extend(restore_after);
    }

    /// The arguments of a callee's reverse companion: each primal argument followed by its
    /// adjoint, then the seeds of the results. An inactive argument's adjoint is a zero wrapped
    /// in `Inactive`/`InactiveArray`: it derefs to what an active parameter takes, and is the
    /// only adjoint a parameter outside the callee's `wrt(..)` accepts (`runtime/src/data.rs`).
    fn reverse_call_args(&self, c: &'a Call) -> Vec<TokenStream> {
        let em = self.em;
        for a in &c.args {
            a.reads(&mut self.reads.borrow_mut());
        }
        let primal_args = em.primal_args(&c.args);
        let paired = em.paired(c);
        let mut args = Vec::new();
        for (k, (a, p)) in c.args.iter().zip(primal_args).enumerate() {
            args.push(p);
            // An active argument's adjoint is spanned at the argument: a callee that leaves its
            // parameter outside `wrt(..)` refuses it there.
            let span = c.arg_spans.get(k).copied().unwrap_or(c.span);
            match a {
                Arg::Value(e) if e.kind == Kind::Real => {
                    args.push(match &e.op {
                        Op::Var(v) if em.is_active(*v) => {
                            let b = em.bar(*v);
                            em.at_argument(span, quote!(&mut #b))
                        }
                        _ => {
                            let (rt, z) = (&em.rt, em.zero());
                            quote!(&mut #rt::Inactive(#z))
                        }
                    });
                }
                Arg::Value(e) => {
                    if let Some((v, by_ref)) = em.data_row_arg(e) {
                        args.push(em.data_row(v, by_ref, Some(true)));
                    } else if paired {
                        // The unread adjoint of an integer or bool for `rev_paired`.
                        args.push(quote!(&mut ()));
                    }
                }
                Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                    if em.is_active(*var) {
                        let b = self.bar_slice(*var);
                        args.push(em.at_argument(span, em.nested_arg(*var, quote!(&mut #b), true)));
                    } else {
                        args.push(em.zero_array_arg(*var, true, true));
                    }
                }
                Arg::Matrix { var, .. } => {
                    if em.is_active(*var) {
                        args.push(em.bar_mut(*var));
                    } else {
                        let (rt, r) = (&em.rt, em.var_mat_ref(*var));
                        args.push(quote!(&mut #rt::Inactive(#rt::zeros_like(#r))));
                    }
                }
            }
        }
        if !c.results.is_empty() {
            let seeds: Vec<TokenStream> = c
                .results
                .iter()
                .map(|&r| {
                    let b = em.bar(r);
                    match em.var(r).kind {
                        Kind::Real => quote!(#b),
                        Kind::Matrix => em.bar_ref(r),
                        _ => em.nested_arg(r, quote!(&#b[..]), false),
                    }
                })
                .collect();
            args.push(if c.tuple {
                quote!((#(#seeds,)*))
            } else {
                quote!(#(#seeds)*)
            });
        }
        args
    }
}

/// Whether `e` reads exactly `place` (the `x` of `x = x + e`).
pub(super) fn same_place(place: &Place, e: &Expr) -> bool {
    match (place, &e.op) {
        (Place::Var(v), Op::Var(w)) => v == w,
        (Place::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

/// Structural equality of inactive index expressions.
pub(super) fn same_expr(a: &Expr, b: &Expr) -> bool {
    use quote::ToTokens;
    match (&a.op, &b.op) {
        (Op::Var(x), Op::Var(y)) | (Op::Len(x), Op::Len(y)) => x == y,
        (Op::Lit(Literal::Other(x)), Op::Lit(Literal::Other(y))) => {
            x.to_token_stream().to_string() == y.to_token_stream().to_string()
        }
        (Op::Binary(o, x1, y1), Op::Binary(p, x2, y2)) => {
            o == p && same_expr(x1, x2) && same_expr(y1, y2)
        }
        (Op::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

pub(super) fn reads_var(e: &Expr, v: VarId) -> bool {
    let mut r = Vec::new();
    e.reads(&mut r);
    r.contains(&v)
}
