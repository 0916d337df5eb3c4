//! Structs of reals and methods.
//!
//! **The struct.** `#[differentiable] struct Params { sigma: f64, n: usize, x: [f64; 3] }` is
//! rewritten to `struct Params<S = f64> { sigma: S, n: usize, x: [S; 3] }` (`item`): `Params` in
//! user code still means `Params<f64>`, and the companions, generic over the scalar `S`, take
//! `&Params<S>`, so a Hessian-vector product runs them at dual numbers. It implements
//! `tapeless::Struct` (a zero of the same shape, the struct at another scalar, its reals in
//! order), which gradients, lifts and tests use. A struct at every scalar, rather than a
//! parallel "adjoint struct" of another name, because the adjoint of a struct is the same shape
//! at the scalar type: `p_bar: &mut Params<S>` is read as `p_bar.sigma`, as JAX's pytrees and
//! Tapenade's derived types do.
//!
//! **The function.** The attribute on `fn f(p: &Params, s: &mut State, x: f64)` cannot see the
//! struct's fields, so the function is *flattened* (`flatten`): each field path the body uses
//! becomes a parameter of a hidden function (`p.sigma` -> `p__sigma: f64`, `s.x[i]` ->
//! `s__x: &mut [f64]`, a written real field a one-element slice), whose kinds are guessed from
//! their use and checked by rustc where the companions pass the fields. The hidden function goes
//! through the whole pipeline, and each companion of `f` forwards to its companion, passing the
//! fields of `p`, `p_dot` or `p_bar` (`wrap`). So the derivative code is the pipeline's, and the
//! struct layer is a change of calling convention with no arithmetic of its own.
//!
//! **Methods.** On `fn rhs(&self, ..)` inside an `impl`, the receiver is a struct parameter
//! named `self`, and the companions are associated items of the same `impl`, the flattened
//! function's companions too (hidden, called as `Self::__rhs_flat_vjp`, so `Self::K` in the
//! body names the type's items); what cannot live in an `impl` (the path companions' type,
//! `const _`) is left out, as methods are called through their type, not by a bare path.
//! `Self::rhs_vjp_at(this, this_bar, ..)` takes the receiver at any scalar; for `&self`,
//! `self.rhs_vjp(self_bar, ..)` is the same with `self` lifted to `S`. An associated function
//! that takes neither `self` nor `&Self` looks like a free function to the attribute and is
//! expanded as one, unless the attribute says `associated`. A method called on a struct
//! *parameter* of an annotated function (`s.norm2()`, `s.kick(h)` with `s: &State` or `&mut
//! State`) is `State::__tl_at_norm2(s)` to the pipeline, the parameter passed whole, which
//! `held::method_paths` makes the method's own `_at` companions (`State::norm2_jvp_at`).
//!
//! **Trait impls.** An attribute on a method does not see its `impl`, and in a trait impl the
//! companions cannot be members of the trait. So `#[differentiable]` goes on the trait impl's
//! block as well as on the methods (`crate::impls`): the methods stay in the trait impl as
//! written, their companions go to an inherent `impl` of the same type (`pub`, as the trait's
//! methods are public), and `m.rhs_vjp(..)`, `Lorenz::rhs_vjp_at(..)` are called as for an
//! inherent method; an associated function of the block is taken as `associated`. Without the
//! block's attribute rustc refuses every companion of the trait impl, and the first error names
//! a hidden constant whose name is the advice (`rhs__IN_A_TRAIT_IMPL_ALSO_PUT_DIFFERENTIABLE_ON_
//! THE_IMPL_BLOCK is not a member of trait`; see [`trait_impl_guard`]).
//!
//! **Struct results** (`results`). `fn step(s: &State, h: f64) -> State` whose body ends with
//! the struct's literal (which names every field, where the struct's definition is not
//! visible) is differentiated as a hidden function writing the literal's fields, in order,
//! into a `&mut State` out-parameter, which the flattening above already handles; the user's
//! companions build the result's shape from the literal (zeros, the integer fields' own
//! expressions), call the hidden ones and return the struct at the scalar type:
//! `step_jvp(..) -> (State<S>, State<S>)`, `step_vjp(.., result_bar: &State<S>) -> State<S>`.
//! A field's kind is guessed from its expression and checked by rustc through the struct's own
//! field types; a field copied from a parameter's (`steps: s.steps`), whose kind is not visible,
//! is copied by the companions with its tangent and adjoint
//! (`tapeless::__private::CopiedField`). A method returning a struct (`fn step(&self, ..) ->
//! State`, `fn scaled(&self, c: f64) -> Self`) is the same with a receiver: the hidden function
//! is a method, its companions associated functions, and the user's companions forward to
//! them as `Self::step_vjp_at(this, this_bar, .., result_bar)` with `self` in the literal's
//! expressions read as `this`, plus `self.step_vjp(self_bar, ..)` for `&self`. A `Self { .. }`
//! literal cannot name the struct at another scalar, so its shape is the receiver's
//! (`Struct::map_reals(this, |_| 0)`, whose type rustc checks against the result's) with the
//! literal's integer, bool and nested fields set; without a receiver the literal names the
//! type.
//!
//! **A struct result taken by a caller** (`taken`): `let s2 = step(&s, p, h); s2.x`, and the
//! time loop `let mut s = State { .. }; for _ in 0..n { s = step(&s, p, h); }`. The caller's
//! expansion sees neither the struct's fields nor its type, and the pipeline has no value kind
//! for a struct; so the caller holds such a struct as *its reals* (a `Vec` in the order of
//! `Struct::to_reals`), which the pipeline differentiates as any array, and every place in it
//! is a constant rustc evaluates. The struct's attribute publishes the places
//! (`State::__TL_AT_x`, `__TL_LEN_x`, `__TL_REALS`, from the field types: `layout`), the
//! struct-result function names its result type (`type __step_out = State;`) and a hidden
//! companion writing the result's reals into an out-parameter, `__step_into(&mut s2, &s, p,
//! h)`, whose companions take each struct argument as any `A: AsStruct<State<S>>` (the struct
//! itself, a struct parameter of the caller passed whole, or the reals a caller holds) and add
//! adjoints back through `AddAdjoint`, forwarding to `step_generic`, `step_jvp`, `step_vjp`. The
//! caller's pass reads `s2.x` as `s2[__step_out::__TL_AT_x]` and `s2.q[i]` as
//! `s2[__step_out::__TL_AT_q + i]`. Integer and bool fields are held in slots after the reals
//! (`__TL_DATA_AT_steps`, the held length `__TL_HELD`), one value each, copied and never
//! differentiated: the `into` companions and literals write them (`__tl_hold`), and a read where
//! an integer or a bool is written (`0..s2.steps`, `if s2.periodic`, `s2.steps as f64`, `let n:
//! usize = s2.steps;`) is `__step_out::__tl_slot_steps(s2[__step_out::__TL_DATA_AT_steps])`, a
//! constant of the derivatives. rustc decides every place and every conversion: an integer
//! field read as a real (`let n = s2.steps;`) is a compile error naming the field (its real
//! place is a constant whose evaluation panics), and a held struct with `Vec` or other data
//! fields passed on to the next call is a type error saying why (`AsStruct` is implemented from
//! the held slice only when every field is real, an integer or a bool). A held struct goes on
//! by shared reference to any annotated free function:
//! one returning a struct through `__step_into`, any other (`energy(&s2, p)`, the 4D-Var
//! `misfit(&s, obs[k])`) through the hidden `__energy_held` (`held`), the same path
//! companions with struct arguments generic over `AsStruct` and `AddAdjoint`. Which locals are
//! held is decided from evidence only a struct gives (fields read, a callee known to return a
//! struct, a written struct type, `evidence`); a local that could be an array as well (`let s2
//! = step(s, p, h); energy(&s2, p)`) is refused, saying to write its type. A `&self` method is called on a held struct
//! through the struct's type (`s2.energy(p)` as `__step_out::__tl_m_energy(&s2, p)`, whose
//! path companions `__tl_m_energy::jvp` are the associated `__tl_m_energy_jvp` beside the
//! method's: `held`); one returning the receiver's type steps it (`s = s.advanced(p, h)`,
//! through `__tl_m_advanced_into_jvp`, `into`), where a literal stepped only by its methods has
//! the struct's own places (`__tl_State::__TL_AT_x`, published by the struct's attribute).
//! rustc checks that such a method returns the receiver's type (`SameStruct`). A `&mut self`
//! method called on a held struct writes its reals, as a statement (`s2.kick(h);`) or with its
//! result used (`s2.kick(h) * 2.0` on a local bound `let mut`, which the caller's pass then
//! passes `&mut`, the callee's `ARGS` saying whether it writes): its `__tl_m_kick_*`
//! companions take the receiver as a struct and store it back (`held`).
//!
//! **A call's result whose methods are called** (`let u = State::new(..); u.norm2()`, `let t =
//! s.scaled(x); t.norm2()` on a struct parameter `s`, `let y: State = self.step(&s);
//! y.energy()`; unbound, `State::new(..).norm2()`, the receiver is bound first: `chains`) is
//! held at its type's own places, the type written or the one the call goes through (`State`),
//! for `self.step(..)` the type of the caller's struct parameters and struct literal locals
//! the call passes (`let k1 = self.rhs(s); k1.norm2()` with `s: &State`; none passed, the type
//! is asked for): rustc checks that the result is of that type (`self_calls::typed`,
//! `ResultIs`).
//!
//! **A `&mut` struct passed whole** (`advance(s, p, h)` with `s: &mut State`, or
//! `self.advance(h)` in a `&mut self` method) when the caller uses none of its fields: the
//! flattened function takes the struct itself as a `&mut [f64]` that stands for it (`whole`),
//! the pipeline passes it to the callee's path companions with its tangent and adjoint, and
//! its copies around calls (the values a callee's reverse sweep needs, saved in the forward
//! sweep and restored before the callee's adjoint) go through the struct's reals
//! (`Struct::to_reals`, `Struct::set_reals`). A caller that also reads or writes the struct's
//! fields (`inner(s, h); s.x[1] *= 0.5;`, a `&mut self` method using fields of `self` that
//! calls methods of `self`) cannot take field slices beside it, which would alias the whole
//! struct the callee writes: it holds the struct as its reals instead (`reals`), its fields
//! places in them, and passes them on to the callees' companions for callers holding reals
//! (`__inner_held`, `Self::__tl_m_force`); the companions copy the struct into its reals and
//! back.

mod base;
mod chains;
mod copies;
mod evidence;
mod flatten;
mod grad;
mod held;
mod into;
pub(crate) mod ints;
mod item;
mod layout;
mod locals;
mod matrix_fields;
mod order;
mod paths;
mod reals;
mod result_locals;
mod result_methods;
mod results;
mod scalar_writes;
mod self_calls;
mod signature;
mod taken;
mod whole;
mod wrap;

use crate::attr::Args;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The expansion of `#[differentiable]` on a struct, or on a function with struct parameters
/// or a receiver; `None` for everything else (the ordinary pipeline's).
pub fn intercept(attr: &TokenStream, item: &TokenStream) -> Option<syn::Result<TokenStream>> {
    if let Some(item) = locals::tail_whole(item) {
        return intercept(attr, &item);
    }
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(s)) => Some(crate::attr::parse(attr.clone()).and_then(|args| {
            if args.wrt.is_some()
                || args.rhs.is_some()
                || !args.constants.is_empty()
                || args.associated
            {
                return Err(syn::Error::new_spanned(
                    attr,
                    "on a struct, `#[differentiable]` takes no arguments but `crate = path`",
                ));
            }
            item::expand(&args.krate, s)
        })),
        Ok(syn::Item::Fn(f))
            if flatten::has_structs(&f.sig) || associated(attr) || returns_literal(&f) =>
        {
            Some(function(attr, f))
        }
        Ok(syn::Item::Fn(f))
            if locals::has_struct_locals(&f.block) || taken::takes_results(&f.block) =>
        {
            Some(with_locals(attr, f, false))
        }
        _ => match syn::parse2::<syn::ImplItemFn>(item.clone()) {
            Ok(f) if flatten::has_structs(&f.sig) || associated(attr) => Some(function(
                attr,
                syn::ItemFn {
                    attrs: f.attrs,
                    vis: f.vis,
                    sig: f.sig,
                    block: Box::new(f.block),
                },
            )),
            Ok(f) if locals::has_struct_locals(&f.block) => Some(with_locals(
                attr,
                syn::ItemFn {
                    attrs: f.attrs,
                    vis: f.vis,
                    sig: f.sig,
                    block: Box::new(f.block),
                },
                true,
            )),
            _ => None,
        },
    }
}

/// A function whose only structs are locals: the pipeline's expansion of the function with a
/// local per field (`locals`), the user's body kept as written; `in_impl` for an associated
/// function or method.
fn with_locals(attr: &TokenStream, func: syn::ItemFn, in_impl: bool) -> syn::Result<TokenStream> {
    let mut flat = taken::rewrite(&func)?.unwrap_or_else(|| func.clone());
    let readers = taken::slot_readers(&flat);
    // Not beside a method: an `impl` has no `const _`.
    let checks = match in_impl {
        false => taken::place_checks(&flat),
        true => TokenStream::new(),
    };
    let mut locals = locals::Locals::new(&flatten::separator(&func));
    locals.mut_self = order::mut_self(&func.sig);
    locals.run(&mut flat.block)?;
    // The slot readers of integer and bool fields of held structs are constants.
    let attr = match (readers.is_empty(), attr.is_empty()) {
        (true, _) => attr.clone(),
        (false, true) => quote!(constants(#(#readers),*)),
        (false, false) => quote!(#attr, constants(#(#readers),*)),
    };
    let tokens = held::method_paths(crate::expand(attr, quote!(#flat))?);
    let mut file: syn::File = syn::parse2(tokens)?;
    // The flat locals (`s__x`) are not snake case.
    let allow: syn::Attribute = syn::parse_quote!(#[allow(non_snake_case)]);
    for item in &mut file.items {
        match item {
            syn::Item::Fn(f) if f.sig.ident == func.sig.ident => f.block = func.block.clone(),
            syn::Item::Fn(f) => f.attrs.push(allow.clone()),
            syn::Item::Mod(m) => m.attrs.push(allow.clone()),
            syn::Item::Impl(i) => i.attrs.push(allow.clone()),
            _ => {}
        }
    }
    Ok(quote!(#file #checks))
}

fn function(attr: &TokenStream, func: syn::ItemFn) -> syn::Result<TokenStream> {
    let mut args = crate::attr::parse(attr.clone())?;
    refuse_patterns(&func, &mut args)?;
    crate::adapters::rhs_struct_args(&func, &mut args)?;
    let rhs = args.rhs.take();
    let mut params = flatten::params(&func.sig)?;
    let method = args.associated
        || params
            .iter()
            .any(|p| matches!(p, flatten::Param::Struct(s) if s.receiver || type_is_self(&s.ty)));
    if let (Some(rhs), true) = (&rhs, method) {
        return Err(syn::Error::new_spanned(
            rhs,
            "`rhs = ..` makes a struct of a free function `fn f(du: &mut [f64], u: &[f64], p: &Params, t: f64)`; a method is an `ode::Rhs` by an `impl Rhs` of its type calling its companions",
        ));
    }
    if let syn::ReturnType::Type(_, ty) = &func.sig.output {
        if returns_struct(ty) {
            let ty = (**ty).clone();
            return results::expand(attr, func, &ty, method);
        }
    }
    let user = func.sig.ident.clone();
    let flat_name = format_ident!("__{}_flat", user);
    let taken = taken::rewrite(&func)?;
    if let Some(t) = &taken {
        args.constants.extend(taken::slot_readers(t));
    }
    // Not beside a method: an `impl` has no `const _`.
    let checks = match &taken {
        Some(t) if !method => taken::place_checks(t),
        _ => TokenStream::new(),
    };
    let mut flat = flatten::flatten(taken.as_ref().unwrap_or(&func), &flat_name, &mut params)?;
    ints::type_int_leaves(&args.krate, &mut flat, &params);
    constants_outside_wrt(&args, &mut params);
    let flat_attr = flat_attr(&args, &params);
    let flat_tokens = held::method_paths(crate::expand_function(flat_attr, quote!(#flat))?);
    let flat_tokens = scalar_apart(flat_tokens, &func);
    let flat_tokens = rename_in_messages(flat_tokens, &renames(&user, &flat_name, &params));
    let flat_file: syn::File = syn::parse2(flat_tokens)?;
    let mut out = wrap::wrappers(&args.krate, &func, &params, &flat_name, flat_file, method)?;
    let held = if method {
        let mut held = held::method_companions(&args.krate, &func, &out)?;
        held.extend(held::sent_companions(&func, &out)?);
        held
    } else {
        held::companions(&args.krate, &func, &out)?
    };
    out.extend(held);
    let generated = if method {
        out
    } else {
        crate::same_configuration(&func.attrs, out)
    };
    let guard = method.then(|| trait_impl_guard(&args.krate, &user));
    let adapter = match &rhs {
        Some(name) => Some(crate::same_configuration(
            &func.attrs,
            crate::adapters::rhs_struct_impl(&args.krate, &func, name)?,
        )),
        None => None,
    };
    Ok(quote! {
        #[allow(clippy::needless_range_loop)]
        #func
        #guard
        #generated
        #adapter
        #checks
    })
}

/// The flattened companions with their scalar type parameter renamed, when the user's function
/// names a type like it (`fn f(x: f64, s: &S)`): the flattened function no longer mentions the
/// struct's type, so its scalar (read from its first generic companion) avoided only its own
/// identifiers. Every identifier of the flattened function's expansion spelled like its scalar
/// is that scalar (the scalar was chosen apart from the flattened function's identifiers), so
/// the renaming is exact.
fn scalar_apart(tokens: TokenStream, user: &syn::ItemFn) -> TokenStream {
    let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) else {
        return tokens;
    };
    let used = file.items.iter().find_map(|item| match item {
        syn::Item::Fn(f) => f
            .sig
            .generics
            .type_params()
            .next()
            .map(|t| t.ident.to_string()),
        _ => None,
    });
    let mut avoid = crate::names::idents_in(quote!(#user));
    match used {
        Some(used) if avoid.contains(&used) => {
            avoid.extend(crate::names::idents_in(tokens.clone()));
            let fresh = crate::names::type_param("S", &avoid);
            crate::names::rename_ident(tokens, &used, &fresh)
        }
        _ => tokens,
    }
}

/// The end of the name of a method's guard constant (see [`trait_impl_guard`]).
pub const TRAIT_IMPL_GUARD: &str = "__IN_A_TRAIT_IMPL_ALSO_PUT_DIFFERENTIABLE_ON_THE_IMPL_BLOCK";

/// A hidden constant beside a method's companions whose name is the advice rustc shows when the
/// method is in a trait impl and the attribute is not on the block too (`const
/// rhs__IN_A_TRAIT_IMPL_.. is not a member of trait`, before the errors for every companion):
/// an attribute on a method cannot see the `impl` it is in. `impls` drops it. Its value is
/// the refusal of a default method in a trait's definition, where it is a member and `Self`
/// is not known to be sized (`tapeless::__private::outside_a_trait`, whose message says to
/// write the method in each annotated impl block; see `crate::impls`).
fn trait_impl_guard(krate: &syn::Path, user: &syn::Ident) -> TokenStream {
    let name = format_ident!(
        "{}{}",
        syn::ext::IdentExt::unraw(user),
        TRAIT_IMPL_GUARD,
        span = user.span()
    );
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_upper_case_globals)]
        const #name: () = #krate::__private::outside_a_trait::<Self>();
    }
}

/// A struct passed whole to a callee outside `wrt(..)` is a *constant*: the callee differentiates
/// it, so the flattened function does too (`flat_attr`), and the companions take it at `f64`
/// without a tangent or adjoint, lift it to the scalar type and give the flattened companions
/// zero tangents and a scratch adjoint nobody reads (`wrap::forward`). The derivatives in the
/// other arguments are those of the function with the struct's values as constants.
fn constants_outside_wrt(args: &Args, params: &mut [flatten::Param]) {
    let Some(wrt) = &args.wrt else {
        return;
    };
    for p in params {
        if let flatten::Param::Struct(s) = p {
            let name = syn::ext::IdentExt::unraw(&s.name);
            s.constant = s.whole && !wrt.contains(&name);
        }
    }
}

/// A result that names a struct (`Params`, `Self`): a path without type arguments that is not
/// a scalar.
fn returns_struct(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    match p.path.segments.last() {
        Some(last) if p.qself.is_none() && last.arguments.is_none() => {
            let name = last.ident.to_string();
            !matches!(
                name.as_str(),
                "f64" | "f32" | "usize" | "isize" | "i32" | "i64" | "u32" | "u64" | "bool"
            )
        }
        _ => false,
    }
}

/// A result naming a struct, built by the body's tail literal (`results`).
fn returns_literal(f: &syn::ItemFn) -> bool {
    matches!(&f.sig.output, syn::ReturnType::Type(_, ty) if returns_struct(ty))
        && results::ends_with_literal(&f.block)
}

/// Whether the attribute says `associated` (a cheap look at its tokens; `attr::parse` reports
/// mistakes).
fn associated(attr: &TokenStream) -> bool {
    crate::attr::parse(attr.clone()).is_ok_and(|a| a.associated)
}

fn type_is_self(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self"))
}

/// The flattened function's attribute: `wrt(p)` lists `p`'s real fields.
/// Further activity patterns (`wrt(..) as name`, also in a stacked attribute) of a function
/// taking or returning structs are refused on their name: the struct layer generates one
/// pattern's companions (the flattened function's), so a further one would be dropped.
fn refuse_patterns(func: &syn::ItemFn, args: &mut Args) -> syn::Result<()> {
    let mut func = func.clone();
    crate::patterns::absorb_stacked(&mut func, args);
    match args.patterns.first() {
        None => Ok(()),
        Some(pattern) => Err(syn::Error::new(
            pattern.name.span(),
            format!(
                "a function taking or returning a struct has one activity pattern: for `{name}`, write a function `{name}` of its own with the same body and `#[differentiable(wrt(..))]` (a call of `{user}` from it would pass the parameters `{user}` leaves out of `wrt(..)` with derivatives it does not take)",
                name = pattern.name,
                user = func.sig.ident,
            ),
        )),
    }
}

fn flat_attr(args: &Args, params: &[flatten::Param]) -> TokenStream {
    let mut parts = Vec::new();
    if let Some(wrt) = &args.wrt {
        let mut names = Vec::new();
        let constant = params.iter().filter_map(|p| match p {
            flatten::Param::Struct(s) if s.constant => Some(syn::ext::IdentExt::unraw(&s.name)),
            _ => None,
        });
        for w in wrt.iter().cloned().chain(constant) {
            let mut found = false;
            for p in params {
                if let flatten::Param::Struct(s) = p {
                    if syn::ext::IdentExt::unraw(&s.name) == w {
                        found = true;
                        if s.whole {
                            names.push(flatten::whole_ident(s));
                        }
                        names.extend(
                            s.leaves
                                .iter()
                                .filter(|l| {
                                    matches!(
                                        l.used,
                                        flatten::Use::Real
                                            | flatten::Use::Arg
                                            | flatten::Use::Array
                                    )
                                })
                                .map(|l| l.flat.clone()),
                        );
                    }
                }
            }
            if !found {
                names.push(w);
            }
        }
        parts.push(quote!(wrt(#(#names),*)));
    }
    if !args.constants.is_empty() {
        let c = &args.constants;
        parts.push(quote!(constants(#(#c),*)));
    }
    let krate = &args.krate;
    parts.push(quote!(crate = #krate));
    quote!(#(#parts),*)
}

/// The names that run-time messages of the flattened companions should show: `euler_jvp` for
/// `__euler_flat_jvp`, `s_dot.x` for `s__x_dot`.
fn renames(
    user: &syn::Ident,
    flat: &syn::Ident,
    params: &[flatten::Param],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in ["generic", "jvp", "vjp", "grad"] {
        out.push((format!("{flat}_{kind}"), format!("{user}_{kind}")));
    }
    out.push((format!("__{flat}_rev"), format!("{user}_vjp")));
    for p in params {
        if let flatten::Param::Struct(s) = p {
            for leaf in &s.leaves {
                let path: Vec<String> = leaf.path.iter().map(|i| i.to_string()).collect();
                let path = path.join(".");
                let root = &s.name;
                out.push((leaf.flat.to_string(), format!("{root}.{path}")));
                for suffix in ["dot", "bar"] {
                    out.push((
                        format!("{}_{suffix}", leaf.flat),
                        format!("{root}_{suffix}.{path}"),
                    ));
                }
            }
        }
    }
    out
}

/// String literals equal to a flattened name, replaced by the user's.
fn rename_in_messages(tokens: TokenStream, renames: &[(String, String)]) -> TokenStream {
    use proc_macro2::{Group, Literal, TokenTree};
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut n = Group::new(g.delimiter(), rename_in_messages(g.stream(), renames));
                n.set_span(g.span());
                TokenTree::Group(n)
            }
            TokenTree::Literal(l) => {
                let text = l.to_string();
                match renames
                    .iter()
                    .find(|(from, _)| text == format!("\"{from}\""))
                {
                    Some((_, to)) => {
                        let mut n = Literal::string(to);
                        n.set_span(l.span());
                        TokenTree::Literal(n)
                    }
                    None => TokenTree::Literal(l),
                }
            }
            tt => tt,
        })
        .collect()
}

/// Whether flat names `a` and `b` clash: equal, or one the other's tangent or adjoint (fields
/// `x` and `x_bar` of `s`: `s__x_bar` is `s__x`'s adjoint).
fn clash(a: &str, b: &str) -> bool {
    a == b
        || ["_dot", "_bar"]
            .iter()
            .any(|s| format!("{a}{s}") == b || format!("{b}{s}") == a)
}
