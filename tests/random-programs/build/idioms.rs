//! The constructs of Rust as scientists write it (issue 12), for the second batch of random
//! programs: iterator chains with closures (`iter().zip().map().sum()`, `fold`, `enumerate`,
//! `product`, adapters), `for` loops over iterators and `iter_mut`, stored closures capturing
//! variables, `while` loops with a tolerance and `loop` with `break` / `continue` (a fixed-point
//! iteration and a Newton iteration), differentiable structs as parameters (`p: &Params`,
//! `s: &mut State`) and methods (`&self`, `&mut self`).
//!
//! These programs come from their own random stream (the first batch is unchanged) and mix the
//! new statements with every construct of the first batch. Values stay bounded as there:
//! a sum over an array is scaled by its largest length, a fold halves its accumulator, a
//! fixed-point map is a contraction of factor at most `0.6` (its fixed point is within `|r| +
//! 0.6` of zero), and Newton solves `y^3 + y = r` (so `|y| <= |r|`). The unbounded loops iterate
//! until the step is below `1e-13` (or an iteration cap), so the value is converged to rounding
//! and the finite differences see a smooth function; the derivative is the one along the path
//! taken, which has converged too.

use super::{fit, lit, ArrayKind, Gen, Param, Ret, Rng, VarKind, CAP, E, H_MIX, PARAM_BOUND};

/// How many programs of the second batch are generated.
pub const IDIOM_PROGRAMS: usize = 60;
/// Mixed into the seed for the second batch's stream.
pub const IDIOM_SALT: u64 = 0x6964_696f_6d73; // "idioms"

// Feature switches of the second batch.
/// `let t = a.iter()..map(|&v| ..).sum::<f64>()`, `.fold(..)`, `.product()`, `zip`,
/// `enumerate`, `copied`, and the adapters `rev`, `skip`, `take`, `step_by`.
const ITERATOR_VALUES: bool = true;
/// `(0..n).zip(a.iter()).map(|(k, &v)| ..).sum::<f64>()` and `(0..n).map(|k| { let v = a[k];
/// .. }).sum::<f64>()`: chains that start at a range of integers.
const RANGE_CHAINS: bool = true;
/// `.copied().max_by(|p, q| p.total_cmp(q)).unwrap()`, `min_by`, `partial_cmp(..).unwrap()`,
/// either way round, beside `.fold(f64::NEG_INFINITY, f64::max)`.
const MAX_BY: bool = true;
/// `for &v in a.iter()..`, `for (i, &v) in a.iter().enumerate()`, `for (&p, &q) in
/// a.iter().zip(b.iter())`, with random bodies.
const ITERATOR_LOOPS: bool = true;
/// `for v in w.iter_mut() { *v = .. }`.
const ITER_MUT_LOOPS: bool = true;
/// `let f = |u: f64| ..;` capturing variables, then called.
const STORED_CLOSURES: bool = true;
/// `while` with a tolerance, `loop` with `break` and `continue`.
const TOLERANCE_LOOPS: bool = true;
/// `p: &Params`, `s: &mut State` parameters.
const STRUCT_PARAMS: bool = true;
/// `&self` methods of `Params` and `&mut self` methods of `State`.
const METHODS: bool = true;
/// `w.fill(e)` (whole or a sub-slice), `*a.last().unwrap()` and `a.first().copied().unwrap()`,
/// sub-slices bound to locals and iterated (`let tl = &a[1..]; tl.iter()..sum()`, or `[..1]`), tuples
/// held in locals (`let p = (e1, e2);` then `p.0`, `p.1`).
const SLICE_IDIOMS: bool = true;
/// `a.iter().chain(b.iter())` in a mapped sum.
const CHAINED_ITERS: bool = true;
/// `let mut pv: Vec<f64> = Vec::new();` grown by `push` in a loop, then read by
/// `iter().sum()` and `last()`.
const PUSHED_VECS: bool = true;
/// Functions named where a closure is expected (issue 12, session 16): `.map(f64::tanh)` after
/// a mapped sum's closure, `.copied().map(f64::sin)`, and `.fold(init, h_mix)`.
const FUNCTION_PATHS: bool = true;
/// `while let Some(j) = next_index(k, n) { k = j; .. }` over the positions of an array, `j` an
/// index in the random body (issue 12, session 16).
const WHILE_LET: bool = true;
/// Every other method a trait's, in `#[differentiable] impl Trait for Params { .. }`.
pub const TRAIT_IMPLS: bool = true;

// Constructs that exposed a bug or a limitation of tapeless (see `README.md`): off until fixed.
/// A `mut a: f64` parameter beside a struct parameter or receiver (bug 9, fixed).
pub const MUT_PARAM_BESIDE_STRUCT: bool = true;
/// `continue` (and `break`) in the body of a `for` loop over an iterator (bug 10, fixed).
pub const CONTINUE_IN_ITERATOR_LOOPS: bool = true;
/// A call passing a struct's array field, `h_dot(&p.w, x)`, inside `vec![..]` or `[..]`
/// (bug 11, fixed).
pub const STRUCT_FIELD_CALLS_IN_ARRAY_LITERALS: bool = true;
/// An array that can be written (`y: &mut [f64]`, `s.x` of `s: &mut State`, `self.x` of
/// `&mut self`) passed to a call inside a closure, or inside a `for` loop over that array: the
/// macro took the call for a write (bug 1b of the first batch, in two new places; fixed).
pub const MUT_ARRAYS_PASSED_IN_CLOSURES: bool = true;
/// An integer field beside an integer variable, `x[(i + p.n) % n]`, `p.n < i` (limitation 12,
/// fixed): off, the field is read once into a local, `let k = p.n % 4;`.
pub const INT_FIELD_BESIDE_INTEGER: bool = true;

/// An integer field passed to a `usize` parameter, `h_step(p.c, p.n)` (bug 16, fixed: the
/// field is sent at its declared type, `__tl::Sent`, to the callee's `jvp_paired` /
/// `rev_paired`): off, the argument is `3`.
pub const INT_FIELD_AS_CALL_ARGUMENT: bool = true;

/// The structs of the second batch and the tests' constructors of them from flat reals
/// (`Params` has 4 reals, `State` 4).
pub const STRUCTS: &str = r#"/// Parameters of the programs of the second batch: reals, an array, an integer and a flag.
#[differentiable]
#[derive(Clone, Debug)]
struct Params {
    c: f64,
    w: [f64; 3],
    n: usize,
    on: bool,
}

/// A state the programs of the second batch update in place.
#[differentiable]
#[derive(Clone, Debug)]
struct State {
    x: [f64; 3],
    t: f64,
}

fn params_at<S: Real>(v: &[S]) -> Params<S> {
    Params { c: v[0], w: [v[1], v[2], v[3]], n: 2, on: true }
}

fn state_at<S: Real>(v: &[S]) -> State<S> {
    State { x: [v[0], v[1], v[2]], t: v[3] }
}
"#;

/// Which struct a parameter is.
#[derive(Clone, Copy, PartialEq)]
pub enum StructTy {
    /// `p: &Params` (read only).
    Params,
    /// `s: &mut State` (read and written, an output).
    State,
}

impl StructTy {
    pub fn name(self) -> &'static str {
        match self {
            StructTy::Params => "Params",
            StructTy::State => "State",
        }
    }

    /// The constructor of the tests' `Params<S>` / `State<S>` from flat reals.
    pub fn at(self) -> &'static str {
        match self {
            StructTy::Params => "params_at",
            StructTy::State => "state_at",
        }
    }
}

/// How many reals each struct holds.
pub const STRUCT_REALS: usize = 4;

/// A signature with a struct parameter (or a method), or `None` for the first batch's.
pub fn struct_signature(rng: &mut Rng, n_len: usize) -> Option<(Vec<Param>, Ret)> {
    if !(STRUCT_PARAMS || METHODS) || !rng.chance(0.5) {
        return None;
    }
    let x = || Param::Slice("x".into(), n_len);
    let template = rng.below(5);
    Some(match template {
        0 if METHODS => (
            vec![
                Param::Struct("self".into(), StructTy::Params),
                Param::Scalar("a".into()),
                x(),
            ],
            Ret::Scalar,
        ),
        1 if METHODS => (
            vec![
                Param::Struct("self".into(), StructTy::State),
                Param::Scalar("b".into()),
                x(),
            ],
            Ret::Unit,
        ),
        2 => (
            vec![
                Param::Struct("s".into(), StructTy::State),
                Param::Struct("p".into(), StructTy::Params),
                Param::Scalar("a".into()),
            ],
            Ret::Unit,
        ),
        3 => (
            vec![
                Param::Struct("p".into(), StructTy::Params),
                Param::Struct("s".into(), StructTy::State),
            ],
            Ret::Scalar,
        ),
        _ => (
            vec![Param::Struct("p".into(), StructTy::Params), x()],
            Ret::Scalar,
        ),
    })
}

/// How a slice of the flat input is passed for each array kind of an iterator's source.
fn iter_of(name: &str) -> String {
    format!("{name}.iter()")
}

impl Gen<'_> {
    /// The signature's text for a struct parameter, and its fields declared as variables.
    pub fn declare_struct(&mut self, name: &str, ty: StructTy) -> String {
        let method = name == "self";
        match ty {
            StructTy::Params => {
                self.declare(
                    &format!("{name}.c"),
                    VarKind::Scalar { mutable: false },
                    PARAM_BOUND,
                    PARAM_BOUND,
                );
                self.declare(
                    &format!("{name}.w"),
                    super::array("3", 3, false, ArrayKind::ArrayParam),
                    PARAM_BOUND,
                    PARAM_BOUND,
                );
                if INT_FIELD_BESIDE_INTEGER {
                    self.declare(
                        &format!("{name}.n"),
                        VarKind::Int {
                            below: None,
                            max: 3,
                        },
                        0.0,
                        0.0,
                    );
                } else {
                    let k = self.name("k");
                    self.line(format!("let {k} = {name}.n % 4;"));
                    self.declare(
                        &k,
                        VarKind::Int {
                            below: None,
                            max: 3,
                        },
                        0.0,
                        0.0,
                    );
                }
                self.declare(&format!("{name}.on"), VarKind::Bool, 0.0, 0.0);
                if method {
                    "&self".into()
                } else {
                    format!("{name}: &Params")
                }
            }
            StructTy::State => {
                self.declare(
                    &format!("{name}.x"),
                    super::array("3", 3, true, ArrayKind::Local),
                    PARAM_BOUND,
                    CAP,
                );
                self.declare(
                    &format!("{name}.t"),
                    VarKind::Scalar { mutable: true },
                    PARAM_BOUND,
                    CAP,
                );
                if method {
                    "&mut self".into()
                } else {
                    format!("{name}: &mut State")
                }
            }
        }
    }

    /// One statement of the second batch, or `false` to write one of the first batch's.
    pub fn idiom_stmt(&mut self) -> bool {
        let nest = self.nesting < 3 && self.fuel > 1;
        if nest && !self.rows.is_empty() && self.rng.chance(0.12) && self.rows_loop() {
            return true;
        }
        if self.rows.iter().any(|r| r.active) && self.rng.chance(0.15) && self.rows_result_stmt() {
            return true;
        }
        match self.rng.below(100) {
            0..=11 if ITERATOR_VALUES => self.iter_value(),
            12..=18 if nest && ITERATOR_LOOPS => self.iter_loop(),
            19..=22 if ITER_MUT_LOOPS => self.iter_mut_loop(),
            23..=27 if STORED_CLOSURES => self.stored_closure(),
            28..=35 if TOLERANCE_LOOPS => self.tolerance_loop(),
            36..=41 if SLICE_IDIOMS => self.slice_idiom(),
            42..=45 if PUSHED_VECS => self.pushed_vec(),
            46..=49 if nest && WHILE_LET => self.while_let_loop(),
            _ => return false,
        }
        true
    }

    /// Unless `STRUCT_FIELD_CALLS_IN_ARRAY_LITERALS`, keeps the array fields of structs out of
    /// the expressions written next; returns the length of `forbid` to restore.
    pub fn forbid_struct_fields(&mut self) -> usize {
        let keep = self.forbid.len();
        if !STRUCT_FIELD_CALLS_IN_ARRAY_LITERALS {
            for a in self.arrays() {
                if self.vars[a].name.contains('.') {
                    self.forbid.push(self.vars[a].name.clone());
                }
            }
        }
        keep
    }

    /// Unless `MUT_ARRAYS_PASSED_IN_CLOSURES`, keeps `&mut` arrays (of those in `among`, or
    /// all) out of the expressions written next; returns the length of `forbid` to restore.
    fn forbid_mut_arrays(&mut self, among: Option<&[usize]>) -> usize {
        let keep = self.forbid.len();
        if !MUT_ARRAYS_PASSED_IN_CLOSURES {
            for a in self.arrays() {
                let v = &self.vars[a];
                let by_mut = matches!(
                    v.kind,
                    VarKind::Array {
                        kind: ArrayKind::MutSliceParam,
                        ..
                    }
                ) || v.name == "s.x"
                    || v.name == "self.x";
                if by_mut && among.is_none_or(|l| l.contains(&a)) {
                    self.forbid.push(v.name.clone());
                }
            }
        }
        keep
    }

    /// Arrays an iterator may read: not borrowed mutably by the statement being written.
    fn iterable(&self) -> Vec<usize> {
        self.arrays()
            .into_iter()
            .filter(|&a| !self.forbid.contains(&self.vars[a].name))
            .collect()
    }

    /// Up to two adapters that keep at least one element of an array of two or more.
    fn adapters(&mut self) -> String {
        let mut out = String::new();
        if self.rng.chance(0.3) {
            out.push_str(".rev()");
        }
        match self.rng.below(6) {
            0 => out.push_str(".skip(1)"),
            1 => out.push_str(".take(2)"),
            2 => out.push_str(".step_by(2)"),
            _ => {}
        }
        out
    }

    /// A closure's body reading its parameter `v` (bounded by `bound`) and captured variables.
    pub fn closure_body(&mut self, v: &str, bound: f64) -> E {
        let read = E::new(v.to_string(), bound, true);
        let keep = self.forbid_mut_arrays(None);
        let e = fit(self.mix_with(read), CAP);
        self.forbid.truncate(keep);
        e
    }

    /// Declares a closure parameter (or loop item) `name` as a real within `bound` in a new
    /// scope; the caller closes it.
    fn open_item(&mut self, name: &str, bound: f64) {
        self.open();
        self.declare(name, VarKind::Scalar { mutable: false }, bound, bound);
    }

    /// A name from [`Gen::name`] (adversarial at times) for a binder the generator does not
    /// declare: not `other` (a binder beside it) nor any variable's name, so it shadows nothing
    /// the code inside its scope may read.
    pub fn unshadowing_name(&mut self, base: &str, other: &str) -> String {
        let name = self.name(base);
        // A row `o` of `for o in obs` is declared as its elements, `o[0]`, `o[1]`.
        let row = format!("{name}[");
        // A tuple `o` of `for o in sp` is declared as its fields, `o.0`, `o.1`; a field bound by
        // reference as `(*y)`.
        let field = format!("{name}.");
        let deref = format!("(*{name})");
        if name == other
            || self.vars.iter().any(|v| {
                v.name == name
                    || v.name.starts_with(&row)
                    || v.name.starts_with(&field)
                    || v.name == deref
            })
        {
            self.fresh += 1;
            format!("{base}{}", self.fresh)
        } else {
            name
        }
    }

    /// `let t = <iterator chain>;`
    fn iter_value(&mut self) {
        let arrays = self.iterable();
        if arrays.is_empty() {
            return self.let_scalar();
        }
        let a = *self.rng.pick(&arrays);
        let (len, len_max) = self.len_of(a);
        let (src, ab) = (self.vars[a].name.clone(), self.read_bound(a));
        let n = len_max as f64;
        let v = self.name("v");
        let adapt = self.adapters();
        let it = iter_of(&src);
        let (code, bound) = match self.rng.below(7) {
            0 | 1 => {
                // `a.iter().chain(b.iter())`: the items of both, bounded by the larger bound.
                let (it, ab, n) = if CHAINED_ITERS && self.rng.chance(0.3) {
                    let b = *self.rng.pick(&arrays);
                    let (bs, bb) = (self.vars[b].name.clone(), self.read_bound(b));
                    let (_, b_max) = self.len_of(b);
                    let it = format!("{it}.chain({})", iter_of(&bs));
                    (it, ab.max(bb), n + b_max as f64)
                } else {
                    (it.clone(), ab, n)
                };
                self.open_item(&v, ab);
                let body = self.closure_body(&v, ab);
                self.close();
                let (pat, copy) = if self.rng.chance(0.5) {
                    (format!("&{v}"), "")
                } else {
                    (v.clone(), ".copied()")
                };
                if FUNCTION_PATHS && self.rng.chance(0.3) {
                    // A function named after the closure: its values are within [-1, 1].
                    let f = *self.rng.pick(&["sin", "cos", "tanh"]);
                    let code = if self.rng.chance(0.5) {
                        format!(
                            "{it}{adapt}{copy}.map(|{pat}| {}).map(f64::{f}).sum::<f64>()",
                            body.code
                        )
                    } else {
                        format!("{it}{adapt}.copied().map(f64::{f}).sum::<f64>()")
                    };
                    (code, n)
                } else {
                    (
                        format!("{it}{adapt}{copy}.map(|{pat}| {}).sum::<f64>()", body.code),
                        n * body.bound,
                    )
                }
            }
            2 => {
                let b = *self.rng.pick(&arrays);
                let (bs, bb) = (self.vars[b].name.clone(), self.read_bound(b));
                let q = self.name("q");
                let q = if q == v { format!("{q}_2") } else { q };
                self.open_item(&v, ab);
                self.declare(&q, VarKind::Scalar { mutable: false }, bb, bb);
                let body = if self.rng.chance(0.4) {
                    E::new(format!("{v} * {q}"), ab * bb, true)
                } else {
                    let e = self.closure_body(&v, ab);
                    E::new(format!("{q} * {}", e.code), bb * e.bound, true)
                };
                self.close();
                (
                    format!(
                        "{it}{adapt}.zip({}).map(|(&{v}, &{q})| {}).sum::<f64>()",
                        iter_of(&bs),
                        body.code
                    ),
                    n * body.bound,
                )
            }
            3 => {
                let i = self.name("k");
                let i = if i == v { format!("{i}_2") } else { i };
                self.open_item(&v, ab);
                self.declare(
                    &i,
                    VarKind::Int {
                        below: Some(len.clone()),
                        max: len_max,
                    },
                    0.0,
                    0.0,
                );
                let body = self.closure_body(&v, ab);
                self.close();
                let w = lit(self.rng.range(0.1, 0.5));
                (
                    format!(
                        "{it}.enumerate(){adapt}.map(|({i}, &{v})| {} * {i} as f64 + {}).sum::<f64>()",
                        w.code, body.code
                    ),
                    n * (w.bound * n + body.bound),
                )
            }
            4 => {
                // The accumulator is a closure parameter the generator does not declare (the
                // body must not read it: its bound is what is being computed), so it must not
                // shadow a variable the body may read, such as an outer integer of the same
                // adversarial name used as an index (invalid Rust, seen at seed 9).
                let acc = self.unshadowing_name("acc", &v);
                let init = fit(self.real(1), CAP);
                if FUNCTION_PATHS && self.rng.chance(0.25) {
                    // `h_mix` named as the step: every step's value is within its bound.
                    (
                        format!("{it}{adapt}.copied().fold({}, h_mix)", init.code),
                        init.bound.max(H_MIX),
                    )
                } else {
                    self.open_item(&v, ab);
                    let body = self.closure_body(&v, ab);
                    self.close();
                    (
                        format!(
                            "{it}{adapt}.fold({}, |{acc}: f64, &{v}| 0.5 * {acc} + {})",
                            init.code, body.code
                        ),
                        init.bound + 2.0 * body.bound,
                    )
                }
            }
            5 => {
                self.open_item(&v, ab);
                let body = self.closure_body(&v, ab);
                self.close();
                (
                    format!(
                        "{it}{adapt}.map(|&{v}| 1.0 + 0.2 * ({}).tanh()).product::<f64>()",
                        body.code
                    ),
                    1.2_f64.powi(len_max as i32),
                )
            }
            6 if RANGE_CHAINS && self.rng.chance(0.5) => {
                // The positions of a range zipped with the array, `(0..n).zip(a.iter())`, or
                // mapped to its elements, `(0..n).map(|k| a[k])`.
                let i = self.name("k");
                let i = if i == v { format!("{i}_2") } else { i };
                self.open_item(&v, ab);
                self.declare(
                    &i,
                    VarKind::Int {
                        below: Some(len.clone()),
                        max: len_max,
                    },
                    0.0,
                    0.0,
                );
                let body = self.closure_body(&v, ab);
                self.close();
                let w = lit(self.rng.range(0.1, 0.5));
                let code = if self.rng.chance(0.5) {
                    format!(
                        "(0..{len}){adapt}.zip({it}).map(|({i}, &{v})| {} * {i} as f64 + {}).sum::<f64>()",
                        w.code, body.code
                    )
                } else {
                    format!(
                        "(0..{len}){adapt}.map(|{i}| {{ let {v} = {src}[{i}]; {} * {i} as f64 + {} }}).sum::<f64>()",
                        w.code, body.code
                    )
                };
                (code, n * (w.bound * n + body.bound))
            }
            _ if MAX_BY && self.rng.chance(0.5) => {
                let m = if self.rng.chance(0.5) { "max" } else { "min" };
                let p = self.unshadowing_name("p", &v);
                let q = self.unshadowing_name("q", &p);
                let (l, r) = if self.rng.chance(0.3) {
                    (&q, &p)
                } else {
                    (&p, &q)
                };
                let cmp = if self.rng.chance(0.5) {
                    format!("{l}.total_cmp({r})")
                } else {
                    format!("{l}.partial_cmp({r}).unwrap()")
                };
                (
                    format!("{it}{adapt}.copied().{m}_by(|{p}, {q}| {cmp}).unwrap()"),
                    ab,
                )
            }
            _ => {
                let m = if self.rng.chance(0.5) { "max" } else { "min" };
                let start = if m == "max" {
                    "NEG_INFINITY"
                } else {
                    "INFINITY"
                };
                (
                    format!("{it}{adapt}.copied().fold(f64::{start}, f64::{m})"),
                    ab,
                )
            }
        };
        let e = fit(E::new(format!("({code})"), bound, true), CAP);
        let mutable = self.rng.chance(0.4) && self.may_be_mutable(&e.code);
        let name = self.name("t");
        self.line(format!(
            "let {}{name} = {};",
            if mutable { "mut " } else { "" },
            e.code
        ));
        self.declare(&name, VarKind::Scalar { mutable }, e.bound, CAP);
    }

    /// A `for` loop over an iterator, with a random body that does not write the arrays it
    /// iterates over. It may `continue` but not `break` (the macro asks for a range there).
    fn iter_loop(&mut self) {
        let arrays = self.iterable();
        if arrays.is_empty() {
            return self.let_scalar();
        }
        let a = *self.rng.pick(&arrays);
        let (len, len_max) = self.len_of(a);
        let (src, ab) = (self.vars[a].name.clone(), self.read_bound(a));
        let v = self.name("v");
        let adapt = self.adapters();
        let mut frozen = vec![a];
        let header;
        let mut items: Vec<(String, f64)> = vec![(v.clone(), ab)];
        let mut index: Option<String> = None;
        match self.rng.below(3) {
            0 => header = format!("for &{v} in {}{adapt} {{", iter_of(&src)),
            1 => {
                let i = self.name("k");
                let i = if i == v { format!("{i}_2") } else { i };
                header = format!("for ({i}, &{v}) in {}.enumerate(){adapt} {{", iter_of(&src));
                index = Some(i);
            }
            _ => {
                let b = *self.rng.pick(&arrays);
                frozen.push(b);
                let q = self.name("q");
                let q = if q == v { format!("{q}_2") } else { q };
                header = format!(
                    "for (&{v}, &{q}) in {}{adapt}.zip({}) {{",
                    iter_of(&src),
                    iter_of(&self.vars[b].name)
                );
                items.push((q, self.read_bound(b)));
            }
        }
        self.line(header);
        self.open();
        // The iterated arrays are borrowed for the whole loop: no writes to them in the body.
        let saved: Vec<(usize, VarKind)> = frozen
            .iter()
            .map(|&f| (f, self.vars[f].kind.clone()))
            .collect();
        for &f in &frozen {
            if let VarKind::Array { writable, .. } = &mut self.vars[f].kind {
                *writable = false;
            }
        }
        self.loops.push(len_max);
        self.stoppable.push(false);
        for (name, bound) in items {
            self.declare(&name, VarKind::Scalar { mutable: false }, bound, bound);
        }
        if let Some(i) = index {
            self.declare(
                &i,
                VarKind::Int {
                    below: Some(len),
                    max: len_max,
                },
                0.0,
                0.0,
            );
        }
        let count = 1 + self.rng.below(3);
        self.iterator_loops += 1;
        let keep = self.forbid_mut_arrays(Some(&frozen));
        self.stmts(count);
        self.forbid.truncate(keep);
        self.iterator_loops -= 1;
        self.loops.pop();
        self.stoppable.pop();
        self.close();
        for (f, kind) in saved {
            self.vars[f].kind = kind;
        }
        self.line("}".into());
    }

    /// `for v in w.iter_mut() { *v = .. }`, the new value reading the old one.
    fn iter_mut_loop(&mut self) {
        let writable: Vec<usize> = self
            .writable_arrays()
            .into_iter()
            .filter(|&w| self.vars[w].cap - self.vars[w].inc >= 1.0)
            .collect();
        if writable.is_empty() {
            return self.let_array();
        }
        let w = *self.rng.pick(&writable);
        let (len, len_max) = self.len_of(w);
        let name = self.vars[w].name.clone();
        // Not an adversarial name: the item is read as `*v` only, so it must not shadow a real
        // the expression reads.
        self.fresh += 1;
        let v = format!("e{}", self.fresh);
        let limit = self.vars[w].cap - self.vars[w].inc;
        let enumerate = self.rng.chance(0.4);
        let i = if enumerate {
            let i = self.name("k");
            Some(if i == v { format!("{i}_2") } else { i })
        } else {
            None
        };
        match &i {
            Some(i) => self.line(format!(
                "for ({i}, {v}) in {name}.iter_mut().enumerate() {{"
            )),
            None => self.line(format!("for {v} in {name}.iter_mut() {{")),
        }
        self.open();
        self.loops.push(len_max);
        self.stoppable.push(false);
        if let Some(i) = &i {
            self.declare(
                i,
                VarKind::Int {
                    below: Some(len),
                    max: len_max,
                },
                0.0,
                0.0,
            );
        }
        self.forbid.push(name.clone());
        let read = E::new(format!("(*{v})"), self.read_bound(w), true);
        let e = fit(self.mix_with(read), limit);
        self.forbid.pop();
        self.line(format!("*{v} = {};", e.code));
        let var = &mut self.vars[w];
        var.plain = var.plain.max(e.bound);
        self.loops.pop();
        self.stoppable.pop();
        self.close();
        self.line("}".into());
    }

    /// A `Vec` created empty, grown by `push` in a loop of one to three trips, then read whole.
    fn pushed_vec(&mut self) {
        let e = fit(self.real(2), CAP);
        let trips = 1 + self.rng.below(3);
        self.fresh += 1;
        let (v, k) = (format!("pv{}", self.fresh), format!("kp{}", self.fresh));
        self.line(format!("let mut {v}: Vec<f64> = Vec::new();"));
        self.line(format!("for {k} in 0..{trips} {{"));
        self.line(format!("    {v}.push({} * ({k} as f64 + 1.0));", e.code));
        self.line("}".into());
        let c = lit(self.rng.range(-0.9, 0.9));
        let n = trips as f64;
        let t = fit(
            E::new(
                format!(
                    "{v}.iter().sum::<f64>() * {} + *{v}.last().unwrap()",
                    c.code
                ),
                e.bound * n * (n * c.bound + 1.0),
                true,
            ),
            CAP,
        );
        let name = self.name("t");
        self.line(format!("let {name}: f64 = {};", t.code));
        self.declare(&name, VarKind::Scalar { mutable: false }, t.bound, CAP);
    }

    /// One of the slice and tuple idioms of `SLICE_IDIOMS`, on arrays named by a plain name
    /// (not a struct's field).
    fn slice_idiom(&mut self) {
        let plain = |g: &Self, v: Vec<usize>| -> Vec<usize> {
            v.into_iter()
                .filter(|&a| !g.vars[a].name.contains('.'))
                .collect()
        };
        let readable = plain(self, self.iterable());
        // Sub-slices `[1..]` and `[..1]` are within every array (of one element or more).
        let range = match self.rng.below(3) {
            0 => "[1..]",
            1 => "[..1]",
            _ => "",
        };
        match self.rng.below(4) {
            0 => {
                let writable: Vec<usize> = plain(self, self.writable_arrays())
                    .into_iter()
                    .filter(|&w| self.vars[w].cap - self.vars[w].inc >= 1.0)
                    .collect();
                if writable.is_empty() {
                    return self.let_scalar();
                }
                let w = *self.rng.pick(&writable);
                let name = self.vars[w].name.clone();
                let limit = self.vars[w].cap - self.vars[w].inc;
                self.forbid.push(name.clone());
                let e = fit(self.real(2), limit);
                self.forbid.pop();
                self.line(format!("{name}{range}.fill({});", e.code));
                let var = &mut self.vars[w];
                var.plain = var.plain.max(e.bound);
            }
            1 if !readable.is_empty() => {
                let a = *self.rng.pick(&readable);
                let (src, ab) = (self.vars[a].name.clone(), self.read_bound(a));
                let c = lit(self.rng.range(-0.9, 0.9));
                let e = E::new(
                    format!(
                        "*{src}.last().unwrap() * {} + {src}{}.first().copied().unwrap()",
                        c.code,
                        // Not `[1..]`, which is empty in an array of one element.
                        if range == "[1..]" { "" } else { range }
                    ),
                    ab * (1.0 + c.bound),
                    true,
                );
                let name = self.name("t");
                self.line(format!("let {name} = {};", e.code));
                self.declare(&name, VarKind::Scalar { mutable: false }, e.bound, CAP);
            }
            2 if !readable.is_empty() => {
                let a = *self.rng.pick(&readable);
                let (src, ab) = (self.vars[a].name.clone(), self.read_bound(a));
                let (_, len_max) = self.len_of(a);
                self.fresh += 1;
                let tl = format!("tl{}", self.fresh);
                let range = if range.is_empty() { "[1..]" } else { range };
                self.line(format!("let {tl} = &{src}{range};"));
                let v = self.name("v");
                self.open_item(&v, ab);
                let body = self.closure_body(&v, ab);
                self.close();
                let e = fit(
                    E::new(
                        format!("{tl}.iter().map(|&{v}| {}).sum::<f64>()", body.code),
                        len_max as f64 * body.bound,
                        true,
                    ),
                    CAP,
                );
                let name = self.name("t");
                self.line(format!("let {name}: f64 = {};", e.code));
                self.declare(&name, VarKind::Scalar { mutable: false }, e.bound, CAP);
            }
            _ => {
                let (e1, e2) = (fit(self.real(2), CAP), fit(self.real(2), CAP));
                let c = lit(self.rng.range(-0.9, 0.9));
                self.fresh += 1;
                let p = format!("pr{}", self.fresh);
                self.line(format!("let {p} = ({}, {});", e1.code, e2.code));
                let e = fit(
                    E::new(
                        format!("{p}.0 + {} * {p}.1", c.code),
                        e1.bound + c.bound * e2.bound,
                        true,
                    ),
                    CAP,
                );
                let name = self.name("t");
                self.line(format!("let {name} = {};", e.code));
                self.declare(&name, VarKind::Scalar { mutable: false }, e.bound, CAP);
            }
        }
    }

    /// `let f = |u: f64| ..;` (sometimes `move`), then `let t = f(e1) + c * f(e2);`.
    fn stored_closure(&mut self) {
        let f = format!("f{}", {
            self.fresh += 1;
            self.fresh
        });
        // Not the name of a variable the body may read (an array `S` read `S[2]` inside
        // `|S: f64| ..` would be the parameter).
        let u = self.unshadowing_name("u", "");
        self.open_item(&u, CAP);
        let body = self.closure_body(&u, CAP);
        self.close();
        // A `move` closure copies what it reads: not when that is an array (a `Vec` would move)
        // or a field of a struct reached through a reference.
        // Arrays of arrays too: a `Vec<[f64; 3]>` would move.
        let arrays: Vec<String> = self
            .arrays()
            .into_iter()
            .map(|a| self.vars[a].name.clone())
            .chain(self.rows.iter().map(|r| r.name.clone()))
            .collect();
        let copies_only = !body.code.contains(['[', '&'])
            && !body
                .code
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| w == "self" || w == "s" || w == "p" || arrays.iter().any(|a| a == w));
        let mv = if copies_only && self.rng.chance(0.3) {
            "move "
        } else {
            ""
        };
        self.line(format!("let {f} = {mv}|{u}: f64| {};", body.code));
        let (e1, e2) = (fit(self.real(2), CAP), fit(self.real(2), CAP));
        let c = lit(self.rng.range(-0.9, 0.9));
        let e = fit(
            E::new(
                format!("{f}({}) + {} * {f}({})", e1.code, c.code, e2.code),
                body.bound * (1.0 + c.bound),
                true,
            ),
            CAP,
        );
        let name = self.name("t");
        self.line(format!("let {name} = {};", e.code));
        self.declare(&name, VarKind::Scalar { mutable: false }, e.bound, CAP);
    }

    /// A fixed-point or Newton iteration to a tolerance, as `while` or `loop`.
    /// `let mut kw = 0; while let Some(j) = next_index(kw, len) { kw = j; .. }`: the positions
    /// after the first of an array, `j` an index below its length in a random body.
    fn while_let_loop(&mut self) {
        let arrays = self.iterable();
        if arrays.is_empty() {
            return self.let_scalar();
        }
        let a = *self.rng.pick(&arrays);
        let (len, len_max) = self.len_of(a);
        let at = self.name("kw");
        let j = self.unshadowing_name("j", &at);
        self.line(format!("let mut {at} = 0;"));
        self.line(format!("while let Some({j}) = next_index({at}, {len}) {{"));
        self.open();
        // The position moves on first, so a `continue` in the body cannot stall the loop.
        self.line(format!("{at} = {j};"));
        self.loops.push(len_max);
        self.stoppable.push(false);
        self.declare(
            &j,
            VarKind::Int {
                below: Some(len),
                max: len_max,
            },
            0.0,
            0.0,
        );
        let count = 1 + self.rng.below(3);
        self.stmts(count);
        self.loops.pop();
        self.stoppable.pop();
        self.close();
        self.line("}".into());
    }

    fn tolerance_loop(&mut self) {
        let r = self.name("t");
        let re = fit(self.typed(2), CAP - 0.6);
        self.line(format!("let {r}: f64 = {};", re.code));
        self.declare(&r, VarKind::Scalar { mutable: false }, re.bound, CAP);
        let y = self.name("t");
        let y = if y == r { format!("{y}_2") } else { y };
        let it = format!("it{}", {
            self.fresh += 1;
            self.fresh
        });
        let step = format!("step{}", self.fresh);
        let c = lit(self.rng.range(0.2, 0.6));
        let g = *self.rng.pick(&["tanh", "sin"]);
        let map = format!("{r} + {} * {y}.{g}()", c.code);
        self.line(format!("let mut {y} = {r};"));
        self.line(format!("let mut {it} = 0;"));
        let bound = match self.rng.below(4) {
            0 => {
                self.line(format!("let mut {step}: f64 = 1.0;"));
                self.line(format!("while {step}.abs() > 1e-13 && {it} < 100 {{"));
                self.line(format!("    let next = {map};"));
                self.line(format!("    {step} = next - {y};"));
                self.line(format!("    {y} = next;"));
                self.line(format!("    {it} += 1;"));
                self.line("}".into());
                re.bound + c.bound
            }
            1 => {
                // A damped step every third iteration, skipping the convergence test.
                self.line("loop {".into());
                self.line(format!("    {it} += 1;"));
                self.line(format!("    if {it} % 3 == 0 {{"));
                self.line(format!("        {y} = 0.5 * ({y} + {map});"));
                self.line("        continue;".into());
                self.line("    }".into());
                self.line(format!("    let {step} = {map} - {y};"));
                self.line(format!("    {y} += {step};"));
                self.line(format!("    if {step}.abs() < 1e-13 || {it} >= 150 {{"));
                self.line("        break;".into());
                self.line("    }".into());
                self.line("}".into());
                re.bound + c.bound
            }
            2 => {
                // Newton on y^3 + y = r, stopping inside the body.
                self.line(format!("while {it} < 60 {{"));
                self.line(format!(
                    "    let {step} = ({y} * {y} * {y} + {y} - {r}) / (3.0 * {y} * {y} + 1.0);"
                ));
                self.line(format!("    {y} -= {step};"));
                self.line(format!("    {it} += 1;"));
                self.line(format!("    if {step}.abs() < 1e-13 {{"));
                self.line("        break;".into());
                self.line("    }".into());
                self.line("}".into());
                re.bound
            }
            _ => {
                // Newton with the residual as the condition.
                self.line(format!(
                    "while ({y} * {y} * {y} + {y} - {r}).abs() > 1e-14 * (1.0 + {r}.abs()) && {it} < 60 {{"
                ));
                self.line(format!(
                    "    {y} = {y} - ({y} * {y} * {y} + {y} - {r}) / (3.0 * {y} * {y} + 1.0);"
                ));
                self.line(format!("    {it} += 1;"));
                self.line("}".into());
                re.bound
            }
        };
        self.declare(&y, VarKind::Scalar { mutable: true }, bound, CAP);
    }
}
