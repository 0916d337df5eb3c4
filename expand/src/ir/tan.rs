//! The tangent IR: what the tangent transform produces for the forward-mode companion `f_jvp`,
//! before it is printed as Rust.
//!
//! A [`TanFunction`] is the primal statements in order, each active one with the statement of
//! its tangent next to it (after a `let`, before an assignment, which may read its own target's
//! old value), the calls of callees' forward-mode companions in place of active calls, the
//! loops and branches with the primal's shape, and the tangent of the result.
//!
//! Grammar (printed by [`print()`], turned into tokens by `emit::tan`):
//!
//! ```text
//! stmt := let v = init | place = expr | call | assert
//!       | let [mut] v_dot = tangent | place_dot = tangent | let mut r_dot = zeros like r
//!       | call by g::jvp(args) | for v in range { stmt* } | while expr { stmt* }
//!       | if expr { stmt* } else { stmt* }
//! fn   := stmt* [result tangent: tangent, ..]
//! ```
//!
//! Leaves are typed where the IR has a node for them: primal statements, places, ranges and
//! conditions are the primal IR's own nodes (printed by the emitter when the companion is
//! printed), tangent targets name the variable or place. What is still tokens, as the reverse
//! IR's seeds and reverse-call arguments are: the tangents themselves ([`Tangent`], built from
//! the rule table's forms; each records the tangents it reads), the arguments of the callees'
//! forward-mode companions ([`TanStmt::JvpCall`]), and the tangents of the result's parts.

use super::{Assert, Block, Call, Expr, Init, Place, Range, StmtId, VarId};
use proc_macro2::TokenStream;

/// The forward-mode companion `f_jvp` as data.
pub struct TanFunction<'a> {
    /// The body: primal statements interleaved with their tangents.
    pub body: Vec<TanStmt<'a>>,
    /// The tangents of the result's parts (`None` when the function returns nothing).
    pub result: Option<Vec<TokenStream>>,
}

/// The tangent of a value: its tokens, and the variables whose tangents they read (none for a
/// zero).
#[derive(Clone, Debug)]
pub struct Tangent {
    /// The tangent as an expression of the scalar type (an owned matrix for matrices).
    pub tokens: TokenStream,
    /// The variables whose tangents it reads, in the order of the rule's terms.
    pub reads: Vec<VarId>,
}

/// A statement of the tangent IR.
#[derive(Clone, Debug)]
pub enum TanStmt<'a> {
    /// `let [mut] v = init;`, the primal statement `id`.
    Let {
        id: StmtId,
        var: VarId,
        init: &'a Init,
    },
    /// `place = value;`, the primal statement `id`.
    Assign {
        id: StmtId,
        place: &'a Place,
        value: &'a Expr,
    },
    /// The primal call `id` of a callee none of whose arguments is active (through the
    /// callee's generic companion).
    Call { id: StmtId, call: &'a Call },
    /// A kept assertion of the user's: it reads the values, never the tangents.
    Assert { id: StmtId, assert: &'a Assert },
    /// `let [mut] v_dot = tangent;`: the tangent of the binding of `v`, after it.
    LetDot {
        var: VarId,
        mutable: bool,
        value: Tangent,
    },
    /// `place_dot = tangent;`: the tangent of an assignment, before it.
    SetDot { place: &'a Place, value: Tangent },
    /// `let mut r_dot = zeros like r;`: a result of an inactive call that later receives
    /// active values starts with a zero tangent.
    ZeroDot(VarId),
    /// The callee's forward-mode companion in place of the active call `id`, with each
    /// argument followed by its tangent; binds the results and their tangents.
    JvpCall {
        id: StmtId,
        call: &'a Call,
        args: Vec<TokenStream>,
    },
    /// A loop, the primal statement `id`.
    For {
        id: StmtId,
        var: VarId,
        range: &'a Range,
        body: Vec<TanStmt<'a>>,
        /// The primal loop's body (a periodic stencil's tangent is printed with its
        /// boundaries peeled off, see `emit/tan.rs`).
        primal: &'a Block,
    },
    /// A `while` loop on the primal condition, the primal statement `id`.
    While {
        id: StmtId,
        cond: &'a Expr,
        body: Vec<TanStmt<'a>>,
    },
    /// A branch on the primal condition, the primal statement `id`.
    If {
        id: StmtId,
        cond: &'a Expr,
        then: Vec<TanStmt<'a>>,
        els: Vec<TanStmt<'a>>,
    },
}

mod print;
pub use print::print;
