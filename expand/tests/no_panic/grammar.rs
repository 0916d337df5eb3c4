//! Functions from a grammar of the subset and its surroundings: [`Typed`] keeps to bound names
//! of the right kind, [`Wild`] says anything the grammar can.

use crate::Rng;

pub const NAMES: &[&str] = &[
    "x",
    "y",
    "z",
    "t",
    "u",
    "v",
    "a",
    "b",
    "k",
    "n",
    "i",
    "j",
    "s",
    "result",
    "result_bar",
    "x_bar",
    "x_dot",
    "__adj0",
    "__result0",
    "__t0",
    "S",
    "r#x",
    "r#t",
    "r#i",
    "r#match",
    "r#type",
    "r#fn",
    "f64",
    "Vec",
    "_",
];
const REAL_TYPES: &[&str] = &[
    "f64",
    "&[f64]",
    "&mut [f64]",
    "[f64; 3]",
    "&[f64; 3]",
    "&mut [f64; 3]",
    "Vec<f64>",
    "&Vec<f64>",
    "&DVector<f64>",
    "&DMatrix<f64>",
    "SVector<f64, 3>",
    "Vector3<f64>",
    "&mut DVector<f64>",
];
const OTHER_TYPES: &[&str] = &[
    "usize",
    "i32",
    "bool",
    "f32",
    "(f64, f64)",
    "Option<f64>",
    "&[usize]",
    "[[f64; 2]; 2]",
    "impl Fn(f64) -> f64",
    "&&f64",
    "S",
    "Self",
];
const RETURNS: &[&str] = &[
    "-> f64",
    "-> f64",
    "",
    "-> (f64, f64)",
    "-> [f64; 3]",
    "-> Vec<f64>",
    "-> DVector<f64>",
    "-> usize",
    "-> (f64,)",
    "-> ((f64, f64), f64)",
    "-> Result<f64, ()>",
];
const LITERALS: &[&str] = &[
    "0.0",
    "1.0",
    "0.5",
    "2.0",
    "1e-3",
    "1e309",
    "-1e309",
    "1e-400",
    "3.0f32",
    "2.5f64",
    "2",
    "0",
    "7usize",
    "0x10",
    "1_000.0",
    "1.7976931348623157e308",
    "f64::INFINITY",
    "f64::NAN",
    "f64::consts::PI",
    "std::f64::consts::E",
    "HALF",
    "true",
    "'c'",
    "\"s\"",
];
const METHODS: &[&str] = &[
    "sin",
    "cos",
    "exp",
    "ln",
    "sqrt",
    "tanh",
    "abs",
    "norm",
    "sum",
    "transpose",
    "len",
    "clone",
    "norm_squared",
    "signum",
    "floor",
    "unknown",
];
const CALLEES: &[&str] = &[
    "g",
    "r#match",
    "f",
    "h::k",
    "f64::max",
    "rhs",
    "<T as U>::v",
];

/// Anything the grammar can say, bound or not, typed or not.
pub struct Wild<'r> {
    pub rng: &'r mut Rng,
    pub depth: usize,
}

impl Wild<'_> {
    fn name(&mut self) -> &'static str {
        self.rng.pick(NAMES)
    }

    fn ty(&mut self) -> &'static str {
        if self.rng.chance(75) {
            self.rng.pick(REAL_TYPES)
        } else {
            self.rng.pick(OTHER_TYPES)
        }
    }

    fn expr(&mut self) -> String {
        self.depth += 1;
        let leaf = self.depth > 4 || self.rng.chance(35);
        let e = if leaf {
            match self.rng.below(4) {
                0 => self.rng.pick(LITERALS).to_string(),
                _ => self.name().to_string(),
            }
        } else {
            match self.rng.below(22) {
                0..=4 => {
                    let op = self
                        .rng
                        .pick(&["+", "-", "*", "/", "%", "<", "==", "&&", "&", "<<"]);
                    format!("{} {op} {}", self.expr(), self.expr())
                }
                5 => format!("-{}", self.expr()),
                6 => format!("({})", self.expr()),
                7 | 8 => {
                    let m = self.rng.pick(METHODS);
                    format!("{}.{m}()", self.expr())
                }
                9 => {
                    let m = self
                        .rng
                        .pick(&["powi", "powf", "max", "min", "dot", "atan2"]);
                    format!("{}.{m}({})", self.expr(), self.expr())
                }
                10 => {
                    let t = self.rng.pick(&["f64", "i32", "usize", "f32", "u8"]);
                    format!("{} as {t}", self.expr())
                }
                11 => {
                    let c = self.rng.pick(CALLEES);
                    let args: Vec<String> = (0..self.rng.below(3)).map(|_| self.expr()).collect();
                    format!("{c}({})", args.join(", "))
                }
                12 => format!("{}[{}]", self.name(), self.expr()),
                13 => format!(
                    "if {} {{ {} }} else {{ {} }}",
                    self.expr(),
                    self.expr(),
                    self.expr()
                ),
                14 => format!(
                    "match {} {{ 0 => {}, 1 | 2 => {}, _ => {} }}",
                    self.name(),
                    self.expr(),
                    self.expr(),
                    self.expr()
                ),
                15 => format!("[{}, {}, {}]", self.expr(), self.expr(), self.expr()),
                16 => format!("vec![{}; {}]", self.expr(), self.expr()),
                17 => format!(
                    "{{ let {} = {}; {} }}",
                    self.name(),
                    self.expr(),
                    self.expr()
                ),
                18 => format!("({}, {})", self.expr(), self.expr()),
                19 => format!("&{}", self.expr()),
                20 => format!("{}.map(|{}| {})", self.name(), self.name(), self.expr()),
                _ => format!("{}.0", self.expr()),
            }
        };
        self.depth -= 1;
        e
    }

    fn stmt(&mut self) -> String {
        self.depth += 1;
        let s = match self.rng.below(17) {
            0..=3 => {
                let m = if self.rng.chance(40) { "mut " } else { "" };
                let ty = if self.rng.chance(20) {
                    format!(": {}", self.ty())
                } else {
                    String::new()
                };
                format!("let {m}{}{ty} = {};", self.name(), self.expr())
            }
            4 => format!("{} = {};", self.name(), self.expr()),
            5 => {
                let op = self.rng.pick(&["+=", "-=", "*=", "/="]);
                format!("{} {op} {};", self.name(), self.expr())
            }
            6 => format!("{}[{}] = {};", self.name(), self.expr(), self.expr()),
            7 if self.depth < 3 => format!(
                "for {} in 0..{} {{ {} }}",
                self.name(),
                self.expr(),
                self.stmts()
            ),
            8 if self.depth < 3 => format!(
                "if {} {{ {} }} else {{ {} }}",
                self.expr(),
                self.stmts(),
                self.stmts()
            ),
            9 => format!("return {};", self.expr()),
            10 if self.depth < 3 => format!(
                "match {} {{ 0 => {{ {} }} _ => {{ {} }} }}",
                self.name(),
                self.stmts(),
                self.stmts()
            ),
            11 => format!(
                "let ({}, {}) = ({}, {});",
                self.name(),
                self.name(),
                self.expr(),
                self.expr()
            ),
            12 => format!(
                "{}(&mut {}, {});",
                self.rng.pick(CALLEES),
                self.name(),
                self.expr()
            ),
            13 if self.depth < 3 => format!("while {} {{ {} }}", self.expr(), self.stmts()),
            14 if self.depth < 3 => format!("'a: loop {{ {} }}", self.stmts()),
            15 => self
                .rng
                .pick(&[
                    "break;",
                    "continue;",
                    "break 'a;",
                    "continue 'a;",
                    "break 1.0;",
                    "break",
                ])
                .to_string(),
            _ => format!("{};", self.expr()),
        };
        self.depth -= 1;
        s
    }

    fn stmts(&mut self) -> String {
        (0..self.rng.below(4))
            .map(|_| self.stmt())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn function(&mut self) -> String {
        let params: Vec<String> = (0..1 + self.rng.below(3))
            .map(|_| {
                let m = if self.rng.chance(10) { "mut " } else { "" };
                format!("{m}{}: {}", self.name(), self.ty())
            })
            .collect();
        let name = self
            .rng
            .pick(&["f", "r#match", "r#type", "cost", "rhs", "S"]);
        let ret = self.rng.pick(RETURNS);
        let body = self.stmts();
        let tail = if ret.is_empty() || self.rng.chance(10) {
            String::new()
        } else {
            self.expr()
        };
        let attrs = if self.rng.chance(10) {
            "#[allow(overflowing_literals)] "
        } else {
            ""
        };
        format!(
            "{attrs}fn {name}({}) {ret} {{ {body} {tail} }}",
            params.join(", ")
        )
    }
}

/// What a variable of the typed grammar holds.
#[derive(Clone, Copy, PartialEq)]
pub enum Holds {
    Real,
    Slice,
    MutSlice,
    Array,
    Int,
    Vector,
}

/// Functions in the subset, mostly: bound names of the right kind, with now and then a
/// construct of the wild grammar.
pub struct Typed<'r> {
    pub rng: &'r mut Rng,
    pub depth: usize,
    pub scope: Vec<(&'static str, Holds)>,
    pub returns: &'static str,
}

const REAL_LITERALS: &[&str] = &[
    "0.5",
    "2.0",
    "1.0",
    "0.25",
    "3.0",
    "1e-3",
    "1e309",
    "-1e309",
    "1e-400",
    "1.5e300",
    "f64::consts::PI",
    "std::f64::consts::E",
    "f64::INFINITY",
    "2.5f64",
];

impl Typed<'_> {
    fn wild(&mut self) -> Wild<'_> {
        Wild {
            rng: self.rng,
            depth: 3,
        }
    }

    fn var(&mut self, holds: Holds) -> Option<&'static str> {
        let names: Vec<&'static str> = self
            .scope
            .iter()
            .filter(|(_, h)| *h == holds || (holds == Holds::Slice && *h == Holds::MutSlice))
            .map(|(n, _)| *n)
            .collect();
        (!names.is_empty()).then(|| self.rng.pick(&names))
    }

    fn int(&mut self) -> String {
        self.depth += 1;
        let e = match self.rng.below(7) {
            0 | 1 => self
                .var(Holds::Int)
                .map_or_else(|| "1".to_string(), str::to_string),
            2 => self.rng.pick(&["0", "1", "2", "3usize"]).to_string(),
            3 => match self.var(Holds::Slice) {
                Some(u) => format!("{u}.len()"),
                None => "2".to_string(),
            },
            4 if self.depth < 4 => format!("({} + 1) % 3", self.int()),
            5 if self.depth < 4 => format!("{}.abs() as usize", self.int()),
            _ => "0".to_string(),
        };
        self.depth -= 1;
        e
    }

    fn real(&mut self) -> String {
        if self.rng.chance(3) {
            return self.wild().expr();
        }
        self.depth += 1;
        let leaf = self.depth > 4 || self.rng.chance(30);
        let e = if leaf {
            match self.rng.below(5) {
                0 => self.rng.pick(REAL_LITERALS).to_string(),
                1 => match self.var(Holds::Slice) {
                    Some(u) => format!("{u}[{} % {u}.len()]", self.int()),
                    None => "1.0".to_string(),
                },
                2 => match self.var(Holds::Array) {
                    Some(a) => format!("{a}[{}]", self.rng.pick(&["0", "1", "2"])),
                    None => "0.5".to_string(),
                },
                3 => match (self.var(Holds::Vector), self.var(Holds::Vector)) {
                    (Some(v), Some(w)) => match self.rng.below(4) {
                        0 => format!("{v}.norm()"),
                        1 => format!("{v}.dot(&{w})"),
                        2 => format!("{v}.map(|e| e.sin()).sum()"),
                        _ => format!("{v}[0]"),
                    },
                    _ => "0.25".to_string(),
                },
                _ => self
                    .var(Holds::Real)
                    .map_or_else(|| "2.0".to_string(), str::to_string),
            }
        } else {
            match self.rng.below(16) {
                0..=4 => {
                    let op = self.rng.pick(&["+", "-", "*", "/"]);
                    format!("{} {op} {}", self.real(), self.real())
                }
                5 => format!("-({})", self.real()),
                6 | 7 => {
                    let m = self
                        .rng
                        .pick(&["sin", "cos", "exp", "tanh", "sqrt", "abs", "ln"]);
                    format!("({}).{m}()", self.real())
                }
                8 => format!("{}.powi({})", self.real(), self.rng.pick(&["2", "3", "-1"])),
                9 => {
                    let m = self.rng.pick(&["powf", "max", "min"]);
                    format!("{}.{m}({})", self.real(), self.real())
                }
                10 => format!("{} as f64", self.int()),
                11 => {
                    let c = self.rng.pick(&["g", "r#match", "r#type"]);
                    format!("{c}({})", self.real())
                }
                12 => format!(
                    "if {} > {} {{ {} }} else {{ {} }}",
                    self.real(),
                    self.real(),
                    self.real(),
                    self.real()
                ),
                13 => format!(
                    "match {} {{ 0 => {}, _ => {} }}",
                    self.int(),
                    self.real(),
                    self.real()
                ),
                14 => {
                    let mark = self.scope.len();
                    let v = self.rng.pick(NAMES);
                    let init = self.real();
                    self.scope.push((v, Holds::Real));
                    let body = self.real();
                    self.scope.truncate(mark);
                    format!("{{ let {v} = {init}; {body} }}")
                }
                _ => format!("({})", self.real()),
            }
        };
        self.depth -= 1;
        e
    }

    /// A `while`, a `loop` or a `for` with `break`, `continue` (also labelled) and a real or
    /// integer condition.
    fn unbounded_loop(&mut self) -> String {
        let mark = self.scope.len();
        let s = match self.rng.below(3) {
            0 => format!(
                "while {} > {} {{ {} if {} > 0.0 {{ break; }} {} }}",
                self.real(),
                self.real(),
                self.block(),
                self.real(),
                self.block()
            ),
            1 => {
                let (a, n) = (self.block(), self.int());
                self.scope.push(("j", Holds::Int));
                let (b, c, d) = (self.block(), self.real(), self.real());
                format!("'outer: loop {{ {a} for j in 0..{n} {{ {b} if {c} > 0.0 {{ continue 'outer; }} if {d} < 0.0 {{ break 'outer; }} }} break; }}")
            }
            _ => {
                let n = self.int();
                self.scope.push(("k", Holds::Int));
                let (a, m, b) = (self.block(), self.int(), self.block());
                format!("for k in 0..{n} {{ {a} match {m} {{ 0 => continue, 1 => break, _ => {{}} }} {b} }}")
            }
        };
        self.scope.truncate(mark);
        s
    }

    fn block(&mut self) -> String {
        let mark = self.scope.len();
        let body = (0..self.rng.below(4))
            .map(|_| self.stmt())
            .collect::<Vec<_>>()
            .join(" ");
        self.scope.truncate(mark);
        body
    }

    fn stmt(&mut self) -> String {
        if self.rng.chance(3) {
            return self.wild().stmt();
        }
        self.depth += 1;
        let nested = self.depth < 3;
        let s = match self.rng.below(13) {
            0..=2 => {
                let v = self.rng.pick(NAMES);
                let m = if self.rng.chance(40) { "mut " } else { "" };
                let ty = if self.rng.chance(20) { ": f64" } else { "" };
                let init = self.real();
                self.scope.push((v, Holds::Real));
                format!("let {m}{v}{ty} = {init};")
            }
            3 => match self.var(Holds::Real) {
                Some(v) => {
                    let op = self.rng.pick(&["=", "+=", "-=", "*="]);
                    format!("{v} {op} {};", self.real())
                }
                None => String::new(),
            },
            4 => match self.var(Holds::MutSlice) {
                Some(u) => format!("{u}[{} % {u}.len()] = {};", self.int(), self.real()),
                None => String::new(),
            },
            5 if nested => {
                let i = self.rng.pick(&["i", "r#i", "j", "k", "_"]);
                let bound = self.int();
                let mark = self.scope.len();
                self.scope.push((i, Holds::Int));
                let body = self.block();
                self.scope.truncate(mark);
                format!("for {i} in 0..{bound} {{ {body} }}")
            }
            6 if nested => format!(
                "if {} > {} {{ {} }} else {{ {} }}",
                self.real(),
                self.real(),
                self.block(),
                self.block()
            ),
            7 if self.returns == "-> f64" && self.depth == 1 => {
                format!("if {} > 0.0 {{ return {}; }}", self.real(), self.real())
            }
            8 => {
                let (a, b) = (self.rng.pick(NAMES), self.rng.pick(NAMES));
                let (x, y) = (self.real(), self.real());
                self.scope.push((a, Holds::Real));
                self.scope.push((b, Holds::Real));
                format!("let ({a}, {b}) = ({x}, {y});")
            }
            9 if nested => format!(
                "match {} {{ 0 => {{ {} }} 1 | 2 => {{ {} }} _ => {{}} }}",
                self.int(),
                self.block(),
                self.block()
            ),
            10 => match self.var(Holds::Vector) {
                Some(v) => {
                    let w = self.rng.pick(NAMES);
                    let x = self.real();
                    self.scope.push((w, Holds::Vector));
                    format!("let {w} = {v} * {x};")
                }
                None => String::new(),
            },
            11 if nested => self.unbounded_loop(),
            _ => match self.var(Holds::MutSlice) {
                Some(u) => format!("g(&mut {u}, {});", self.real()),
                None => String::new(),
            },
        };
        self.depth -= 1;
        s
    }

    pub fn function(&mut self) -> String {
        let params: Vec<String> = (0..1 + self.rng.below(3))
            .map(|_| {
                let v = self.rng.pick(NAMES);
                let (ty, holds) = self.rng.pick(&[
                    ("f64", Holds::Real),
                    ("f64", Holds::Real),
                    ("&[f64]", Holds::Slice),
                    ("&mut [f64]", Holds::MutSlice),
                    ("[f64; 3]", Holds::Array),
                    ("&[f64; 3]", Holds::Array),
                    ("usize", Holds::Int),
                    ("i32", Holds::Int),
                    ("Vec<f64>", Holds::Slice),
                    ("&DVector<f64>", Holds::Vector),
                    ("SVector<f64, 3>", Holds::Vector),
                ]);
                self.scope.push((v, holds));
                format!("{v}: {ty}")
            })
            .collect();
        let name = self
            .rng
            .pick(&["f", "r#match", "r#type", "cost", "result", "x_bar"]);
        self.returns = self.rng.pick(&[
            "-> f64",
            "-> f64",
            "-> f64",
            "",
            "-> (f64, f64)",
            "-> [f64; 3]",
        ]);
        let body = self.block();
        let tail = match self.returns {
            "-> f64" => self.real(),
            "-> (f64, f64)" => format!("({}, {})", self.real(), self.real()),
            "-> [f64; 3]" => format!("[{}, {}, {}]", self.real(), self.real(), self.real()),
            _ => String::new(),
        };
        format!(
            "#[allow(overflowing_literals)] fn {name}({}) {} {{ {body} {tail} }}",
            params.join(", "),
            self.returns
        )
    }
}
