//! Tests of the reverse IR: the verifier accepts what the transform builds and rejects it
//! broken; the values the adjoints read, found in the code they print, agree with the rule
//! table's reads.

use super::plan::plan;
use super::*;
use crate::activity::expr_active;
use crate::ir::rev::verify::verify;
use crate::rules::{Operand, Reads};
use std::collections::HashSet;

const CASES: &[&str] = &[
    "fn f(x: f64, y: f64) -> f64 { let a = x * y; let b = a.sin() + x / y; b * b }",
    "fn g(x: &[f64]) -> f64 { let mut t = 1.0; for i in 0..x.len() { let a = x[i] * 2.0; if a > t { t = t * a; } else { t = t + a.exp(); } } t }",
    "fn two_steps(u: &mut [f64], h: f64) -> f64 { let mut k = vec![0.0; u.len()]; rhs(&mut k, u); for i in 0..u.len() { u[i] = u[i] + h * k[i]; } rhs(&mut k, u); let mut s = 0.0; for i in 0..u.len() { u[i] = u[i] * k[i]; s = s + u[i] * h; } s }",
    "fn quad(a: &DMatrix<f64>, x: &DVector<f64>, u: &[f64], n: usize) -> f64 { let v = DVector::from_column_slice(u); let y = a * x + v.component_mul(x); let mut acc = y.dot(x); for j in 0..n { let c = a.column(j); acc = acc + c.norm() * a[(0, j)]; } acc + y.transpose().sum() }",
    "fn h(u: &[f64]) -> f64 { let mut s = 0.0; for i in 0..u.len() { let mut w = u[i]; for j in 0..3 { let p = w * s; w = w.sin() * p; } s = s + w; } s }",
    "fn w(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { let mut v = x[i]; let mut m = 0; while v.abs() > 0.1 && m < 50 { v = v * 0.5 + s * 0.01; m += 1; if m == 7 { continue; } s = s + v.sin(); } if s > 10.0 { break; } } s }",
    // A fixed-size array saved whole before the loops that overwrite it (`snapshot.rs`), once
    // at the top level and once per iteration of an enclosing loop.
    "fn stages(u: [f64; 3]) -> f64 { let k1: [f64; 3] = rhs(u); let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + 0.1 * k1[i]; } let k2: [f64; 3] = rhs(s); for i in 0..3 { s[i] = u[i] * k2[i]; } let mut j = s[0] * s[1] + k2[2]; for k in 0..2 { let n: [f64; 3] = rhs(s); for i in 0..3 { s[i] = n[i]; } j += s[0] * s[2]; } j }",
    "fn fixed(p: &[f64]) -> f64 { let mut x = p[0]; 'outer: loop { let y = (x * p[1]).cos(); let e = (y - x).abs(); x = y; match e < 1e-9 { true => break 'outer, false => {} } } x * x }",
];

fn lowered(src: &str) -> (Function, IdVec<VarId, bool>) {
    let item: syn::ItemFn = syn::parse_str(src).expect("parses");
    let args = crate::attr::parse(Default::default()).expect("no args");
    let f = crate::lower::lower(&item, &args).expect("lowers");
    let active = crate::activity::analyse(&f, None);
    (f, active)
}

/// Builds the reverse IR of `src`'s `f_vjp` and hands it, after `edit`, to `check`.
fn with_ir(
    src: &str,
    reverse_only: bool,
    edit: impl FnOnce(&Function, &mut RevFunction),
    check: impl FnOnce(&Function, &RevFunction),
) {
    let (f, active) = lowered(src);
    let em = Emitter::new(&f, active.clone(), syn::parse_quote!(::tapeless), false);
    let p = plan(&em, true);
    let mut ir = build(&em, &p, reverse_only);
    edit(&f, &mut ir);
    check(&f, &ir);
}

/// Removes the first statement (depth first, in order) that `pred` picks.
fn remove<'a>(
    stmts: &mut Vec<RevStmt<'a>>,
    pred: &dyn Fn(&RevStmt) -> bool,
) -> Option<RevStmt<'a>> {
    if let Some(k) = stmts.iter().position(pred) {
        return Some(stmts.remove(k));
    }
    for s in stmts.iter_mut() {
        let found = match s {
            RevStmt::For { body, .. }
            | RevStmt::ReverseFor { body, .. }
            | RevStmt::While { body, .. }
            | RevStmt::ReverseWhile { body, .. }
            | RevStmt::Adjoint { body, .. } => remove(body, pred),
            RevStmt::If { then, els, .. } | RevStmt::Replay { then, els, .. } => {
                remove(then, pred).or_else(|| remove(els, pred))
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn problems_after(src: &str, edit: impl FnOnce(&Function, &mut RevFunction)) -> String {
    let mut out = String::new();
    with_ir(src, false, edit, |f, ir| out = verify(f, ir).join("; "));
    out
}

#[test]
fn the_reverse_ir_of_every_case_verifies() {
    for src in CASES {
        for reverse_only in [false, true] {
            with_ir(
                src,
                reverse_only,
                |_, _| {},
                |f, ir| {
                    assert_eq!(verify(f, ir), Vec::<String>::new(), "{src}");
                },
            );
        }
    }
}

#[test]
fn a_trip_count_not_saved_or_popped_elsewhere_is_found() {
    // The inner `while` of CASES[5] pushes its trip count in the body of the outer loop.
    let p = problems_after(CASES[5], |_, ir| {
        remove(
            &mut ir.forward,
            &|s| matches!(s, RevStmt::Save { slot, .. } if slot.name.to_string().contains("trips")),
        )
        .expect("a trip count saved");
    });
    assert!(
        p.contains("is never pushed") || p.contains("before anything is saved"),
        "{p}"
    );
    let p = problems_after(CASES[5], |_, ir| {
        // The outer loop stops early, so it is a `while` too: move its inner one out of it.
        let outer = ir
            .reverse
            .iter_mut()
            .find_map(|s| match s {
                RevStmt::ReverseWhile { body, .. } => Some(body),
                _ => None,
            })
            .expect("the outer loop reversed");
        let reversed = remove(outer, &|s| matches!(s, RevStmt::ReverseWhile { .. }))
            .expect("the inner loop reversed");
        ir.reverse.push(reversed);
    });
    assert!(p.contains("pushed in scope"), "{p}");
}

#[test]
fn a_missing_restore_is_an_overwritten_read() {
    let p = problems_after(CASES[1], |_, ir| {
        remove(&mut ir.reverse, &|s| matches!(s, RevStmt::Restore { .. })).expect("a restore");
    });
    assert!(p.contains("reads `t`, which is overwritten"), "{p}");
    assert!(p.contains("is never popped"), "{p}");
}

#[test]
fn a_missing_push_is_found() {
    let p = problems_after(CASES[1], |_, ir| {
        remove(
            &mut ir.forward,
            &|s| matches!(s, RevStmt::Save { slot, .. } if slot.stack),
        )
        .expect("a push");
    });
    assert!(
        p.contains("is never pushed") || p.contains("before anything is saved"),
        "{p}"
    );
}

#[test]
fn a_loop_local_not_brought_back_is_out_of_scope() {
    let p = problems_after(CASES[1], |_, ir| {
        remove(&mut ir.reverse, &|s| matches!(s, RevStmt::Recompute { .. })).expect("a recompute");
    });
    assert!(p.contains("reads `a`, which is not in scope"), "{p}");
}

#[test]
fn a_pop_outside_its_loop_is_found() {
    let p = problems_after(CASES[2], |_, ir| {
        let restore =
            remove(&mut ir.reverse, &|s| matches!(s, RevStmt::Restore { .. })).expect("a restore");
        ir.reverse.push(restore);
    });
    assert!(p.contains("pushed in scope"), "{p}");
}

#[test]
fn a_restore_after_the_adjoint_is_too_late() {
    let p = problems_after(CASES[2], |_, ir| {
        let RevStmt::ReverseFor { body, .. } = &mut ir.reverse[0] else {
            panic!("the reverse sweep starts with the last loop")
        };
        let k = body
            .iter()
            .position(|s| matches!(s, RevStmt::Restore { .. }))
            .expect("a restore");
        body.swap(k, k + 1);
    });
    assert!(p.contains("reads `u`, which is overwritten"), "{p}");
}

#[test]
fn an_argument_not_put_back_before_the_reverse_call_is_found() {
    let p = problems_after(CASES[2], |_, ir| {
        remove(&mut ir.reverse, &|s| {
            matches!(s, RevStmt::RestoreArg { .. })
        })
        .expect("a restore");
    });
    assert!(p.contains("reads `k`, which is overwritten"), "{p}");
}

#[test]
fn a_value_not_restored_for_the_previous_iteration_is_found() {
    // In the inner loop, `w` is overwritten every iteration: without its restore the reverse of
    // one iteration hands the next a wrong `w`.
    let p = problems_after(CASES[4], |f, ir| {
        let w = f
            .vars
            .iter_enumerated()
            .find(|(_, v)| v.name == "w")
            .expect("w")
            .0;
        remove(
            &mut ir.reverse,
            &|s| matches!(s, RevStmt::Restore { place: Place::Var(v), .. } if *v == w),
        )
        .expect("a restore of w");
    });
    assert!(p.contains("`w`"), "{p}");
}

#[test]
fn the_reverse_only_companion_must_keep_what_its_reverse_reads() {
    // Skipping the forward statement that computes `a` leaves the reverse sweep reading a
    // value that was never computed.
    let mut p = String::new();
    with_ir(
        CASES[0],
        true,
        |_, ir| {
            let k = ir
                .forward
                .iter()
                .position(|s| matches!(s, RevStmt::Let { .. }))
                .expect("a let");
            let RevStmt::Let { id, .. } = ir.forward[k] else {
                unreachable!()
            };
            ir.forward[k] = RevStmt::Skipped { id };
        },
        |f, ir| p = verify(f, ir).join("; "),
    );
    assert!(p.contains("not in scope"), "{p}");
}

/// The primal values the generated adjoints read, found in the code they print, are those the
/// rule table says each operation's adjoint reads (what the save analysis relies on).
#[test]
fn adjoints_read_what_the_rule_table_says() {
    fn walk(stmts: &[RevStmt], out: &mut Vec<(StmtId, Vec<VarId>)>) {
        for s in stmts {
            match s {
                RevStmt::Adjoint {
                    id: Some(id),
                    reads,
                    ..
                } => out.push((*id, reads.clone())),
                RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                    walk(body, out)
                }
                RevStmt::Replay { then, els, .. } => {
                    walk(then, out);
                    walk(els, out);
                }
                _ => {}
            }
        }
    }
    for src in CASES {
        let (f, active) = lowered(src);
        let mut stmts = std::collections::HashMap::new();
        f.body.walk_numbered(StmtId::FIRST, &mut |id, s| {
            stmts.insert(id, s);
        });
        with_ir(
            src,
            false,
            |_, _| {},
            |_, ir| {
                let mut adjoints = Vec::new();
                walk(&ir.reverse, &mut adjoints);
                assert!(!adjoints.is_empty());
                for (id, reads) in adjoints {
                    let mut table = Vec::new();
                    match stmts[&id] {
                        Stmt::Let { init, .. } => init_partial_reads(init, &active, &mut table),
                        Stmt::Assign { place, value, .. } => {
                            if let Place::Index(_, i) = place {
                                i.reads(&mut table);
                            }
                            partial_reads(value, &active, &mut table);
                        }
                        Stmt::Call(c) => c.args.iter().for_each(|a| a.reads(&mut table)),
                        Stmt::For { .. }
                        | Stmt::While { .. }
                        | Stmt::If { .. }
                        | Stmt::Assert(_) => {
                            unreachable!("not differentiated")
                        }
                    }
                    let (mut a, mut b) = (reads, table);
                    a.sort();
                    a.dedup();
                    b.sort();
                    b.dedup();
                    assert_eq!(a, b, "{src}: statement {}", id.0);
                }
            },
        );
    }
}

/// The forward sweep of `__f_rev` printed, its statements chosen by dead-code elimination over
/// the IR (`None`) or given.
fn reverse_only_forward(
    src: &str,
    useful: impl Fn(&Function, &IdVec<VarId, bool>, &Plan) -> Option<HashSet<StmtId>>,
) -> String {
    let (f, active) = lowered(src);
    let em = Emitter::new(&f, active.clone(), syn::parse_quote!(::tapeless), false);
    let p = plan(&em, true);
    let ir = build_with(&em, &p, true, useful(&f, &active, &p));
    em.rev_stmts(&ir.forward).to_string()
}

/// Dead-code elimination over the reverse IR keeps what the plan's mirror of the rules
/// (`useful_statements`) keeps, where the rule table's reads are exact.
#[test]
fn dead_code_elimination_over_the_ir_keeps_what_the_plan_keeps() {
    for src in CASES {
        let by_ir = reverse_only_forward(src, |_, _, _| None);
        let by_plan =
            reverse_only_forward(src, |f, a, p| Some(super::plan::useful_statements(f, a, p)));
        assert_eq!(by_ir, by_plan, "{src}");
        let everything = reverse_only_forward(src, |_, _, _| Some(Default::default()));
        assert_ne!(by_ir, everything, "{src}: nothing eliminated");
    }
}

/// The rule table says a quotient's adjoint reads both operands; the IR knows that `l / n`
/// with a constant `n` reads only `n`, so liveness over the IR finds `l` not needed, and
/// `__f_rev` need not sum `l` at all.
#[test]
fn dead_code_elimination_over_the_ir_drops_what_no_adjoint_reads() {
    let src = "fn mean_sq(u: &[f64]) -> f64 { let mut l = 0.0; for i in 0..u.len() { l = l + u[i] * u[i]; } l / (u.len() as f64) }";
    let by_ir = reverse_only_forward(src, |_, _, _| None);
    let by_plan =
        reverse_only_forward(src, |f, a, p| Some(super::plan::useful_statements(f, a, p)));
    assert!(!by_ir.contains("l = (l +"), "{by_ir}");
    assert_eq!(by_plan, by_ir);
    with_ir(
        src,
        true,
        |_, _| {},
        |f, ir| {
            assert_eq!(verify(f, ir), Vec::<String>::new());
        },
    );
}

/// Reads of the values that the adjoint of `e` multiplies by (its partial derivatives), as
/// each operation's entry in the rule table says: an oracle, independent of the code the seeds
/// print, for the reads the adjoints record (which the liveness analysis relies on).
fn partial_reads(e: &Expr, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
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
        | Op::Field(..)
        | Op::AsReal(_) => {}
    }
}

/// The reads of an operation's adjoint, as its rule says, and those of its operands' adjoints.
fn rule_reads(
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
            let [x, y] = values else {
                panic!("products have two operands")
            };
            if expr_active(x, active) {
                y.reads(out);
            }
            if expr_active(y, active) {
                x.reads(out);
            }
        }
    }
    indices.iter().for_each(|i| i.reads(out));
    values.iter().for_each(|v| partial_reads(v, active, out));
}

fn init_partial_reads(init: &Init, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
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

/// The reverse IR of `src`'s `f_vjp`, with the `k`th put-back (restore, rebind or recompute,
/// depth first) removed, if there is one.
fn without_put_back(src: &str, k: usize) -> Option<Vec<String>> {
    fn nth<'a>(stmts: &mut Vec<RevStmt<'a>>, k: &mut usize) -> bool {
        let mut i = 0;
        while i < stmts.len() {
            let put_back = matches!(
                stmts[i],
                RevStmt::Restore { .. }
                    | RevStmt::RestoreArray { .. }
                    | RevStmt::Rebind { .. }
                    | RevStmt::Recompute { .. }
            );
            if put_back {
                if *k == 0 {
                    stmts.remove(i);
                    return true;
                }
                *k -= 1;
            }
            let found = match &mut stmts[i] {
                RevStmt::ReverseFor { body, .. } | RevStmt::ReverseWhile { body, .. } => {
                    nth(body, k)
                }
                RevStmt::Replay { then, els, .. } => nth(then, k) || nth(els, k),
                _ => false,
            };
            if found {
                return true;
            }
            i += 1;
        }
        false
    }
    let removed = std::cell::Cell::new(false);
    let mut problems = Vec::new();
    with_ir(
        src,
        false,
        |_, ir| removed.set(nth(&mut ir.reverse, &mut { k })),
        |f, ir| problems = verify(f, ir),
    );
    removed.get().then_some(problems)
}

/// Liveness keeps no put-back the reverse sweep could do without: removing any one of them
/// makes the verifier find a read of a wrong value (or of a value out of scope).
#[test]
fn every_put_back_liveness_keeps_is_needed() {
    for src in CASES.iter().chain(LIVENESS_CASES) {
        let mut k = 0;
        while let Some(problems) = without_put_back(src, k) {
            assert!(!problems.is_empty(), "{src}: put-back {k} is not needed");
            k += 1;
        }
        assert!(k > 0 || !src.contains("for"), "{src}: no put-back");
    }
}

const LIVENESS_CASES: &[&str] = &[
    // `k` is overwritten after its last read: its old value is never read again.
    "fn f(x: &[f64]) -> f64 { let mut k = 0; let mut s = 0.0; for i in 0..x.len() { s = s + x[k] * x[i]; k = i; } k = 5; s * (k as f64) }",
    // `t` is overwritten in both branches, but only the adjoint of the product reads it.
    "fn g(x: &[f64]) -> f64 { let mut t = 1.0; for i in 0..x.len() { if x[i] > 0.0 { t = t * x[i]; } else { t = t + x[i]; } } t }",
];

/// The saves that liveness drops: an integer overwritten after its last reverse read, and a
/// value overwritten on a branch whose adjoint does not read it (the other branch's adjoint
/// restores it for itself).
#[test]
fn liveness_drops_saves_no_reverse_read_uses() {
    for (src, restores) in LIVENESS_CASES.iter().zip([1, 1]) {
        with_ir(
            src,
            false,
            |_, _| {},
            |f, ir| {
                assert_eq!(verify(f, ir), Vec::<String>::new(), "{src}");
                let text = crate::ir::rev::print(f, "f_vjp", ir);
                assert_eq!(text.matches("restore ").count(), restores, "{src}\n{text}");
            },
        );
    }
}

/// A stage buffer overwritten whole three times, read only by calls (`forwarding.rs` reads
/// its snapshots in place), and the same with a product of its values read between the call
/// and the next overwrite (its put-back must stay), and with the buffer passed `&mut`.
const IN_PLACE_CASES: &[(&str, usize)] = &[
    ("fn rk(u: [f64; 3]) -> [f64; 3] { let k1: [f64; 3] = rhs(u); let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + 0.1 * k1[i]; } let k2: [f64; 3] = rhs(s); for i in 0..3 { s[i] = u[i] + 0.1 * k2[i]; } let k3: [f64; 3] = rhs(s); for i in 0..3 { s[i] = u[i] + 0.2 * k3[i]; } let k4: [f64; 3] = rhs(s); let mut out = [0.0; 3]; for i in 0..3 { out[i] = k1[i] + k2[i] + k3[i] + k4[i]; } out }", 2),
    ("fn rk(u: [f64; 3]) -> f64 { let k1: [f64; 3] = rhs(u); let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + 0.1 * k1[i]; } let k2: [f64; 3] = rhs(s); let q = s[0] * s[1]; for i in 0..3 { s[i] = u[i] + 0.1 * k2[i]; } let k3: [f64; 3] = rhs(s); q + k3[0] * s[2] }", 0),
    ("fn rk(u: [f64; 3]) -> f64 { let k1: [f64; 3] = rhs(u); let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + 0.1 * k1[i]; } let mut k2 = [0.0; 3]; g(&mut k2, &mut s); for i in 0..3 { s[i] = u[i] + 0.1 * k2[i]; } let k3: [f64; 3] = rhs(s); k3[0] * s[2] }", 0),
];

#[test]
fn snapshots_are_read_in_place_only_when_calls_alone_read_them() {
    for (src, in_place) in IN_PLACE_CASES {
        for reverse_only in [false, true] {
            with_ir(
                src,
                reverse_only,
                |_, _| {},
                |f, ir| {
                    assert_eq!(verify(f, ir), Vec::<String>::new(), "{src}");
                    let text = crate::ir::rev::print(f, "f_vjp", ir);
                    let n = text.matches("(read in place)").count();
                    assert_eq!(n, *in_place, "{src}\n{text}");
                },
            );
        }
    }
}

/// Resets left out: the take of `s_bar[i]` in the first loop's reverse (nothing reads `s_bar`
/// later) and the take of `d_bar[0]` (later takes are of `d_bar[1]`, another literal index);
/// kept: `d_bar[1]`'s first take, which the adjoint of its first assignment reads again, and
/// `s_bar[i_1]`'s in the last loop's reverse, before a call that accumulates into `s_bar`.
#[test]
fn only_resets_nothing_reads_are_left_out() {
    let src = "fn f(u: [f64; 3]) -> f64 { let mut d = [0.0; 3]; d[1] = u[0] * u[1]; d[0] = u[2].sin(); d[1] = d[1] * u[2] + d[0]; let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] * d[1]; } let k: [f64; 3] = rhs(s); for i in 0..3 { s[i] = k[i] * k[i]; } s[0] + s[1] * s[2] + d[1] }";
    with_ir(
        src,
        false,
        |_, _| {},
        |f, ir| {
            assert_eq!(verify(f, ir), Vec::<String>::new());
            let text = crate::ir::rev::print(f, "f_vjp", ir);
            assert_eq!(text.matches("d_bar[1] = 0").count(), 1, "{text}");
            assert_eq!(text.matches("d_bar[0] = 0").count(), 0, "{text}");
            assert_eq!(text.matches("s_bar[i_1] = 0").count(), 1, "{text}");
            assert_eq!(text.matches("s_bar[i] = 0").count(), 0, "{text}");
        },
    );
}

/// The RK4-like stages: the last loop's reverse is the first access of `k1_bar`..`k4_bar`,
/// each element accumulated into once (`writes.rs` writes them); `s_bar` (a call accumulates
/// into it first) and the later loops' accumulations into `k1_bar`.. stay `+=`.
const RK4_LIKE: &str = "fn rk(u: [f64; 3]) -> [f64; 3] { let k1: [f64; 3] = rhs(u); let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + 0.1 * k1[i]; } let k2: [f64; 3] = rhs(s); for i in 0..3 { s[i] = u[i] + 0.1 * k2[i]; } let k3: [f64; 3] = rhs(s); for i in 0..3 { s[i] = u[i] + 0.2 * k3[i]; } let k4: [f64; 3] = rhs(s); let mut out = [0.0; 3]; for i in 0..3 { out[i] = u[i] + k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]; } out }";

/// Cases where the first accumulation must stay `+=`, with the adjoint that must keep it: a
/// partial range, an index other than the loop's variable, a read of the adjoint before (a
/// call accumulating into it), a conditional body, a length other than the range's, an
/// accumulation into the same element twice, a range over a parameter's adjoint.
const NOT_WRITTEN: &[(&str, &str)] = &[
    ("fn f(u: [f64; 3]) -> f64 { let mut k = [0.0; 3]; for i in 0..3 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..2 { j = j + k[i] * 2.0; } j }", "k_bar"),
    ("fn f(u: [f64; 4]) -> f64 { let mut k = [0.0; 4]; for i in 0..4 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { j = j + k[i + 1] * 2.0; } j }", "k_bar"),
    ("fn f(u: [f64; 3]) -> f64 { let k: [f64; 3] = rhs(u); let mut j = 0.0; for i in 0..3 { j = j + k[i] * u[i]; } let m: [f64; 3] = rhs(k); j + m[0] }", "k_bar"),
    ("fn f(u: [f64; 3]) -> f64 { let mut k = [0.0; 3]; for i in 0..3 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { if u[i] > 0.0 { j = j + k[i] * 2.0; } } j }", "k_bar"),
    ("fn f(u: [f64; 4]) -> f64 { let mut k = [0.0; 4]; for i in 0..4 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { j = j + k[i] * 2.0; } j + k[3] }", "k_bar"),
    ("fn f(u: [f64; 3]) -> f64 { let mut k = [0.0; 3]; for i in 0..3 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { j = j + k[i] * k[i]; } j }", "k_bar"),
    ("fn f(u: [f64; 3]) -> f64 { let mut j = 0.0; for i in 0..3 { j = j + u[i] * 2.0; } j }", "u_bar"),
];

#[test]
fn first_accumulations_are_written_only_when_every_element_is_first_accumulated() {
    for reverse_only in [false, true] {
        with_ir(
            RK4_LIKE,
            reverse_only,
            |_, _| {},
            |f, ir| {
                assert_eq!(verify(f, ir), Vec::<String>::new());
                let text = crate::ir::rev::print(f, "f_vjp", ir);
                for k in ["k1", "k2", "k3", "k4"] {
                    let written = format!("{k}_bar[i_3] = ");
                    assert_eq!(text.matches(&written).count(), 1, "{k}\n{text}");
                    let still = format!("{k}_bar[i_3] += ");
                    assert_eq!(text.matches(&still).count(), 0, "{k}\n{text}");
                }
                assert_eq!(text.matches("k1_bar[i] += ").count(), 1, "{text}");
                assert_eq!(text.matches("k3_bar[i_2] += ").count(), 1, "{text}");
                assert!(!text.contains("s_bar[i] = ("), "{text}");
            },
        );
    }
    // The case the others vary: the second loop's reverse writes `k_bar`.
    let base = "fn f(u: [f64; 3]) -> f64 { let mut k = [0.0; 3]; for i in 0..3 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { j = j + k[i] * 2.0; } j }";
    with_ir(
        base,
        false,
        |_, _| {},
        |f, ir| {
            let text = crate::ir::rev::print(f, "f_vjp", ir);
            // Written, then declared by the write (`declare.rs`): no zeros first.
            assert_eq!(text.matches("declare k_bar[i_1] = ").count(), 1, "{text}");
            assert!(!text.contains("zero k_bar"), "{text}");
        },
    );
    for (src, bar) in NOT_WRITTEN {
        with_ir(
            src,
            false,
            |_, _| {},
            |f, ir| {
                assert_eq!(verify(f, ir), Vec::<String>::new(), "{src}");
                let text = crate::ir::rev::print(f, "f_vjp", ir);
                let accumulated = format!("{bar}[");
                assert!(text.contains(&accumulated), "{src}\n{text}");
                assert!(
                    !text
                        .lines()
                        .any(|l| l.trim_start().starts_with(&accumulated)
                            && l.contains("] = ")
                            && !l.contains("= 0")),
                    "{src}\n{text}"
                );
            },
        );
    }
}

/// A stage adjoint first written by a loop whose written value reads an adjoint that the loop
/// zeroes (`s_bar`, taken out of the overwritten `s`): declaring `k_bar` before the loop would
/// zero `s_bar` too early, so the write stays in the loop.
const WRITE_READS_A_TAKE: &str = "fn f(u: [f64; 3]) -> [f64; 3] { let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] * u[i]; } let a: [f64; 3] = rhs(s); let k: [f64; 3] = rhs(u); for i in 0..3 { s[i] = u[i] + 0.1 * k[i]; } let b: [f64; 3] = rhs(s); let mut out = [0.0; 3]; for i in 0..3 { out[i] = a[i] + b[i]; } out }";

#[test]
fn adjoints_are_declared_by_their_first_writes_only_when_the_rule_allows() {
    for reverse_only in [false, true] {
        with_ir(
            RK4_LIKE,
            reverse_only,
            |_, _| {},
            |f, ir| {
                assert_eq!(verify(f, ir), Vec::<String>::new());
                let text = crate::ir::rev::print(f, "f_vjp", ir);
                for k in ["k1", "k2", "k3", "k4"] {
                    let declared = format!("declare {k}_bar[i_3] = ");
                    assert_eq!(text.matches(&declared).count(), 1, "{k}\n{text}");
                    assert!(!text.contains(&format!("zero {k}_bar")), "{k}\n{text}");
                }
                // `s_bar` is accumulated into by a call first: zeroed, not declared.
                assert!(text.contains("zero s_bar"), "{text}");
                assert!(!text.contains("declare s_bar"), "{text}");
            },
        );
    }
    // Written but not declared: the written value reads `s_bar`, which the loop zeroes.
    with_ir(
        WRITE_READS_A_TAKE,
        false,
        |_, _| {},
        |f, ir| {
            assert_eq!(verify(f, ir), Vec::<String>::new());
            let text = crate::ir::rev::print(f, "f_vjp", ir);
            assert!(
                text.contains("declare a_bar") && text.contains("declare b_bar"),
                "{text}"
            );
            assert_eq!(text.matches("k_bar[i_1] = ").count(), 1, "{text}");
            assert!(
                text.contains("zero k_bar") && !text.contains("declare k_bar"),
                "{text}"
            );
        },
    );
    // Not written, so not declared: the cases `writes.rs` leaves alone, and a loop that may
    // stop early (`break`).
    let stops = "fn f(u: [f64; 3]) -> f64 { let mut k = [0.0; 3]; for i in 0..3 { k[i] = u[i] * u[i]; } let mut j = 0.0; for i in 0..3 { j = j + k[i] * 2.0; if j > 5.0 { break; } } j }";
    for src in NOT_WRITTEN.iter().map(|(s, _)| *s).chain([stops]) {
        with_ir(
            src,
            false,
            |_, _| {},
            |f, ir| {
                assert_eq!(verify(f, ir), Vec::<String>::new(), "{src}");
                let text = crate::ir::rev::print(f, "f_vjp", ir);
                assert!(!text.contains("declare"), "{src}\n{text}");
            },
        );
    }
}
