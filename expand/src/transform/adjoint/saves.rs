//! Where values the reverse sweep gets back from the forward sweep are kept: named locals at
//! the top level of the function, stacks (one per saved value) inside loops and branches. The
//! stacks one companion uses are declared in its prologue.

use crate::emit::Emitter;
use crate::ir::rev::Slot;
use proc_macro2::Ident;
use std::cell::RefCell;

/// The stacks handed out while one companion is generated.
#[derive(Default)]
pub(super) struct Saves {
    /// Stacks handed out by [`Saves::slot`] at depth > 0; declared in the prologue.
    stacks: RefCell<Vec<Ident>>,
}

impl Saves {
    /// A place to save a value in the forward sweep for the reverse sweep: a named local at
    /// the top level of the function (it is still in scope when the reverse sweep runs), a stack
    /// of its own inside loops and branches.
    pub(super) fn slot(&self, em: &Emitter, depth: usize, what: &str) -> Slot {
        if depth == 0 {
            Slot {
                name: em.temp(&format!("{what}_saved")),
                stack: false,
            }
        } else {
            let name = em.temp(&format!("{what}_stack"));
            self.stacks.borrow_mut().push(name.clone());
            Slot { name, stack: true }
        }
    }

    /// Gives back a stack no statement uses any more (its values saved another way).
    pub(super) fn drop_stack(&self, name: &Ident) {
        self.stacks.borrow_mut().retain(|s| s != name);
    }

    /// The stacks handed out by [`Saves::slot`] since the last call: one generated function's.
    pub(super) fn take_stacks(&self) -> Vec<Ident> {
        std::mem::take(&mut *self.stacks.borrow_mut())
    }
}
