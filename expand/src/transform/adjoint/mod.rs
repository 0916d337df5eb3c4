//! The reverse-mode transform: `f_vjp`, the value and the vector-Jacobian product `J^T y_bar`.
//!
//! The generated body is the forward sweep (the primal, saving what it overwrites and the
//! branches it takes), then the reverse sweep: the statements' adjoints in reverse order, loops
//! run backwards (`for i in range.rev()`), branches replayed from the saved decision. No operation
//! tape: the code of the reverse sweep is fixed at compile time, and only values are kept.
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
//! Before: `let mut s = 0.0; for i in 0..n { s += u[i] * u[i]; } s`
//! After (forward):  `let mut s = 0.0; let mut s_bar = 0.0; for i in 0..n { s = s + u[i] * u[i]; }`
//! After (reverse):  `s_bar += result_bar;`
//!                   `for i in (0..n).rev() { let __g = s_bar; u_bar[i] += __g * u[i]; u_bar[i] += __g * u[i]; }`

mod describe;
mod plan;
mod saves;
mod seed;
mod stmt;

pub use describe::describe;

use crate::activity::arg_active;
use crate::emit::{Emitter, Value};
use crate::ir::*;
use plan::{plan, useful_statements, Plan};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use std::collections::HashSet;

struct Reverse<'a> {
    em: &'a Emitter<'a>,
    plan: &'a Plan,
    /// For the reverse-only companion: the statements its forward sweep keeps (those that
    /// compute what the reverse sweep reads); `None` keeps every statement.
    useful: Option<HashSet<StmtId>>,
    /// The saves of this companion.
    saves: saves::Saves,
}

impl Reverse<'_> {
    fn zero_like(&self, v: VarId) -> TokenStream {
        let rt = &self.em.rt;
        if self.em.var(v).kind == Kind::Real {
            self.em.zero()
        } else {
            let n = self.em.name(v);
            quote!(#rt::zeros_like(&#n))
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
    Some(match &em.var(p.var).kind {
        Kind::Real => quote!(#b: &mut #scalar),
        Kind::RealArray(_) => quote!(#b: &mut [#scalar]),
        Kind::Matrix => {
            let ty = em.matrix_ty(em.var(p.var).ty.as_ref().expect("parameters have types"));
            quote!(#b: &mut #ty)
        }
        _ => return None,
    })
}

/// The reverse-mode companion `f_vjp`.
pub fn function(em: &Emitter, vis: &syn::Visibility) -> TokenStream {
    let plan = plan(em.f, &em.active);
    let effects = argument_effects(em, vis);
    let vjp = companion(em, vis, &plan, false);
    let rev = companion(em, vis, &plan, true);
    quote! {
        #effects
        #vjp
        #rev
    }
}

/// `f_vjp`, or (`reverse_only`) `__f_rev`: the same reverse sweep after a forward sweep that
/// computes only what the reverse sweep reads, for callers' reverse sweeps, which already have
/// the call's results. After `__f_rev`, `&mut` arguments are in an unspecified state.
fn companion(em: &Emitter, vis: &syn::Visibility, plan: &Plan, reverse_only: bool) -> TokenStream {
    let scalar = &em.scalar;
    let f = em.f;
    let rt = &em.rt;
    em.begin_function();
    let r = Reverse {
        em,
        plan,
        useful: reverse_only.then(|| useful_statements(f, &em.active, plan)),
        saves: Default::default(),
    };
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
    let written = f.body.writes();
    let finals_of = final_copies(&r, reverse_only);
    for (p, fin) in f.params.iter().zip(&finals_of) {
        params.push(em.primal_param(p));
        params.extend(bar_param(em, p));
        if !em.is_active(p.var) {
            continue;
        }
        let (n, b) = (em.name(p.var), em.bar(p.var));
        let acc = em.fresh(&format!("__{b}_acc"));
        match &em.var(p.var).kind {
            // A scalar's adjoint is accumulated locally (an overwrite of the parameter resets
            // it), then added to the caller's.
            Kind::Real => {
                let z = em.zero();
                prologue.extend(quote!(let #acc: &mut #scalar = #b; let mut #b = #z;));
                epilogue.extend(quote!(*#acc += #b;));
            }
            Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_)) if written.contains(&p.var) => {
                prologue.extend(
                    quote!(let #acc: &mut [#scalar] = #b; let mut #b = #rt::zeros_like(&#n[..]);),
                );
                epilogue.extend(quote!(#rt::accumulate(#acc, &#b[..]);));
            }
            Kind::RealArray(ArrayRepr::SliceMut) if fin.is_some() => {
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
    let (fwd, rev) = r.block(&f.body, StmtId::FIRST, 0);
    // Final values of `&mut` parameters that the reverse sweep disturbs.
    let mut finals = TokenStream::new();
    for (p, fin) in f.params.iter().zip(&finals_of) {
        if let Some(fin) = fin {
            let n = em.name(p.var);
            finals.extend(quote!(let #fin = #n.to_vec();));
        }
    }
    // The result, and the seeding of its adjoint (before the reverse sweep changes any value).
    let (result_parts, seed) = seed_result(&r, reverse_only, &mut finals);
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
    let stacks = r.saves.take_stack_declarations(em);
    let generics = em.generics();
    let import = em.runtime_import();
    let allows = em.allows();
    let checks = em.length_checks(&name, |v| em.bar(v));
    let doc = format!(
        " Reverse mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets an adjoint `x_bar` after it, into which `J^T {result_bar}` is accumulated; `&mut` arrays' adjoints go in as the adjoint of their final values and come out as the adjoint of their initial values. Returns the value."
    );
    let doc = if reverse_only {
        quote!(#[doc(hidden)])
    } else {
        quote!(#[doc = #doc])
    };
    quote! {
        #doc
        #allows
        #vis fn #name #generics(#(#params),*) #ret {
            #import
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
    }
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
                _ => quote!(&[#scalar]),
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
fn seed_result(
    r: &Reverse,
    reverse_only: bool,
    finals: &mut TokenStream,
) -> (Vec<Ident>, TokenStream) {
    let (em, f) = (r.em, r.em.f);
    let rt = &em.rt;
    let result_bar = em.result_bar();
    let mut result_parts = Vec::new();
    let mut seed = TokenStream::new();
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
                let v = em.primal(e);
                finals.extend(quote!(let #part = #v;));
            }
            r.expr(e, s, &mut seed);
        } else {
            let Op::Var(v) = &e.op else {
                unreachable!("array results are variables")
            };
            let n = em.name(*v);
            if !reverse_only {
                finals.extend(quote!(let #part = #n.clone();));
            }
            if em.is_active(*v) && *kind == Kind::Matrix {
                let b = em.bar_mut(*v);
                seed.extend(quote!(#rt::linalg::accumulate(#b, #s);));
            } else if em.is_active(*v) {
                let b = em.bar(*v);
                seed.extend(quote!(#rt::accumulate(&mut #b[..], &#s[..]);));
            }
        }
        result_parts.push(part);
    }
    (result_parts, seed)
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
        Stmt::If { cond, .. } => cond.reads(&mut read),
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
        Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
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
mod tests {
    use super::*;

    fn planned(src: &str) -> (Function, Plan) {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        let active = crate::activity::analyse(&f, None);
        let p = plan(&f, &active);
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
