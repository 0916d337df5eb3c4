//! Dead resets of adjoints. Taking an overwritten element's adjoint out zeroes it
//! (`let t = s_bar[i]; s_bar[i] = 0;`), and a stencil loop's gather-form reverse zeroes the
//! adjoints of the elements it wrote, so that adjoints accumulated into the array later start
//! from zero. When nothing reads the array's adjoint after that, the zero is a dead store: it
//! is left out.
//!
//! The rule, for a local array `s` (not a parameter: a parameter's adjoint is the caller's) at
//! the top level of the reverse sweep, when no later top-level statement names `s_bar` (checked
//! on the printed code, so any mention counts, whatever its form):
//!
//! - a take at the top level of an adjoint statement, when the rest of that statement does not
//!   name `s_bar`;
//! - a take in the body of a top-level reversed loop, indexed by the loop's variable itself
//!   (each iteration reads its own element, so no later iteration reads the one it did not
//!   zero), when the rest of the loop does not name `s_bar`;
//! - the zeroing of `s`'s adjoint after a gather, which is the gather's last statement.
//!
//! A later statement may still name `s_bar` in takes of other elements: takes at the top level
//! of an adjoint statement, at integer literal indices that the reset did not zero (another
//! literal index than a take's own; outside the gather's range when its bounds are literals and
//! it zeroes `s_bar[i]` over them).
//!
//! Exact: the zeroed elements are never read again, so the values the companion computes do
//! not change, and neither does the verifier's view of the primal values (a take reads none).
//!
//! Before: `for i in (0..40).rev() { let a = out_bar[i]; out_bar[i] = 0; u_bar[i] += a; }` at
//! the end of the function.
//! After: `for i in (0..40).rev() { let a = out_bar[i]; u_bar[i] += a; }`.

use crate::emit::Emitter;
use crate::ir::rev::{RevStmt, Target};
use crate::ir::*;
use proc_macro2::{TokenStream, TokenTree};

/// Leaves out the resets of `reverse` (a reverse sweep's top level) that nothing reads.
pub(super) fn drop_dead_resets(em: &Emitter, reverse: &mut [RevStmt]) {
    // The code of each top-level statement, as printed before any reset is left out (the
    // mentions only get fewer).
    let printed: Vec<TokenStream> = reverse
        .iter()
        .map(|s| em.rev_stmts(std::slice::from_ref(s)))
        .collect();
    let view: Vec<RevStmt> = reverse.to_vec();
    for p in 0..reverse.len() {
        // Whether the elements of `v`'s adjoint that `zeroed` says were zeroed are read after
        // statement `p`.
        let dead = |v: VarId, zeroed: &dyn Fn(usize) -> bool| {
            let local = !em.f.params.iter().any(|q| q.var == v);
            let b = em.bar(v).to_string();
            local
                && view[p + 1..]
                    .iter()
                    .zip(&printed[p + 1..])
                    .all(|(s, t)| mentions(t, &b) == elsewhere(em, s, v, &b, zeroed))
        };
        match &mut reverse[p] {
            RevStmt::Adjoint { body, .. } => {
                let whole = printed[p].clone();
                drop_takes(em, body, None, &whole, &dead);
            }
            RevStmt::ReverseFor { var, body, .. } => {
                let (i, whole) = (*var, printed[p].clone());
                for s in body.iter_mut() {
                    match s {
                        RevStmt::Adjoint { body, .. } => {
                            drop_takes(em, body, Some(i), &whole, &dead)
                        }
                        RevStmt::Take { .. } => {
                            drop_takes(em, std::slice::from_mut(s), Some(i), &whole, &dead)
                        }
                        _ => {}
                    }
                }
            }
            RevStmt::Gather(g) => {
                let range =
                    literal_bound(&g.bounds, &g.start).zip(literal_bound(&g.bounds, &g.end));
                let var = g.var;
                g.zero.retain(|(v, here)| {
                    let own = matches!(here.op, Op::Var(w) if w == var);
                    match range {
                        Some((s, e)) if own => !dead(*v, &|k| (s..e).contains(&k)),
                        _ => !dead(*v, &|_| true),
                    }
                });
            }
            _ => {}
        }
    }
}

/// How many of the mentions of `v`'s adjoint `b` in the later statement `s` are takes of
/// elements at constant indices that were not zeroed (`zeroed` says which were), at the top
/// level of an adjoint statement: those read none of the zeroed elements.
fn elsewhere(
    em: &Emitter,
    s: &RevStmt,
    v: VarId,
    b: &str,
    zeroed: &dyn Fn(usize) -> bool,
) -> usize {
    let RevStmt::Adjoint { body, .. } = s else {
        return 0;
    };
    body.iter()
        .filter(|t| match t {
            RevStmt::Take {
                target: Target::Index(w, i),
                ..
            } => *w == v && constant(i).is_some_and(|k| !zeroed(k)),
            _ => false,
        })
        .map(|t| mentions(&em.rev_stmts(std::slice::from_ref(t)), b))
        .sum()
}

/// The value of an integer literal index.
fn constant(e: &Expr) -> Option<usize> {
    match &e.op {
        Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse().ok(),
        _ => None,
    }
}

/// The value of the gather bound `name` when it is an integer literal.
fn literal_bound(
    bounds: &[(proc_macro2::Ident, TokenStream)],
    name: &proc_macro2::Ident,
) -> Option<usize> {
    let (_, v) = bounds.iter().find(|(n, _)| n == name)?;
    syn::parse2::<syn::LitInt>(v.clone())
        .ok()?
        .base10_parse()
        .ok()
}

/// Whether the elements of an array's adjoint that the second argument says were zeroed are
/// read later.
type Dead<'d> = dyn Fn(VarId, &dyn Fn(usize) -> bool) -> bool + 'd;

/// Turns off the reset of each take in `stmts` whose array's adjoint `dead` says nothing reads
/// later, when the code `whole` around it names that adjoint only in this take, and (in a loop
/// over `index`) the take is indexed by the loop's variable.
fn drop_takes(
    em: &Emitter,
    stmts: &mut [RevStmt],
    index: Option<VarId>,
    whole: &TokenStream,
    dead: &Dead,
) {
    for s in stmts {
        let RevStmt::Take {
            target: Target::Index(v, i),
            reset,
            ..
        } = s
        else {
            continue;
        };
        // The elements the take zeroes: its own constant index, or (in a loop) every element.
        let (own, at) = match index {
            Some(k) => (matches!(i.op, Op::Var(w) if w == k), None),
            None => (true, constant(i)),
        };
        let zeroed = |k: usize| at.is_none_or(|c| c == k);
        if !*reset || !own || !dead(*v, &zeroed) {
            continue;
        }
        let b = em.bar(*v).to_string();
        let here = mentions(&em.rev_stmts(std::slice::from_ref(s)), &b);
        if mentions(whole, &b) == here {
            if let RevStmt::Take { reset, .. } = s {
                *reset = false;
            }
        }
    }
}

/// How many times the identifier `name` occurs in `t`.
pub(super) fn mentions(t: &TokenStream, name: &str) -> usize {
    t.clone()
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) => usize::from(i == name),
            TokenTree::Group(g) => mentions(&g.stream(), name),
            _ => 0,
        })
        .sum()
}
