//! Everyday slice idioms, as the loops and indices they stand for:
//!
//! - `u.copy_from_slice(&v)`, `u.clone_from_slice(x)`, `u[a..b].copy_from_slice(&x[c..d])`: the
//!   lengths checked by std's own method (`__tl::copied_len`, std's message where the user's
//!   call panics), then the element loop one would write by hand;
//! - `u.fill(c)`, `u[a..b].fill(c)`: `c` evaluated once, then the loop;
//! - `u.swap(i, j)`, `u[a..b].swap(i, j)`: the indices evaluated once and checked as `swap`
//!   checks them, then the three assignments through a temporary;
//! - `*x.last().unwrap()`, `x.last().copied().unwrap()`, `*x.first().unwrap()`: the element
//!   `x[len - 1]` or `x[0]`, its index checked as `unwrap` checks it (`__tl::last_index`,
//!   `__tl::first_index`: the panic of `None.unwrap()` on an empty slice);
//! - sub-slices bound to locals, `let tail = &x[1..];` and `let blk = &mut u[a..b];`: the
//!   bounds evaluated once and checked as std checks them, then the name is an alias of the
//!   elements `x[from..to]` (see `iter::Alias::Window`): `tail[i]`, `tail.len()`,
//!   `tail.iter()`, `&tail[..k]`, passed to calls as a copy (see `subslice`), and, for `&mut`,
//!   `blk[i] = ..`. rustc's borrow check of the user's function guarantees the array is not
//!   written while a shared alias of it lives, nor read through another name while a `&mut`
//!   one does, so reading the array's elements in place gives the function's values.
//!
//! Before: `u[1..].copy_from_slice(&x[..n]);`
//! After:  `let __from = 1; let __to = u.len(); assert!(..); let __from1 = 0; let __to1 = n;`
//!         `assert!(..); let __len = __tl::copied_len(__to - __from, __to1 - __from1, false);`
//!         `for __i in 0..__len { u[__from + __i] = x[__from1 + __i] }`

use super::iter::{add, int_bin, int_lit};
use super::*;

/// A run of consecutive elements of a real array: `array[start..start + len]`.
pub(super) struct Run {
    pub(super) array: VarId,
    pub(super) start: Expr,
    pub(super) len: Expr,
}

impl Run {
    /// The place of the run's element `i` in its array.
    fn at(&self, i: Expr) -> Expr {
        add(&self.start, i)
    }
}

impl Lowerer<'_> {
    /// `dst.copy_from_slice(src)`, `dst.clone_from_slice(src)`, `dst.fill(c)` as a statement;
    /// `None` for other methods.
    pub(super) fn slice_method_stmt(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> Option<syn::Result<()>> {
        let name = mc.method.to_string();
        if name == "swap" {
            return Some(self.swap(mc, block));
        }
        if !matches!(
            name.as_str(),
            "copy_from_slice" | "clone_from_slice" | "fill"
        ) {
            return None;
        }
        Some(self.slice_method(mc, &name, block))
    }

    /// `a.swap(i, j)` (also of a sub-slice, `a[1..].swap(i, j)`): the indices evaluated once and
    /// checked as std checks them, then `let t = a[i]; a[i] = a[j]; a[j] = t;`.
    fn swap(&mut self, mc: &syn::ExprMethodCall, block: &mut Block) -> syn::Result<()> {
        if mc.args.len() != 2 {
            return err_at(&mc.method, "`swap` takes two indices");
        }
        let run = self.run(&mc.receiver, true, block)?;
        let span = mc.span();
        let mut at = Vec::with_capacity(2);
        for a in &mc.args {
            let i = self.index_expr(a, block)?;
            let i = self.evaluated_once(i, "swap", block);
            // An index past the run (a sub-slice) must panic as `swap` does.
            let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::window_index);
            let checked = Expr {
                op: Op::ConstCall(path, vec![run.start.clone(), i, run.len.clone()]),
                kind: Kind::Int,
                span,
            };
            at.push(self.evaluated_once(checked, "swap", block));
        }
        let elem = |k: &Expr| Expr {
            op: Op::Index(run.array, Box::new(k.clone())),
            kind: Kind::Real,
            span,
        };
        let t = self.temp("swap", Kind::Real, span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(elem(&at[0])),
            span,
        });
        self.vars[run.array].mutable = true;
        block.stmts.push(Stmt::Assign {
            place: Place::Index(run.array, at[0].clone()),
            value: elem(&at[1]),
            span,
        });
        block.stmts.push(Stmt::Assign {
            place: Place::Index(run.array, at[1].clone()),
            value: var_expr(t, Kind::Real, span),
            span,
        });
        Ok(())
    }

    fn slice_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        name: &str,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = mc.span();
        if mc.args.len() != 1 {
            return err_at(&mc.method, format!("`{name}` takes one argument"));
        }
        if mc.turbofish.is_some() {
            return err_at(&mc.turbofish, "remove the turbofish");
        }
        let dst = self.run(&mc.receiver, true, block)?;
        let (len, value): (Expr, Box<dyn Fn(Expr) -> Expr>) = if name == "fill" {
            let c = self.real_expr(&mc.args[0], block)?;
            let c = self.evaluated_once(c, "fill", block);
            (dst.len.clone(), Box::new(move |_| c.clone()))
        } else {
            let src = self.run(&mc.args[0], false, block)?;
            let clone = syn::LitBool::new(name == "clone_from_slice", span);
            let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::copied_len);
            let checked = Expr {
                op: Op::ConstCall(
                    path,
                    vec![
                        dst.len.clone(),
                        src.len.clone(),
                        Expr {
                            op: Op::Lit(Literal::Other(syn::Lit::Bool(clone))),
                            kind: Kind::Bool,
                            span,
                        },
                    ],
                ),
                kind: Kind::Int,
                span,
            };
            let len = self.bound_once("len", checked, span, block);
            (
                var_expr(len, Kind::Int, span),
                Box::new(move |i| Expr {
                    op: Op::Index(src.array, Box::new(src.at(i))),
                    kind: Kind::Real,
                    span,
                }),
            )
        };
        let counter = self.temp("i", Kind::Int, span);
        let i = || var_expr(counter, Kind::Int, span);
        block.stmts.push(Stmt::For {
            var: counter,
            range: Range {
                start: int_lit(0, span),
                end: len,
                inclusive: false,
                adaptors: Vec::new(),
            },
            body: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Index(dst.array, dst.at(i())),
                    value: value(i()),
                    span,
                }],
            },
            span,
        });
        Ok(())
    }

    /// The run `e` names: an array `x` (or `&x`, `&mut x`), a sub-slice `x[a..b]` of one (its
    /// bounds checked here), or a sub-slice local or window; `write` for one written.
    pub(super) fn run(
        &mut self,
        e: &syn::Expr,
        write: bool,
        block: &mut Block,
    ) -> syn::Result<Run> {
        let e = match strip_paren(e) {
            syn::Expr::Reference(r) => strip_paren(&r.expr),
            e => e,
        };
        let span = e.span();
        if let syn::Expr::Index(ix) = e {
            if let syn::Expr::Range(range) = &*ix.index {
                if self.no_hoist > 0 {
                    return err_at(e, "bind the sub-slice to a `let` first, `let s = &v[a..b];`: here its bounds would be checked before the condition that guards it (the right of `&&` or `||`, a `while` condition, a match guard)");
                }
                let whole = self.run(&ix.expr, write, block)?;
                let (from, to) = self.range_bounds(whole.len.clone(), ix, range, span, block)?;
                let (from, to) = (
                    var_expr(from, Kind::Int, span),
                    var_expr(to, Kind::Int, span),
                );
                return Ok(Run {
                    array: whole.array,
                    start: add(&whole.start, from.clone()),
                    len: int_bin(Binary::Sub, to, from),
                });
            }
        }
        let Some(v) = self.path_var(e) else {
            return err_at(
                e,
                "name an array of reals or a sub-slice of one here, `v` or `&v[a..b]`; bind other values to a `let` first",
            );
        };
        if let Some(Alias::Window { array, start, len }) = self.alias(v).cloned() {
            if write && self.kind(v) != &Kind::RealArray(ArrayRepr::SliceMut) {
                return err_at(
                    e,
                    format!(
                        "`{}` is read-only: bind it as `&mut {}[a..b]` to write into it",
                        self.shown(v),
                        self.shown(array)
                    ),
                );
            }
            if write {
                self.vars[array].mutable = true;
            }
            return Ok(Run { array, start, len });
        }
        self.refuse_rows(v, e, "copying or filling it whole")?;
        match self.kind(v) {
            Kind::RealArray(ArrayRepr::Slice) if write => err_at(
                e,
                format!(
                    "`{}` is a shared slice: take it as `&mut [f64]` to write into it",
                    self.shown(v)
                ),
            ),
            Kind::RealArray(_) => {
                if write {
                    self.vars[v].mutable = true;
                }
                Ok(Run {
                    array: v,
                    start: int_lit(0, span),
                    len: Expr {
                        op: Op::Len(v),
                        kind: Kind::Int,
                        span,
                    },
                })
            }
            _ => err_at(e, format!("`{}` is not an array of reals", self.shown(v))),
        }
    }

    /// `let tail = &x[a..b];` or `let blk = &mut u[a..b];` (also of a sub-slice local): the
    /// bounds checked and bound once, the name an alias of the elements; `None` for other
    /// `let`s.
    pub(super) fn let_subslice(
        &mut self,
        pat: &syn::Pat,
        init: &syn::Expr,
        block: &mut Block,
    ) -> Option<syn::Result<()>> {
        let syn::Expr::Reference(r) = strip_paren(init) else {
            return None;
        };
        let syn::Expr::Index(ix) = strip_paren(&r.expr) else {
            return None;
        };
        if !matches!(&*ix.index, syn::Expr::Range(_)) {
            return None;
        }
        Some(self.let_subslice_run(pat, r, block))
    }

    fn let_subslice_run(
        &mut self,
        pat: &syn::Pat,
        r: &syn::ExprReference,
        block: &mut Block,
    ) -> syn::Result<()> {
        let (ident, _) = simple_binding(pat)?;
        let mutable = r.mutability.is_some();
        let run = self.run(&r.expr, mutable, block)?;
        let span = r.span();
        // The alias names its bounds as variables: a sub-slice passed on is copied from them
        // (see `subslice`).
        let start = match run.start.op {
            Op::Var(_) | Op::Lit(_) => run.start,
            _ => {
                let v = self.bound_once("from", run.start, span, block);
                var_expr(v, Kind::Int, span)
            }
        };
        let len = self.bound_once("len", run.len, span, block);
        let repr = if mutable {
            ArrayRepr::SliceMut
        } else {
            ArrayRepr::Slice
        };
        let v = self.new_var(&name_of(&ident), Kind::RealArray(repr), false, ident.span());
        self.subslices.insert(v);
        self.aliases.insert(
            v,
            Alias::Window {
                array: run.array,
                start,
                len: var_expr(len, Kind::Int, span),
            },
        );
        Ok(())
    }

    /// A `Vec` holding a copy of the elements of `run`, made in `block` (`x[a..b].to_vec()`,
    /// `tail.to_vec()` of a sub-slice local).
    pub(super) fn run_copy(&mut self, run: Run, span: Span, block: &mut Block) -> VarId {
        let sub = self.temp("sub", Kind::RealArray(ArrayRepr::Vec), span);
        self.vars[sub].mutable = true;
        block.stmts.push(Stmt::Let {
            var: sub,
            init: Init::VecFill {
                value: real_lit(0.0, span),
                len: run.len.clone(),
            },
            span,
        });
        let counter = self.temp("i", Kind::Int, span);
        let i = || var_expr(counter, Kind::Int, span);
        block.stmts.push(Stmt::For {
            var: counter,
            range: Range {
                start: int_lit(0, span),
                end: Expr {
                    op: Op::Len(sub),
                    kind: Kind::Int,
                    span,
                },
                inclusive: false,
                adaptors: Vec::new(),
            },
            body: Block {
                stmts: vec![Stmt::Assign {
                    place: Place::Index(sub, i()),
                    value: Expr {
                        op: Op::Index(run.array, Box::new(run.at(i()))),
                        kind: Kind::Real,
                        span,
                    },
                    span,
                }],
            },
            span,
        });
        sub
    }

    /// The place `blk[j]` of a name bound to `&mut u[a..b]`: the element of `u`, its index
    /// checked as `blk[j]` is.
    pub(super) fn window_place(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<Place> {
        let Some(Alias::Window { array, .. }) = self.alias(v).cloned() else {
            return err_at(ix, "expected a sub-slice");
        };
        if self.kind(v) != &Kind::RealArray(ArrayRepr::SliceMut) {
            return err_at(
                &ix.expr,
                format!(
                    "`{}` is read-only: bind it as `&mut {}[a..b]` to write into it",
                    self.shown(v),
                    self.shown(array)
                ),
            );
        }
        let span = ix.span();
        match self.window_read(v, ix, span, block)? {
            Some(Expr {
                op: Op::Index(array, index),
                ..
            }) => {
                self.vars[array].mutable = true;
                Ok(Place::Index(array, *index))
            }
            _ => err_at(ix, "expected an element of a sub-slice"),
        }
    }

    /// `x.last().unwrap()`, `x.first().unwrap()`, through `.copied()` or `.cloned()` (and the
    /// `*` of the first forms, in [`Lowerer::unary_expr`]): the element, its index checked as
    /// `unwrap` checks it. `None` when `mc` is not such a chain.
    pub(super) fn first_last(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> Option<syn::Result<Expr>> {
        let (end, which) = first_last_of(mc)?;
        Some(self.first_last_elem(mc, end, which, block))
    }

    fn first_last_elem(
        &mut self,
        mc: &syn::ExprMethodCall,
        end: &syn::ExprMethodCall,
        which: &str,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = self.method_span(mc);
        if !end.args.is_empty() {
            return err_at(&end.method, format!("`{which}` takes no arguments"));
        }
        // The last of a list of indices or other data (`idx: &[usize]`): copied as written.
        let data = self
            .path_var(&end.receiver)
            .filter(|&v| self.kind(v) == &Kind::Opaque && self.alias(v).is_none());
        let (run, kind) = match data {
            Some(v) => (
                Run {
                    array: v,
                    start: int_lit(0, span),
                    len: Expr {
                        op: Op::Len(v),
                        kind: Kind::Int,
                        span,
                    },
                },
                Kind::Opaque,
            ),
            None => (self.run(&end.receiver, false, block)?, Kind::Real),
        };
        let helper = syn::Ident::new(&format!("{which}_index"), Span::call_site());
        let path: syn::Path = syn::parse_quote_spanned!(Span::call_site()=> __tl::#helper);
        let index = Expr {
            op: Op::ConstCall(path, vec![run.len.clone()]),
            kind: Kind::Int,
            span,
        };
        Ok(Expr {
            op: Op::Index(run.array, Box::new(run.at(index))),
            kind,
            span,
        })
    }
}

/// The `x.last()` (or `first`) call of `x.last().unwrap()`, `x.last().copied().unwrap()`,
/// `x.last().cloned().unwrap()`, with `"last"` or `"first"`.
pub(super) fn first_last_of(
    mc: &syn::ExprMethodCall,
) -> Option<(&syn::ExprMethodCall, &'static str)> {
    if mc.method != "unwrap" || !mc.args.is_empty() {
        return None;
    }
    let mut inner = strip_paren(&mc.receiver);
    if let syn::Expr::MethodCall(c) = inner {
        if (c.method == "copied" || c.method == "cloned") && c.args.is_empty() {
            inner = strip_paren(&c.receiver);
        }
    }
    match inner {
        syn::Expr::MethodCall(end) if end.method == "last" => Some((end, "last")),
        syn::Expr::MethodCall(end) if end.method == "first" => Some((end, "first")),
        _ => None,
    }
}

/// Whether `e` is `x.last().unwrap()` or `x.first().unwrap()`, whose `*` reads the element.
pub(super) fn is_first_last(e: &syn::Expr) -> bool {
    matches!(strip_paren(e), syn::Expr::MethodCall(mc) if first_last_of(mc).is_some())
}

/// Whether `e` is `Vec::new()` or `Vec::with_capacity(..)`: an empty `Vec`, to grow by `push`.
pub(super) fn is_empty_vec(e: &syn::Expr) -> bool {
    let syn::Expr::Call(call) = strip_paren(e) else {
        return false;
    };
    let syn::Expr::Path(p) = strip_paren(&call.func) else {
        return false;
    };
    let segments: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>()[..],
        [.., "Vec", "new" | "with_capacity"]
    )
}
