//! The sequence of an iterator chain: its sources, its adapters, and the item of a position.

use super::*;

/// Where an item's value comes from, as a function of the position.
#[derive(Clone, Debug)]
pub(in crate::lower) enum Src {
    /// `array[p]`.
    Elem { array: VarId, writable: bool },
    /// `array[p..p + size]`.
    Window { array: VarId, size: Expr },
    /// `array[start + p * size..start + (p * size + size).min(len)]`: the chunks of the run of
    /// `len` elements from `start` (the whole array, or a sub-slice).
    Chunk {
        array: VarId,
        size: Expr,
        start: Expr,
        len: Expr,
    },
    /// The position itself (`enumerate`).
    Counter,
    /// A pair of items (`zip`, `enumerate`).
    Pair(Box<Src>, Box<Src>),
    /// The closure applied to the item (`map`).
    Map(Box<Src>, syn::ExprClosure),
    /// The item at another position.
    At(Box<Src>, PosMap),
    /// The item, when the closure says so (`filter`): see [`super::filter`].
    Filter(Box<Src>, syn::ExprClosure),
    /// The first source's items at positions below the length, then the second's (`chain`).
    Chain(Box<Src>, Box<Src>, Expr),
}

impl Src {
    /// The arrays the items read, each with whether the items write it (`iter_mut`).
    pub(in crate::lower) fn arrays(&self, out: &mut Vec<(VarId, bool)>) {
        match self {
            Src::Elem { array, writable } => out.push((*array, *writable)),
            Src::Window { array, .. } | Src::Chunk { array, .. } => out.push((*array, false)),
            Src::Counter => {}
            Src::Pair(a, b) | Src::Chain(a, b, _) => {
                a.arrays(out);
                b.arrays(out);
            }
            Src::Map(a, _) | Src::At(a, _) | Src::Filter(a, _) => a.arrays(out),
        }
    }
}

/// A change of position.
#[derive(Clone, Debug)]
pub(in crate::lower) enum PosMap {
    /// `p + a`.
    Offset(Expr),
    /// `last - p` (`rev`).
    Reverse(Expr),
    /// `a + p * s` (`step_by`).
    Stride(Expr, Expr),
}

/// A sequence: the item of every position in `start..end`.
#[derive(Clone, Debug)]
pub(in crate::lower) struct Seq {
    pub(in crate::lower) src: Src,
    pub(in crate::lower) start: Expr,
    pub(in crate::lower) end: Expr,
}

/// The item of one position.
#[derive(Clone, Debug)]
pub(in crate::lower) enum Item {
    Elem {
        array: VarId,
        index: Expr,
        writable: bool,
    },
    Window {
        array: VarId,
        start: Expr,
        len: Expr,
    },
    Value(Expr),
    Pair(Box<Item>, Box<Item>),
}

pub(in crate::lower) fn int_lit(n: usize, span: Span) -> Expr {
    Expr {
        op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
            &n.to_string(),
            span,
        )))),
        kind: Kind::Int,
        span,
    }
}

/// An unsuffixed integer literal as a `usize` one, `1` as `1usize`; any other `e` as it is.
fn as_usize(e: Expr) -> Expr {
    match &e.op {
        Op::Lit(Literal::Other(syn::Lit::Int(i))) if i.suffix().is_empty() => Expr {
            op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
                &format!("{}usize", i.base10_digits()),
                i.span(),
            )))),
            ..e
        },
        _ => e,
    }
}

pub(in crate::lower) fn is_zero(e: &Expr) -> bool {
    matches!(&e.op, Op::Lit(Literal::Other(syn::Lit::Int(i))) if i.base10_digits() == "0")
}

pub(in crate::lower) fn int_bin(op: Binary, a: Expr, b: Expr) -> Expr {
    let span = a.span;
    Expr {
        op: Op::Binary(op, Box::new(a), Box::new(b)),
        kind: Kind::Int,
        span,
    }
}

pub(in crate::lower) fn int_method(a: Expr, name: &str, args: Vec<Expr>) -> Expr {
    let span = a.span;
    Expr {
        op: Op::Method(Box::new(a), syn::Ident::new(name, span), args),
        kind: Kind::Int,
        span,
    }
}

/// `a + b`, or `b` when `a` is zero.
pub(in crate::lower) fn add(a: &Expr, b: Expr) -> Expr {
    if is_zero(a) {
        b
    } else {
        int_bin(Binary::Add, a.clone(), b)
    }
}

/// `a + b` that stops at `usize::MAX` (`skip(k)` and `take(k)` take any `k`), or `b` when `a`
/// is zero.
fn add_saturating(a: &Expr, b: Expr) -> Expr {
    if is_zero(a) {
        b
    } else {
        int_method(a.clone(), "saturating_add", vec![b])
    }
}

/// The number of positions of `seq`.
pub(in crate::lower) fn count(seq: &Seq) -> Expr {
    if is_zero(&seq.start) {
        seq.end.clone()
    } else {
        int_method(seq.end.clone(), "saturating_sub", vec![seq.start.clone()])
    }
}

impl Lowerer<'_> {
    /// A source of a chain: `v.iter()`, `&v`, `v`, ... (`whole` for `for x in &v` and
    /// `zip(y)`, where the array itself is the iterable).
    pub(in crate::lower) fn source(
        &mut self,
        e: &syn::Expr,
        whole: bool,
        block: &mut Block,
    ) -> syn::Result<Seq> {
        match range_source(e) {
            Some(r) => self.range_seq(r, block),
            None => self.array_source(strip_paren(e), whole, block),
        }
    }

    /// A source of a chain that reads an array (see [`Self::source`]).
    fn array_source(&mut self, e: &syn::Expr, whole: bool, block: &mut Block) -> syn::Result<Seq> {
        let (arr, writable, src_kind) = match e {
            syn::Expr::Reference(r) if whole => (&*r.expr, r.mutability.is_some(), None),
            syn::Expr::Path(_) if whole => {
                let writable = self
                    .path_var(e)
                    .is_some_and(|v| self.kind(v) == &Kind::RealArray(ArrayRepr::SliceMut));
                (e, writable, None)
            }
            syn::Expr::MethodCall(mc) if SOURCES.contains(&mc.method.to_string().as_str()) => {
                let name = mc.method.to_string();
                let want = usize::from(matches!(
                    name.as_str(),
                    "windows" | "chunks" | "chunks_exact"
                ));
                if mc.args.len() != want {
                    return err_at(&mc.method, format!("`{name}` takes {want} argument(s)"));
                }
                let k = match mc.args.first() {
                    Some(a) => {
                        let k = self.index_expr(a, block)?;
                        Some(self.evaluated_once(k, "size", block))
                    }
                    None => None,
                };
                (&*mc.receiver, name == "iter_mut", Some((name, k)))
            }
            other => return err_at(other, format!("iterate over an array: {SUPPORTED}")),
        };
        let method = src_kind.as_ref().map(|(name, _)| name.as_str());
        if let Some(run) = self.sub_run(arr, writable, block)? {
            let size = src_kind.as_ref().and_then(|(_, k)| k.clone());
            return self.run_source(run, method, size, e);
        }
        let array = match self.path_var(arr) {
            Some(v) => v,
            None => match self.table_row(arr, block)? {
                Some(v) => v,
                None => return err_at(
                    arr,
                    "iterate over a variable, `v.iter()`, or a sub-slice of one, `v[a..b].iter()`: temporaries are not supported",
                ),
            },
        };
        if let Some(rows) = self.rows_source(array, method, writable, e) {
            let (size, end) = rows?;
            return Ok(Seq {
                src: Src::Chunk {
                    array,
                    size,
                    start: int_lit(0, arr.span()),
                    len: Expr {
                        op: Op::Len(array),
                        kind: Kind::Int,
                        span: arr.span(),
                    },
                },
                start: int_lit(0, arr.span()),
                end,
            });
        }
        let kind = self.kind(array).clone();
        let is_matrix = kind == Kind::Matrix;
        // A list of indices or other data (`idx: &[usize]`), read element by element.
        let is_data =
            kind == Kind::Opaque && !writable && src_kind.as_ref().is_none_or(|(_, k)| k.is_none());
        if self.closures.contains_key(&array) {
            return err_at(
                arr,
                format!(
                    "`{}` is a closure: iterate over an array and call it in `.map(..)`",
                    self.shown(array)
                ),
            );
        }
        if !matches!(kind, Kind::RealArray(_)) && !is_matrix && !is_data {
            return err_at(
                arr,
                format!(
                    "`{}` is not an array of reals; iterate over integers with `for i in a..b`",
                    self.shown(array)
                ),
            );
        }
        if is_matrix && writable && self.param_vars.contains(&array) {
            return err_at(
                arr,
                super::super::matrix_writes::read_only_parameter(self.shown(array)),
            );
        }
        let span = arr.span();
        let len = Expr {
            op: Op::Len(array),
            kind: Kind::Int,
            span,
        };
        let zero = int_lit(0, span);
        Ok(match src_kind {
            Some((name, Some(size))) if !is_matrix => {
                let run = slices::Run {
                    array,
                    start: zero,
                    len,
                };
                self.run_source(run, Some(&name), Some(size), e)?
            }
            Some((name, Some(_))) => {
                return err_at(e, format!("`.{name}(k)` of a matrix or vector is not supported; iterate over its elements with `.iter()`"))
            }
            _ => Seq {
                src: Src::Elem { array, writable },
                start: zero,
                end: len,
            },
        })
    }

    /// The positions of a range `a..b` (`a..=b`), each its own item: the bounds evaluated once,
    /// before the loop, as Rust evaluates a range's.
    fn range_seq(&mut self, r: &syn::ExprRange, block: &mut Block) -> syn::Result<Seq> {
        let (Some(a), Some(b)) = (&r.start, &r.end) else {
            return err_at(r, "give both bounds of the range: `(a..b)`");
        };
        // The positions are `usize` (they index arrays): a literal bound says so, since the
        // loop's arithmetic on them (`saturating_sub`, `min`) needs a type.
        let start = as_usize(self.index_expr(a, block)?);
        let start = self.evaluated_once(start, "start", block);
        let mut end = as_usize(self.index_expr(b, block)?);
        if matches!(r.limits, syn::RangeLimits::Closed(_)) {
            let span = end.span;
            end = int_bin(Binary::Add, end, int_lit(1, span));
        }
        let end = self.evaluated_once(end, "end", block);
        Ok(Seq {
            src: Src::Counter,
            start,
            end,
        })
    }

    /// The run of elements of `arr` when it is a sub-slice, `v[a..b]`, or a name bound to one
    /// or to a window (see `slices`).
    pub(in crate::lower) fn sub_run(
        &mut self,
        arr: &syn::Expr,
        writable: bool,
        block: &mut Block,
    ) -> syn::Result<Option<slices::Run>> {
        let sub = match strip_paren(arr) {
            syn::Expr::Index(ix) => matches!(&*ix.index, syn::Expr::Range(_)),
            e => self
                .path_var(e)
                .is_some_and(|v| matches!(self.alias(v), Some(Alias::Window { .. }))),
        };
        if !sub {
            return Ok(None);
        }
        self.run(arr, writable, block).map(Some)
    }

    /// The sequence of the elements (`method` `iter`, `iter_mut`, none) or windows of a run.
    fn run_source(
        &mut self,
        run: slices::Run,
        method: Option<&str>,
        size: Option<Expr>,
        e: &syn::Expr,
    ) -> syn::Result<Seq> {
        let span = e.span();
        let writable = method == Some("iter_mut");
        let (src, end) = match (method, size) {
            (Some("windows"), Some(size)) => {
                let plus_one = int_bin(Binary::Add, run.len.clone(), int_lit(1, span));
                (
                    Src::Window {
                        array: run.array,
                        size: size.clone(),
                    },
                    int_method(plus_one, "saturating_sub", vec![size]),
                )
            }
            // Every chunk is whole: windows `size` apart, the remainder never read.
            (Some("chunks_exact"), Some(size)) => {
                let end = int_bin(Binary::Div, run.len.clone(), size.clone());
                let src = Src::At(
                    Box::new(Src::Window {
                        array: run.array,
                        size: size.clone(),
                    }),
                    PosMap::Stride(run.start.clone(), size),
                );
                return Ok(Seq {
                    src,
                    start: int_lit(0, span),
                    end,
                });
            }
            (Some(_), Some(size)) => {
                let end = int_method(run.len.clone(), "div_ceil", vec![size.clone()]);
                let src = Src::Chunk {
                    array: run.array,
                    size,
                    start: run.start.clone(),
                    len: run.len.clone(),
                };
                return Ok(Seq {
                    src,
                    start: int_lit(0, span),
                    end,
                });
            }
            _ => (
                Src::Elem {
                    array: run.array,
                    writable,
                },
                run.len.clone(),
            ),
        };
        let src = if is_zero(&run.start) {
            src
        } else {
            Src::At(Box::new(src), PosMap::Offset(run.start.clone()))
        };
        Ok(Seq {
            src,
            start: int_lit(0, span),
            end,
        })
    }

    /// The sequence of a chain; with `trailing`, the outermost `rev` and `step_by` (past `map`,
    /// `copied`, `cloned`) are left to the loop's range, pushed to `trailing` outermost first.
    pub(in crate::lower) fn chain(
        &mut self,
        e: &syn::Expr,
        mut trailing: Option<&mut Vec<Adaptor>>,
        block: &mut Block,
    ) -> syn::Result<Seq> {
        let e = strip_paren(e);
        let mc = match e {
            syn::Expr::MethodCall(mc) if ADAPTERS.contains(&mc.method.to_string().as_str()) => mc,
            _ => return self.source(e, true, block),
        };
        let name = mc.method.to_string();
        let span = mc.method.span();
        let nargs = match name.as_str() {
            "zip" | "chain" | "map" | "filter" | "skip" | "take" | "step_by" => 1,
            _ => 0,
        };
        if mc.args.len() != nargs {
            return err_at(
                &mc.method,
                format!("`{name}` takes {nargs} argument(s) here"),
            );
        }
        if mc.turbofish.is_some() {
            return err_at(&mc.turbofish, "remove the turbofish");
        }
        if let Some(filter) = filter_before(&mc.receiver) {
            if !matches!(
                name.as_str(),
                "map" | "copied" | "cloned" | "filter" | "rev"
            ) {
                return err_at(&mc.method, format!("`.{name}(..)` after `.filter(..)` counts the items that pass it, which a loop over the positions cannot: put `.{name}(..)` before `.{}(..)`, or write a `for` loop with a counter", filter.method));
            }
        }
        match name.as_str() {
            "copied" | "cloned" => self.chain(&mc.receiver, trailing, block),
            "filter" => {
                let closure = match strip_paren(&mc.args[0]) {
                    syn::Expr::Closure(c) => c.clone(),
                    other => {
                        return err_at(
                            other,
                            "write the test as a closure, `.filter(|x| **x > 0.0)`",
                        )
                    }
                };
                // `rev` after a filter reverses the loop (the same items, backwards).
                let seq = self.chain(&mc.receiver, trailing, block)?;
                Ok(Seq {
                    src: Src::Filter(Box::new(seq.src), closure),
                    ..seq
                })
            }
            "map" => {
                let closure = match strip_paren(&mc.args[0]) {
                    syn::Expr::Closure(c) => c.clone(),
                    // `.map(f64::sin)`, `.map(scale)`: the closure that calls the function.
                    other => match path_closure(other, 1) {
                        Some(c) => c,
                        None => {
                            return err_at(
                                other,
                                "write the function as a closure, `.map(|x| x.sin())`, or name it, `.map(f64::sin)`",
                            )
                        }
                    },
                };
                let seq = self.chain(&mc.receiver, trailing, block)?;
                Ok(Seq {
                    src: Src::Map(Box::new(seq.src), closure),
                    ..seq
                })
            }
            "rev" | "step_by" if trailing.is_some() => {
                let adaptor = if name == "rev" {
                    Adaptor::Rev
                } else {
                    let s = self.index_expr(&mc.args[0], block)?;
                    Adaptor::StepBy(self.evaluated_once(s, "step", block))
                };
                if let Some(t) = trailing.as_deref_mut() {
                    t.push(adaptor);
                }
                self.chain(&mc.receiver, trailing, block)
            }
            _ => {
                // Before this adapter, positions are no longer the loop's.
                let arg = match name.as_str() {
                    "skip" | "take" | "step_by" => {
                        let k = self.index_expr(&mc.args[0], block)?;
                        Some(self.evaluated_once(k, &name, block))
                    }
                    _ => None,
                };
                let seq = self.chain(&mc.receiver, None, block)?;
                self.adapt(seq, &name, arg, mc, span, block)
            }
        }
    }

    /// `seq.name(arg)` for the adapters that change positions.
    pub(in crate::lower) fn adapt(
        &mut self,
        seq: Seq,
        name: &str,
        arg: Option<Expr>,
        mc: &syn::ExprMethodCall,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Seq> {
        let zero = int_lit(0, span);
        // The same items at positions `0..count`.
        let based = |seq: Seq| -> Seq {
            if is_zero(&seq.start) {
                return seq;
            }
            let n = count(&seq);
            Seq {
                src: Src::At(Box::new(seq.src), PosMap::Offset(seq.start)),
                start: int_lit(0, span),
                end: n,
            }
        };
        Ok(match (name, arg) {
            ("skip", Some(k)) => Seq {
                start: add_saturating(&seq.start, k),
                ..seq
            },
            ("take", Some(k)) => {
                let limit = add_saturating(&seq.start, k);
                Seq {
                    end: int_method(seq.end.clone(), "min", vec![limit]),
                    ..seq
                }
            }
            ("step_by", Some(s)) => {
                let n = count(&seq);
                Seq {
                    src: Src::At(Box::new(seq.src), PosMap::Stride(seq.start, s.clone())),
                    start: zero,
                    end: int_method(n, "div_ceil", vec![s]),
                }
            }
            ("rev", _) => {
                let last = int_bin(
                    Binary::Sub,
                    add(&seq.start, seq.end.clone()),
                    int_lit(1, span),
                );
                Seq {
                    src: Src::At(Box::new(seq.src), PosMap::Reverse(last)),
                    ..seq
                }
            }
            ("enumerate", _) => {
                let seq = based(seq);
                Seq {
                    src: Src::Pair(Box::new(Src::Counter), Box::new(seq.src)),
                    ..seq
                }
            }
            ("zip" | "chain", _) => {
                let other = if is_iterator_chain(&mc.args[0]) {
                    self.chain(&mc.args[0], None, block)?
                } else {
                    self.source(&mc.args[0], true, block)?
                };
                let (a, b) = (based(seq), based(other));
                if name == "zip" {
                    Seq {
                        src: Src::Pair(Box::new(a.src), Box::new(b.src)),
                        start: zero,
                        end: int_method(a.end, "min", vec![b.end]),
                    }
                } else {
                    let mut arrays = Vec::new();
                    a.src.arrays(&mut arrays);
                    b.src.arrays(&mut arrays);
                    if arrays.iter().any(|&(_, writable)| writable) {
                        return err_at(&mc.method, "the items of `chain` are read, not written: write each array in a loop of its own, `for v in a.iter_mut() { .. }` and then `for v in b.iter_mut() { .. }`");
                    }
                    // The first source's length, computed once.
                    let first = self.evaluated_once(a.end, "first", block);
                    Seq {
                        src: Src::Chain(Box::new(a.src), Box::new(b.src), first.clone()),
                        start: zero,
                        end: add(&first, b.end),
                    }
                }
            }
            _ => return err_at(&mc.method, format!("`.{name}()` is not supported here")),
        })
    }

    /// The item at position `p`, its `map` closures inlined into `block`.
    pub(in crate::lower) fn item(
        &mut self,
        src: &Src,
        p: Expr,
        block: &mut Block,
    ) -> syn::Result<Item> {
        Ok(match src {
            Src::Elem { array, writable } => Item::Elem {
                array: *array,
                index: p,
                writable: *writable,
            },
            Src::Window { array, size } => Item::Window {
                array: *array,
                start: p,
                len: size.clone(),
            },
            Src::Chunk {
                array,
                size,
                start,
                len,
            } => {
                let offset = int_bin(Binary::Mul, p, size.clone());
                let rest = int_bin(Binary::Sub, len.clone(), offset.clone());
                Item::Window {
                    array: *array,
                    start: add(start, offset),
                    len: int_method(size.clone(), "min", vec![rest]),
                }
            }
            Src::Counter => Item::Value(p),
            Src::Pair(a, b) => {
                let a = self.item(a, p.clone(), block)?;
                let b = self.item(b, p, block)?;
                Item::Pair(Box::new(a), Box::new(b))
            }
            Src::Map(inner, closure) => {
                let item = self.item(inner, p, block)?;
                let value = self.inline_closure(closure, None, vec![item], block)?;
                Item::Value(value)
            }
            Src::Filter(inner, closure) => {
                let item = self.item(inner, p, block)?;
                self.filter_guard(closure, item.clone(), block)?;
                item
            }
            Src::Chain(a, b, first) => self.chained_item(a, b, first, p, block)?,
            Src::At(inner, map) => {
                let q = match map {
                    PosMap::Offset(a) => add(a, p),
                    PosMap::Reverse(last) => int_bin(Binary::Sub, last.clone(), p),
                    PosMap::Stride(a, s) => add(a, int_bin(Binary::Mul, p, s.clone())),
                };
                // A long chain of adapters must not make an index deeper than lowering allows.
                let q = self.bounded(q, block);
                self.item(inner, q, block)?
            }
        })
    }

    /// The item at position `p` of `a.chain(b)`, `a`'s first `first`: a number, held in a
    /// temporary that an `if` on the position sets from either source (each source's own work,
    /// its `map` closures, in its branch).
    fn chained_item(
        &mut self,
        a: &Src,
        b: &Src,
        first: &Expr,
        p: Expr,
        block: &mut Block,
    ) -> syn::Result<Item> {
        let span = p.span;
        let what = quote::quote_spanned!(span=> chain);
        let mut then = Block::default();
        let x = self.item(a, p.clone(), &mut then)?;
        let x = self.item_value(x, &what)?;
        let mut els = Block::default();
        let q = int_bin(Binary::Sub, p.clone(), first.clone());
        let y = self.item(b, q, &mut els)?;
        let y = self.item_value(y, &what)?;
        let kind =
            match (&x.kind, &y.kind) {
                (Kind::Int, Kind::Int) => Kind::Int,
                (Kind::Real | Kind::Int, Kind::Real | Kind::Int) => Kind::Real,
                _ => return err(
                    span,
                    "`chain` joins iterators of numbers here: `map` their items to numbers first",
                ),
            };
        let t = self.temp("item", kind.clone(), span);
        self.vars[t].mutable = true;
        let zero = match kind {
            Kind::Int => int_lit(0, span),
            _ => super::super::expr::real_lit(0.0, span),
        };
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(zero),
            span,
        });
        for (value, branch) in [(x, &mut then), (y, &mut els)] {
            let value = self.place_value(&Place::Var(t), value, span)?;
            branch.stmts.push(Stmt::Assign {
                place: Place::Var(t),
                value,
                span,
            });
        }
        let cond = Expr {
            op: Op::Binary(Binary::Lt, Box::new(p), Box::new(first.clone())),
            kind: Kind::Bool,
            span,
        };
        block.stmts.push(Stmt::If {
            cond,
            then,
            els,
            span,
        });
        Ok(Item::Value(var_expr(t, kind, span)))
    }

    /// The value of a scalar item.
    pub(in crate::lower) fn item_value(
        &self,
        item: Item,
        what: &dyn ToTokens,
    ) -> syn::Result<Expr> {
        match item {
            Item::Elem { array, index, .. } => Ok(Expr {
                span: index.span,
                op: Op::Index(array, Box::new(index)),
                kind: self.element_kind(array),
            }),
            Item::Value(e) => Ok(e),
            Item::Window { .. } | Item::Pair(..) => err_at(
                what,
                "the items here are windows or pairs: `map` them to a number first, `.map(|(a, b)| a * b)`",
            ),
        }
    }
}
