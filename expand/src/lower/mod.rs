//! Lowering: the user's `syn::ItemFn` to the IR of [`crate::ir`].
//!
//! This is the one place that reads syn. It decides the kind of every value from the syntax
//! (a proc macro cannot see types), gives shadowed bindings distinct variables, hoists calls of
//! differentiable functions out of expressions into their own statements, turns compound
//! assignments into plain ones, `match` into tested `if` chains and early `return` into a result
//! variable and a flag. Everything outside the accepted subset is an error on the smallest
//! offending node, saying what to write instead; all errors of a function are gathered in a
//! [`Ctxt`] and reported together.
//!
//! Before: `let y = (x * g(x)).sin(); y += 1.0;`
//! After:  `let __g_0 = call g(x); let mut y = sin((x * __g_0)); y = (y + 1.0)`
//!
//! One [`Lowerer`] walks the function; its methods are split by concern, one file each:
//!
//! - `mod.rs` (here): the entry point [`lower`], the lowerer's state, error helpers;
//! - [`signature`]: the function as a whole (signature, parameters, `wrt(..)`, result, early
//!   `return`);
//! - [`stmt`]: statements (`let` in all its forms, assignments, places);
//! - [`control`]: `for` loops and ranges, `if`, `match`, values given by branches;
//! - [`loops`]: `while`, `loop`, `break`, `continue` and `return` in loops, with flags;
//! - [`call`]: calls of differentiable functions, of constants and of `f64::` functions;
//! - [`consts`]: `const` items inside the function;
//! - [`expr`]: expressions, their kinds, and the bound on their depth;
//! - [`iter`]: iterator chains and closures, as loops and accumulators;
//! - [`nalgebra`]: matrices and vectors, their operators and methods;
//! - [`matrix_writes`]: element writes of matrices and vectors, `du[i] = e`, `m[(i, j)] += e`;
//! - [`types`]: kinds from the types the user wrote;
//! - [`grow`]: `Vec`s created empty and grown by `push`;
//! - [`iflet`]: `if let Some(v) = x.last()` and `x.first()`;
//! - [`options`]: `Option`s of scalars as data, `if let Some(w) = weight`, `match`;
//! - [`slices`]: `copy_from_slice`, `fill`, `first`/`last`, sub-slices bound to locals;
//! - [`tuples`]: tuples of scalars held in locals;
//! - [`tuple_data`]: slices, arrays and `Vec`s of tuples as data (`obs: &[(usize, f64)]`);
//! - [`rows`]: arrays of arrays of reals that carry derivatives, seen flat;
//! - [`scope`]: variables, names and scopes;
//! - [`diag`]: attributes, and what to write instead of unsupported syntax.
//!
//! The files share this module's names (`use super::*`): the free helpers of the files other
//! files use are `pub(super)` and brought in here.

mod bind;
mod call;
mod consts;
mod control;
mod diag;
mod expr;
mod format;
mod grow;
mod iflet;
mod infer;
mod iter;
mod loops;
mod matrix_writes;
mod method;
pub(crate) mod nalgebra;
mod options;
mod ragged;
mod rest;
mod rows;
mod scope;
mod signature;
mod slices;
mod stmt;
mod subslice;
#[cfg(test)]
mod tests;
mod tuple_branches;
mod tuple_data;
mod tuples;
mod types;
mod while_let;
mod whole;

use self::control::*;
use self::diag::*;
use self::expr::*;
use self::iter::*;
use self::loops::gives_value;
use self::nalgebra::*;
use self::stmt::*;
use self::types::*;
pub(crate) use self::types::{borrowed_rows, declared_data, ragged_rows};
use crate::attr::Args;
use crate::ctxt::Ctxt;
use crate::ir::*;
use proc_macro2::Span;
use quote::ToTokens;
use std::collections::{HashMap, HashSet};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit::Visit;

/// Lowers `item`, or returns every error found in it, combined.
pub fn lower(item: &syn::ItemFn, args: &Args) -> syn::Result<Function> {
    let mut names = IdentCollector::default();
    names.visit_item_fn(item);
    let mut l = Lowerer {
        args,
        vars: IdVec::new(),
        scopes: vec![HashMap::new()],
        idents: names.0.clone(),
        taken: names.0,
        cx: Ctxt::new(),
        early: None,
        untyped_results: Vec::new(),
        unset_targets: Vec::new(),
        ret_failed: false,
        early_unsupported: false,
        poisoned: HashSet::new(),
        param_vars: Vec::new(),
        map_params: Vec::new(),
        no_hoist: 0,
        probe_rows: 0,
        real_rows: Vec::new(),
        ragged_rows: HashSet::new(),
        data_rows: HashSet::new(),
        data_slices: HashSet::new(),
        real_elems: Vec::new(),
        spans: HashMap::new(),
        given: HashSet::new(),
        next_suffix: HashMap::new(),
        consts: HashMap::new(),
        const_params: HashMap::new(),
        resolving: Vec::new(),
        tuples: HashMap::new(),
        loops: Vec::new(),
        loop_value: None,
        tuple_targets: HashMap::new(),
        aliases: HashMap::new(),
        closures: HashMap::new(),
        inferred: HashMap::new(),
        body_tail: None,
        copy_backs: None,
        filter_marks: Vec::new(),
        rows: HashMap::new(),
        subslices: HashSet::new(),
        tuple_refs: HashSet::new(),
    };
    check_attributes(item, &mut l.cx);
    let function = l.function(item);
    match (function, l.cx.check()) {
        (Some(f), Ok(())) => Ok(f),
        (_, Err(e)) => Err(e),
        (None, Ok(())) => Err(syn::Error::new_spanned(
            &item.sig.ident,
            "tapeless: lowering failed",
        )),
    }
}

/// Every identifier in the function, so generated names never collide with the user's.
#[derive(Default)]
struct IdentCollector(HashSet<String>);

impl<'ast> Visit<'ast> for IdentCollector {
    fn visit_ident(&mut self, i: &'ast syn::Ident) {
        self.0.insert(name_of(i));
    }

    // A macro's tokens are not syntax to the visitor, but a type named in them
    // (`debug_assert!(S::OK)`) must not be shadowed by the scalar either.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        syn::visit::visit_macro(self, m);
        self.0.extend(crate::names::idents_in(m.tokens.clone()));
    }
}

/// The variables that carry an early `return`.
struct Early {
    results: Vec<VarId>,
    flag: VarId,
}

/// The state of lowering one function.
struct Lowerer<'a> {
    args: &'a Args,
    vars: IdVec<VarId, Var>,
    scopes: Vec<HashMap<String, VarId>>,
    taken: HashSet<String>,
    /// Every identifier of the user's function, as written (without the names lowering gives).
    idents: HashSet<String>,
    /// Every error found so far, reported together at the end.
    cx: Ctxt,
    early: Option<Early>,
    /// Results of calls bound without a written type (taken to be `f64`).
    untyped_results: Vec<VarId>,
    /// Variables given by an `if` or `match` whose kind the first branch value decides.
    unset_targets: Vec<VarId>,
    /// The return type was rejected: the final value is not checked against it.
    ret_failed: bool,
    /// The function has an early `return` but its result cannot carry one.
    early_unsupported: bool,
    /// Names whose binding was rejected: later statements that use them report nothing more.
    poisoned: HashSet<String>,
    /// The parameters' variables.
    param_vars: Vec<VarId>,
    /// The closure arguments of `.map(|v| ..)`.
    map_params: Vec<VarId>,
    /// Above zero while lowering an expression whose parts cannot be bound to temporaries before
    /// it (the right side of `&&` and `||`, a match guard, a probe): see [`Lowerer::bounded`].
    no_hoist: usize,
    /// How many of the `no_hoist` levels are probes of a call's arguments, which may bind rows
    /// of data to temporaries (`obs[k][0]`, see [`Lowerer::bind_row`]): the probe's statements
    /// go before the call.
    probe_rows: usize,
    /// Rows of arrays of arrays of reals bound to variables (`o` of `for o in obs`, the
    /// temporary of `obs[k][j]`): opaque data whose elements are reals, passed to a
    /// differentiable function as real arguments.
    real_rows: Vec<VarId>,
    /// The variables holding a row of a table of rows of reals of varying lengths (`y` of `for
    /// y in obs`, `obs: &[Vec<f64>]`): passed on as views of data (`Function::data_slices`).
    ragged_rows: HashSet<VarId>,
    /// Rows of arrays of arrays of real data bound to variables and passed on whole (see
    /// `ir::Function::data_rows`).
    data_rows: HashSet<VarId>,
    /// Views of data sub-slices passed on (see `ir::Function::data_slices`).
    data_slices: HashSet<VarId>,
    /// The elements of such rows bound by `for &[t, y] in obs`: reals, as arguments too.
    real_elems: Vec<VarId>,
    /// The spans of the expressions of the current statement, by address: see
    /// [`Lowerer::span_of`].
    spans: HashMap<usize, Span>,
    /// The names of `vars`, for [`Lowerer::fresh_name`].
    given: HashSet<String>,
    /// The suffix [`Lowerer::fresh_name`] tries next for a base name.
    next_suffix: HashMap<String, usize>,
    /// The `const` items of the function's blocks, by name: see [`consts`].
    consts: HashMap<String, syn::ItemConst>,
    /// The function's const generic parameters (`const N: usize`) by name, with the integer
    /// variable that holds each in the body once it is read: see `signature`.
    const_params: HashMap<String, Option<VarId>>,
    /// The constants whose values are being lowered, to refuse one that names itself.
    resolving: Vec<String>,
    /// Tuples bound whole, `let t: (f64, f64) = f(..);`: the name's variable, which holds no
    /// value, and the variables of its fields `t.0`, `t.1`.
    tuples: HashMap<VarId, Vec<VarId>>,
    /// The loops being lowered, innermost last: see [`loops`].
    loops: Vec<loops::LoopCtx>,
    /// The value variable of the `loop` about to be lowered (see [`Lowerer::value_loop`]).
    loop_value: Option<VarId>,
    /// The stand-ins for the tuples that branches give, `let (a, b) = if c { .. } else { .. };`,
    /// with the variables of their elements: see [`tuple_branches`].
    tuple_targets: HashMap<VarId, Vec<VarId>>,
    /// Names an iterator binds to elements and windows: see [`iter`].
    aliases: HashMap<VarId, Alias>,
    /// Closures stored in a `let`, inlined where they are called: see [`iter`].
    closures: HashMap<VarId, StoredClosure>,
    /// What the uses of an untyped call result say it holds, by the address of its `let`: see
    /// [`infer`].
    inferred: HashMap<usize, infer::Uses>,
    /// The function's tail expression with the address of the statements before it, which
    /// [`Lowerer::note_uses`] reads after them (the tail is lowered apart, as the result).
    body_tail: Option<(usize, syn::Expr)>,
    /// While the arguments of a call statement are lowered, its `&mut` sub-slices to copy back
    /// after it: see [`subslice`].
    copy_backs: Option<Vec<subslice::CopyBack>>,
    /// The positions of the `if`s of the filters in the loop body being built: see `iter`.
    filter_marks: Vec<usize>,
    /// Arrays of arrays of reals seen flat, with the length of their rows: see [`rows`].
    rows: HashMap<VarId, Expr>,
    /// The names bound to sub-slices, `let tail = &x[1..];`: aliases (windows) passed on to
    /// calls as copies, see [`slices`].
    subslices: HashSet<VarId>,
    /// The fields bound from tuples of data by a pattern (`k` of `for (k, y) in obs.iter()`),
    /// which the user's code may dereference, `*k`: see [`tuple_data`].
    tuple_refs: HashSet<VarId>,
}

/// The name a binding or a use refers to: `r#x` and `x` are one variable, named `x` in the IR
/// (emission writes it raw again where it is a keyword).
fn name_of(i: &syn::Ident) -> String {
    i.unraw().to_string()
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

/// An error on the whole of `node` (on stable Rust, `node.span()` is only its first token).
fn err_at<T>(node: impl ToTokens, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new_spanned(node, msg))
}

impl Lowerer<'_> {
    /// Records `e` and carries on, so that every error of the function is reported.
    fn error(&mut self, e: syn::Error) {
        self.cx.push(e);
    }
}
