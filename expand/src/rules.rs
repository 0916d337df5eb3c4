//! The rule table: every elementary operation of the IR, once, as data.
//!
//! Each operation has one entry saying how its primal is written ([`Syntax`]), the kind of its
//! result ([`ResultKind`]), how its tangent and adjoint are built ([`UnaryDeriv`],
//! [`BinaryDeriv`]), and which primal values its adjoint reads ([`Reads`]). The passes derive
//! from these entries instead of repeating them: `ir::verify` checks result kinds and operand
//! shapes, `activity` propagates through operands, the adjoint's save analysis
//! (`partial_reads`) keeps exactly the values the entry says the adjoint reads, `emit` prints
//! the primal from the syntax, and the tangent and adjoint transforms build their code from the
//! derivative form. The derivatives themselves are ordinary generic Rust in
//! `tapeless_runtime::rules` (`rules::sin(x)` is the derivative of `sin` at `x`; a two-argument
//! function's rule returns both partial derivatives), so rustc picks the scalar type.
//!
//! # Adding an elementary function
//!
//! A new one-argument method of reals, `x.asinh()` say, is one line in [`Unary`]'s table:
//!
//! ```text
//! /// `x.asinh()`.
//! Asinh => elementary("asinh"),
//! ```
//!
//! plus its derivative `pub fn asinh<S: Real>(x: S) -> S` in the runtime's `rules` module (and
//! `Real::asinh`, for `f64` and the dual numbers, if the scalar trait lacks it). Lowering
//! recognises the method (`x.asinh()` and `f64::asinh(x)`) by its name through
//! [`Unary::from_method`], lists it among the supported methods in its error messages through
//! [`real_methods`], and every pass reads the entry: no other code changes. A
//! two-argument method (`x.powf(y)`) is one line `Powf => partials("powf")` in [`Binary`]'s
//! table plus a runtime rule returning `(d/dx, d/dy)`. A piecewise-constant method (`x.floor()`)
//! is `Floor => piecewise_constant("floor")`, with no runtime rule: its derivative is zero. Operations whose derivative is not of
//! these forms (the operations of nalgebra values, [`LinOp`]) have their entry in
//! [`LinOp::rule`] and their tangent and adjoint builders in the transforms, each an exhaustive
//! `match` that does not compile until the new operation has its derivative.

use crate::ir::{Expr, Kind, Op, VarId};

/// How an operation is written in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// A prefix operator (`-x`, `!b`).
    Prefix(&'static str),
    /// An infix operator (`x + y`).
    Infix(&'static str),
    /// A method (`x.sin()`, `x.powf(y)`).
    Method(&'static str),
}

impl Syntax {
    /// The operator or the method name.
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Prefix(s) | Syntax::Infix(s) | Syntax::Method(s) => s,
        }
    }

    /// Whether it is written as a method call.
    pub fn is_method(self) -> bool {
        matches!(self, Syntax::Method(_))
    }
}

/// The kind of an operation's result, given its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// The kind of its operand (negation of a real, an integer or a matrix).
    SameAsOperand,
    /// A bool or an integer (`!` of a bool, bitwise not of an integer): never differentiated.
    BoolOrInt,
    /// A bool (comparisons, `&&`, `||`): never differentiated.
    Bool,
    /// A real function of a real.
    Real,
    /// Arithmetic: a matrix when an operand is a matrix, else a real when an operand is real
    /// (integers otherwise).
    Arithmetic,
}

impl ResultKind {
    /// Whether an operation of this result kind may produce `result` from `operands`.
    pub fn accepts(self, result: &Kind, operands: &[&Kind]) -> bool {
        match self {
            ResultKind::SameAsOperand => operands.iter().all(|k| *k == result),
            ResultKind::BoolOrInt => matches!(result, Kind::Bool | Kind::Int),
            ResultKind::Bool => *result == Kind::Bool,
            ResultKind::Real => *result == Kind::Real && operands.iter().all(|k| **k == Kind::Real),
            ResultKind::Arithmetic => {
                if operands.iter().any(|k| **k == Kind::Matrix) {
                    *result == Kind::Matrix
                } else if operands.iter().any(|k| **k == Kind::Real) {
                    *result == Kind::Real
                } else {
                    true
                }
            }
        }
    }
}

/// The primal values an operation's adjoint reads: what the reverse sweep must keep (or
/// restore, or recompute) for it. Index operands ([`Operand::Index`]) are always read: the
/// adjoint addresses the element the primal read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// None: the adjoint is linear in the seed alone (`+`, `-`, negation, transpose, sum).
    Nothing,
    /// Every operand (`sin(x)` reads `x`; `x.powf(y)` reads both).
    Operands,
    /// For each active operand, the other one (products: `x * y` reads `y` for `x_bar`).
    OtherOperand,
}

/// The derivative of a one-argument operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryDeriv {
    /// Linear: the tangent is `-x_dot`, the adjoint adds `-seed`.
    Negate,
    /// The chain rule through the runtime rule of the method's name: the tangent is
    /// `rules::f(x) * x_dot`, the adjoint adds `seed * rules::f(x)`.
    Chain,
    /// Zero: a piecewise-constant function of reals (`x.floor()`), whose derivative is zero
    /// wherever it exists (and is taken as zero at its jumps, as JAX and PyTorch do). Its
    /// result is inactive, a symbolic zero: no tangent, no adjoint, no runtime rule.
    Zero,
    /// No derivative (not an operation of reals).
    None,
}

impl UnaryDeriv {
    /// Whether a derivative flows through it (a zero one does not).
    pub const fn exists(self) -> bool {
        !matches!(self, UnaryDeriv::Zero | UnaryDeriv::None)
    }
}

/// The derivative of a two-argument operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryDeriv {
    /// `x_dot + y_dot`; the seed flows to both operands.
    Add,
    /// `x_dot - y_dot`; the seed flows to `x` and negated to `y`.
    Sub,
    /// Bilinear: `x_dot * y + x * y_dot`.
    Product,
    /// `x / y`: `x_dot / y` when only `x` varies, else through the runtime rule `div`.
    Quotient,
    /// Through the runtime rule of the method's name, which returns both partial derivatives.
    Partials,
    /// No derivative (integer remainders, comparisons, logic).
    None,
}

impl BinaryDeriv {
    /// Whether there is one.
    pub const fn exists(self) -> bool {
        !matches!(self, BinaryDeriv::None)
    }
}

/// The entry of a one-argument operation.
#[derive(Clone, Copy, Debug)]
pub struct UnaryRule {
    /// How the primal is written.
    pub syntax: Syntax,
    /// The kind of the result.
    pub result: ResultKind,
    /// How the tangent and the adjoint are built.
    pub deriv: UnaryDeriv,
    /// What the adjoint reads.
    pub reads: Reads,
}

/// The entry of a two-argument operation.
#[derive(Clone, Copy, Debug)]
pub struct BinaryRule {
    /// How the primal is written.
    pub syntax: Syntax,
    /// The kind of the result.
    pub result: ResultKind,
    /// How the tangent and the adjoint are built.
    pub deriv: BinaryDeriv,
    /// What the adjoint reads.
    pub reads: Reads,
}

/// The derivative of a three-argument operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TernaryDeriv {
    /// `a.mul_add(b, c)`: the tangent is `b a_dot + a b_dot + c_dot`; the adjoint adds
    /// `b seed` to `a`, `a seed` to `b` and `seed` to `c` (the partials `(b, a, 1)` of the
    /// runtime rule `mul_add`, written out as the product rule's are).
    MulAdd,
}

impl TernaryDeriv {
    /// Whether there is one (every three-argument operation has one).
    pub const fn exists(self) -> bool {
        true
    }
}

/// The entry of a three-argument operation.
#[derive(Clone, Copy, Debug)]
pub struct TernaryRule {
    /// How the primal is written.
    pub syntax: Syntax,
    /// The kind of the result.
    pub result: ResultKind,
    /// How the tangent and the adjoint are built.
    pub deriv: TernaryDeriv,
    /// What the adjoint reads, of the first two operands (the third enters linearly).
    pub reads: Reads,
}

/// A differentiable method of reals, `x.name()`, whose derivative is `rules::name(x)`.
const fn elementary(name: &'static str) -> UnaryRule {
    UnaryRule {
        syntax: Syntax::Method(name),
        result: ResultKind::Real,
        deriv: UnaryDeriv::Chain,
        reads: Reads::Operands,
    }
}

/// A piecewise-constant method of reals, `x.floor()`: the value is the method's, the
/// derivative is zero, so its result is inactive and no runtime rule is called.
const fn piecewise_constant(name: &'static str) -> UnaryRule {
    UnaryRule {
        syntax: Syntax::Method(name),
        result: ResultKind::Real,
        deriv: UnaryDeriv::Zero,
        reads: Reads::Nothing,
    }
}

/// A differentiable method of two reals, `x.name(y)`, whose partials are `rules::name(x, y)`.
const fn partials(name: &'static str) -> BinaryRule {
    BinaryRule {
        syntax: Syntax::Method(name),
        result: ResultKind::Arithmetic,
        deriv: BinaryDeriv::Partials,
        reads: Reads::Operands,
    }
}

/// An operator of the primal only: comparisons and logic, whose result is a bool.
const fn predicate(op: &'static str) -> BinaryRule {
    BinaryRule {
        syntax: Syntax::Infix(op),
        result: ResultKind::Bool,
        deriv: BinaryDeriv::None,
        reads: Reads::Operands,
    }
}

/// An arithmetic operator with its derivative and reads.
const fn arithmetic(op: &'static str, deriv: BinaryDeriv, reads: Reads) -> BinaryRule {
    BinaryRule {
        syntax: Syntax::Infix(op),
        result: ResultKind::Arithmetic,
        deriv,
        reads,
    }
}

/// Declares an operation enum together with its table: one line per operation, so an
/// operation cannot exist without its entry.
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub enum $name:ident -> $rule:ty {
            $( $(#[$vmeta:meta])* $variant:ident => $entry:expr, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every operation, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The operation's entry in the table.
            pub const fn rule(self) -> $rule {
                match self {
                    $( $name::$variant => $entry, )*
                }
            }

            /// Whether a derivative flows through it (its result is active when an operand is).
            pub fn propagates(self) -> bool {
                self.rule().deriv.exists()
            }

            /// The operator (`-`) or the method name (`sin`).
            pub fn name(self) -> &'static str {
                self.rule().syntax.name()
            }

            /// The operation written as the method `name`.
            pub fn from_method(name: &str) -> Option<$name> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|op| matches!(op.rule().syntax, Syntax::Method(m) if m == name))
            }
        }
    };
}

table! {
    /// One-argument operations.
    pub enum Unary -> UnaryRule {
        /// `-x` of a real, an integer or a matrix.
        Neg => UnaryRule {
            syntax: Syntax::Prefix("-"),
            result: ResultKind::SameAsOperand,
            deriv: UnaryDeriv::Negate,
            reads: Reads::Nothing,
        },
        /// `!b`.
        Not => UnaryRule {
            syntax: Syntax::Prefix("!"),
            result: ResultKind::BoolOrInt,
            deriv: UnaryDeriv::None,
            reads: Reads::Nothing,
        },
        /// `x.sin()`.
        Sin => elementary("sin"),
        /// `x.cos()`.
        Cos => elementary("cos"),
        /// `x.tan()`.
        Tan => elementary("tan"),
        /// `x.exp()`.
        Exp => elementary("exp"),
        /// `x.ln()`.
        Ln => elementary("ln"),
        /// `x.log10()`.
        Log10 => elementary("log10"),
        /// `x.sqrt()`.
        Sqrt => elementary("sqrt"),
        /// `x.tanh()`.
        Tanh => elementary("tanh"),
        /// `x.sinh()`.
        Sinh => elementary("sinh"),
        /// `x.cosh()`.
        Cosh => elementary("cosh"),
        /// `x.atan()`.
        Atan => elementary("atan"),
        /// `x.abs()`.
        Abs => elementary("abs"),
        /// `x.cbrt()`.
        Cbrt => elementary("cbrt"),
        /// `x.asin()`.
        Asin => elementary("asin"),
        /// `x.acos()`.
        Acos => elementary("acos"),
        /// `x.asinh()`.
        Asinh => elementary("asinh"),
        /// `x.acosh()`.
        Acosh => elementary("acosh"),
        /// `x.atanh()`.
        Atanh => elementary("atanh"),
        /// `x.log2()`.
        Log2 => elementary("log2"),
        /// `x.exp2()`.
        Exp2 => elementary("exp2"),
        /// `x.exp_m1()`.
        ExpM1 => elementary("exp_m1"),
        /// `x.ln_1p()`.
        Ln1p => elementary("ln_1p"),
        /// `x.recip()`.
        Recip => elementary("recip"),
        /// `x.signum()`: piecewise constant.
        Signum => piecewise_constant("signum"),
        /// `x.floor()`: piecewise constant.
        Floor => piecewise_constant("floor"),
        /// `x.ceil()`: piecewise constant.
        Ceil => piecewise_constant("ceil"),
        /// `x.round()`: piecewise constant.
        Round => piecewise_constant("round"),
        /// `x.trunc()`: piecewise constant.
        Trunc => piecewise_constant("trunc"),
    }
}

table! {
    /// Two-argument operations.
    pub enum Binary -> BinaryRule {
        /// `x + y`.
        Add => arithmetic("+", BinaryDeriv::Add, Reads::Nothing),
        /// `x - y`.
        Sub => arithmetic("-", BinaryDeriv::Sub, Reads::Nothing),
        /// `x * y`.
        Mul => arithmetic("*", BinaryDeriv::Product, Reads::OtherOperand),
        /// `x / y`.
        Div => arithmetic("/", BinaryDeriv::Quotient, Reads::Operands),
        /// `i % n` of integers (lowering rejects it on reals).
        Rem => arithmetic("%", BinaryDeriv::None, Reads::Operands),
        /// `x.powf(y)`.
        Powf => partials("powf"),
        /// `y.atan2(x)`.
        Atan2 => partials("atan2"),
        /// `x.hypot(y)`.
        Hypot => partials("hypot"),
        /// `x.min(y)`.
        Min => partials("min"),
        /// `x.max(y)`.
        Max => partials("max"),
        /// `x.log(base)`.
        Log => partials("log"),
        /// `x < y`.
        Lt => predicate("<"),
        /// `x <= y`.
        Le => predicate("<="),
        /// `x > y`.
        Gt => predicate(">"),
        /// `x >= y`.
        Ge => predicate(">="),
        /// `x == y`.
        Eq => predicate("=="),
        /// `x != y`.
        Ne => predicate("!="),
        /// `a && b`.
        And => predicate("&&"),
        /// `a || b`.
        Or => predicate("||"),
    }
}

table! {
    /// Three-argument operations.
    pub enum Ternary -> TernaryRule {
        /// `a.mul_add(b, c)`, `a * b + c` rounded once.
        MulAdd => TernaryRule {
            syntax: Syntax::Method("mul_add"),
            result: ResultKind::Real,
            deriv: TernaryDeriv::MulAdd,
            reads: Reads::OtherOperand,
        },
    }
}

impl Binary {
    /// Whether it is written as a method call (`a.powf(b)`) rather than an operator.
    pub fn is_method(self) -> bool {
        self.rule().syntax.is_method()
    }
}

/// The differentiable methods of reals in the table, one-argument ones first, each in table
/// order: what lowering's messages list as supported, so a new entry appears there too.
pub fn real_methods() -> impl Iterator<Item = &'static str> {
    let unary = Unary::ALL.iter().map(|u| u.rule().syntax);
    let binary = Binary::ALL.iter().map(|b| b.rule().syntax);
    let ternary = Ternary::ALL.iter().map(|t| t.rule().syntax);
    unary
        .chain(binary)
        .chain(ternary)
        .filter_map(|syntax| match syntax {
            Syntax::Method(name) => Some(name),
            Syntax::Prefix(_) | Syntax::Infix(_) => None,
        })
}

/// What an operand of a matrix operation must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A matrix value (any expression).
    Matrix,
    /// A matrix variable (elements, rows and columns are taken of variables).
    MatrixVar,
    /// A variable holding a real array.
    ArrayVar,
    /// An integer index: never active.
    Index,
}

impl Operand {
    /// Whether `e` can be this operand.
    pub fn accepts(self, e: &Expr) -> bool {
        match self {
            Operand::Matrix => e.kind == Kind::Matrix,
            Operand::MatrixVar => matches!(e.op, Op::Var(_)) && e.kind == Kind::Matrix,
            Operand::ArrayVar => matches!(e.op, Op::Var(_)) && matches!(e.kind, Kind::RealArray(_)),
            Operand::Index => !e.kind.is_real(),
        }
    }
}

/// The kind of a matrix operation's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinResult {
    /// A matrix.
    Matrix,
    /// A real.
    Real,
}

impl LinResult {
    /// The IR kind.
    pub fn kind(self) -> Kind {
        match self {
            LinResult::Matrix => Kind::Matrix,
            LinResult::Real => Kind::Real,
        }
    }
}

/// The entry of a matrix operation. Its tangent and adjoint are builders in the transforms
/// (`tangent::matrix`, `tangent::linalg_real`, `Adjoint::matrix`, `Adjoint::linalg_real`).
#[derive(Clone, Copy, Debug)]
pub struct LinRule {
    /// The method name (`transpose`), or `index` for an element.
    pub name: &'static str,
    /// The operands, receiver first. The result is active when an operand that is not an
    /// index is.
    pub operands: &'static [Operand],
    /// The kind of the result.
    pub result: LinResult,
    /// What the adjoint reads.
    pub reads: Reads,
}

/// The methods of nalgebra values that `#[differentiable]` differentiates. Operands are the
/// `Vec<Expr>` of [`crate::ir::Op::Linalg`], receiver first.
#[derive(Clone, Debug)]
pub enum LinOp {
    /// `a.transpose()`.
    Transpose,
    /// `a.map(|v| body)`: `body` is a real expression of the closure argument `param` and of
    /// constants only, so its derivative is the tangent of `body` along `param`.
    Map {
        /// The closure's argument.
        param: VarId,
        /// The closure's body.
        body: Box<Expr>,
    },
    /// `a.component_mul(b)` (element-wise product).
    ComponentMul,
    /// `a.dot(b)`: a real.
    Dot,
    /// `a.sum()`: a real.
    Sum,
    /// `a.norm()` (Euclidean, Frobenius for matrices): a real.
    Norm,
    /// `a.norm_squared()`: a real.
    NormSquared,
    /// `m[(i, j)]` of a variable `m`: operands `[m, i, j]`, a real.
    Element,
    /// `m.column(j)` of a variable `m`, as an owned vector: operands `[m, j]`.
    Column,
    /// `m.row(i)` of a variable `m`, as an owned row vector: operands `[m, i]`.
    Row,
    /// `DVector::from_column_slice(&u)` (or `from_row_slice`) of a real array variable `u`, the
    /// type path as written: operand `[u]`, a matrix.
    FromSlice(syn::Path),
}

/// Declares a data-free enum with [`ALL`](LinOpKind::ALL), its variants in order, so the list
/// cannot miss one.
macro_rules! listed {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every operation, in table order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }
    };
}

listed! {
    /// The operations of [`LinOp`] without their data, one per variant (the table is theirs: an
    /// operation's rule and syntax do not depend on its data), with [`LinOpKind::ALL`] so that
    /// messages listing the matrix operations are derived from the table.
    pub enum LinOpKind {
        /// [`LinOp::Transpose`].
        Transpose,
        /// [`LinOp::Map`].
        Map,
        /// [`LinOp::ComponentMul`].
        ComponentMul,
        /// [`LinOp::Dot`].
        Dot,
        /// [`LinOp::Sum`].
        Sum,
        /// [`LinOp::Norm`].
        Norm,
        /// [`LinOp::NormSquared`].
        NormSquared,
        /// [`LinOp::Element`].
        Element,
        /// [`LinOp::Column`].
        Column,
        /// [`LinOp::Row`].
        Row,
        /// [`LinOp::FromSlice`].
        FromSlice,
    }
}

/// How the user writes a matrix operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinSyntax {
    /// A method of a matrix, as messages show it: `.dot(..)`.
    Method(&'static str),
    /// An element, `v[i]` or `m[(i, j)]`.
    Element,
    /// A matrix made from a real array, `DVector::from_column_slice(&u)`.
    FromSlice,
}

impl LinSyntax {
    /// The method's name (`dot` for `.dot(..)`), for a method.
    pub fn method_name(self) -> Option<&'static str> {
        match self {
            LinSyntax::Method(written) => written.trim_start_matches('.').split('(').next(),
            LinSyntax::Element | LinSyntax::FromSlice => None,
        }
    }
}

impl LinOp {
    /// The operation without its data.
    pub fn kind(&self) -> LinOpKind {
        match self {
            LinOp::Transpose => LinOpKind::Transpose,
            LinOp::Map { .. } => LinOpKind::Map,
            LinOp::ComponentMul => LinOpKind::ComponentMul,
            LinOp::Dot => LinOpKind::Dot,
            LinOp::Sum => LinOpKind::Sum,
            LinOp::Norm => LinOpKind::Norm,
            LinOp::NormSquared => LinOpKind::NormSquared,
            LinOp::Element => LinOpKind::Element,
            LinOp::Column => LinOpKind::Column,
            LinOp::Row => LinOpKind::Row,
            LinOp::FromSlice(_) => LinOpKind::FromSlice,
        }
    }

    /// The operation's entry in the table.
    pub fn rule(&self) -> LinRule {
        self.kind().rule()
    }

    /// The method name (`transpose`), or `index` for an element.
    pub fn name(&self) -> &'static str {
        self.rule().name
    }
}

impl LinOpKind {
    /// The operation's entry in the table.
    pub fn rule(self) -> LinRule {
        use Operand::*;
        let rule = |name, operands, result, reads| LinRule {
            name,
            operands,
            result,
            reads,
        };
        match self {
            LinOpKind::Transpose => rule("transpose", &[Matrix], LinResult::Matrix, Reads::Nothing),
            LinOpKind::Map => rule("map", &[Matrix], LinResult::Matrix, Reads::Operands),
            LinOpKind::ComponentMul => rule(
                "component_mul",
                &[Matrix, Matrix],
                LinResult::Matrix,
                Reads::OtherOperand,
            ),
            LinOpKind::Dot => rule(
                "dot",
                &[Matrix, Matrix],
                LinResult::Real,
                Reads::OtherOperand,
            ),
            LinOpKind::Sum => rule("sum", &[Matrix], LinResult::Real, Reads::Nothing),
            LinOpKind::Norm => rule("norm", &[Matrix], LinResult::Real, Reads::Operands),
            LinOpKind::NormSquared => {
                rule("norm_squared", &[Matrix], LinResult::Real, Reads::Operands)
            }
            LinOpKind::Element => rule(
                "index",
                &[MatrixVar, Index, Index],
                LinResult::Real,
                Reads::Nothing,
            ),
            LinOpKind::Column => rule(
                "column",
                &[MatrixVar, Index],
                LinResult::Matrix,
                Reads::Nothing,
            ),
            LinOpKind::Row => rule(
                "row",
                &[MatrixVar, Index],
                LinResult::Matrix,
                Reads::Nothing,
            ),
            LinOpKind::FromSlice => rule(
                "from_column_slice",
                &[ArrayVar],
                LinResult::Matrix,
                Reads::Nothing,
            ),
        }
    }

    /// How the user writes it, as messages show it.
    pub fn syntax(self) -> LinSyntax {
        match self {
            LinOpKind::Transpose => LinSyntax::Method(".transpose()"),
            LinOpKind::Map => LinSyntax::Method(".map(|v| ..)"),
            LinOpKind::ComponentMul => LinSyntax::Method(".component_mul(..)"),
            LinOpKind::Dot => LinSyntax::Method(".dot(..)"),
            LinOpKind::Sum => LinSyntax::Method(".sum()"),
            LinOpKind::Norm => LinSyntax::Method(".norm()"),
            LinOpKind::NormSquared => LinSyntax::Method(".norm_squared()"),
            LinOpKind::Element => LinSyntax::Element,
            LinOpKind::Column => LinSyntax::Method(".column(j)"),
            LinOpKind::Row => LinSyntax::Method(".row(i)"),
            LinOpKind::FromSlice => LinSyntax::FromSlice,
        }
    }
}

/// The matrix methods in the table, as messages show them (`.transpose()`, `.map(|v| ..)`,
/// ...), in table order: a new method appears in the messages.
pub fn matrix_methods() -> impl Iterator<Item = &'static str> {
    LinOpKind::ALL.iter().filter_map(|k| match k.syntax() {
        LinSyntax::Method(written) => Some(written),
        LinSyntax::Element | LinSyntax::FromSlice => None,
    })
}

/// The names of the matrix methods in the table (`transpose`, `map`, ...).
pub fn matrix_method_names() -> impl Iterator<Item = &'static str> {
    LinOpKind::ALL
        .iter()
        .filter_map(|k| k.syntax().method_name())
}

/// The matrix methods that give a real (`.dot(..)`, `.sum()`, ...), as messages show them.
pub fn matrix_reductions() -> impl Iterator<Item = &'static str> {
    LinOpKind::ALL
        .iter()
        .filter(|k| k.rule().result == LinResult::Real)
        .filter_map(|k| match k.syntax() {
            LinSyntax::Method(written) => Some(written),
            LinSyntax::Element | LinSyntax::FromSlice => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_found_by_name_and_operators_are_not() {
        assert_eq!(Unary::from_method("sin"), Some(Unary::Sin));
        assert_eq!(Unary::from_method("abs"), Some(Unary::Abs));
        assert_eq!(Unary::from_method("-"), None);
        assert_eq!(Unary::from_method("powf"), None);
        assert_eq!(Binary::from_method("atan2"), Some(Binary::Atan2));
        assert_eq!(Binary::from_method("+"), None);
        assert_eq!(Binary::from_method("sin"), None);
    }

    #[test]
    fn every_derivative_through_the_runtime_is_a_method_of_reals() {
        for u in Unary::ALL {
            if u.rule().deriv == UnaryDeriv::Chain {
                assert!(u.rule().syntax.is_method(), "{u:?}");
                assert_eq!(u.rule().result, ResultKind::Real, "{u:?}");
                assert_eq!(u.rule().reads, Reads::Operands, "{u:?}");
            }
        }
        for b in Binary::ALL {
            if b.rule().deriv == BinaryDeriv::Partials {
                assert!(b.is_method(), "{b:?}");
                assert_eq!(b.rule().reads, Reads::Operands, "{b:?}");
            }
        }
    }

    #[test]
    fn the_supported_methods_are_the_tables_methods_in_order() {
        let methods: Vec<_> = real_methods().collect();
        assert_eq!(methods.first(), Some(&"sin"));
        assert!(methods.contains(&"abs") && methods.contains(&"atan2"));
        assert!(!methods.iter().any(|m| ["-", "+", "<", "&&"].contains(m)));
        let unary = Unary::ALL
            .iter()
            .filter(|u| u.rule().syntax.is_method())
            .count();
        let binary = Binary::ALL.iter().filter(|b| b.is_method()).count();
        assert_eq!(methods.len(), unary + binary + Ternary::ALL.len());
        assert_eq!(methods[unary], Binary::Powf.name());
        assert_eq!(methods.last(), Some(&Ternary::MulAdd.name()));
    }

    #[test]
    fn operations_without_a_derivative_are_not_methods() {
        // Lowering would otherwise accept `x.name()` of reals with no rule to differentiate it.
        for b in Binary::ALL {
            if b.is_method() {
                assert_ne!(b.rule().deriv, BinaryDeriv::None, "{b:?}");
            }
        }
        for u in Unary::ALL {
            if u.rule().syntax.is_method() {
                assert_ne!(u.rule().deriv, UnaryDeriv::None, "{u:?}");
            }
        }
    }

    #[test]
    fn piecewise_constant_methods_pass_no_derivative_and_read_nothing() {
        for name in ["signum", "floor", "ceil", "round", "trunc"] {
            let u = Unary::from_method(name).expect(name);
            assert_eq!(u.rule().deriv, UnaryDeriv::Zero, "{name}");
            assert!(!u.propagates(), "{name}");
            assert_eq!(u.rule().reads, Reads::Nothing, "{name}");
            assert_eq!(u.rule().result, ResultKind::Real, "{name}");
        }
        assert_eq!(Binary::from_method("log"), Some(Binary::Log));
    }
}
