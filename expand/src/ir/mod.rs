//! The IR: the subset of Rust that `#[differentiable]` accepts, after lowering.
//!
//! A function is a tree of structured statements (`let`, assignment, call, `for`, `if`) over
//! variables identified by [`VarId`]. Every variable has a [`Kind`] found by lowering from the
//! syntax (a real scalar, an array of reals, an integer, a bool), and every node keeps the span of
//! the user code it came from, so that a problem found by any pass points at the user's code.
//!
//! Shadowed bindings get distinct variables with distinct emitted names, so passes never reason
//! about Rust's scoping rules: a `VarId` is one binding.
//!
//! Grammar (printed by [`display`]):
//!
//! ```text
//! stmt  := let [mut] v = init | place = expr | call | for v in range { stmt* }
//!        | if expr { stmt* } else { stmt* } | while expr { stmt* }
//! init  := expr | vec![expr; expr] | [expr; len] | [expr, ..] | vec![expr, ..] | copy(v)
//! place := v | v[expr] | push v
//! call  := [let pat =] g(arg, ..)        arg := expr | &v | &mut v
//! expr  := lit | v | v[expr] | op(expr, ..) | v.len() | expr as ty | const_fn(expr, ..) | path
//! ```

// IR nodes are built once per function at compile time; boxing the larger variants would only
// add noise to every pass.
#![allow(clippy::large_enum_variant)]

pub mod display;
pub mod rev;
pub mod tan;
pub mod verify;

use proc_macro2::{Span, TokenStream};
use std::marker::PhantomData;

// The operations and their rules live in the rule table; they are part of the IR's grammar.
pub use crate::rules::{Binary, LinOp, SliceOrder, Ternary, Unary};

/// One binding of the user's function (a parameter, a `let`, a loop variable, or a temporary
/// introduced by lowering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VarId(pub usize);

/// A typed index into an [`IdVec`].
pub trait Id: Copy {
    /// The id of the `index`-th entry.
    fn from_index(index: usize) -> Self;
    /// The position of the entry this id names.
    fn index(self) -> usize;
}

impl Id for VarId {
    fn from_index(index: usize) -> Self {
        VarId(index)
    }

    fn index(self) -> usize {
        self.0
    }
}

/// A vector indexed by a typed id (`vars[v]` with a [`VarId`]), so that an index of one table
/// cannot be used by mistake in another, and ids are only made by [`IdVec::push`].
#[derive(Clone, Debug)]
pub struct IdVec<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    /// An empty vector.
    pub fn new() -> Self {
        IdVec {
            items: Vec::new(),
            id: PhantomData,
        }
    }

    /// `len` copies of `item`: a side table with one entry per id of another `IdVec`.
    pub fn from_elem(item: T, len: usize) -> Self
    where
        T: Clone,
    {
        IdVec {
            items: vec![item; len],
            id: PhantomData,
        }
    }

    /// Appends `item` and returns its id.
    pub fn push(&mut self, item: T) -> I {
        let id = I::from_index(self.items.len());
        self.items.push(item);
        id
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The entry of `id`, if there is one.
    pub fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.index())
    }

    /// The entries in order of their ids.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The entries with their ids, in order.
    pub fn iter_enumerated(&self) -> impl Iterator<Item = (I, &T)> + '_ {
        self.items
            .iter()
            .enumerate()
            .map(|(i, item)| (I::from_index(i), item))
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: Id, T> std::ops::Index<I> for IdVec<I, T> {
    type Output = T;

    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> std::ops::IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// What a value is, as far as differentiation cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A real scalar (`f64` in the user's code, `S` in the generated code).
    Real,
    /// An array of reals, stored as described.
    RealArray(ArrayRepr),
    /// An integer (any integer type): never differentiated.
    Int,
    /// A boolean: never differentiated.
    Bool,
    /// A value lowering cannot see into (an integer array, a constant of another type): copied
    /// as written, never differentiated.
    Opaque,
    /// An nalgebra matrix or vector of reals (`DVector<f64>`, `DMatrix<f64>`, `SVector<f64, N>`,
    /// `SMatrix<f64, R, C>`, by value or by reference): a value of its own, combined by the
    /// operators and methods of [`LinOp`]; shapes are rustc's business.
    Matrix,
}

impl Kind {
    /// Whether values of this kind can carry derivatives.
    pub fn is_real(&self) -> bool {
        matches!(self, Kind::Real | Kind::RealArray(_) | Kind::Matrix)
    }

    /// Whether values of this kind are arithmetic values with a derivative: reals and matrices
    /// (arrays are containers, read and written element by element).
    pub fn is_value(&self) -> bool {
        matches!(self, Kind::Real | Kind::Matrix)
    }

    /// Whether the shape of values of this kind is known without a value: reals, and
    /// fixed-size arrays `[f64; N]` with `N` written (their adjoints are `[0.0; N]`, shaped by
    /// no binding; an untyped call result's `[f64; _]` takes its length from the value).
    pub fn static_shape(&self) -> bool {
        match self {
            Kind::Real => true,
            Kind::RealArray(ArrayRepr::Array(n)) => n.is_known(),
            _ => false,
        }
    }
}

/// How an array of reals is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArrayRepr {
    /// `&[f64]` parameter.
    Slice,
    /// `&mut [f64]` parameter.
    SliceMut,
    /// `Vec<f64>`.
    Vec,
    /// `[f64; N]`, with the tokens of `N`.
    Array(ArrayLen),
}

/// The length `N` of a `[f64; N]` as the user wrote it; equal when the tokens are.
#[derive(Clone, Debug)]
pub struct ArrayLen(pub TokenStream);

impl PartialEq for ArrayLen {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for ArrayLen {}

impl ArrayLen {
    /// Whether `N` is written, not `_` (a call result whose type the macro cannot see).
    pub fn is_known(&self) -> bool {
        self.0.to_string() != "_"
    }
}

impl quote::ToTokens for ArrayLen {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens)
    }
}

impl core::fmt::Display for ArrayLen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Everything known about one binding.
#[derive(Clone, Debug)]
pub struct Var {
    /// The name in the generated code (the user's name, made unique if it was shadowed).
    pub name: String,
    /// The name as the user wrote it (`r#x` and `x` alike), for `wrt(..)` and messages; for a
    /// variable lowering introduces, what it holds (`result`, `arg`).
    pub user_name: String,
    /// What it holds.
    pub kind: Kind,
    /// Whether the user's code assigns to it after its definition.
    pub mutable: bool,
    /// Where it is bound.
    pub span: Span,
    /// The user's type for a parameter (or an inactive `let` with a written type).
    pub ty: Option<syn::Type>,
}

/// A parameter of the user's function.
#[derive(Clone, Debug)]
pub struct Param {
    /// The variable it binds.
    pub var: VarId,
    /// Whether the user wrote `mut` on the binding.
    pub mutable: bool,
    /// For an array of arrays of reals that carries derivatives (`x: &[[f64; 3]]`), the length
    /// `K` of its rows as written: the variable is its flat view (`x[k][j]` at `K * k + j`), and
    /// the companions take the nested shape and flatten it (see `lower::rows`).
    pub rows: Option<ArrayLen>,
}

/// A lowered function.
#[derive(Clone, Debug)]
pub struct Function {
    /// The user's name.
    pub name: syn::Ident,
    /// All variables, indexed by their ids.
    pub vars: IdVec<VarId, Var>,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The result: kinds of its components (empty for `()`), and whether it is a tuple.
    pub ret: Ret,
    /// The body.
    pub body: Block,
    /// Every identifier of the user's function (generated names that are not hygienic, such
    /// as the companions' type parameter, avoid them).
    pub idents: std::collections::HashSet<String>,
    /// The closure arguments of `.map(|v| ..)` on matrices.
    pub map_params: Vec<VarId>,
    /// The arrays of arrays of reals seen flat (parameters and locals, see `lower::rows`):
    /// passed to a call, they are viewed in their nested shape again (`__tl::as_rows`).
    pub rows_vars: std::collections::HashSet<VarId>,
    /// Rows of arrays of arrays of real data (`obs[k]` of `obs: &[[f64; K]]`, and locals bound
    /// to them, `let o = obs[k];`), opaque `[f64; K]`: passed to a differentiable call, such a
    /// row is a real argument the caller does not differentiate, lifted to the scalar with a
    /// zero tangent and adjoint, as an inactive fixed-size array is (`lower::call`).
    pub data_rows: std::collections::HashSet<VarId>,
    /// Sub-slices of a `&[f64]` parameter outside `wrt(..)` passed to a differentiable call
    /// (`misfit(&u, &obs[k * n..])`), bound as borrowed views of the `f64` data (opaque): passed
    /// on as `__tl::DataSlice` with zero slots made only if read (`__tl::LazyZeros`), so passing
    /// data on allocates nothing (`lower::subslice`).
    pub data_slices: std::collections::HashSet<VarId>,
    /// The function's const generic parameters (`const N: usize`), in order: every companion
    /// carries them after its scalar type parameter, and the body reads them as integers
    /// (`lower::signature`).
    pub const_params: Vec<syn::ConstParam>,
}

/// The shape of a function's result.
#[derive(Clone, Debug)]
pub struct Ret {
    /// One entry per component: a single value is one component with `tuple == false`.
    pub parts: Vec<Kind>,
    /// Whether the result is a tuple.
    pub tuple: bool,
    /// How the value is produced: the components, at the end of the body.
    pub values: Vec<Expr>,
    /// The user's type of each component (used for matrices, whose type the kind does not say).
    pub tys: Vec<Option<syn::Type>>,
}

/// A sequence of statements: one scope.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// The statements, in order.
    pub stmts: Vec<Stmt>,
}

/// A statement's identity: its position in the preorder walk of the function's body (the order
/// of [`Block::walk`], the first statement of the body being `StmtId(0)`). Ids follow from the
/// tree's shape, so every pass numbers the same statement alike, whatever it holds in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StmtId(pub usize);

impl StmtId {
    /// The id of the first statement of a function's body.
    pub const FIRST: StmtId = StmtId(0);

    /// The id of the first statement nested in statement `self`: of a loop's body, or of an
    /// `if`'s `then` block.
    pub fn inner(self) -> StmtId {
        StmtId(self.0 + 1)
    }

    /// The id of the first statement of the `else` block of the `if` statement `self`.
    pub fn els(self, then: &Block) -> StmtId {
        StmtId(self.0 + 1 + then.size())
    }
}

/// A statement.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let v = init;` (a new binding).
    Let { var: VarId, init: Init, span: Span },
    /// `place = value;` (compound assignments are lowered to this form).
    Assign {
        place: Place,
        value: Expr,
        span: Span,
    },
    /// A call of another differentiable function.
    Call(Call),
    /// `for var in range { body }`.
    For {
        var: VarId,
        range: Range,
        body: Block,
        span: Span,
    },
    /// `while cond { body }`: `while`, `loop` and `for` loops that `break`, lowered with flags
    /// (see `lower::loops`). The condition is not differentiated (the derivative is the one
    /// along the path taken); the forward sweep of the adjoint counts the iterations in `trips`
    /// (a variable of no primal statement) for the reverse sweep.
    While {
        cond: Expr,
        body: Block,
        trips: VarId,
        span: Span,
    },
    /// `if cond { then } else { els }`.
    If {
        cond: Expr,
        then: Block,
        els: Block,
        span: Span,
    },
    /// `assert!(..)`, `assert_eq!(..)`, `debug_assert_ne!(..)`...: kept, not differentiated.
    Assert(Assert),
}

/// An assertion of the user's, printed where it was written in every function that runs the
/// forward computation (the primal, the tangent, the forward sweep of the adjoint): it reads
/// integers, bools and reals as values (reals by their `f64` value) and writes nothing.
#[derive(Clone, Debug)]
pub struct Assert {
    /// The macro: `assert`, `assert_eq`, `assert_ne`, or their `debug_` forms.
    pub mac: syn::Ident,
    /// The condition (`assert!`), or the two values compared.
    pub operands: Vec<Expr>,
    /// The format string of the message, as written, and its arguments.
    pub message: Option<(syn::LitStr, Vec<Expr>)>,
    /// The condition as the user wrote it, for the message of an `assert!` without one (which
    /// std would print as `assertion failed: <condition>`).
    pub written: String,
    /// The whole macro call.
    pub span: Span,
}

impl Assert {
    /// Every variable the assertion reads.
    pub fn reads(&self, out: &mut Vec<VarId>) {
        self.operands.iter().for_each(|e| e.reads(out));
        if let Some((_, args)) = &self.message {
            args.iter().for_each(|e| e.reads(out));
        }
    }

    /// Every expression it evaluates.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let message = self.message.iter().flat_map(|(_, args)| args.iter());
        self.operands.iter().chain(message)
    }
}

/// How a `let` binding is initialised.
#[derive(Clone, Debug)]
pub enum Init {
    /// A scalar expression (real, integer or bool).
    Expr(Expr),
    /// `vec![value; len]`.
    VecFill { value: Expr, len: Expr },
    /// `[value; N]`.
    ArrayFill { value: Expr, len: TokenStream },
    /// `[a, b, ..]`.
    ArrayList(Vec<Expr>),
    /// `vec![a, b, ..]`.
    VecList(Vec<Expr>),
    /// `v.to_vec()`, `v.clone()`: an owned copy of a real array.
    CopyOf(VarId),
}

/// Something assigned to.
#[derive(Clone, Debug)]
pub enum Place {
    /// A whole scalar variable.
    Var(VarId),
    /// One element of a real array.
    Index(VarId, Expr),
    /// A new last element of a `Vec` grown by `push` (`v.push(value)`), with the index it gets,
    /// `v.len()` before the push: the reverse sweep takes the element off again (`v.pop()`) and
    /// then finds its adjoint at that index of `v_bar`, which has the final length.
    Push(VarId, Expr),
}

impl Place {
    /// The variable written.
    pub fn var(&self) -> VarId {
        match self {
            Place::Var(v) | Place::Index(v, _) | Place::Push(v, _) => *v,
        }
    }
}

/// A call of a differentiable function `callee(args)`, binding its result.
#[derive(Clone, Debug)]
pub struct Call {
    /// The path of the callee as the user wrote it.
    pub callee: syn::Path,
    /// The arguments.
    pub args: Vec<Arg>,
    /// Variables bound to the result (one, or one per tuple component); empty for `()`.
    pub results: Vec<VarId>,
    /// Whether the result is a tuple.
    pub tuple: bool,
    /// Each argument as the user wrote it (where an argument the callee refuses is reported).
    pub arg_spans: Vec<Span>,
    /// The whole call.
    pub span: Span,
}

/// An argument of a call.
#[derive(Clone, Debug)]
pub enum Arg {
    /// A scalar: a real variable, or an inactive expression (integers, bools, constants).
    Value(Expr),
    /// `&v`, or `v` for a slice parameter or a fixed-size array (`by_ref == false`): a real
    /// array read by the callee.
    Array { var: VarId, by_ref: bool },
    /// `&mut v`, or `v` for a `&mut` slice parameter (`by_ref == false`): a real array the
    /// callee may read and write.
    ArrayMut { var: VarId, by_ref: bool },
    /// `&v` (`by_ref`) or `v`: a matrix or vector, read by the callee (generated code passes a
    /// copy where the user's code moves the value, so the caller keeps it for its reverse sweep).
    Matrix { var: VarId, by_ref: bool },
}

/// The iteration of a `for` loop: `start..end` or `start..=end`, optionally `.rev()` then
/// `.step_by(step)` (in the order written).
#[derive(Clone, Debug)]
pub struct Range {
    /// First bound.
    pub start: Expr,
    /// Second bound.
    pub end: Expr,
    /// `..=` rather than `..`.
    pub inclusive: bool,
    /// Adaptors applied in order.
    pub adaptors: Vec<Adaptor>,
}

/// An iterator adaptor of a loop range.
#[derive(Clone, Debug)]
pub enum Adaptor {
    /// `.rev()`.
    Rev,
    /// `.step_by(k)`.
    StepBy(Expr),
}

/// An expression with its kind and span.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it computes.
    pub op: Op,
    /// Its kind.
    pub kind: Kind,
    /// The user's code it came from.
    pub span: Span,
}

/// The operations of expressions. Every transform matches on all of them.
#[derive(Clone, Debug)]
pub enum Op {
    /// A literal: a real literal keeps its value.
    Lit(Literal),
    /// A variable.
    Var(VarId),
    /// `v[index]` of an array.
    Index(VarId, Box<Expr>),
    /// `v.len()`.
    Len(VarId),
    /// A unary operation.
    Unary(Unary, Box<Expr>),
    /// A binary operation.
    Binary(Binary, Box<Expr>, Box<Expr>),
    /// A three-argument operation of reals (`a.mul_add(b, c)`).
    Ternary(Ternary, Box<Expr>, Box<Expr>, Box<Expr>),
    /// `x.powi(n)`, with `n` an integer expression.
    Powi(Box<Expr>, Box<Expr>),
    /// `expr as ty`.
    Cast(Box<Expr>, syn::Type),
    /// A call of a function the user declared constant: its result carries no derivative.
    ConstCall(syn::Path, Vec<Expr>),
    /// A path that is not a local variable (a `const`, `f64::consts::PI`): copied as written.
    Path(syn::Path),
    /// `&v` of a variable that is not a real array (an index list, say): copied as written.
    Ref(VarId),
    /// `matches!(v, pattern)`: how `match` arms are tested.
    Matches(VarId, Box<syn::Pat>),
    /// `PATH[index]` of a constant array (`WEIGHTS[i]`): copied as written.
    PathIndex(syn::Path, Box<Expr>),
    /// A method of an integer (`n.pow(2)`, `i.rem_euclid(n)`): copied as written.
    Method(Box<Expr>, syn::Ident, Vec<Expr>),
    /// A value of opaque kind used where a real is expected (a `const F: f64`, the result of a
    /// constant function): converted into the scalar type, carrying no derivative.
    AsReal(Box<Expr>),
    /// `value.k`, the field `k` of a tuple of data (`obs[j].1` of `obs: &[(usize, f64)]`
    /// outside `wrt(..)`): copied as written, never differentiated.
    Field(Box<Expr>, u32),
    /// An operation on nalgebra values (the operators `+ - * /` and negation of matrices are
    /// [`Op::Binary`] and [`Op::Unary`] with [`Kind::Matrix`] operands).
    Linalg(LinOp, Vec<Expr>),
}

/// A literal.
#[derive(Clone, Debug)]
pub enum Literal {
    /// A real literal, by value.
    Real(f64),
    /// Any other literal (integers, bools), as written.
    Other(syn::Lit),
}

impl Expr {
    /// Every variable this expression reads, in order of appearance (with repeats).
    pub fn reads(&self, out: &mut Vec<VarId>) {
        self.collect_reads(true, out)
    }

    /// The variables whose values this expression reads: [`Expr::reads`] without the arrays
    /// of which it takes only the length (`v.len()`), nor the matrices of which it takes only
    /// the shape (`m.nrows()`, `m.ncols()`), which no element write changes.
    pub fn value_reads(&self, out: &mut Vec<VarId>) {
        self.collect_reads(false, out)
    }

    fn collect_reads(&self, lengths: bool, out: &mut Vec<VarId>) {
        let all = |es: &[Expr], out: &mut Vec<VarId>| {
            es.iter().for_each(|e| e.collect_reads(lengths, out))
        };
        match &self.op {
            Op::Lit(_) | Op::Path(_) => {}
            Op::Len(v) => {
                if lengths {
                    out.push(*v)
                }
            }
            Op::Var(v) | Op::Ref(v) | Op::Matches(v, _) => out.push(*v),
            Op::AsReal(a)
            | Op::PathIndex(_, a)
            | Op::Unary(_, a)
            | Op::Cast(a, _)
            | Op::Field(a, _) => a.collect_reads(lengths, out),
            // A matrix's shape, which no element write changes: read as a length.
            Op::Method(a, name, _) if is_shape(a, name) => {
                if lengths {
                    a.collect_reads(lengths, out)
                }
            }
            Op::Method(a, _, args) => {
                a.collect_reads(lengths, out);
                all(args, out);
            }
            Op::Index(v, i) => {
                out.push(*v);
                i.collect_reads(lengths, out);
            }
            Op::Binary(_, a, b) | Op::Powi(a, b) => {
                a.collect_reads(lengths, out);
                b.collect_reads(lengths, out);
            }
            Op::Ternary(_, a, b, c) => {
                a.collect_reads(lengths, out);
                b.collect_reads(lengths, out);
                c.collect_reads(lengths, out);
            }
            // A map's body reads only its own argument.
            Op::ConstCall(_, args) | Op::Linalg(_, args) => all(args, out),
        }
    }
}

/// Whether `a.name()` is `m.nrows()` or `m.ncols()` of a matrix variable `m`: its shape.
fn is_shape(a: &Expr, name: &syn::Ident) -> bool {
    matches!(a.op, Op::Var(_)) && a.kind == Kind::Matrix && (name == "nrows" || name == "ncols")
}

impl Init {
    /// Every variable the initialiser reads.
    pub fn reads(&self, out: &mut Vec<VarId>) {
        match self {
            Init::Expr(e) | Init::ArrayFill { value: e, .. } => e.reads(out),
            Init::VecFill { value, len } => {
                value.reads(out);
                len.reads(out);
            }
            Init::ArrayList(es) | Init::VecList(es) => es.iter().for_each(|e| e.reads(out)),
            Init::CopyOf(v) => out.push(*v),
        }
    }
}

impl Range {
    /// Every variable the range reads.
    pub fn reads(&self, out: &mut Vec<VarId>) {
        self.start.reads(out);
        self.end.reads(out);
        for a in &self.adaptors {
            if let Adaptor::StepBy(e) = a {
                e.reads(out);
            }
        }
    }
}

impl Arg {
    /// Every variable the argument reads.
    pub fn reads(&self, out: &mut Vec<VarId>) {
        match self {
            Arg::Value(e) => e.reads(out),
            Arg::Array { var, .. } | Arg::ArrayMut { var, .. } | Arg::Matrix { var, .. } => {
                out.push(*var)
            }
        }
    }
}

impl Stmt {
    /// How many statements this one is, with those nested in it.
    pub fn size(&self) -> usize {
        match self {
            Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => 1,
            Stmt::For { body, .. } | Stmt::While { body, .. } => 1 + body.size(),
            Stmt::If { then, els, .. } => 1 + then.size() + els.size(),
        }
    }
}

impl Block {
    /// How many statements this block holds, with those nested in them.
    pub fn size(&self) -> usize {
        self.stmts.iter().map(Stmt::size).sum()
    }

    /// The statements of this block with their ids, `first` being the id of the first.
    pub fn numbered(&self, first: StmtId) -> impl Iterator<Item = (StmtId, &Stmt)> {
        self.stmts.iter().scan(first.0, |next, s| {
            let id = StmtId(*next);
            *next += s.size();
            Some((id, s))
        })
    }

    /// [`Block::walk`] with each statement's id, `first` being the id of the block's first.
    pub fn walk_numbered<'a>(&'a self, first: StmtId, f: &mut impl FnMut(StmtId, &'a Stmt)) {
        for (id, s) in self.numbered(first) {
            f(id, s);
            match s {
                Stmt::For { body, .. } | Stmt::While { body, .. } => {
                    body.walk_numbered(id.inner(), f)
                }
                Stmt::If { then, els, .. } => {
                    then.walk_numbered(id.inner(), f);
                    els.walk_numbered(id.els(then), f);
                }
                Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => {}
            }
        }
    }

    /// Calls `f` on every statement of this block and of the blocks nested in it, outer first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Stmt)) {
        for s in &self.stmts {
            f(s);
            match s {
                Stmt::For { body, .. } | Stmt::While { body, .. } => body.walk(f),
                Stmt::If { then, els, .. } => {
                    then.walk(f);
                    els.walk(f);
                }
                Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => {}
            }
        }
    }

    /// The `Vec`s grown by `push` anywhere in this block.
    pub fn pushed(&self) -> Vec<VarId> {
        let mut out = Vec::new();
        self.walk(&mut |s| {
            if let Stmt::Assign {
                place: Place::Push(v, _),
                ..
            } = s
            {
                out.push(*v);
            }
        });
        out
    }

    /// The variables written anywhere in this block (assigned, or passed as `&mut`), including
    /// the bindings it declares.
    pub fn writes(&self) -> Vec<VarId> {
        let mut out = Vec::new();
        self.walk(&mut |s| match s {
            Stmt::Let { var, .. } | Stmt::For { var, .. } => out.push(*var),
            Stmt::Assign { place, .. } => out.push(place.var()),
            Stmt::Call(c) => {
                out.extend(&c.results);
                for a in &c.args {
                    if let Arg::ArrayMut { var, .. } = a {
                        out.push(*var);
                    }
                }
            }
            Stmt::If { .. } | Stmt::While { .. } | Stmt::Assert(_) => {}
        });
        out
    }
}

#[cfg(test)]
mod tests;
