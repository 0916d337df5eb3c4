//! Periodic stencil loops printed with their boundaries peeled off, in the primal (the generic
//! companion, which right-hand sides, stages and forward sweeps run) and in the tangent: the
//! interior indexes without `%` (`u[i + 1]` for `u[(i + 1) % n]`, the same element there).
//!
//! When the interior is not empty (`n` above twice the stencil's width `m`), each boundary
//! iteration is written out on its own, `i = 0, 1, .., m - 1` before the interior and
//! `i = n - m, .., n - 1` after it, with every periodic index resolved: at `i = 0`,
//! `u[(i + n - 2) % n]` is `u[n - 2]`; at `i = n - 1`, `u[(i + 1) % n]` is `u[0]`. No division,
//! no loop, and the same element as the user's index. Shorter states keep the boundary loops as
//! written. Either way the iterations run in order and compute the same values bit for bit.
//!
//! On problem L at a length known only when the program runs, the right-hand side cost 395
//! instructions per evaluation with boundary loops (each `%` a division), its tangent 1,810
//! before it was peeled at all (`benches/HISTORY.md`, session 14).

use super::stencil::{accesses, affine, int, invariant, is_var, shifted};
use crate::ir::*;
use proc_macro2::{Literal as Lit, Span, TokenStream};
use quote::quote;

/// The widest stencil whose boundary iterations are written out: `2 m` iterations of the body,
/// each side, in the primal, the tangent and the adjoint (a stencil reading `u[(i + 1000) % n]`
/// keeps its boundary loops).
const WRITTEN_OUT_WIDTH: u64 = 8;

/// The primal of a periodic stencil loop `for var in range { body }` with its boundaries
/// peeled off (see the module's documentation). `None` for other loops.
pub fn peeled_primal(
    em: &crate::emit::Emitter,
    var: VarId,
    range: &Range,
    body: &Block,
) -> Option<TokenStream> {
    // Printed only for a loop that is peeled: printing every loop's body here too would print
    // nested loops' bodies once per level of nesting more (exponential in the depth).
    peeled(em, var, range, body, &|| em.primal_block(body), |s| {
        em.primal_stmt(s)
    })
}

/// A periodic stencil loop `for var in range { body }` with its boundaries peeled off, printed
/// from its body `as_written` (the boundary loops of short states) and `plain`, which prints a
/// statement of the body whose indices are written without `%` (the interior, and each
/// boundary iteration written out): the primal ([`peeled_primal`]) or its tangent
/// (`emit/tan.rs`, where the loop's tangent statements are `as_written`). `None` for other
/// loops.
pub fn peeled(
    em: &crate::emit::Emitter,
    var: VarId,
    range: &Range,
    body: &Block,
    as_written: &dyn Fn() -> TokenStream,
    plain: impl Fn(&Stmt) -> TokenStream,
) -> Option<TokenStream> {
    let f = em.f;
    if range.inclusive || !range.adaptors.is_empty() {
        return None;
    }
    let mut written = Vec::new();
    for s in &body.stmts {
        let Stmt::Assign {
            place: Place::Index(w, idx),
            ..
        } = s
        else {
            return None;
        };
        if !is_var(idx, var)
            || !matches!(f.vars[*w].kind, Kind::RealArray(_))
            || written.contains(w)
        {
            return None;
        }
        written.push(*w);
    }
    let (mut offsets, mut modulus) = (vec![0], None);
    for s in &body.stmts {
        if let Stmt::Assign { value, .. } = s {
            accesses(value, var, f, &written, &mut offsets, &mut modulus)?;
        }
    }
    // Only `%` indices have something to gain, over `0..n`.
    let m = modulus?;
    let zero = int(&range.start) == Some(0);
    if !zero || !is_var(&range.end, m) {
        return None;
    }
    let (lo, hi) = (offsets.iter().min()?, offsets.iter().max()?);
    let width = (hi - lo) as u64;
    let margin = Lit::u64_unsuffixed(width);
    let i = em.name(var);
    let (start, end) = (em.fresh("__start"), em.fresh("__end"));
    let (lo, hi) = (em.fresh("__lo"), em.fresh("__hi"));
    let (a, b) = (em.primal(&range.start), em.primal(&range.end));
    // The body in the interior (`None`) or at a boundary iteration written out.
    let print = |pos: Option<Pos>| -> Option<TokenStream> {
        let mut out = TokenStream::new();
        for s in &body.stmts {
            if let Stmt::Assign { place, value, span } = s {
                let (place, value) = match (place, pos) {
                    (Place::Index(w, idx), None) => {
                        (Place::Index(*w, idx.clone()), shifted(value, var, 0, f))
                    }
                    (Place::Index(w, idx), Some(pos)) => (
                        Place::Index(*w, element(pos, 0, m, idx.span)),
                        resolved(value, var, m, pos)?,
                    ),
                    (Place::Var(_) | Place::Push(..), _) => return None,
                };
                out.extend(plain(&Stmt::Assign {
                    place,
                    value,
                    span: *span,
                }));
            }
        }
        Some(out)
    };
    let interior = print(None)?;
    let as_written = as_written();
    let boundary_loops = quote! {
        for #i in #start..::core::cmp::min(#lo, #end) { #as_written }
        for #i in #lo..#hi { #interior }
        for #i in ::core::cmp::max(#hi, ::core::cmp::min(#lo, #end))..#end { #as_written }
    };
    let bounds = quote! {
        let #start: usize = #a;
        let #end: usize = #b;
        let #lo: usize = #start + #margin;
        let #hi: usize = ::core::cmp::max(#lo, #end.saturating_sub(#margin));
    };
    // Each boundary iteration written out, when every use of the index can be resolved.
    if width > WRITTEN_OUT_WIDTH {
        return Some(quote!(#bounds #boundary_loops));
    }
    let low: Option<Vec<TokenStream>> = (0..width).map(|k| print(Some(Pos::Low(k)))).collect();
    let high: Option<Vec<TokenStream>> = (1..=width)
        .rev()
        .map(|j| print(Some(Pos::High(j))))
        .collect();
    let (Some(low), Some(high)) = (low, high) else {
        return Some(quote!(#bounds #boundary_loops));
    };
    Some(quote! {
        #bounds
        if #lo < #hi {
            #(#low)*
            for #i in #lo..#hi { #interior }
            #(#high)*
        } else {
            #boundary_loops
        }
    })
}

/// A boundary iteration of a peeled loop over `0..n`, whose interior is not empty (`n` above
/// twice the stencil's width): `i = k` before the interior, `i = n - j` after it.
#[derive(Clone, Copy)]
pub(super) enum Pos {
    Low(u64),
    High(u64),
}

/// `e` at the boundary iteration `pos` of the loop over `var` in `0..n`: every array index
/// `i + c`, `(i + c) % n` or `(i + n - c) % n` resolved to the element it is there (`k + c`,
/// or `n - d` where it wraps below zero; `n - j + c`, or `c - j` where it wraps past `n`).
/// `None` where the index is used otherwise (the boundary loops are kept then).
fn resolved(e: &Expr, var: VarId, n: VarId, pos: Pos) -> Option<Expr> {
    let r = |x: &Expr| resolved(x, var, n, pos).map(Box::new);
    let all = |xs: &[Expr]| {
        xs.iter()
            .map(|x| resolved(x, var, n, pos))
            .collect::<Option<Vec<_>>>()
    };
    let op = match &e.op {
        // The index itself only as `i as T` (in arithmetic, a written-out constant could
        // overflow where the user's loop would have panicked when it ran).
        Op::Var(v) if *v == var => return None,
        Op::Cast(a, ty) if is_var(a, var) => {
            Op::Cast(Box::new(element(pos, 0, n, a.span)), ty.clone())
        }
        Op::Index(v, idx) if !invariant(idx, var) => {
            let (c, modulus) = affine(idx, var)?;
            // A plain `i + c` other than `i` itself could be out of range where the user's
            // loop panics.
            if modulus.is_none() && c != 0 {
                return None;
            }
            Op::Index(*v, Box::new(element(pos, c, n, idx.span)))
        }
        Op::Index(v, idx) => Op::Index(*v, r(idx)?),
        Op::Unary(u, a) => Op::Unary(*u, r(a)?),
        Op::Binary(b, x, y) => Op::Binary(*b, r(x)?, r(y)?),
        Op::Ternary(t, a, b, x) => Op::Ternary(*t, r(a)?, r(b)?, r(x)?),
        Op::Powi(a, k) => Op::Powi(r(a)?, r(k)?),
        Op::Cast(a, ty) if invariant(a, var) => Op::Cast(a.clone(), ty.clone()),
        Op::AsReal(a) => Op::AsReal(r(a)?),
        Op::Field(a, k) => Op::Field(r(a)?, *k),
        Op::PathIndex(p, a) if invariant(a, var) => Op::PathIndex(p.clone(), a.clone()),
        Op::ConstCall(p, args) => Op::ConstCall(p.clone(), all(args)?),
        Op::Method(..) | Op::Cast(..) | Op::PathIndex(..) if !invariant(e, var) => return None,
        op => op.clone(),
    };
    Some(Expr {
        op,
        kind: e.kind.clone(),
        span: e.span,
    })
}

/// The element `(i + c) mod n` at the boundary iteration `pos`, as an index expression: a
/// constant, or `n - d`.
fn element(pos: Pos, c: i64, n: VarId, span: Span) -> Expr {
    let at = match pos {
        Pos::Low(k) => k as i64 + c,
        Pos::High(j) => c - j as i64,
    };
    // Low: `k + c` wraps below zero to `n + (k + c)`. High: `n - j + c` wraps past `n` to
    // `c - j` when `c >= j`.
    let lit = |x: u64| Expr {
        op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
            &x.to_string(),
            span,
        )))),
        kind: Kind::Int,
        span,
    };
    if at >= 0 {
        return lit(at as u64);
    }
    let n = Expr {
        op: Op::Var(n),
        kind: Kind::Int,
        span,
    };
    Expr {
        op: Op::Binary(Binary::Sub, Box::new(n), Box::new(lit(at.unsigned_abs()))),
        kind: Kind::Int,
        span,
    }
}

/// A periodic stencil's gather-form boundary iterations written out, for when its interior is
/// not empty: each the iteration of the boundary loop of offset `c` at `pos`, in the loops'
/// order (`stencil.rs` builds their entries from the resolved statements).
pub(super) struct WrittenOut {
    /// The loop's modulus `n`.
    pub(super) n: VarId,
    /// The iterations of the loops after the interior, then those before it.
    pub(super) high: Vec<Iteration>,
    pub(super) low: Vec<Iteration>,
    /// Arrays the body reads at indices that do not move with the loop (`p[0]`): their
    /// adjoints' entries are the scalars' loops', not a boundary iteration's.
    pub(super) scalars: Vec<VarId>,
}

/// One boundary iteration: the active outputs (position in the body, place index, value) with
/// every index resolved at `pos`, statements last first.
pub(super) struct Iteration {
    pub(super) c: i64,
    pub(super) pos: Pos,
    pub(super) outputs: Vec<(usize, Expr, Expr)>,
}

impl Iteration {
    /// The element the entries of this iteration's offset land on.
    pub(super) fn element(&self, n: VarId, span: Span) -> Expr {
        element(self.pos, self.c, n, span)
    }
}

/// The boundary iterations of the gather form of the periodic stencil `for var in 0..n {
/// body }` of width `margin`, whose active outputs are `outputs` (position in `body`, the
/// offsets their entries have), in the order of its boundary loops: per offset `c` upwards,
/// `i = n - margin - c, .., n - 1` after the interior and `i = 0, .., margin - c - 1` before
/// it. `None` when an index cannot be resolved, or an array is read both at moving and at
/// fixed indices.
pub(super) fn written_out(
    body: &Block,
    var: VarId,
    n: VarId,
    margin: i64,
    outputs: &[(usize, Vec<i64>)],
) -> Option<WrittenOut> {
    if !(0..=WRITTEN_OUT_WIDTH as i64).contains(&margin) {
        return None;
    }
    let (mut moving, mut scalars) = (Vec::new(), Vec::new());
    for (k, _) in outputs {
        if let Stmt::Assign { value, .. } = &body.stmts[*k] {
            arrays(value, var, &mut moving, &mut scalars);
        }
    }
    if moving.iter().any(|v| scalars.contains(v)) {
        return None;
    }
    let mut offsets: Vec<i64> = outputs.iter().flat_map(|(_, c)| c.clone()).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let iteration = |c: i64, pos: Pos| -> Option<Iteration> {
        let mut out = Vec::new();
        for (k, _) in outputs.iter().rev().filter(|(_, cs)| cs.contains(&c)) {
            let Stmt::Assign {
                place: Place::Index(_, idx),
                value,
                ..
            } = &body.stmts[*k]
            else {
                return None;
            };
            let here = element(pos, 0, n, idx.span);
            out.push((*k, here, resolved(value, var, n, pos)?));
        }
        Some(Iteration {
            c,
            pos,
            outputs: out,
        })
    };
    let (mut high, mut low) = (Vec::new(), Vec::new());
    for &c in &offsets {
        for j in (1..=margin + c).rev() {
            high.push(iteration(c, Pos::High(j as u64))?);
        }
        for k in 0..margin - c {
            low.push(iteration(c, Pos::Low(k as u64))?);
        }
    }
    Some(WrittenOut {
        n,
        high,
        low,
        scalars,
    })
}

/// The real arrays `e` reads at indices moving with `var` and at fixed ones.
fn arrays(e: &Expr, var: VarId, moving: &mut Vec<VarId>, fixed: &mut Vec<VarId>) {
    if let Op::Index(v, idx) = &e.op {
        if matches!(e.kind, Kind::Real) {
            if invariant(idx, var) {
                fixed.push(*v);
            } else {
                moving.push(*v);
            }
        }
    }
    let mut each = |es: &[&Expr]| es.iter().for_each(|x| arrays(x, var, moving, fixed));
    match &e.op {
        Op::Index(_, a)
        | Op::AsReal(a)
        | Op::Field(a, _)
        | Op::PathIndex(_, a)
        | Op::Unary(_, a)
        | Op::Cast(a, _) => each(&[a]),
        Op::Binary(_, a, b) | Op::Powi(a, b) => each(&[a, b]),
        Op::Ternary(_, a, b, c) => each(&[a, b, c]),
        Op::Method(a, _, args) => {
            each(&[a]);
            each(&args.iter().collect::<Vec<_>>());
        }
        Op::ConstCall(_, args) | Op::Linalg(_, args) => each(&args.iter().collect::<Vec<_>>()),
        _ => {}
    }
}

/// Whether two resolved indices are the same element: the same constant, or `n - d` with the
/// same `n` and `d`.
pub(super) fn same_index(a: &Expr, b: &Expr) -> bool {
    match (&a.op, &b.op) {
        (Op::Lit(_), Op::Lit(_)) => int(a).is_some() && int(a) == int(b),
        (Op::Binary(Binary::Sub, x, y), Op::Binary(Binary::Sub, p, q)) => {
            matches!((&x.op, &p.op), (Op::Var(u), Op::Var(v)) if u == v)
                && int(y).is_some()
                && int(y) == int(q)
        }
        _ => false,
    }
}
