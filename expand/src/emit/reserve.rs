//! Stack capacity from loop trip counts. A loop of the forward sweep that saves a value per
//! iteration onto a stack gets `stack.reserve(n)` before it, `n` the number of values it will
//! push: its own trip count times those of the loops inside it whose bounds are constants (an
//! RK4 window's `for k in 2..201 { for i in 0..40 { .. } }` reserves 7960 values once), so the
//! stack grows once instead of doubling through the sweep. Only saves made on every iteration
//! count, so the reserve never exceeds what the sweep pushes (a save under a branch of a long
//! loop could be rare). Each stack is reserved by the outermost loop that can count it.
//!
//! Before: `for i in 0..n { s_stack.push(s[i]); s[i] = .. }`
//! After: `s_stack.reserve(Iterator::size_hint(&(0..n)).0); for i in 0..n { .. }`

use super::Emitter;
use crate::ir::rev::RevStmt;
use crate::ir::*;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

impl Emitter<'_> {
    /// `stack.reserve(n);` for the stacks the loop `for _ in range { body }` pushes onto that no
    /// enclosing loop reserves already.
    pub(super) fn reserves(&self, range: &Range, body: &[RevStmt]) -> TokenStream {
        let mut found = Vec::new();
        self.pushes(body, None, &mut found);
        if found.is_empty() {
            return TokenStream::new();
        }
        let trips = self.trips(range);
        let mut reserved = self.reserved.borrow_mut();
        let mut out = TokenStream::new();
        for (stack, inner) in found {
            if reserved.contains(&stack) {
                continue;
            }
            let n = match inner {
                Some(inner) => quote!(#trips.saturating_mul(#inner)),
                None => trips.clone(),
            };
            out.extend(quote!(#stack.reserve(#n);));
            reserved.push(stack);
        }
        out
    }

    /// The number of iterations of `range`, evaluated before the loop.
    fn trips(&self, range: &Range) -> TokenStream {
        let r = self.range(range);
        quote!(::core::iter::Iterator::size_hint(&#r).0)
    }

    /// The stacks `body` pushes onto on every run, each with the number of pushes per run
    /// (through loops whose bounds read no variable but parameters' lengths; loops with other
    /// bounds count their own when they are printed).
    fn pushes(
        &self,
        body: &[RevStmt],
        per: Option<&TokenStream>,
        out: &mut Vec<(Ident, Option<TokenStream>)>,
    ) {
        for s in body {
            match s {
                RevStmt::Save { slot, .. }
                    if slot.stack && !out.iter().any(|(n, _)| *n == slot.name) =>
                {
                    out.push((slot.name.clone(), per.cloned()));
                }
                RevStmt::For { range, body, .. } if constant(self.f, range) => {
                    let trips = self.trips(range);
                    let per = match per {
                        Some(per) => quote!(#per.saturating_mul(#trips)),
                        None => trips,
                    };
                    self.pushes(body, Some(&per), out);
                }
                _ => {}
            }
        }
    }
}

/// Whether the bounds of `range` read no variable but the lengths of parameters (literals,
/// constants, `u.len()`), so its trip count can be evaluated before an enclosing loop: the
/// length of a local may be of an array declared inside that loop, out of scope before it.
fn constant(f: &Function, range: &Range) -> bool {
    let (mut values, mut all) = (Vec::new(), Vec::new());
    range.start.value_reads(&mut values);
    range.end.value_reads(&mut values);
    range.reads(&mut all);
    for a in &range.adaptors {
        if let Adaptor::StepBy(k) = a {
            k.value_reads(&mut values);
        }
    }
    values.is_empty() && all.iter().all(|v| f.params.iter().any(|p| p.var == *v))
}
