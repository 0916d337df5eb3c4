//! A readable printing of the tangent IR, for `TAPELESS_DEBUG=1` and golden tests: the
//! statements in order, one a line, each tangent with the tangents it reads.
//!
//! ```text
//! tangent IR of sum_sq_jvp
//!     let mut s: real = 0.0
//!     let mut s_dot = cst::<S>(0.0)
//!     for i in 0..u.len() {
//!         s_dot = (s_dot +(u_dot[i] * u[i] + u[i] * u_dot[i])), reads s_dot, u_dot
//!         s = (s + (u[i] * u[i]))
//!     }
//!     result tangent: s_dot
//! ```

use super::{TanFunction, TanStmt, Tangent};
use crate::ir::display::{self, Lines};
use crate::ir::rev::print::tokens;
use crate::ir::{Function, Place, Stmt, StmtId, VarId};
use std::collections::HashMap;

/// Prints the tangent IR `ir` of `f` (named `name`: `f_jvp`).
pub fn print(f: &Function, name: &str, ir: &TanFunction) -> String {
    let mut stmts = HashMap::new();
    f.body.walk_numbered(StmtId::FIRST, &mut |id, s| {
        stmts.insert(id, s);
    });
    let mut p = Printer {
        f,
        stmts,
        lines: Lines::default(),
    };
    p.line(&format!("tangent IR of {name}"));
    p.nested(&ir.body);
    if let Some(parts) = &ir.result {
        let parts: Vec<String> = parts.iter().map(tokens).collect();
        p.lines.depth += 1;
        p.line(&format!("result tangent: {}", parts.join(", ")));
        p.lines.depth -= 1;
    }
    p.lines.out
}

struct Printer<'a> {
    f: &'a Function,
    stmts: HashMap<StmtId, &'a Stmt>,
    lines: Lines,
}

impl Printer<'_> {
    fn line(&mut self, text: &str) {
        self.lines.line(text);
    }

    fn nested(&mut self, stmts: &[TanStmt]) {
        self.lines.depth += 1;
        for s in stmts {
            self.stmt(s);
        }
        self.lines.depth -= 1;
    }

    fn name(&self, v: VarId) -> &str {
        &self.f.vars[v].name
    }

    /// `tokens, reads a_dot, b_dot` (without the reads of a zero).
    fn tangent(&self, t: &Tangent) -> String {
        let value = tokens(&t.tokens);
        if t.reads.is_empty() {
            return value;
        }
        let names: Vec<String> = t
            .reads
            .iter()
            .map(|v| format!("{}_dot", self.name(*v)))
            .collect();
        format!("{value}, reads {}", names.join(", "))
    }

    fn stmt(&mut self, s: &TanStmt) {
        let f = self.f;
        let text = match s {
            TanStmt::Let { id, .. }
            | TanStmt::Assign { id, .. }
            | TanStmt::Call { id, .. }
            | TanStmt::Assert { id, .. } => display::head(f, self.stmts[id]),
            TanStmt::LetDot {
                var,
                mutable,
                value,
            } => {
                let m = if *mutable { "mut " } else { "" };
                format!("let {m}{}_dot = {}", self.name(*var), self.tangent(value))
            }
            TanStmt::SetDot { place, value } => {
                let target = match place {
                    Place::Var(v) => format!("{}_dot", self.name(*v)),
                    Place::Index(v, i) => {
                        format!("{}_dot[{}]", self.name(*v), display::expr(f, i))
                    }
                    Place::Push(v, _) => format!("push {}_dot", self.name(*v)),
                };
                format!("{target} = {}", self.tangent(value))
            }
            TanStmt::ZeroDot(v) => {
                let n = self.name(*v);
                format!("let mut {n}_dot = zeros like {n}")
            }
            TanStmt::JvpCall { id, call, args } => {
                let callee = tokens(&quote::ToTokens::to_token_stream(&call.callee));
                let args: Vec<String> = args.iter().map(tokens).collect();
                let head = display::head(f, self.stmts[id]);
                format!("{head} by {callee}::jvp({})", args.join(", "))
            }
            TanStmt::For { id, body, .. } | TanStmt::While { id, body, .. } => {
                self.line(&format!("{} {{", display::head(f, self.stmts[id])));
                self.nested(body);
                self.line("}");
                return;
            }
            TanStmt::If { id, then, els, .. } => {
                self.line(&format!("{} {{", display::head(f, self.stmts[id])));
                self.nested(then);
                self.line("} else {");
                self.nested(els);
                self.line("}");
                return;
            }
        };
        self.line(&text);
    }
}
