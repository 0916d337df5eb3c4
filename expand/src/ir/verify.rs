//! The IR verifier: the invariants every pass may rely on, checked after lowering in tests and
//! debug builds of the macro.
//!
//! - every `VarId` names a variable of the function;
//! - a variable is used only after a binding of it is in scope (parameters, `let`, loop
//!   variables, call results), and bound once;
//! - expression kinds are consistent: arithmetic on reals gives reals, conditions are bools,
//!   indices and loop bounds are not reals, indexed variables are arrays;
//! - assignments write mutable variables of the right kind.

use super::*;
use crate::rules::ResultKind;

/// Checks `function`; returns the list of violated invariants (empty when it is well formed).
pub fn verify(function: &Function) -> Vec<String> {
    let mut v = Verifier {
        f: function,
        bound: IdVec::from_elem(false, function.vars.len()),
        scope: Vec::new(),
        problems: Vec::new(),
    };
    for p in &function.params {
        v.bind(p.var);
    }
    // The top-level scope stays open: the result reads its bindings.
    for s in &function.body.stmts {
        v.stmt(s);
    }
    for e in &function.ret.values {
        v.expr(e);
    }
    if function.ret.values.len() != function.ret.parts.len() {
        v.problems
            .push("result arity differs from the return type".into());
    }
    v.problems
}

struct Verifier<'a> {
    f: &'a Function,
    bound: IdVec<VarId, bool>,
    scope: Vec<VarId>,
    problems: Vec<String>,
}

impl Verifier<'_> {
    fn exists(&mut self, var: VarId) -> bool {
        if self.f.vars.get(var).is_none() {
            self.problems.push(format!("unknown variable id {}", var.0));
            false
        } else {
            true
        }
    }

    fn bind(&mut self, var: VarId) {
        if !self.exists(var) {
            return;
        }
        if self.bound[var] {
            self.problems
                .push(format!("`{}` is bound twice", self.f.vars[var].name));
        }
        self.bound[var] = true;
        self.scope.push(var);
    }

    fn use_var(&mut self, var: VarId) {
        if self.exists(var) && !self.scope.contains(&var) {
            self.problems
                .push(format!("`{}` is used out of scope", self.f.vars[var].name));
        }
    }

    fn kind(&self, var: VarId) -> &Kind {
        &self.f.vars[var].kind
    }

    fn block(&mut self, b: &Block) {
        let depth = self.scope.len();
        for s in &b.stmts {
            self.stmt(s);
        }
        self.scope.truncate(depth);
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { var, init, .. } => {
                self.init(init);
                self.bind(*var);
            }
            Stmt::Assign { place, value, .. } => {
                self.expr(value);
                let var = place.var();
                self.use_var(var);
                if !self.f.vars[var].mutable {
                    self.problems.push(format!(
                        "`{}` is assigned but not mutable",
                        self.f.vars[var].name
                    ));
                }
                match place {
                    Place::Var(_) => {
                        if matches!(self.kind(var), Kind::RealArray(_)) {
                            self.problems.push("whole-array assignment".into());
                        }
                    }
                    Place::Index(_, i) => {
                        self.index(i);
                        if !matches!(self.kind(var), Kind::RealArray(_) | Kind::Matrix) {
                            self.problems
                                .push("element assignment into a non-array".into());
                        }
                    }
                    Place::Push(_, i) => {
                        self.index(i);
                        if *self.kind(var) != Kind::RealArray(ArrayRepr::Vec) {
                            self.problems.push("push onto a non-`Vec`".into());
                        }
                    }
                }
                if value.kind == Kind::Real && *self.kind(var) == Kind::Int {
                    self.problems
                        .push("real value assigned to an integer".into());
                }
            }
            Stmt::Call(c) => {
                for a in &c.args {
                    match a {
                        Arg::Value(e) => self.expr(e),
                        Arg::Matrix { var, .. } => {
                            self.use_var(*var);
                            if *self.kind(*var) != Kind::Matrix {
                                self.problems
                                    .push("matrix argument that is not a matrix".into());
                            }
                        }
                        Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                            self.use_var(*var);
                            if !matches!(self.kind(*var), Kind::RealArray(_)) {
                                self.problems
                                    .push("array argument that is not an array".into());
                            }
                        }
                    }
                }
                for r in &c.results {
                    self.bind(*r);
                }
            }
            Stmt::For {
                var, range, body, ..
            } => {
                for e in [&range.start, &range.end] {
                    self.index(e);
                }
                for a in &range.adaptors {
                    if let Adaptor::StepBy(e) = a {
                        self.index(e);
                    }
                }
                let depth = self.scope.len();
                self.bind(*var);
                self.block(body);
                self.scope.truncate(depth);
            }
            Stmt::Assert(a) => {
                for e in a.exprs() {
                    self.expr(e);
                    if !matches!(e.kind, Kind::Real | Kind::Int | Kind::Bool | Kind::Opaque) {
                        self.problems
                            .push(format!("`{}!` of a value of kind {}", a.mac, e.kind));
                    }
                }
                if a.mac.to_string().ends_with("assert") && a.operands[0].kind != Kind::Bool {
                    self.problems
                        .push(format!("`{}!` of a condition that is not a bool", a.mac));
                }
            }
            Stmt::While { cond, body, .. } => {
                self.expr(cond);
                if cond.kind != Kind::Bool {
                    self.problems.push("loop condition is not a bool".into());
                }
                let depth = self.scope.len();
                self.block(body);
                self.scope.truncate(depth);
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                self.expr(cond);
                if cond.kind != Kind::Bool {
                    self.problems.push("condition is not a bool".into());
                }
                self.block(then);
                self.block(els);
            }
        }
    }

    fn index(&mut self, e: &Expr) {
        self.expr(e);
        if e.kind.is_real() {
            self.problems
                .push("real value used as an index or bound".into());
        }
    }

    fn init(&mut self, init: &Init) {
        let mut reads = Vec::new();
        init.reads(&mut reads);
        for v in reads {
            self.use_var(v);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.op {
            Op::Lit(_) | Op::Path(_) => {}
            Op::PathIndex(_, i) => self.index(i),
            Op::Field(a, _) => {
                self.expr(a);
                if a.kind.is_real() {
                    self.problems.push("a tuple field of a real".into());
                }
            }
            Op::Method(a, _, args) => {
                self.expr(a);
                for x in args {
                    self.index(x);
                }
            }
            Op::Var(v) | Op::Ref(v) | Op::Matches(v, _) => self.use_var(*v),
            Op::AsReal(a) => {
                self.expr(a);
                if a.kind.is_real() {
                    self.problems
                        .push("conversion of a real into a real".into());
                }
            }
            Op::Len(v) => {
                self.use_var(*v);
                if e.kind != Kind::Int {
                    self.problems.push("`len` that is not an integer".into());
                }
            }
            Op::Index(v, i) => {
                self.use_var(*v);
                self.index(i);
                if matches!(self.kind(*v), Kind::RealArray(_)) && e.kind != Kind::Real {
                    self.problems
                        .push("element of a real array that is not real".into());
                }
            }
            Op::Unary(u, a) => {
                self.expr(a);
                if !u.rule().result.accepts(&e.kind, &[&a.kind]) {
                    self.problems
                        .push(format!("`{}` of kind {}", u.name(), a.kind));
                }
            }
            Op::Binary(b, x, y) => {
                self.expr(x);
                self.expr(y);
                let result = b.rule().result;
                if !result.accepts(&e.kind, &[&x.kind, &y.kind]) {
                    let matrix = x.kind == Kind::Matrix || y.kind == Kind::Matrix;
                    let what = match result {
                        ResultKind::Bool | ResultKind::BoolOrInt => "that is not a bool",
                        ResultKind::Arithmetic | ResultKind::SameAsOperand | ResultKind::Real
                            if matrix =>
                        {
                            "of matrices that is not a matrix"
                        }
                        ResultKind::Arithmetic | ResultKind::SameAsOperand | ResultKind::Real => {
                            "of reals that is not real"
                        }
                    };
                    self.problems.push(format!("`{}` {what}", b.name()));
                }
            }
            Op::Ternary(t, a, b, c) => {
                for x in [a, b, c] {
                    self.expr(x);
                }
                if !t
                    .rule()
                    .result
                    .accepts(&e.kind, &[&a.kind, &b.kind, &c.kind])
                {
                    self.problems
                        .push(format!("`{}` of reals that is not real", t.name()));
                }
            }
            Op::Powi(x, n) => {
                self.expr(x);
                self.index(n);
            }
            Op::Cast(x, _) => self.expr(x),
            Op::ConstCall(_, args) => args.iter().for_each(|a| self.expr(a)),
            Op::Linalg(op, args) => {
                for a in args {
                    self.expr(a);
                }
                // The operands and the result the table lists.
                let rule = op.rule();
                // A `DMatrix` built from a slice has its rows and columns after the array.
                let shape = match op {
                    LinOp::FromSlice(..) if args.len() == 3 => {
                        args[1..].iter().all(|d| d.kind == Kind::Int)
                    }
                    _ => args.len() == rule.operands.len(),
                };
                let mut ok = shape
                    && rule.operands.iter().zip(args).all(|(o, a)| o.accepts(a))
                    && e.kind == rule.result.kind();
                if let LinOp::Map { param, body } = op {
                    // The body sees its argument only.
                    let depth = self.scope.len();
                    self.bind(*param);
                    self.expr(body);
                    self.scope.truncate(depth);
                    let mut reads = Vec::new();
                    body.reads(&mut reads);
                    ok = ok && body.kind == Kind::Real && reads.iter().all(|r| r == param);
                }
                if !ok {
                    self.problems
                        .push(format!("malformed matrix operation `{}`", op.name()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(src: &str) -> Function {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        crate::lower::lower(&item, &args).expect("lowers")
    }

    #[test]
    fn lowered_functions_are_well_formed() {
        let f = lowered("fn f(u: &[f64], x: f64) -> f64 { let mut s = x; for i in 0..u.len() { if u[i] > s { s = u[i]; } } s }");
        assert_eq!(verify(&f), Vec::<String>::new());
    }

    #[test]
    fn out_of_scope_uses_and_bad_kinds_are_caught() {
        let mut f = lowered(
            "fn f(x: f64) -> f64 { let mut y = x; for i in 0..3 { let z = y; y = z * x; } y }",
        );
        // Use the loop-local `z` after its loop: out of scope.
        let z = f
            .vars
            .iter_enumerated()
            .find(|(_, v)| v.name == "z")
            .map(|(id, _)| id)
            .expect("z exists");
        f.ret.values[0].op = Op::Var(z);
        // Make a condition-free arithmetic node claim to be an integer.
        if let Stmt::Let {
            init: Init::Expr(e),
            ..
        } = &mut f.body.stmts[0]
        {
            e.kind = Kind::Int;
        }
        let problems = verify(&f);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`z` is used out of scope")),
            "{problems:?}"
        );
        f.body.stmts.push(Stmt::Assign {
            place: Place::Var(VarId(0)),
            value: Expr {
                op: Op::Lit(Literal::Real(1.0)),
                kind: Kind::Real,
                span: proc_macro2::Span::call_site(),
            },
            span: proc_macro2::Span::call_site(),
        });
        let problems = verify(&f);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`x` is assigned but not mutable")),
            "{problems:?}"
        );
    }
}
