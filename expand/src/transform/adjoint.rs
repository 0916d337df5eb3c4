//! The reverse-mode transform: `f_vjp`, the value and the vector-Jacobian product `J^T y_bar`.
//!
//! The generated body is the forward sweep (the primal, saving what it overwrites and the
//! branches it takes), then the reverse sweep: the statements' adjoints in reverse order, loops
//! run backwards (`for i in range.rev()`), branches replayed from the saved decision. No operation
//! tape: the code of the reverse sweep is fixed at compile time, and only values are kept.
//!
//! How values reach the reverse sweep, cheapest first:
//!
//! - **in scope**: bindings at the top level of the function are still in scope in the reverse
//!   sweep, which is emitted after the forward sweep in the same body;
//! - **restored**: before an assignment overwrites a value that the reverse sweep reads, the old
//!   value is saved; the reverse sweep puts it back before processing that assignment, so every
//!   statement's adjoint sees the values its forward execution saw;
//! - **recomputed**: a `let` inside a loop or branch whose inputs do not change in that scope is
//!   evaluated again at the start of the scope's reverse;
//! - **saved**: other `let`s of loops and branches that the reverse sweep reads are saved at the
//!   end of the scope (on a stack of their own) and rebound at the start of its reverse.
//!
//! Calls of differentiable functions call the callee's `_vjp` in the reverse sweep, with `&mut`
//! arrays first put back into their state before the call.
//!
//! Before: `let mut s = 0.0; for i in 0..n { s += u[i] * u[i]; } s`
//! After (forward):  `let mut s = 0.0; let mut s_bar = 0.0; for i in 0..n { s = s + u[i] * u[i]; }`
//! After (reverse):  `s_bar += result_bar;`
//!                   `for i in (0..n).rev() { let __g = s_bar; u_bar[i] += __g * u[i]; u_bar[i] += __g * u[i]; }`

use crate::activity::{arg_active, expr_active};
use crate::emit::{Emitter, Value};
use crate::ir::*;
use crate::rules::{BinaryDeriv, Operand, Reads, UnaryDeriv};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashSet;

/// What the reverse sweep reads, and how it gets it.
struct Plan {
    /// The reverse sweep reads the variable's value somewhere.
    needed: Vec<bool>,
    /// A `let` in a loop or branch that is evaluated again in the reverse sweep.
    recompute: Vec<bool>,
    /// Assignments whose overwritten value is saved and put back (see [`flow`]).
    saves: HashSet<StmtId>,
    /// `&mut` arguments of calls whose state before the call the caller's reverse sweep reads.
    caller_needs: HashSet<(StmtId, VarId)>,
}

/// Reads of the values that the adjoint of `e` multiplies by (its partial derivatives): what
/// each operation's entry in the rule table says its adjoint reads.
fn partial_reads(e: &Expr, active: &[bool], out: &mut Vec<VarId>) {
    if !expr_active(e, active) {
        return;
    }
    match &e.op {
        Op::Var(_) => {}
        Op::Index(_, i) => i.reads(out),
        Op::Unary(u, a) => rule_reads(u.rule().reads, &[a], &[], active, out),
        Op::Binary(b, x, y) => rule_reads(b.rule().reads, &[x, y], &[], active, out),
        // `x.powi(n)`: its derivative `n x^(n-1)` reads both.
        Op::Powi(a, n) => rule_reads(Reads::Operands, &[a], &[n], active, out),
        Op::Linalg(op, args) => {
            let rule = op.rule();
            let (mut values, mut indices) = (Vec::new(), Vec::new());
            for (operand, a) in rule.operands.iter().zip(args) {
                match operand {
                    Operand::Index => indices.push(a),
                    Operand::Matrix | Operand::MatrixVar | Operand::ArrayVar => values.push(a),
                }
            }
            rule_reads(rule.reads, &values, &indices, active, out)
        }
        Op::Lit(_)
        | Op::Len(_)
        | Op::Cast(..)
        | Op::ConstCall(..)
        | Op::Path(_)
        | Op::Ref(_)
        | Op::Matches(..)
        | Op::PathIndex(..)
        | Op::Method(..)
        | Op::AsReal(_) => {}
    }
}

/// The reads of an operation's adjoint, as its rule says, and those of its operands' adjoints.
fn rule_reads(
    reads: Reads,
    values: &[&Expr],
    indices: &[&Expr],
    active: &[bool],
    out: &mut Vec<VarId>,
) {
    match reads {
        Reads::Nothing => {}
        Reads::Operands => values.iter().for_each(|v| v.reads(out)),
        Reads::OtherOperand => {
            if let [x, y] = values {
                if expr_active(x, active) {
                    y.reads(out);
                }
                if expr_active(y, active) {
                    x.reads(out);
                }
            } else {
                unreachable!("products have two operands")
            }
        }
    }
    indices.iter().for_each(|i| i.reads(out));
    values.iter().for_each(|v| partial_reads(v, active, out));
}

fn init_partial_reads(init: &Init, active: &[bool], out: &mut Vec<VarId>) {
    match init {
        Init::Expr(e) | Init::VecFill { value: e, .. } | Init::ArrayFill { value: e, .. } => {
            partial_reads(e, active, out)
        }
        Init::ArrayList(es) | Init::VecList(es) => {
            es.iter().for_each(|e| partial_reads(e, active, out))
        }
        Init::CopyOf(_) => {}
    }
}

/// Marks the `let`s of nested scopes that can be recomputed in the reverse sweep.
fn mark_recomputable(b: &Block, depth: usize, recompute: &mut Vec<bool>) {
    if depth > 0 {
        let written = b.writes();
        let mut local_recomputable: Vec<VarId> = Vec::new();
        for s in &b.stmts {
            if let Stmt::Let {
                var,
                init: Init::Expr(e),
                ..
            } = s
            {
                let mut reads = Vec::new();
                e.reads(&mut reads);
                let ok = reads
                    .iter()
                    .all(|r| local_recomputable.contains(r) || !written.contains(r));
                let calls = contains_const_call(e);
                // Recomputing gives the binding's first value: only for bindings never assigned
                // again (the `let` itself is one write).
                let reassigned = written.iter().filter(|w| *w == var).count() > 1;
                if ok && !calls && !reassigned {
                    local_recomputable.push(*var);
                    recompute[var.0] = true;
                }
            }
        }
    }
    for s in &b.stmts {
        match s {
            Stmt::For { body, .. } => mark_recomputable(body, depth + 1, recompute),
            Stmt::If { then, els, .. } => {
                mark_recomputable(then, depth + 1, recompute);
                mark_recomputable(els, depth + 1, recompute);
            }
            Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) => {}
        }
    }
}

/// Whether `e` calls a user function (which is not re-run in the reverse sweep).
fn contains_const_call(e: &Expr) -> bool {
    match &e.op {
        Op::ConstCall(..) => true,
        Op::Lit(_) | Op::Var(_) | Op::Len(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => false,
        Op::Index(_, a)
        | Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
        | Op::PathIndex(_, a) => contains_const_call(a),
        Op::Method(a, _, args) => contains_const_call(a) || args.iter().any(contains_const_call),
        Op::Binary(_, a, b) | Op::Powi(a, b) => contains_const_call(a) || contains_const_call(b),
        Op::Linalg(_, args) => args.iter().any(contains_const_call),
    }
}

/// The reads of the reverse of `s` itself (not of statements nested in it).
fn own_reads(
    s: &Stmt,
    f: &Function,
    active: &[bool],
    recompute: &[bool],
    needed: &[bool],
    out: &mut Vec<VarId>,
) {
    match s {
        Stmt::Let { var, init, .. } => {
            if active[var.0] {
                init_partial_reads(init, active, out);
            }
            if recompute[var.0] && needed[var.0] {
                init.reads(out);
            }
        }
        Stmt::Assign { place, value, .. } => {
            let v = place.var();
            if active[v.0] {
                partial_reads(value, active, out);
            }
            // The adjoint indexes the target's adjoint, and a restore indexes the target.
            if let Place::Index(_, i) = place {
                if active[v.0] || needed[v.0] {
                    i.reads(out);
                }
            }
        }
        Stmt::Call(c) => {
            if c.args.iter().any(|a| arg_active(a, active)) {
                c.args.iter().for_each(|a| a.reads(out));
            }
        }
        Stmt::For { range, .. } => {
            // The reverse loop evaluates the range again; an array's length does not need its
            // values, and cannot change.
            let mut r = Vec::new();
            range.reads(&mut r);
            out.extend(
                r.into_iter()
                    .filter(|v| !matches!(f.vars[v.0].kind, Kind::RealArray(_))),
            );
        }
        Stmt::If { .. } => {}
    }
}

/// The reads of the reverse of `s` and of everything nested in it.
fn all_reads(
    s: &Stmt,
    f: &Function,
    active: &[bool],
    recompute: &[bool],
    needed: &[bool],
    out: &mut Vec<VarId>,
) {
    own_reads(s, f, active, recompute, needed, out);
    let mut nested = |b: &Block| {
        for t in &b.stmts {
            all_reads(t, f, active, recompute, needed, out);
        }
    };
    match s {
        Stmt::For { body, .. } => nested(body),
        Stmt::If { then, els, .. } => {
            nested(then);
            nested(els);
        }
        Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) => {}
    }
}

fn plan(f: &Function, active: &[bool]) -> Plan {
    let n = f.vars.len();
    let mut recompute = vec![false; n];
    mark_recomputable(&f.body, 0, &mut recompute);
    let mut needed = vec![false; n];
    let mut result_reads = Vec::new();
    for (e, k) in f.ret.values.iter().zip(&f.ret.parts) {
        if *k == Kind::Real {
            partial_reads(e, active, &mut result_reads);
        }
    }
    for r in result_reads {
        needed[r.0] = true;
    }
    // To a fixed point: restoring an element reads its index, recomputing a `let` its inputs.
    loop {
        let mut reads = Vec::new();
        for s in &f.body.stmts {
            all_reads(s, f, active, &recompute, &needed, &mut reads);
        }
        let mut changed = false;
        for r in reads {
            if !needed[r.0] {
                needed[r.0] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut plan = Plan {
        needed,
        recompute,
        saves: HashSet::new(),
        caller_needs: HashSet::new(),
    };
    let seen = vec![false; n];
    flow(&f.body, StmtId::FIRST, seen, f, active, &mut plan);
    plan
}

/// Which overwrites must be saved: a value is put back in the reverse sweep only if the reverse
/// of a statement that ran before the overwrite (or the overwriting statement itself, or an
/// earlier iteration of an enclosing loop) reads it. Integers are always put back (indices are
/// cheap and read everywhere). `seen[v]`: the reverse of something before this block reads `v`.
fn flow(
    b: &Block,
    first: StmtId,
    mut seen: Vec<bool>,
    f: &Function,
    active: &[bool],
    plan: &mut Plan,
) {
    let read_by = |s: &Stmt, plan: &Plan| {
        let mut r = Vec::new();
        all_reads(s, f, active, &plan.recompute, &plan.needed, &mut r);
        r
    };
    for (id, s) in b.numbered(first) {
        let within = read_by(s, plan);
        match s {
            Stmt::Assign { place, .. } => {
                let v = place.var();
                let real = f.vars[v.0].kind.is_real();
                if plan.needed[v.0] && (!real || seen[v.0] || within.contains(&v)) {
                    plan.saves.insert(id);
                }
            }
            Stmt::Call(c) => {
                for a in &c.args {
                    if let Arg::ArrayMut { var, .. } = a {
                        if plan.needed[var.0] && seen[var.0] {
                            plan.caller_needs.insert((id, *var));
                        }
                    }
                }
            }
            Stmt::For { body, .. } => {
                // Statements of earlier iterations run before every statement of the body.
                let mut inner = seen.clone();
                for r in &within {
                    inner[r.0] = true;
                }
                flow(body, id.inner(), inner, f, active, plan);
            }
            Stmt::If { then, els, .. } => {
                flow(then, id.inner(), seen.clone(), f, active, plan);
                flow(els, id.els(then), seen.clone(), f, active, plan);
            }
            Stmt::Let { .. } => {}
        }
        for r in within {
            seen[r.0] = true;
        }
    }
}

/// The adjoint of a matrix value on its way to the operands: `alpha * m` for a matrix `m`
/// (given as a reference `&M`), or `value` in every element of a matrix shaped like `like`.
/// Scalings and broadcasts stay symbolic until a variable's adjoint accumulates them.
#[derive(Clone)]
enum MatrixSeed {
    Scaled {
        m: TokenStream,
        alpha: Option<Value>,
    },
    Fill {
        like: TokenStream,
        value: Value,
    },
}

struct Reverse<'a> {
    em: &'a Emitter<'a>,
    plan: &'a Plan,
    /// For the reverse-only companion: the statements its forward sweep keeps (those that
    /// compute what the reverse sweep reads); `None` keeps every statement.
    useful: Option<HashSet<StmtId>>,
}

impl Reverse<'_> {
    fn zero_like(&self, v: VarId) -> TokenStream {
        let rt = &self.em.rt;
        if self.em.var(v).kind == Kind::Real {
            self.em.zero()
        } else {
            let n = self.em.name(v);
            quote!(#rt::zeros_like(&#n))
        }
    }

    /// Accumulates `seed`, the adjoint of `e`'s value, into the adjoints of its operands.
    fn expr(&self, e: &Expr, seed: Value, out: &mut TokenStream) {
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        if !expr_active(e, active) {
            return;
        }
        let span = e.span;
        if e.kind == Kind::Matrix && !matches!(e.op, Op::Var(_) | Op::Index(..)) {
            unreachable!("matrices have matrix seeds")
        }
        match &e.op {
            Op::Var(v) => {
                let b = em.bar(*v);
                out.extend(quote_spanned!(span=> #b += #seed;));
            }
            Op::Index(v, i) => {
                let (b, i) = (em.bar(*v), em.primal(i));
                out.extend(quote_spanned!(span=> #b[#i] += #seed;));
            }
            Op::Unary(u, a) => match u.rule().deriv {
                UnaryDeriv::Negate => self.expr(a, Value::Expr(quote!((-#seed))), out),
                UnaryDeriv::Chain => {
                    let rule = format_ident!("{}", u.name(), span = span);
                    let x = em.primal(a);
                    self.expr(
                        a,
                        Value::Expr(quote_spanned!(span=> (#seed * #rt::rules::#rule(#x)))),
                        out,
                    );
                }
                UnaryDeriv::None => unreachable!("`{}` has no derivative", u.name()),
            },
            Op::Binary(b, x, y) => {
                let (ax, ay) = (expr_active(x, active), expr_active(y, active));
                let seed = if ax && ay {
                    self.bind_value(seed, out)
                } else {
                    seed
                };
                let (xs, ys) = (em.primal(x), em.primal(y));
                let deriv = b.rule().deriv;
                match deriv {
                    BinaryDeriv::Add => {
                        self.expr(x, seed.clone(), out);
                        self.expr(y, seed, out);
                    }
                    BinaryDeriv::Sub => {
                        self.expr(x, seed.clone(), out);
                        self.expr(y, Value::Expr(quote!((-#seed))), out);
                    }
                    BinaryDeriv::Product => {
                        self.expr(x, Value::Expr(quote_spanned!(span=> (#seed * #ys))), out);
                        self.expr(y, Value::Expr(quote_spanned!(span=> (#seed * #xs))), out);
                    }
                    BinaryDeriv::Quotient if !ay => {
                        self.expr(x, Value::Expr(quote_spanned!(span=> (#seed / #ys))), out)
                    }
                    BinaryDeriv::Quotient | BinaryDeriv::Partials => {
                        let rule = format_ident!(
                            "{}",
                            if deriv == BinaryDeriv::Quotient {
                                "div"
                            } else {
                                b.name()
                            },
                            span = span
                        );
                        let p = em.temp("partials");
                        out.extend(quote_spanned!(span=> let #p = #rt::rules::#rule(#xs, #ys);));
                        self.expr(x, Value::Expr(quote_spanned!(span=> (#seed * #p.0))), out);
                        self.expr(y, Value::Expr(quote_spanned!(span=> (#seed * #p.1))), out);
                    }
                    BinaryDeriv::None => unreachable!("`{}` has no derivative", b.name()),
                }
            }
            Op::Powi(x, n) => {
                let (xs, ns) = (em.primal(x), em.primal(n));
                self.expr(
                    x,
                    Value::Expr(quote_spanned!(span=> (#seed * #rt::rules::powi(#xs, #ns)))),
                    out,
                );
            }
            Op::Linalg(op, args) => self.linalg_real(op, args, seed, span, out),
            Op::Lit(_)
            | Op::Len(_)
            | Op::Cast(..)
            | Op::ConstCall(..)
            | Op::Path(_)
            | Op::Ref(_)
            | Op::Matches(..)
            | Op::PathIndex(..)
            | Op::Method(..)
            | Op::AsReal(_) => {
                unreachable!("inactive operations have no adjoint")
            }
        }
    }

    /// `value` as a name: itself if it is one, else a temporary bound to it.
    fn bind_value(&self, value: Value, out: &mut TokenStream) -> Value {
        match value {
            Value::Name(_) => value,
            Value::Expr(e) => {
                let g = self.em.temp("adj");
                out.extend(quote!(let #g = #e;));
                Value::Name(g)
            }
        }
    }

    /// `seed` scaled by the real `factor`.
    fn scale(&self, seed: &MatrixSeed, factor: Value, out: &mut TokenStream) -> MatrixSeed {
        match seed {
            MatrixSeed::Scaled { m, alpha } => {
                let alpha = match alpha {
                    Some(a) => Value::Expr(quote!((#a * #factor))),
                    None => factor,
                };
                MatrixSeed::Scaled {
                    m: m.clone(),
                    alpha: Some(self.bind_value(alpha, out)),
                }
            }
            MatrixSeed::Fill { like, value } => MatrixSeed::Fill {
                like: like.clone(),
                value: self.bind_value(Value::Expr(quote!((#value * #factor))), out),
            },
        }
    }

    /// The seed as a matrix `&M` and a real factor (one when absent).
    fn split(&self, seed: &MatrixSeed, out: &mut TokenStream) -> (TokenStream, Option<Value>) {
        let rt = &self.em.rt;
        match seed {
            MatrixSeed::Scaled { m, alpha } => (m.clone(), alpha.clone()),
            MatrixSeed::Fill { like, value } => {
                let g = self.em.temp("adj");
                out.extend(quote!(let #g = #rt::linalg::filled_like(#like, #value);));
                (quote!(&#g), None)
            }
        }
    }

    /// The factor of a split seed, one when absent.
    fn factor(&self, alpha: &Option<Value>) -> TokenStream {
        let scalar = &self.em.scalar;
        let rt = &self.em.rt;
        match alpha {
            Some(a) => quote!(#a),
            None => quote!(#rt::cst::<#scalar>(1.0)),
        }
    }

    /// `<seed, x>`, a real, for `x` a `&M`.
    fn seed_dot(&self, seed: &MatrixSeed, x: &TokenStream) -> TokenStream {
        match seed {
            MatrixSeed::Scaled { m, alpha: None } => quote!((#m).dot(#x)),
            MatrixSeed::Scaled { m, alpha: Some(a) } => quote!((#a * (#m).dot(#x))),
            MatrixSeed::Fill { value, .. } => quote!((#value * (#x).sum())),
        }
    }

    /// Binds a new matrix given by `value` and seeds `e` with it, scaled by `alpha`.
    fn matrix_from(
        &self,
        e: &Expr,
        value: TokenStream,
        alpha: Option<Value>,
        out: &mut TokenStream,
    ) {
        let g = self.em.temp("adj");
        out.extend(quote!(let #g = #value;));
        let seed = MatrixSeed::Scaled {
            m: quote!(&#g),
            alpha,
        };
        self.matrix(e, seed, out);
    }

    /// Accumulates `seed`, the adjoint of the matrix value of `e`, into the adjoints of its
    /// operands: into a variable's adjoint in place (`ger`, `gemm_tr`, scaled additions), and
    /// through a new matrix for operands that are expressions.
    fn matrix(&self, e: &Expr, seed: MatrixSeed, out: &mut TokenStream) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let active = &em.active;
        if !expr_active(e, active) {
            return;
        }
        let span = e.span;
        let leaf = |x: &Expr| match &x.op {
            Op::Var(v) if em.is_active(*v) => Some(em.bar_mut(*v)),
            _ => None,
        };
        match &e.op {
            Op::Var(v) => {
                let b = em.bar_mut(*v);
                out.extend(match seed {
                    MatrixSeed::Scaled { m, alpha: None } => {
                        quote_spanned!(span=> #rt::linalg::accumulate(#b, #m);)
                    }
                    MatrixSeed::Scaled { m, alpha: Some(a) } => {
                        quote_spanned!(span=> #rt::linalg::accumulate_scaled(#b, #m, #a);)
                    }
                    MatrixSeed::Fill { value, .. } => {
                        quote_spanned!(span=> #rt::linalg::accumulate_fill(#b, #value);)
                    }
                });
            }
            Op::Unary(u, a) => match u.rule().deriv {
                UnaryDeriv::Negate => {
                    let s = self.scale(&seed, Value::Expr(quote!(#rt::cst::<#scalar>(-1.0))), out);
                    self.matrix(a, s, out);
                }
                UnaryDeriv::Chain | UnaryDeriv::None => {
                    unreachable!("not an operation of matrices")
                }
            },
            Op::Binary(b, x, y) => {
                let (xm, ym) = (x.kind == Kind::Matrix, y.kind == Kind::Matrix);
                let deriv = b.rule().deriv;
                match deriv {
                    BinaryDeriv::Add => {
                        self.matrix(x, seed.clone(), out);
                        self.matrix(y, seed, out);
                    }
                    BinaryDeriv::Sub => {
                        if expr_active(y, active) {
                            let neg = self.scale(
                                &seed,
                                Value::Expr(quote!(#rt::cst::<#scalar>(-1.0))),
                                out,
                            );
                            self.matrix(y, neg, out);
                        }
                        self.matrix(x, seed, out);
                    }
                    BinaryDeriv::Product if xm && ym => {
                        let (sm, alpha) = self.split(&seed, out);
                        let (xs, ys) = (em.mat_ref(x), em.mat_ref(y));
                        let factor = self.factor(&alpha);
                        if expr_active(x, active) {
                            match leaf(x) {
                                Some(b) => out.extend(quote_spanned!(span=> #rt::linalg::mul_adjoint_lhs_acc(#b, #sm, #ys, #factor);)),
                                None => self.matrix_from(x, quote_spanned!(span=> #rt::linalg::mul_adjoint_lhs(#sm, #ys, #rt::cst::<#scalar>(1.0))), alpha.clone(), out),
                            }
                        }
                        if expr_active(y, active) {
                            match leaf(y) {
                                Some(b) => out.extend(quote_spanned!(span=> #rt::linalg::mul_adjoint_rhs_acc(#b, #xs, #sm, #factor);)),
                                None => self.matrix_from(y, quote_spanned!(span=> #rt::linalg::mul_adjoint_rhs(#xs, #sm, #rt::cst::<#scalar>(1.0))), alpha, out),
                            }
                        }
                    }
                    BinaryDeriv::Product | BinaryDeriv::Quotient => {
                        let (m, s) = if xm { (x, y) } else { (y, x) };
                        let (ms, ss) = (em.mat_ref(m), em.primal_value(s));
                        if expr_active(s, active) {
                            let d = self.seed_dot(&seed, &ms);
                            let g = if deriv == BinaryDeriv::Quotient {
                                quote_spanned!(span=> (-#d / (#ss * #ss)))
                            } else {
                                d
                            };
                            self.expr(s, Value::Expr(g), out);
                        }
                        let factor = if deriv == BinaryDeriv::Quotient {
                            Value::Expr(quote_spanned!(span=> (#rt::cst::<#scalar>(1.0) / #ss)))
                        } else {
                            ss
                        };
                        let scaled = self.scale(&seed, factor, out);
                        self.matrix(m, scaled, out);
                    }
                    BinaryDeriv::Partials | BinaryDeriv::None => {
                        unreachable!("not an operation of matrices")
                    }
                }
            }
            Op::Linalg(op, args) => {
                let a = &args[0];
                match op {
                    LinOp::Transpose => {
                        let (sm, alpha) = self.split(&seed, out);
                        self.matrix_from(a, quote_spanned!(span=> (#sm).transpose()), alpha, out);
                    }
                    LinOp::Map { param, body } => {
                        // The closure's derivative along `v` times the seed: its tangent.
                        let Some(db) = crate::transform::tangent::expr(em, body) else {
                            return;
                        };
                        let (sm, alpha) = self.split(&seed, out);
                        let (v, vd, xs) = (em.name(*param), em.dot(*param), em.mat_ref(a));
                        self.matrix_from(
                            a,
                            quote_spanned!(span=> (#xs).zip_map(#sm, |#v: #scalar, #vd: #scalar| #db)),
                            alpha,
                            out,
                        );
                    }
                    LinOp::ComponentMul => {
                        let b = &args[1];
                        let (sm, alpha) = self.split(&seed, out);
                        let (xs, ys) = (em.mat_ref(a), em.mat_ref(b));
                        if expr_active(a, active) {
                            self.matrix_from(
                                a,
                                quote_spanned!(span=> (#sm).component_mul(#ys)),
                                alpha.clone(),
                                out,
                            );
                        }
                        if expr_active(b, active) {
                            self.matrix_from(
                                b,
                                quote_spanned!(span=> (#sm).component_mul(#xs)),
                                alpha,
                                out,
                            );
                        }
                    }
                    LinOp::FromSlice(_) => {
                        let Op::Var(v) = &a.op else {
                            unreachable!("vectors are built from array variables")
                        };
                        let (sm, alpha) = self.split(&seed, out);
                        let (b, factor) = (em.bar(*v), self.factor(&alpha));
                        out.extend(quote_spanned!(span=> #rt::linalg::accumulate_into_slice(&mut #b[..], #sm, #factor);));
                    }
                    LinOp::Column | LinOp::Row => {
                        let Op::Var(m) = &a.op else {
                            unreachable!("columns and rows are of variables")
                        };
                        let (sm, alpha) = self.split(&seed, out);
                        let (b, k, factor) =
                            (em.bar_mut(*m), em.primal(&args[1]), self.factor(&alpha));
                        let rule = format_ident!("accumulate_{}", op.name());
                        out.extend(
                            quote_spanned!(span=> #rt::linalg::#rule(#b, #k, #sm, #factor);),
                        );
                    }
                    LinOp::Dot | LinOp::Sum | LinOp::Norm | LinOp::NormSquared | LinOp::Element => {
                        unreachable!("a real, not a matrix")
                    }
                }
            }
            Op::Lit(_)
            | Op::Index(..)
            | Op::Len(_)
            | Op::Powi(..)
            | Op::Cast(..)
            | Op::ConstCall(..)
            | Op::Path(_)
            | Op::Ref(_)
            | Op::Matches(..)
            | Op::PathIndex(..)
            | Op::Method(..)
            | Op::AsReal(_) => unreachable!("not a matrix"),
        }
    }

    /// The adjoint of a real-valued matrix operation for the real `seed`.
    fn linalg_real(
        &self,
        op: &LinOp,
        args: &[Expr],
        seed: Value,
        span: proc_macro2::Span,
        out: &mut TokenStream,
    ) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let a = &args[0];
        let seed = self.bind_value(seed, out);
        let xs = em.mat_ref(a);
        match op {
            LinOp::Dot => {
                let b = &args[1];
                let ys = em.mat_ref(b);
                let to_a = MatrixSeed::Scaled {
                    m: ys,
                    alpha: Some(seed.clone()),
                };
                let to_b = MatrixSeed::Scaled {
                    m: xs,
                    alpha: Some(seed),
                };
                self.matrix(a, to_a, out);
                self.matrix(b, to_b, out);
            }
            LinOp::Sum => self.matrix(
                a,
                MatrixSeed::Fill {
                    like: xs,
                    value: seed,
                },
                out,
            ),
            LinOp::NormSquared => {
                let alpha = self.bind_value(
                    Value::Expr(quote_spanned!(span=> (#rt::cst::<#scalar>(2.0) * #seed))),
                    out,
                );
                self.matrix(
                    a,
                    MatrixSeed::Scaled {
                        m: xs,
                        alpha: Some(alpha),
                    },
                    out,
                );
            }
            LinOp::Norm => {
                let alpha = self.bind_value(
                    Value::Expr(quote_spanned!(span=> #rt::linalg::per_norm(#xs, #seed))),
                    out,
                );
                self.matrix(
                    a,
                    MatrixSeed::Scaled {
                        m: xs,
                        alpha: Some(alpha),
                    },
                    out,
                );
            }
            LinOp::Element => {
                let Op::Var(m) = &a.op else {
                    unreachable!("elements are of variables")
                };
                if em.is_active(*m) {
                    let (b, i, j) = (em.bar(*m), em.primal(&args[1]), em.primal(&args[2]));
                    out.extend(quote_spanned!(span=> #b[(#i, #j)] += #seed;));
                }
            }
            LinOp::Transpose
            | LinOp::Map { .. }
            | LinOp::ComponentMul
            | LinOp::FromSlice(_)
            | LinOp::Column
            | LinOp::Row => {
                unreachable!("a matrix, not a real")
            }
        }
    }

    /// The adjoint of `let var = init`.
    fn init(&self, var: VarId, init: &Init, out: &mut TokenStream) {
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        match init {
            Init::Expr(e) if e.kind == Kind::Matrix => {
                let seed = MatrixSeed::Scaled {
                    m: em.bar_ref(var),
                    alpha: None,
                };
                self.matrix(e, seed, out)
            }
            Init::Expr(e) => self.expr(e, Value::Name(b), out),
            Init::VecFill { value, .. } | Init::ArrayFill { value, .. } => {
                self.expr(value, Value::Expr(quote!(#rt::sum(&#b[..]))), out)
            }
            Init::ArrayList(es) | Init::VecList(es) => {
                for (k, e) in es.iter().enumerate() {
                    self.expr(e, Value::Expr(quote!(#b[#k])), out);
                }
            }
            Init::CopyOf(src) => {
                if em.is_active(*src) {
                    let sb = em.bar(*src);
                    out.extend(quote!(#rt::accumulate(&mut #sb[..], &#b[..]);));
                }
            }
        }
    }

    /// The adjoint of `place = value`, for an active place.
    fn assign(&self, place: &Place, value: &Expr, out: &mut TokenStream) {
        let em = self.em;
        let var = place.var();
        if value.kind == Kind::Matrix {
            return self.assign_matrix(var, value, out);
        }
        let target = match place {
            Place::Var(_) => {
                let b = em.bar(var);
                quote!(#b)
            }
            Place::Index(_, i) => {
                let (b, i) = (em.bar(var), em.primal(i));
                quote!(#b[#i])
            }
        };
        // `x += e` and `x -= e`: the adjoint of x passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if same_place(place, a) && !reads_var(e, var) {
                let g = em.temp("adj");
                out.extend(quote!(let #g = #target;));
                let seed = if *op == Binary::Add {
                    Value::Name(g)
                } else {
                    Value::Expr(quote!((-#g)))
                };
                self.expr(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        let zero = em.zero();
        out.extend(quote!(let #g = #target; #target = #zero;));
        self.expr(value, Value::Name(g), out);
    }

    /// The adjoint of `var = value` for a matrix `var`.
    fn assign_matrix(&self, var: VarId, value: &Expr, out: &mut TokenStream) {
        let scalar = &self.em.scalar;
        let em = self.em;
        let rt = &em.rt;
        let b = em.bar(var);
        // `h += e` and `h -= e`: the adjoint of `h` passes through unchanged.
        if let Op::Binary(op @ (Binary::Add | Binary::Sub), a, e) = &value.op {
            if matches!(a.op, Op::Var(v) if v == var) && !reads_var(e, var) {
                let seed = MatrixSeed::Scaled {
                    m: quote!(&#b),
                    alpha: (*op == Binary::Sub)
                        .then(|| Value::Expr(quote!(#rt::cst::<#scalar>(-1.0)))),
                };
                self.matrix(e, seed, out);
                return;
            }
        }
        let g = em.temp("adj");
        out.extend(quote!(let #g = #rt::linalg::take(&mut #b);));
        let seed = MatrixSeed::Scaled {
            m: quote!(&#g),
            alpha: None,
        };
        self.matrix(value, seed, out);
    }

    fn block(&self, b: &Block, first: StmtId, depth: usize) -> (TokenStream, TokenStream) {
        let em = self.em;
        let mut fwd = TokenStream::new();
        let mut revs = Vec::new();
        for (id, s) in b.numbered(first) {
            let (f, r) = self.stmt(s, id, depth);
            fwd.extend(f);
            revs.push(r);
        }
        let mut rev = TokenStream::new();
        if depth > 0 {
            // Bindings of this scope: what the reverse of the scope needs of them.
            for s in &b.stmts {
                let vars: Vec<VarId> = match s {
                    Stmt::Let { var, .. } => vec![*var],
                    Stmt::Call(c) => c.results.clone(),
                    _ => continue,
                };
                for v in vars {
                    let is_array = matches!(em.var(v).kind, Kind::RealArray(_) | Kind::Matrix);
                    let active = em.is_active(v);
                    if self.plan.needed[v.0] || (active && is_array) {
                        let name = em.name(v);
                        if self.plan.recompute[v.0] {
                            if let Stmt::Let { init, .. } = s {
                                let i = em.init(init);
                                rev.extend(quote!(let mut #name = #i;));
                            }
                        } else {
                            let saved = em.save(depth, &em.var(v).name, quote!(#name));
                            fwd.extend(saved.save);
                            let load = saved.load;
                            rev.extend(quote!(let mut #name = #load;));
                        }
                    }
                    if active {
                        let b = em.bar(v);
                        let z = self.zero_like(v);
                        rev.extend(quote!(let mut #b = #z;));
                    }
                }
            }
        }
        for r in revs.into_iter().rev() {
            rev.extend(r);
        }
        (fwd, rev)
    }

    fn stmt(&self, s: &Stmt, id: StmtId, depth: usize) -> (TokenStream, TokenStream) {
        let em = self.em;
        let mut fwd = TokenStream::new();
        let mut rev = TokenStream::new();
        let keep = self.useful.as_ref().is_none_or(|u| u.contains(&id));
        match s {
            Stmt::Let { var, init, .. } => {
                let (b, i) = (em.binding(*var), em.init(init));
                if keep {
                    fwd.extend(quote!(let #b = #i;));
                }
                if em.is_active(*var) {
                    if depth == 0 {
                        let (bar, z) = (em.bar(*var), self.zero_like(*var));
                        fwd.extend(quote!(let mut #bar = #z;));
                    }
                    self.init(*var, init, &mut rev);
                }
            }
            Stmt::Assign { place, value, .. } => {
                let var = place.var();
                let p = em.place(place);
                if self.plan.saves.contains(&id) {
                    let old = if em.var(var).kind == Kind::Matrix {
                        quote!(#p.clone())
                    } else {
                        quote!(#p)
                    };
                    let saved = em.save(depth, &em.var(var).name, old);
                    fwd.extend(saved.save);
                    let load = saved.load;
                    // Put the old value back before the adjoint reads it.
                    let mut restore = quote!(#p = #load;);
                    if em.is_active(var) {
                        self.assign(place, value, &mut restore);
                    }
                    rev.extend(restore);
                } else if em.is_active(var) {
                    self.assign(place, value, &mut rev);
                }
                if keep {
                    let v = em.primal(value);
                    fwd.extend(quote!(#p = #v;));
                }
            }
            Stmt::Call(c) => self.call(id, keep, c, depth, &mut fwd, &mut rev),
            Stmt::For {
                var, range, body, ..
            } => {
                let (bf, br) = self.block(body, id.inner(), depth + 1);
                let (i, r) = (em.name(*var), em.range(range));
                if !bf.is_empty() {
                    fwd.extend(quote!(for #i in #r { #bf }));
                }
                if !br.is_empty() {
                    rev.extend(quote!(for #i in #r.rev() { #br }));
                }
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                let (tf, tr) = self.block(then, id.inner(), depth + 1);
                let (ef, er) = self.block(els, id.els(then), depth + 1);
                let c = em.primal(cond);
                if tr.is_empty() && er.is_empty() {
                    fwd.extend(quote!(if #c { #tf } else { #ef }));
                } else {
                    let taken = em.temp("branch");
                    fwd.extend(quote!(let #taken = #c;));
                    let load = if depth == 0 {
                        quote!(#taken)
                    } else {
                        let saved = em.save(depth, "branch", quote!(#taken));
                        fwd.extend(saved.save);
                        saved.load
                    };
                    fwd.extend(quote!(if #taken { #tf } else { #ef }));
                    rev.extend(quote!(if #load { #tr } else { #er }));
                }
            }
        }
        (fwd, rev)
    }

    #[allow(clippy::too_many_arguments)] // one statement's context
    fn call(
        &self,
        id: StmtId,
        keep: bool,
        c: &Call,
        depth: usize,
        fwd: &mut TokenStream,
        rev: &mut TokenStream,
    ) {
        let em = self.em;
        let active = c.args.iter().any(|a| arg_active(a, &em.active));
        let primal_args = em.primal_args(&c.args);
        // Arrays the call may write: their state before the call, for the callee's adjoint and for
        // the caller's reverse sweep before this point. The callee's `__{name}_args` says, at
        // compile time, whether it writes the argument and reads its incoming value; the
        // snapshot is taken only when it matters.
        let effects = em.companion(&c.callee, "ARGS");
        let mut snapshots = Vec::new();
        for (k, a) in c.args.iter().enumerate() {
            if let Arg::ArrayMut { var, .. } = a {
                let needed = self.plan.caller_needs.contains(&(id, *var));
                if !(active || needed) {
                    continue;
                }
                let cond = if needed {
                    quote!(#effects[#k].1)
                } else {
                    quote!((#effects[#k].1 && #effects[#k].0))
                };
                let n = em.name(*var);
                let saved = em.save_if(depth, &em.var(*var).name, &cond, quote!(#n[..].to_vec()));
                fwd.extend(saved.save);
                snapshots.push((*var, cond, saved.load));
            }
        }
        let generic = em.companion(&c.callee, "generic");
        if !keep {
            // The reverse-only companion skips a call whose results its reverse sweep never reads.
        } else if c.results.is_empty() {
            fwd.extend(quote_spanned!(c.span=> #generic(#(#primal_args),*);));
        } else {
            let pat = em.call_results(c, |r| em.name(r));
            fwd.extend(quote_spanned!(c.span=> let #pat = #generic(#(#primal_args),*);));
        }
        let mut restore_before = TokenStream::new();
        let mut restore_after = TokenStream::new();
        for (var, cond, load) in snapshots {
            let n = em.name(var);
            let pre = em.temp("before_call");
            restore_before.extend(quote! {
                let #pre = if #cond { ::core::option::Option::Some(#load) } else { ::core::option::Option::None };
                if let ::core::option::Option::Some(__pre) = &#pre { #n[..].copy_from_slice(&__pre[..]); }
            });
            if self.plan.caller_needs.contains(&(id, var)) || !active {
                restore_after.extend(quote! {
                    if let ::core::option::Option::Some(__pre) = &#pre { #n[..].copy_from_slice(&__pre[..]); }
                });
            }
        }
        if depth == 0 {
            // Results are active when the call is, or when active values are assigned to them
            // later.
            for &r in &c.results {
                if em.is_active(r) {
                    let (b, z) = (em.bar(r), self.zero_like(r));
                    fwd.extend(quote!(let mut #b = #z;));
                }
            }
        }
        if !active {
            rev.extend(restore_before);
            return;
        }
        // The callee's reverse-only companion: it recomputes only what its reverse sweep reads.
        let vjp = em.companion(&c.callee, "rev");
        let mut args = Vec::new();
        for (a, p) in c.args.iter().zip(primal_args) {
            args.push(p);
            match a {
                Arg::Value(e) if e.kind == Kind::Real => {
                    args.push(match &e.op {
                        Op::Var(v) if em.is_active(*v) => {
                            let b = em.bar(*v);
                            quote!(&mut #b)
                        }
                        _ => {
                            let z = em.zero();
                            quote!(&mut #z)
                        }
                    });
                }
                Arg::Value(_) => {}
                Arg::Array { var, .. } | Arg::ArrayMut { var, .. } => {
                    if em.is_active(*var) {
                        let b = em.bar(*var);
                        args.push(quote!(&mut #b[..]));
                    } else {
                        args.push(em.zero_array_arg(*var, true, true));
                    }
                }
                Arg::Matrix { var, .. } => {
                    if em.is_active(*var) {
                        args.push(em.bar_mut(*var));
                    } else {
                        let (rt, r) = (&em.rt, em.var_mat_ref(*var));
                        args.push(quote!(&mut #rt::zeros_like(#r)));
                    }
                }
            }
        }
        if !c.results.is_empty() {
            let seeds: Vec<TokenStream> = c
                .results
                .iter()
                .map(|&r| {
                    let b = em.bar(r);
                    match em.var(r).kind {
                        Kind::Real => quote!(#b),
                        Kind::Matrix => em.bar_ref(r),
                        _ => quote!(&#b[..]),
                    }
                })
                .collect();
            args.push(if c.tuple {
                quote!((#(#seeds,)*))
            } else {
                quote!(#(#seeds)*)
            });
        }
        rev.extend(restore_before);
        rev.extend(quote_spanned!(c.span=> #vjp(#(#args),*);));
        rev.extend(restore_after);
    }
}

/// Whether `e` reads exactly `place` (the `x` of `x = x + e`).
fn same_place(place: &Place, e: &Expr) -> bool {
    match (place, &e.op) {
        (Place::Var(v), Op::Var(w)) => v == w,
        (Place::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

/// Structural equality of inactive index expressions.
fn same_expr(a: &Expr, b: &Expr) -> bool {
    use quote::ToTokens;
    match (&a.op, &b.op) {
        (Op::Var(x), Op::Var(y)) | (Op::Len(x), Op::Len(y)) => x == y,
        (Op::Lit(Literal::Other(x)), Op::Lit(Literal::Other(y))) => {
            x.to_token_stream().to_string() == y.to_token_stream().to_string()
        }
        (Op::Binary(o, x1, y1), Op::Binary(p, x2, y2)) => {
            o == p && same_expr(x1, x2) && same_expr(y1, y2)
        }
        (Op::Index(v, i), Op::Index(w, j)) => v == w && same_expr(i, j),
        _ => false,
    }
}

fn reads_var(e: &Expr, v: VarId) -> bool {
    let mut r = Vec::new();
    e.reads(&mut r);
    r.contains(&v)
}

/// The adjoint parameter of `p`, if it has one.
fn bar_param(em: &Emitter, p: &Param) -> Option<TokenStream> {
    let scalar = &em.scalar;
    if !em.is_active(p.var) {
        return None;
    }
    let b = em.bar(p.var);
    Some(match &em.var(p.var).kind {
        Kind::Real => quote!(#b: &mut #scalar),
        Kind::RealArray(_) => quote!(#b: &mut [#scalar]),
        Kind::Matrix => {
            let ty = em.matrix_ty(em.var(p.var).ty.as_ref().expect("parameters have types"));
            quote!(#b: &mut #ty)
        }
        _ => return None,
    })
}

/// The reverse-mode companion `f_vjp`.
pub fn function(em: &Emitter, vis: &syn::Visibility) -> TokenStream {
    let plan = plan(em.f, &em.active);
    let effects = argument_effects(em, vis);
    let vjp = companion(em, vis, &plan, false);
    let rev = companion(em, vis, &plan, true);
    quote! {
        #effects
        #vjp
        #rev
    }
}

/// The statements the reverse-only companion keeps in its forward sweep: those that compute a
/// value its reverse sweep reads (or the shape of an adjoint array), and what they read.
fn useful_statements(f: &Function, active: &[bool], plan: &Plan) -> HashSet<StmtId> {
    let mut wanted: Vec<bool> = plan.needed.clone();
    // An active array's binding gives its adjoint its shape; its values may stay unwanted.
    let shaped =
        |v: VarId| active[v.0] && matches!(f.vars[v.0].kind, Kind::RealArray(_) | Kind::Matrix);
    loop {
        let mut useful = HashSet::new();
        let mut reads = Vec::new();
        f.body.walk_numbered(StmtId::FIRST, &mut |id, s| match s {
            Stmt::Let { var, init, .. } if wanted[var.0] || shaped(*var) => {
                useful.insert(id);
                init.reads(&mut reads);
            }
            Stmt::Assign { place, value, .. } if wanted[place.var().0] => {
                useful.insert(id);
                value.reads(&mut reads);
                if let Place::Index(_, i) = place {
                    i.reads(&mut reads);
                }
            }
            Stmt::Call(c) => {
                let writes_wanted = c.results.iter().any(|r| wanted[r.0] || shaped(*r))
                    || c.args
                        .iter()
                        .any(|a| matches!(a, Arg::ArrayMut { var, .. } if wanted[var.0]));
                if writes_wanted {
                    useful.insert(id);
                    c.args.iter().for_each(|a| a.reads(&mut reads));
                }
            }
            // Branch decisions are saved, and loop ranges evaluated again.
            Stmt::If { cond, .. } => cond.reads(&mut reads),
            Stmt::For { range, .. } => range.reads(&mut reads),
            Stmt::Let { .. } | Stmt::Assign { .. } => {}
        });
        let mut changed = false;
        for r in reads {
            if !wanted[r.0] {
                wanted[r.0] = true;
                changed = true;
            }
        }
        if !changed {
            return useful;
        }
    }
}

/// `f_vjp`, or (`reverse_only`) `__f_rev`: the same reverse sweep after a forward sweep that
/// computes only what the reverse sweep reads, for callers' reverse sweeps, which already have
/// the call's results. After `__f_rev`, `&mut` arguments are in an unspecified state.
fn companion(em: &Emitter, vis: &syn::Visibility, plan: &Plan, reverse_only: bool) -> TokenStream {
    let scalar = &em.scalar;
    let f = em.f;
    let rt = &em.rt;
    em.begin_function();
    let r = Reverse {
        em,
        plan,
        useful: reverse_only.then(|| useful_statements(f, &em.active, plan)),
    };
    let name = if reverse_only {
        format_ident!("__{}_rev", f.name)
    } else {
        format_ident!("{}_vjp", f.name)
    };
    let user = &f.name;
    let result_bar = em.result_bar();
    let mut params = Vec::new();
    let mut prologue = TokenStream::new();
    let mut epilogue = TokenStream::new();
    let written = f.body.writes();
    let mut call_written = Vec::new();
    f.body.walk(&mut |s| {
        if let Stmt::Call(c) = s {
            if c.args.iter().any(|a| arg_active(a, &em.active)) {
                for a in &c.args {
                    if let Arg::ArrayMut { var, .. } = a {
                        call_written.push(*var);
                    }
                }
            }
        }
    });
    // The final values of `&mut` parameters that the reverse sweep disturbs, by parameter.
    let finals_of: Vec<Option<Ident>> = f
        .params
        .iter()
        .map(|p| {
            let kept = !reverse_only
                && matches!(em.var(p.var).kind, Kind::RealArray(ArrayRepr::SliceMut))
                && em.is_active(p.var)
                && (r.plan.needed[p.var.0] || call_written.contains(&p.var));
            kept.then(|| em.fresh(&format!("__{}_final", em.var(p.var).name)))
        })
        .collect();
    for (p, fin) in f.params.iter().zip(&finals_of) {
        params.push(em.primal_param(p));
        params.extend(bar_param(em, p));
        if !em.is_active(p.var) {
            continue;
        }
        let (n, b) = (em.name(p.var), em.bar(p.var));
        let acc = em.fresh(&format!("__{b}_acc"));
        match &em.var(p.var).kind {
            // A scalar's adjoint is accumulated locally (an overwrite of the parameter resets
            // it), then added to the caller's.
            Kind::Real => {
                let z = em.zero();
                prologue.extend(quote!(let #acc: &mut #scalar = #b; let mut #b = #z;));
                epilogue.extend(quote!(*#acc += #b;));
            }
            Kind::RealArray(ArrayRepr::Vec | ArrayRepr::Array(_)) if written.contains(&p.var) => {
                prologue.extend(
                    quote!(let #acc: &mut [#scalar] = #b; let mut #b = #rt::zeros_like(&#n[..]);),
                );
                epilogue.extend(quote!(#rt::accumulate(#acc, &#b[..]);));
            }
            Kind::RealArray(ArrayRepr::SliceMut) if fin.is_some() => {
                // The reverse sweep puts earlier values back; the caller gets the final ones.
                epilogue.extend(quote!(#n.copy_from_slice(&#fin[..]);));
            }
            _ => {}
        }
    }
    let seed_ty = em.result_ty().map(|_| {
        let parts: Vec<TokenStream> = f
            .ret
            .parts
            .iter()
            .enumerate()
            .map(|(i, k)| match k {
                Kind::Real => quote!(#scalar),
                Kind::Matrix => {
                    let t = em.result_part_ty(i);
                    quote!(&#t)
                }
                _ => quote!(&[#scalar]),
            })
            .collect();
        if f.ret.tuple {
            quote!((#(#parts,)*))
        } else {
            quote!(#(#parts)*)
        }
    });
    if let Some(t) = &seed_ty {
        params.push(quote!(#result_bar: #t));
    }
    let (fwd, rev) = r.block(&f.body, StmtId::FIRST, 0);
    // Final values of `&mut` parameters that the reverse sweep disturbs.
    let mut finals = TokenStream::new();
    for (p, fin) in f.params.iter().zip(&finals_of) {
        if let Some(fin) = fin {
            let n = em.name(p.var);
            finals.extend(quote!(let #fin = #n.to_vec();));
        }
    }
    // The result, and the seeding of its adjoint (before the reverse sweep changes any value).
    let mut result_parts = Vec::new();
    let mut seed = TokenStream::new();
    for (k, (e, kind)) in f.ret.values.iter().zip(&f.ret.parts).enumerate() {
        let part = em.temp("result");
        let s = if f.ret.tuple {
            let k = syn::Index::from(k);
            Value::Expr(quote!(#result_bar.#k))
        } else {
            Value::Name(result_bar.clone())
        };
        if *kind == Kind::Real {
            if !reverse_only {
                let v = em.primal(e);
                finals.extend(quote!(let #part = #v;));
            }
            r.expr(e, s, &mut seed);
        } else {
            let Op::Var(v) = &e.op else {
                unreachable!("array results are variables")
            };
            let n = em.name(*v);
            if !reverse_only {
                finals.extend(quote!(let #part = #n.clone();));
            }
            if em.is_active(*v) && *kind == Kind::Matrix {
                let b = em.bar_mut(*v);
                seed.extend(quote!(#rt::linalg::accumulate(#b, #s);));
            } else if em.is_active(*v) {
                let b = em.bar(*v);
                seed.extend(quote!(#rt::accumulate(&mut #b[..], &#s[..]);));
            }
        }
        result_parts.push(part);
    }
    let result = match (result_parts.len(), f.ret.tuple) {
        _ if reverse_only => quote!(),
        (0, _) => quote!(),
        (_, true) => quote!((#(#result_parts,)*)),
        _ => quote!(#(#result_parts)*),
    };
    let ret = if reverse_only {
        None
    } else {
        em.result_ty().map(|t| quote!(-> #t))
    };
    let stacks = em.take_stack_declarations();
    let generics = em.generics();
    let import = em.runtime_import();
    let allows = em.allows();
    let checks = em.length_checks(&name, |v| em.bar(v));
    let doc = format!(
        " Reverse mode of [`{user}`], generated by `#[differentiable]`: each differentiated parameter `x` gets an adjoint `x_bar` after it, into which `J^T {result_bar}` is accumulated; `&mut` arrays' adjoints go in as the adjoint of their final values and come out as the adjoint of their initial values. Returns the value."
    );
    let doc = if reverse_only {
        quote!(#[doc(hidden)])
    } else {
        quote!(#[doc = #doc])
    };
    quote! {
        #doc
        #allows
        #vis fn #name #generics(#(#params),*) #ret {
            #import
            #checks
            #prologue
            #stacks
            #fwd
            #finals
            // Reverse sweep.
            #seed
            #rev
            #epilogue
            #result
        }
    }
}

/// `__f_args`: for each parameter, whether `f` reads the incoming value of an array it may
/// write, and whether it writes it. Callers read it at compile time to skip snapshots of
/// `&mut` arguments that the reverse sweep does not need.
fn argument_effects(em: &Emitter, vis: &syn::Visibility) -> TokenStream {
    let f = em.f;
    let name = format_ident!("__{}_args", f.name);
    let written = f.body.writes();
    let mut read = Vec::new();
    f.body.walk(&mut |s| match s {
        Stmt::Let { init, .. } => init.reads(&mut read),
        Stmt::Assign { place, value, .. } => {
            value.reads(&mut read);
            if let Place::Index(_, i) = place {
                i.reads(&mut read);
            }
        }
        Stmt::Call(c) => c.args.iter().for_each(|a| a.reads(&mut read)),
        Stmt::For { range, .. } => range.reads(&mut read),
        Stmt::If { cond, .. } => cond.reads(&mut read),
    });
    for e in &f.ret.values {
        e.reads(&mut read);
    }
    // `v.len()` does not read the values.
    let mut lengths = Vec::new();
    let mut collect_len = |e: &Expr| collect_lengths(e, &mut lengths);
    f.body.walk(&mut |s| {
        if let Stmt::For { range, .. } = s {
            collect_len(&range.start);
            collect_len(&range.end);
        }
    });
    let entries = f.params.iter().map(|p| {
        let is_array = matches!(em.var(p.var).kind, Kind::RealArray(_));
        let writes = is_array && written.contains(&p.var);
        let reads = is_array
            && read.iter().filter(|&&v| v == p.var).count()
                > lengths.iter().filter(|&&v| v == p.var).count();
        quote!((#reads, #writes))
    });
    let n = f.params.len();
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #name: [(bool, bool); #n] = [#(#entries),*];
    }
}

/// Variables whose length `e` takes.
fn collect_lengths(e: &Expr, out: &mut Vec<VarId>) {
    match &e.op {
        Op::Len(v) => out.push(*v),
        Op::Binary(_, a, b) | Op::Powi(a, b) => {
            collect_lengths(a, out);
            collect_lengths(b, out);
        }
        Op::Unary(_, a)
        | Op::Cast(a, _)
        | Op::AsReal(a)
        | Op::Index(_, a)
        | Op::PathIndex(_, a) => collect_lengths(a, out),
        Op::Method(a, _, args) => {
            collect_lengths(a, out);
            args.iter().for_each(|x| collect_lengths(x, out));
        }
        Op::ConstCall(_, args) | Op::Linalg(_, args) => {
            args.iter().for_each(|x| collect_lengths(x, out))
        }
        Op::Lit(_) | Op::Var(_) | Op::Path(_) | Op::Ref(_) | Op::Matches(..) => {}
    }
}

/// The convenience gradient `f_grad` of a scalar function without `&mut` parameters.
pub fn gradient(em: &Emitter, vis: &syn::Visibility) -> Option<TokenStream> {
    let scalar = &em.scalar;
    let f = em.f;
    let rt = &em.rt;
    if f.ret.parts != [Kind::Real] || f.ret.tuple {
        return None;
    }
    let active: Vec<&Param> = f.params.iter().filter(|p| em.is_active(p.var)).collect();
    if active.is_empty()
        || active
            .iter()
            .any(|p| em.var(p.var).kind == Kind::RealArray(ArrayRepr::SliceMut))
    {
        return None;
    }
    let name = format_ident!("{}_grad", f.name);
    let vjp = format_ident!("{}_vjp", f.name);
    let user = &f.name;
    let params: Vec<TokenStream> = f
        .params
        .iter()
        .map(|p| {
            let n = em.name(p.var);
            let ty = em.param_ty(p.var);
            quote!(#n: #ty)
        })
        .collect();
    let mut setup = TokenStream::new();
    let mut args = Vec::new();
    let mut grads = Vec::new();
    let mut grad_tys = Vec::new();
    for p in &f.params {
        let n = em.name(p.var);
        args.push(quote!(#n));
        if !em.is_active(p.var) {
            continue;
        }
        let b = em.bar(p.var);
        if em.var(p.var).kind == Kind::Real {
            let z = em.zero();
            setup.extend(quote!(let mut #b = #z;));
            args.push(quote!(&mut #b));
            grad_tys.push(quote!(#scalar));
        } else if em.var(p.var).kind == Kind::Matrix {
            let value = em.var_mat_ref(p.var);
            setup.extend(quote!(let mut #b = #rt::zeros_like(#value);));
            args.push(quote!(&mut #b));
            grad_tys.push(em.matrix_ty(em.var(p.var).ty.as_ref().expect("parameters have types")));
        } else {
            setup.extend(quote!(let mut #b = #rt::zeros_like(&#n[..]);));
            args.push(quote!(&mut #b[..]));
            grad_tys.push(quote!(::std::vec::Vec<#scalar>));
        }
        grads.push(b);
    }
    args.push(quote!(#rt::cst::<#scalar>(1.0)));
    let (grad, grad_ty) = if grads.len() == 1 {
        (quote!(#(#grads)*), quote!(#(#grad_tys)*))
    } else {
        (quote!((#(#grads,)*)), quote!((#(#grad_tys,)*)))
    };
    let generics = em.generics();
    let import = em.runtime_import();
    let allows = em.allows();
    let doc = format!(
        " Value and gradient of [`{user}`], generated by `#[differentiable]`: returns `(value, gradient)`, the gradient being one entry per differentiated parameter (a tuple when there are several), `Vec`s for arrays."
    );
    Some(quote! {
        #[doc = #doc]
        #allows
        #vis fn #name #generics(#(#params),*) -> (#scalar, #grad_ty) {
            #import
            #setup
            let __value = #vjp(#(#args),*);
            (__value, #grad)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(src: &str) -> (Function, Plan) {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no args");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        let active = crate::activity::analyse(&f, None);
        let p = plan(&f, &active);
        (f, p)
    }

    fn names(f: &Function, flags: &[bool]) -> Vec<String> {
        f.vars
            .iter()
            .zip(flags)
            .filter(|(_, x)| **x)
            .map(|(v, _)| v.name.clone())
            .collect()
    }

    #[test]
    fn linear_accumulation_needs_no_values() {
        let (f, p) = planned("fn f(u: &[f64]) -> f64 { let mut s = 0.0; for i in 0..u.len() { s += 2.0 * u[i]; } s }");
        // Only the index: the loop bound reads `u`'s length, not its values.
        assert_eq!(names(&f, &p.needed), ["i"]);
    }

    #[test]
    fn products_need_their_other_factor() {
        let (f, p) = planned("fn f(x: f64, y: f64) -> f64 { let z = x * y; z.sin() }");
        assert_eq!(names(&f, &p.needed), ["x", "y", "z"]);
    }

    #[test]
    fn loop_locals_with_invariant_inputs_are_recomputed() {
        let (f, p) = planned(
            "fn f(u: &[f64], out: &mut [f64]) { for i in 0..u.len() { let a = u[i] * u[i]; let b = out[i]; out[i] = a.sin() * b; } }",
        );
        // `a` reads only `u` and `i`; `b` reads `out`, which the loop writes.
        assert_eq!(names(&f, &p.recompute), ["a"]);
    }
}
