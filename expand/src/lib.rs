//! The expansion behind the `#[differentiable]` attribute of [tapeless](https://docs.rs/tapeless).
//!
//! A plain library (the proc-macro crate `tapeless-macros` is a thin shell around
//! [`differentiable`]), so that tests call the expansion directly. A small compiler, one module
//! per stage:
//!
//! ```text
//! syn::ItemFn --lower--> IR --activity--> IR --tangent--> tangent IR --emit--> tokens (f_jvp)
//!                                           \--adjoint--> reverse IR --emit--> tokens (f_vjp, f_grad)
//! ```
//!
//! - `attr` parses the attribute's arguments; `generic` reads a function written generic over
//!   its scalar (`fn f<S: Real>`) at `f64`; `patterns` generates the companions of further
//!   activity patterns (`wrt(..) as name`); `custom` generates the companions of a function with
//!   the user's derivative rules (`custom(jvp = .., vjp = ..)`) instead of lowering its body;
//!   `adapters` implements the runtime's traits from the companions (`gradient = Name`,
//!   `rhs = Name` with data parameters).
//! - `lower` turns the function into the `ir`, rejecting everything outside the subset on the
//!   exact span; it is a folder split by concern: `signature` (the function, its parameters,
//!   `wrt(..)`, result and early `return`), `stmt` (statements, assignments), `bind` (`let` in its
//!   forms), `control` (`for`, `if`,
//!   `match`), `loops` (`while`, `loop`, `break`, `continue`, exits of loops), `call`
//!   (calls, hoisted into statements), `expr` (expressions and their kinds), `method` (method
//!   calls),
//!   `iter` (iterator chains and closures, lowered to loops and accumulators),
//!   `nalgebra` (matrices and vectors), `types` (kinds from written types), `scope` (variables,
//!   names and scopes) and `diag` (attributes, advice for unsupported syntax).
//! - `ir` is the IR (variables in an `IdVec` indexed by `VarId`, statements numbered by
//!   `StmtId`), its printer and its verifier; `ir::rev` is the reverse IR (forward and reverse
//!   sweeps: pushes, restores, recomputations, adjoints accumulated, reverse calls, reversed
//!   loops, replayed branches), its printer and its verifier (stacks balanced, every value an
//!   adjoint reads in scope at the version it had forwards); `ir::tan` is the tangent IR (the
//!   primal statements with their tangent statements, calls of callees' `jvp` companions, loops
//!   and branches) and its printer.
//! - `rules` is the table of the elementary and matrix operations: per operation its primal,
//!   result kind, tangent, adjoint and the primal values the adjoint reads; every pass reads it.
//! - `activity` finds what carries derivatives; `transform::tangent` builds the tangent IR;
//!   `transform::adjoint` (a folder: the reverse sweep's `plan`, `seed`s, per-statement
//!   adjoints, the `saves` slots and `describe`, its printout) builds the reverse IR; `emit`
//!   holds what they share, prints the generic primal, the tangent IR (`emit/tan.rs`) and the
//!   reverse IR (`emit/rev.rs`).
//! - `structs` handles `#[differentiable]` on a struct (the struct at every scalar type) and
//!   on functions and methods taking structs (flattened to their fields, then the pipeline
//!   above, with companions that pass the fields).
//! - `ctxt` gathers the errors of the front end (attribute, lowering, `wrt(..)`, `rhs = ..`), so a
//!   function's mistakes are reported together; `limits` says how big a function may be.
//!
//! Set `TAPELESS_DEBUG=1` while building to print the IR of every annotated function, the
//! tangent IR of its forward-mode companion and the reverse IR of its reverse-mode companions,
//! to standard error.

#![forbid(unsafe_code)]

mod activity;
mod adapters;
mod attr;
mod companions;
mod ctxt;
mod custom;
mod dims;
mod emit;
mod enums;
mod generic;
#[cfg(test)]
mod golden;
mod impls;
mod ir;
mod limits;
mod lower;
mod names;
mod patterns;
mod rules;
mod structs;
mod traits;
mod transform;

use proc_macro2::TokenStream;
use quote::quote;

/// The expansion of `#[differentiable(attr)] item`: the function as written and, next to it,
/// its derivative companions (`f_generic`, `f_jvp`, `f_vjp`, and `f_grad` for scalar
/// functions); on error, the function as written and the errors as `compile_error!`s.
///
/// Never panics: whatever the tokens, the result is Rust that parses.
///
/// ```
/// let out = tapeless_expand::differentiable(
///     quote::quote!(),
///     quote::quote!(fn square(x: f64) -> f64 { x * x }),
/// );
/// let text = out.to_string();
/// assert!(text.contains("square_vjp") && !text.contains("compile_error"));
/// ```
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    // The same thread (the compiler's token streams live there), on a stack deep enough for
    // syn's recursion over long expressions: see `limits`.
    stacker::grow(limits::STACK_BYTES, || {
        match limits::check_nesting(&item).and_then(|()| expand(attr, item.clone())) {
            Ok(tokens) => tokens,
            Err(err) => fallback(item, err),
        }
    })
}

/// Refuses a parameter list that binds a name twice (rustc refuses it too, after the
/// expansion), before any layer relies on parameter names being unique (the struct layer
/// matched its flattened parameters by name and reported an internal error).
fn unique_parameters(item: &TokenStream) -> syn::Result<()> {
    let Ok(func) = syn::parse2::<syn::ItemFn>(item.clone()) else {
        return Ok(());
    };
    let mut seen = std::collections::HashSet::new();
    for arg in &func.sig.inputs {
        if let syn::FnArg::Typed(pt) = arg {
            if let syn::Pat::Ident(pi) = &*pt.pat {
                let name = syn::ext::IdentExt::unraw(&pi.ident).to_string();
                if !seen.insert(name.clone()) {
                    return Err(syn::Error::new(
                        pi.ident.span(),
                        format!("`{name}` is bound more than once in the parameters: give each parameter its own name"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// On error: the user's function unchanged, so that its own uses keep compiling, and the errors.
fn fallback(item: proc_macro2::TokenStream, err: syn::Error) -> proc_macro2::TokenStream {
    let errors = err.to_compile_error();
    quote!(#item #errors)
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    unique_parameters(&item)?;
    if let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) {
        return impls::expand(attr, block);
    }
    if let Ok(t) = syn::parse2::<syn::ItemTrait>(item.clone()) {
        return traits::expand(attr, t);
    }
    if let Ok(e) = syn::parse2::<syn::ItemEnum>(item.clone()) {
        return enums::expand(attr, e);
    }
    if let Some(out) = structs::intercept(&attr, &item) {
        return out;
    }
    expand_function(attr, item)
}

/// The pipeline of a function the struct layer does not take: the user's, or the struct
/// layer's flattened one, which comes here directly so that it is never intercepted again (a
/// parameter the layer leaves as written, such as `(a, b): &Weird`, made the two call each
/// other without end).
fn expand_function(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let mut args = attr::parse(attr)?;
    let mut func: syn::ItemFn = syn::parse2(item.clone()).map_err(|_| {
        syn::Error::new_spanned(
            item,
            "`#[differentiable]` applies to functions (and `impl` blocks and traits of them), structs and enums: put it on a `fn` whose derivatives you want, on a struct of reals it takes, or on an enum it reads as data",
        )
    })?;
    patterns::absorb_stacked(&mut func, &mut args);
    if let Some(rule) = &args.custom {
        return custom::expand(&func, &args, rule);
    }
    // A function generic over its scalar is differentiated as its `f64` instance.
    let args = adapters::rhs_with_data(&func, args)?;
    let scalar_generic = generic::is_generic(&func);
    let plain = generic::at_f64(&func)?;
    let mut generated = generate(&plain, &args, scalar_generic)?;
    generated.extend(patterns::expand(&func, &plain, &args, generate)?);
    assert_data_parameters(&mut func, &plain, &args.krate);
    Ok(quote! {
        // Index loops are as good as iterators in a differentiable function (iterator chains
        // are lowered to them); clippy's advice to iterate does not apply.
        #[allow(clippy::needless_range_loop)]
        #func
        #generated
    })
}

/// A check that rustc makes of each parameter read as data because tapeless cannot look into
/// its type (`scheme: Scheme`): `tapeless::Data`, which `#[differentiable]` on an enum
/// implements, at the parameter's type (a type alias of `f64` fails there). The parameters are
/// read from `plain`, the function at `f64` (a scalar type parameter is no data).
fn assert_data_parameters(func: &mut syn::ItemFn, plain: &syn::ItemFn, krate: &syn::Path) {
    use syn::spanned::Spanned;
    let mut checks = Vec::new();
    for arg in &plain.sig.inputs {
        if let syn::FnArg::Typed(pt) = arg {
            if lower::declared_data(&pt.ty) {
                let ty = &pt.ty;
                checks.push(syn::parse_quote_spanned! {ty.span()=>
                    let _: fn() = #krate::__private::assert_data::<#ty>;
                });
            }
        }
    }
    func.block.stmts.splice(0..0, checks);
}

/// The companions of `func` (written at `f64`) for the arguments `args`, under the function's
/// own `#[cfg(..)]` attributes; `scalar_generic` when the user's function is generic over its
/// scalar (`fn f<S: Real>`), so that it is named at `f64`.
fn generate(
    func: &syn::ItemFn,
    args: &attr::Args,
    scalar_generic: bool,
) -> syn::Result<TokenStream> {
    let lowered = lower::lower(func, args)?;
    {
        let problems = ir::verify::verify(&lowered);
        if !problems.is_empty() {
            return Err(syn::Error::new(
                func.sig.ident.span(),
                format!(
                    "tapeless: internal error, the IR is malformed: {}",
                    problems.join("; ")
                ),
            ));
        }
    }
    check_const_params(&lowered, args, scalar_generic)?;
    let active = activity::analyse(&lowered, args.wrt.as_deref());
    check_wrt_complete(&lowered, &active, args.wrt.as_deref())?;
    if std::env::var_os("TAPELESS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("{}", ir::display::print(&lowered));
        let names: Vec<&str> = lowered
            .vars
            .iter()
            .zip(&active)
            .filter(|(_, a)| **a)
            .map(|(v, _)| v.name.as_str())
            .collect();
        eprintln!("active: {}", names.join(", "));
        eprintln!("{}", transform::tangent::describe(&lowered, &active));
        eprintln!(
            "{}",
            transform::adjoint::describe(&lowered, &active, args.wrt.is_some())
        );
    }
    let em = emit::Emitter::new(&lowered, active, args.krate.clone(), args.wrt.is_some());
    let vis = &func.vis;
    let generic = emit::generic_primal(&em, vis);
    let jvp = transform::tangent::function(&em, vis);
    let vjp = transform::adjoint::function(&em, vis, args.stencil)?;
    let grad = transform::adjoint::gradient(&em, vis);
    let rhs = args.rhs.as_ref().map(|name| {
        if args.rhs_data {
            adapters::rhs_data_impl(&em, vis, name)
        } else {
            emit::rhs_impl(&em, vis, name)
        }
    });
    let gradient = args
        .gradient
        .as_ref()
        .map(|name| adapters::gradient_impl(&em, vis, name))
        .transpose()?;
    let rows = em.rows_const(vis);
    let mut items = quote!(#generic #jvp #vjp #rows);
    if args.rhs.is_some() || companions::small_leaf(&lowered) {
        items = companions::inline_for_integrators(&lowered.name, items);
    }
    let path = companions::path_companions(&lowered.name, vis, &items, scalar_generic)?;
    Ok(same_configuration(
        &func.attrs,
        quote!(#items #grad #rhs #gradient #path),
    ))
}

/// The generated items under the function's own `#[cfg(..)]` attributes (those written after
/// `#[differentiable]`, which the macro receives with the function): the companions exist
/// exactly when the function does, so no configuration has an `f_vjp` without its `f`.
fn same_configuration(attrs: &[syn::Attribute], generated: TokenStream) -> TokenStream {
    let cfgs: Vec<&syn::Attribute> = attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
    if cfgs.is_empty() {
        return generated;
    }
    let Ok(mut file) = syn::parse2::<syn::File>(generated.clone()) else {
        return generated;
    };
    for item in &mut file.items {
        let item_attrs = match item {
            syn::Item::Fn(i) => &mut i.attrs,
            syn::Item::Struct(i) => &mut i.attrs,
            syn::Item::Impl(i) => &mut i.attrs,
            syn::Item::Const(i) => &mut i.attrs,
            // The generator writes functions, structs, impls and constants only.
            _ => return generated,
        };
        item_attrs.splice(0..0, cfgs.iter().map(|a| (*a).clone()));
    }
    quote!(#file)
}

/// With `wrt(..)`, every parameter written with values that depend on the differentiated ones
/// must be listed too (its derivative is part of the result); the parameters are matched by the
/// user's names (`r#x` is `x`).
fn check_wrt_complete(
    lowered: &ir::Function,
    active: &ir::IdVec<ir::VarId, bool>,
    wrt: Option<&[syn::Ident]>,
) -> syn::Result<()> {
    let Some(wrt) = wrt else {
        return Ok(());
    };
    let mut cx = ctxt::Ctxt::new();
    for p in &lowered.params {
        let v = &lowered.vars[p.var];
        let listed = wrt
            .iter()
            .any(|n| syn::ext::IdentExt::unraw(n) == v.user_name);
        // Activity is a per-variable side table of the transforms, indexed by `VarId`.
        if active[p.var] && !listed {
            cx.push(syn::Error::new(
                v.span,
                format!("`{}` receives values that depend on the differentiated parameters; add it to `wrt(..)`", names::ident(&v.user_name, v.span)),
            ));
        }
    }
    cx.check()
}

/// What const generic parameters (`const N: usize`) do not combine with: a scalar type
/// parameter (`fn f<S: Real>`), and the adapters to the runtime's traits, which are for one
/// length.
fn check_const_params(
    lowered: &ir::Function,
    args: &attr::Args,
    scalar_generic: bool,
) -> syn::Result<()> {
    let Some(c) = lowered.const_params.first() else {
        return Ok(());
    };
    if scalar_generic {
        return Err(syn::Error::new_spanned(c, "a function generic over its scalar takes no const generic parameter yet: write it at `f64` with `const N: usize` (its companions are generic over the scalar), or write the length"));
    }
    if args.rhs.is_some() || args.gradient.is_some() {
        return Err(syn::Error::new_spanned(c, "`rhs = ..` and `gradient = ..` implement the runtime's traits for states of any length: remove the const parameter and take slices, `u: &[f64]`, whose length the body reads, `u.len()`"));
    }
    Ok(())
}
