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
    /// The save analysis finds the reads in the reverse IR; this is the tests' oracle for them.
    #[cfg_attr(not(test), allow(dead_code))]
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
    /// The save analysis finds the reads in the reverse IR; this is the tests' oracle for them.
    #[cfg_attr(not(test), allow(dead_code))]
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
    /// The save analysis finds the reads in the reverse IR; this is the tests' oracle for them.
    #[cfg_attr(not(test), allow(dead_code))]
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

mod linear;
pub use linear::*;
