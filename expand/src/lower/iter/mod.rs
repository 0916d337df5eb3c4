//! Iterator chains and closures, lowered to the IR's own loops and accumulators, so the tangent
//! and the adjoint need no rule of their own: a lowered chain is the `for i in 0..n` loop a
//! careful person writes by hand.
//!
//! Before: `let s: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();`
//! After:  `let mut __sum = 0.0; for __i in 0..x.len().min(y.len()) { __sum = (__sum + (x[__i] * y[__i])) } let s = __sum`
//!
//! A chain is a *sequence*: positions `start..end` of a counter and, for each position, an
//! item built from the sources (`v.iter()`, `&v`, `v.iter_mut()`, `v.windows(k)`, `v.chunks(k)`,
//! `v.chunks_exact(k)`, each also of a sub-slice)
//! through the adapters (`zip`, `enumerate`, `map`, `rev`, `skip`, `take`, `step_by`, `copied`,
//! `cloned`), each of which changes the positions or the item. A trailing `.rev()` or
//! `.step_by(k)` becomes the loop range's own adaptor, so `for x in v.iter().rev()` is
//! `for __i in (0..v.len()).rev()`.
//!
//! The names an iterator binds stand for what they are: `x` of `for x in v.iter()` is the element
//! `v[__i]` (an alias: reads are `v[__i]`, and `*x = ..` of `iter_mut` writes `v[__i]`), `w` of
//! `windows(2)` is the window `v[__i..__i + 2]` (read as `w[j]` and `w.len()`, `w[j]` checked
//! `j < w.len()` by `__tl::window_index` as Rust checks it, so no companion reads past a window
//! or a short last chunk where the function panics). Closures are
//! inlined where they are used: their parameters are bound to the items, their bodies lowered in
//! place; the counter, accumulators and any other name lowering introduces come from
//! [`Lowerer::temp`], which never gives a name the user's function contains. A closure stored in
//! a `let` keeps the scope it was written in, and copies the `let mut` scalars it reads when it
//! is made, as a `move` closure does (a borrowing one cannot see them change: rustc refuses the
//! assignment); a closure never assigns what it captures.

// Chains, items and aliases are built a few per iterator at compile time; boxing the larger
// variants would only add noise.
#![allow(clippy::large_enum_variant)]

mod best;
mod chain;
mod closure;
mod filter;
mod reduce;

pub(in crate::lower) use self::best::{best_of, is_best_of};
use self::chain::*;
pub(in crate::lower) use self::chain::{add, int_bin, int_lit, Item};
pub(in crate::lower) use self::closure::path_closure;
use self::filter::filter_before;
use super::*;

/// What a name bound by an iterator stands for.
#[derive(Clone, Debug)]
pub(in crate::lower) enum Alias {
    /// The element `array[index]`, written through `*x = ..` when `writable` (`iter_mut`).
    Elem {
        array: VarId,
        index: Expr,
        writable: bool,
    },
    /// The window `array[start..start + len]` of `windows(k)` or `chunks(k)`.
    Window {
        array: VarId,
        start: Expr,
        len: Expr,
    },
}

/// A closure stored in a `let`, inlined where it is called.
#[derive(Clone)]
pub(in crate::lower) struct StoredClosure {
    pub(in crate::lower) closure: syn::ExprClosure,
    /// The scopes where it was written (its captured scalars replaced by their copies).
    pub(in crate::lower) scopes: Vec<HashMap<String, VarId>>,
}

/// The methods that make an iterator out of an array (a range of integers, `(0..n)`, is one
/// too: [`range_source`]).
pub(in crate::lower) const SOURCES: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "windows",
    "chunks",
    "chunks_exact",
];
/// The adapters lowering knows.
pub(in crate::lower) const ADAPTERS: &[&str] = &[
    "zip",
    "chain",
    "enumerate",
    "map",
    "rev",
    "skip",
    "take",
    "step_by",
    "copied",
    "cloned",
    "filter",
];
/// What to write, for messages.
pub(in crate::lower) const SUPPORTED: &str = "`iter`, `iter_mut`, `windows(k)`, `chunks(k)`, `chunks_exact(k)` or a range `(a..b)`, then `zip`, `chain`, `enumerate`, `map`, `filter`, `rev`, `skip`, `take`, `step_by`, `copied`, `cloned`, ending in `sum`, `product`, `fold` or `collect` (or looped over by `for`)";

/// The method calls of the chain `e`, from the iterator source outwards, if it starts at one
/// (`v.iter()..`), or from the first adapter outwards when it starts at a range of integers
/// ([`range_source`]).
pub(in crate::lower) fn from_source(e: &syn::Expr) -> Option<Vec<&syn::ExprMethodCall>> {
    let mut calls = Vec::new();
    let mut cur = strip_paren(e);
    while let syn::Expr::MethodCall(mc) = cur {
        calls.push(mc);
        if SOURCES.contains(&mc.method.to_string().as_str()) {
            calls.reverse();
            return Some(calls);
        }
        cur = strip_paren(&mc.receiver);
    }
    calls.reverse();
    let first = calls.first()?;
    let makes_items = |mc: &&syn::ExprMethodCall| {
        matches!(
            mc.method.to_string().as_str(),
            "map" | "zip" | "filter" | "enumerate"
        )
    };
    (range_source(cur).is_some()
        && ADAPTERS.contains(&first.method.to_string().as_str())
        && calls.iter().any(makes_items))
    .then_some(calls)
}

/// `a..b` or `a..=b` (in parentheses) at the start of a chain that maps, zips or filters its
/// integers, `(0..n).map(|i| ..)`: a source whose item is the position itself. (A range that
/// is only reversed or stepped, `for i in (0..n).rev()`, stays the loop's own range.)
pub(in crate::lower) fn range_source(e: &syn::Expr) -> Option<&syn::ExprRange> {
    match strip_paren(e) {
        syn::Expr::Range(r) if r.start.is_some() && r.end.is_some() => Some(r),
        _ => None,
    }
}

/// The first method of the chain `e` (which starts at an iterator source) that is not an
/// adapter lowering knows nor a reduction that ends the chain, if there is one.
pub(in crate::lower) fn unknown_adapter(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    for mc in from_source(e)?.into_iter().skip(1) {
        let name = mc.method.to_string();
        if matches!(name.as_str(), "sum" | "product" | "fold" | "collect") {
            return None;
        }
        if !ADAPTERS.contains(&name.as_str()) {
            return Some(mc);
        }
    }
    None
}

/// The error for an adapter lowering does not know.
pub(in crate::lower) fn unknown_adapter_error(mc: &syn::ExprMethodCall) -> syn::Error {
    let name = &mc.method;
    let advice = match name.to_string().as_str() {
        "filter_map" | "take_while" | "skip_while" => "write a `for` loop with an `if` inside",
        "max_by" | "min_by" => {
            "end it with `.unwrap()` or `.expect(\"..\")`, `x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap()`, or write `.fold(f64::NEG_INFINITY, f64::max)`"
        }
        "max_by_key" | "min_by_key" => {
            "compare with `.max_by(|a, b| a.total_cmp(b)).unwrap()` (or `min_by`) the numbers the key computes, `map` the items to them first; for the index of the largest value, `let (i, v) = x.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();` (a key of `f64` is not `Ord`, so `max_by_key` cannot take one)"
        }
        "max" | "min" => {
            "write `.max_by(|a, b| a.total_cmp(b)).unwrap()` (or `min_by`), or `.fold(f64::NEG_INFINITY, f64::max)` (or `f64::min` from `f64::INFINITY`)"
        }
        _ => "write a `for` loop",
    };
    syn::Error::new(
        name.span(),
        format!("`.{name}()` of an iterator is not supported; {advice} (supported: {SUPPORTED})"),
    )
}

/// Whether `e` is a method call chain that starts at an iterator source (`v.iter()..`) and
/// goes on through adapters only.
pub(in crate::lower) fn is_iterator_chain(e: &syn::Expr) -> bool {
    from_source(e).is_some_and(|calls| {
        calls[1..]
            .iter()
            .all(|mc| ADAPTERS.contains(&mc.method.to_string().as_str()))
    })
}

impl Lowerer<'_> {
    /// `let f = |x| ..;` or `let v: Vec<f64> = chain.collect();`: `false` when `local` is
    /// neither.
    pub(in crate::lower) fn let_iterator(
        &mut self,
        local: &syn::Local,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        if let syn::Expr::Closure(c) = strip_paren(init) {
            let pat = match &local.pat {
                syn::Pat::Type(pt) => &*pt.pat,
                p => p,
            };
            self.let_closure(pat, c, block)?;
            return Ok(true);
        }
        self.let_collect(local, init, block)
    }

    /// The alias `v` stands for, if any.
    pub(in crate::lower) fn alias(&self, v: VarId) -> Option<&Alias> {
        self.aliases.get(&v)
    }

    /// A read of `v` when it is an alias.
    pub(in crate::lower) fn alias_read(&self, v: VarId, span: Span) -> Option<syn::Result<Expr>> {
        match self.alias(v)? {
            Alias::Elem { array, index, .. } => Some(Ok(Expr {
                op: Op::Index(*array, Box::new(index.clone())),
                kind: self.element_kind(*array),
                span,
            })),
            Alias::Window { array, .. } => Some(err(
                span,
                format!(
                    "`{}` is a window of `{}`: read its elements, `{0}[j]`, or its length, `{0}.len()`",
                    self.shown(v),
                    self.shown(*array)
                ),
            )),
        }
    }

    /// The kind of the elements of an array an iterator reads: reals, or the opaque elements
    /// of an index list (`&[usize]`), copied as written.
    pub(in crate::lower) fn element_kind(&self, array: VarId) -> Kind {
        match self.kind(array) {
            Kind::Opaque => Kind::Opaque,
            _ => Kind::Real,
        }
    }

    /// `*x` (or `**x`, as a `filter` closure reads it) of an element an iterator gives.
    pub(in crate::lower) fn is_iter_ref(&self, e: &syn::Expr) -> bool {
        let mut e = strip_paren(e);
        while let syn::Expr::Unary(u) = e {
            if !matches!(u.op, syn::UnOp::Deref(_)) {
                break;
            }
            e = strip_paren(&u.expr);
        }
        self.path_var(e)
            .is_some_and(|v| matches!(self.alias(v), Some(Alias::Elem { .. })))
    }

    /// `*x = ..`: the element `x` stands for.
    pub(in crate::lower) fn alias_place(&mut self, e: &syn::Expr) -> syn::Result<Place> {
        let v = self.var_of(e)?;
        let Some(Alias::Elem {
            array,
            index,
            writable,
        }) = self.alias(v).cloned()
        else {
            return err_at(e, "expected an element of an iterator");
        };
        if !writable {
            return err_at(
                e,
                format!(
                    "`{}` is read-only: iterate with `{}.iter_mut()` to write the elements",
                    self.shown(v),
                    self.shown(array)
                ),
            );
        }
        if self.kind(array) == &Kind::RealArray(ArrayRepr::Slice) {
            return err_at(
                e,
                format!(
                    "`{}` is a shared slice: take it as `&mut [f64]` to write into it",
                    self.shown(array)
                ),
            );
        }
        self.vars[array].mutable = true;
        Ok(Place::Index(array, index))
    }

    /// `w[j]` of a window.
    pub(in crate::lower) fn window_read(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let Some(Alias::Window { array, start, len }) = self.alias(v).cloned() else {
            return Ok(None);
        };
        let j = self.index_expr(&ix.index, block)?;
        let index = if self.rows_var_id(array) {
            // A row of an array of arrays seen flat is checked as Rust checks `p[j]`.
            add(&start, self.row_offset(array, j, &ix.index)?)
        } else {
            self.window_index(v, array, start, j, len, &ix.index)?
        };
        Ok(Some(Expr {
            op: Op::Index(array, Box::new(index)),
            kind: Kind::Real,
            span,
        }))
    }

    /// The place `start + j` of `w[j]` in the array the window `w` (`len` elements) is read
    /// from, checked `j < len` as Rust checks `w[j]`: a literal past a window of literal length
    /// is an error here, any other index goes through `__tl::window_index`, so that no
    /// companion reads the element after the window where the function panics.
    fn window_index(
        &self,
        v: VarId,
        array: VarId,
        start: Expr,
        j: Expr,
        len: Expr,
        j_node: &syn::Expr,
    ) -> syn::Result<Expr> {
        let literal = |e: &Expr| match &e.op {
            Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse::<usize>().ok(),
            _ => None,
        };
        match (literal(&len), literal(&j)) {
            (Some(n), Some(jv)) if jv >= n => err_at(
                j_node,
                format!(
                    "index out of bounds: the windows `{}` of `{}` have {n} elements but the index is {jv}: index below {n}, or take longer windows, `{1}.windows({})`",
                    self.shown(v),
                    self.shown(array),
                    jv + 1
                ),
            ),
            (Some(_), Some(_)) => Ok(add(&start, j)),
            _ => {
                let span = j.span;
                let path: syn::Path =
                    syn::parse_quote_spanned!(Span::call_site()=> __tl::window_index);
                Ok(Expr {
                    op: Op::ConstCall(path, vec![start, j, len]),
                    kind: Kind::Int,
                    span,
                })
            }
        }
    }

    /// `w.len()` of a window.
    pub(in crate::lower) fn alias_len(&self, v: VarId) -> Option<Expr> {
        match self.alias(v)? {
            Alias::Window { len, .. } => Some(len.clone()),
            Alias::Elem { .. } => None,
        }
    }
}

/// The variables `block` certainly assigns: [`Block::writes`] without the `&mut [f64]`
/// variables passed by name to a call (`g(y)`), which the callee may take as `&[f64]` (the
/// companions decide by its `ARGS`). Where the callee does take `&mut`, rustc's borrow check of
/// the user's function rejects a loop that writes the array it iterates over, and a closure
/// that writes a captured array writes it in place as the inlined body does.
pub(in crate::lower) fn certain_writes(block: &Block) -> Vec<VarId> {
    let mut out = Vec::new();
    block.walk(&mut |s| match s {
        Stmt::Let { var, .. } | Stmt::For { var, .. } => out.push(*var),
        Stmt::Assign { place, .. } => out.push(place.var()),
        Stmt::Call(c) => {
            out.extend(&c.results);
            for a in &c.args {
                if let Arg::ArrayMut { var, by_ref: true } = a {
                    out.push(*var);
                }
            }
        }
        Stmt::If { .. } | Stmt::While { .. } | Stmt::Assert(_) => {}
    });
    out
}
