//! The error collector of the front end (attribute arguments, lowering, `wrt(..)` and `rhs = ..`
//! checks).
//!
//! A stage pushes every error it finds into a [`Ctxt`] and carries on, so the user sees all the
//! mistakes of a function at once; at the end of the stage, [`Ctxt::check`] combines them into
//! one `syn::Error`, in the order they were found. A stage never runs on input an earlier stage
//! rejected: each checks its own `Ctxt` before the next begins.
//!
//! Forgetting to check would drop errors silently and let a rejected function reach the
//! transforms, so a `Ctxt` dropped unchecked panics, in debug builds only (the tests, and
//! `cargo build` of the macro), never in a release build of the macro.

use quote::ToTokens;
use std::fmt::Display;

/// Errors gathered while a stage runs; [`Ctxt::check`] must be called before it is dropped.
#[derive(Debug)]
pub struct Ctxt {
    /// `None` once checked.
    errors: Option<Vec<syn::Error>>,
}

impl Ctxt {
    /// An empty collector.
    pub fn new() -> Self {
        Ctxt {
            errors: Some(Vec::new()),
        }
    }

    /// Records `error`.
    pub fn push(&mut self, error: syn::Error) {
        self.errors
            .as_mut()
            .expect("a checked `Ctxt` takes no more errors")
            .push(error);
    }

    /// Records an error spanning the whole of `node` (on stable Rust, `node.span()` is only its
    /// first token).
    pub fn error_spanned_by(&mut self, node: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(node, message));
    }

    /// The value of `result`, or `None` with its error recorded.
    pub fn absorb<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// Ends the stage: every error recorded, combined into one in the order found.
    pub fn check(mut self) -> syn::Result<()> {
        let mut errors = self.errors.take().unwrap_or_default().into_iter();
        let Some(mut all) = errors.next() else {
            return Ok(());
        };
        for e in errors {
            all.combine(e);
        }
        Err(all)
    }
}

impl Default for Ctxt {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // Unchecked errors would be lost; a panic while unwinding would abort and hide the
        // first one.
        if cfg!(debug_assertions) && self.errors.is_some() && !std::thread::panicking() {
            panic!("tapeless: internal error, a `Ctxt` was dropped without `check()`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn errors_come_back_combined_in_order() {
        let mut cx = Ctxt::new();
        cx.push(syn::Error::new(Span::call_site(), "first"));
        cx.error_spanned_by(quote::quote!(x), "second");
        assert_eq!(cx.absorb(Ok::<_, syn::Error>(3)), Some(3));
        assert_eq!(
            cx.absorb::<()>(Err(syn::Error::new(Span::call_site(), "third"))),
            None
        );
        let messages: Vec<String> = cx
            .check()
            .expect_err("three errors")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second", "third"]);
    }

    #[test]
    fn no_errors_check_ok() {
        assert!(Ctxt::new().check().is_ok());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "dropped without `check()`")]
    fn dropping_unchecked_panics_in_debug_builds() {
        let _cx = Ctxt::new();
    }
}
