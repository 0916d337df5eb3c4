//! Zeroed adjoints declared by their first writes. A local array's adjoint is zeroed when it is
//! declared (`let mut k_bar = [0; 40];`), and when a reversed loop over the whole array first
//! writes every element (`k_bar[i] = e`, see `writes.rs`), those zeros are stored only to be
//! overwritten: a `memset` that LLVM keeps, of 16 bytes an element when the adjoint runs at
//! `Dual<f64, 1>`. Such an adjoint is declared instead by the values it is written with,
//! `let mut k_bar: [S; 40] = core::array::from_fn(|i| e);`, just before the loop, and the
//! write leaves the loop (so a loop writing several stage adjoints becomes one `from_fn` per
//! adjoint and the loop's remaining accumulations, as a hand-written adjoint computes each
//! stage's seed in its own pass).
//!
//! The rule, for a write `v_bar[i] = e` that `writes.rs` made (so `v` is a fixed-size local of
//! literal length `N`, zeroed at the top level of the forward sweep, not named before the loop,
//! and the loop is a top-level reversed `for i in 0..N` whose body is straight-line adjoint
//! code: no `break`, no branch, each element written once), when `e` and the temporaries it
//! reads (found by name in the loop before the write) read no adjoint that the loop changes:
//!
//! - the temporaries are bindings and plain reads of adjoints (a take that zeroes the element
//!   it reads changes an adjoint, and keeps the write in the loop);
//! - the code of `e` and of those temporaries names no adjoint that the loop accumulates
//!   into, writes or zeroes, `v_bar` included (checked on the printed code, so any mention
//!   counts).
//!
//! Then the declaration `from_fn(|i| { temporaries; e })` takes the zeroing's place (which
//! leaves the forward sweep) and the write leaves the loop, with the temporaries nothing else
//! in the loop reads.
//!
//! Exact: the loop changes neither the primal values (its body is adjoint statements only) nor
//! anything `e` reads, so computing `e` for every `i` before the loop, in any order, gives the
//! values the loop wrote; `v_bar` was named nowhere between its zeroing and the loop, so
//! declaring it later changes no value either.
//!
//! Before: `let mut k_bar = [0.0; 3]; .. for i in (0..3).rev() { let a = out_bar[i];
//! u_bar[i] += a; k_bar[i] = a * 0.5; }`.
//! After: `let mut k_bar: [S; 3] = core::array::from_fn(|i| { let a = out_bar[i]; a * 0.5 });
//! for i in (0..3).rev() { let a = out_bar[i]; u_bar[i] += a; }`.

use super::resets::mentions;
use super::writes::{full_range, straight};
use crate::emit::Emitter;
use crate::ir::rev::{RevFunction, RevStmt, Target};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::ToTokens;

/// Declares the adjoints of `ir` that the rule above allows by their first writes.
pub(super) fn declare_by_first_writes(em: &Emitter, ir: &mut RevFunction) {
    let mut p = 0;
    while p < ir.reverse.len() {
        let declared = match &mut ir.reverse[p] {
            RevStmt::ReverseFor { var, range, body }
                if full_range(range).is_some() && body.iter().all(straight) =>
            {
                split_writes(em, *var, body)
            }
            _ => Vec::new(),
        };
        for d in &declared {
            if let RevStmt::Declare { var, .. } = d {
                ir.forward
                    .retain(|s| !matches!(s, RevStmt::Zero(v) if v == var));
            }
        }
        let n = declared.len();
        ir.reverse.splice(p..p, declared);
        p += n + 1;
    }
}

/// Takes the writes the rule allows out of `body`, the body of a reversed loop over `index`,
/// as declarations; then drops the temporaries the loop no longer reads.
fn split_writes<'a>(em: &Emitter, index: VarId, body: &mut [RevStmt<'a>]) -> Vec<RevStmt<'a>> {
    let changed = changed_adjoints(em, body);
    let mut out = Vec::new();
    for a in 0..body.len() {
        let mut k = 0;
        while let Some(item) = items(&body[a]).get(k) {
            let RevStmt::Accumulate {
                target: Target::Index(v, _),
                value,
                write: true,
                ..
            } = item
            else {
                k += 1;
                continue;
            };
            let Some(temps) = temporaries(em, body, a, k, value.to_token_stream(), &changed) else {
                k += 1;
                continue;
            };
            out.push(RevStmt::Declare {
                var: *v,
                index,
                body: temps,
                value: value.clone(),
            });
            if let RevStmt::Adjoint { body, .. } = &mut body[a] {
                body.remove(k);
            }
        }
    }
    if !out.is_empty() {
        drop_unread_temporaries(em, body);
    }
    out
}

/// The statements of an adjoint statement's body (none for any other statement).
fn items<'s, 'a>(s: &'s RevStmt<'a>) -> &'s [RevStmt<'a>] {
    match s {
        RevStmt::Adjoint { body, .. } => body,
        _ => &[],
    }
}

/// The names of the adjoints the loop body changes: accumulated into, written or zeroed.
fn changed_adjoints(em: &Emitter, body: &[RevStmt]) -> Vec<String> {
    let mut out = Vec::new();
    for s in body.iter().flat_map(items) {
        match s {
            RevStmt::Accumulate { target, .. }
            | RevStmt::Take {
                target,
                reset: true,
                ..
            } => {
                let v = match target {
                    Target::Var(v) | Target::Index(v, _) => *v,
                };
                out.push(em.bar(v).to_string());
            }
            _ => {}
        }
    }
    out
}

/// The temporaries before item `k` of adjoint statement `a` that `value` reads (directly or
/// through one another), in order, when none of them zeroes an adjoint and neither they nor
/// `value` name a `changed` adjoint.
fn temporaries<'a>(
    em: &Emitter,
    body: &[RevStmt<'a>],
    a: usize,
    k: usize,
    value: TokenStream,
    changed: &[String],
) -> Option<Vec<RevStmt<'a>>> {
    let mut code = value;
    let mut temps = Vec::new();
    let earlier = body[..a]
        .iter()
        .flat_map(items)
        .chain(&items(&body[a])[..k]);
    for s in earlier.collect::<Vec<_>>().into_iter().rev() {
        let name = match s {
            RevStmt::Bind { name, .. } | RevStmt::Take { name, .. } => name.to_string(),
            _ => continue,
        };
        if mentions(&code, &name) == 0 {
            continue;
        }
        if matches!(s, RevStmt::Take { reset: true, .. }) {
            return None;
        }
        code.extend(em.rev_stmts(std::slice::from_ref(s)));
        temps.insert(0, s.clone());
    }
    changed
        .iter()
        .all(|b| mentions(&code, b) == 0)
        .then_some(temps)
}

/// Leaves out of the loop body the temporaries (bindings and plain reads) that nothing in it
/// reads any more.
fn drop_unread_temporaries(em: &Emitter, body: &mut [RevStmt]) {
    loop {
        let printed = em.rev_stmts(body);
        let mut dropped = false;
        for s in body.iter_mut() {
            if let RevStmt::Adjoint { body, .. } = s {
                body.retain(|t| {
                    let name = match t {
                        RevStmt::Bind { name, .. }
                        | RevStmt::Take {
                            name, reset: false, ..
                        } => name.to_string(),
                        _ => return true,
                    };
                    let read = mentions(&printed, &name) > 1;
                    dropped |= !read;
                    read
                });
            }
        }
        if !dropped {
            return;
        }
    }
}
