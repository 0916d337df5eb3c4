//! A readable printing of the IR, for `TAPELESS_DEBUG=1` and for golden tests.
//!
//! ```text
//! fn square_sum(x: real[]) -> real {
//!     let mut s: real = 0
//!     for i in 0..x.len() {
//!         s = s + x[i] * x[i]
//!     }
//!     return s
//! }
//! ```

use super::*;
use core::fmt::{self, Display, Formatter, Write};
use quote::ToTokens;

impl Display for Kind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Real => f.write_str("real"),
            Kind::RealArray(ArrayRepr::Slice) => f.write_str("&real[]"),
            Kind::RealArray(ArrayRepr::SliceMut) => f.write_str("&mut real[]"),
            Kind::RealArray(ArrayRepr::Vec) => f.write_str("vec<real>"),
            Kind::RealArray(ArrayRepr::Array(n)) => write!(f, "real[{n}]"),
            Kind::Int => f.write_str("int"),
            Kind::Bool => f.write_str("bool"),
            Kind::Opaque => f.write_str("opaque"),
            Kind::Matrix => f.write_str("matrix"),
        }
    }
}

/// Prints `function` with its variables' emitted names.
pub fn print(function: &Function) -> String {
    let mut p = Printer {
        f: function,
        lines: Lines::default(),
    };
    p.function();
    p.lines.out
}

/// The first line of statement `s` of `function`: the whole of a simple statement, the head of
/// a loop (`for i in 0..n`) or a branch (`if (a > t)`).
pub fn head(function: &Function, s: &Stmt) -> String {
    let mut p = Printer {
        f: function,
        lines: Lines::default(),
    };
    match s {
        Stmt::For { var, range, .. } => format!("for {} in {}", p.name(*var), p.range(range)),
        Stmt::If { cond, .. } => format!("if {}", p.expr(cond)),
        Stmt::While { cond, .. } => format!("while {}", p.expr(cond)),
        Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Call(_) | Stmt::Assert(_) => {
            p.stmt(s);
            p.lines.out.trim_end().to_string()
        }
    }
}

/// Expression `e` of `function`, as [`print()`] prints it.
pub fn expr(function: &Function, e: &Expr) -> String {
    printer(function).expr(e)
}

/// Initialiser `init` of `function`, as [`print()`] prints it.
pub fn init(function: &Function, init: &Init) -> String {
    printer(function).init(init)
}

/// Place `p` of `function`, as [`print()`] prints it.
pub fn place(function: &Function, p: &Place) -> String {
    printer(function).place(p)
}

/// Range `r` of `function`, as [`print()`] prints it.
pub fn range(function: &Function, r: &Range) -> String {
    printer(function).range(r)
}

fn printer(f: &Function) -> Printer<'_> {
    Printer {
        f,
        lines: Lines::default(),
    }
}

/// Indented lines, four spaces a level: what every IR printer (`display`, the tangent and
/// reverse IRs' printers) writes into.
#[derive(Default)]
pub(crate) struct Lines {
    pub(crate) out: String,
    pub(crate) depth: usize,
}

impl Lines {
    pub(crate) fn line(&mut self, text: &str) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }
}

struct Printer<'a> {
    f: &'a Function,
    lines: Lines,
}

impl Printer<'_> {
    fn name(&self, v: VarId) -> &str {
        &self.f.vars[v].name
    }

    fn line(&mut self, text: &str) {
        self.lines.line(text);
    }

    fn function(&mut self) {
        let params: Vec<String> = self
            .f
            .params
            .iter()
            .map(|p| format!("{}: {}", self.name(p.var), self.f.vars[p.var].kind))
            .collect();
        let ret: Vec<String> = self.f.ret.parts.iter().map(|k| k.to_string()).collect();
        let consts: Vec<String> = self
            .f
            .const_params
            .iter()
            .map(|c| format!("const {}: usize", c.ident))
            .collect();
        let generics = if consts.is_empty() {
            String::new()
        } else {
            format!("<{}>", consts.join(", "))
        };
        let head = format!(
            "fn {}{generics}({}) -> ({}) {{",
            self.f.name,
            params.join(", "),
            ret.join(", ")
        );
        self.line(&head);
        self.lines.depth += 1;
        self.block(&self.f.body);
        let values: Vec<String> = self.f.ret.values.iter().map(|e| self.expr(e)).collect();
        let ret = format!("return ({})", values.join(", "));
        self.line(&ret);
        self.lines.depth -= 1;
        self.line("}");
    }

    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { var, init, .. } => {
                let v = &self.f.vars[*var];
                let m = if v.mutable { "mut " } else { "" };
                let text = format!("let {m}{}: {} = {}", v.name, v.kind, self.init(init));
                self.line(&text);
            }
            Stmt::Assign { place, value, .. } => {
                let text = format!("{} = {}", self.place(place), self.expr(value));
                self.line(&text);
            }
            Stmt::Call(c) => {
                let args: Vec<String> = c
                    .args
                    .iter()
                    .map(|a| match a {
                        Arg::Value(e) => self.expr(e),
                        Arg::Array { var, .. } => format!("&{}", self.name(*var)),
                        Arg::ArrayMut { var, .. } => format!("&mut {}", self.name(*var)),
                        Arg::Matrix { var, .. } => format!("&{}", self.name(*var)),
                    })
                    .collect();
                let results: Vec<&str> = c.results.iter().map(|v| self.name(*v)).collect();
                let callee = c.callee.to_token_stream().to_string().replace(' ', "");
                let text = match results.len() {
                    0 => format!("call {callee}({})", args.join(", ")),
                    1 if !c.tuple => {
                        format!("let {} = call {callee}({})", results[0], args.join(", "))
                    }
                    _ => format!(
                        "let ({}) = call {callee}({})",
                        results.join(", "),
                        args.join(", ")
                    ),
                };
                self.line(&text);
            }
            Stmt::Assert(a) => {
                let args: Vec<String> = a.exprs().map(|e| self.expr(e)).collect();
                let text = format!("{}!({})", a.mac, args.join(", "));
                self.line(&text);
            }
            Stmt::For {
                var, range, body, ..
            } => {
                let text = format!("for {} in {} {{", self.name(*var), self.range(range));
                self.line(&text);
                self.lines.depth += 1;
                self.block(body);
                self.lines.depth -= 1;
                self.line("}");
            }
            Stmt::While { cond, body, .. } => {
                let text = format!("while {} {{", self.expr(cond));
                self.line(&text);
                self.lines.depth += 1;
                self.block(body);
                self.lines.depth -= 1;
                self.line("}");
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                let text = format!("if {} {{", self.expr(cond));
                self.line(&text);
                self.lines.depth += 1;
                self.block(then);
                self.lines.depth -= 1;
                if !els.stmts.is_empty() {
                    self.line("} else {");
                    self.lines.depth += 1;
                    self.block(els);
                    self.lines.depth -= 1;
                }
                self.line("}");
            }
        }
    }

    fn range(&self, r: &Range) -> String {
        let dots = if r.inclusive { "..=" } else { ".." };
        let mut s = format!("{}{dots}{}", self.expr(&r.start), self.expr(&r.end));
        for a in &r.adaptors {
            match a {
                Adaptor::Rev => s = format!("({s}).rev()"),
                Adaptor::StepBy(k) => s = format!("({s}).step_by({})", self.expr(k)),
            }
        }
        s
    }

    fn init(&self, init: &Init) -> String {
        match init {
            Init::Expr(e) => self.expr(e),
            Init::VecFill { value, len } => {
                format!("vec![{}; {}]", self.expr(value), self.expr(len))
            }
            Init::ArrayFill { value, len } => format!("[{}; {len}]", self.expr(value)),
            Init::ArrayList(es) => format!("[{}]", self.list(es)),
            Init::VecList(es) => format!("vec![{}]", self.list(es)),
            Init::CopyOf(v) => format!("copy({})", self.name(*v)),
        }
    }

    fn list(&self, es: &[Expr]) -> String {
        es.iter()
            .map(|e| self.expr(e))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn place(&self, p: &Place) -> String {
        match p {
            Place::Var(v) => self.name(*v).to_string(),
            Place::Index(v, i) => format!("{}[{}]", self.name(*v), self.expr(i)),
            Place::Push(v, _) => format!("push {}", self.name(*v)),
        }
    }

    fn expr(&self, e: &Expr) -> String {
        let mut s = String::new();
        match &e.op {
            Op::Lit(Literal::Real(x)) => {
                let _ = write!(s, "{x:?}");
            }
            Op::Lit(Literal::Other(l)) => s = l.to_token_stream().to_string(),
            Op::Var(v) => s.push_str(self.name(*v)),
            Op::Index(v, i) => s = format!("{}[{}]", self.name(*v), self.expr(i)),
            Op::Len(v) => s = format!("{}.len()", self.name(*v)),
            Op::Unary(Unary::Neg, a) => s = format!("-{}", self.expr(a)),
            Op::Unary(Unary::Not, a) => s = format!("!{}", self.expr(a)),
            Op::Unary(u, a) => s = format!("{}({})", u.name(), self.expr(a)),
            Op::Binary(b, x, y) if b.is_method() => {
                s = format!("{}({}, {})", b.name(), self.expr(x), self.expr(y))
            }
            Op::Binary(b, x, y) => s = format!("({} {} {})", self.expr(x), b.name(), self.expr(y)),
            Op::Ternary(t, a, b, c) => {
                s = format!(
                    "{}({}, {}, {})",
                    t.name(),
                    self.expr(a),
                    self.expr(b),
                    self.expr(c)
                )
            }
            Op::Powi(x, n) => s = format!("powi({}, {})", self.expr(x), self.expr(n)),
            Op::Cast(x, ty) => {
                s = format!(
                    "({} as {})",
                    self.expr(x),
                    ty.to_token_stream().to_string().replace(' ', "")
                )
            }
            Op::ConstCall(p, args) => {
                let path = p.to_token_stream().to_string().replace(' ', "");
                s = format!("const {path}({})", self.list(args))
            }
            Op::Path(p) => s = p.to_token_stream().to_string().replace(' ', ""),
            Op::Ref(v) => s = format!("&{}", self.name(*v)),
            Op::Matches(v, pat) => {
                let pat = pat.to_token_stream().to_string();
                s = format!("matches({}, {pat})", self.name(*v))
            }
            Op::AsReal(a) => s = format!("real({})", self.expr(a)),
            Op::Field(a, k) => s = format!("{}.{k}", self.expr(a)),
            Op::PathIndex(p, i) => {
                let path = p.to_token_stream().to_string().replace(' ', "");
                s = format!("{path}[{}]", self.expr(i))
            }
            Op::Method(a, m, args) => s = format!("{}.{m}({})", self.expr(a), self.list(args)),
            Op::Linalg(LinOp::Map { param, body }, args) => {
                s = format!(
                    "{}.map(|{}| {})",
                    self.expr(&args[0]),
                    self.name(*param),
                    self.expr(body)
                )
            }
            Op::Linalg(LinOp::FromSlice(p, order), args) => {
                let path = p.to_token_stream().to_string().replace(' ', "");
                let mut shown: Vec<String> = args[1..].iter().map(|d| self.expr(d)).collect();
                shown.push(self.expr(&args[0]));
                s = format!("{path}::{}({})", order.constructor(), shown.join(", "))
            }
            Op::Linalg(LinOp::Element, args) => {
                s = format!("{}[({})]", self.expr(&args[0]), self.list(&args[1..]))
            }
            Op::Linalg(op, args) => {
                s = format!(
                    "{}.{}({})",
                    self.expr(&args[0]),
                    op.name(),
                    self.list(&args[1..])
                )
            }
        }
        s
    }
}
