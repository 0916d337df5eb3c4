//! Values the reverse sweep gets back from the forward sweep: named locals at the top level
//! of the function, stacks (one per saved value) inside loops and branches. The stacks one
//! companion uses are declared in its prologue.

use crate::emit::Emitter;
use proc_macro2::{Ident, TokenStream};
use quote::quote;
use std::cell::RefCell;

/// Where a saved value is found again in the reverse sweep.
pub(super) struct Saved {
    /// The forward-sweep statement that saves the value.
    pub(super) save: TokenStream,
    /// The reverse-sweep expression that gives it back.
    pub(super) load: TokenStream,
}

/// The stacks handed out while one companion is generated.
#[derive(Default)]
pub(super) struct Saves {
    /// Stacks declared by [`Saves::save`] at depth > 0; declared in the prologue.
    stacks: RefCell<Vec<Ident>>,
}

impl Saves {
    /// Saves `value` in the forward sweep for the reverse sweep: in a named local at the top
    /// level of the function (it is still in scope when the reverse sweep runs), on a stack of
    /// its own inside loops and branches.
    pub(super) fn save(&self, em: &Emitter, depth: usize, what: &str, value: TokenStream) -> Saved {
        let rt = &em.rt;
        if depth == 0 {
            let name = em.temp(&format!("{what}_saved"));
            Saved {
                save: quote!(let #name = #value;),
                load: quote!(#name),
            }
        } else {
            let name = em.temp(&format!("{what}_stack"));
            self.stacks.borrow_mut().push(name.clone());
            Saved {
                save: quote!(#name.push(#value);),
                load: quote!(#rt::pop(&mut #name)),
            }
        }
    }

    /// Like [`Saves::save`], only when the compile-time condition `cond` holds; the load is
    /// valid under the same condition.
    pub(super) fn save_if(
        &self,
        em: &Emitter,
        depth: usize,
        what: &str,
        cond: &TokenStream,
        value: TokenStream,
    ) -> Saved {
        let rt = &em.rt;
        if depth == 0 {
            let name = em.temp(&format!("{what}_saved"));
            Saved {
                save: quote!(let #name = if #cond { #value } else { #rt::Vec::new() };),
                load: quote!(#name),
            }
        } else {
            let name = em.temp(&format!("{what}_stack"));
            self.stacks.borrow_mut().push(name.clone());
            Saved {
                save: quote!(if #cond { #name.push(#value); }),
                load: quote!(#rt::pop(&mut #name)),
            }
        }
    }

    /// The declarations of the stacks handed out by [`Saves::save`] since the last call: one
    /// generated function's.
    pub(super) fn take_stack_declarations(&self, em: &Emitter) -> TokenStream {
        let rt = &em.rt;
        let stacks = std::mem::take(&mut *self.stacks.borrow_mut());
        quote!(#(let mut #stacks = #rt::Stack::new();)*)
    }
}
