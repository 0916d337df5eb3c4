//! The lengths an array parameter needs, read from how the body indexes it: what the generated
//! `ode::Rhs::dims` states, so that an integrator refuses a state or parameter vector of the
//! wrong length before it integrates, instead of panicking inside the generated code (too
//! short) or silently leaving components constant (too long).
//!
//! Before: `fn lorenz63(du: &mut [f64], u: &[f64], p: &[f64], t: f64) { du[0] = p[0] * (u[1] - u[0]); .. }`
//! After:  `u`: exactly 3, `p`: exactly 3; `fn lorenz96(..) { for i in 0..u.len() { .. } }`: any.

use crate::ir::*;

/// The state's need from those of `du` (written) and `u` (read): exact when either is (a longer
/// state would hold components the function never writes or reads), at the largest index.
pub fn state(du: Needed, u: Needed) -> Needed {
    use Needed::*;
    match (du, u) {
        (Exactly(a), Exactly(b) | AtLeast(b)) | (AtLeast(b), Exactly(a)) => Exactly(a.max(b)),
        (Exactly(a), Any) | (Any, Exactly(a)) => Exactly(a),
        (AtLeast(a), AtLeast(b)) => AtLeast(a.max(b)),
        (AtLeast(a), Any) | (Any, AtLeast(a)) => AtLeast(a),
        (Any, Any) => Any,
    }
}

/// The lengths of an array parameter that the function works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needed {
    /// Only constant indices below `n` are read or written: a longer array would hold
    /// components the function never sees, a shorter one would be indexed out of bounds.
    Exactly(usize),
    /// Constant indices below `n`, and other accesses whose extent depends on the length.
    AtLeast(usize),
    /// No constant index: any length.
    Any,
}

/// What `f`'s body needs of the length of array `v`.
pub fn needed(f: &Function, v: VarId) -> Needed {
    let mut acc = Accesses {
        v,
        constant: Vec::new(),
        other: 0,
    };
    f.body.walk(&mut |s| match s {
        Stmt::Let { init, .. } => match init {
            Init::Expr(e) | Init::ArrayFill { value: e, .. } => acc.expr(e),
            Init::VecFill { value, len } => {
                acc.expr(value);
                acc.expr(len);
            }
            Init::ArrayList(es) | Init::VecList(es) => es.iter().for_each(|e| acc.expr(e)),
            Init::CopyOf(w) => acc.whole(*w),
        },
        Stmt::Assign { place, value, .. } => {
            acc.expr(value);
            match place {
                Place::Var(w) => acc.whole(*w),
                Place::Index(w, i) => {
                    acc.expr(i);
                    acc.index(*w, i);
                }
                // A pushed `Vec` is a local, never a parameter.
                Place::Push(..) => {}
            }
        }
        Stmt::Call(c) => {
            for a in &c.args {
                match a {
                    Arg::Value(e) => acc.expr(e),
                    Arg::Array { var, .. }
                    | Arg::ArrayMut { var, .. }
                    | Arg::Matrix { var, .. } => acc.whole(*var),
                }
            }
        }
        Stmt::For { range, .. } => {
            acc.expr(&range.start);
            acc.expr(&range.end);
            for a in &range.adaptors {
                if let Adaptor::StepBy(e) = a {
                    acc.expr(e);
                }
            }
        }
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => acc.expr(cond),
        Stmt::Assert(a) => a.exprs().for_each(|e| acc.expr(e)),
    });
    for e in &f.ret.values {
        acc.expr(e);
    }
    match (acc.constant.iter().max(), acc.other) {
        (None, _) => Needed::Any,
        (Some(&k), 0) => Needed::Exactly(k + 1),
        (Some(&k), _) => Needed::AtLeast(k + 1),
    }
}

/// The accesses of one array: constant indices, and the count of every other use.
struct Accesses {
    v: VarId,
    constant: Vec<usize>,
    other: usize,
}

impl Accesses {
    /// A use of `w` whole (passed, copied, assigned).
    fn whole(&mut self, w: VarId) {
        self.other += usize::from(w == self.v);
    }

    /// An element `w[i]`.
    fn index(&mut self, w: VarId, i: &Expr) {
        if w == self.v {
            match constant_index(i) {
                Some(k) => self.constant.push(k),
                None => self.other += 1,
            }
        }
    }

    /// Every access in `e`.
    fn expr(&mut self, e: &Expr) {
        each_expr(e, &mut |e| match &e.op {
            Op::Index(w, i) => self.index(*w, i),
            Op::Var(w) | Op::Len(w) | Op::Ref(w) | Op::Matches(w, _) => self.whole(*w),
            _ => {}
        });
    }
}

/// The value of an integer literal index.
fn constant_index(e: &Expr) -> Option<usize> {
    match &e.op {
        Op::Lit(Literal::Other(syn::Lit::Int(i))) => i.base10_parse().ok(),
        _ => None,
    }
}

/// Calls `f` on `e` and on every expression inside it, without recursion (generated and user
/// expressions can be thousands of operations deep).
fn each_expr<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    let mut pending = vec![e];
    while let Some(e) = pending.pop() {
        f(e);
        match &e.op {
            Op::Lit(_) | Op::Var(_) | Op::Len(_) | Op::Ref(_) | Op::Matches(..) | Op::Path(_) => {}
            Op::Index(_, a) | Op::Unary(_, a) | Op::Cast(a, _) | Op::AsReal(a) => pending.push(a),
            Op::PathIndex(_, a) | Op::Field(a, _) => pending.push(a),
            Op::Binary(_, a, b) | Op::Powi(a, b) => {
                pending.push(a);
                pending.push(b);
            }
            Op::Ternary(_, a, b, c) => {
                pending.push(a);
                pending.push(b);
                pending.push(c);
            }
            Op::Method(a, _, args) => {
                pending.push(a);
                pending.extend(args);
            }
            Op::ConstCall(_, args) | Op::Linalg(_, args) => pending.extend(args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(src: &str) -> Vec<Needed> {
        let item: syn::ItemFn = syn::parse_str(src).expect("parses");
        let args = crate::attr::parse(Default::default()).expect("no arguments");
        let f = crate::lower::lower(&item, &args).expect("lowers");
        f.params.iter().map(|p| needed(&f, p.var)).collect()
    }

    #[test]
    fn constant_indices_fix_the_length() {
        let n = needs(
            "fn l63(du: &mut [f64], u: &[f64], p: &[f64], t: f64) { du[0] = p[0] * (u[1] - u[0]); du[1] = u[0] * (p[1] - u[2]) - u[1]; du[2] = u[0] * u[1] - p[2] * u[2]; }",
        );
        assert_eq!(n[..3], [Needed::Exactly(3); 3]);
    }

    #[test]
    fn loops_over_the_length_take_any_length() {
        let n = needs(
            "fn l96(du: &mut [f64], u: &[f64], p: &[f64], t: f64) { let n = u.len(); for i in 0..n { du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + p[0]; } }",
        );
        assert_eq!(n[..3], [Needed::Any, Needed::Any, Needed::Exactly(1)]);
    }

    #[test]
    fn constant_and_other_accesses_need_at_least() {
        let n = needs(
            "fn f(du: &mut [f64], u: &[f64], p: &[f64], t: f64) { for i in 0..u.len() { du[i] = u[i] * p[1]; } du[0] = u[3]; }",
        );
        assert_eq!(
            n[..3],
            [Needed::AtLeast(1), Needed::AtLeast(4), Needed::Exactly(2)]
        );
    }
}
