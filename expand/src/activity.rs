//! Activity analysis: which variables carry derivatives.
//!
//! A variable is active when its value depends, through real arithmetic, on a differentiated
//! parameter (every real parameter, or those of `wrt(..)`). The analysis is flow-insensitive and
//! runs to a fixed point, so loop-carried dependencies are found: a variable is active if any
//! assignment to it is. Integers, bools, lengths, comparisons, casts to integers and results of
//! constant functions are never active; inactive code is copied into the derivatives, not
//! differentiated.
//!
//! Before: `fn f(x: f64, n: usize) { let c = 2.0; let y = c * x; let k = n + 1; }`
//! After:  active = {x, y}; inactive = {n, c, k}

use crate::ir::*;
use crate::rules::Operand;

/// The activity of every variable of `f`, indexed by `VarId`.
pub fn analyse(f: &Function, wrt: Option<&[syn::Ident]>) -> IdVec<VarId, bool> {
    let mut active = IdVec::from_elem(false, f.vars.len());
    for p in &f.params {
        let v = &f.vars[p.var];
        let chosen = match wrt {
            Some(names) => names
                .iter()
                .any(|n| syn::ext::IdentExt::unraw(n) == v.user_name),
            None => true,
        };
        if chosen && v.kind.is_real() {
            active[p.var] = true;
        }
    }
    // A map's closure is differentiated along its argument.
    for p in &f.map_params {
        active[*p] = true;
    }
    loop {
        let mut marks = Vec::new();
        f.body.walk(&mut |s| match s {
            Stmt::Let { var, init, .. } => {
                if init_active(init, &active) {
                    marks.push(*var);
                }
            }
            Stmt::Assign { place, value, .. } => {
                if expr_active(value, &active) {
                    marks.push(place.var());
                }
            }
            Stmt::Call(c) => {
                if c.args.iter().any(|a| arg_active(a, &active)) {
                    marks.extend(&c.results);
                    for a in &c.args {
                        if let Arg::ArrayMut { var, .. } = a {
                            marks.push(*var);
                        }
                    }
                }
            }
            Stmt::For { .. } | Stmt::While { .. } | Stmt::If { .. } | Stmt::Assert(_) => {}
        });
        let mut changed = false;
        for v in marks {
            if !active[v] && f.vars[v].kind.is_real() {
                active[v] = true;
                changed = true;
            }
        }
        if !changed {
            return active;
        }
    }
}

/// Whether an argument carries a derivative into a call.
pub fn arg_active(a: &Arg, active: &IdVec<VarId, bool>) -> bool {
    match a {
        Arg::Value(e) => expr_active(e, active),
        Arg::Array { var, .. } | Arg::ArrayMut { var, .. } | Arg::Matrix { var, .. } => {
            active[*var]
        }
    }
}

/// Whether an initialiser carries a derivative.
pub fn init_active(init: &Init, active: &IdVec<VarId, bool>) -> bool {
    match init {
        Init::Expr(e) | Init::VecFill { value: e, .. } | Init::ArrayFill { value: e, .. } => {
            expr_active(e, active)
        }
        Init::ArrayList(es) | Init::VecList(es) => es.iter().any(|e| expr_active(e, active)),
        Init::CopyOf(v) => active[*v],
    }
}

/// Whether an expression's value depends on an active variable through real operations.
pub fn expr_active(e: &Expr, active: &IdVec<VarId, bool>) -> bool {
    if !e.kind.is_value() {
        return false;
    }
    match &e.op {
        Op::Lit(_)
        | Op::Path(_)
        | Op::Len(_)
        | Op::Ref(_)
        | Op::Matches(..)
        | Op::AsReal(_)
        | Op::Field(..)
        | Op::PathIndex(..)
        | Op::Method(..)
        | Op::ConstCall(..) => false,
        Op::Var(v) | Op::Index(v, _) => active[*v],
        Op::Powi(a, _) | Op::Cast(a, _) => expr_active(a, active),
        Op::Unary(u, a) => u.propagates() && expr_active(a, active),
        Op::Binary(b, x, y) => b.propagates() && (expr_active(x, active) || expr_active(y, active)),
        Op::Ternary(t, a, b, c) => {
            t.propagates() && [a, b, c].iter().any(|x| expr_active(x, active))
        }
        // Through the operands the table lists: a vector built from an array is active when the
        // array is; indices are integers.
        Op::Linalg(op, args) => {
            op.rule()
                .operands
                .iter()
                .zip(args)
                .any(|(operand, a)| match operand {
                    Operand::Matrix | Operand::MatrixVar => expr_active(a, active),
                    Operand::ArrayVar => matches!(a.op, Op::Var(v) if active[v]),
                    Operand::Index => false,
                })
        }
    }
}

/// The active variables whose derivatives flow into the value of `e`: those whose tangents its
/// tangent reads, and whose adjoints its adjoint accumulates into (for the printed sweeps).
pub fn derivative_sources(e: &Expr, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
    if !expr_active(e, active) {
        return;
    }
    match &e.op {
        Op::Var(v) | Op::Index(v, _) => {
            if active[*v] && !out.contains(v) {
                out.push(*v);
            }
        }
        Op::Unary(_, a) | Op::Powi(a, _) => derivative_sources(a, active, out),
        Op::Binary(_, x, y) => {
            derivative_sources(x, active, out);
            derivative_sources(y, active, out);
        }
        Op::Ternary(_, a, b, c) => {
            derivative_sources(a, active, out);
            derivative_sources(b, active, out);
            derivative_sources(c, active, out);
        }
        Op::Linalg(op, args) => {
            for (operand, a) in op.rule().operands.iter().zip(args) {
                match operand {
                    Operand::Matrix | Operand::MatrixVar => derivative_sources(a, active, out),
                    // A vector built from an array: into the array's adjoint.
                    Operand::ArrayVar => {
                        if let Op::Var(v) = a.op {
                            if active[v] && !out.contains(&v) {
                                out.push(v);
                            }
                        }
                    }
                    Operand::Index => {}
                }
            }
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
        | Op::Field(..)
        | Op::AsReal(_) => {}
    }
}

/// [`derivative_sources`] of an initialiser.
pub fn init_derivative_sources(init: &Init, active: &IdVec<VarId, bool>, out: &mut Vec<VarId>) {
    match init {
        Init::Expr(e) | Init::VecFill { value: e, .. } | Init::ArrayFill { value: e, .. } => {
            derivative_sources(e, active, out)
        }
        Init::ArrayList(es) | Init::VecList(es) => {
            es.iter().for_each(|e| derivative_sources(e, active, out))
        }
        Init::CopyOf(v) => {
            if active[*v] {
                out.push(*v);
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

    fn active_names(f: &Function, wrt: Option<&[syn::Ident]>) -> Vec<String> {
        let a = analyse(f, wrt);
        f.vars
            .iter()
            .zip(&a)
            .filter(|(_, a)| **a)
            .map(|(v, _)| v.name.clone())
            .collect()
    }

    #[test]
    fn constants_integers_and_lengths_are_inactive() {
        let f = lowered(
            "fn f(x: f64, u: &[f64], n: usize) -> f64 { let c = 2.0; let m = u.len() + n; let y = c * x + u[m - 1]; y }",
        );
        assert_eq!(active_names(&f, None), ["x", "u", "y"]);
    }

    #[test]
    fn loop_carried_values_become_active() {
        // `b` gets an active value only through `a`, assigned later in the loop body.
        let f = lowered(
            "fn f(x: f64) -> f64 { let mut a = 0.0; let mut b = 0.0; for _i in 0..3 { b = b + a; a = x; } b }",
        );
        assert_eq!(active_names(&f, None), ["x", "a", "b"]);
    }

    #[test]
    fn wrt_restricts_the_roots() {
        let f = lowered("fn f(x: f64, t: f64) -> f64 { let y = t * 2.0; x * y }");
        let wrt = [syn::Ident::new("x", proc_macro2::Span::call_site())];
        assert_eq!(active_names(&f, Some(&wrt)), ["x"]);
    }

    #[test]
    fn calls_with_active_arguments_activate_their_outputs() {
        let f = lowered("fn f(x: f64, out: &mut [f64]) { let mut k = vec![0.0; 2]; g(&mut k, 1.0); h(out, x); }");
        assert_eq!(active_names(&f, None), ["x", "out"]);
    }
}
