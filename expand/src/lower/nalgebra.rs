//! nalgebra values: the matrix and vector types known by name, their operators, methods
//! ([`LinOp`]), elements, rows and columns, `from_column_slice` and `.map(|v| ..)`.

use super::*;

impl Lowerer<'_> {
    /// A matrix operand whose value the adjoint reads (a product's factor, a map's argument, a
    /// norm's vector): bound to a temporary unless it is a variable, so that neither the tangent
    /// nor the reverse sweep computes it again.
    pub(super) fn matrix_operand(&mut self, x: Expr, block: &mut Block) -> Expr {
        if x.kind != Kind::Matrix || matches!(x.op, Op::Var(_)) {
            return x;
        }
        let span = x.span;
        let t = self.temp("m", Kind::Matrix, span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::Expr(x),
            span,
        });
        var_expr(t, Kind::Matrix, span)
    }

    /// `e` where a matrix or vector is expected (assigned to a matrix variable, returned as
    /// the function's matrix result): a differentiable call there gives one, hoisted into a
    /// temporary (`s = rk4(&s, p, dt);`); other expressions as [`Lowerer::expr`] lowers them.
    pub(super) fn matrix_expr(&mut self, e: &syn::Expr, block: &mut Block) -> syn::Result<Expr> {
        let syn::Expr::Call(call) = strip_paren(e) else {
            return self.expr(e, block);
        };
        if !self.is_differentiable_call(call) {
            return self.expr(e, block);
        }
        let span = call.span();
        let args = self.call_args(call, block)?;
        let callee = self.callee_path(call)?;
        let name = callee
            .segments
            .last()
            .map(|s| name_of(&s.ident))
            .unwrap_or_default();
        let t = self.temp(&name, Kind::Matrix, span);
        self.push_call(call, (callee, args), t, block);
        Ok(var_expr(t, Kind::Matrix, span))
    }

    /// An error when `e` is the result of a call bound without a type (taken to be `f64`) but used
    /// as a matrix.
    pub(super) fn untyped_matrix_result(&self, e: &Expr) -> syn::Result<()> {
        match e.op {
            Op::Var(v) if self.untyped_results.contains(&v) => err(
                e.span,
                format!(
                    "`{0}` holds the result of a call, taken to be `f64`; if it is a matrix or vector, write its type: `let {0}: DVector<f64> = ...`",
                    self.shown(v)
                ),
            ),
            _ => Ok(()),
        }
    }

    /// `x op y` where one side is a matrix: sums and differences of matrices, products of
    /// matrices (rustc checks the shapes) and of a matrix and a real, division by a real.
    pub(super) fn matrix_binary(
        &mut self,
        op: Binary,
        x: Expr,
        y: Expr,
        span: Span,
        op_span: Span,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let (xm, ym) = (x.kind == Kind::Matrix, y.kind == Kind::Matrix);
        for side in [&x, &y] {
            self.untyped_matrix_result(side)?;
        }
        let (x, y) = match op {
            Binary::Add | Binary::Sub => {
                for side in [&x, &y] {
                    if side.kind != Kind::Matrix {
                        return err(side.span, format!("`{}` takes two matrices or vectors of the same shape; to shift every element by a real, add a vector of that value", op.name()));
                    }
                }
                (x, y)
            }
            Binary::Mul if xm && ym => (
                self.matrix_operand(x, block),
                self.matrix_operand(y, block),
            ),
            Binary::Mul if xm => (self.matrix_operand(x, block), self.coerce_real(y)?),
            Binary::Mul => (self.coerce_real(x)?, self.matrix_operand(y, block)),
            Binary::Div if xm && !ym => (self.matrix_operand(x, block), self.coerce_real(y)?),
            Binary::Div => {
                return err(op_span, "a matrix or vector can be divided by a real only; for element-wise operations use `.component_mul(..)` or `.map(|v| ..)`")
            }
            _ => {
                let methods: Vec<&str> = crate::rules::matrix_methods().collect();
                return err(op_span, format!("`{}` does not apply to matrices and vectors here; the supported operations are `+ - *`, `/` by a real, `{}` and elements `v[i]`, `m[(i, j)]`", op.name(), methods.join(" ")))
            }
        };
        Ok(Expr {
            op: Op::Binary(op, Box::new(x), Box::new(y)),
            kind: Kind::Matrix,
            span,
        })
    }

    /// `T::new(a, b, ..)` of a fixed-size vector or matrix: its elements, in `order`, bound to an
    /// array temporary from which the value is made as by `T::from_column_slice` (or
    /// `from_row_slice`), so its tangent and adjoint are those of the array's elements.
    pub(super) fn matrix_new(
        &mut self,
        (ty, order): (syn::Path, SliceOrder),
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = call.span();
        let mut es = Vec::new();
        for a in &call.args {
            es.push(self.real_expr(a, block)?);
        }
        let n = es.len();
        let kind = Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(#n))));
        let t = self.temp("elems", kind.clone(), span);
        block.stmts.push(Stmt::Let {
            var: t,
            init: Init::ArrayList(es),
            span,
        });
        Ok(Expr {
            op: Op::Linalg(LinOp::FromSlice(ty, order), vec![var_expr(t, kind, span)]),
            kind: Kind::Matrix,
            span,
        })
    }

    /// `T::from_column_slice(u)` of a real array `u` (`&u`, or a slice `u`) or of a sub-slice
    /// (`&u[a..b]`), or `DMatrix::from_column_slice(rows, cols, &u)` with its shape
    /// (`from_row_slice` alike).
    pub(super) fn matrix_from_slice(
        &mut self,
        (ty, order): (syn::Path, SliceOrder),
        call: &syn::ExprCall,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        const WRITE: &str = "build a matrix or vector from a real array variable or a sub-slice of one: `DVector::from_column_slice(&u)` (or `u` for a slice parameter), `DVector::from_column_slice(&u[a..b])`, `DMatrix::from_column_slice(rows, cols, &u)`";
        let Some(last) = call.args.last() else {
            return err_at(call, WRITE);
        };
        let mut dims = Vec::new();
        match call.args.len() {
            1 => {}
            3 => {
                for d in call.args.iter().take(2) {
                    dims.push(self.index_expr(d, block)?);
                }
            }
            _ => return err_at(call, WRITE),
        }
        let a = match strip_paren(last) {
            syn::Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
            a => a,
        };
        // A sub-slice `&u[a..b]` (or a name bound to one): its elements copied into a `Vec`
        // first, whose tangent and adjoint are those of the elements of `u`.
        let v = match self.sub_run(a, false, block)? {
            Some(run) => self.run_copy(run, a.span(), block),
            None => match self.path_var(a) {
                Some(v) if matches!(self.kind(v), Kind::RealArray(_)) => v,
                _ => return err_at(last, WRITE),
            },
        };
        let kind = self.kind(v).clone();
        let mut args = vec![var_expr(v, kind, a.span())];
        args.extend(dims);
        Ok(Expr {
            op: Op::Linalg(LinOp::FromSlice(ty, order), args),
            kind: Kind::Matrix,
            span: call.span(),
        })
    }

    /// `m[i]` (an element of a vector, or of a matrix in column-major order) or `m[(i, j)]`.
    pub(super) fn matrix_element(
        &mut self,
        v: VarId,
        ix: &syn::ExprIndex,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = ix.span();
        if let syn::Expr::Tuple(t) = strip_paren(&ix.index) {
            if t.elems.len() != 2 {
                return err_at(t, "index a matrix with a row and a column, `m[(i, j)]`");
            }
            let i = self.index_expr(&t.elems[0], block)?;
            let j = self.index_expr(&t.elems[1], block)?;
            let m = var_expr(v, Kind::Matrix, ix.expr.span());
            return Ok(Expr {
                op: Op::Linalg(LinOp::Element, vec![m, i, j]),
                kind: Kind::Real,
                span,
            });
        }
        let index = self.index_expr(&ix.index, block)?;
        Ok(Expr {
            op: Op::Index(v, Box::new(index)),
            kind: Kind::Real,
            span,
        })
    }

    /// A method of a matrix or vector `receiver` (see [`is_matrix_method`]).
    pub(super) fn matrix_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        receiver: Expr,
        block: &mut Block,
    ) -> syn::Result<Expr> {
        let span = self.method_span(mc);
        let name = mc.method.to_string();
        let arity = match name.as_str() {
            "map" | "component_mul" | "dot" | "column" | "row" => 1,
            _ => 0,
        };
        if mc.args.len() != arity {
            return err_at(
                &mc.method,
                match arity {
                    0 => format!("`.{name}()` takes no arguments"),
                    _ => format!("`.{name}(..)` takes one argument"),
                },
            );
        }
        let matrix_arg = |l: &mut Self, block: &mut Block| -> syn::Result<Expr> {
            let a = l.expr(&mc.args[0], block)?;
            if a.kind != Kind::Matrix {
                return err_at(
                    &mc.args[0],
                    format!("`.{name}(..)` takes a matrix or vector"),
                );
            }
            Ok(l.matrix_operand(a, block))
        };
        if matches!(name.as_str(), "clone" | "clone_owned" | "into_owned") {
            // Generated code copies matrices where the user's code would move them.
            return Ok(receiver);
        }
        if name == "column" || name == "row" {
            if !matches!(receiver.op, Op::Var(_)) {
                return err_at(
                    &mc.receiver,
                    format!(
                        "take `.{name}(..)` of a matrix variable: bind the matrix with `let` first"
                    ),
                );
            }
            let index = self.index_expr(&mc.args[0], block)?;
            let op = if name == "column" {
                LinOp::Column
            } else {
                LinOp::Row
            };
            return Ok(Expr {
                op: Op::Linalg(op, vec![receiver, index]),
                kind: Kind::Matrix,
                span,
            });
        }
        let receiver = if name == "transpose" {
            receiver
        } else {
            self.matrix_operand(receiver, block)
        };
        let (op, args, kind) = match name.as_str() {
            "transpose" => (LinOp::Transpose, vec![receiver], Kind::Matrix),
            "sum" => (LinOp::Sum, vec![receiver], Kind::Real),
            "norm" => (LinOp::Norm, vec![receiver], Kind::Real),
            "norm_squared" => (LinOp::NormSquared, vec![receiver], Kind::Real),
            "dot" => {
                let b = matrix_arg(self, block)?;
                (LinOp::Dot, vec![receiver, b], Kind::Real)
            }
            "component_mul" => {
                let b = matrix_arg(self, block)?;
                (LinOp::ComponentMul, vec![receiver, b], Kind::Matrix)
            }
            "map" => {
                let (param, body) = self.map_closure(&mc.args[0])?;
                (
                    LinOp::Map {
                        param,
                        body: Box::new(body),
                    },
                    vec![receiver],
                    Kind::Matrix,
                )
            }
            _ => {
                return err_at(
                    &mc.method,
                    format!("tapeless: internal error, the matrix method `.{name}()` of the table has no lowering"),
                )
            }
        };
        Ok(Expr {
            op: Op::Linalg(op, args),
            kind,
            span,
        })
    }

    /// The closure of `.map(|v| body)`: one plain argument, and a body that is a real
    /// expression of it and of constants.
    pub(super) fn map_closure(&mut self, e: &syn::Expr) -> syn::Result<(VarId, Expr)> {
        const WRITE: &str = "write the element-wise function as a closure of one argument whose body is a real expression of it and constants, `.map(|v| v.tanh())`, or name a function of one real, `.map(f64::tanh)`";
        let named;
        let c = match strip_paren(e) {
            syn::Expr::Closure(c) => c,
            // `.map(f64::tanh)`: the closure that calls the function.
            other => match super::iter::path_closure(other, 1) {
                Some(c) => {
                    named = c;
                    &named
                }
                None => return err_at(other, WRITE),
            },
        };
        if c.inputs.len() != 1
            || c.asyncness.is_some()
            || c.constness.is_some()
            || c.movability.is_some()
            || !matches!(c.output, syn::ReturnType::Default)
        {
            return err_at(c, WRITE);
        }
        let ident = match &c.inputs[0] {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => &pi.ident,
            syn::Pat::Type(pt) => match &*pt.pat {
                syn::Pat::Ident(pi) if is_ident(&pt.ty, "f64") && pi.subpat.is_none() => &pi.ident,
                _ => return err_at(&c.inputs[0], WRITE),
            },
            other => return err_at(other, WRITE),
        };
        self.scopes.push(HashMap::new());
        let param = self.new_var(&name_of(ident), Kind::Real, false, ident.span());
        let mut probe = Block::default();
        self.no_hoist += 1;
        let body = self.real_expr(&c.body, &mut probe);
        self.no_hoist -= 1;
        self.scopes.pop();
        let body = body?;
        if !probe.stmts.is_empty() {
            return err_at(&c.body, "a `.map` closure cannot call differentiable functions; compute with whole matrices, or use a `Vec<f64>` and a loop");
        }
        let mut reads = Vec::new();
        body.reads(&mut reads);
        if let Some(other) = reads.iter().find(|&&r| r != param) {
            return err_at(
                &c.body,
                format!(
                    "a `.map` closure uses only its argument and constants, not `{}`; scale or shift outside: `(&v * a).map(|x| x.tanh())`",
                    self.shown(*other)
                ),
            );
        }
        self.map_params.push(param);
        Ok((param, body))
    }
}

/// The nalgebra matrix and vector types of reals tapeless knows by name.
pub(crate) const MATRIX_TYPES: &[&str] = &[
    "DVector",
    "DMatrix",
    "SVector",
    "SMatrix",
    "RowDVector",
    "RowSVector",
    "Vector1",
    "Vector2",
    "Vector3",
    "Vector4",
    "Vector5",
    "Vector6",
    "Matrix1",
    "Matrix2",
    "Matrix3",
    "Matrix4",
    "Matrix5",
    "Matrix6",
];

/// `Some((type path, order))` when `path` is `T::from_column_slice` or `T::from_row_slice` of
/// one of [`MATRIX_TYPES`] (`DVector::from_column_slice`, `SVector::<f64, 3>::from_row_slice`).
pub(super) fn matrix_from_slice(path: &syn::Path) -> Option<(syn::Path, SliceOrder)> {
    let order = match path.segments.last()?.ident.to_string().as_str() {
        "from_column_slice" => SliceOrder::Columns,
        "from_row_slice" => SliceOrder::Rows,
        _ => return None,
    };
    let ty = matrix_type_of(path)?;
    // A vector (column or row) lists its elements in one order either way.
    let order = if is_matrix_type_name(&ty) {
        order
    } else {
        SliceOrder::Columns
    };
    Some((ty, order))
}

/// Whether the last segment of `ty` names a matrix with rows and columns (`DMatrix`,
/// `SMatrix`, `Matrix2`), not a vector.
fn is_matrix_type_name(ty: &syn::Path) -> bool {
    ty.segments
        .last()
        .is_some_and(|s| s.ident.to_string().contains("Matrix"))
}

/// `Some((type path, order))` when `path` is `T::new` of a fixed-size type of [`MATRIX_TYPES`],
/// which takes its elements as arguments: column by column for a vector (`Vector3::new(a, b,
/// c)`, `SVector::<f64, 3>::new(..)`), row by row for a matrix (`Matrix2::new(m11, m12, m21,
/// m22)`). `DVector`, `DMatrix` and `RowDVector` have no such `new`.
pub(super) fn matrix_new(path: &syn::Path) -> Option<(syn::Path, SliceOrder)> {
    if path.segments.last()?.ident != "new" {
        return None;
    }
    let ty = matrix_type_of(path)?;
    let name = ty.segments.last()?.ident.to_string();
    if matches!(name.as_str(), "DVector" | "DMatrix" | "RowDVector") {
        return None;
    }
    let order = if is_matrix_type_name(&ty) {
        SliceOrder::Rows
    } else {
        SliceOrder::Columns
    };
    Some((ty, order))
}

/// Whether `path` makes a matrix or vector that carries no derivative: `T::zeros(..)`,
/// `T::from_element(.., c)`, `T::repeat(.., c)`, `T::identity(..)` of one of [`MATRIX_TYPES`]
/// (an accumulator's start, `let mut a = DVector::zeros(n);`), made at the scalar type.
pub(super) fn is_matrix_constant(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "zeros" | "from_element" | "repeat" | "identity"
        )
    }) && matrix_type_of(path).is_some()
}

/// The type of `T::f` when `T` is one of [`MATRIX_TYPES`], its generic arguments kept.
fn matrix_type_of(path: &syn::Path) -> Option<syn::Path> {
    let n = path.segments.len();
    if n < 2 || !MATRIX_TYPES.contains(&path.segments[n - 2].ident.to_string().as_str()) {
        return None;
    }
    let mut p = path.clone();
    p.segments.pop();
    // Drop the trailing `::` the pop leaves.
    let last = p.segments.pop().expect("two segments").into_value();
    p.segments.push(last);
    Some(p)
}

/// `Some(elem)` when `ty` is one of [`MATRIX_TYPES`] (by its last path segment), with the type
/// of its elements.
pub(super) fn matrix_elem(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = strip_type_group(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if !MATRIX_TYPES.contains(&last.ident.to_string().as_str()) {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The kind of an nalgebra type (`None` for other types), or an error for matrices of anything
/// but `f64`.
pub(super) fn matrix_kind(ty: &syn::Type) -> Option<syn::Result<Kind>> {
    let elem = matrix_elem(ty)?;
    Some(if is_ident(elem, "f64") {
        Ok(Kind::Matrix)
    } else {
        err_at(
            elem,
            "write `f64` as the element type: the generated companions are generic over the scalar type",
        )
    })
}

/// Whether `name` is a method of nalgebra values that is differentiated: one of the table's
/// matrix methods (see [`LinOp`]), or a copy (`clone`, `clone_owned`, `into_owned`).
pub(super) fn is_matrix_method(name: &str) -> bool {
    COPIES.contains(&name) || crate::rules::matrix_method_names().any(|m| m == name)
}

/// The methods that copy a matrix, which generated code does where the user's code moves it.
const COPIES: &[&str] = &["clone", "clone_owned", "into_owned"];

/// What messages say is supported of matrices and vectors beside the operators: the table's
/// methods and `.clone()`, `.transpose() .map(|v| ..) .. .clone()`.
pub(super) fn matrix_methods_shown() -> String {
    let mut methods: Vec<&str> = crate::rules::matrix_methods().collect();
    methods.push(".clone()");
    methods.join(" ")
}
