//! Gather-form adjoints of stencil loops.
//!
//! A loop `for i in a..b` whose body only writes `w[i]` (one or more arrays, each once, at
//! exactly the loop index) from reads `r[i + c]`, `r[i - c]`, `r[(i + c) % n]` and
//! `r[(i + n - c) % n]` of arrays it does not write, and from values the loop does not change,
//! is a stencil: its iterations are independent. Its scatter-form adjoint
//! (`u_bar[(i + 1) % n] += ..` per iteration, run backwards) defeats vectorisation and computes
//! a `%` per access. The gather form sums, per element `j` of an input's adjoint, the entries
//! that read it: `r_bar[j] += sum_c d_c(i = j - c) * w_bar[j - c]`, with the partials `d_c`
//! evaluated again at the shifted iteration:
//!
//! - in the **interior** `j` in `a + m .. b - m` (`m` the stencil's width: the largest minus
//!   the smallest offset, 0 included) every shifted access stays inside the range, so the loop
//!   indexes plainly (`u[i + 1]`, no `%`);
//! - the **boundary** iterations, whose entries land outside the interior, are peeled into
//!   short loops over the iteration index that keep the user's indexing (`%` included), one
//!   pair per offset, each adding only that offset's entries; for a periodic stencil over
//!   `0..n` whose interior is not empty, each boundary iteration is also written out on its
//!   own with its indices resolved (`u_bar[n - 2] += -(du_bar[0] * u[n - 1])`, no `%`, no
//!   loop: `peel.rs`), taken when `lo < hi`, in the loops' order (the same bits);
//! - then `w_bar` is zeroed over the loop's range, as the scatter form does element by
//!   element.
//!
//! The loops run downwards and add the entries in the scatter form's order (per element: the
//! iterations downwards, each statement's last first), so the adjoints come out with the same
//! bits as the scatter form's, except with periodic indices on arrays shorter than the stencil,
//! where one iteration reads an element twice.
//!
//! Scalars' adjoints (`forcing_bar += w_bar[i]`), and those of elements at indices that do
//! not move with the loop (`p_bar[0]`), are gathered with offset 0 (summed in a local per
//! loop when the index is a constant, `emit/rev.rs`). Everything else
//! (a read of a written array, a write at another index, a `let` in the body, an overwritten
//! value the reverse sweep needs) keeps the scatter form. `#[differentiable(stencil = false)]`
//! turns the gather form off (to compare with the scatter form).
//!
//! Before: `for i in 0..n { du[i] = u[(i + 1) % n] * u[i]; }`
//! After: `for i in (lo..hi).rev() { u_bar[i] += du_bar[i] * u[i + 1]; u_bar[i] += du_bar[i - 1] * u[i - 1]; }`,
//! then the boundary loops and the zeroing of `du_bar`.

use super::peel::{same_index, written_out, Iteration, WrittenOut};
use super::plan::Plan;
use super::Reverse;
use crate::emit::Value;
use crate::ir::rev::{Gather, GatherLoop, RevStmt, Target};
use crate::ir::*;
use proc_macro2::{Ident, Literal as Lit, Span, TokenStream, TokenTree};
use quote::quote;
use std::collections::HashSet;

/// A loop recognised as a stencil, with the shifted values its gather form differentiates.
pub(super) struct Stencil {
    /// The loop statement.
    pub(super) id: StmtId,
    /// The width of the boundary: the largest offset minus the smallest, 0 included.
    margin: i64,
    /// Per active assignment of the body: its position in the body, and its value shifted by
    /// each offset it reads at.
    outputs: Vec<(usize, Vec<Shift>)>,
    /// A periodic stencil's boundary iterations written out (`peel.rs`), if they can be.
    written_out: Option<WrittenOut>,
}

/// An assignment's value at iteration `i - c`, written in terms of `i` without `%`.
struct Shift {
    c: i64,
    /// The value, each array access `r[i + c']` written `r[i + (c' - c)]`.
    value: Expr,
    /// `i - c`: where the seed `w_bar[i - c]` is read.
    seed: Expr,
}

/// The stencil loops of `f` (every loop, at any depth, that qualifies).
pub(super) fn find(f: &Function, active: &IdVec<VarId, bool>, plan: &Plan) -> Vec<Stencil> {
    let mut out = Vec::new();
    walk(&f.body, StmtId::FIRST, f, active, plan, &mut out);
    out
}

fn walk(
    b: &Block,
    first: StmtId,
    f: &Function,
    active: &IdVec<VarId, bool>,
    plan: &Plan,
    out: &mut Vec<Stencil>,
) {
    for (id, s) in b.numbered(first) {
        match s {
            Stmt::For {
                var, range, body, ..
            } => {
                match recognise(id, *var, range, body, f, active, plan) {
                    Some(st) => out.push(st),
                    None => walk(body, id.inner(), f, active, plan, out),
                };
            }
            Stmt::If { then, els, .. } => {
                walk(then, id.inner(), f, active, plan, out);
                walk(els, id.els(then), f, active, plan, out);
            }
            _ => {}
        }
    }
}

/// The loop `for var in range { body }` as a stencil, if it is one.
fn recognise(
    id: StmtId,
    var: VarId,
    range: &Range,
    body: &Block,
    f: &Function,
    active: &IdVec<VarId, bool>,
    plan: &Plan,
) -> Option<Stencil> {
    if range.inclusive || !range.adaptors.is_empty() {
        return None;
    }
    let mut written = Vec::new();
    for (sid, s) in body.numbered(id.inner()) {
        let Stmt::Assign {
            place: Place::Index(w, idx),
            ..
        } = s
        else {
            return None;
        };
        let here = matches!(idx.op, Op::Var(v) if v == var);
        let array = matches!(f.vars[*w].kind, Kind::RealArray(_));
        if !here || !array || written.contains(w) || plan.saves.contains(&sid) {
            return None;
        }
        written.push(*w);
    }
    let mut modulus = None;
    let mut outputs = Vec::new();
    let (mut lo, mut hi) = (0, 0);
    for (k, s) in body.stmts.iter().enumerate() {
        let Stmt::Assign { place, value, .. } = s else {
            return None;
        };
        let mut offsets = vec![0];
        accesses(value, var, f, &written, &mut offsets, &mut modulus)?;
        if !active[place.var()] {
            continue;
        }
        offsets.sort_unstable();
        offsets.dedup();
        lo = lo.min(offsets[0]);
        hi = hi.max(offsets[offsets.len() - 1]);
        let shifts: Vec<Shift> = offsets
            .iter()
            .map(|&c| Shift {
                c,
                value: shifted(value, var, c, f),
                seed: offset_index(var, -c, value.span),
            })
            .collect();
        outputs.push((k, shifts));
    }
    // `%` indices are periodic only over `0..n`.
    if let Some(m) = modulus {
        let zero = matches!(&range.start.op, Op::Lit(Literal::Other(syn::Lit::Int(l))) if l.base10_parse::<u64>().ok() == Some(0));
        if !zero || !matches!(range.end.op, Op::Var(v) if v == m) {
            return None;
        }
    }
    let offsets: Vec<(usize, Vec<i64>)> = outputs
        .iter()
        .map(|(k, shifts)| (*k, shifts.iter().map(|sh: &Shift| sh.c).collect()))
        .collect();
    let written_out = modulus.and_then(|n| written_out(body, var, n, hi - lo, &offsets));
    // Without shifted reads the scatter form is already a gather.
    (!outputs.is_empty() && hi > lo).then_some(Stencil {
        id,
        margin: hi - lo,
        outputs,
        written_out,
    })
}

/// Checks that `e` reads arrays only at affine indices of `var` and nothing `written`, and
/// collects the offsets and the modulus of periodic indices; `None` if it does not qualify.
pub(super) fn accesses(
    e: &Expr,
    var: VarId,
    f: &Function,
    written: &[VarId],
    offsets: &mut Vec<i64>,
    modulus: &mut Option<VarId>,
) -> Option<()> {
    let mut each = |es: &[&Expr]| -> Option<()> {
        for x in es {
            accesses(x, var, f, written, offsets, modulus)?;
        }
        Some(())
    };
    match &e.op {
        Op::Lit(_) | Op::Len(_) | Op::Path(_) => Some(()),
        Op::Var(v) | Op::Ref(v) | Op::Matches(v, _) => (!written.contains(v)).then_some(()),
        Op::Index(v, idx) if matches!(f.vars[*v].kind, Kind::RealArray(_)) => {
            if written.contains(v) {
                return None;
            }
            // An element the loop does not move over (`p[0]`): gathered like a scalar.
            if invariant(idx, var) {
                return each(&[idx]);
            }
            let (c, m) = affine(idx, var)?;
            if let Some(m) = m {
                if modulus.is_some_and(|n| n != m) {
                    return None;
                }
                *modulus = Some(m);
            }
            offsets.push(c);
            Some(())
        }
        Op::Index(v, idx) => {
            if written.contains(v) {
                return None;
            }
            each(&[idx])
        }
        Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
        | Op::Field(a, _)
        | Op::PathIndex(_, a) => each(&[a]),
        Op::Binary(_, a, b) | Op::Powi(a, b) => each(&[a, b]),
        Op::Ternary(_, a, b, c) => each(&[a, b, c]),
        Op::ConstCall(_, args) => each(&args.iter().collect::<Vec<_>>()),
        Op::Method(a, _, args) => {
            each(&[a])?;
            each(&args.iter().collect::<Vec<_>>())
        }
        Op::Linalg(..) => None,
    }
}

/// An integer literal's value.
pub(super) fn int(e: &Expr) -> Option<i64> {
    match &e.op {
        Op::Lit(Literal::Other(syn::Lit::Int(l))) => l.base10_parse().ok(),
        _ => None,
    }
}

/// Whether index `idx` does not read the loop variable `var`.
pub(super) fn invariant(idx: &Expr, var: VarId) -> bool {
    let mut reads = Vec::new();
    idx.reads(&mut reads);
    !reads.contains(&var)
}

pub(super) fn is_var(e: &Expr, v: VarId) -> bool {
    matches!(e.op, Op::Var(w) if w == v)
}

/// `idx` as `i + c` (`i`, `i + c`, `c + i`, `i - c`), or periodic, `(i + c) % n` and
/// `(i + n - c) % n`, with the modulus `n`.
pub(super) fn affine(idx: &Expr, i: VarId) -> Option<(i64, Option<VarId>)> {
    match &idx.op {
        Op::Var(v) if *v == i => Some((0, None)),
        Op::Binary(Binary::Add, a, b) if is_var(a, i) => Some((int(b)?, None)),
        Op::Binary(Binary::Add, a, b) if is_var(b, i) => Some((int(a)?, None)),
        Op::Binary(Binary::Sub, a, b) if is_var(a, i) => Some((-int(b)?, None)),
        Op::Binary(Binary::Rem, x, n) => {
            let Op::Var(n) = n.op else { return None };
            match &x.op {
                Op::Binary(Binary::Add, a, b) if is_var(a, i) => Some((int(b)?, Some(n))),
                Op::Binary(Binary::Sub, a, b) => match &a.op {
                    Op::Binary(Binary::Add, p, q) if is_var(p, i) && is_var(q, n) => {
                        Some((-int(b)?, Some(n)))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// `i + d` as an expression (`i` when `d` is 0, `i - |d|` when negative).
fn offset_index(i: VarId, d: i64, span: Span) -> Expr {
    let var = Expr {
        op: Op::Var(i),
        kind: Kind::Int,
        span,
    };
    if d == 0 {
        return var;
    }
    let lit = Expr {
        op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
            &d.unsigned_abs().to_string(),
            span,
        )))),
        kind: Kind::Int,
        span,
    };
    let op = if d > 0 { Binary::Add } else { Binary::Sub };
    Expr {
        op: Op::Binary(op, Box::new(var), Box::new(lit)),
        kind: Kind::Int,
        span,
    }
}

/// `e` at iteration `i - c`, in terms of `i`: array accesses `r[i + c']` become
/// `r[i + (c' - c)]` (no `%`: in the interior no shifted access wraps), other uses of `i`
/// become `i - c`.
pub(super) fn shifted(e: &Expr, i: VarId, c: i64, f: &Function) -> Expr {
    let s = |x: &Expr| Box::new(shifted(x, i, c, f));
    let all = |xs: &[Expr]| xs.iter().map(|x| shifted(x, i, c, f)).collect::<Vec<_>>();
    let op = match &e.op {
        Op::Var(v) if *v == i => return offset_index(i, -c, e.span),
        Op::Index(v, idx)
            if matches!(f.vars[*v].kind, Kind::RealArray(_)) && !invariant(idx, i) =>
        {
            let (d, _) = affine(idx, i).expect("stencil accesses are affine");
            Op::Index(*v, Box::new(offset_index(i, d - c, idx.span)))
        }
        Op::Index(v, idx) => Op::Index(*v, s(idx)),
        Op::Unary(u, a) => Op::Unary(*u, s(a)),
        Op::Binary(b, x, y) => Op::Binary(*b, s(x), s(y)),
        Op::Ternary(t, a, b, x) => Op::Ternary(*t, s(a), s(b), s(x)),
        Op::Powi(a, n) => Op::Powi(s(a), s(n)),
        Op::Cast(a, ty) => Op::Cast(s(a), ty.clone()),
        Op::AsReal(a) => Op::AsReal(s(a)),
        Op::Field(a, k) => Op::Field(s(a), *k),
        Op::PathIndex(p, a) => Op::PathIndex(p.clone(), s(a)),
        Op::ConstCall(p, args) => Op::ConstCall(p.clone(), all(args)),
        Op::Method(a, m, args) => Op::Method(s(a), m.clone(), all(args)),
        op => op.clone(),
    };
    Expr {
        op,
        kind: e.kind.clone(),
        span: e.span,
    }
}

impl<'a> Reverse<'a> {
    /// The gather-form reverse of the stencil loop `st` (`for var in range { body }`), or
    /// `None` if an adjoint of its body is not made of temporaries and accumulations (then the
    /// scatter form is used).
    pub(super) fn gather(
        &self,
        st: &'a Stencil,
        var: VarId,
        range: &'a Range,
        body: &'a Block,
    ) -> Option<RevStmt<'a>> {
        let em = self.em;
        let outer = self.reads.take();
        let built = self.gather_loops(st, var, range, body);
        self.reads.replace(outer);
        let (bounds, loops, start, end) = built?;
        let outer = self.reads.take();
        let fast = st
            .written_out
            .as_ref()
            .and_then(|w| self.written_out(w, &loops, body));
        self.reads.replace(outer);
        let mut reads = Vec::new();
        range.start.value_reads(&mut reads);
        range.end.value_reads(&mut reads);
        let mut zero = Vec::new();
        for (k, _) in &st.outputs {
            if let Stmt::Assign {
                place: Place::Index(w, here),
                value,
                ..
            } = &body.stmts[*k]
            {
                value.value_reads(&mut reads);
                zero.push((*w, here));
            }
        }
        let mut seen = HashSet::new();
        reads.retain(|v| *v != var && seen.insert(*v));
        let _ = em;
        Some(RevStmt::Gather(Box::new(Gather {
            id: st.id,
            var,
            reads,
            bounds,
            loops,
            fast: fast.unwrap_or_default(),
            zero,
            start,
            end,
        })))
    }

    /// The bounds of a gather form (`start`, `end` of the range and `lo`, `hi` of its
    /// interior), as `let` bindings and their names.
    fn gather_bounds(
        &self,
        st: &Stencil,
        range: &Range,
    ) -> (Vec<(Ident, TokenStream)>, [Ident; 4]) {
        let em = self.em;
        let (start, end) = (em.temp("start"), em.temp("end"));
        let (lo, hi) = (em.temp("lo"), em.temp("hi"));
        let m = Lit::usize_unsuffixed(st.margin as usize);
        let (a, b) = (em.primal(&range.start), em.primal(&range.end));
        let bounds = vec![
            (start.clone(), a),
            (end.clone(), b),
            (lo.clone(), quote!(#start + #m)),
            (
                hi.clone(),
                quote!(::core::cmp::max(#lo, #end.saturating_sub(#m))),
            ),
        ];
        (bounds, [start, end, lo, hi])
    }

    #[allow(clippy::type_complexity)] // the parts of one `Gather`
    fn gather_loops(
        &self,
        st: &'a Stencil,
        var: VarId,
        range: &'a Range,
        body: &'a Block,
    ) -> Option<(
        Vec<(proc_macro2::Ident, TokenStream)>,
        Vec<GatherLoop<'a>>,
        proc_macro2::Ident,
        proc_macro2::Ident,
    )> {
        let (bounds, [start, end, lo, hi]) = self.gather_bounds(st, range);
        // In the order of the scatter form's additions, so that every adjoint element gets
        // the same terms in the same order (the same bits): per element, the iterations
        // downwards (the high boundary, the interior, the low boundary), per iteration the
        // offsets upwards (`i = j - c` downwards) and the statements last first. Each loop over
        // array elements touches every element once, so it runs upwards (and vectorises); the
        // scalars' loops, which add into one value, run downwards.
        let scalar = |t: &Target| match t {
            Target::Var(_) => true,
            Target::Index(_, idx) => invariant(idx, var),
        };
        let (mut interior, mut high, mut low) = (Vec::new(), Vec::new(), Vec::new());
        let (mut scalars, mut scalar_boundary) = (Vec::new(), Vec::new());
        let mut offsets: Vec<i64> = st
            .outputs
            .iter()
            .flat_map(|(_, shifts)| shifts.iter().map(|sh| sh.c))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let names = [&start, &end, &lo, &hi];
        let boundary_loops =
            |c: i64, body: Vec<RevStmt<'a>>, rev: bool| boundary_loops(names, c, body, rev);
        for c in offsets {
            let mut boundary = Vec::new();
            for (k, shifts) in st.outputs.iter().rev() {
                let Some(sh) = shifts.iter().find(|sh| sh.c == c) else {
                    continue;
                };
                let Stmt::Assign {
                    place: Place::Index(w, here),
                    value,
                    ..
                } = &body.stmts[*k]
                else {
                    return None;
                };
                // Interior: the entries of offset `c`, read at `i - c`.
                interior.extend(self.entries(
                    *w,
                    &sh.seed,
                    &sh.value,
                    |t| matches!(t, Target::Index(_, idx) if !scalar(t) && is_var(idx, var)),
                )?);
                // Boundary: the iterations whose entries of offset `c` land outside the
                // interior, `start..lo - c` and `hi - c..end`, clipped to the range.
                boundary.extend(self.entries(*w, here, value, |t| {
                    matches!(t, Target::Index(_, idx) if !scalar(t)
                        && affine(idx, var).is_some_and(|(d, _)| d == c))
                })?);
                if c == 0 {
                    scalars.extend(self.entries(*w, &sh.seed, &sh.value, scalar)?);
                    scalar_boundary.extend(self.entries(*w, here, value, scalar)?);
                }
            }
            if !boundary.is_empty() {
                let (h, l) = boundary_loops(c, boundary, false);
                high.push(h);
                low.push(l);
            }
        }
        let mut loops = high;
        loops.push(GatherLoop {
            what: "interior",
            rev: false,
            start: quote!(#lo),
            end: quote!(#hi),
            body: interior,
        });
        loops.extend(low);
        if !scalar_boundary.is_empty() {
            let (h, l) = boundary_loops(0, scalar_boundary, true);
            loops.push(h);
            loops.push(GatherLoop {
                what: "interior",
                rev: true,
                start: quote!(#lo),
                end: quote!(#hi),
                body: scalars,
            });
            loops.push(l);
        }
        Some((bounds, loops, start, end))
    }

    /// The gather form's array loops with their boundary iterations written out (`peel.rs`):
    /// per offset the iterations after the interior, the interior loop, per offset those
    /// before it, in the order of `loops`' iterations. `None` if an iteration's adjoint is not
    /// made of temporaries and accumulations.
    fn written_out(
        &self,
        w: &'a WrittenOut,
        loops: &[GatherLoop<'a>],
        body: &'a Block,
    ) -> Option<Vec<GatherLoop<'a>>> {
        let interior = loops.iter().find(|l| l.what == "interior" && !l.rev)?;
        let mut out = Vec::new();
        let iterations = |its: &'a [Iteration], out: &mut Vec<GatherLoop<'a>>| {
            for it in its {
                let at = it.element(w.n, Span::call_site());
                let mut stmts = Vec::new();
                for (k, here, value) in &it.outputs {
                    let Stmt::Assign {
                        place: Place::Index(v, _),
                        ..
                    } = &body.stmts[*k]
                    else {
                        return None;
                    };
                    stmts.extend(self.entries(*v, here, value, |t| {
                        matches!(t, Target::Index(a, idx)
                            if !w.scalars.contains(a) && same_index(idx, &at))
                    })?);
                }
                if !stmts.is_empty() {
                    out.push(GatherLoop {
                        what: "iteration",
                        rev: false,
                        start: TokenStream::new(),
                        end: TokenStream::new(),
                        body: stmts,
                    });
                }
            }
            Some(())
        };
        iterations(&w.high, &mut out)?;
        out.push(interior.clone());
        iterations(&w.low, &mut out)?;
        Some(out)
    }

    /// The entries of the adjoint of `w[seed] = value` that `keep` selects: the seed taken
    /// from `w_bar[seed]`, the temporaries they use and their accumulations; empty when none
    /// is kept, `None` when the adjoint has other statements.
    fn entries(
        &self,
        w: VarId,
        seed: &'a Expr,
        value: &'a Expr,
        keep: impl Fn(&Target) -> bool,
    ) -> Option<Vec<RevStmt<'a>>> {
        let g = self.em.temp("adj");
        let mut all = Vec::new();
        self.expr(value, Value::Name(g.clone()), &mut all);
        let mut kept = Vec::new();
        for s in all {
            match &s {
                RevStmt::Accumulate { target, .. } if keep(target) => kept.push(s),
                RevStmt::Accumulate { .. } => {}
                RevStmt::Bind { .. } => kept.push(s),
                _ => return None,
            }
        }
        if !kept.iter().any(|s| matches!(s, RevStmt::Accumulate { .. })) {
            return Some(Vec::new());
        }
        // Temporaries no kept accumulation uses are left out.
        let mut live = HashSet::new();
        let mut out = Vec::new();
        for s in kept.into_iter().rev() {
            match &s {
                RevStmt::Accumulate { value, .. } => idents(&quote!(#value), &mut live),
                RevStmt::Bind { name, value, .. } => {
                    if !live.contains(&name.to_string()) {
                        continue;
                    }
                    idents(value, &mut live);
                }
                _ => {}
            }
            out.push(s);
        }
        out.push(RevStmt::Take {
            name: g,
            target: Target::Index(w, seed),
            reset: false,
        });
        out.reverse();
        Some(out)
    }
}

/// The identifiers in `t`.
fn idents(t: &TokenStream, out: &mut HashSet<String>) {
    for tt in t.clone() {
        match tt {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => idents(&g.stream(), out),
            _ => {}
        }
    }
}

/// The two boundary loops of offset `c` (`names`: `start`, `end`, `lo`, `hi`): the high one
/// `max(hi - c, min(lo - c, end))..end` and the low one `start..min(lo - c, end)`, so the
/// iterations whose entries of offset `c` land outside the interior run once each.
fn boundary_loops<'a>(
    names: [&Ident; 4],
    c: i64,
    body: Vec<RevStmt<'a>>,
    rev: bool,
) -> (GatherLoop<'a>, GatherLoop<'a>) {
    let [start, end, lo, hi] = names;
    let shift = |x: &Ident| {
        let d = Lit::usize_unsuffixed(c.unsigned_abs() as usize);
        match c {
            0 => quote!(#x),
            c if c > 0 => quote!(#x - #d),
            _ => quote!(#x + #d),
        }
    };
    let (lo_c, hi_c) = (shift(lo), shift(hi));
    let first_end = quote!(::core::cmp::min(#lo_c, #end));
    let high = GatherLoop {
        what: "boundary",
        rev,
        start: quote!(::core::cmp::max(#hi_c, #first_end)),
        end: quote!(#end),
        body: body.clone(),
    };
    let low = GatherLoop {
        what: "boundary",
        rev,
        start: quote!(#start),
        end: first_end,
        body,
    };
    (high, low)
}

#[cfg(test)]
mod tests {
    use super::super::plan::plan;

    /// The number of loops of `src` recognised as stencils, and their margins.
    fn stencils(src: &str) -> Vec<i64> {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        let active = crate::activity::analyse(&f, None);
        let em = crate::emit::Emitter::new(&f, active, syn::parse_quote!(::tapeless), false);
        plan(&em, true).stencils.iter().map(|s| s.margin).collect()
    }

    #[test]
    fn stencils_are_recognised() {
        let l96 = "fn f(du: &mut [f64], u: &[f64], p: f64) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p; } }";
        assert_eq!(stencils(l96), [3]);
        // Problem L's right-hand side: the forcing an element that does not move with `i`.
        let l96 = "fn f(du: &mut [f64], u: &[f64], p: &[f64]) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0]; } }";
        assert_eq!(stencils(l96), [3]);
        let lap = "fn f(w: &mut [f64], u: &[f64]) { let n = u.len(); for i in 1..n - 1 { w[i] = u[i - 1] - 2.0 * u[i] + u[i + 1]; } }";
        assert_eq!(stencils(lap), [2]);
        let two = "fn f(a: &mut [f64], b: &mut [f64], u: &[f64]) { for t in 0..3 { for i in 2..u.len() - 2 { a[i] = u[i - 2] * u[i + 2]; b[i] = 1.0 + u[i + 1]; } } }";
        assert_eq!(stencils(two), [4]);
    }

    #[test]
    fn other_loops_are_not() {
        for src in [
            // Reads the array it writes.
            "fn f(w: &mut [f64], u: &[f64]) { for i in 1..u.len() { w[i] = u[i] * w[i - 1]; } }",
            // Writes at another index.
            "fn f(w: &mut [f64], u: &[f64]) { for i in 0..u.len() - 1 { w[i + 1] = u[i] * u[i]; } }",
            // A loop-carried accumulator.
            "fn f(u: &[f64]) -> f64 { let mut s = 0.0; for i in 0..u.len() { s = s * u[i]; } s }",
            // A `let` in the body.
            "fn f(w: &mut [f64], u: &[f64]) { for i in 0..u.len() { let a = u[i]; w[i] = a * a; } }",
            // A non-affine index.
            "fn f(w: &mut [f64], u: &[f64]) { for i in 0..u.len() { w[i] = u[2 * i]; } }",
            // Periodic over a range that is not `0..n`.
            "fn f(w: &mut [f64], u: &[f64]) { let n = u.len(); for i in 1..n { w[i] = u[(i + 1) % n]; } }",
            // No shifted read: the scatter form is already a gather.
            "fn f(w: &mut [f64], u: &[f64], v: &[f64]) { for i in 0..u.len() { w[i] = u[i] * v[i]; } }",
            // The same array written twice.
            "fn f(w: &mut [f64], u: &[f64]) { for i in 0..u.len() { w[i] = u[i]; w[i] = u[i] * 2.0; } }",
        ] {
            assert_eq!(stencils(src), Vec::<i64>::new(), "{src}");
        }
    }
}
