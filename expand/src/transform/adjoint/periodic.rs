//! Periodic indices without a division in the boundary loops of a stencil. A stencil loop over
//! `0..n` that reads `u[(i + 1) % n]` and `u[(i + n - 2) % n]` keeps the user's indexing only
//! in its boundary iterations (its interior indexes plainly, see `stencil.rs`); there each `%`
//! by a length known only at run time is an integer division, which costs more than the rest
//! of the iteration. In those loops (the gather form's and the peeled primal's) a periodic
//! index `x % n` is printed `rem_index(x, n)` (runtime `__private::rem_index`): `x` below `n`,
//! `x - n` below `2n`, else `x % n`, the same value for every `x` and `n` (and the same panic
//! for `n` = 0), with the division only where the index wraps more than once.
//!
//! Before: `for i in 0..min(lo, end) { du[i] = (u[(i + 1) % n] - ..) * .. }`.
//! After: `for i in 0..min(lo, end) { du[i] = (u[rem_index(i + 1, n)] - ..) * .. }`.

use super::stencil::affine;
use crate::ir::*;

/// `e` with every periodic index of an array read at `(i + c) % n` or `(i + n - c) % n` (see
/// [`affine`]) printed through `rem` (the runtime's `rem_index`).
pub(super) fn unwrapped(e: &Expr, i: VarId, f: &Function, rem: &syn::Path) -> Expr {
    let s = |x: &Expr| Box::new(unwrapped(x, i, f, rem));
    let all = |xs: &[Expr]| {
        xs.iter()
            .map(|x| unwrapped(x, i, f, rem))
            .collect::<Vec<_>>()
    };
    let op = match &e.op {
        Op::Index(v, idx) if matches!(f.vars[*v].kind, Kind::RealArray(_)) => {
            match (&idx.op, affine(idx, i)) {
                (Op::Binary(Binary::Rem, x, n), Some((_, Some(_)))) => {
                    let call = Expr {
                        op: Op::ConstCall(rem.clone(), vec![(**x).clone(), (**n).clone()]),
                        kind: idx.kind.clone(),
                        span: idx.span,
                    };
                    Op::Index(*v, Box::new(call))
                }
                _ => Op::Index(*v, s(idx)),
            }
        }
        Op::Index(v, idx) => Op::Index(*v, s(idx)),
        Op::Unary(u, a) => Op::Unary(*u, s(a)),
        Op::Binary(b, x, y) => Op::Binary(*b, s(x), s(y)),
        Op::Ternary(t, a, b, x) => Op::Ternary(*t, s(a), s(b), s(x)),
        Op::Powi(a, n) => Op::Powi(s(a), s(n)),
        Op::Cast(a, ty) => Op::Cast(s(a), ty.clone()),
        Op::AsReal(a) => Op::AsReal(s(a)),
        Op::PathIndex(p, a) => Op::PathIndex(p.clone(), s(a)),
        Op::ConstCall(p, args) => Op::ConstCall(p.clone(), all(args)),
        Op::Method(a, m, args) => Op::Method(s(a), m.clone(), all(args)),
        op => op.clone(),
    };
    Expr {
        op,
        kind: e.kind.clone(),
        span: e.span,
    }
}

/// The path of the runtime's `rem_index`, under the facade crate `krate`.
pub(super) fn rem_path(krate: &syn::Path) -> syn::Path {
    let mut p = krate.clone();
    p.segments.push(syn::parse_quote!(__private));
    p.segments.push(syn::parse_quote!(rem_index));
    p
}

/// Whether `p` names the runtime's `rem_index` (`.. __private::rem_index`), whose value is `%`'s.
pub(super) fn is_rem_index(p: &syn::Path) -> bool {
    let n = p.segments.len();
    n >= 2 && p.segments[n - 1].ident == "rem_index" && p.segments[n - 2].ident == "__private"
}

#[cfg(test)]
mod tests {
    /// The companions of `src` as one string, split at each generated function.
    fn companions(src: &str) -> Vec<String> {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let tokens = crate::expand(Default::default(), quote::quote!(#item)).expect("expands");
        let text = tokens.to_string();
        text.split("fn ").map(str::to_string).collect()
    }

    #[test]
    fn boundary_loops_of_periodic_stencils_index_without_a_division() {
        let src = "fn f(du: &mut [f64], u: &[f64], c: f64) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] * c - u[i]; } }";
        let parts = companions(src);
        let part = |name: &str| {
            parts
                .iter()
                .find(|p| p.starts_with(name))
                .unwrap_or_else(|| panic!("no {name}"))
        };
        // The peeled primal and the gather form: no `%` left, `rem_index` in the boundaries
        // (`f_vjp`'s forward sweep runs the loop as written).
        for name in ["f_generic", "f_vjp", "__f_rev"] {
            let text = part(name);
            assert_eq!(name == "f_vjp", text.contains("% n"), "{name}: {text}");
            assert!(
                text.contains(":: tapeless :: __private :: rem_index ((i + 1) , n)"),
                "{name}: {text}"
            );
        }
        // The tangent keeps the user's indexing (it has no boundary loops).
        assert!(part("f_jvp").contains("% n"));
    }

    #[test]
    fn only_the_runtimes_rem_index_reads_as_a_remainder() {
        let p = |s: &str| syn::parse_str::<syn::Path>(s).unwrap();
        assert!(super::is_rem_index(&super::rem_path(&p("::tapeless"))));
        assert!(super::is_rem_index(&p("my_tapeless::__private::rem_index")));
        assert!(!super::is_rem_index(&p("rem_index")));
        assert!(!super::is_rem_index(&p("helpers::rem_index")));
    }
}
