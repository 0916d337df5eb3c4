//! `filter(|x| ..)` in a chain: the test is inlined where the item is made, as an `if` whose
//! `then` block holds everything the loop does with the item after it (the closures of the
//! adapters after the filter and the body of the loop or the reduction), so that nothing is
//! computed for an item the filter drops (an item `ln` or `sqrt` cannot take never reaches them,
//! and its derivative is not formed either).
//!
//! Before: `x.iter().filter(|v| **v > 0.0).map(|v| v.ln()).sum::<f64>()`
//! After:  `let mut __sum = 0.0; for __i in 0..x.len() { if x[__i] > 0.0 { __sum = __sum + ln(x[__i]) } }`
//!
//! The positions of the loop are those before the filter, so after it only `map`, `copied`,
//! `cloned`, `filter` and `rev` (the same items backwards) are accepted, and `collect` is not
//! (its length would be the count of the items kept).

use super::*;

impl Lowerer<'_> {
    /// The test of `closure` on `item`, as an `if` pushed to `block` whose `then` block
    /// [`Lowerer::nest_filters`] fills.
    pub(in crate::lower) fn filter_guard(
        &mut self,
        closure: &syn::ExprClosure,
        item: Item,
        block: &mut Block,
    ) -> syn::Result<()> {
        let cond = self.inline_closure(closure, None, vec![item], block)?;
        if cond.kind != Kind::Bool {
            return err_at(
                &closure.body,
                "the test of a `filter` is a bool, `**x > 0.0`",
            );
        }
        let span = cond.span;
        block.stmts.push(Stmt::If {
            cond,
            then: Block::default(),
            els: Block::default(),
            span,
        });
        self.filter_marks.push(block.stmts.len() - 1);
        Ok(())
    }

    /// Starts the filters of one loop body: the marks of an enclosing one are kept aside.
    pub(in crate::lower) fn begin_filters(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.filter_marks)
    }

    /// Moves the statements after each filter's `if` in `body` into its `then` block (the last
    /// filter innermost), and restores the marks of the enclosing loop.
    pub(in crate::lower) fn nest_filters(&mut self, body: &mut Block, outer: Vec<usize>) {
        let marks = std::mem::replace(&mut self.filter_marks, outer);
        for &m in marks.iter().rev() {
            if m >= body.stmts.len() {
                continue;
            }
            let rest = body.stmts.split_off(m + 1);
            if let Some(Stmt::If { then, .. }) = body.stmts.get_mut(m) {
                then.stmts = rest;
            }
        }
    }
}

/// The first `filter` among the adapters of the chain `e`, if any.
pub(in crate::lower) fn filter_before(e: &syn::Expr) -> Option<&syn::ExprMethodCall> {
    let mut cur = strip_paren(e);
    while let syn::Expr::MethodCall(mc) = cur {
        if mc.method == "filter" {
            return Some(mc);
        }
        if SOURCES.contains(&mc.method.to_string().as_str()) {
            return None;
        }
        cur = strip_paren(&mc.receiver);
    }
    None
}
