//! Fixed-size arrays declared by the loop that fills them. A local `[S; N]` created as zeros
//! (`let mut s = [0.0; N];`) and then written whole by a loop (`for i in 0..N { s[i] = e; }`)
//! stores its zeros only to overwrite them: a `memset` that LLVM keeps (it does not see that a
//! loop overwrites every element). Likewise, a whole-array snapshot `let s_saved = s;` before
//! such a loop copies `s` into a second array while the loop then writes the first one in
//! place. Both are printed here as one declaration by the loop's values,
//! `let mut s = core::array::from_fn::<_, N, _>(|i: usize| e);`: the zeros are not stored, and
//! after a snapshot the new `s` is a fresh binding (shadowing the one the snapshot took), so
//! the snapshot is a move of the old array that rustc keeps in place instead of a copy.
//!
//! The rule: `s` is a fixed-size array of literal length `N`, not a parameter; the statement
//! is its zero-fill `let` (at any depth: the declaration stays in the same block), or a
//! snapshot of it into a local at the top level of the sweep (where a shadowing binding covers
//! every later use); the next statements are only declarations of zeroed adjoints (a
//! fixed-size array's are `[0; N]`, which read nothing), then a loop `for i in 0..N` (literal
//! bounds, no adaptor: `from_fn` runs upwards, so a panic inside names the same index) whose
//! body is
//! the single assignment `s[i] = e` with `e` reading no element of `s`.
//!
//! Exact: every element is written once with the same expression over the same values (the
//! loop changes nothing `e` reads), in the same order, so the array holds the same bits.

use super::Emitter;
use crate::ir::rev::{RevStmt, Saved};
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::quote;

/// A loop that fills a whole array: its index and the value written at it.
struct Fill<'a> {
    index: VarId,
    value: &'a Expr,
}

impl Emitter<'_> {
    /// The top level of a sweep: statements as [`Emitter::rev_stmts`] prints them, with the
    /// declarations and snapshots of arrays a loop then fills printed as that loop's values.
    pub fn rev_sweep(&self, stmts: &[RevStmt]) -> TokenStream {
        self.rev_filled(stmts, true)
    }

    /// Statements of a nested block: only zero-fill declarations are fused (see the module).
    pub(super) fn rev_block(&self, stmts: &[RevStmt]) -> TokenStream {
        self.rev_filled(stmts, false)
    }

    fn rev_filled(&self, stmts: &[RevStmt], top: bool) -> TokenStream {
        let mut out = TokenStream::new();
        let mut k = 0;
        while k < stmts.len() {
            let target = match &stmts[k] {
                RevStmt::Let { var, init, .. } if self.zero_filled(*var, init) => Some(*var),
                RevStmt::Save {
                    slot,
                    value: Saved::Var(v),
                    cond: None,
                } if top && !slot.stack => Some(*v),
                _ => None,
            };
            let found = target.and_then(|s| {
                let between = stmts[k + 1..]
                    .iter()
                    .take_while(|t| matches!(t, RevStmt::Zero(_) | RevStmt::Skipped { .. }))
                    .count();
                let RevStmt::For { var, range, body } = stmts.get(k + 1 + between)? else {
                    return None;
                };
                let [RevStmt::Assign { place, value, .. }] = body.as_slice() else {
                    return None;
                };
                let fill = self.fill(s, *var, range, place, value)?;
                Some((s, between, fill))
            });
            let Some((s, between, fill)) = found else {
                out.extend(self.rev_stmt(&stmts[k]));
                k += 1;
                continue;
            };
            if let RevStmt::Save { .. } = &stmts[k] {
                out.extend(self.rev_stmt(&stmts[k]));
            }
            out.extend(self.rev_stmts(&stmts[k + 1..k + 1 + between]));
            out.extend(self.filled(s, &fill));
            k += 2 + between;
        }
        out
    }

    /// Primal statements of a block, with zero-fill declarations of arrays that a loop then
    /// fills printed as that loop's values (see the module).
    pub fn primal_filled(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        let mut k = 0;
        while k < stmts.len() {
            let fill = match (&stmts[k], stmts.get(k + 1)) {
                (
                    Stmt::Let { var, init, .. },
                    Some(Stmt::For {
                        var: index,
                        range,
                        body,
                        ..
                    }),
                ) if self.zero_filled(*var, init) => match body.stmts.as_slice() {
                    [Stmt::Assign { place, value, .. }] => self
                        .fill(*var, *index, range, place, value)
                        .filter(|_| {
                            crate::transform::adjoint::peeled_primal(self, *index, range, body)
                                .is_none()
                        })
                        .map(|fill| (*var, fill)),
                    _ => None,
                },
                _ => None,
            };
            match fill {
                Some((s, fill)) => {
                    out.extend(self.filled(s, &fill));
                    k += 2;
                }
                None => {
                    out.extend(self.primal_stmt(&stmts[k]));
                    k += 1;
                }
            }
        }
        out
    }

    /// Whether `let v = init;` declares a local fixed-size array of literal length by a fill.
    fn zero_filled(&self, v: VarId, init: &Init) -> bool {
        matches!(init, Init::ArrayFill { .. }) && self.literal_len(v).is_some()
    }

    /// The literal length of `v`, a fixed-size array of reals that is not a parameter.
    fn literal_len(&self, v: VarId) -> Option<usize> {
        if self.f.params.iter().any(|p| p.var == v) {
            return None;
        }
        match &self.var(v).kind {
            Kind::RealArray(ArrayRepr::Array(n)) => syn::parse2::<syn::LitInt>(n.0.clone())
                .ok()?
                .base10_parse()
                .ok(),
            _ => None,
        }
    }

    /// The fill of `s` by the loop `for index in range { place = value; }`, if the loop writes
    /// every element of `s` once, at the index, from values that are not `s`'s.
    fn fill<'e>(
        &self,
        s: VarId,
        index: VarId,
        range: &Range,
        place: &Place,
        value: &'e Expr,
    ) -> Option<Fill<'e>> {
        let n = self.literal_len(s)?;
        let lit = |e: &Expr| match &e.op {
            Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse::<usize>().ok(),
            _ => None,
        };
        if range.inclusive
            || !range.adaptors.is_empty()
            || lit(&range.start) != Some(0)
            || lit(&range.end)? != n
        {
            return None;
        }
        let Place::Index(w, at) = place else {
            return None;
        };
        if *w != s || !matches!(at.op, Op::Var(i) if i == index) {
            return None;
        }
        let mut reads = Vec::new();
        value.reads(&mut reads);
        (!reads.contains(&s)).then_some(Fill { index, value })
    }

    /// `let [mut] s = core::array::from_fn::<_, N, _>(|i: usize| value);`.
    fn filled(&self, s: VarId, fill: &Fill) -> TokenStream {
        let (b, i, v) = (
            self.binding(s),
            self.name(fill.index),
            self.primal(fill.value),
        );
        let n = proc_macro2::Literal::usize_unsuffixed(self.literal_len(s).unwrap_or_default());
        quote!(let #b = ::core::array::from_fn::<_, #n, _>(|#i: usize| #v);)
    }
}

#[cfg(test)]
mod tests {
    /// The companions of `src` (a `#[differentiable]` function without arguments) as one string.
    fn expanded(src: &str) -> String {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let tokens = crate::expand(Default::default(), quote::quote!(#item)).expect("expands");
        tokens.to_string()
    }

    const FILL: &str = "let mut s = :: core :: array :: from_fn :: < _ , 3 , _ >";

    #[test]
    fn arrays_filled_whole_by_the_next_loop_are_declared_by_it() {
        // In `f_generic`, `f_vjp` and `__f_rev`; the snapshot before the second fill is moved
        // into its local and `s` declared afresh (in the two reverse companions).
        let text = expanded("fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] * u[i]; } let k: [f64; 3] = g(s); for i in 0..3 { s[i] = u[i] + k[i]; } let m: [f64; 3] = g(s); s[0] * m[1] }");
        assert_eq!(text.matches(FILL).count(), 5, "{text}");
        // Only `f_jvp` (whose loops write `s_dot` too) keeps the zeros.
        let zeros = "let mut s = [__tl :: cst :: < S > (0.0) ; 3]";
        assert_eq!(text.matches(zeros).count(), 1, "{text}");
        assert_eq!(
            text.matches("= s ; let mut s = :: core :: array :: from_fn")
                .count(),
            2,
            "{text}"
        );
    }

    #[test]
    fn fills_the_rule_does_not_allow_are_left_as_loops() {
        for src in [
            // The value reads the array.
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] + s[(i + 1) % 3]; } s[0] * s[2] }",
            // Not every element, not in order, not one statement, not at the index.
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..2 { s[i] = u[i] * u[i]; } s[0] * s[2] }",
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in (0..3).rev() { s[i] = u[i] * u[i]; } s[0] * s[2] }",
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] * u[i]; s[i] = s[i] * u[0]; } s[0] * s[2] }",
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..3 { s[2 - i] = u[i] * u[i]; } s[0] * s[2] }",
            // A statement between the declaration and the loop.
            "fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; s[1] = u[0]; for i in 0..3 { s[i] = u[i] * u[i]; } s[0] * s[2] }",
            // A `Vec`.
            "fn f(u: &[f64]) -> f64 { let mut s = vec![0.0; 3]; for i in 0..3 { s[i] = u[i] * u[i]; } s[0] * s[2] }",
        ] {
            let text = expanded(src);
            assert!(!text.contains(":: core :: array :: from_fn :: <"), "{src}\n{text}");
        }
        // A parameter is written in place (by a `&mut` reference, or a copy the caller gave).
        let text = expanded("fn f(u: [f64; 3], mut s: [f64; 3]) -> f64 { let k: [f64; 3] = g(s); for i in 0..3 { s[i] = u[i] * k[i]; } s[0] * s[2] }");
        assert!(!text.contains("let mut s = :: core :: array"), "{text}");
        // A snapshot inside a loop (pushed once per iteration) is not turned into a binding
        // that the loop's next iteration would not see.
        let text = expanded("fn f(x: [f64; 3]) -> f64 { let mut u = x; let mut j = 0.0; for _k in 0..2 { let n: [f64; 3] = g(u); for i in 0..3 { u[i] = n[i]; } j += u[0] * u[1]; } j }");
        assert!(!text.contains("let mut u = :: core :: array"), "{text}");
        // Nor one inside a branch (a push there; a binding would end with the block).
        let text = expanded("fn f(u: [f64; 3]) -> f64 { let mut s = [0.0; 3]; for i in 0..3 { s[i] = u[i] * u[i]; } let k: [f64; 3] = g(s); if u[0] > 0.0 { for i in 0..3 { s[i] = u[i] + k[i]; } } let m: [f64; 3] = g(s); s[0] * m[1] }");
        assert_eq!(text.matches(FILL).count(), 3, "{text}");
    }
}
