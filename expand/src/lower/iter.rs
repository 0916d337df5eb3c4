//! Iterator chains and closures, lowered to the IR's own loops and accumulators, so the tangent
//! and the adjoint need no rule of their own: a lowered chain is the `for i in 0..n` loop a
//! careful person writes by hand.
//!
//! Before: `let s: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();`
//! After:  `let mut __sum = 0.0; for __i in 0..x.len().min(y.len()) { __sum = (__sum + (x[__i] * y[__i])) } let s = __sum`
//!
//! A chain is a *sequence*: positions `start..end` of a counter and, for each position, an
//! item built from the sources (`v.iter()`, `&v`, `v.iter_mut()`, `v.windows(k)`, `v.chunks(k)`)
//! through the adapters (`zip`, `enumerate`, `map`, `rev`, `skip`, `take`, `step_by`, `copied`,
//! `cloned`), each of which changes the positions or the item. A trailing `.rev()` or
//! `.step_by(k)` becomes the loop range's own adaptor, so `for x in v.iter().rev()` is
//! `for __i in (0..v.len()).rev()`.
//!
//! The names an iterator binds stand for what they are: `x` of `for x in v.iter()` is the element
//! `v[__i]` (an alias: reads are `v[__i]`, and `*x = ..` of `iter_mut` writes `v[__i]`), `w` of
//! `windows(2)` is the window `v[__i..__i + 2]` (read as `w[j]` and `w.len()`). Closures are
//! inlined where they are used: their parameters are bound to the items, their bodies lowered in
//! place; the counter, accumulators and any other name lowering introduces come from
//! [`Lowerer::temp`], which never gives a name the user's function contains. A closure stored in
//! a `let` keeps the scope it was written in, and copies the scalars it reads when it is made,
//! as the closure itself does.

use super::*;

/// What a name bound by an iterator stands for.
#[derive(Clone, Debug)]
pub(super) enum Alias {
    /// The element `array[index]`, written through `*x = ..` when `writable` (`iter_mut`).
    Elem {
        array: VarId,
        index: Expr,
        writable: bool,
    },
    /// The window `array[start..start + len]` of `windows(k)` or `chunks(k)`.
    Window {
        array: VarId,
        start: Expr,
        len: Expr,
    },
}

/// A closure stored in a `let`, inlined where it is called.
#[derive(Clone)]
pub(super) struct StoredClosure {
    closure: syn::ExprClosure,
    /// The scopes where it was written (its captured scalars replaced by their copies).
    scopes: Vec<HashMap<String, VarId>>,
}

/// Where an item's value comes from, as a function of the position.
#[derive(Clone, Debug)]
enum Src {
    /// `array[p]`.
    Elem { array: VarId, writable: bool },
    /// `array[p..p + size]`.
    Window { array: VarId, size: Expr },
    /// `array[p * size..(p * size + size).min(len)]`.
    Chunk { array: VarId, size: Expr },
    /// The position itself (`enumerate`).
    Counter,
    /// A pair of items (`zip`, `enumerate`).
    Pair(Box<Src>, Box<Src>),
    /// The closure applied to the item (`map`).
    Map(Box<Src>, syn::ExprClosure),
    /// The item at another position.
    At(Box<Src>, PosMap),
}

/// A change of position.
#[derive(Clone, Debug)]
enum PosMap {
    /// `p + a`.
    Offset(Expr),
    /// `last - p` (`rev`).
    Reverse(Expr),
    /// `a + p * s` (`step_by`).
    Stride(Expr, Expr),
}

/// A sequence: the item of every position in `start..end`.
#[derive(Clone, Debug)]
struct Seq {
    src: Src,
    start: Expr,
    end: Expr,
}

/// The item of one position.
#[derive(Clone, Debug)]
enum Item {
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

/// The methods that make an iterator out of an array.
const SOURCES: &[&str] = &["iter", "iter_mut", "into_iter", "windows", "chunks"];
/// The adapters lowering knows.
const ADAPTERS: &[&str] = &[
    "zip",
    "enumerate",
    "map",
    "rev",
    "skip",
    "take",
    "step_by",
    "copied",
    "cloned",
];
/// What to write, for messages.
const SUPPORTED: &str = "`iter`, `iter_mut`, `windows(k)`, `chunks(k)`, then `zip`, `enumerate`, `map`, `rev`, `skip`, `take`, `step_by`, `copied`, `cloned`, ending in `sum`, `product`, `fold` or `collect` (or looped over by `for`)";

fn int_lit(n: usize, span: Span) -> Expr {
    Expr {
        op: Op::Lit(Literal::Other(syn::Lit::Int(syn::LitInt::new(
            &n.to_string(),
            span,
        )))),
        kind: Kind::Int,
        span,
    }
}

fn is_zero(e: &Expr) -> bool {
    matches!(&e.op, Op::Lit(Literal::Other(syn::Lit::Int(i))) if i.base10_digits() == "0")
}

fn int_bin(op: Binary, a: Expr, b: Expr) -> Expr {
    let span = a.span;
    Expr {
        op: Op::Binary(op, Box::new(a), Box::new(b)),
        kind: Kind::Int,
        span,
    }
}

fn int_method(a: Expr, name: &str, args: Vec<Expr>) -> Expr {
    let span = a.span;
    Expr {
        op: Op::Method(Box::new(a), syn::Ident::new(name, span), args),
        kind: Kind::Int,
        span,
    }
}

/// `a + b`, or `b` when `a` is zero.
fn add(a: &Expr, b: Expr) -> Expr {
    if is_zero(a) {
        b
    } else {
        int_bin(Binary::Add, a.clone(), b)
    }
}

/// The number of positions of `seq`.
fn count(seq: &Seq) -> Expr {
    if is_zero(&seq.start) {
        seq.end.clone()
    } else {
        int_method(seq.end.clone(), "saturating_sub", vec![seq.start.clone()])
    }
}

/// Whether `e` is a method call chain that starts at an iterator source (`v.iter()..`).
pub(super) fn is_iterator_chain(e: &syn::Expr) -> bool {
    match strip_paren(e) {
        syn::Expr::MethodCall(mc) => {
            let name = mc.method.to_string();
            SOURCES.contains(&name.as_str())
                || (ADAPTERS.contains(&name.as_str()) && is_iterator_chain(&mc.receiver))
        }
        _ => false,
    }
}

impl Lowerer<'_> {
    /// The alias `v` stands for, if any.
    pub(super) fn alias(&self, v: VarId) -> Option<&Alias> {
        self.aliases.get(&v)
    }

    /// A read of `v` when it is an alias.
    pub(super) fn alias_read(&self, v: VarId, span: Span) -> Option<syn::Result<Expr>> {
        match self.alias(v)? {
            Alias::Elem { array, index, .. } => Some(Ok(Expr {
                op: Op::Index(*array, Box::new(index.clone())),
                kind: Kind::Real,
                span,
            })),
            Alias::Window { array, .. } => Some(err(
                span,
                format!(
                    "`{}` is a window of `{}`: read its elements, `{0}[j]`, or its length, `{0}.len()`",
                    self.shown(v),
                    self.shown(*array)
                ),
            )),
        }
    }

    /// `*x` of an element an iterator gives.
    pub(super) fn is_iter_ref(&self, e: &syn::Expr) -> bool {
        self.path_var(e)
            .is_some_and(|v| matches!(self.alias(v), Some(Alias::Elem { .. })))
    }

    /// `*x = ..`: the element `x` stands for.
    pub(super) fn alias_place(&mut self, e: &syn::Expr) -> syn::Result<Place> {
        let v = self.var_of(e)?;
        let Some(Alias::Elem {
            array,
            index,
            writable,
        }) = self.alias(v).cloned()
        else {
            return err_at(e, "expected an element of an iterator");
        };
        if !writable {
            return err_at(
                e,
                format!(
                    "`{}` is read-only: iterate with `{}.iter_mut()` to write the elements",
                    self.shown(v),
                    self.shown(array)
                ),
            );
        }
        if self.kind(array) == &Kind::RealArray(ArrayRepr::Slice) {
            return err_at(
                e,
                format!(
                    "`{}` is a shared slice: take it as `&mut [f64]` to write into it",
                    self.shown(array)
                ),
            );
        }
        self.vars[array].mutable = true;
        Ok(Place::Index(array, index))
    }

    /// `w[j]` of a window.
    pub(super) fn window_read(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        span: Span,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let Some(Alias::Window { array, start, .. }) = self.alias(v).cloned() else {
            return Ok(None);
        };
        let j = self.index_expr(&ix.index, block)?;
        Ok(Some(Expr {
            op: Op::Index(array, Box::new(add(&start, j))),
            kind: Kind::Real,
            span,
        }))
    }

    /// `w.len()` of a window.
    pub(super) fn alias_len(&self, v: VarId) -> Option<Expr> {
        match self.alias(v)? {
            Alias::Window { len, .. } => Some(len.clone()),
            Alias::Elem { .. } => None,
        }
    }

    /// A source of a chain: `v.iter()`, `&v`, `v`, ... (`whole` for `for x in &v` and
    /// `zip(y)`, where the array itself is the iterable).
    fn source(&mut self, e: &syn::Expr, whole: bool, block: &mut Block) -> syn::Result<Seq> {
        let e = strip_paren(e);
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
                let want = usize::from(matches!(name.as_str(), "windows" | "chunks"));
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
        let array = match self.path_var(arr) {
            Some(v) => v,
            None => return err_at(
                arr,
                "iterate over a variable, `v.iter()`: sub-slices and temporaries are not supported",
            ),
        };
        let kind = self.kind(array).clone();
        let is_matrix = kind == Kind::Matrix;
        if !matches!(kind, Kind::RealArray(_)) && !is_matrix {
            return err_at(
                arr,
                format!(
                    "`{}` is not an array of reals; iterate over integers with `for i in a..b`",
                    self.shown(array)
                ),
            );
        }
        if is_matrix && writable {
            return err_at(arr, "writing elements of a matrix or vector is not supported; build it from whole-matrix operations, or use `Vec<f64>`");
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
                if name == "windows" {
                    let plus_one = int_bin(Binary::Add, len, int_lit(1, span));
                    Seq {
                        src: Src::Window {
                            array,
                            size: size.clone(),
                        },
                        start: zero,
                        end: int_method(plus_one, "saturating_sub", vec![size]),
                    }
                } else {
                    Seq {
                        src: Src::Chunk {
                            array,
                            size: size.clone(),
                        },
                        start: zero,
                        end: int_method(len, "div_ceil", vec![size]),
                    }
                }
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

    /// The sequence of a chain; with `trailing`, the outermost `rev` and `step_by` (past `map`,
    /// `copied`, `cloned`) are left to the loop's range, pushed to `trailing` outermost first.
    fn chain(
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
            "zip" | "map" | "skip" | "take" | "step_by" => 1,
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
        match name.as_str() {
            "copied" | "cloned" => self.chain(&mc.receiver, trailing, block),
            "map" => {
                let closure = match strip_paren(&mc.args[0]) {
                    syn::Expr::Closure(c) => c.clone(),
                    other => {
                        return err_at(
                            other,
                            "write the function as a closure, `.map(|x| x.sin())`",
                        )
                    }
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
    fn adapt(
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
                start: add(&seq.start, k),
                ..seq
            },
            ("take", Some(k)) => {
                let limit = add(&seq.start, k);
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
            ("zip", _) => {
                let other = if is_iterator_chain(&mc.args[0]) {
                    self.chain(&mc.args[0], None, block)?
                } else {
                    self.source(&mc.args[0], true, block)?
                };
                let (a, b) = (based(seq), based(other));
                Seq {
                    src: Src::Pair(Box::new(a.src), Box::new(b.src)),
                    start: zero,
                    end: int_method(a.end, "min", vec![b.end]),
                }
            }
            _ => return err_at(&mc.method, format!("`.{name}()` is not supported here")),
        })
    }

    /// The item at position `p`, its `map` closures inlined into `block`.
    fn item(&mut self, src: &Src, p: Expr, block: &mut Block) -> syn::Result<Item> {
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
            Src::Chunk { array, size } => {
                let start = int_bin(Binary::Mul, p, size.clone());
                let span = start.span;
                let rest = int_bin(
                    Binary::Sub,
                    Expr {
                        op: Op::Len(*array),
                        kind: Kind::Int,
                        span,
                    },
                    start.clone(),
                );
                Item::Window {
                    array: *array,
                    start,
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
            Src::At(inner, map) => {
                let q = match map {
                    PosMap::Offset(a) => add(a, p),
                    PosMap::Reverse(last) => int_bin(Binary::Sub, last.clone(), p),
                    PosMap::Stride(a, s) => add(a, int_bin(Binary::Mul, p, s.clone())),
                };
                self.item(inner, q, block)?
            }
        })
    }

    /// The value of a scalar item.
    fn item_value(&self, item: Item, what: &dyn ToTokens) -> syn::Result<Expr> {
        match item {
            Item::Elem { array, index, .. } => Ok(Expr {
                span: index.span,
                op: Op::Index(array, Box::new(index)),
                kind: Kind::Real,
            }),
            Item::Value(e) => Ok(e),
            Item::Window { .. } | Item::Pair(..) => err_at(
                what,
                "the items here are windows or pairs: `map` them to a number first, `.map(|(a, b)| a * b)`",
            ),
        }
    }

    /// Binds the names of `pat` to `item` (see [`Alias`]); `counter` is the loop's variable,
    /// renamed after the first name bound to it.
    fn bind(
        &mut self,
        pat: &syn::Pat,
        item: Item,
        counter: &mut Option<VarId>,
        block: &mut Block,
    ) -> syn::Result<()> {
        match (pat, item) {
            (syn::Pat::Paren(p), item) => self.bind(&p.pat, item, counter, block),
            (syn::Pat::Type(t), item) => self.bind(&t.pat, item, counter, block),
            (syn::Pat::Reference(r), item) if r.mutability.is_none() => {
                self.bind(&r.pat, item, counter, block)
            }
            (syn::Pat::Wild(_), _) => Ok(()),
            (syn::Pat::Tuple(t), Item::Pair(a, b)) if t.elems.len() == 2 => {
                self.bind(&t.elems[0], *a, counter, block)?;
                self.bind(&t.elems[1], *b, counter, block)
            }
            (syn::Pat::Ident(pi), item) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                let name = name_of(&pi.ident);
                let span = pi.ident.span();
                let mutable = pi.mutability.is_some();
                match item {
                    Item::Elem {
                        array,
                        index,
                        writable,
                    } if !mutable => {
                        let v = self.new_var(&name, Kind::Real, false, span);
                        self.aliases.insert(
                            v,
                            Alias::Elem {
                                array,
                                index,
                                writable,
                            },
                        );
                    }
                    Item::Window { array, start, len } if !mutable => {
                        let v = self.new_var(&name, Kind::RealArray(ArrayRepr::Slice), false, span);
                        self.aliases.insert(v, Alias::Window { array, start, len });
                    }
                    Item::Value(Expr { op: Op::Var(v), .. }) if !mutable && *counter == Some(v) => {
                        // The loop's counter takes the user's name.
                        *counter = None;
                        let fresh = self.fresh_name(&name, true);
                        self.vars[v].name = fresh;
                        self.vars[v].user_name = name.clone();
                        self.vars[v].span = span;
                        self.scopes
                            .last_mut()
                            .expect("a scope is open")
                            .insert(name, v);
                    }
                    Item::Value(Expr { op: Op::Var(v), .. }) if !mutable => {
                        // A value already in a variable (an accumulator, an argument).
                        self.scopes
                            .last_mut()
                            .expect("a scope is open")
                            .insert(name, v);
                    }
                    item @ (Item::Elem { .. } | Item::Value(_)) => {
                        let value = self.item_value(item, pat)?;
                        let v = self.new_var(&name, value.kind.clone(), mutable, span);
                        block.stmts.push(Stmt::Let {
                            var: v,
                            init: Init::Expr(value),
                            span,
                        });
                    }
                    _ => {
                        return err_at(
                            pat,
                            "bind a window or a pair to names without `mut`: `|(a, b)|`",
                        )
                    }
                }
                Ok(())
            }
            (syn::Pat::Tuple(_), _) => err_at(
                pat,
                "this pattern does not match the item: `zip` and `enumerate` give pairs, `(a, b)`",
            ),
            (other, _) => err_at(
                other,
                "bind the item to a name, `x`, `&x`, `x: f64`, or a pair of them, `(i, x)`",
            ),
        }
    }

    /// The value of `closure` applied to `args`, its body lowered into `block` (in the scopes of
    /// a stored closure's `let`, if `stored`). A closure does not write what it captures.
    fn inline_closure(
        &mut self,
        closure: &syn::ExprClosure,
        stored: Option<Vec<HashMap<String, VarId>>>,
        args: Vec<Item>,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        check_closure(closure)?;
        if closure.inputs.len() != args.len() {
            return err_at(
                &closure.inputs,
                format!("this closure takes {} argument(s) here", args.len()),
            );
        }
        let mark = self.vars.len();
        let outer = stored.map(|s| std::mem::replace(&mut self.scopes, s));
        self.scopes.push(HashMap::new());
        let mut inner = Block::default();
        let result = (|| {
            for (pat, item) in closure.inputs.iter().zip(args) {
                self.bind(pat, item, &mut None, &mut inner)?;
            }
            match strip_paren(&closure.body) {
                syn::Expr::Block(b) if b.label.is_none() => match b.block.stmts.split_last() {
                    Some((syn::Stmt::Expr(e, None), rest)) => {
                        self.stmts_into(rest, &mut inner);
                        self.expr(e, &mut inner)
                    }
                    _ => err_at(
                        &b.block,
                        "end the closure's block with its value (no `;` after it)",
                    ),
                },
                body => self.expr(body, &mut inner),
            }
        })();
        self.scopes.pop();
        if let Some(outer) = outer {
            self.scopes = outer;
        }
        let value = result?;
        let writes_capture = inner.writes().into_iter().any(|v| v.0 < mark);
        if writes_capture {
            return err_at(closure, "a closure that assigns to a variable it captures is not supported; write a `for` loop that assigns it");
        }
        block.stmts.extend(inner.stmts);
        Ok(value)
    }

    /// `let f = |x| ..;`: kept and inlined where it is called, in the scopes of its `let`; the
    /// scalars it reads are copied here, as the closure captures them.
    pub(super) fn let_closure(
        &mut self,
        pat: &syn::Pat,
        closure: &syn::ExprClosure,
        block: &mut Block,
    ) -> syn::Result<()> {
        check_closure(closure)?;
        let (ident, mutable) = simple_binding(pat)?;
        if mutable {
            return err_at(pat, "a closure is bound without `mut`");
        }
        let mut names = IdentCollector::default();
        names.visit_expr(&closure.body);
        let mut scopes = self.scopes.clone();
        let mut captured: Vec<String> = names.0.into_iter().collect();
        captured.sort();
        for name in captured {
            let Some(v) = self.lookup(&name) else {
                continue;
            };
            if self.aliases.contains_key(&v) || self.closures.contains_key(&v) {
                continue;
            }
            match self.kind(v).clone() {
                kind @ (Kind::Real | Kind::Int | Kind::Bool) if self.vars[v].mutable => {
                    let span = closure.span();
                    let copy = self.temp(&name, kind.clone(), span);
                    block.stmts.push(Stmt::Let {
                        var: copy,
                        init: Init::Expr(var_expr(v, kind, span)),
                        span,
                    });
                    scopes
                        .last_mut()
                        .expect("a scope is open")
                        .insert(name, copy);
                }
                Kind::RealArray(_) | Kind::Matrix if closure.capture.is_some() => {
                    return err_at(
                        &closure.capture,
                        format!("a `move` closure keeps its own copy of `{name}`; write the closure without `move`"),
                    );
                }
                _ => {}
            }
        }
        let v = self.new_var(&name_of(&ident), Kind::Opaque, false, ident.span());
        self.closures.insert(
            v,
            StoredClosure {
                closure: closure.clone(),
                scopes,
            },
        );
        Ok(())
    }

    /// `f(a, b)` of a closure stored in a `let`, if `call` is one.
    pub(super) fn closure_call(
        &mut self,
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let Some(v) = self.path_var(&call.func) else {
            return Ok(None);
        };
        let Some(stored) = self.closures.get(&v).cloned() else {
            return Ok(None);
        };
        let mut args = Vec::new();
        for a in &call.args {
            args.push(self.closure_arg(a, block)?);
        }
        self.inline_closure(&stored.closure, Some(stored.scopes), args, block)
            .map(Some)
    }

    /// An argument of a closure: a number, or a tuple of them.
    fn closure_arg(&mut self, a: &syn::Expr, block: &mut Block) -> syn::Result<Item> {
        if let syn::Expr::Tuple(t) = strip_paren(a) {
            if t.elems.len() == 2 {
                let first = self.closure_arg(&t.elems[0], block)?;
                let second = self.closure_arg(&t.elems[1], block)?;
                return Ok(Item::Pair(Box::new(first), Box::new(second)));
            }
        }
        let x = self.expr(a, block)?;
        if matches!(x.kind, Kind::RealArray(_) | Kind::Matrix) {
            return err_at(
                a,
                "pass numbers to a closure; the arrays it reads it captures",
            );
        }
        Ok(Item::Value(self.evaluated_once(x, "arg", block)))
    }

    /// `for pat in chain { body }`.
    pub(super) fn iter_for(&mut self, f: &syn::ExprForLoop, block: &mut Block) -> syn::Result<()> {
        let mut trailing = Vec::new();
        let seq = self.chain(&f.expr, Some(&mut trailing), block)?;
        trailing.reverse();
        let span = f.expr.span();
        let range = Range {
            start: seq.start.clone(),
            end: seq.end.clone(),
            inclusive: false,
            adaptors: trailing,
        };
        self.scopes.push(HashMap::new());
        let counter = self.temp("i", Kind::Int, span);
        let mut body = Block::default();
        let lowered = (|| {
            let item = self.item(&seq.src, var_expr(counter, Kind::Int, span), &mut body)?;
            self.bind(&f.pat, item, &mut Some(counter), &mut body)?;
            self.stmts_into(&f.body.stmts, &mut body);
            Ok::<_, syn::Error>(())
        })();
        self.scopes.pop();
        lowered?;
        self.check_replayable(&range, &body, &f.expr)?;
        block.stmts.push(Stmt::For {
            var: counter,
            range,
            body,
            span: f.span(),
        });
        Ok(())
    }

    /// The reverse sweep re-evaluates the range: its variables must not change in the loop.
    fn check_replayable(&self, range: &Range, body: &Block, at: &syn::Expr) -> syn::Result<()> {
        let mut reads = Vec::new();
        range.reads(&mut reads);
        let written = body.writes();
        for r in reads {
            if written.contains(&r) && !matches!(self.kind(r), Kind::RealArray(_)) {
                return err_at(at, format!("`{}` is assigned inside the loop, so the loop's range cannot be replayed; copy it into a new variable before the loop", self.shown(r)));
            }
        }
        Ok(())
    }

    /// A loop over `seq` in `block`, `each` given the item of every position and the body.
    fn reduce(
        &mut self,
        seq: Seq,
        trailing: Vec<Adaptor>,
        at: &syn::Expr,
        mut each: impl FnMut(&mut Self, VarId, Item, &mut Block) -> syn::Result<()>,
        block: &mut Block,
    ) -> syn::Result<()> {
        let span = at.span();
        let range = Range {
            start: seq.start.clone(),
            end: seq.end.clone(),
            inclusive: false,
            adaptors: trailing,
        };
        let counter = self.temp("i", Kind::Int, span);
        let mut body = Block::default();
        let item = self.item(&seq.src, var_expr(counter, Kind::Int, span), &mut body)?;
        each(self, counter, item, &mut body)?;
        self.check_replayable(&range, &body, at)?;
        block.stmts.push(Stmt::For {
            var: counter,
            range,
            body,
            span,
        });
        Ok(())
    }

    /// `chain.sum()`, `chain.product()`, `chain.fold(init, |acc, x| ..)`: an accumulator and a
    /// loop before the expression, which reads the accumulator. `None` when `mc` is not one.
    pub(super) fn iterator_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        block: &mut Block,
    ) -> syn::Result<Option<Expr>> {
        let name = mc.method.to_string();
        if !is_iterator_chain(&mc.receiver) {
            if is_iterator_chain(&syn::Expr::MethodCall(mc.clone())) {
                return err_at(&mc.method, format!("an iterator is a value only through what it gives: end it with `.sum()`, `.product()`, `.fold(..)`, or `.collect()` in a `let`, or loop over it with `for` ({SUPPORTED})"));
            }
            return Ok(None);
        }
        let span = self.method_span(mc);
        if self.no_hoist > 0 {
            return err_at(mc, "an iterator here would run before the condition that guards it; bind it to a `let` first");
        }
        match name.as_str() {
            "sum" | "product" | "fold" => {}
            "collect" => return err_at(&mc.method, "bind the collected vector to a `let`: `let v: Vec<f64> = x.iter().map(..).collect();`"),
            _ if ADAPTERS.contains(&name.as_str()) => return err_at(&mc.method, format!("an iterator is a value only through what it gives: end it with `.sum()`, `.product()`, `.fold(..)`, or `.collect()` in a `let`, or loop over it with `for` ({SUPPORTED})")),
            _ => return err_at(&mc.method, format!("`.{name}()` of an iterator is not supported; the supported ones are {SUPPORTED}; or write a `for` loop")),
        }
        if let Some(t) = &mc.turbofish {
            if name == "fold"
                || t.args.len() != 1
                || !matches!(t.args.first(), Some(syn::GenericArgument::Type(ty)) if ty.to_token_stream().to_string() == "f64")
            {
                return err_at(t, "the turbofish here is `::<f64>`");
            }
        }
        let want = if name == "fold" { 2 } else { 0 };
        if mc.args.len() != want {
            return err_at(&mc.method, format!("`{name}` takes {want} argument(s)"));
        }
        let mut trailing = Vec::new();
        let seq = self.chain(&mc.receiver, Some(&mut trailing), block)?;
        trailing.reverse();
        let (init, closure) = match name.as_str() {
            "sum" => (real_lit(0.0, span), None),
            "product" => (real_lit(1.0, span), None),
            _ => {
                let init = self.expr(&mc.args[0], block)?;
                let init = if init.kind == Kind::Int || init.kind == Kind::Bool {
                    init
                } else {
                    self.coerce_real(init)?
                };
                let closure = match strip_paren(&mc.args[1]) {
                    syn::Expr::Closure(c) => c.clone(),
                    other => {
                        return err_at(other, "write the step as a closure, `|acc, x| acc + x`")
                    }
                };
                (init, Some(closure))
            }
        };
        let kind = init.kind.clone();
        let acc = self.temp(&name, kind.clone(), span);
        self.vars[acc].mutable = true;
        block.stmts.push(Stmt::Let {
            var: acc,
            init: Init::Expr(init),
            span,
        });
        let op = if name == "product" {
            Binary::Mul
        } else {
            Binary::Add
        };
        let whole = syn::Expr::MethodCall(mc.clone());
        self.reduce(
            seq,
            trailing,
            &whole,
            |l, _, item, body| {
                let current = var_expr(acc, kind.clone(), span);
                let value = match &closure {
                    None => {
                        let x = l.item_value(item, &mc.receiver)?;
                        l.binary(op, current, x, (span, span), body)?
                    }
                    Some(c) => {
                        let v =
                            l.inline_closure(c, None, vec![Item::Value(current), item], body)?;
                        l.place_value(&Place::Var(acc), v, c.body.span())?
                    }
                };
                body.stmts.push(Stmt::Assign {
                    place: Place::Var(acc),
                    value,
                    span,
                });
                Ok(())
            },
            block,
        )?;
        Ok(Some(var_expr(acc, kind, span)))
    }

    /// `let v: Vec<f64> = chain.collect();` (or `.collect::<Vec<f64>>()`): a vector of the
    /// chain's length, its elements assigned in a loop. `false` when `init` is not one.
    pub(super) fn let_collect(
        &mut self,
        local: &syn::Local,
        init: &syn::Expr,
        block: &mut Block,
    ) -> syn::Result<bool> {
        let syn::Expr::MethodCall(mc) = strip_paren(init) else {
            return Ok(false);
        };
        if mc.method != "collect" || !is_iterator_chain(&mc.receiver) {
            return Ok(false);
        }
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let is_vec = |t: &syn::Type| {
            let s = t.to_token_stream().to_string().replace(' ', "");
            s == "Vec<f64>" || s == "Vec<_>"
        };
        let typed = ty.is_some_and(|t| is_vec(t)) && mc.turbofish.is_none()
            || mc.turbofish.as_ref().is_some_and(|t| {
                t.args.len() == 1
                    && matches!(t.args.first(), Some(syn::GenericArgument::Type(t)) if is_vec(t))
                    && ty.is_none_or(is_vec)
            });
        if !typed {
            return err_at(mc, "collect into a `Vec<f64>`: `let v: Vec<f64> = ...collect();` or `.collect::<Vec<f64>>()`");
        }
        if !mc.args.is_empty() {
            return err_at(&mc.method, "`collect` takes no arguments");
        }
        let (ident, _) = simple_binding(pat)?;
        let span = local.span();
        let seq = self.chain(&mc.receiver, None, block)?;
        let n = count(&seq);
        let start = seq.start.clone();
        let v = self.unscoped_var(
            &name_of(&ident),
            Kind::RealArray(ArrayRepr::Vec),
            true,
            ident.span(),
        );
        block.stmts.push(Stmt::Let {
            var: v,
            init: Init::VecFill {
                value: real_lit(0.0, span),
                len: n,
            },
            span,
        });
        self.reduce(
            seq,
            Vec::new(),
            init,
            |l, counter, item, body| {
                let value = l.item_value(item, &mc.receiver)?;
                let value = l.coerce_real(value)?;
                let c = var_expr(counter, Kind::Int, span);
                let index = if is_zero(&start) {
                    c
                } else {
                    int_bin(Binary::Sub, c, start.clone())
                };
                body.stmts.push(Stmt::Assign {
                    place: Place::Index(v, index),
                    value,
                    span,
                });
                Ok(())
            },
            block,
        )?;
        self.scopes
            .last_mut()
            .expect("a scope is open")
            .insert(name_of(&ident), v);
        Ok(true)
    }
}

/// What a closure may not hold: `return` (which would return from the closure), `async`.
fn check_closure(c: &syn::ExprClosure) -> syn::Result<()> {
    if let Some(a) = &c.asyncness {
        return err_at(a, "`async` closures are not supported");
    }
    if let syn::ReturnType::Type(_, t) = &c.output {
        if t.to_token_stream().to_string() != "f64" {
            return err_at(t, "a closure here returns `f64`");
        }
    }
    struct Finder(Option<Span>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            self.0.get_or_insert(r.return_token.span);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder(None);
    f.visit_expr(&c.body);
    match f.0 {
        Some(span) => err(
            span,
            "`return` inside a closure is not supported; give the value as the closure's last expression",
        ),
        None => Ok(()),
    }
}
