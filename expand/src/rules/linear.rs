//! The matrix and vector operations of the rule table (nalgebra): operands, result shapes,
//! syntax and the reads of their adjoints.

use super::*;

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
    /// The save analysis finds the reads in the reverse IR; this is the tests' oracle for them.
    #[cfg_attr(not(test), allow(dead_code))]
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
    /// `DVector::from_column_slice(&u)` (or `from_row_slice`, or `Vector3::new(a, b, c)` and
    /// `Matrix2::new(..)` through an array temporary) of a real array variable `u`, the type path
    /// as written and the order in which the array lists the elements: operand `[u]`, a matrix.
    FromSlice(syn::Path, SliceOrder),
}

/// The order in which an array lists the elements of a matrix made from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceOrder {
    /// Column by column, nalgebra's storage order (`from_column_slice`, a vector's `new`).
    Columns,
    /// Row by row (`from_row_slice`, a matrix's `new(m11, m12, ..)`).
    Rows,
}

impl SliceOrder {
    /// nalgebra's constructor from a slice in this order.
    pub fn constructor(self) -> &'static str {
        match self {
            SliceOrder::Columns => "from_column_slice",
            SliceOrder::Rows => "from_row_slice",
        }
    }
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
            LinOp::FromSlice(..) => LinOpKind::FromSlice,
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
