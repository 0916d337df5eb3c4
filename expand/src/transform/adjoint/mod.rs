//! The reverse-mode transform: `f_vjp`, the value and the vector-Jacobian product `J^T y_bar`.
//!
//! The generated body is the forward sweep (the primal, saving what it overwrites and the
//! branches it takes), then the reverse sweep: the statements' adjoints in reverse order, loops
//! run backwards (`for i in range.rev()`), branches replayed from the saved decision. A `while`
//! loop (also `loop`, and a `for` that may stop early) counts its iterations in the forward sweep
//! and its reverse runs that many times (`for _ in 0..trips`), as Tapenade reverses them. No
//! operation tape: the code of the reverse sweep is fixed at compile time, and only values are
//! kept.
//!
//! How values reach the reverse sweep, cheapest first:
//!
//! - **in scope**: bindings at the top level of the function are still in scope in the reverse
//!   sweep, which is emitted after the forward sweep in the same body;
//! - **restored**: before an assignment overwrites a value that the reverse sweep reads, the old
//!   value is saved; the reverse sweep puts it back before processing that assignment, so every
//!   statement's adjoint sees the values its forward execution saw;
//! - **recomputed**: a `let` inside a loop or branch whose inputs do not change in that scope is
//!   evaluated again at the start of the scope's reverse;
//! - **saved**: other `let`s of loops and branches that the reverse sweep reads are saved at the
//!   end of the scope (on a stack of their own) and rebound at the start of its reverse.
//!
//! Calls of differentiable functions call the callee's `_vjp` in the reverse sweep, with `&mut`
//! arrays first put back into their state before the call.
//!
//! The transform builds the reverse IR ([`crate::ir::rev`]) of each companion from the primal
//! IR and the [`plan()`] (what to save, restore and recompute): `stmt` the statements' sweeps,
//! `seed` the adjoints of expressions by the rule table, `saves` the slots values are kept in.
//! The IR is checked by [`crate::ir::rev::verify`], printed as Rust by the emitter
//! (`emit/rev.rs`) and as text by [`describe()`]. `__f_rev` is built the same way, then
//! dead-code elimination over its IR (`dce`) skips the forward statements whose values its
//! reverse sweep does not read.
//! Two passes over the top level of every companion's reverse sweep then
//! remove memory traffic: `forwarding` lets the reverse calls read a snapshot of an array
//! overwritten whole in place of putting it back (a copy), and `resets` leaves out the zeroing
//! of adjoints that nothing reads afterwards. Then `writes` writes the first accumulations
//! into zeroed adjoints, and `declare` declares such an adjoint by those writes in place of
//! its zeros.
//!
//! Before: `let mut s = 0.0; for i in 0..n { s += u[i] * u[i]; } s`
//! After (forward):  `let mut s = 0.0; let mut s_bar = 0.0; for i in 0..n { s = s + u[i] * u[i]; }`
//! After (reverse):  `s_bar += result_bar;`
//!                   `for i in (0..n).rev() { let __g = s_bar; u_bar[i] += __g * u[i]; u_bar[i] += __g * u[i]; }`

mod dce;
mod declare;
mod describe;
mod forwarding;
mod peel;
mod plan;
mod resets;
mod saves;
mod seed;
mod snapshot;
mod stencil;
mod stmt;
#[cfg(test)]
mod tests;
mod writes;

pub use describe::describe;
pub use peel::{peeled, peeled_primal};

use crate::activity::arg_active;
use crate::emit::{Emitter, Value};
use crate::ir::rev::{RevFunction, RevStmt};
use crate::ir::*;
use plan::{plan, Plan};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::cell::RefCell;
use std::collections::HashSet;

struct Reverse<'a> {
    em: &'a Emitter<'a>,
    plan: &'a Plan,
    /// For the reverse-only companion: the statements its forward sweep keeps (those that
    /// compute what the reverse sweep reads); `None` keeps every statement.
    useful: Option<HashSet<StmtId>>,
    /// The saves of this companion.
    saves: saves::Saves,
    /// The primal variables read by the adjoint being generated (see [`Reverse::adjoint`]).
    reads: RefCell<Vec<VarId>>,
    /// The `Vec`s grown by `push`: the adjoint of one bound at the top level is zeroed after
    /// the forward sweep, at its final length.
    pushed: Vec<VarId>,
}

impl<'a> Reverse<'a> {
    /// Records that the adjoint being generated reads the values `e` reads (not the arrays of
    /// which it takes only the length).
    fn read(&self, e: &Expr) {
        e.value_reads(&mut self.reads.borrow_mut());
    }

    /// The primal value of `e`, read by the adjoint being generated.
    fn primal(&self, e: &Expr) -> TokenStream {
        self.read(e);
        self.em.primal(e)
    }

    /// The primal value of `e` as a [`Value`], read by the adjoint being generated.
    fn primal_value(&self, e: &Expr) -> Value {
        self.read(e);
        self.em.primal_value(e)
    }

    /// The matrix `e` as a reference, read by the adjoint being generated.
    fn mat_ref(&self, e: &Expr) -> TokenStream {
        self.read(e);
        self.em.mat_ref(e)
    }

    /// The adjoint of statement `id` (of the result when `None`), generated by `body`, as one
    /// [`RevStmt::Adjoint`] that lists the primal values it reads; nothing when it is empty.
    fn adjoint(
        &self,
        id: Option<StmtId>,
        out: &mut Vec<RevStmt<'a>>,
        body: impl FnOnce(&mut Vec<RevStmt<'a>>),
    ) {
        let outer = self.reads.take();
        let mut stmts = Vec::new();
        body(&mut stmts);
        let read = self.reads.replace(outer);
        let mut reads = Vec::new();
        for v in read {
            if !reads.contains(&v) {
                reads.push(v);
            }
        }
        if !stmts.is_empty() {
            out.push(RevStmt::Adjoint {
                id,
                reads,
                body: stmts,
            });
        }
    }
}

/// The adjoint parameter of `p`, if it has one.
fn bar_param(em: &Emitter, p: &Param) -> Option<TokenStream> {
    let scalar = &em.scalar;
    if !em.is_active(p.var) {
        return None;
    }
    let b = em.bar(p.var);
    if let Some(ty) = em.rows_ty(p.var, true) {
        return Some(quote!(#b: #ty));
    }
    Some(match &em.var(p.var).kind {
        Kind::Real => {
            let ty = em.real_param_ty(p.var);
            quote!(#b: &mut #ty)
        }
        Kind::RealArray(_) => quote!(#b: &mut [#scalar]),
        Kind::Matrix => {
            let ty = em.matrix_ty(em.var(p.var).ty.as_ref().expect("parameters have types"));
            quote!(#b: &mut #ty)
        }
        _ => return None,
    })
}

/// The zero a real parameter's local adjoint starts from: of its type when it is a struct's
/// field passed bare ([`Emitter::sent_ty`], an integer's zero for an integer field).
fn param_zero(em: &Emitter, v: VarId) -> TokenStream {
    match em.sent_ty(v) {
        Some(t) => {
            let krate = &em.krate;
            quote!(<#t as #krate::Zero>::zero())
        }
        None => em.zero(),
    }
}

/// The reverse-mode companion `f_vjp`.
///
/// An error if the reverse IR fails its verifier ([`crate::ir::rev::verify`]): a bug of this
/// transform, reported as a compile error rather than wrong derivatives.
///
/// `stencil`: whether stencil loops get the gather form (`#[differentiable(stencil = false)]`
/// keeps the scatter form).
pub fn function<'a>(
    em: &'a Emitter<'a>,
    vis: &syn::Visibility,
    stencil: bool,
) -> syn::Result<TokenStream> {
    let plan = plan(em, stencil);
    let effects = argument_effects(em, vis);
    let vjp = companion(em, vis, &plan, false)?;
    let rev = companion(em, vis, &plan, true)?;
    Ok(quote! {
        #effects
        #vjp
        #rev
    })
}

/// The reverse IR of `f_vjp`, or (`reverse_only`) of `__f_rev`: the same reverse sweep after
/// a forward sweep that computes only what the reverse sweep reads, for callers' reverse
/// sweeps, which already have the call's results. Starts a new companion's names.
fn build<'a>(em: &'a Emitter<'a>, plan: &'a Plan, reverse_only: bool) -> RevFunction<'a> {
    build_with(em, plan, reverse_only, None)
}

/// [`build`], keeping in the forward sweep of the reverse-only companion the statements
/// `useful` when given, else those that dead-code elimination over the IR keeps
/// ([`dce::live_statements`]).
fn build_with<'a>(
    em: &'a Emitter<'a>,
    plan: &'a Plan,
    reverse_only: bool,
    useful: Option<HashSet<StmtId>>,
) -> RevFunction<'a> {
    let f = em.f;
    em.begin_function();
    let eliminate = reverse_only && useful.is_none();
    let r = Reverse {
        em,
        plan,
        useful: useful.filter(|_| reverse_only),
        saves: Default::default(),
        reads: Default::default(),
        pushed: f.body.pushed(),
    };
    let written = f.body.writes();
    let finals_of = final_copies(&r, reverse_only);
    // A scalar's adjoint, and that of an owned array the body writes, is accumulated locally
    // (an overwrite of the parameter resets it), then added to the caller's.
    let accumulators = f
        .params
        .iter()
        .map(|p| {
            if !em.is_active(p.var) {
                return None;
            }
            // Every active parameter's name is taken, so that later names do not depend on
            // which parameters need one.
            let acc = em.fresh(&format!("__{}_acc", em.bar(p.var)));
            let local = match &em.var(p.var).kind {
                Kind::Real => true,
                Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_)) => written.contains(&p.var),
                _ => false,
            };
            local.then_some(acc)
        })
        .collect();
    let (mut forward, reverse) = r.block(&f.body, StmtId::FIRST, 0);
    // The adjoint of a `Vec` grown by `push` has its final length: each push's reverse takes
    // its element's adjoint at the index the element had.
    for s in &f.body.stmts {
        if let Stmt::Let { var, .. } = s {
            if em.is_active(*var) && r.pushed.contains(var) {
                forward.push(RevStmt::Zero(*var));
            }
        }
    }
    // Final values of `&mut` parameters that the reverse sweep disturbs.
    let mut finals = Vec::new();
    for (p, fin) in f.params.iter().zip(&finals_of) {
        if let Some(fin) = fin {
            finals.push(RevStmt::FinalCopy {
                var: p.var,
                name: fin.clone(),
            });
        }
    }
    // The result, and the seeding of its adjoint (before the reverse sweep changes any value).
    let (result_parts, seed) = seed_result(&r, reverse_only, &mut finals);
    let mut ir = RevFunction {
        forward,
        finals,
        seed,
        reverse,
        stacks: r.saves.take_stacks(),
        accumulators,
        final_copies: finals_of,
        result_parts,
    };
    forwarding::read_snapshots_in_place(em, &mut ir.reverse);
    resets::drop_dead_resets(em, &mut ir.reverse);
    writes::write_first_accumulations(em, &mut ir);
    declare::declare_by_first_writes(em, &mut ir);
    if eliminate {
        let live = dce::live_statements(f, &em.active, &ir);
        dce::skip_dead(&mut ir.forward, &live);
    }
    ir
}

/// `f_vjp`, or (`reverse_only`) `__f_rev`, printed from its reverse IR (see [`build`]). After
/// `__f_rev`, `&mut` arguments are in an unspecified state.
fn companion<'a>(
    em: &'a Emitter<'a>,
    vis: &syn::Visibility,
    plan: &'a Plan,
    reverse_only: bool,
) -> syn::Result<TokenStream> {
    let scalar = &em.scalar;
    let f = em.f;
    let rt = &em.rt;
    let ir = build(em, plan, reverse_only);
    let problems = crate::ir::rev::verify::verify(f, &ir);
    if !problems.is_empty() {
        return Err(syn::Error::new(
            f.name.span(),
            format!(
                "tapeless: internal error, the reverse IR is malformed: {}",
                problems.join("; ")
            ),
        ));
    }
    let name = if reverse_only {
        format_ident!("__{}_rev", f.name)
    } else {
        format_ident!("{}_vjp", f.name)
    };
    let user = &f.name;
    let result_bar = em.result_bar();
    let mut params = Vec::new();
    let mut prologue = TokenStream::new();
    let mut epilogue = TokenStream::new();
    for ((p, fin), acc) in f.params.iter().zip(&ir.final_copies).zip(&ir.accumulators) {
        params.push(em.primal_param(p));
        params.extend(bar_param(em, p));
        if !em.is_active(p.var) {
            continue;
        }
        let (n, b) = (em.name(p.var), em.bar(p.var));
        match (&em.var(p.var).kind, acc) {
            (Kind::Real, Some(acc)) => {
                let (ty, z) = (em.real_param_ty(p.var), param_zero(em, p.var));
                prologue.extend(quote!(let #acc: &mut #ty = #b; let mut #b = #z;));
                epilogue.extend(quote!(*#acc += #b;));
            }
            (Kind::RealArray(repr), Some(acc)) => {
                // A fixed-size array's accumulator is an array on the stack, not a `Vec`.
                let zeros = match repr {
                    ArrayRepr::Array(_) => quote!(#rt::zeros_like(&#n)),
                    _ => quote!(#rt::zeros_like(&#n[..])),
                };
                prologue.extend(quote!(let #acc: &mut [#scalar] = #b; let mut #b = #zeros;));
                epilogue.extend(quote!(#rt::accumulate(#acc, &#b[..]);));
            }
            (Kind::RealArray(ArrayRepr::Array(len)), None) => {
                // Seen as an array after one check, the adjoint's indices are provably in
                // bounds: no check per access, loops that vectorise.
                let (fname, bs, ns) = (name.to_string(), b.to_string(), n.to_string());
                prologue.extend(quote!(
                    let #b: &mut [#scalar; #len] = #rt::fixed_mut(#fname, #bs, #ns, #b);
                ));
            }
            (Kind::RealArray(ArrayRepr::SliceMut), None) if fin.is_some() => {
                // The reverse sweep puts earlier values back; the caller gets the final ones.
                epilogue.extend(quote!(#n.copy_from_slice(&#fin[..]);));
            }
            _ => {}
        }
    }
    let seed_ty = seed_type(em);
    if let Some(t) = &seed_ty {
        params.push(quote!(#result_bar: #t));
    }
    let result_parts = &ir.result_parts;
    let result = match (result_parts.len(), f.ret.tuple) {
        _ if reverse_only => quote!(),
        (0, _) => quote!(),
        (_, true) => quote!((#(#result_parts,)*)),
        _ => quote!(#(#result_parts)*),
    };
    let ret = if reverse_only {
        None
    } else {
        em.result_ty().map(|t| quote!(-> #t))
    };
    let stacks = em.rev_stacks(&ir.stacks);
    let fwd = em.rev_sweep(&ir.forward);
    let finals = em.rev_stmts(&ir.finals);
    let seed = em.rev_stmts(&ir.seed);
    let rev = em.rev_stmts(&ir.reverse);
    let generics = em.generics();
    let import = em.runtime_import();
    let allows = em.allows();
    let checks = em.length_checks(&name, |v| em.bar(v));
    let flatten = em.flatten_rows(Some(&|v| em.bar(v)), true);
    let doc = format!(
        " Reverse mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets an adjoint `x_bar` after it, into which `J^T {result_bar}` is accumulated; `&mut` arrays' adjoints go in as the adjoint of their final values and come out as the adjoint of their initial values. Returns the value."
    );
    let doc = if reverse_only {
        quote!(#[doc(hidden)])
    } else {
        quote!(#[doc = #doc])
    };
    Ok(quote! {
        #doc
        #allows
        #vis fn #name #generics(#(#params),*) #ret {
            #import
            #flatten
            #checks
            #prologue
            #stacks
            #fwd
            #finals
            // Reverse sweep.
            #seed
            #rev
            #epilogue
            #result
        }
    })
}

/// The copies of the final values of `&mut` parameters that the reverse sweep disturbs, by
/// parameter (none in the reverse-only companion).
fn final_copies(r: &Reverse, reverse_only: bool) -> Vec<Option<Ident>> {
    let (em, f) = (r.em, r.em.f);
    let mut call_written = Vec::new();
    f.body.walk(&mut |s| {
        if let Stmt::Call(c) = s {
            if c.args.iter().any(|a| arg_active(a, &em.active)) {
                for a in &c.args {
                    if let Arg::ArrayMut { var, .. } = a {
                        call_written.push(*var);
                    }
                }
            }
        }
    });
    f.params
        .iter()
        .map(|p| {
            let kept = !reverse_only
                && matches!(em.var(p.var).kind, Kind::RealArray(ArrayRepr::SliceMut))
                && em.is_active(p.var)
                && (r.plan.needed[p.var] || call_written.contains(&p.var));
            kept.then(|| em.fresh(&format!("__{}_final", em.var(p.var).name)))
        })
        .collect()
}

/// The type of the result's adjoint, the seed of the reverse sweep (`None` for `()`).
fn seed_type(em: &Emitter) -> Option<TokenStream> {
    let (f, scalar) = (em.f, &em.scalar);
    em.result_ty().map(|_| {
        let parts: Vec<TokenStream> = f
            .ret
            .parts
            .iter()
            .enumerate()
            .map(|(i, k)| match k {
                Kind::Real => quote!(#scalar),
                Kind::Matrix => {
                    let t = em.result_part_ty(i);
                    quote!(&#t)
                }
                _ => match em.result_rows(i) {
                    // An array of arrays: its adjoint in the nested shape.
                    Some(len) => quote!(&[[#scalar; #len]]),
                    None => quote!(&[#scalar]),
                },
            })
            .collect();
        if f.ret.tuple {
            quote!((#(#parts,)*))
        } else {
            quote!(#(#parts)*)
        }
    })
}

/// The result's parts (bound in `finals` unless `reverse_only`) and the seeding of the adjoints
/// of what the result reads.
fn seed_result<'a>(
    r: &Reverse<'a>,
    reverse_only: bool,
    finals: &mut Vec<RevStmt<'a>>,
) -> (Vec<Ident>, Vec<RevStmt<'a>>) {
    let (em, f) = (r.em, r.em.f);
    let rt = &em.rt;
    let result_bar = em.result_bar();
    let mut result_parts = Vec::new();
    let mut seed = Vec::new();
    for (k, (e, kind)) in f.ret.values.iter().zip(&f.ret.parts).enumerate() {
        let part = em.temp("result");
        let s = if f.ret.tuple {
            let k = syn::Index::from(k);
            Value::Expr(quote!(#result_bar.#k))
        } else {
            Value::Name(result_bar.clone())
        };
        if *kind == Kind::Real {
            if !reverse_only {
                finals.push(RevStmt::ResultPart {
                    name: part.clone(),
                    value: e,
                    copy: false,
                });
            }
            r.adjoint(None, &mut seed, |out| r.expr(e, s, out));
        } else {
            let Op::Var(v) = &e.op else {
                unreachable!("array results are variables")
            };
            if !reverse_only {
                finals.push(RevStmt::ResultPart {
                    name: part.clone(),
                    value: e,
                    copy: true,
                });
            }
            if em.is_active(*v) {
                let code = if *kind == Kind::Matrix {
                    let b = em.bar_mut(*v);
                    quote!(#rt::linalg::accumulate(#b, #s);)
                } else {
                    let b = em.bar(*v);
                    let s = match em.result_rows(k) {
                        Some(_) => quote!(#s.as_flattened()),
                        None => quote!(&#s[..]),
                    };
                    if seeded_by_copy(f, em, *v, k) {
                        quote!(#rt::seed(&mut #b[..], #s);)
                    } else {
                        quote!(#rt::accumulate(&mut #b[..], #s);)
                    }
                };
                r.adjoint(None, &mut seed, |out| {
                    out.push(RevStmt::Update { var: *v, code })
                });
            }
        }
        result_parts.push(part);
    }
    (result_parts, seed)
}

/// Whether the adjoint of the returned array `v` is seeded by a copy of the incoming one rather
/// than added to: `v` is a local array of the function's own (not a parameter, whose adjoint is
/// the caller's or an accumulator), so its adjoint is a local declared zero in the forward sweep,
/// and the seeding comes before any statement of the reverse sweep adds to it; `v` is the
/// result's part `k`, and no earlier part is `v` too (`(a, a)` of a `Copy` array: the second
/// seeding adds).
fn seeded_by_copy(f: &crate::ir::Function, em: &Emitter, v: crate::ir::VarId, k: usize) -> bool {
    let earlier = f.ret.values[..k]
        .iter()
        .any(|e| matches!(&e.op, Op::Var(w) if *w == v));
    !earlier
        && f.params.iter().all(|p| p.var != v)
        && matches!(
            em.var(v).kind,
            Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_))
        )
}

/// `__f_args`: for each parameter, whether `f` reads the incoming value of an array it may
/// write, and whether it writes it. Callers read it at compile time to skip snapshots of
/// `&mut` arguments that the reverse sweep does not need.
fn argument_effects(em: &Emitter, vis: &syn::Visibility) -> TokenStream {
    let f = em.f;
    let name = format_ident!("__{}_args", f.name);
    let written = f.body.writes();
    let mut read = Vec::new();
    f.body.walk(&mut |s| match s {
        Stmt::Let { init, .. } => init.reads(&mut read),
        Stmt::Assign { place, value, .. } => {
            value.reads(&mut read);
            if let Place::Index(_, i) = place {
                i.reads(&mut read);
            }
        }
        Stmt::Call(c) => c.args.iter().for_each(|a| a.reads(&mut read)),
        Stmt::For { range, .. } => range.reads(&mut read),
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => cond.reads(&mut read),
        Stmt::Assert(a) => a.reads(&mut read),
    });
    for e in &f.ret.values {
        e.reads(&mut read);
    }
    // `v.len()` does not read the values.
    let mut lengths = Vec::new();
    let mut collect_len = |e: &Expr| collect_lengths(e, &mut lengths);
    f.body.walk(&mut |s| {
        if let Stmt::For { range, .. } = s {
            collect_len(&range.start);
            collect_len(&range.end);
        }
    });
    let entries = f.params.iter().map(|p| {
        let is_array = matches!(em.var(p.var).kind, Kind::RealArray(_));
        let writes = is_array && written.contains(&p.var);
        let reads = is_array
            && read.iter().filter(|&&v| v == p.var).count()
                > lengths.iter().filter(|&&v| v == p.var).count();
        quote!((#reads, #writes))
    });
    let n = f.params.len();
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #name: [(bool, bool); #n] = [#(#entries),*];
    }
}

/// Variables whose length `e` takes.
fn collect_lengths(e: &Expr, out: &mut Vec<VarId>) {
    match &e.op {
        Op::Len(v) => out.push(*v),
        Op::Binary(_, a, b) | Op::Powi(a, b) => {
            collect_lengths(a, out);
            collect_lengths(b, out);
        }
        Op::Ternary(_, a, b, c) => {
            collect_lengths(a, out);
            collect_lengths(b, out);
            collect_lengths(c, out);
        }
        Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
        | Op::Field(a, _)
        | Op::Index(_, a)
        | Op::PathIndex(_, a) => collect_lengths(a, out),
        Op::Method(a, _, args) => {
            collect_lengths(a, out);
            args.iter().for_each(|x| collect_lengths(x, out));
        }
        Op::ConstCall(_, args) | Op::Linalg(_, args) => {
            args.iter().for_each(|x| collect_lengths(x, out))
        }
        Op::Lit(_) | Op::Var(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => {}
    }
}

/// The convenience gradient `f_grad` of a scalar function without `&mut` parameters.
pub fn gradient(em: &Emitter, vis: &syn::Visibility) -> Option<TokenStream> {
    let scalar = &em.scalar;
    let f = em.f;
    let rt = &em.rt;
    if f.ret.parts != [Kind::Real] || f.ret.tuple {
        return None;
    }
    let active: Vec<&Param> = f.params.iter().filter(|p| em.is_active(p.var)).collect();
    if active.is_empty()
        || active
            .iter()
            .any(|p| em.var(p.var).kind == Kind::RealArray(ArrayRepr::SliceMut))
    {
        return None;
    }
    let name = format_ident!("{}_grad", f.name);
    let vjp = format_ident!("{}_vjp", f.name);
    let user = &f.name;
    let params: Vec<TokenStream> = f
        .params
        .iter()
        .map(|p| {
            let n = em.name(p.var);
            let ty = em.param_ty(p.var);
            quote!(#n: #ty)
        })
        .collect();
    let mut setup = TokenStream::new();
    let mut args = Vec::new();
    let mut grads = Vec::new();
    let mut grad_tys = Vec::new();
    for p in &f.params {
        let n = em.name(p.var);
        args.push(quote!(#n));
        if !em.is_active(p.var) {
            continue;
        }
        let b = em.bar(p.var);
        if em.var(p.var).kind == Kind::Real {
            let z = em.zero();
            setup.extend(quote!(let mut #b = #z;));
            args.push(quote!(&mut #b));
            grad_tys.push(quote!(#scalar));
        } else if em.var(p.var).kind == Kind::Matrix {
            let value = em.var_mat_ref(p.var);
            setup.extend(quote!(let mut #b = #rt::zeros_like(#value);));
            args.push(quote!(&mut #b));
            grad_tys.push(em.matrix_ty(em.var(p.var).ty.as_ref().expect("parameters have types")));
        } else if let Some(len) = em.rows(p.var) {
            // An array of arrays: its gradient is one, `Vec<[S; K]>`.
            let z = em.zero();
            setup.extend(quote!(let mut #b = ::std::vec![[#z; #len]; #n.len()];));
            args.push(quote!(&mut #b[..]));
            grad_tys.push(quote!(::std::vec::Vec<[#scalar; #len]>));
        } else {
            setup.extend(quote!(let mut #b = #rt::zeros_like(&#n[..]);));
            args.push(quote!(&mut #b[..]));
            grad_tys.push(quote!(::std::vec::Vec<#scalar>));
        }
        grads.push(b);
    }
    args.push(quote!(#rt::cst::<#scalar>(1.0)));
    let (grad, grad_ty) = if grads.len() == 1 {
        (quote!(#(#grads)*), quote!(#(#grad_tys)*))
    } else {
        (quote!((#(#grads,)*)), quote!((#(#grad_tys,)*)))
    };
    let generics = em.generics();
    let fish = em.turbofish();
    let vjp = quote!(#vjp #fish);
    let import = em.runtime_import();
    let allows = em.allows();
    let doc = format!(
        " Value and gradient of [`{user}`], generated by `#[differentiable]`: returns `(value, gradient)`, the gradient being one entry per differentiated parameter (a tuple when there are several), `Vec`s for arrays."
    );
    Some(quote! {
        #[doc = #doc]
        #allows
        #vis fn #name #generics(#(#params),*) -> (#scalar, #grad_ty) {
            #import
            #setup
            let __value = #vjp(#(#args),*);
            (__value, #grad)
        }
    })
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn planned(src: &str) -> (Function, Plan) {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        let active = crate::activity::analyse(&f, None);
        let p = plan(
            &Emitter::new(&f, active, syn::parse_quote!(::tapeless), false),
            true,
        );
        (f, p)
    }

    fn names(f: &Function, flags: &IdVec<VarId, bool>) -> Vec<String> {
        f.vars
            .iter()
            .zip(flags)
            .filter(|(_, x)| **x)
            .map(|(v, _)| v.name.clone())
            .collect()
    }

    #[test]
    fn linear_accumulation_needs_no_values() {
        let (f, p) = planned("fn f(u: &[f64]) -> f64 { let mut s = 0.0; for i in 0..u.len() { s += 2.0 * u[i]; } s }");
        // Only the index: the loop bound reads `u`'s length, not its values.
        assert_eq!(names(&f, &p.needed), ["i"]);
    }

    #[test]
    fn products_need_their_other_factor() {
        let (f, p) = planned("fn f(x: f64, y: f64) -> f64 { let z = x * y; z.sin() }");
        assert_eq!(names(&f, &p.needed), ["x", "y", "z"]);
    }

    #[test]
    fn loop_locals_with_invariant_inputs_are_recomputed() {
        let (f, p) = planned(
            "fn f(u: &[f64], out: &mut [f64]) { for i in 0..u.len() { let a = u[i] * u[i]; let b = out[i]; out[i] = a.sin() * b; } }",
        );
        // `a` reads only `u` and `i`; `b` reads `out`, which the loop writes.
        assert_eq!(names(&f, &p.recompute), ["a"]);
    }
}
