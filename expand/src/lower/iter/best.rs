//! `chain.max_by(cmp).unwrap()` and `chain.min_by(cmp).unwrap()` (or `.expect(msg)`, after
//! `.copied()` or `.cloned()`): the element the user's comparator picks, found by a loop that
//! keeps the best item so far, so its derivative is the chosen item's, as `f64::max`'s is.
//!
//! Before: `let m = x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap();`
//! After:  `let mut __max_by = 0.0; let mut __found = false;`
//!         `for __i in 0..x.len() { let __item = x[__i];`
//!         `  if __found { if !__tl::greater_total(__max_by, __item) { __max_by = __item } }`
//!         `  else { __max_by = __item; __found = true } }`
//!         `assert!(__found, "called `Option::unwrap()` on a `None` value"); let m = __max_by`
//!
//! Rust's `max_by` folds with `compare(&best, &next)` and keeps `best` only when it is
//! `Greater` (the last maximal item wins ties); `min_by` takes `next` only when `best` is
//! `Greater` (the first minimal item wins). The comparator is one of the two orders of `f64`
//! written on the closure's parameters, `a.total_cmp(b)` or `a.partial_cmp(b).unwrap()` (or
//! `.expect(msg)`), either way round; the generated code evaluates the same order on the
//! primal values through the runtime (`partial_cmp` of a NaN panics there as the user's
//! `unwrap` does), and an empty iterator panics with the message of the user's `unwrap` or
//! `expect`.

use super::*;

/// The order a comparator writes.
enum Order {
    /// `a.total_cmp(b)`.
    Total,
    /// `a.partial_cmp(b).unwrap()`, or `.expect(msg)` with its message.
    Partial(Option<syn::LitStr>),
}

/// A comparator `|a, b| a.cmp(b)`: its order, and whether it compares its second parameter
/// with its first (`|a, b| b.total_cmp(a)`, the reverse order).
struct Comparator {
    order: Order,
    swapped: bool,
    /// Compares the second items of pairs (`|a, b| a.1.total_cmp(b.1)` or
    /// `|(_, a), (_, b)| a.total_cmp(b)`): the argmax of `enumerate()`, whose result is the pair
    /// `(index, value)`.
    keyed: bool,
    span: Span,
}

/// What to write instead of a comparator lowering does not know.
const COMPARATORS: &str = "write the comparator as `|a, b| a.total_cmp(b)` or `|a, b| a.partial_cmp(b).unwrap()` (or `.expect(\"..\")`), with `b` and `a` swapped for the reverse order; to compare something computed from the items, `map` them to it first";

/// The `.max_by(..)` or `.min_by(..)` that `end` (`.unwrap()` or `.expect(..)`) ends, through
/// one `.copied()` or `.cloned()`, if it ends one of an iterator chain.
pub(in crate::lower) fn best_of(end: &syn::ExprMethodCall) -> Option<&syn::ExprMethodCall> {
    if end.method != "unwrap" && end.method != "expect" {
        return None;
    }
    let mut pick = match strip_paren(&end.receiver) {
        syn::Expr::MethodCall(mc) => mc,
        _ => return None,
    };
    if pick.method == "copied" || pick.method == "cloned" {
        pick = match strip_paren(&pick.receiver) {
            syn::Expr::MethodCall(mc) => mc,
            _ => return None,
        };
    }
    let picks = pick.method == "max_by" || pick.method == "min_by";
    (picks && from_source(&pick.receiver).is_some()).then_some(pick)
}

/// Whether `e` is `chain.max_by(..).unwrap()` (or one of its forms), whose `*` reads the item.
pub(in crate::lower) fn is_best_of(e: &syn::Expr) -> bool {
    matches!(strip_paren(e), syn::Expr::MethodCall(mc) if best_of(mc).is_some())
}

/// The name a closure parameter binds: `a`, `a: &f64`, `&a`; for a pair whose first item is
/// ignored, `(_, a)`, the second's, with `true`.
fn param_name(p: &syn::Pat) -> Option<(String, bool)> {
    match p {
        syn::Pat::Ident(i) if i.subpat.is_none() => Some((name_of(&i.ident), false)),
        syn::Pat::Type(t) => param_name(&t.pat),
        syn::Pat::Reference(r) => param_name(&r.pat),
        syn::Pat::Paren(q) => param_name(&q.pat),
        syn::Pat::Tuple(t) if t.elems.len() == 2 && matches!(t.elems[0], syn::Pat::Wild(_)) => {
            match param_name(&t.elems[1]) {
                Some((name, false)) => Some((name, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The parameter `e` names (through `&`, `*` and parentheses), with `true` for its second
/// item, `a.1`.
fn operand(e: &syn::Expr) -> Option<(String, bool)> {
    match strip_paren(e) {
        syn::Expr::Reference(r) if r.mutability.is_none() => operand(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => operand(&u.expr),
        syn::Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| (name_of(i), false)),
        syn::Expr::Field(f) if matches!(&f.member, syn::Member::Unnamed(i) if i.index == 1) => {
            match operand(&f.base) {
                Some((name, false)) => Some((name, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The comparator `e`, or the error that says what to write.
fn comparator(e: &syn::Expr) -> syn::Result<Comparator> {
    let refuse = || err_at(e, COMPARATORS);
    let syn::Expr::Closure(c) = strip_paren(e) else {
        return refuse();
    };
    let params: Vec<(String, bool)> = c.inputs.iter().filter_map(param_name).collect();
    if c.inputs.len() != 2 || params.len() != 2 || params[0].0 == params[1].0 {
        return refuse();
    }
    let names = [params[0].0.clone(), params[1].0.clone()];
    let mut body = strip_paren(&c.body);
    if let syn::Expr::Block(b) = body {
        match &b.block.stmts[..] {
            [syn::Stmt::Expr(inner, None)] if b.label.is_none() => body = strip_paren(inner),
            _ => return refuse(),
        }
    }
    let syn::Expr::MethodCall(outer) = body else {
        return refuse();
    };
    let (cmp, order) = match (outer.method.to_string().as_str(), &outer.receiver) {
        ("total_cmp", _) => (outer, Order::Total),
        ("unwrap" | "expect", r) => {
            let syn::Expr::MethodCall(inner) = strip_paren(r) else {
                return refuse();
            };
            let message = match (outer.method == "expect", outer.args.first()) {
                (false, None) => None,
                (true, Some(syn::Expr::Lit(l))) if outer.args.len() == 1 => match &l.lit {
                    syn::Lit::Str(s) => Some(s.clone()),
                    _ => return refuse(),
                },
                _ => return refuse(),
            };
            (inner, Order::Partial(message))
        }
        _ => return refuse(),
    };
    let known = match order {
        Order::Total => cmp.method == "total_cmp",
        Order::Partial(_) => cmp.method == "partial_cmp",
    };
    if !known || cmp.args.len() != 1 || cmp.turbofish.is_some() {
        return refuse();
    }
    let (Some((p, p_pair)), Some((q, q_pair))) = (operand(&cmp.receiver), operand(&cmp.args[0]))
    else {
        return refuse();
    };
    let swapped = match () {
        () if p == names[0] && q == names[1] => false,
        () if p == names[1] && q == names[0] => true,
        () => return refuse(),
    };
    // Each side reads a pair's second item once: by `.1`, or by a destructured parameter.
    let (p_param, q_param) = if swapped {
        (params[1].1, params[0].1)
    } else {
        (params[0].1, params[1].1)
    };
    let (p_keyed, q_keyed) = (p_pair != p_param, q_pair != q_param);
    if (p_pair && p_param) || (q_pair && q_param) || p_keyed != q_keyed {
        return refuse();
    }
    Ok(Comparator {
        order,
        swapped,
        keyed: p_keyed,
        span: c.body.span(),
    })
}

impl Lowerer<'_> {
    /// `chain.max_by(cmp).unwrap()`: the loop before the expression, which reads the best item.
    pub(in crate::lower) fn best(
        &mut self,
        end: &syn::ExprMethodCall,
        pick: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        if pick.args.len() == 1 && comparator(&pick.args[0]).is_ok_and(|c| c.keyed) {
            return err_at(end, "the argmax of `enumerate()` is the pair `(index, value)`: bind it, `let (i, v) = x.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();`, or take a field of it, `.unwrap().0`");
        }
        self.best_loop(end, pick, block).map(|(_, value)| value)
    }

    /// `chain.max_by(|a, b| a.1.total_cmp(b.1)).unwrap()` over `enumerate()`'s pairs (or
    /// `|(_, a), (_, b)| a.total_cmp(b)`): the index and the value of the best item, `None`
    /// when `e` is not such an argmax. The index is an integer, as `enumerate`'s; the value's
    /// derivative is the chosen item's.
    pub(in crate::lower) fn best_pair(
        &mut self,
        e: &syn::Expr,
        block: &mut Block,
    ) -> Option<syn::Result<(Expr, Expr)>> {
        let syn::Expr::MethodCall(end) = strip_paren(e) else {
            return None;
        };
        let Some(pick) = best_of(end) else {
            // `.max_by_key(..).unwrap()` and the like, destructured: the adapter's error.
            let ends = end.method == "unwrap" || end.method == "expect";
            let unknown = unknown_adapter(&end.receiver).filter(|_| ends)?;
            return Some(Err(unknown_adapter_error(unknown)));
        };
        if pick.args.len() != 1 || !comparator(&pick.args[0]).is_ok_and(|c| c.keyed) {
            return None;
        }
        Some(self.best_loop(end, pick, block).map(|(index, value)| {
            let index = index.expect("a keyed comparator gives the index");
            (index, value)
        }))
    }

    /// The loop of [`Self::best`] and [`Self::best_pair`]: the best item's index (for a keyed
    /// comparator) and value.
    fn best_loop(
        &mut self,
        end: &syn::ExprMethodCall,
        pick: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<(Option<Expr>, Expr)> {
        let span = self.method_span(end);
        if self.no_hoist > 0 {
            return err_at(end, "an iterator here would run before the condition that guards it; bind it to a `let` first");
        }
        if let Some(unknown) = unknown_adapter(&pick.receiver) {
            return Err(unknown_adapter_error(unknown));
        }
        if pick.args.len() != 1 || pick.turbofish.is_some() {
            return err_at(
                &pick.method,
                format!(
                    "`{}` takes a comparator, `|a, b| a.total_cmp(b)`",
                    pick.method
                ),
            );
        }
        let cmp = comparator(&pick.args[0])?;
        let message = match (end.method == "expect", end.args.first()) {
            (false, None) => "called `Option::unwrap()` on a `None` value".to_string(),
            (
                true,
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })),
            ) if end.args.len() == 1 => s.value(),
            _ => return err_at(end, "end it with `.unwrap()` or `.expect(\"message\")`"),
        };
        let is_max = pick.method == "max_by";
        let mut trailing = Vec::new();
        let seq = self.chain(&pick.receiver, Some(&mut trailing), block)?;
        trailing.reverse();
        let (best, found, at) = self.best_vars(&pick.method, cmp.keyed, span, block);
        let whole = syn::Expr::MethodCall(end.clone());
        self.reduce(
            seq,
            trailing,
            &whole,
            |l, _, item, body| {
                let (index, item) = l.keyed_item(at.is_some(), item, pick, body)?;
                let x = l.item_value(item, &pick.receiver)?;
                let x = l.coerce_real(x)?;
                let item = l.temp("item", Kind::Real, span);
                body.stmts.push(Stmt::Let {
                    var: item,
                    init: Init::Expr(x),
                    span,
                });
                let take = |also: Option<Stmt>| Block {
                    stmts: std::iter::once(Stmt::Assign {
                        place: Place::Var(best),
                        value: var_expr(item, Kind::Real, span),
                        span,
                    })
                    .chain(at.zip(index.clone()).map(|(at, index)| Stmt::Assign {
                        place: Place::Var(at),
                        value: index,
                        span,
                    }))
                    .chain(also)
                    .collect(),
                };
                let cond = l.greater(&cmp, best, item);
                // `max_by` keeps the best only when it is greater, `min_by` takes the item then.
                let cond = if is_max { not(cond) } else { cond };
                let compare = Stmt::If {
                    cond,
                    then: take(None),
                    els: Block::default(),
                    span,
                };
                let first = Stmt::Assign {
                    place: Place::Var(found),
                    value: bool_lit(true, span),
                    span,
                };
                body.stmts.push(Stmt::If {
                    cond: var_expr(found, Kind::Bool, span),
                    then: Block {
                        stmts: vec![compare],
                    },
                    els: take(Some(first)),
                    span,
                });
                Ok(())
            },
            block,
        )?;
        let format = message.replace('{', "{{").replace('}', "}}");
        block.stmts.push(Stmt::Assert(Assert {
            mac: syn::Ident::new("assert", span),
            operands: vec![var_expr(found, Kind::Bool, span)],
            message: Some((syn::LitStr::new(&format, end.method.span()), Vec::new())),
            written: "found".to_string(),
            span: end.method.span(),
        }));
        Ok((
            at.map(|at| var_expr(at, Kind::Int, span)),
            var_expr(best, Kind::Real, span),
        ))
    }

    /// The loop's variables, declared in `block`: the best value, whether one was found, and
    /// for a keyed comparator the best item's index.
    fn best_vars(
        &mut self,
        method: &syn::Ident,
        keyed: bool,
        span: Span,
        block: &mut Block,
    ) -> (VarId, VarId, Option<VarId>) {
        let best = self.temp(&method.to_string(), Kind::Real, span);
        let found = self.temp("found", Kind::Bool, span);
        let at = keyed.then(|| self.temp("at", Kind::Int, span));
        let inits = [
            (Some(best), real_lit(0.0, span)),
            (Some(found), bool_lit(false, span)),
            (at, int_lit(0, span)),
        ];
        for (var, init) in inits {
            if let Some(var) = var {
                self.vars[var].mutable = true;
                block.stmts.push(Stmt::Let {
                    var,
                    init: Init::Expr(init),
                    span,
                });
            }
        }
        (best, found, at)
    }

    /// For a keyed comparator, the index of a pair `(index, value)` in a variable of the loop
    /// body and the value's item; otherwise the item itself.
    fn keyed_item(
        &mut self,
        keyed: bool,
        item: Item,
        pick: &syn::ExprMethodCall,
        body: &mut Block,
    ) -> syn::Result<(Option<Expr>, Item)> {
        if !keyed {
            return Ok((None, item));
        }
        const PAIRS: &str = "the comparator compares the second items of pairs: make the pairs `(index, value)` with `enumerate()`, `x.iter().enumerate()`";
        let Item::Pair(first, second) = item else {
            return err_at(&pick.receiver, PAIRS);
        };
        let index = self.item_value(*first, &pick.receiver)?;
        if !matches!(index.kind, Kind::Int) {
            return err_at(&pick.receiver, PAIRS);
        }
        // In a variable: the index expression may read the loop's counter through adapters.
        let span = index.span;
        let v = self.temp("index", Kind::Int, span);
        body.stmts.push(Stmt::Let {
            var: v,
            init: Init::Expr(index),
            span,
        });
        Ok((Some(var_expr(v, Kind::Int, span)), *second))
    }

    /// `let (i, v) = <argmax>;` (see [`Self::best_pair`]; `_`, `&v` and `mut` as in any
    /// `let`): the index an integer variable, the value a real one. `let p = <argmax>;` binds
    /// the pair whole, read as `p.0` and `p.1`.
    pub(in crate::lower) fn let_best_pair(
        &mut self,
        pat: &syn::Pat,
        (index, value): (Expr, Expr),
        block: &mut Block,
    ) -> syn::Result<()> {
        let syn::Pat::Tuple(tuple) = pat else {
            let (ident, mutable) = super::super::stmt::simple_binding(pat)?;
            let name = name_of(&ident);
            let mut parts = Vec::new();
            for (k, value) in [index, value].into_iter().enumerate() {
                let span = ident.span();
                let var =
                    self.unscoped_var(&format!("{name}_{k}"), value.kind.clone(), mutable, span);
                block.stmts.push(Stmt::Let {
                    var,
                    init: Init::Expr(value),
                    span,
                });
                parts.push(var);
            }
            // The name itself holds no value: only its fields are read.
            let whole = self.new_var(&name, Kind::Opaque, false, ident.span());
            self.tuples.insert(whole, parts);
            return Ok(());
        };
        if tuple.elems.len() != 2 {
            return err_at(
                tuple,
                "the argmax is the pair `(index, value)`: `let (i, v) = ..`",
            );
        }
        for (pat, value) in tuple.elems.iter().zip([index, value]) {
            let pat = match pat {
                syn::Pat::Reference(r) if r.mutability.is_none() => &*r.pat,
                p => p,
            };
            if matches!(pat, syn::Pat::Wild(_)) {
                continue;
            }
            let (ident, mutable) = super::super::stmt::simple_binding(pat)?;
            let span = ident.span();
            let var = self.new_var(&name_of(&ident), value.kind.clone(), mutable, span);
            block.stmts.push(Stmt::Let {
                var,
                init: Init::Expr(value),
                span,
            });
        }
        Ok(())
    }

    /// `<argmax>.0` (the index) or `<argmax>.1` (the value); `None` when `f` is not one.
    pub(in crate::lower) fn best_pair_field(
        &mut self,
        f: &syn::ExprField,
        block: &mut Block,
    ) -> Option<syn::Result<Expr>> {
        let syn::Member::Unnamed(k) = &f.member else {
            return None;
        };
        let pair = self.best_pair(&f.base, block)?;
        Some(pair.and_then(|(index, value)| match k.index {
            0 => Ok(index),
            1 => Ok(value),
            _ => err_at(
                k,
                "the argmax is the pair `(index, value)`: take `.0` or `.1`",
            ),
        }))
    }

    /// Whether the comparator says `compare(&best, &item)` is `Greater`, on the primal values.
    fn greater(&self, cmp: &Comparator, best: VarId, item: VarId) -> Expr {
        let span = cmp.span;
        let (b, x) = (
            var_expr(best, Kind::Real, span),
            var_expr(item, Kind::Real, span),
        );
        let mut args = if cmp.swapped { vec![x, b] } else { vec![b, x] };
        let helper = match &cmp.order {
            Order::Total => "greater_total",
            Order::Partial(None) => "greater_partial",
            Order::Partial(Some(message)) => {
                args.push(Expr {
                    op: Op::Lit(Literal::Other(syn::Lit::Str(message.clone()))),
                    kind: Kind::Opaque,
                    span,
                });
                "greater_partial_expect"
            }
        };
        let helper = syn::Ident::new(helper, span);
        Expr {
            op: Op::ConstCall(syn::parse_quote_spanned!(span=> __tl::#helper), args),
            kind: Kind::Bool,
            span,
        }
    }
}

fn bool_lit(b: bool, span: Span) -> Expr {
    Expr {
        op: Op::Lit(Literal::Other(syn::Lit::Bool(syn::LitBool::new(b, span)))),
        kind: Kind::Bool,
        span,
    }
}

fn not(e: Expr) -> Expr {
    let span = e.span;
    Expr {
        op: Op::Unary(Unary::Not, Box::new(e)),
        kind: Kind::Bool,
        span,
    }
}
