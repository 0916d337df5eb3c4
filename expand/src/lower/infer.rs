//! The kind of a call's result bound without a written type, `let k1 = f(u, p);`, from how the
//! rest of the block uses the name.
//!
//! A proc macro sees one function at a time: the signature of `f`, even in the same file, is not
//! in its input, so the result's type is not known where the `let` is lowered. The uses are:
//! `k1[i]`, `&k1`, `k1.iter()`, `k1.len()`, `for x in k1`, `let [a, b, c] = k1` and `u = k1` of
//! an array `u` say it is an array; arithmetic, comparisons, casts and the methods of `f64` say it
//! is a real. An array so found is taken to be `[f64; N]` (the results of right-hand sides and
//! steps in the study that asked for this), whose generated code rustc types from the callee
//! (`zeros_like(&k1)`): only a `Vec<f64>` result passed on by value needs its type written.
//! Uses of both kinds are an error asking for the type; no telling use leaves it a real, as
//! before, and the uses that need an array say to write its type. An element read `k1[i][j]`
//! says it is an array of arrays of reals (see `rows::let_rows_call`).

use super::*;

/// What the uses of a name after its `let` say it holds.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Uses {
    /// A use that only an array allows, if any.
    pub(super) array: Option<Span>,
    /// A use that only a real allows, if any.
    pub(super) real: Option<Span>,
    /// A use that only an array of arrays allows (`k1[i][j]`), if any.
    pub(super) rows: Option<Span>,
    /// A use that only an nalgebra matrix or vector allows, if any: a term of a sum with one
    /// (`s + k1 * h`, `s += k1`), a method only they have (`k1.dot(&s)`, `k1.transpose()`) or
    /// its argument (`s.dot(&k1)`), an assignment to one (`s = k1`).
    pub(super) matrix: Option<Span>,
    /// A use as `&k1`, which an array and a matrix allow.
    pub(super) borrowed: Option<Span>,
}

/// Methods of nalgebra values that neither `f64` nor arrays have.
const MATRIX_ONLY_METHODS: &[&str] = &[
    "transpose",
    "component_mul",
    "dot",
    "norm",
    "norm_squared",
    "column",
    "row",
    "sum",
];

/// Methods of a slice or array that no `f64` has.
const ARRAY_METHODS: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "len",
    "is_empty",
    "to_vec",
    "windows",
    "chunks",
    "chunks_exact",
    "first",
    "last",
];

impl Lowerer<'_> {
    /// Records, for an untyped `let` of a differentiable call among `stmts` (at `at`), what the
    /// statements after it say the result is; read back by [`Lowerer::inferred_kind`].
    pub(super) fn note_uses(&mut self, stmts: &[syn::Stmt], at: usize) {
        let syn::Stmt::Local(local) = &stmts[at] else {
            return;
        };
        let (syn::Pat::Ident(pi), Some(init)) = (&local.pat, &local.init) else {
            return;
        };
        let syn::Expr::Call(call) = strip_paren(&init.expr) else {
            return;
        };
        if pi.by_ref.is_some() || pi.subpat.is_some() || !self.is_differentiable_call(call) {
            return;
        }
        let name = name_of(&pi.ident);
        let mut finder = UseFinder {
            name: &name,
            lowerer: self,
            uses: Uses::default(),
            in_matrix_sum: false,
        };
        for s in &stmts[at + 1..] {
            finder.visit_stmt(s);
            // A new binding of the name ends the one inferred (its initialiser still reads it).
            if let syn::Stmt::Local(l) = s {
                if binds(&l.pat, &name) {
                    break;
                }
            }
        }
        // The function's tail, lowered apart as its result, reads after its statements.
        let rebound = stmts[at + 1..]
            .iter()
            .any(|s| matches!(s, syn::Stmt::Local(l) if binds(&l.pat, &name)));
        let top = stmts.as_ptr() as usize;
        if let Some((_, tail)) = self.body_tail.as_ref().filter(|(a, _)| *a == top) {
            if !rebound {
                finder.visit_expr(tail);
            }
        }
        let uses = finder.uses;
        self.inferred
            .insert(local as *const syn::Local as usize, uses);
    }

    /// The kind of the untyped result bound by `local`: an array when its uses say so, else a
    /// real; an error on the `let` when they say both.
    pub(super) fn inferred_kind(
        &self,
        local: &syn::Local,
        ident: &syn::Ident,
    ) -> syn::Result<Kind> {
        let uses = self
            .inferred
            .get(&(local as *const syn::Local as usize))
            .copied()
            .unwrap_or_default();
        // Elements, borrows and lengths are a matrix's too.
        if let Some(m) = uses.matrix {
            if let Some(r) = uses.real {
                let mut e = syn::Error::new(
                    ident.span(),
                    format!("`{ident}` holds the result of a call whose type `#[differentiable]` cannot see, and it is used both as a matrix or vector and as a real; write its type: `let {ident}: f64 = ...` or `let {ident}: SVector<f64, N> = ...` (the type it has)"),
                );
                e.combine(syn::Error::new(
                    m,
                    format!("`{ident}` used as a matrix or vector here"),
                ));
                e.combine(syn::Error::new(r, format!("`{ident}` used as a real here")));
                return Err(e);
            }
            return Ok(Kind::Matrix);
        }
        let array = uses.array.or(uses.borrowed);
        match (array, uses.real) {
            (Some(a), Some(r)) => {
                let mut e = syn::Error::new(
                    ident.span(),
                    format!("`{ident}` holds the result of a call whose type `#[differentiable]` cannot see, and it is used both as an array and as a real; write its type: `let {ident}: [f64; N] = ...`, `let {ident}: Vec<f64> = ...` or `let {ident}: f64 = ...`"),
                );
                e.combine(syn::Error::new(
                    a,
                    format!("`{ident}` used as an array here"),
                ));
                e.combine(syn::Error::new(r, format!("`{ident}` used as a real here")));
                Err(e)
            }
            (Some(_), None) => Ok(Kind::RealArray(ArrayRepr::Array(ArrayLen(quote::quote!(
                _
            ))))),
            _ => Ok(Kind::Real),
        }
    }
}

/// Whether `pat` binds `name`.
fn binds(pat: &syn::Pat, name: &str) -> bool {
    struct Finder<'a>(&'a str, bool);
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.1 |= name_of(&p.ident) == self.0;
        }
    }
    let mut f = Finder(name, false);
    f.visit_pat(pat);
    f.1
}

/// Whether the item `pat` of a loop is a row: a slice pattern (`&[a, b]`), or a name the
/// `body` indexes.
fn item_is_row(pat: &syn::Pat, body: &syn::Block) -> bool {
    struct Indexed<'a>(&'a str, bool);
    impl<'ast> Visit<'ast> for Indexed<'_> {
        fn visit_expr_index(&mut self, e: &'ast syn::ExprIndex) {
            if let syn::Expr::Path(p) = strip_paren(&e.expr) {
                self.1 |= p.path.get_ident().is_some_and(|i| name_of(i) == self.0);
            }
            syn::visit::visit_expr_index(self, e);
        }
    }
    let pat = match pat {
        syn::Pat::Reference(r) => &*r.pat,
        p => p,
    };
    match pat {
        syn::Pat::Slice(_) => true,
        syn::Pat::Ident(i) => {
            let mut f = Indexed(&name_of(&i.ident), false);
            f.visit_block(body);
            f.1
        }
        _ => false,
    }
}

/// Walks the statements after a `let`, noting the telling uses of one name.
struct UseFinder<'a, 'l> {
    name: &'a str,
    lowerer: &'a Lowerer<'l>,
    uses: Uses,
    /// Inside the arithmetic of a sum with a matrix, whose occurrences of the name
    /// [`UseFinder::matrix_terms`] noted: not real uses.
    in_matrix_sum: bool,
}

impl UseFinder<'_, '_> {
    fn is_name(&self, e: &syn::Expr) -> bool {
        match strip_paren(e) {
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .is_some_and(|i| p.qself.is_none() && name_of(i) == self.name),
            _ => false,
        }
    }

    fn array_use(&mut self, span: Span) {
        self.uses.array.get_or_insert(span);
    }

    fn real_use(&mut self, span: Span) {
        self.uses.real.get_or_insert(span);
    }

    /// Whether `e` is, by what is known before the `let`, a matrix or vector: a variable of
    /// one, arithmetic with one, a matrix method of one, a constructor (`Vector3::new(..)`).
    fn is_matrix(&self, e: &syn::Expr) -> bool {
        match strip_paren(e) {
            syn::Expr::Path(_) => self
                .lowerer
                .path_var(e)
                .is_some_and(|v| *self.lowerer.kind(v) == Kind::Matrix),
            syn::Expr::Binary(b) => match b.op {
                syn::BinOp::Add(_) | syn::BinOp::Sub(_) | syn::BinOp::Mul(_) => {
                    self.is_matrix(&b.left) || self.is_matrix(&b.right)
                }
                syn::BinOp::Div(_) => self.is_matrix(&b.left),
                _ => false,
            },
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => self.is_matrix(&u.expr),
            syn::Expr::Reference(r) => self.is_matrix(&r.expr),
            syn::Expr::MethodCall(m) => {
                matches!(
                    m.method.to_string().as_str(),
                    "transpose"
                        | "component_mul"
                        | "map"
                        | "clone"
                        | "clone_owned"
                        | "into_owned"
                        | "column"
                        | "row"
                ) && self.is_matrix(&m.receiver)
            }
            syn::Expr::Call(c) => match strip_paren(&c.func) {
                syn::Expr::Path(p) => {
                    super::nalgebra::matrix_new(&p.path).is_some()
                        || super::nalgebra::matrix_from_slice(&p.path).is_some()
                        || super::nalgebra::is_matrix_constant(&p.path)
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Notes the name as a matrix wherever it is a term of `e`, an operand of a sum with a
    /// matrix: reached through sums, products, quotients, negation and parentheses (a product
    /// in such a sum is a matrix, so a factor that is the name is one unless the other factor
    /// is known to be a matrix: `g * s` may scale `s` by a real `g`); returns whether it found
    /// one, so those occurrences are not taken as reals too.
    fn matrix_terms(&mut self, e: &syn::Expr) -> bool {
        if self.is_name(e) {
            self.uses.matrix.get_or_insert(e.span());
            return true;
        }
        match strip_paren(e) {
            syn::Expr::Binary(b) => match b.op {
                syn::BinOp::Add(_) | syn::BinOp::Sub(_) => {
                    let l = self.matrix_terms(&b.left);
                    self.matrix_terms(&b.right) || l
                }
                syn::BinOp::Mul(_) => {
                    let (lm, rm) = (self.is_matrix(&b.left), self.is_matrix(&b.right));
                    let l = !rm && self.matrix_terms(&b.left);
                    (!lm && self.matrix_terms(&b.right)) || l
                }
                syn::BinOp::Div(_) => self.matrix_terms(&b.left),
                _ => false,
            },
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => self.matrix_terms(&u.expr),
            _ => false,
        }
    }
}

impl<'ast> Visit<'ast> for UseFinder<'_, '_> {
    fn visit_expr_index(&mut self, e: &'ast syn::ExprIndex) {
        if self.is_name(&e.expr) {
            self.array_use(e.expr.span());
        }
        if let syn::Expr::Index(inner) = strip_paren(&e.expr) {
            if self.is_name(&inner.expr) {
                self.uses.rows.get_or_insert(inner.expr.span());
            }
        }
        syn::visit::visit_expr_index(self, e);
    }

    fn visit_expr_reference(&mut self, e: &'ast syn::ExprReference) {
        if self.is_name(&e.expr) {
            self.uses.borrowed.get_or_insert(e.expr.span());
        }
        syn::visit::visit_expr_reference(self, e);
    }

    fn visit_expr_method_call(&mut self, e: &'ast syn::ExprMethodCall) {
        if self.is_name(&e.receiver) {
            let m = e.method.to_string();
            if ARRAY_METHODS.contains(&m.as_str()) {
                self.array_use(e.receiver.span());
            } else if MATRIX_ONLY_METHODS.contains(&m.as_str()) {
                self.uses.matrix.get_or_insert(e.receiver.span());
            } else if Unary::from_method(&m).is_some()
                || Binary::from_method(&m).is_some()
                || Ternary::from_method(&m).is_some()
            {
                self.real_use(e.receiver.span());
            }
        }
        // The argument of `a.dot(&k1)`, `a.component_mul(&k1)`: a matrix as its receiver is.
        if matches!(e.method.to_string().as_str(), "dot" | "component_mul") {
            if let Some(arg) = e.args.first() {
                let arg = match strip_paren(arg) {
                    syn::Expr::Reference(r) => &*r.expr,
                    a => a,
                };
                if self.is_name(arg) {
                    self.uses.matrix.get_or_insert(arg.span());
                }
            }
        }
        syn::visit::visit_expr_method_call(self, e);
    }

    fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
        // A sum with a matrix (`s + k1 * h`, `s += k1`): its terms are matrices.
        let sum = matches!(
            e.op,
            syn::BinOp::Add(_)
                | syn::BinOp::Sub(_)
                | syn::BinOp::AddAssign(_)
                | syn::BinOp::SubAssign(_)
        );
        if !self.in_matrix_sum && sum && (self.is_matrix(&e.left) || self.is_matrix(&e.right)) {
            let l = self.matrix_terms(&e.left);
            if self.matrix_terms(&e.right) || l {
                self.in_matrix_sum = true;
                syn::visit::visit_expr_binary(self, e);
                self.in_matrix_sum = false;
                return;
            }
        }
        // Arithmetic and comparisons (also `u += k1`) take reals; `&&` and `||` take bools.
        if !self.in_matrix_sum && !matches!(e.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
            for side in [&*e.left, &*e.right] {
                if self.is_name(side) {
                    self.real_use(side.span());
                }
            }
        }
        syn::visit::visit_expr_binary(self, e);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        // The terms of a sum with a matrix are reached through arithmetic only.
        let arithmetic = match e {
            syn::Expr::Binary(b) => matches!(
                b.op,
                syn::BinOp::Add(_) | syn::BinOp::Sub(_) | syn::BinOp::Mul(_) | syn::BinOp::Div(_)
            ),
            syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)),
            syn::Expr::Paren(_) | syn::Expr::Path(_) => true,
            _ => false,
        };
        let saved = self.in_matrix_sum;
        self.in_matrix_sum &= arithmetic;
        syn::visit::visit_expr(self, e);
        self.in_matrix_sum = saved;
    }

    fn visit_expr_unary(&mut self, e: &'ast syn::ExprUnary) {
        if !self.in_matrix_sum && matches!(e.op, syn::UnOp::Neg(_)) && self.is_name(&e.expr) {
            self.real_use(e.expr.span());
        }
        syn::visit::visit_expr_unary(self, e);
    }

    fn visit_expr_cast(&mut self, e: &'ast syn::ExprCast) {
        if self.is_name(&e.expr) {
            self.real_use(e.expr.span());
        }
        syn::visit::visit_expr_cast(self, e);
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        if self.is_name(&e.expr) {
            self.array_use(e.expr.span());
        }
        // `for p in &k1 { .. p[j] .. }` (or `k1`, `k1.iter()`), `for &[a, b] in &k1`: rows.
        let source = match strip_paren(&e.expr) {
            syn::Expr::Reference(r) => &*r.expr,
            syn::Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => &*m.receiver,
            other => other,
        };
        if self.is_name(source) && item_is_row(&e.pat, &e.body) {
            self.uses.rows.get_or_insert(source.span());
        }
        syn::visit::visit_expr_for_loop(self, e);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let pat = match &l.pat {
            syn::Pat::Type(pt) => &*pt.pat,
            p => p,
        };
        if let (syn::Pat::Slice(_), Some(init)) = (pat, &l.init) {
            let value = match strip_paren(&init.expr) {
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => &*u.expr,
                e => e,
            };
            if self.is_name(value) {
                self.array_use(value.span());
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
        // `u = k1;` says what `k1` is when `u` is a variable already known.
        if self.is_name(&e.right) {
            if let Some(u) = self.lowerer.path_var(&e.left) {
                match self.lowerer.kind(u) {
                    Kind::RealArray(_) => self.array_use(e.right.span()),
                    Kind::Real => self.real_use(e.right.span()),
                    Kind::Matrix => {
                        self.uses.matrix.get_or_insert(e.right.span());
                    }
                    _ => {}
                }
            }
        }
        syn::visit::visit_expr_assign(self, e);
    }
}
