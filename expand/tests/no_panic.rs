//! The expansion never panics, whatever the tokens: a seeded property test over
//! grammar-generated functions in and around the supported subset, mutations of the functions
//! this repository differentiates, and token soup, each with random attribute arguments.
//!
//! Every input must expand without a panic to Rust that parses, or to the user's tokens plus
//! `compile_error!`s. On failure the seed and the input are printed; rerun one input with
//! `TAPELESS_NO_PANIC_ONE=<seed> cargo test -p tapeless-expand --test no_panic`, or explore
//! further with `TAPELESS_NO_PANIC_SEED=<n> TAPELESS_NO_PANIC_CASES=<count>`.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Inputs per strategy and run: three strategies, so above 10,000 in all.
const CASES: u64 = 3400;

struct Rng(Xoshiro256PlusPlus);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

fn base_seed() -> u64 {
    std::env::var("TAPELESS_NO_PANIC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7a9e_1e55)
}

fn cases() -> u64 {
    std::env::var("TAPELESS_NO_PANIC_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES)
}

thread_local! {
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `make(seed)` for `cases()` seeds and expands each input; fails listing every input
/// that panicked or expanded to tokens that are not Rust; and fails if fewer than
/// `min_clean_percent` of them expanded without error, so that a strategy keeps reaching past
/// the parser into the transforms.
fn run(
    strategy: &str,
    salt: u64,
    min_clean_percent: u64,
    make: impl Fn(&mut Rng) -> (TokenStream, TokenStream),
) {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let caught = PANIC.with(|p| {
                let mut p = p.borrow_mut();
                if p.is_some() {
                    *p = Some(format!("{info}"));
                    true
                } else {
                    false
                }
            });
            if !caught {
                default(info);
            }
        }));
    });
    let base = base_seed();
    let one: Option<u64> = std::env::var("TAPELESS_NO_PANIC_ONE")
        .ok()
        .and_then(|s| s.parse().ok());
    let seeds: Vec<u64> = match one {
        Some(seed) => vec![seed],
        None => (0..cases())
            .map(|k| base.wrapping_add(k).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt)
            .collect(),
    };
    let mut failures = Vec::new();
    let mut expanded = 0;
    for &seed in &seeds {
        let (attr, item) = make(&mut Rng::new(seed));
        match check(attr.clone(), item.clone()) {
            Ok(clean) => expanded += u64::from(clean),
            Err(why) => failures.push(format!(
                "{strategy} seed {seed}: {why}\n  attribute: {attr}\n  item: {item}"
            )),
        }
    }
    eprintln!(
        "{strategy}: {expanded} of {} inputs expanded without error",
        seeds.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {strategy} inputs failed:\n{}",
        failures.len(),
        seeds.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        one.is_some() || expanded * 100 >= min_clean_percent * seeds.len() as u64,
        "only {expanded} of {} {strategy} inputs expanded without error; the strategy no longer reaches the transforms",
        seeds.len()
    );
}

/// Whether the expansion is clean (no `compile_error!`), or why it is wrong.
fn check(attr: TokenStream, item: TokenStream) -> Result<bool, String> {
    PANIC.with(|p| *p.borrow_mut() = Some(String::new()));
    let out = catch_unwind(AssertUnwindSafe(|| {
        tapeless_expand::differentiable(attr, item)
    }));
    let message = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
    let out = out.map_err(|_| format!("panicked: {message}"))?;
    let has_error = out.clone().into_iter().collect::<Vec<_>>().windows(2).any(|w| {
        matches!((&w[0], &w[1]), (TokenTree::Ident(i), TokenTree::Punct(p)) if i == "compile_error" && p.as_char() == '!')
    });
    if has_error || syn::parse2::<syn::File>(out.clone()).is_ok() {
        Ok(!has_error)
    } else {
        Err(format!(
            "the expansion is not Rust and has no `compile_error!`: {out}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Attribute arguments.

fn attribute(rng: &mut Rng) -> TokenStream {
    let text = if rng.chance(60) {
        ""
    } else {
        rng.pick(&[
            "wrt(x)",
            "wrt(x, y)",
            "wrt()",
            "wrt(r#x)",
            "wrt(zz)",
            "wrt(u, p)",
            "rhs = R",
            "rhs = r#match",
            "constants(f)",
            "constants(g, h::k)",
            "crate = tapeless",
            "crate = \"::tapeless\"",
            "crate = \"not a path\"",
            "wrt(x), wrt(y)",
            "wrt(x), constants(g), rhs = Rhs",
            "foo",
            "wrt = x",
            "rhs",
            "constants",
            "wrt(1.0)",
        ])
    };
    text.parse().expect("attribute text lexes")
}

// ---------------------------------------------------------------------------------------------
// (1) Functions from a grammar of the subset and its surroundings.

const NAMES: &[&str] = &[
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
struct Wild<'r> {
    rng: &'r mut Rng,
    depth: usize,
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
        let s = match self.rng.below(14) {
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

    fn function(&mut self) -> String {
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
enum Holds {
    Real,
    Slice,
    MutSlice,
    Array,
    Int,
    Vector,
}

/// Functions in the subset, mostly: bound names of the right kind, with now and then a
/// construct of the wild grammar.
struct Typed<'r> {
    rng: &'r mut Rng,
    depth: usize,
    scope: Vec<(&'static str, Holds)>,
    returns: &'static str,
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
        let s = match self.rng.below(12) {
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
            _ => match self.var(Holds::MutSlice) {
                Some(u) => format!("g(&mut {u}, {});", self.real()),
                None => String::new(),
            },
        };
        self.depth -= 1;
        s
    }

    fn function(&mut self) -> String {
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

#[test]
fn grammar_generated_functions_never_panic() {
    run("grammar", 1, 10, |rng| {
        let attr = attribute(rng);
        let src = if rng.chance(20) {
            Wild { rng, depth: 0 }.function()
        } else {
            Typed {
                rng,
                depth: 0,
                scope: Vec::new(),
                returns: "",
            }
            .function()
        };
        let item = src
            .parse()
            .unwrap_or_else(|e| panic!("generated text lexes: {e}: {src}"));
        (attr, item)
    });
}

// ---------------------------------------------------------------------------------------------
// (2) Mutations of the functions this repository differentiates.

/// Every `#[differentiable]` function of the facade's tests and examples (with its attribute's
/// arguments), and every function written as a string in the expansion's own sources (golden
/// cases, unit tests).
fn seeds() -> &'static [(String, String)] {
    // Kept as text: token streams are not `Sync`.
    static SEEDS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in [
            "../tests",
            "../tests/ui",
            "../examples",
            "src",
            "src/ir",
            "src/transform",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            let mut here: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect();
            here.sort();
            files.extend(here);
        }
        let mut seeds = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("source file reads");
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            let mut visitor = Seeds(&mut seeds);
            syn::visit::Visit::visit_file(&mut visitor, &file);
        }
        assert!(
            seeds.len() > 100,
            "only {} seed functions found",
            seeds.len()
        );
        seeds
    })
}

struct Seeds<'a>(&'a mut Vec<(String, String)>);

impl<'ast> syn::visit::Visit<'ast> for Seeds<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let marker = |a: &syn::Attribute| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "differentiable")
        };
        if let Some(attr) = f.attrs.iter().find(|a| marker(a)) {
            let args = match &attr.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => TokenStream::new(),
            };
            let mut item = f.clone();
            item.attrs.retain(|a| !marker(a));
            let item = quote::ToTokens::to_token_stream(&item);
            self.0.push((args.to_string(), item.to_string()));
        }
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let text = s.value();
        if text.trim_start().starts_with("fn ") {
            if text.parse::<TokenStream>().is_ok() {
                self.0.push((String::new(), text));
            }
        }
    }
}

fn lex(text: &str) -> TokenStream {
    text.parse().expect("seed text lexes")
}

/// A token tree whose groups can be edited.
#[derive(Clone)]
enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Tok>),
}

fn tree(tokens: TokenStream) -> Vec<Tok> {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), tree(g.stream())),
            t => Tok::Leaf(t),
        })
        .collect()
}

fn flatten(toks: Vec<Tok>) -> TokenStream {
    toks.into_iter()
        .map(|t| match t {
            Tok::Leaf(t) => t,
            Tok::Group(d, inner) => TokenTree::Group(Group::new(d, flatten(inner))),
        })
        .collect()
}

fn random_leaf(rng: &mut Rng) -> TokenTree {
    match rng.below(3) {
        0 => {
            let name = rng.pick(NAMES);
            match name.strip_prefix("r#") {
                Some(raw) => TokenTree::Ident(Ident::new_raw(raw, Span::call_site())),
                None => TokenTree::Ident(Ident::new(name, Span::call_site())),
            }
        }
        1 => {
            let text = rng.pick(&[
                "0.0", "1.0", "1e309", "1e-400", "2", "0usize", "3.0f32", "1.5e300", "0x1f",
                "\"s\"", "'c'", "b'x'", "1u8", "i",
            ]);
            text.parse::<TokenStream>()
                .expect("literal lexes")
                .into_iter()
                .next()
                .expect("one token")
        }
        _ => {
            let c = rng.pick(&[
                '+', '-', '*', '/', '%', '<', '>', '=', '!', '&', '|', ';', ',', '.', ':', '#',
                '?', '@', '^', '\'',
            ]);
            let spacing = if rng.chance(30) {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            TokenTree::Punct(Punct::new(c, spacing))
        }
    }
}

/// A random group inside `toks`: the top level or, as often as not, a nested group.
fn random_group<'t>(rng: &mut Rng, toks: &'t mut Vec<Tok>) -> &'t mut Vec<Tok> {
    let groups: Vec<usize> = (0..toks.len())
        .filter(|&k| matches!(toks[k], Tok::Group(..)))
        .collect();
    if groups.is_empty() || rng.chance(30) {
        return toks;
    }
    let k = groups[rng.below(groups.len())];
    match &mut toks[k] {
        Tok::Group(_, inner) => random_group(rng, inner),
        Tok::Leaf(_) => unreachable!("filtered to groups"),
    }
}

/// The identifiers of `toks`, for replacements that keep a function meaningful.
fn idents(toks: &[Tok], out: &mut Vec<Ident>) {
    for t in toks {
        match t {
            Tok::Leaf(TokenTree::Ident(i)) => out.push(i.clone()),
            Tok::Leaf(_) => {}
            Tok::Group(_, inner) => idents(inner, out),
        }
    }
}

/// A token of the same class as `t`: another of the function's identifiers or an adversarial
/// one, another real literal, another arithmetic operator; so the result often still parses
/// and reaches the transforms.
fn replace_like(rng: &mut Rng, t: &TokenTree, own: &[Ident]) -> TokenTree {
    match t {
        TokenTree::Ident(_) if !own.is_empty() && rng.chance(60) => {
            TokenTree::Ident(own[rng.below(own.len())].clone())
        }
        TokenTree::Punct(p) if "+-*/".contains(p.as_char()) => {
            let c = rng.pick(&['+', '-', '*', '/', '%']);
            TokenTree::Punct(Punct::new(c, p.spacing()))
        }
        _ => {
            for _ in 0..8 {
                let new = random_leaf(rng);
                if std::mem::discriminant(&new) == std::mem::discriminant(t) {
                    return new;
                }
            }
            random_leaf(rng)
        }
    }
}

/// One edit of `toks`; a `gentle` one only replaces a token by one of its class or puts one
/// token in a group, so the function often still parses and reaches the transforms.
fn mutate(rng: &mut Rng, toks: &mut Vec<Tok>, gentle: bool) {
    let mut own = Vec::new();
    idents(toks, &mut own);
    let g = random_group(rng, toks);
    if g.is_empty() {
        g.push(Tok::Leaf(random_leaf(rng)));
        return;
    }
    let k = rng.below(g.len());
    if gentle {
        match &g[k] {
            Tok::Leaf(t) if rng.chance(75) => g[k] = Tok::Leaf(replace_like(rng, t, &own)),
            _ => {
                let d = rng.pick(&[Delimiter::None, Delimiter::Parenthesis]);
                let one = g.remove(k);
                g.insert(k, Tok::Group(d, vec![one]));
            }
        }
        return;
    }
    match rng.below(10) {
        0 => {
            g.remove(k);
        }
        1 => {
            let dup = g[k].clone();
            g.insert(k, dup);
        }
        2 if k + 1 < g.len() => g.swap(k, k + 1),
        3..=5 => {
            if let Tok::Leaf(t) = &g[k] {
                let new = replace_like(rng, t, &own);
                g[k] = Tok::Leaf(new);
            } else {
                g[k] = Tok::Leaf(random_leaf(rng));
            }
        }
        6 | 7 => {
            // Wrap a run of tokens in a group; invisible groups are what `macro_rules!`
            // fragments (`$e:expr`) look like.
            let end = (k + 1 + rng.below(4)).min(g.len());
            let run: Vec<Tok> = g.drain(k..end).collect();
            let d = rng.pick(&[
                Delimiter::None,
                Delimiter::None,
                Delimiter::Parenthesis,
                Delimiter::Bracket,
                Delimiter::Brace,
            ]);
            g.insert(k, Tok::Group(d, run));
        }
        8 => {
            let leaf = random_leaf(rng);
            g.insert(k, Tok::Leaf(leaf));
        }
        _ => {
            // Unwrap a group.
            if let Tok::Group(_, inner) = g.remove(k) {
                for (n, t) in inner.into_iter().enumerate() {
                    g.insert(k + n, t);
                }
            }
        }
    }
}

#[test]
fn mutations_of_real_functions_never_panic() {
    let seeds = seeds();
    run("mutation", 2, 5, |rng| {
        let (args, item) = &seeds[rng.below(seeds.len())];
        let attr = if rng.chance(70) {
            lex(args)
        } else {
            attribute(rng)
        };
        let mut toks = tree(lex(item));
        let gentle = rng.chance(50);
        for _ in 0..1 + rng.below(2) {
            mutate(rng, &mut toks, gentle);
        }
        (attr, flatten(toks))
    });
}

#[test]
fn real_functions_in_invisible_groups_never_panic() {
    // Every expression-like token run wrapped as a `macro_rules!` fragment would be.
    let seeds = seeds();
    let count = seeds.len() as u64;
    run("invisible-group", 3, 20, |rng| {
        let (args, item) = &seeds[rng.below(count as usize)];
        let mut toks = tree(lex(item));
        for _ in 0..1 + rng.below(4) {
            let g = random_group(rng, &mut toks);
            if g.is_empty() {
                continue;
            }
            let k = rng.below(g.len());
            let end = (k + 1 + rng.below(3)).min(g.len());
            let run: Vec<Tok> = g.drain(k..end).collect();
            g.insert(k, Tok::Group(Delimiter::None, run));
        }
        (lex(args), flatten(toks))
    });
}

// ---------------------------------------------------------------------------------------------
// (3) Token soup.

fn soup(rng: &mut Rng, depth: usize) -> TokenStream {
    let mut out = TokenStream::new();
    for _ in 0..rng.below(24) {
        let t = if depth < 3 && rng.chance(12) {
            let d = rng.pick(&[
                Delimiter::Parenthesis,
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::None,
            ]);
            TokenTree::Group(Group::new(d, soup(rng, depth + 1)))
        } else if rng.chance(25) {
            let kw = rng.pick(&[
                "fn", "let", "mut", "for", "in", "if", "else", "match", "return", "f64", "usize",
                "as", "loop", "while", "impl", "where", "async", "const", "unsafe", "pub", "self",
                "Self", "crate", "super",
            ]);
            TokenTree::Ident(Ident::new(kw, Span::call_site()))
        } else {
            random_leaf(rng)
        };
        out.extend([t]);
    }
    out
}

#[test]
fn token_soup_never_panics() {
    run("soup", 4, 0, |rng| {
        let attr = if rng.chance(50) {
            attribute(rng)
        } else {
            soup(rng, 2)
        };
        let inner = soup(rng, 0);
        let item = match rng.below(4) {
            0 => inner,
            1 => quote::quote!(fn f(x: f64) -> f64 { #inner }),
            2 => quote::quote!(fn f(#inner) -> f64 { x }),
            _ => {
                let ret = soup(rng, 2);
                quote::quote!(fn f(x: f64, u: &[f64]) -> #ret { let y = #inner; y })
            }
        };
        (attr, item)
    });
}

#[test]
fn the_seed_corpus_covers_the_repository() {
    // The seed corpus must cover the repository, or the mutation test tests little.
    assert!(seeds().iter().any(|(_, f)| f.contains("lorenz96")));
}
