//! The reverse IR: what the adjoint transform produces for one reverse-mode companion, before
//! it is printed as Rust.
//!
//! A [`RevFunction`] is the forward sweep (the primal statements, the values saved for the
//! reverse sweep, the adjoints zeroed), the final copies and result parts, the seeding of the
//! result's adjoint, and the reverse sweep (values put back, adjoints accumulated, reverse
//! companions called, loops run backwards, branches replayed from the saved decision).
//!
//! Grammar (printed by [`print()`], checked by [`verify`], analysed by [`live`] for what the
//! reverse sweep reads, turned into tokens by `emit::rev`):
//!
//! ```text
//! fwd   := let v = init | place = expr | call | skip stmt | save value -> slot [if c]
//!        | zero v_bar | let t = expr | for v in range { fwd* } | if cond { fwd* } else { fwd* }
//!        | while cond { fwd* } [counting trips]
//! fin   := let fin = copy(v) | let part = expr
//! rev   := restore place = load slot | unpush v | restore whole v = load slot | rebind v = load slot | recompute v = init | zero v_bar
//!        | restore &mut v = load slot if c | restore v again
//!        | adjoint of stmt, reads v.. { adj* } | for v in range.rev() { rev* }
//!        | for _ in 0..load slot (trips) { rev* }
//!        | replay load slot { rev* } else { rev* }
//! adj   := target += value | let t = value | let t = target_bar; [target_bar = 0]
//!        | update v_bar by a runtime call | call g's reverse companion(args)
//! ```
//!
//! Leaves are typed where the IR has a node for them: primal statements, places, ranges and
//! conditions are the primal IR's own nodes (printed by the emitter when the companion is
//! printed), saved values say what they save, adjoint targets name the variable, slots name
//! their local or stack. What is still tokens: the seeds of adjoints (scalar [`Value`]s built
//! from the rule table's forms; each [`RevStmt::Adjoint`] records the primal variables they
//! read), the values of adjoint temporaries ([`RevStmt::Bind`]), the runtime calls that
//! accumulate matrix and array adjoints ([`RevStmt::Update`]), the arguments of reverse calls,
//! and the callee's compile-time conditions of argument snapshots.

use super::{Call, Init, Place, Range, StmtId, VarId};
use crate::emit::Value;
use proc_macro2::{Ident, Span, TokenStream};

/// One reverse-mode companion (`f_vjp` or `__f_rev`) as data.
pub struct RevFunction<'a> {
    /// The forward sweep.
    pub forward: Vec<RevStmt<'a>>,
    /// Copies of final values and the result's parts, after the forward sweep.
    pub finals: Vec<RevStmt<'a>>,
    /// The seeding of the adjoints of what the result reads.
    pub seed: Vec<RevStmt<'a>>,
    /// The reverse sweep.
    pub reverse: Vec<RevStmt<'a>>,
    /// The stacks the sweeps push to and pop from, declared before the forward sweep.
    pub stacks: Vec<Ident>,
    /// Per parameter: the local adjoint accumulator of a real, or of an owned array the body
    /// writes, added to the caller's adjoint at the end.
    pub accumulators: Vec<Option<Ident>>,
    /// Per parameter: the copy of a `&mut` array's final value ([`RevStmt::FinalCopy`]),
    /// given back to the caller at the end.
    pub final_copies: Vec<Option<Ident>>,
    /// The names of the result's parts ([`RevStmt::ResultPart`]).
    pub result_parts: Vec<Ident>,
}

/// Where a value saved by the forward sweep is kept: a local at the top level of the
/// function, or a stack inside loops and branches.
#[derive(Clone, Debug)]
pub struct Slot {
    /// The local's or the stack's name.
    pub name: Ident,
    /// Whether it is a stack (pushed and popped) rather than a local.
    pub stack: bool,
}

/// What a [`RevStmt::Save`] saves.
#[derive(Clone, Debug)]
pub enum Saved<'a> {
    /// The value at a place about to be overwritten (`.clone()`d for matrices).
    Place { place: &'a Place, clone: bool },
    /// A binding of a loop body or branch, at the end of its scope.
    Var(VarId),
    /// A saved branch decision.
    Decision(Ident),
    /// A copy of a `&mut` array before a call (`v[..].to_vec()`).
    ArrayCopy(VarId),
}

/// An adjoint accumulated into: `v_bar` or `v_bar[i]`.
#[derive(Clone, Debug)]
pub enum Target<'a> {
    /// The whole adjoint of a real.
    Var(VarId),
    /// An element of an array's adjoint.
    Index(VarId, &'a super::Expr),
}

/// A statement of the reverse IR.
#[derive(Clone, Debug)]
pub enum RevStmt<'a> {
    // The forward sweep.
    /// Primal statement `id` left out of the forward sweep of the reverse-only companion: the
    /// reverse sweep reads nothing it computes. Prints nothing.
    Skipped { id: StmtId },
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
        value: &'a super::Expr,
    },
    /// The primal call `id` (through the callee's generic companion).
    Call { id: StmtId, call: &'a Call },
    /// A kept assertion of the user's, at its forward position: it reads the forward values.
    Assert {
        id: StmtId,
        assert: &'a super::Assert,
    },
    /// Saves a value for the reverse sweep (only when the compile-time `cond` holds).
    Save {
        slot: Slot,
        value: Saved<'a>,
        cond: Option<TokenStream>,
    },
    /// `let mut v_bar = 0;` (zeros shaped like `v` for arrays and matrices).
    Zero(VarId),
    /// `let t = cond;`: a branch decision, kept for the replay.
    Decide { name: Ident, cond: &'a super::Expr },
    /// A loop of the forward sweep.
    For {
        var: VarId,
        range: &'a Range,
        body: Vec<RevStmt<'a>>,
    },
    /// A `while` loop of the forward sweep; when `counted`, it counts its iterations in `trips`
    /// (`let mut trips = 0; while cond { body trips += 1; }`), which a [`RevStmt::Save`] after
    /// it keeps for the [`RevStmt::ReverseWhile`].
    While {
        cond: &'a super::Expr,
        trips: VarId,
        counted: bool,
        body: Vec<RevStmt<'a>>,
    },
    /// A branch of the forward sweep, on a condition or on a decision bound by [`RevStmt::Decide`].
    If {
        cond: Cond<'a>,
        then: Vec<RevStmt<'a>>,
        els: Vec<RevStmt<'a>>,
    },
    /// `let fin = v.to_vec();`: the final value of a `&mut` parameter, which the reverse sweep
    /// disturbs.
    FinalCopy { var: VarId, name: Ident },
    /// `let part = value;`: one part of the result.
    ResultPart {
        name: Ident,
        value: &'a super::Expr,
        /// A copy of an array or matrix variable rather than a real value.
        copy: bool,
    },

    // The reverse sweep.
    /// `place = load;`: the value overwritten by statement `id` put back.
    Restore {
        id: StmtId,
        place: &'a Place,
        slot: Slot,
    },
    /// `v.pop();`: the element that push `id` appended taken off again, so that the reverse of
    /// what ran before the push sees `v` at the length it had there (no value is saved: the
    /// elements before it are those the push left).
    Unpush { id: StmtId, var: VarId },
    /// `v = load;`: a fixed-size array put back whole after the reverse of a loop that
    /// overwrote elements of it, from the copy saved before the loop, in place of the
    /// element-by-element restores of the assignments `ids` (see `transform/adjoint/snapshot.rs`).
    RestoreArray {
        ids: Vec<StmtId>,
        var: VarId,
        slot: Slot,
        /// Read in place: the reverse calls after it read the slot itself, so the put-back
        /// prints nothing (see `transform/adjoint/forwarding.rs`).
        in_place: bool,
    },
    /// `let mut v = load;`: a binding of a loop body or branch, back in its scope's reverse.
    Rebind { var: VarId, slot: Slot },
    /// `let mut v = init;`: a binding evaluated again in its scope's reverse.
    Recompute { var: VarId, init: &'a Init },
    /// The adjoint of primal statement `id` (of the result when `None`): it reads the primal
    /// values `reads`.
    Adjoint {
        id: Option<StmtId>,
        reads: Vec<VarId>,
        body: Vec<RevStmt<'a>>,
    },
    /// `target += value;`, or `target = value;` when `write` (the first access of every
    /// element of a zeroed adjoint, see `transform/adjoint/writes.rs`).
    Accumulate {
        target: Target<'a>,
        value: Value,
        span: Span,
        write: bool,
    },
    /// `let mut v_bar: [S; N] = core::array::from_fn(|index| { body value });`: the adjoint of
    /// a fixed-size local array declared by the values a reversed loop over the whole array
    /// first writes, in place of zeros (`transform/adjoint/declare.rs`). `body` is temporaries
    /// and reads of adjoints; the primal values they read are those of the loop right after,
    /// whose adjoint statements keep their `reads` (so liveness and the verifier see them
    /// there).
    Declare {
        var: VarId,
        index: VarId,
        body: Vec<RevStmt<'a>>,
        value: Value,
    },
    /// `let name = value;`, a temporary of an adjoint (the statement spanned by `span` when
    /// given).
    Bind {
        name: Ident,
        value: TokenStream,
        span: Option<Span>,
    },
    /// `let name = target;` and, when `reset`, `target = 0;`: an adjoint taken out of its
    /// variable before the statement that overwrote it is differentiated.
    Take {
        name: Ident,
        target: Target<'a>,
        reset: bool,
    },
    /// `let name = take(&mut v_bar);`: a matrix adjoint taken out, its variable zeroed.
    TakeMatrix { name: Ident, var: VarId },
    /// A runtime call that accumulates into `var`'s adjoint (matrix and array forms).
    Update { var: VarId, code: TokenStream },
    /// A `&mut` argument of call `id` put back into its state before the call, when the
    /// callee's `cond` says it matters; `before` keeps it for [`RevStmt::RestoreAgain`].
    RestoreArg {
        var: VarId,
        before: Ident,
        cond: TokenStream,
        slot: Slot,
    },
    /// The argument put back again after the callee's reverse companion disturbed it (the
    /// argument `var` of call `id`).
    RestoreAgain {
        id: StmtId,
        var: VarId,
        before: Ident,
    },
    /// The callee's reverse companion, with the call's arguments, their adjoints and the seeds
    /// of its results.
    ReverseCall {
        call: &'a Call,
        args: Vec<TokenStream>,
    },
    /// A loop run backwards.
    ReverseFor {
        var: VarId,
        range: &'a Range,
        body: Vec<RevStmt<'a>>,
    },
    /// A `while` loop run backwards: the reverse of its body, as many times as the forward
    /// sweep counted in `trips` and saved in `slot` (each iteration pops what it pushed).
    ReverseWhile {
        trips: VarId,
        slot: Slot,
        body: Vec<RevStmt<'a>>,
    },
    /// A stencil loop reversed in gather form (see [`Gather`]).
    Gather(Box<Gather<'a>>),
    /// A branch replayed from its saved decision.
    Replay {
        decision: Slot,
        then: Vec<RevStmt<'a>>,
        els: Vec<RevStmt<'a>>,
    },
}

/// The reverse of a stencil loop (statement `id`, `for var in start..end`) in gather form,
/// built by `transform/adjoint/stencil.rs`: `bounds` binds the loop's bounds and the interior
/// range, then `loops` run, each adding up, per element of an input's adjoint, the entries
/// that read it (the interior without `%`, the short boundary loops, the scalars'), then the
/// adjoints of the elements the loop wrote (`zero`) are zeroed over `start..end`. The loops'
/// adjoints read the primal values `reads` (those of the loop's body and range).
#[derive(Clone, Debug)]
pub struct Gather<'a> {
    /// The loop statement.
    pub id: StmtId,
    /// The loop variable, bound by each loop of the gather.
    pub var: VarId,
    /// The primal values the gather reads.
    pub reads: Vec<VarId>,
    /// `let name = value;` of the bounds, in order.
    pub bounds: Vec<(Ident, TokenStream)>,
    /// The loops, run in order.
    pub loops: Vec<GatherLoop<'a>>,
    /// When not empty, what replaces `loops`' array loops (those not `rev`) when the interior
    /// is not empty (`lo < hi`): the boundary iterations of a periodic stencil written out
    /// (`what` is `iteration`, each run once with its indices resolved) around the interior.
    pub fast: Vec<GatherLoop<'a>>,
    /// The arrays written by the loop, whose adjoints are zeroed over its range.
    pub zero: Vec<(VarId, &'a super::Expr)>,
    /// The names bound to the loop's bounds.
    pub start: Ident,
    /// See `start`.
    pub end: Ident,
}

/// One loop of a [`Gather`]: `for var in start..end { body }`.
#[derive(Clone, Debug)]
pub struct GatherLoop<'a> {
    /// What it covers (for the printed IR): `interior` or `boundary`.
    pub what: &'static str,
    /// Whether it runs downwards (`(start..end).rev()`).
    pub rev: bool,
    /// The range's bounds.
    pub start: TokenStream,
    /// See `start`.
    pub end: TokenStream,
    /// Takes, temporaries and accumulations.
    pub body: Vec<RevStmt<'a>>,
}

/// The condition of a forward branch.
#[derive(Clone, Debug)]
pub enum Cond<'a> {
    /// The primal condition.
    Expr(&'a super::Expr),
    /// A decision bound before the branch.
    Decision(Ident),
}

pub mod live;
pub(super) mod print;
pub mod verify;
pub use print::print;
