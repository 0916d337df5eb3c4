//! A printing of the reverse sweep's plan, for `TAPELESS_DEBUG=1` and golden tests: the
//! statements in reverse order, each with what is put back before its adjoint runs (restored
//! from a local, popped from a stack, recomputed), the adjoints it accumulates into, the primal
//! values its adjoint reads, the callees' reverse companions it calls, loops run backwards and
//! branches replayed from the saved decision.
//!
//! ```text
//! reverse sweep of g
//! seed: t_bar
//! for i in (0..x.len()).rev() {
//!     a: popped; a_bar = 0
//!     replay if (a > t) {
//!         t = (t * a): restore t (popped); accumulate t_bar, a_bar; reads t, a
//!     } ...
//! ```
//!
//! It reads the same [`Plan`] the code generator reads, so what it says is saved is what the
//! generated code saves.

use super::plan::{plan, Plan};
use crate::activity::{arg_active, derivative_sources, init_derivative_sources};
use crate::ir::display::head;
use crate::ir::*;

/// The reverse sweep of `f`, given the activity of its variables.
pub fn describe(f: &Function, active: &IdVec<VarId, bool>) -> String {
    let plan = plan(f, active);
    let mut d = Describer {
        f,
        active,
        plan: &plan,
        out: String::new(),
        depth: 0,
    };
    d.line(&format!("reverse sweep of {}", f.name));
    let mut seeded = Vec::new();
    for e in &f.ret.values {
        derivative_sources(e, active, &mut seeded);
    }
    d.line(&format!("seed: {}", d.bars(&seeded)));
    d.block(&f.body, StmtId::FIRST);
    d.out
}

struct Describer<'a> {
    f: &'a Function,
    active: &'a IdVec<VarId, bool>,
    plan: &'a Plan,
    out: String,
    depth: usize,
}

impl Describer<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn name(&self, v: VarId) -> &str {
        &self.f.vars[v].name
    }

    fn bars(&self, vars: &[VarId]) -> String {
        if vars.is_empty() {
            return "nothing".into();
        }
        let names: Vec<String> = vars
            .iter()
            .map(|v| format!("{}_bar", self.name(*v)))
            .collect();
        names.join(", ")
    }

    fn names(&self, vars: &[VarId]) -> String {
        let mut seen: Vec<VarId> = Vec::new();
        for v in vars {
            if !seen.contains(v) {
                seen.push(*v);
            }
        }
        let names: Vec<&str> = seen.iter().map(|v| self.name(*v)).collect();
        names.join(", ")
    }

    /// A scope's reverse: its bindings brought back, then its statements backwards.
    fn block(&mut self, b: &Block, first: StmtId) {
        if self.depth > 0 {
            for s in &b.stmts {
                let vars = match s {
                    Stmt::Let { var, .. } => vec![*var],
                    Stmt::Call(c) => c.results.clone(),
                    Stmt::Assign { .. } | Stmt::For { .. } | Stmt::If { .. } => continue,
                };
                for v in vars {
                    self.binding(v);
                }
            }
        }
        let stmts: Vec<(StmtId, &Stmt)> = b.numbered(first).collect();
        for (id, s) in stmts.into_iter().rev() {
            self.stmt(s, id);
        }
    }

    /// How a binding of a loop body or branch is back in the scope's reverse.
    fn binding(&mut self, v: VarId) {
        let kind = &self.f.vars[v].kind;
        let is_array = matches!(kind, Kind::RealArray(_) | Kind::Matrix);
        let active = self.active[v];
        let mut parts = Vec::new();
        if self.plan.needed[v] || (active && is_array) {
            parts.push(if self.plan.recompute[v] {
                "recomputed"
            } else {
                "popped"
            });
        }
        if active {
            parts.push("adjoint zeroed");
        }
        if !parts.is_empty() {
            let text = format!("{}: {}", self.name(v), parts.join("; "));
            self.line(&text);
        }
    }

    fn stmt(&mut self, s: &Stmt, id: StmtId) {
        let text = head(self.f, s);
        let mut parts = Vec::new();
        let mut targets = Vec::new();
        let mut reads = Vec::new();
        match s {
            Stmt::Let { var, init, .. } => {
                if self.active[*var] {
                    init_derivative_sources(init, self.active, &mut targets);
                    super::plan::init_partial_reads(init, self.active, &mut reads);
                }
            }
            Stmt::Assign { place, value, .. } => {
                let v = place.var();
                if self.plan.saves.contains(&id) {
                    let from = if self.depth == 0 { "local" } else { "popped" };
                    parts.push(format!("restore {} ({from})", self.name(v)));
                }
                if self.active[v] {
                    derivative_sources(value, self.active, &mut targets);
                    super::plan::partial_reads(value, self.active, &mut reads);
                }
            }
            Stmt::Call(c) => return self.call(c, id, text),
            Stmt::For { body, .. } => {
                self.line(&format!("{text} reversed {{"));
                self.nested(body, id.inner());
                return self.line("}");
            }
            Stmt::If { then, els, .. } => {
                self.line(&format!("replay {text} (the saved decision) {{"));
                self.nested(then, id.inner());
                self.line("} else {");
                self.nested(els, id.els(then));
                return self.line("}");
            }
        }
        if !targets.is_empty() {
            parts.push(format!("accumulate {}", self.bars(&targets)));
        }
        if !reads.is_empty() {
            parts.push(format!("reads {}", self.names(&reads)));
        }
        if parts.is_empty() {
            parts.push("nothing".into());
        }
        self.line(&format!("{text}: {}", parts.join("; ")));
    }

    fn nested(&mut self, b: &Block, first: StmtId) {
        self.depth += 1;
        self.block(b, first);
        self.depth -= 1;
    }

    fn call(&mut self, c: &Call, id: StmtId, text: String) {
        let active = c.args.iter().any(|a| arg_active(a, self.active));
        let mut parts = Vec::new();
        for a in &c.args {
            if let Arg::ArrayMut { var, .. } = a {
                if self.plan.caller_needs.contains(&(id, *var)) {
                    parts.push(format!("restore {} to before the call", self.name(*var)));
                } else if active {
                    parts.push(format!(
                        "restore {} to before the call if the callee reads it",
                        self.name(*var)
                    ));
                }
            }
        }
        if active {
            let callee = quote::ToTokens::to_token_stream(&c.callee)
                .to_string()
                .replace(' ', "");
            parts.push(format!("call the reverse of {callee}"));
            let mut targets = Vec::new();
            for a in &c.args {
                match a {
                    Arg::Value(e) => derivative_sources(e, self.active, &mut targets),
                    Arg::Array { var, .. }
                    | Arg::ArrayMut { var, .. }
                    | Arg::Matrix { var, .. } => {
                        if self.active[*var] {
                            targets.push(*var);
                        }
                    }
                }
            }
            if !targets.is_empty() {
                parts.push(format!("accumulate {}", self.bars(&targets)));
            }
        }
        if parts.is_empty() {
            parts.push("nothing".into());
        }
        self.line(&format!("{text}: {}", parts.join("; ")));
    }
}
