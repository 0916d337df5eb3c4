//! How big a function `#[differentiable]` takes, and how it stays within rustc's stack.
//!
//! The plain function compiles with a few thousand terms in one expression, a method chain of a
//! thousand calls and a `match` of a thousand arms; so does its expansion:
//!
//! - the expansion (syn's parser and printer recurse as deep as the user's expression) runs on a
//!   stack of its own of [`STACK_BYTES`], reserved, not touched, when the macro starts;
//! - lowering splits expressions deeper than [`MAX_EXPR_DEPTH`] into `let` temporaries, so the
//!   generated code nests no deeper whatever the user wrote (rustc overflowed its stack on
//!   `add(add(add(..)))` of a few hundred terms), and a `match` of more than
//!   [`MAX_CHAINED_ARMS`] arms into a flat dispatch instead of a chain of `else if`;
//! - blocks, parentheses and brackets nest at most [`MAX_NESTING`] deep: deeper, the function
//!   is rejected with an error on the group that goes too deep, before anything recurses.

use proc_macro2::{TokenStream, TokenTree};

/// The stack the expansion runs on. Only what is used is backed by memory.
pub const STACK_BYTES: usize = 512 << 20;

/// The deepest expression the IR holds: deeper ones are split into `let` temporaries, so that
/// the passes and the generated code (whose tangents and adjoints nest as deep as the primal, or
/// twice as deep) stay shallow however long the user's expression is.
pub const MAX_EXPR_DEPTH: usize = 16;

/// `match`es of more arms than this are lowered to a flat dispatch on the index of the matching
/// arm, rather than to a chain of `if .. else` whose nesting grows with the arms.
pub const MAX_CHAINED_ARMS: usize = 16;

/// How deep blocks, parentheses and brackets may nest in a differentiable function (rustc itself
/// overflows its stack on a few hundred nested loops; the reverse sweep nests twice as deep).
pub const MAX_NESTING: usize = 128;

/// An error on the first group of `tokens` nested deeper than [`MAX_NESTING`]; an iterative walk,
/// so that it holds however deep the tokens go.
pub fn check_nesting(tokens: &TokenStream) -> syn::Result<()> {
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(TokenTree::Group(g)) => {
                if stack.len() > MAX_NESTING {
                    return Err(syn::Error::new(
                        g.span_open(),
                        format!("blocks, parentheses and brackets nest more than {MAX_NESTING} deep here; move the inner part into a function of its own, or bind parts with `let`"),
                    ));
                }
                stack.push(g.stream().into_iter());
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    Ok(())
}
