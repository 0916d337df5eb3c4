//! A readable printing of the reverse IR, for `TAPELESS_DEBUG=1` and golden tests: the forward
//! sweep, the final copies and result, the seeding, and the reverse sweep, one statement a line;
//! each adjoint under the primal statement it differentiates, with the primal values it reads.
//!
//! ```text
//! reverse:
//!     for i in (0..x.len()).rev() {
//!         recompute a = (x[i] * 2.0)
//!         zero a_bar
//!         replay pop(__branch_stack0) {
//!             restore t = pop(__t_stack0)
//!             adjoint of `t = (t * a)`, reads t, a {
//!                 let __adj0 = t_bar; t_bar = 0
//!                 t_bar += (__adj0 * a)
//! ```

use super::{Cond, RevFunction, RevStmt, Saved, Slot, Target};
use crate::ir::display::{self, Lines};
use crate::ir::{Function, Stmt, StmtId, VarId};
use proc_macro2::{Ident, TokenStream};
use std::collections::HashMap;

/// Prints the reverse IR `ir` of `f` (named `name`: `f_vjp` or `__f_rev`).
pub fn print(f: &Function, name: &str, ir: &RevFunction) -> String {
    let mut stmts = HashMap::new();
    f.body.walk_numbered(StmtId::FIRST, &mut |id, s| {
        stmts.insert(id, s);
    });
    let mut p = Printer {
        f,
        stmts,
        lines: Lines::default(),
    };
    p.line(&format!("reverse IR of {name}"));
    if !ir.stacks.is_empty() {
        let stacks: Vec<String> = ir.stacks.iter().map(|s| s.to_string()).collect();
        p.line(&format!("stacks: {}", stacks.join(", ")));
    }
    for (title, part) in [
        ("forward:", &ir.forward),
        ("finals:", &ir.finals),
        ("seed:", &ir.seed),
        ("reverse:", &ir.reverse),
    ] {
        if part.is_empty() {
            continue;
        }
        p.line(title);
        p.nested(part);
    }
    p.lines.out
}

/// Tokens printed compactly (`__tl::cst::<S>(2.0)` rather than `__tl :: cst :: < S > (2.0)`).
pub(crate) fn tokens(t: &TokenStream) -> String {
    let mut s = t.to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" . ", "."),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" [", "["),
        ("[ ", "["),
        (" ]", "]"),
        (" ,", ","),
        ("& ", "&"),
        ("< ", "<"),
        (" >", ">"),
        (" ;", ";"),
        ("__tl::", ""),
    ] {
        s = s.replace(from, to);
    }
    s
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

    fn nested(&mut self, stmts: &[RevStmt]) {
        self.lines.depth += 1;
        for s in stmts {
            self.stmt(s);
        }
        self.lines.depth -= 1;
    }

    fn name(&self, v: VarId) -> &str {
        &self.f.vars[v].name
    }

    fn load(&self, slot: &Slot) -> String {
        if slot.stack {
            format!("pop({})", slot.name)
        } else {
            slot.name.to_string()
        }
    }

    fn target(&self, t: &Target) -> String {
        match t {
            Target::Var(v) => format!("{}_bar", self.name(*v)),
            Target::Index(v, i) => format!("{}_bar[{}]", self.name(*v), display::expr(self.f, i)),
        }
    }

    fn block(&mut self, head: &str, body: &[RevStmt]) {
        self.line(&format!("{head} {{"));
        self.nested(body);
        self.line("}");
    }

    fn gather(&mut self, g: &super::Gather) {
        let reads: Vec<&str> = g.reads.iter().map(|v| self.name(*v)).collect();
        let what = self
            .stmts
            .get(&g.id)
            .map_or(String::new(), |s| display::head(self.f, s));
        self.line(&format!(
            "gather-form adjoint of `{what}`, reads {} {{",
            reads.join(", ")
        ));
        self.lines.depth += 1;
        for (n, v) in &g.bounds {
            self.line(&format!("let {n} = {}", tokens(v)));
        }
        let i = self.name(g.var).to_string();
        if !g.fast.is_empty() {
            let (lo, hi) = (&g.bounds[2].0, &g.bounds[3].0);
            self.line(&format!("if {lo} < {hi} {{"));
            self.lines.depth += 1;
            for l in &g.fast {
                if l.what == "iteration" {
                    self.block("iteration", &l.body);
                } else {
                    self.block(
                        &format!(
                            "interior: for {i} in {}..{}",
                            tokens(&l.start),
                            tokens(&l.end)
                        ),
                        &l.body,
                    );
                }
            }
            self.lines.depth -= 1;
            self.line("} else:");
        }
        for l in &g.loops {
            let (s, e) = (tokens(&l.start), tokens(&l.end));
            let range = if l.rev {
                format!("({s}..{e}).rev()")
            } else {
                format!("{s}..{e}")
            };
            let head = format!("{}: for {i} in {range}", l.what);
            self.block(&head, &l.body);
        }
        for (w, here) in &g.zero {
            let t = self.target(&Target::Index(*w, here));
            self.line(&format!("for {i} in {}..{} {{ {t} = 0 }}", g.start, g.end));
        }
        self.lines.depth -= 1;
        self.line("}");
    }

    fn branches(&mut self, head: &str, then: &[RevStmt], els: &[RevStmt]) {
        self.line(&format!("{head} {{"));
        self.nested(then);
        self.line("} else {");
        self.nested(els);
        self.line("}");
    }

    fn save(&self, slot: &Slot, value: &Saved, cond: Option<&TokenStream>) -> String {
        let value = match value {
            Saved::Place { place, .. } => display::place(self.f, place),
            Saved::Var(v) => self.name(*v).to_string(),
            Saved::Decision(t) => t.to_string(),
            Saved::ArrayCopy(v) => format!("copy({})", self.name(*v)),
        };
        let verb = if slot.stack { "push" } else { "save" };
        let cond = cond.map_or(String::new(), |c| format!(" if {}", tokens(c)));
        format!("{verb} {value} -> {}{cond}", slot.name)
    }

    fn adjoint(&mut self, id: Option<StmtId>, reads: &[VarId], body: &[RevStmt]) {
        let of = match id {
            Some(id) => format!("`{}`", display::head(self.f, self.stmts[&id])),
            None => "the result".into(),
        };
        let reads = if reads.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = reads.iter().map(|v| self.name(*v)).collect();
            format!(", reads {}", names.join(", "))
        };
        self.block(&format!("adjoint of {of}{reads}"), body);
    }

    fn stmt(&mut self, s: &RevStmt) {
        let f = self.f;
        match s {
            RevStmt::For { var, range, body } => {
                let head = format!("for {} in {}", self.name(*var), display::range(f, range));
                self.block(&head, body)
            }
            RevStmt::While {
                cond,
                trips,
                counted,
                body,
            } => self.block(&self.while_head(cond, *trips, *counted), body),
            RevStmt::If { cond, then, els } => {
                let c = match cond {
                    Cond::Expr(e) => display::expr(f, e),
                    Cond::Decision(t) => t.to_string(),
                };
                self.branches(&format!("if {c}"), then, els)
            }
            RevStmt::Adjoint { id, reads, body } => self.adjoint(*id, reads, body),
            RevStmt::ReverseFor { var, range, body } => {
                let head = format!(
                    "for {} in ({}).rev()",
                    self.name(*var),
                    display::range(f, range)
                );
                self.block(&head, body)
            }
            RevStmt::ReverseWhile { trips, slot, body } => {
                let (load, trips) = (self.load(slot), self.name(*trips));
                self.block(&format!("for _ in 0..{load} (the trips of {trips})"), body)
            }
            RevStmt::Gather(g) => self.gather(g),
            RevStmt::Declare {
                var,
                index,
                body,
                value,
            } => {
                let (v, i) = (self.name(*var), self.name(*index));
                let value = tokens(&quote::ToTokens::to_token_stream(value));
                self.block(&format!("declare {v}_bar[{i}] = {value}, after"), body)
            }
            RevStmt::Replay {
                decision,
                then,
                els,
            } => {
                let head = format!("replay {}", self.load(decision));
                self.branches(&head, then, els)
            }
            line => {
                let text = self.text(line);
                self.line(&text)
            }
        }
    }

    /// A statement printed on one line (`stmt` prints the ones with blocks).
    fn text(&self, s: &RevStmt) -> String {
        let f = self.f;
        match s {
            RevStmt::Skipped { id } => {
                format!(
                    "skip `{}` (not read by the reverse sweep)",
                    display::head(f, self.stmts[id])
                )
            }
            RevStmt::Let { var, init, .. } => {
                format!("let {} = {}", self.name(*var), display::init(f, init))
            }
            RevStmt::Assign { place, value, .. } => {
                format!("{} = {}", display::place(f, place), display::expr(f, value))
            }
            RevStmt::Call { id, .. } | RevStmt::Assert { id, .. } => {
                display::head(f, self.stmts[id])
            }
            RevStmt::Save { slot, value, cond } => self.save(slot, value, cond.as_ref()),
            RevStmt::Zero(v) => format!("zero {}_bar", self.name(*v)),
            RevStmt::Decide { name, cond } => {
                format!("let {name} = {}", display::expr(f, cond))
            }
            RevStmt::FinalCopy { var, name } => {
                format!("let {name} = copy({}) (final value)", self.name(*var))
            }
            RevStmt::ResultPart { name, value, .. } => {
                format!("let {name} = {} (result)", display::expr(f, value))
            }
            RevStmt::Restore { place, slot, .. } => {
                format!("restore {} = {}", display::place(f, place), self.load(slot))
            }
            RevStmt::RestoreArray {
                var,
                slot,
                in_place,
                ..
            } => {
                let how = if *in_place { " (read in place)" } else { "" };
                format!(
                    "restore whole {} = {}{how}",
                    self.name(*var),
                    self.load(slot)
                )
            }
            RevStmt::Unpush { var, .. } => format!("unpush {}", self.name(*var)),
            RevStmt::Rebind { var, slot } => {
                format!("rebind {} = {}", self.name(*var), self.load(slot))
            }
            RevStmt::Recompute { var, init } => {
                format!("recompute {} = {}", self.name(*var), display::init(f, init))
            }
            RevStmt::Accumulate {
                target,
                value,
                write,
                ..
            } => {
                let value = tokens(&quote::quote!(#value));
                let op = if *write { "=" } else { "+=" };
                format!("{} {op} {value}", self.target(target))
            }
            RevStmt::Bind { name, value, .. } => format!("let {name} = {}", tokens(value)),
            RevStmt::Take {
                name,
                target,
                reset,
            } => self.take(name, target, *reset),
            RevStmt::TakeMatrix { name, var } => {
                let v = self.name(*var);
                format!("let {name} = {v}_bar; {v}_bar = 0")
            }
            RevStmt::Update { var, code } => {
                format!("update {}_bar: {}", self.name(*var), tokens(code))
            }
            RevStmt::RestoreArg {
                var, cond, slot, ..
            } => self.restore_arg(*var, cond, slot),
            RevStmt::RestoreAgain { var, .. } => {
                format!("restore {} again (before the call)", self.name(*var))
            }
            RevStmt::ReverseCall { call, args } => reverse_call(call, args),
            RevStmt::For { .. }
            | RevStmt::While { .. }
            | RevStmt::If { .. }
            | RevStmt::Adjoint { .. }
            | RevStmt::ReverseFor { .. }
            | RevStmt::ReverseWhile { .. }
            | RevStmt::Gather(_)
            | RevStmt::Declare { .. }
            | RevStmt::Replay { .. } => String::new(),
        }
    }

    /// The head of a forward `while` loop, saying whether it counts its trips.
    fn while_head(&self, cond: &crate::ir::Expr, trips: VarId, counted: bool) -> String {
        let head = format!("while {}", display::expr(self.f, cond));
        if counted {
            format!("{head} (counting {})", self.name(trips))
        } else {
            head
        }
    }

    /// An adjoint taken out of its variable (and the variable zeroed when `reset`).
    fn take(&self, name: &Ident, target: &Target, reset: bool) -> String {
        let t = self.target(target);
        if reset {
            format!("let {name} = {t}; {t} = 0")
        } else {
            format!("let {name} = {t}")
        }
    }

    /// A `&mut` argument put back into its state before a call.
    fn restore_arg(&self, var: VarId, cond: &TokenStream, slot: &Slot) -> String {
        let (v, load) = (self.name(var), self.load(slot));
        format!("restore {v} = {load} (before the call) if {}", tokens(cond))
    }
}

/// A call of a callee's reverse companion.
fn reverse_call(call: &crate::ir::Call, args: &[TokenStream]) -> String {
    let callee = tokens(&quote::ToTokens::to_token_stream(&call.callee));
    let args: Vec<String> = args.iter().map(tokens).collect();
    format!("call {callee}::rev({})", args.join(", "))
}
