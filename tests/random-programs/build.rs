//! Writes `OUT_DIR/programs.rs`: `PROGRAMS` random functions in the subset that
//! `#[differentiable]` accepts, and one test per function that checks its `_jvp` and `_vjp`
//! companions with the oracle of `tests/common/mod.rs`.
//!
//! The generator is deterministic (its own LCG, one fixed seed), so every build compiles the same
//! programs and a failure names a program that stays put. It keeps programs valid and tests
//! meaningful by construction:
//!
//! - **Bounded values.** Every real variable and array carries a bound on its magnitude and a
//!   ceiling `cap` it must never exceed. Expressions compute their bound from the bounds of what
//!   they read; an assignment whose bound is too large is scaled by a constant (or squashed with
//!   `tanh`). Inside a loop, a variable declared outside it is read at its `cap` (a later
//!   iteration may see a larger value than this one), and `+=` spends the room left under the
//!   ceiling divided by the number of times the statement can run. So nothing overflows and
//!   derivatives stay moderate, with no evaluation at build time.
//! - **Safe domains.** `sqrt`, `ln`, `log10`, `powf` take `1 + e * e`; divisions divide by
//!   `1 + e * e`, `2 + sin e` or `1 + exp e`; `hypot` and `atan2` get a second argument bounded
//!   away from zero; `exp`, `sinh`, `cosh` and `tan` get arguments bounded by construction.
//! - **Valid indices.** An index is a loop variable whose range lies inside the array, or taken
//!   modulo the array's length; every array has at least two elements.
//! - **Branches** test integers, active values against constants, or both. Programs are
//!   piecewise smooth; the test picks its point away from the kinks (see `tests/programs.rs`).
//!
//! Constructs that exposed a bug in tapeless stay in the generator behind a `const` switch below,
//! turned off, and are listed in `README.md`.

use std::fmt::Write as _;

#[path = "build/data.rs"]
mod data;
#[path = "build/idioms.rs"]
mod idioms;

use idioms::StructTy;

/// How many programs are generated.
const PROGRAMS: usize = 240;
/// The seed of the whole generation.
const SEED: u64 = 0x7461_7065_6c65_7373; // "tapeless"

/// The ceiling on the magnitude of every real value a program computes.
const CAP: f64 = 3.0;
/// Real parameters are tested at points in `[-1, 1]`; callers pass values within this bound.
const PARAM_BOUND: f64 = 1.0;

// Feature switches: every construct the generator can write.
/// Calls of the fixed helper functions of `src/lib.rs`.
const CALL_HELPERS: bool = true;
/// Calls of earlier generated programs.
const CALL_PROGRAMS: bool = true;
/// `if cond { return e; }` before the end of the function.
const EARLY_RETURN: bool = true;
/// `match` on integers (lowered to `if` chains).
const MATCH_ON_INTEGERS: bool = true;
/// `let t = ...; let t = f(t);` shadowing.
const SHADOWING: bool = true;
/// `{ ... }` blocks as statements.
const PLAIN_BLOCKS: bool = true;
/// `[f64; 3]` parameters.
const ARRAY_PARAMS: bool = true;
/// `mut v: Vec<f64>` parameters, written inside the function.
const VEC_PARAMS: bool = true;
/// `mut a: f64` parameters, assigned inside the function.
const MUT_SCALAR_PARAMS: bool = true;
/// `-> (f64, f64)` results.
const TUPLE_RETURNS: bool = true;
/// `-> Vec<f64>` results.
const VEC_RETURNS: bool = true;
/// `min`, `max` and `abs` (kinks at ties and at zero).
const MIN_MAX_ABS: bool = true;
/// `.rev()` and `.step_by(k)` on loop ranges.
const RANGE_ADAPTORS: bool = true;
/// `let w: [f64; 3] = h_arr3(..)` and `let w: Vec<f64> = h_vec(..)`: calls returning arrays.
const ARRAY_RESULT_CALLS: bool = true;
/// Indices computed from reals, `((t.abs() * 3.0) as usize) % n` (piecewise constant).
const INDEX_FROM_REAL: bool = true;
/// `let c = t > 0.2;` and conditions on `bool` variables.
const BOOL_BINDINGS: bool = true;
/// `for _ in 0..3`.
const WILDCARD_LOOPS: bool = true;
/// `if c { break; }` and `if c { continue; }` on integer conditions, `for` loops written as
/// `while` loops over a counter, and early `return` inside loops.
const LOOP_EXITS: bool = true;
/// The user constant `HALF` of `src/lib.rs` in real expressions.
const USER_CONSTANTS: bool = true;
/// `return` as the last statement of a `match` arm.
const RETURN_IN_MATCH: bool = true;
/// `let t = if c { .. } else { .. };`, `let t = match k { .. };`, and an `if` as the function's
/// value (accepted since 9836da9 and 25fa17e).
const IF_MATCH_VALUES: bool = true;
/// `match` on a real by ranges, `match t { ..=-0.2 => .., -0.2..=0.3 => .., _ => .. }` (accepted
/// since 87e2dde).
const MATCH_ON_REALS: bool = true;

// Bug switches, in the order of `README.md`: a construct that exposed a bug in tapeless. Off
// while the bug is open; on again once it is fixed.
/// One array passed to two parameters of a call, `h_dot(u, u)`. Was bug 1 of `README.md` (the
/// `_vjp` passed `u_bar` twice as `&mut`, E0499), fixed in 25fa17e.
const SAME_ARRAY_TWICE_IN_CALL: bool = true;
/// A `&mut [f64]` parameter passed to two shared parameters, `h_dot(y, y)`: valid Rust. Off: bug
/// 1b of `README.md`, rejected with "this array is passed twice, once as `&mut`" (before 25fa17e,
/// E0499 in every companion).
const MUT_SLICE_TWICE_AS_SHARED: bool = true;
/// One scalar variable passed to two parameters of a call, `h_mix(b, b)`. Was bug 2 of
/// `README.md` (the `_vjp` passed `&mut b_bar` twice, E0499), fixed in 25fa17e.
const SAME_SCALAR_TWICE_IN_CALL: bool = true;
/// `let mut c = g(0.5);` (a call with constant arguments bound to a name) and later an active
/// value assigned to `c`. Off: bug 3 of `README.md`, `c_dot` and `c_bar` are never declared
/// (E0425). When off, such bindings are immutable.
const CONSTANT_CALL_BINDING_MADE_ACTIVE: bool = true;
/// `let mut t = a; t = t + 1.0;` inside a loop or branch (the `let` of a nested scope assigned
/// later in that scope). Off: bug 4 of `README.md`, the reverse sweep recomputes the `let` and
/// uses its first value instead of the assigned one: a wrong adjoint. Lowering puts the rest of
/// the function after an early `return` in `if !returned { .. }`, so the `let`s there count as
/// nested; and it turns `let t = if c { a } else { b };` into a `let` assigned in the branches,
/// so that form is reassigned by itself. When off, `let`s of nested scopes are immutable (unless
/// bound to a call, which lowering does not recompute) and not given by `if` or `match`.
const NESTED_LET_REASSIGNED: bool = true;
/// `min` or `max` of two user constants, `HALF.min(HALF)`. Off: bug 5 of `README.md`, lowering
/// cannot type the operands and emits `Ord::min`, which `f64` does not implement (E0277).
const MIN_MAX_OF_CONSTANTS: bool = true;
/// A call argument of user constants alone, `g(x, -HALF)`, or a variable bound to one without a
/// type, `let c = HALF; g(x, c)` (a bare `g(x, HALF)` works). Off: bug 6 of `README.md`, the
/// argument gets no tangent or adjoint slot: every companion's call has the wrong arity (E0061).
/// When off, such arguments are not generated, and such bindings get their type written.
const CONSTANT_EXPRESSION_ARGUMENTS: bool = true;
/// An `if` as the function's value in a function that also returns early. Off: bug 7 of
/// `README.md`, rejected with "an `if` that gives a value is supported as the value of a `let`",
/// though the same tail `if` is accepted without the early `return`.
const TAIL_IF_AFTER_EARLY_RETURN: bool = true;
/// `let t = if c { HALF } else { x };` or `{ g(HALF) }` first: a `let` given by branches whose
/// first arm is of a kind lowering cannot see. Off: bug 8 of `README.md`, rejected with "`t` is
/// not a real variable; a real value cannot be assigned to it". When off, such a `let` gets
/// `: f64`, and constant arms are scaled by a literal.
const BRANCH_VALUE_OF_UNKNOWN_KIND: bool = true;

/// A call with only inactive arguments writing an inactive array (`h_scale(&mut w, 0.5)`, `w`
/// a local of constants or a copy of data) after an active statement read the array (bug 15,
/// fixed): the macro's reverse sweep read the overwritten values (an internal error).
const CONSTANT_CALL_WRITING_INACTIVE_ARRAY: bool = true;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/idioms.rs");
    println!("cargo:rerun-if-changed=build/data.rs");
    println!("cargo:rerun-if-env-changed=TAPELESS_RANDOM_SEED");
    println!("cargo:rerun-if-env-changed=TAPELESS_RANDOM_PROGRAMS");
    println!("cargo:rerun-if-env-changed=TAPELESS_RANDOM_IDIOMS");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    // Other seeds and counts explore further; the test suite runs the defaults.
    let seed = env_number("TAPELESS_RANDOM_SEED").unwrap_or(SEED);
    let count = env_number("TAPELESS_RANDOM_PROGRAMS").map_or(PROGRAMS, |n| n as usize);
    let mut rng = Rng(seed);
    let mut programs: Vec<Program> = Vec::new();
    for k in 0..count {
        let p = Gen::program(&mut rng, k, &programs, false);
        programs.push(p);
    }
    // The second batch, from its own stream so that the first stays as it was.
    let idiom_count =
        env_number("TAPELESS_RANDOM_IDIOMS").map_or(idioms::IDIOM_PROGRAMS, |n| n as usize);
    let mut rng = Rng(seed ^ idioms::IDIOM_SALT);
    for k in 0..idiom_count {
        let p = Gen::program(&mut rng, count + k, &programs, true);
        programs.push(p);
    }
    let mut out = String::new();
    writeln!(
        out,
        "// Generated by build.rs of tapeless-random-programs: {count} + {idiom_count} programs, seed {seed:#x}.\n"
    )
    .unwrap();
    out.push_str(idioms::STRUCTS);
    out.push('\n');
    for p in &programs {
        out.push_str(&p.source);
        out.push('\n');
        out.push_str(&p.test);
        out.push('\n');
    }
    std::fs::write(format!("{out_dir}/programs.rs"), out).expect("OUT_DIR is writable");
}

/// A number from the environment, decimal or `0x` hexadecimal.
fn env_number(name: &str) -> Option<u64> {
    let s = std::env::var(name).ok()?;
    let s = s.trim();
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={s} is not a number")))
}

/// A deterministic random stream (Knuth's MMIX LCG; the high bits are used).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// An expression: its code, a bound on its magnitude, and whether it reads a typed value (a
/// method call on an expression of literals alone would not type-check: `{float}` is ambiguous).
#[derive(Clone)]
struct E {
    code: String,
    bound: f64,
    typed: bool,
}

impl E {
    fn new(code: String, bound: f64, typed: bool) -> E {
        E { code, bound, typed }
    }
}

/// A number literal rounded to two decimals, parenthesised when negative.
fn lit(c: f64) -> E {
    let s = format!("{c:.2}");
    let v: f64 = s.parse().unwrap();
    let code = if v < 0.0 { format!("({s})") } else { s };
    E::new(code, v.abs(), false)
}

/// A positive coefficient `<= c`, written with three decimals.
fn coefficient(c: f64) -> (String, f64) {
    let v = (c * 1000.0).floor() / 1000.0;
    (format!("{v:.3}"), v)
}

/// The helper functions of `src/lib.rs` and the bounds of their results.
const H_MIX: f64 = 0.75;
const H_DOT: f64 = 1.0;
const H_STEP: f64 = 1.3;
const H_PAIR: f64 = 1.0;
const H_CHAIN: f64 = 1.65;

#[derive(Clone, Copy, PartialEq)]
enum ArrayKind {
    /// `x: &[f64]`
    SliceParam,
    /// `y: &mut [f64]`
    MutSliceParam,
    /// `z: [f64; 3]`
    ArrayParam,
    /// `v: Vec<f64>`
    VecParam,
    /// `let mut w = vec![..]` or `[..]`
    Local,
}

#[derive(Clone)]
enum VarKind {
    Scalar {
        mutable: bool,
    },
    Array {
        /// An expression for the length, valid where the array is visible.
        len: String,
        /// The largest length it can have (for the number of loop iterations).
        len_max: usize,
        writable: bool,
        kind: ArrayKind,
    },
    Int {
        /// The variable is smaller than this length expression.
        below: Option<String>,
        /// The variable is smaller than this.
        max: usize,
    },
    Bool,
}

/// A variable in scope. For reals, every value it ever holds is bounded by `plain + inc`: `plain`
/// bounds what `let`s and plain assignments gave it, `inc` sums what every `+=` and `-=` can add
/// over all its runs. Both are kept within `cap`, the bound every read may assume.
#[derive(Clone)]
struct Var {
    name: String,
    kind: VarKind,
    plain: f64,
    inc: f64,
    cap: f64,
    /// Surely carries a derivative (a parameter, or computed from one).
    active: bool,
    /// Number of enclosing loops where it is declared.
    depth: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Ret {
    Unit,
    Scalar,
    Pair,
    Vec3,
}

/// One parameter of a generated program, as its test sees it.
#[derive(Clone)]
enum Param {
    Scalar(String),
    Slice(String, usize),
    MutSlice(String, usize),
    Array3(String),
    Vec(String, usize),
    Int(String, usize),
    /// `p: &Params`, `s: &mut State`, or the receiver `self` of a method.
    Struct(String, StructTy),
    /// A parameter left out of `wrt(..)`, with the value the tests pass.
    Data(String, data::Data),
}

/// Signatures of programs that later programs may call.
#[derive(Clone, Copy, PartialEq)]
enum Callable {
    /// `fn(x: &[f64], y: &mut [f64])`
    Update,
    /// `fn(a: f64, x: &[f64]) -> f64`
    Value,
}

struct Program {
    name: String,
    callable: Option<Callable>,
    ret_bound: f64,
    source: String,
    test: String,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    lines: Vec<String>,
    indent: usize,
    vars: Vec<Var>,
    scopes: Vec<usize>,
    /// Iteration counts (upper bounds) of the enclosing loops.
    loops: Vec<usize>,
    /// Per enclosing loop: whether it may stop early (a `break` in it, a `return` through it).
    stoppable: Vec<bool>,
    /// Enclosing `if`, `for`, `match` and blocks.
    nesting: usize,
    fuel: i32,
    fresh: usize,
    /// Names given by `let_scalar` (which `shadow` may bind again).
    own_scalars: Vec<String>,
    ret: Ret,
    /// Arrays that the current statement borrows mutably: not to be read in its arguments.
    forbid: Vec<String>,
    earlier: &'a [Program],
    /// Parameters are being declared (they are active).
    declaring_param: bool,
    /// An early `return` was written: what follows is nested in `if !returned` after lowering.
    after_return: bool,
    /// The value of the first arm of the branches being written (`let t = if ..`).
    first_arm: Option<String>,
    /// A program of the second batch: the statements of `build/idioms.rs` too.
    idioms: bool,
    /// Enclosing `for` loops over iterators (no `continue` in them, bug 10).
    iterator_loops: usize,
    /// Arrays of arrays in scope (data parameters, `build/data.rs`).
    rows: Vec<data::Rows>,
    /// Writing an operand that may be guarded by `&&` or `||`: no reads of arrays of arrays.
    guarded: usize,
}

const LOOP_VARS: [&str; 4] = ["i", "j", "l", "q"];

/// Names of locals that look like what the macro generates: the seed and tangent or adjoint
/// names of the parameters (`x`, `a`, `u`, `y`) and of the result, its numbered temporaries,
/// accumulators and saved finals, its runtime import and scalar type. Every one of them once
/// could, or could have, collided with a generated name.
const ADVERSARIAL: [&str; 18] = [
    "result",
    "result_bar",
    "result_dot",
    "x_bar",
    "x_dot",
    "a_bar",
    "a_dot",
    "y_bar",
    "__adj0",
    "__adj1",
    "__result",
    "__result0",
    "__partials0",
    "__x_bar_acc",
    "__a_bar_acc",
    "__y_final",
    "__tl",
    "S",
];

impl<'a> Gen<'a> {
    fn program(rng: &'a mut Rng, index: usize, earlier: &'a [Program], idioms: bool) -> Program {
        let name = format!("p_{index}");
        // Signatures: (parameters, result).
        let mut templates: Vec<usize> = vec![0, 1, 2, 3, 7];
        if ARRAY_PARAMS || TUPLE_RETURNS {
            templates.push(4);
        }
        if VEC_PARAMS {
            templates.push(5);
        }
        if VEC_RETURNS {
            templates.push(6);
        }
        let template = *rng.pick(&templates);
        let n_len = 2 + rng.below(4);
        let m_len = 2 + rng.below(3);
        let k_val = rng.below(5);
        let mut_a = MUT_SCALAR_PARAMS && rng.chance(0.3);
        let with_struct = if idioms {
            idioms::struct_signature(rng, n_len)
        } else {
            None
        };
        let (mut params, ret, mut callable): (Vec<Param>, Ret, Option<Callable>) = match template {
            _ if with_struct.is_some() => {
                let (params, ret) = with_struct.clone().expect("a struct signature");
                (params, ret, None)
            }
            0 => (
                vec![
                    Param::Slice("x".into(), n_len),
                    Param::MutSlice("y".into(), m_len),
                ],
                Ret::Unit,
                Some(Callable::Update),
            ),
            1 => (
                vec![Param::Scalar("a".into()), Param::Slice("x".into(), n_len)],
                Ret::Scalar,
                if mut_a { None } else { Some(Callable::Value) },
            ),
            2 => (
                vec![Param::Scalar("a".into()), Param::Scalar("b".into())],
                Ret::Scalar,
                None,
            ),
            3 => (
                vec![
                    Param::Slice("x".into(), n_len),
                    Param::Scalar("a".into()),
                    Param::MutSlice("y".into(), m_len),
                ],
                Ret::Scalar,
                None,
            ),
            4 => (
                vec![
                    if ARRAY_PARAMS {
                        Param::Array3("z".into())
                    } else {
                        Param::Slice("x".into(), n_len)
                    },
                    Param::Scalar("b".into()),
                    Param::Int("k".into(), k_val),
                ],
                if TUPLE_RETURNS {
                    Ret::Pair
                } else {
                    Ret::Scalar
                },
                None,
            ),
            5 => (
                vec![
                    Param::Vec("v".into(), n_len),
                    Param::MutSlice("y".into(), m_len),
                    Param::Int("k".into(), k_val),
                ],
                Ret::Scalar,
                None,
            ),
            6 => (
                vec![Param::Scalar("a".into()), Param::Slice("x".into(), n_len)],
                Ret::Vec3,
                None,
            ),
            _ => (
                vec![
                    Param::MutSlice("y".into(), m_len),
                    Param::Scalar("b".into()),
                ],
                Ret::Unit,
                None,
            ),
        };
        let mut_a = mut_a && (idioms::MUT_PARAM_BESIDE_STRUCT || with_struct.is_none());
        // Some real parameters left out of `wrt(..)` as data, and data parameters added.
        let wrt = idioms && with_struct.is_none() && data::with_data(rng, &mut params, mut_a);
        if wrt {
            callable = None;
        }
        let a_decl = if mut_a { "mut a: f64" } else { "a: f64" };
        let mut g = Gen {
            rng,
            lines: Vec::new(),
            indent: 1,
            vars: Vec::new(),
            scopes: Vec::new(),
            loops: Vec::new(),
            stoppable: Vec::new(),
            nesting: 0,
            fuel: 0,
            fresh: 0,
            own_scalars: Vec::new(),
            ret,
            forbid: Vec::new(),
            earlier,
            declaring_param: true,
            after_return: false,
            first_arm: None,
            idioms,
            iterator_loops: 0,
            rows: Vec::new(),
            guarded: 0,
        };
        g.fuel = 8 + g.rng.below(14) as i32;
        let mut sig = Vec::new();
        let z_mut = g.rng.chance(0.5);
        for p in &params {
            match p {
                Param::Scalar(s) => {
                    let mutable = s == "a" && mut_a;
                    sig.push(if mutable {
                        a_decl.to_string()
                    } else {
                        format!("{s}: f64")
                    });
                    g.declare(
                        s,
                        VarKind::Scalar { mutable },
                        PARAM_BOUND,
                        if mutable { CAP } else { PARAM_BOUND },
                    );
                }
                Param::Slice(s, _) => {
                    sig.push(format!("{s}: &[f64]"));
                    g.declare(
                        s,
                        array("n", 5, false, ArrayKind::SliceParam),
                        PARAM_BOUND,
                        PARAM_BOUND,
                    );
                }
                Param::MutSlice(s, _) => {
                    sig.push(format!("{s}: &mut [f64]"));
                    g.declare(
                        s,
                        array("m", 4, true, ArrayKind::MutSliceParam),
                        PARAM_BOUND,
                        CAP,
                    );
                }
                Param::Array3(s) => {
                    sig.push(format!("{}{s}: [f64; 3]", if z_mut { "mut " } else { "" }));
                    g.declare(
                        s,
                        array("3", 3, z_mut, ArrayKind::ArrayParam),
                        PARAM_BOUND,
                        if z_mut { CAP } else { PARAM_BOUND },
                    );
                }
                Param::Vec(s, _) => {
                    sig.push(format!("mut {s}: Vec<f64>"));
                    g.declare(
                        s,
                        array("n", 5, true, ArrayKind::VecParam),
                        PARAM_BOUND,
                        CAP,
                    );
                }
                Param::Struct(s, ty) => {
                    let decl = g.declare_struct(s, *ty);
                    sig.push(decl);
                }
                Param::Data(s, d) => {
                    let decl = g.declare_data(s, d);
                    sig.push(decl);
                }
                Param::Int(s, _) => {
                    sig.push(format!("{s}: usize"));
                    g.declare(
                        s,
                        VarKind::Int {
                            below: None,
                            max: 5,
                        },
                        0.0,
                        0.0,
                    );
                }
            }
        }
        g.declaring_param = false;
        let ret_ty = match ret {
            Ret::Unit => String::new(),
            Ret::Scalar => " -> f64".into(),
            Ret::Pair => " -> (f64, f64)".into(),
            Ret::Vec3 => " -> Vec<f64>".into(),
        };
        // Lengths as integers.
        for p in &params {
            match p {
                Param::Slice(s, _) | Param::Vec(s, _) => {
                    g.line(format!("let n = {s}.len();"));
                    g.declare(
                        "n",
                        VarKind::Int {
                            below: None,
                            max: 6,
                        },
                        0.0,
                        0.0,
                    );
                }
                Param::MutSlice(s, _) => {
                    g.line(format!("let m = {s}.len();"));
                    g.declare(
                        "m",
                        VarKind::Int {
                            below: None,
                            max: 5,
                        },
                        0.0,
                        0.0,
                    );
                }
                Param::Data(s, d) => g.data_len(s, d),
                _ => {}
            }
        }
        if ret == Ret::Vec3 {
            g.line("let mut r: Vec<f64> = vec![0.0; 3];".into());
            g.declare("r", array("3", 3, true, ArrayKind::Local), 0.0, CAP);
        }
        while g.fuel > 0 {
            g.stmt();
        }
        // Gather the computed values into the outputs.
        if params.iter().any(|p| matches!(p, Param::MutSlice(..))) && g.rng.chance(0.8) {
            g.gather("y", "m");
        }
        if ret == Ret::Vec3 {
            g.gather("r", "3");
        }
        for p in &params {
            if let Param::Struct(s, StructTy::State) = p {
                if g.rng.chance(0.8) {
                    g.gather(&format!("{s}.x"), "3");
                }
            }
        }
        let mut ret_bound = 0.0;
        match ret {
            Ret::Unit => {}
            Ret::Scalar
                if IF_MATCH_VALUES
                    && (TAIL_IF_AFTER_EARLY_RETURN || !g.after_return)
                    && g.rng.chance(0.15) =>
            {
                ret_bound = g.if_value();
            }
            Ret::Scalar => {
                let e = g.tail();
                ret_bound = e.bound;
                g.line(e.code);
            }
            Ret::Pair => {
                let (e1, e2) = (g.tail(), g.tail());
                g.line(format!("({}, {})", e1.code, e2.code));
            }
            Ret::Vec3 => g.line("r".into()),
        }
        let mut source = String::new();
        let receiver = params.iter().find_map(|p| match p {
            Param::Struct(s, ty) if s == "self" => Some(*ty),
            _ => None,
        });
        // Every other method is a trait's, in a trait impl annotated as a block (chosen by the
        // program's index, not the random stream, so the programs stay as they were).
        let in_trait = receiver.is_some() && idioms::TRAIT_IMPLS && index.is_multiple_of(2);
        if let Some(ty) = receiver {
            if in_trait {
                let trait_name = format!("Trait{}", name.replace('_', ""));
                // A declaration without a body takes no patterns (`mut a`).
                let decl: Vec<&str> = sig
                    .iter()
                    .map(|p| p.strip_prefix("mut ").unwrap_or(p))
                    .collect();
                writeln!(
                    source,
                    "trait {trait_name} {{\n    fn {name}({}){ret_ty};\n}}\n#[differentiable]\nimpl {trait_name} for {} {{",
                    decl.join(", "),
                    ty.name()
                )
                .unwrap();
            } else {
                writeln!(source, "impl {} {{", ty.name()).unwrap();
            }
        }
        if wrt {
            writeln!(source, "#[differentiable({})]", data::wrt_list(&params)).unwrap();
        } else {
            writeln!(source, "#[differentiable]").unwrap();
        }
        writeln!(source, "fn {name}({}){ret_ty} {{", sig.join(", ")).unwrap();
        for l in &g.lines {
            writeln!(source, "{l}").unwrap();
        }
        writeln!(source, "}}").unwrap();
        if receiver.is_some() {
            writeln!(source, "}}").unwrap();
        }
        let mut test = test_of(&name, index, &params, ret);
        test.push_str(&hessian_test_of(&name, index, &params, ret));
        Program {
            name,
            callable,
            ret_bound,
            source,
            test,
        }
    }

    // ---- variables and scopes ----

    fn declare(&mut self, name: &str, kind: VarKind, cur: f64, cap: f64) {
        let real = matches!(kind, VarKind::Scalar { .. } | VarKind::Array { .. });
        self.vars.push(Var {
            name: name.to_string(),
            kind,
            plain: cur,
            inc: 0.0,
            cap,
            active: self.declaring_param && real,
            depth: self.loops.len(),
        });
    }

    fn open(&mut self) {
        self.scopes.push(self.vars.len());
        self.nesting += 1;
        self.indent += 1;
    }

    fn close(&mut self) {
        let start = self.scopes.pop().expect("a scope is open");
        self.vars.truncate(start);
        self.nesting -= 1;
        self.indent -= 1;
    }

    fn line(&mut self, s: String) {
        self.lines
            .push(format!("{}{}", "    ".repeat(self.indent), s));
    }

    /// A name for a new binding: `{base}{n}`, or, one time in four, a name that looks like the
    /// generated code's (see [`ADVERSARIAL`]), which generated names must never capture.
    fn name(&mut self, base: &str) -> String {
        self.fresh += 1;
        let name = if self.rng.chance(0.25) {
            let pick = self.rng.below(ADVERSARIAL.len() + 2);
            match (ADVERSARIAL.get(pick), self.earlier.last()) {
                (Some(name), _) => name.to_string(),
                // The companions of an earlier program, which this one may call.
                (None, Some(p)) if pick == ADVERSARIAL.len() => format!("{}_jvp", p.name),
                (None, Some(p)) => format!("__{}_rev", p.name),
                (None, None) => format!("{base}{}", self.fresh),
            }
        } else {
            format!("{base}{}", self.fresh)
        };
        if base == "t" {
            self.own_scalars.push(name.clone());
        }
        name
    }

    /// Visible variables (the latest binding of each name), as indices into `vars`.
    fn visible(&self, f: impl Fn(&Var) -> bool) -> Vec<usize> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for (i, v) in self.vars.iter().enumerate().rev() {
            if seen.contains(&v.name.as_str()) {
                continue;
            }
            seen.push(&v.name);
            if f(v) {
                out.push(i);
            }
        }
        out.reverse();
        out
    }

    fn scalars(&self) -> Vec<usize> {
        self.visible(|v| matches!(v.kind, VarKind::Scalar { .. }))
    }

    fn arrays(&self) -> Vec<usize> {
        self.visible(|v| matches!(v.kind, VarKind::Array { .. }))
    }

    /// Arrays the statement being written may read (in the first batch, every array).
    fn readable_arrays(&self) -> Vec<usize> {
        self.visible(|v| matches!(v.kind, VarKind::Array { .. }) && !self.forbid.contains(&v.name))
    }

    fn writable_arrays(&self) -> Vec<usize> {
        self.visible(|v| matches!(v.kind, VarKind::Array { writable: true, .. }))
    }

    fn ints(&self) -> Vec<usize> {
        self.visible(|v| matches!(v.kind, VarKind::Int { .. }))
    }

    /// Whether `code` surely carries a derivative: it reads a variable that does.
    fn is_active(&self, code: &str) -> bool {
        code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .any(|w| {
                self.vars
                    .iter()
                    .rev()
                    .find(|v| v.name == w)
                    .is_some_and(|v| v.active)
            })
    }

    /// Marks `i` active when `code`, assigned into it, is.
    fn flows_into(&mut self, i: usize, code: &str) {
        if self.is_active(code) {
            self.vars[i].active = true;
        }
    }

    /// The bound of a read: inside a loop entered after the declaration, a later iteration may
    /// see any value up to the ceiling.
    fn read_bound(&self, i: usize) -> f64 {
        let v = &self.vars[i];
        if self.loops.len() > v.depth {
            v.cap
        } else {
            v.plain + v.inc
        }
    }

    /// How many times a statement here can run per run of the declaration of `i`.
    fn runs(&self, i: usize) -> f64 {
        self.loops[self.vars[i].depth..]
            .iter()
            .map(|&t| t as f64)
            .product()
    }

    fn len_of(&self, i: usize) -> (String, usize) {
        match &self.vars[i].kind {
            VarKind::Array { len, len_max, .. } => (len.clone(), *len_max),
            _ => unreachable!("an array"),
        }
    }

    /// How `i` is passed to a `&[f64]` parameter.
    fn pass_shared(&self, i: usize) -> String {
        let v = &self.vars[i];
        match v.kind {
            VarKind::Array {
                kind: ArrayKind::SliceParam | ArrayKind::MutSliceParam,
                ..
            } => v.name.clone(),
            _ => format!("&{}", v.name),
        }
    }

    /// How `i` is passed to a `&mut [f64]` parameter.
    fn pass_mut(&self, i: usize) -> String {
        let v = &self.vars[i];
        match v.kind {
            VarKind::Array {
                kind: ArrayKind::MutSliceParam,
                ..
            } => v.name.clone(),
            _ => format!("&mut {}", v.name),
        }
    }

    // ---- integers ----

    /// An index into array `a`, always in range.
    fn index(&mut self, a: usize) -> String {
        let (len, _) = self.len_of(a);
        let ints = self.ints();
        let direct: Vec<usize> = ints
            .iter()
            .copied()
            .filter(
                |&i| matches!(&self.vars[i].kind, VarKind::Int { below: Some(b), .. } if *b == len),
            )
            .collect();
        if !direct.is_empty() && self.rng.chance(0.6) {
            return self.vars[*self.rng.pick(&direct)].name.clone();
        }
        let l = if len.chars().all(|c| c.is_alphanumeric()) {
            len.clone()
        } else {
            format!("({len})")
        };
        if ints.is_empty() || self.rng.chance(0.15) {
            return match self.rng.below(3) {
                0 => "0".into(),
                1 => "1".into(),
                _ => format!("{l} - 1"),
            };
        }
        if INDEX_FROM_REAL && self.rng.chance(0.05) {
            let e = self.typed(1);
            return format!("(({}.abs() * 3.0) as usize) % {l}", e.code);
        }
        let i = self.vars[*self.rng.pick(&ints)].name.clone();
        let j = self.vars[*self.rng.pick(&ints)].name.clone();
        match self.rng.below(6) {
            0 => format!("({i} + {}) % {l}", 1 + self.rng.below(3)),
            1 => format!("({i} + {l} - 1) % {l}"),
            2 => format!("({i} + {l} - 2) % {l}"),
            3 => format!("({i} * 2 + 1) % {l}"),
            4 => format!("({i} + {j}) % {l}"),
            _ => format!("{i} % {l}"),
        }
    }

    /// A condition on integers only.
    fn int_cond(&mut self) -> Option<String> {
        let ints = self.ints();
        if ints.is_empty() {
            return None;
        }
        let i = self.vars[*self.rng.pick(&ints)].name.clone();
        let j = self.vars[*self.rng.pick(&ints)].name.clone();
        Some(match self.rng.below(6) {
            0 => format!("{i} % 2 == 0"),
            1 => format!("{i} % 3 == 1"),
            2 => format!("{i} < {j}"),
            3 => format!("{i} + {j} >= 4"),
            4 => format!("{i} == 0"),
            _ => format!("{i} > 1"),
        })
    }

    // ---- real expressions ----

    fn leaf(&mut self) -> E {
        if let Some(e) = self.rows_leaf() {
            return e;
        }
        let scalars = self.scalars();
        let arrays: Vec<usize> = self
            .arrays()
            .into_iter()
            .filter(|&a| !self.forbid.contains(&self.vars[a].name))
            .collect();
        let loop_vars = self.ints();
        let r = self.rng.below(100);
        if r < 80 && !(scalars.is_empty() && arrays.is_empty()) {
            if arrays.is_empty() || (!scalars.is_empty() && r < 40) {
                let s = *self.rng.pick(&scalars);
                return E::new(self.vars[s].name.clone(), self.read_bound(s), true);
            }
            let a = *self.rng.pick(&arrays);
            let idx = self.index(a);
            return E::new(
                format!("{}[{idx}]", self.vars[a].name),
                self.read_bound(a),
                true,
            );
        }
        if r < 86 && !loop_vars.is_empty() {
            let i = *self.rng.pick(&loop_vars);
            let max = match self.vars[i].kind {
                VarKind::Int { max, .. } => max,
                _ => unreachable!("an integer"),
            };
            return E::new(
                format!("(0.1 * {} as f64)", self.vars[i].name),
                0.1 * max as f64,
                true,
            );
        }
        if r < 88 {
            return E::new("std::f64::consts::PI".into(), std::f64::consts::PI, true);
        }
        if r < 90 && USER_CONSTANTS {
            return E::new("HALF".into(), 0.5, true);
        }
        lit(self.rng.range(-1.2, 1.2))
    }

    /// An expression that reads a typed value (a valid method receiver).
    fn typed(&mut self, depth: u32) -> E {
        for _ in 0..4 {
            let e = self.real(depth);
            if e.typed {
                return e;
            }
        }
        let mut e = self.leaf();
        while !e.typed {
            e = self.leaf();
        }
        e
    }

    fn real(&mut self, depth: u32) -> E {
        if depth == 0 || self.rng.chance(0.3) {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.below(30) {
            0..=2 => {
                let (a, b) = (self.real(d), self.real(d));
                let op = if self.rng.chance(0.5) { "+" } else { "-" };
                E::new(
                    format!("({} {op} {})", a.code, b.code),
                    a.bound + b.bound,
                    a.typed || b.typed,
                )
            }
            3..=4 => {
                let a = self.real(d);
                let c = lit(self.rng.range(-1.5, 1.5));
                E::new(
                    format!("({} * {})", c.code, a.code),
                    c.bound * a.bound,
                    a.typed,
                )
            }
            5..=6 => {
                let (a, b) = (self.real(d), self.real(d));
                E::new(
                    format!("({} * {})", a.code, b.code),
                    a.bound * b.bound,
                    a.typed || b.typed,
                )
            }
            7 => {
                let (a, b) = (self.real(d), self.typed(d));
                E::new(
                    format!("({} / (1.0 + {} * {}))", a.code, b.code, b.code),
                    a.bound,
                    true,
                )
            }
            8 => {
                let (a, b) = (self.real(d), self.typed(d));
                E::new(
                    format!("({} / (2.0 + {}.sin()))", a.code, b.code),
                    a.bound,
                    true,
                )
            }
            9 => {
                let a = self.typed(d);
                let f = self.rng.pick(&["sin", "cos", "tanh"]).to_string();
                E::new(format!("{}.{f}()", a.code), 1.0, true)
            }
            10 => {
                let a = self.typed(d);
                E::new(format!("f64::sin({})", a.code), 1.0, true)
            }
            11 => {
                let a = self.typed(d);
                E::new(
                    format!("{}.atan()", a.code),
                    a.bound.min(std::f64::consts::FRAC_PI_2),
                    true,
                )
            }
            12 => {
                let a = fit(self.typed(d), 1.5);
                E::new(format!("{}.exp()", a.code), a.bound.exp(), true)
            }
            13 => {
                let a = self.typed(d);
                let b2 = 1.0 + a.bound * a.bound;
                match self.rng.below(3) {
                    0 => E::new(
                        format!("(1.0 + {} * {}).sqrt()", a.code, a.code),
                        b2.sqrt(),
                        true,
                    ),
                    1 => E::new(
                        format!("(1.0 + {} * {}).ln()", a.code, a.code),
                        b2.ln(),
                        true,
                    ),
                    _ => E::new(
                        format!("(1.0 + {} * {}).log10()", a.code, a.code),
                        b2.log10(),
                        true,
                    ),
                }
            }
            14 => {
                let a = fit(self.typed(d), 1.5);
                let k = 2 + self.rng.below(2);
                let code = if self.rng.chance(0.3) {
                    format!("f64::powi({}, {k})", a.code)
                } else {
                    format!("{}.powi({k})", a.code)
                };
                E::new(code, a.bound.powi(k as i32), true)
            }
            15 => {
                let a = fit(self.typed(d), 1.5);
                let b = fit(self.real(d), 1.0);
                let base = 1.0 + a.bound * a.bound;
                E::new(
                    format!("(1.0 + {} * {}).powf({})", a.code, a.code, b.code),
                    base,
                    true,
                )
            }
            16 => {
                let (a, b) = (self.typed(d), self.typed(d));
                E::new(
                    format!("{}.hypot(0.5 + {} * {})", a.code, b.code, b.code),
                    a.bound + 0.5 + b.bound * b.bound,
                    true,
                )
            }
            17 => {
                let (a, b) = (self.typed(d), self.typed(d));
                E::new(
                    format!("{}.atan2(1.0 + {} * {})", a.code, b.code, b.code),
                    std::f64::consts::FRAC_PI_2,
                    true,
                )
            }
            18 if MIN_MAX_ABS => {
                let a = self.typed(d);
                let mut b = self.real(d);
                while !MIN_MAX_OF_CONSTANTS
                    && is_constant_path(&a.code)
                    && is_constant_path(&b.code)
                {
                    b = self.leaf();
                }
                let f = self.rng.pick(&["min", "max"]).to_string();
                if self.rng.chance(0.3) {
                    E::new(
                        format!("f64::{f}({}, {})", a.code, b.code),
                        a.bound.max(b.bound),
                        true,
                    )
                } else {
                    E::new(
                        format!("{}.{f}({})", a.code, b.code),
                        a.bound.max(b.bound),
                        true,
                    )
                }
            }
            19 if MIN_MAX_ABS => {
                let a = self.typed(d);
                E::new(format!("{}.abs()", a.code), a.bound, true)
            }
            20 => {
                let a = fit(self.typed(d), 2.0);
                let f = self.rng.pick(&["sinh", "cosh"]).to_string();
                E::new(format!("{}.{f}()", a.code), a.bound.cosh(), true)
            }
            21 => {
                let a = self.typed(d);
                E::new(format!("(1.2 * {}.tanh()).tan()", a.code), 2.58, true)
            }
            22 => {
                let a = self.real(d);
                E::new(format!("(-{})", a.code), a.bound, a.typed)
            }
            23..=25 if CALL_HELPERS => self.helper_call(d),
            26 if CALL_PROGRAMS => self.program_value_call(d),
            _ => {
                let (a, b) = (self.real(d), self.real(d));
                E::new(
                    format!("({} + {})", a.code, b.code),
                    a.bound + b.bound,
                    a.typed || b.typed,
                )
            }
        }
    }

    /// A call of a helper as an expression.
    fn helper_call(&mut self, d: u32) -> E {
        let arrays: Vec<usize> = self
            .arrays()
            .into_iter()
            .filter(|&a| !self.forbid.contains(&self.vars[a].name))
            .collect();
        match self.rng.below(4) {
            0 => {
                let (a, b) = self.two_scalar_args(d);
                E::new(format!("h_mix({}, {})", a.code, b.code), H_MIX, true)
            }
            1 if !arrays.is_empty() => {
                let ui = *self.rng.pick(&arrays);
                let others: Vec<usize> = arrays.iter().copied().filter(|&a| a != ui).collect();
                let vi = if SAME_ARRAY_TWICE_IN_CALL || others.is_empty() {
                    *self.rng.pick(&arrays)
                } else {
                    *self.rng.pick(&others)
                };
                let mut_slice = matches!(
                    self.vars[ui].kind,
                    VarKind::Array {
                        kind: ArrayKind::MutSliceParam,
                        ..
                    }
                );
                if vi == ui
                    && !(SAME_ARRAY_TWICE_IN_CALL && (MUT_SLICE_TWICE_AS_SHARED || !mut_slice))
                {
                    return self.leaf();
                }
                let (u, v) = (self.pass_shared(ui), self.pass_shared(vi));
                E::new(format!("h_dot({u}, {v})"), H_DOT, true)
            }
            2 if !arrays.is_empty() => {
                let a = self.arg(d);
                let ui = *self.rng.pick(&arrays);
                let u = self.pass_shared(ui);
                E::new(format!("h_chain({}, {u})", a.code), H_CHAIN, true)
            }
            _ => {
                let a = self.arg(d);
                let k = match self.int_cond_operand() {
                    // An integer field as the argument is taken for a real (bug 16).
                    Some(k) if k.contains('.') && !idioms::INT_FIELD_AS_CALL_ARGUMENT => "3".into(),
                    Some(k) => k,
                    None => "3".into(),
                };
                E::new(format!("h_step({}, {k})", a.code), H_STEP, true)
            }
        }
    }

    /// A real argument of a call; unless `CONSTANT_EXPRESSION_ARGUMENTS`, not an expression of
    /// user constants alone.
    fn arg(&mut self, d: u32) -> E {
        loop {
            let e = self.real(d);
            if CONSTANT_EXPRESSION_ARGUMENTS || !is_constant_path(&e.code) || e.code == "HALF" {
                return e;
            }
        }
    }

    /// Two scalar arguments of one call; unless `SAME_SCALAR_TWICE_IN_CALL`, not the same
    /// variable twice.
    fn two_scalar_args(&mut self, d: u32) -> (E, E) {
        let a = self.arg(d);
        let bare = |e: &E| e.code.chars().all(|c| c.is_alphanumeric() || c == '_');
        for _ in 0..4 {
            let b = self.arg(d);
            if SAME_SCALAR_TWICE_IN_CALL || !(bare(&a) && a.code == b.code) {
                return (a, b);
            }
        }
        let b = E::new(format!("(0.9 * {})", a.code), 0.9 * a.bound, a.typed);
        (a, b)
    }

    fn int_cond_operand(&mut self) -> Option<String> {
        let ints = self.ints();
        if ints.is_empty() {
            None
        } else {
            Some(self.vars[*self.rng.pick(&ints)].name.clone())
        }
    }

    /// A call of an earlier program `fn(a: f64, x: &[f64]) -> f64`, with arguments within the
    /// bounds that program assumed of its parameters.
    fn program_value_call(&mut self, d: u32) -> E {
        let callees: Vec<usize> = (0..self.earlier.len())
            .filter(|&j| self.earlier[j].callable == Some(Callable::Value))
            .collect();
        let arrays: Vec<usize> = self
            .arrays()
            .into_iter()
            .filter(|&a| {
                !self.forbid.contains(&self.vars[a].name)
                    && self.read_bound(a) <= PARAM_BOUND
                    && self.len_of(a).1 <= 5
            })
            .collect();
        if callees.is_empty() || arrays.is_empty() {
            return self.leaf();
        }
        let j = callees[callees.len() - 1 - self.rng.below(callees.len().min(20))];
        let mut a = fit(self.typed(d), PARAM_BOUND);
        while !CONSTANT_EXPRESSION_ARGUMENTS && is_constant_path(&a.code) && a.code != "HALF" {
            a = fit(self.typed(d), PARAM_BOUND);
        }
        let ui = *self.rng.pick(&arrays);
        let u = self.pass_shared(ui);
        let p = &self.earlier[j];
        E::new(format!("{}({}, {u})", p.name, a.code), p.ret_bound, true)
    }

    /// A condition on real values, possibly combined with one on integers.
    fn cond(&mut self) -> String {
        self.guarded += 1;
        let e = self.typed(1);
        self.guarded -= 1;
        let c = lit(self.rng.range(-0.4, 0.4));
        let op = self.rng.pick(&[">", "<", ">="]).to_string();
        let real = format!("{} {op} {}", e.code, c.code);
        let bools = self.visible(|v| matches!(v.kind, VarKind::Bool));
        if !bools.is_empty() && self.rng.chance(0.3) {
            let b = self.vars[*self.rng.pick(&bools)].name.clone();
            return match self.rng.below(3) {
                0 => b,
                1 => format!("!{b}"),
                _ => format!("{b} || {real}"),
            };
        }
        match self.rng.below(6) {
            0 | 1 => real,
            2 | 3 => match self.int_cond() {
                Some(ic) => ic,
                None => real,
            },
            4 => match self.int_cond() {
                Some(ic) => format!("{ic} && {real}"),
                None => real,
            },
            _ => match self.int_cond() {
                Some(ic) => format!("!({real}) || {ic}"),
                None => real,
            },
        }
    }

    // ---- statements ----

    fn stmts(&mut self, count: usize) {
        for _ in 0..count.max(1) {
            self.stmt();
            if self.fuel <= 0 {
                break;
            }
        }
    }

    fn stmt(&mut self) {
        self.fuel -= 1;
        if self.idioms && self.idiom_stmt() {
            return;
        }
        let nest = self.nesting < 3 && self.fuel > 1;
        match self.rng.below(100) {
            0..=13 => self.let_scalar(),
            14..=27 => self.assign_scalar(),
            28..=33 => self.let_array(),
            34..=47 => self.write_element(),
            48..=59 if nest => self.for_loop(),
            60..=68 if nest => self.if_chain(),
            69..=71 if nest && MATCH_ON_INTEGERS => self.match_int(),
            72..=79 => self.call_stmt(),
            80..=82 if nest && self.may_return() => self.early_return(),
            83..=86 if SHADOWING => self.shadow(),
            87..=88 if nest && PLAIN_BLOCKS => self.plain_block(),
            89..=92 => self.let_int(),
            93..=94 if BOOL_BINDINGS => self.let_bool(),
            95..=96 if nest && IF_MATCH_VALUES && self.may_reassign_here() => {
                self.let_branch_value()
            }
            97..=98 if nest && MATCH_ON_REALS => self.match_real(),
            99 if LOOP_EXITS && !self.loops.is_empty() => self.loop_exit(),
            _ => self.let_scalar(),
        }
    }

    fn let_bool(&mut self) {
        let name = self.name("c");
        self.guarded += 1;
        let e = self.typed(1);
        self.guarded -= 1;
        let c = lit(self.rng.range(-0.4, 0.4));
        let code = match self.int_cond() {
            Some(ic) if self.rng.chance(0.3) => format!("{} > {} && {ic}", e.code, c.code),
            _ => format!("{} > {}", e.code, c.code),
        };
        self.line(format!("let {name} = {code};"));
        self.declare(&name, VarKind::Bool, 0.0, 0.0);
    }

    fn let_scalar(&mut self) {
        let e = fit(self.real(3), CAP);
        let mutable = self.rng.chance(0.6) && self.may_be_mutable(&e.code);
        let name = self.name("t");
        // A binding of literals alone is `{float}` to rustc; its type is written so that methods
        // can be called on it. A user constant is a path of unknown type to lowering: with the
        // type written, the binding is real.
        let ty = if e.typed && !e.code.contains("HALF") && self.rng.chance(0.8) {
            ""
        } else {
            ": f64"
        };
        self.line(format!(
            "let {}{name}{ty} = {};",
            if mutable { "mut " } else { "" },
            e.code
        ));
        let active = self.is_active(&e.code);
        self.declare(&name, VarKind::Scalar { mutable }, e.bound, CAP);
        self.vars.last_mut().expect("declared").active = active;
    }

    fn shadow(&mut self) {
        let scalars = self.scalars();
        let own: Vec<usize> = scalars
            .into_iter()
            .filter(|&s| self.own_scalars.contains(&self.vars[s].name))
            .collect();
        if own.is_empty() {
            return self.let_scalar();
        }
        let s = *self.rng.pick(&own);
        let name = self.vars[s].name.clone();
        let target = E::new(name.clone(), self.read_bound(s), true);
        let e = fit(self.mix_with(target), CAP);
        let mutable = self.rng.chance(0.5) && self.may_be_mutable(&e.code);
        // As in `let_scalar`: literals alone are `{float}` to rustc, user constants alone are of
        // unknown type to lowering.
        let ty = if !e.typed || is_constant_path(&e.code) {
            ": f64"
        } else {
            ""
        };
        self.line(format!(
            "let {}{name}{ty} = {};",
            if mutable { "mut " } else { "" },
            e.code
        ));
        let active = self.is_active(&e.code);
        self.declare(&name, VarKind::Scalar { mutable }, e.bound, CAP);
        self.vars.last_mut().expect("declared").active = active;
    }

    /// Whether a `let` here may be reassigned later in its scope (bug 4).
    fn may_reassign_here(&self) -> bool {
        NESTED_LET_REASSIGNED || (self.nesting == 0 && !self.after_return)
    }

    /// Whether a binding initialised with `code` may be assigned later: not when `code` is a
    /// call whose arguments are all constant, unless `CONSTANT_CALL_BINDING_MADE_ACTIVE`; not in a
    /// nested scope, unless `NESTED_LET_REASSIGNED` or `code` is a call.
    fn may_be_mutable(&self, code: &str) -> bool {
        let call = is_bare_call(code);
        (CONSTANT_CALL_BINDING_MADE_ACTIVE || !call || self.is_active(code))
            && (call || self.may_reassign_here())
    }

    /// An expression that reads `target` (so an assignment overwrites a value its derivative
    /// needs).
    fn mix_with(&mut self, target: E) -> E {
        let t = target.code.clone();
        let tb = target.bound;
        match self.rng.below(9) {
            0 | 1 => {
                let e = fit(self.typed(2), 1.0);
                E::new(format!("{t} * {}", e.code), tb * e.bound, true)
            }
            2 => {
                let e = self.real(2);
                E::new(format!("({t} + {}).sin()", e.code), 1.0, true)
            }
            3 => {
                let e = self.real(2);
                E::new(format!("0.5 * {t} + {}", e.code), 0.5 * tb + e.bound, true)
            }
            4 => E::new(format!("{t} * {t}"), tb * tb, true),
            5 => {
                let e = self.real(2);
                E::new(format!("{t}.tanh() * {}", e.code), e.bound, true)
            }
            6 => {
                let e = self.real(2);
                E::new(format!("{} - {t}", e.code), tb + e.bound, true)
            }
            7 => {
                let e = self.typed(2);
                E::new(format!("{t} / (1.0 + {} * {})", e.code, e.code), tb, true)
            }
            _ => self.real(3),
        }
    }

    /// Assigns to `target` (a scalar variable or an element `w[i]` of variable `owner`) in one of
    /// the forms `=`, `+=`, `-=`, `*=`, `/=`.
    fn assign(&mut self, target: String, owner: usize, extra: Option<E>) {
        let v = &self.vars[owner];
        let (cap, plain, inc) = (v.cap, v.plain, v.inc);
        let runs = self.runs(owner);
        // What `+=` may add at each run, and what a plain assignment may set.
        let room = (cap - plain - inc) / runs;
        let plain_limit = cap - inc;
        let read = E::new(target.clone(), self.read_bound(owner), true);
        let mut form = self.rng.below(10);
        if form >= 4 && plain_limit < 0.5 {
            form = 2;
        }
        match form {
            0..=1 if room > 0.05 => {
                let e = fit(self.real(2), room);
                let op = if form == 0 { "+=" } else { "-=" };
                self.line(format!("{target} {op} {};", e.code));
                self.vars[owner].inc += runs * e.bound;
                self.flows_into(owner, &e.code);
            }
            0..=2 => {
                let e = self.typed(2);
                let factor = match self.rng.below(4) {
                    0 => format!("{}.tanh()", e.code),
                    1 => format!("{}.cos()", e.code),
                    2 => format!("{}.sin()", e.code),
                    _ => fit(e, 1.0).code,
                };
                self.line(format!("{target} *= {factor};"));
            }
            3 => {
                let e = self.typed(2);
                let divisor = match self.rng.below(3) {
                    0 => format!("(1.0 + {} * {})", e.code, e.code),
                    1 => format!("(2.0 + {}.sin())", e.code),
                    _ => format!("(1.0 + {}.exp())", fit(e, 1.5).code),
                };
                self.line(format!("{target} /= {divisor};"));
            }
            _ => {
                let e = match extra {
                    Some(other) if self.rng.chance(0.5) => E::new(
                        format!("{} * {}", read.code, other.code),
                        read.bound * other.bound,
                        true,
                    ),
                    _ => self.mix_with(read),
                };
                let e = fit(e, plain_limit);
                self.line(format!("{target} = {};", e.code));
                self.flows_into(owner, &e.code);
                let v = &mut self.vars[owner];
                v.plain = v.plain.max(e.bound);
            }
        }
    }

    fn assign_scalar(&mut self) {
        let mutable: Vec<usize> = self
            .scalars()
            .into_iter()
            .filter(|&s| matches!(self.vars[s].kind, VarKind::Scalar { mutable: true }))
            .collect();
        if mutable.is_empty() {
            return self.let_scalar();
        }
        let s = *self.rng.pick(&mutable);
        let name = self.vars[s].name.clone();
        self.assign(name, s, None);
    }

    fn let_array(&mut self) {
        let name = self.name("w");
        let lens: Vec<(String, usize)> = self
            .visible(|v| matches!(v.kind, VarKind::Int { .. }) && (v.name == "n" || v.name == "m"))
            .into_iter()
            .map(|i| {
                let n = self.vars[i].name.clone();
                let max = if n == "n" { 5 } else { 4 };
                (n, max)
            })
            .collect();
        let arrays = self.readable_arrays();
        // `(init, length, largest length, bound, type)`; the type is written when the elements
        // are literals alone (`{float}` to rustc) and sometimes otherwise.
        let (code, len, len_max, cur, ty) = match self.rng.below(7) {
            0 | 1 if !lens.is_empty() => {
                let (l, max) = self.rng.pick(&lens).clone();
                if self.rng.chance(0.2) && l == "n" {
                    (
                        "vec![0.0; n + 1]".to_string(),
                        "n + 1".to_string(),
                        6,
                        0.0,
                        ": Vec<f64>",
                    )
                } else if self.rng.chance(0.3) {
                    let e = fit(self.typed(1), CAP);
                    (format!("vec![{}; {l}]", e.code), l, max, e.bound, "")
                } else {
                    (format!("vec![0.0; {l}]"), l, max, 0.0, ": Vec<f64>")
                }
            }
            2 => {
                let n = 3 + self.rng.below(2);
                (
                    format!("[0.0; {n}]"),
                    n.to_string(),
                    n,
                    0.0,
                    if n == 3 { ": [f64; 3]" } else { ": [f64; 4]" },
                )
            }
            3 if !arrays.is_empty() => {
                let a = *self.rng.pick(&arrays);
                let (l, max) = self.len_of(a);
                let method = if matches!(
                    self.vars[a].kind,
                    VarKind::Array {
                        kind: ArrayKind::SliceParam | ArrayKind::MutSliceParam,
                        ..
                    }
                ) || self.rng.chance(0.5)
                {
                    "to_vec"
                } else {
                    "clone"
                };
                let code = format!("{}.{method}()", self.vars[a].name);
                (code, l, max, self.read_bound(a), "")
            }
            4 => {
                let keep = self.forbid_struct_fields();
                let es: Vec<E> = (0..3).map(|_| fit(self.real(2), CAP)).collect();
                self.forbid.truncate(keep);
                let b = es.iter().fold(0.0_f64, |m, e| m.max(e.bound));
                let ty = if es.iter().all(|e| e.typed) {
                    ""
                } else {
                    ": Vec<f64>"
                };
                let list: Vec<String> = es.into_iter().map(|e| e.code).collect();
                (format!("vec![{}]", list.join(", ")), "3".into(), 3, b, ty)
            }
            5 => {
                let keep = self.forbid_struct_fields();
                let es: Vec<E> = (0..4).map(|_| fit(self.real(2), CAP)).collect();
                self.forbid.truncate(keep);
                let b = es.iter().fold(0.0_f64, |m, e| m.max(e.bound));
                let ty = if es.iter().all(|e| e.typed) {
                    ""
                } else {
                    ": [f64; 4]"
                };
                let list: Vec<String> = es.into_iter().map(|e| e.code).collect();
                (format!("[{}]", list.join(", ")), "4".into(), 4, b, ty)
            }
            _ => {
                let n = 3 + self.rng.below(2);
                (
                    format!("vec![0.0; {n}]"),
                    n.to_string(),
                    n,
                    0.0,
                    ": Vec<f64>",
                )
            }
        };
        self.line(format!("let mut {name}{ty} = {code};"));
        let active = self.is_active(&code);
        self.declare(
            &name,
            array(&len, len_max, true, ArrayKind::Local),
            cur,
            CAP,
        );
        self.vars.last_mut().expect("declared").active = active;
    }

    fn write_element(&mut self) {
        let writable = self.writable_arrays();
        if writable.is_empty() {
            return self.let_array();
        }
        let a = *self.rng.pick(&writable);
        let name = self.vars[a].name.clone();
        // `w[f(w)] = ..` does not borrow-check: the index of a write does not read its array.
        self.forbid.push(name.clone());
        let idx = self.index(a);
        self.forbid.pop();
        // Sometimes another element of the same array: `y[i] = y[i] * y[j]`.
        let other = if self.rng.chance(0.4) {
            let idx2 = self.index(a);
            Some(E::new(format!("{name}[{idx2}]"), self.read_bound(a), true))
        } else {
            None
        };
        self.assign(format!("{name}[{idx}]"), a, other);
    }

    fn let_int(&mut self) {
        let arrays = self.readable_arrays();
        let ints = self.ints();
        if arrays.is_empty() || ints.is_empty() {
            return self.let_scalar();
        }
        let a = *self.rng.pick(&arrays);
        let (len, _) = self.len_of(a);
        let l = if len.chars().all(|c| c.is_alphanumeric()) {
            len.clone()
        } else {
            format!("({len})")
        };
        let i = self.vars[*self.rng.pick(&ints)].name.clone();
        let name = self.name("k");
        let (code, below) = match self.rng.below(4) {
            0 => (format!("({i} + {l} - 2) % {l}"), Some(len)),
            1 => (format!("({i} * 3 + 1) % {l}"), Some(len)),
            2 => (format!("{l} - 1"), Some(len)),
            _ => {
                let below = match &self
                    .vars
                    .iter()
                    .rev()
                    .find(|v| v.name == i)
                    .expect("visible")
                    .kind
                {
                    VarKind::Int { below, .. } => below.clone(),
                    _ => None,
                };
                (format!("{i} / 2"), below)
            }
        };
        self.line(format!("let {name} = {code};"));
        self.declare(&name, VarKind::Int { below, max: 6 }, 0.0, 0.0);
    }

    fn for_loop(&mut self) {
        let var = LOOP_VARS[self.loops.len().min(LOOP_VARS.len() - 1)];
        let arrays = self.arrays();
        let outer: Vec<usize> = self.visible(|v| {
            LOOP_VARS.contains(&v.name.as_str())
                && matches!(v.kind, VarKind::Int { below: Some(_), .. })
        });
        let mut lens: Vec<(String, usize)> = arrays.iter().map(|&a| self.len_of(a)).collect();
        lens.dedup_by(|x, y| x.0 == y.0);
        let (header, below, trips) = if !outer.is_empty() && self.rng.chance(0.3) {
            let o = *self.rng.pick(&outer);
            let oname = self.vars[o].name.clone();
            let (below, max) = match &self.vars[o].kind {
                VarKind::Int { below, max } => (below.clone().expect("filtered"), *max),
                _ => unreachable!(),
            };
            let l = paren(&below);
            if self.rng.chance(0.5) {
                (format!("0..{oname}"), Some(below), max)
            } else {
                (format!("({oname} + 1)..{l}"), Some(below), max)
            }
        } else if lens.is_empty() || self.rng.chance(0.1) {
            match self.rng.below(3) {
                0 => ("0..3".to_string(), None, 3),
                1 => ("0..=2".to_string(), None, 3),
                _ => {
                    let has_k = !self.visible(|v| v.name == "k").is_empty();
                    if has_k {
                        ("0..k".to_string(), None, 5)
                    } else {
                        ("1..4".to_string(), None, 4)
                    }
                }
            }
        } else {
            let (len, max) = self.rng.pick(&lens).clone();
            let l = paren(&len);
            let form = if RANGE_ADAPTORS {
                self.rng.below(9)
            } else {
                self.rng.below(3)
            };
            let header = match form {
                0 => format!("0..{l}"),
                1 => format!("1..{l}"),
                2 => format!("0..{l} - 1"),
                3 => format!("(0..{l}).rev()"),
                4 => format!("(1..{l}).rev()"),
                5 => format!("(0..{l}).step_by(2)"),
                6 => format!("(0..{l}).rev().step_by(2)"),
                7 => format!("(0..{l}).step_by(2).rev()"),
                _ => format!("(0..{l}).step_by({})", 1 + self.rng.below(3)),
            };
            (header, Some(len), max)
        };
        let wildcard = WILDCARD_LOOPS && below.is_none() && self.rng.chance(0.3);
        let var = if wildcard { "_" } else { var };
        // `(0..n).rev().step_by(2)` cannot stop early (the macro asks for a `while` instead).
        let stoppable = !(header.contains("rev") && header.contains("step_by"));
        let counter = header
            .strip_prefix("0..")
            .filter(|end| !wildcard && !end.starts_with('=') && !header.contains(')'));
        match counter {
            Some(end) if LOOP_EXITS && self.rng.chance(0.25) => {
                let end = end.to_string();
                self.line(format!("let mut {var}_next = 0;"));
                self.line(format!("while {var}_next < {end} {{"));
                self.open();
                self.line(format!("let {var} = {var}_next;"));
                self.line(format!("{var}_next += 1;"));
            }
            _ => {
                self.line(format!("for {var} in {header} {{"));
                self.open();
            }
        }
        self.loops.push(trips);
        self.stoppable.push(stoppable);
        if !wildcard {
            self.declare(var, VarKind::Int { below, max: trips }, 0.0, 0.0);
        }
        let count = 1 + self.rng.below(4);
        self.stmts(count);
        self.loops.pop();
        self.stoppable.pop();
        self.close();
        self.line("}".into());
    }

    /// `if c { break; }` or `if c { continue; }` on an integer condition (no switching point
    /// for finite differences to cross).
    fn loop_exit(&mut self) {
        if self.iterator_loops > 0 && !idioms::CONTINUE_IN_ITERATOR_LOOPS {
            return self.let_scalar();
        }
        let Some(c) = self.int_cond() else {
            return self.let_scalar();
        };
        let stoppable = self.stoppable.last().copied().unwrap_or(false);
        let word = if stoppable && self.rng.chance(0.5) {
            "break"
        } else {
            "continue"
        };
        self.line(format!("if {c} {{ {word}; }}"));
    }

    fn if_chain(&mut self) {
        let arms = 1 + self.rng.below(3);
        for arm in 0..arms {
            let c = self.cond();
            if arm == 0 {
                self.line(format!("if {c} {{"));
            } else {
                self.line(format!("}} else if {c} {{"));
            }
            self.open();
            let count = 1 + self.rng.below(3);
            self.stmts(count);
            self.close();
        }
        if self.rng.chance(0.6) {
            self.line("} else {".into());
            self.open();
            let count = 1 + self.rng.below(2);
            self.stmts(count);
            self.close();
        }
        self.line("}".into());
    }

    /// `let t = if .. { .. } else { .. };` or `let t = match k { .. };`.
    fn let_branch_value(&mut self) {
        let name = self.name("t");
        // A `let` given by a branch is assigned in the branches: it counts as reassigned.
        let mutable = self.rng.chance(0.4) && self.may_be_mutable("");
        let m = if mutable { "mut " } else { "" };
        let ty = if self.rng.chance(0.3) { ": f64" } else { "" };
        let let_line = self.lines.len();
        self.first_arm = None;
        let (bound, active) = if self.rng.chance(0.6) || self.ints().is_empty() {
            let c = self.cond();
            self.line(format!("let {m}{name}{ty} = if {c} {{"));
            let start = self.lines.len();
            let bound = self.branch_arms_if();
            let active = self.lines[start..].iter().any(|l| self.is_active(l));
            (bound, active)
        } else {
            let ints = self.ints();
            let i = self.vars[*self.rng.pick(&ints)].name.clone();
            self.line(format!("let {m}{name}{ty} = match {i} % 3 {{"));
            let start = self.lines.len();
            let mut bound = 0.0_f64;
            self.open();
            for pat in ["0", "1 | 2", "_"] {
                if self.rng.chance(0.5) {
                    let e = self.arm_value();
                    bound = bound.max(e.bound);
                    self.line(format!("{pat} => {},", e.code));
                } else {
                    self.line(format!("{pat} => {{"));
                    self.open();
                    self.stmts(1);
                    let e = self.arm_value();
                    bound = bound.max(e.bound);
                    self.line(e.code);
                    self.close();
                    self.line("}".into());
                }
            }
            self.close();
            let active = self.lines[start..].iter().any(|l| self.is_active(l));
            (bound, active)
        };
        self.line("};".into());
        let first = self.first_arm.take().unwrap_or_default();
        if !BRANCH_VALUE_OF_UNKNOWN_KIND && ty.is_empty() && is_bare_call(&first) {
            let typed = format!("let {m}{name}: f64 =");
            self.lines[let_line] =
                self.lines[let_line].replacen(&format!("let {m}{name} ="), &typed, 1);
        }
        self.declare(&name, VarKind::Scalar { mutable }, bound, CAP);
        self.vars.last_mut().expect("declared").active = active;
    }

    /// The arms of an `if` used as a value, after `if cond {`: returns the bound of the value.
    fn branch_arms_if(&mut self) -> f64 {
        let mut bound = 0.0_f64;
        let arms = 1 + self.rng.below(2);
        for arm in 0..=arms {
            if arm > 0 {
                if arm < arms {
                    let c = self.cond();
                    self.line(format!("}} else if {c} {{"));
                } else {
                    self.line("} else {".into());
                }
            }
            self.open();
            if self.rng.chance(0.4) {
                self.stmts(1);
            }
            let e = self.arm_value();
            bound = bound.max(e.bound);
            self.line(e.code);
            self.close();
        }
        bound
    }

    /// The value of one arm: a typed real expression within the ceiling.
    fn arm_value(&mut self) -> E {
        let mut e = fit(self.typed(2), CAP);
        if !BRANCH_VALUE_OF_UNKNOWN_KIND && is_constant_path(&e.code) {
            e = E::new(format!("(0.5 * {})", e.code), 0.5 * e.bound, true);
        }
        if self.first_arm.is_none() {
            self.first_arm = Some(e.code.clone());
        }
        e
    }

    /// `if .. { .. } else { .. }` as the function's value; returns its bound.
    fn if_value(&mut self) -> f64 {
        let c = self.cond();
        self.line(format!("if {c} {{"));
        let bound = self.branch_arms_if();
        self.line("}".into());
        bound
    }

    /// `match` on a real value by ranges.
    fn match_real(&mut self) {
        let e = self.typed(1);
        let a = self.rng.range(-0.6, 0.2);
        let b = a + self.rng.range(0.1, 0.6);
        let (a, b) = (format!("{a:.2}"), format!("{b:.2}"));
        self.line(format!("match {} {{", e.code));
        self.open();
        for pat in [format!("..={a}"), format!("{a}..={b}"), "_".to_string()] {
            self.line(format!("{pat} => {{"));
            self.open();
            let count = 1 + self.rng.below(2);
            self.stmts(count);
            self.close();
            self.line("}".into());
        }
        self.close();
        self.line("}".into());
    }

    fn match_int(&mut self) {
        let ints = self.ints();
        if ints.is_empty() {
            return self.if_chain();
        }
        let i = self.vars[*self.rng.pick(&ints)].name.clone();
        let (scrutinee, patterns): (String, &[&str]) = match self.rng.below(3) {
            0 => (format!("{i} % 3"), &["0", "1"]),
            1 => (i, &["0", "1 | 2"]),
            _ => (i, &["0..=1", "3"]),
        };
        self.line(format!("match {scrutinee} {{"));
        self.open();
        for pat in patterns.iter().chain(&["_"]) {
            self.line(format!("{pat} => {{"));
            self.open();
            let count = 1 + self.rng.below(2);
            self.stmts(count);
            if RETURN_IN_MATCH && self.may_return() && self.rng.chance(0.2) {
                let value = self.return_value();
                self.line(format!("return {value};"));
                self.after_return = true;
            }
            self.close();
            self.line("}".into());
        }
        self.close();
        self.line("}".into());
    }

    fn plain_block(&mut self) {
        self.line("{".into());
        self.open();
        let count = 1 + self.rng.below(3);
        self.stmts(count);
        self.close();
        self.line("}".into());
    }

    /// Whether an early `return` can be written here: not in a loop, and only from functions
    /// returning reals.
    fn may_return(&self) -> bool {
        EARLY_RETURN
            && (self.loops.is_empty() || LOOP_EXITS && self.stoppable.iter().all(|s| *s))
            && matches!(self.ret, Ret::Scalar | Ret::Pair)
    }

    fn return_value(&mut self) -> String {
        match self.ret {
            Ret::Pair => {
                let (a, b) = (self.tail(), self.tail());
                format!("({}, {})", a.code, b.code)
            }
            _ => self.tail().code,
        }
    }

    fn early_return(&mut self) {
        let c = self.cond();
        self.line(format!("if {c} {{"));
        self.open();
        if self.rng.chance(0.5) {
            self.stmts(1);
        }
        let value = self.return_value();
        self.line(format!("return {value};"));
        self.after_return = true;
        self.close();
        self.line("}".into());
    }

    /// Unless `CONSTANT_CALL_WRITING_INACTIVE_ARRAY`: whether a call writing array `w` from
    /// `args` must not be written because neither may be active (bug 15).
    fn avoids_constant_write(&self, w: usize, args: &str) -> bool {
        // Only in the second batch, whose data made it likely: the first stays as it was.
        !CONSTANT_CALL_WRITING_INACTIVE_ARRAY
            && self.idioms
            && !self.vars[w].active
            && !self.is_active(args)
    }

    fn call_stmt(&mut self) {
        if !CALL_HELPERS && !CALL_PROGRAMS {
            return self.let_scalar();
        }
        let writable = self.writable_arrays();
        let arrays = self.readable_arrays();
        if ARRAY_RESULT_CALLS && CALL_HELPERS && !arrays.is_empty() && self.rng.chance(0.2) {
            return self.array_result_call();
        }
        let r = self.rng.below(10);
        if CALL_PROGRAMS && r < 2 && self.program_update_call() {
            return;
        }
        if !CALL_HELPERS {
            return self.let_scalar();
        }
        match r {
            0..=4
                if arrays.len() >= 2
                    && writable
                        .iter()
                        .any(|&w| self.vars[w].cap - self.vars[w].inc >= 1.0) =>
            {
                let fits: Vec<usize> = writable
                    .into_iter()
                    .filter(|&w| self.vars[w].cap - self.vars[w].inc >= 1.0)
                    .collect();
                let w = *self.rng.pick(&fits);
                let others: Vec<usize> = arrays.into_iter().filter(|&a| a != w).collect();
                let u = *self.rng.pick(&others);
                self.forbid.push(self.vars[w].name.clone());
                let a = self.arg(2);
                self.forbid.pop();
                let (wc, uc) = (self.pass_mut(w), self.pass_shared(u));
                if self.avoids_constant_write(w, &format!("{uc} {}", a.code)) {
                    return self.let_scalar();
                }
                self.line(format!("h_fill({wc}, {uc}, {});", a.code));
                self.flows_into(w, &format!("{uc} {}", a.code));
                let v = &mut self.vars[w];
                v.plain = v.plain.max(1.0);
            }
            5..=6 if !writable.is_empty() => {
                let w = *self.rng.pick(&writable);
                self.forbid.push(self.vars[w].name.clone());
                let a = self.arg(2);
                self.forbid.pop();
                let wc = self.pass_mut(w);
                if self.avoids_constant_write(w, &a.code) {
                    return self.let_scalar();
                }
                self.line(format!("h_scale({wc}, {});", a.code));
            }
            _ => {
                let (a, b) = self.two_scalar_args(2);
                let (p, mut q) = (self.name("t"), self.name("t"));
                // One pattern binds each name once.
                if q == p {
                    q = format!("{p}_2");
                    self.own_scalars.push(q.clone());
                }
                let call = format!("h_pair({}, {})", a.code, b.code);
                let active = self.is_active(&call);
                let mutable = self.rng.chance(0.3) && self.may_be_mutable(&call);
                let pm = if mutable { "mut " } else { "" };
                let ty = if self.rng.chance(0.3) {
                    ": (f64, f64)"
                } else {
                    ""
                };
                self.line(format!("let ({pm}{p}, {q}){ty} = {call};"));
                self.declare(&p, VarKind::Scalar { mutable }, H_PAIR, CAP);
                self.vars.last_mut().expect("declared").active = active;
                self.declare(&q, VarKind::Scalar { mutable: false }, H_PAIR, CAP);
                self.vars.last_mut().expect("declared").active = active;
            }
        }
    }

    /// `let mut w: [f64; 3] = h_arr3(..)` or `let mut w: Vec<f64> = h_vec(..)`.
    fn array_result_call(&mut self) {
        let arrays = self.readable_arrays();
        let u = *self.rng.pick(&arrays);
        let (len, len_max) = self.len_of(u);
        let uc = self.pass_shared(u);
        let a = self.arg(2);
        let name = self.name("w");
        let (ty, callee, len, len_max) = if self.rng.chance(0.5) {
            ("[f64; 3]", "h_arr3", "3".to_string(), 3)
        } else {
            ("Vec<f64>", "h_vec", len, len_max)
        };
        let call = format!("{callee}({}, {uc})", a.code);
        let active = self.is_active(&call);
        // Written later only if it is active from the start (bug 3, as for scalars).
        let writable = active || CONSTANT_CALL_BINDING_MADE_ACTIVE;
        let m = if writable { "mut " } else { "" };
        self.line(format!("let {m}{name}: {ty} = {call};"));
        self.declare(
            &name,
            array(&len, len_max, writable, ArrayKind::Local),
            1.0,
            CAP,
        );
        self.vars.last_mut().expect("declared").active = active;
    }

    /// A call of an earlier program `fn(x: &[f64], y: &mut [f64])`, when arrays within the bound
    /// it assumed of its parameters are at hand.
    fn program_update_call(&mut self) -> bool {
        let callees: Vec<usize> = (0..self.earlier.len())
            .filter(|&j| self.earlier[j].callable == Some(Callable::Update))
            .collect();
        let small = |g: &Self, a: usize| g.read_bound(a) <= PARAM_BOUND;
        let writable: Vec<usize> = self
            .writable_arrays()
            .into_iter()
            .filter(|&a| {
                small(self, a)
                    && self.vars[a].inc == 0.0
                    && self.vars[a].cap >= CAP
                    && self.len_of(a).1 <= 4
            })
            .collect();
        if callees.is_empty() || writable.is_empty() {
            return false;
        }
        let w = *self.rng.pick(&writable);
        let readable: Vec<usize> = self
            .readable_arrays()
            .into_iter()
            .filter(|&a| a != w && small(self, a) && self.len_of(a).1 <= 5)
            .collect();
        if readable.is_empty() {
            return false;
        }
        let u = *self.rng.pick(&readable);
        let j = callees[callees.len() - 1 - self.rng.below(callees.len().min(20))];
        let (uc, wc) = (self.pass_shared(u), self.pass_mut(w));
        let name = self.earlier[j].name.clone();
        self.line(format!("{name}({uc}, {wc});"));
        self.vars[w].plain = CAP;
        self.flows_into(w, &uc);
        true
    }

    /// A loop that writes every element of `name` from the values computed so far.
    fn gather(&mut self, name: &str, len: &str) {
        let a = self.visible(|v| v.name == name)[0];
        self.line(format!("for i in 0..{len} {{"));
        self.open();
        self.loops.push(6);
        self.declare(
            "i",
            VarKind::Int {
                below: Some(len.to_string()),
                max: 6,
            },
            0.0,
            0.0,
        );
        let extra = self.tail();
        let read = E::new(format!("{name}[i]"), self.read_bound(a), true);
        let limit = self.vars[a].cap - self.vars[a].inc;
        let e = fit(
            E::new(
                format!("0.5 * {} + {}", read.code, extra.code),
                0.5 * read.bound + extra.bound,
                true,
            ),
            limit,
        );
        self.line(format!("{name}[i] = {};", e.code));
        self.flows_into(a, &e.code);
        let v = &mut self.vars[a];
        v.plain = v.plain.max(e.bound);
        self.loops.pop();
        self.close();
        self.line("}".into());
    }

    /// The result: a sum of some of the values computed, so derivatives flow through most of
    /// the program.
    fn tail(&mut self) -> E {
        let mut parts: Vec<E> = Vec::new();
        let scalars = self.scalars();
        for _ in 0..2 {
            if !scalars.is_empty() {
                let s = *self.rng.pick(&scalars);
                parts.push(E::new(self.vars[s].name.clone(), self.read_bound(s), true));
            }
        }
        parts.push(self.real(2));
        let bound = parts.iter().map(|e| e.bound).sum();
        let typed = parts.iter().any(|e| e.typed);
        let code = parts
            .into_iter()
            .map(|e| e.code)
            .collect::<Vec<_>>()
            .join(" + ");
        fit(E::new(format!("({code})"), bound, typed), CAP)
    }
}

/// Whether `code` is built of user constants alone (which lowering cannot type).
fn is_constant_path(code: &str) -> bool {
    !code
        .replace("HALF", "")
        .chars()
        .any(|c| c.is_alphanumeric())
}

/// Whether `code` is one call `f(..)` (which lowering binds directly to the `let`).
fn is_bare_call(code: &str) -> bool {
    let Some(open) = code.find('(') else {
        return false;
    };
    if open == 0
        || !code[..open]
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_')
    {
        return false;
    }
    let mut depth = 0;
    for (i, c) in code.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i == code.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

fn array(len: &str, len_max: usize, writable: bool, kind: ArrayKind) -> VarKind {
    VarKind::Array {
        len: len.to_string(),
        len_max,
        writable,
        kind,
    }
}

fn paren(len: &str) -> String {
    if len.chars().all(|c| c.is_alphanumeric()) {
        len.to_string()
    } else {
        format!("({len})")
    }
}

/// `e` scaled so that its bound is at most `limit`.
fn fit(e: E, limit: f64) -> E {
    if e.bound <= limit {
        return e;
    }
    let (c, v) = coefficient(limit / e.bound);
    if v >= 0.02 || !e.typed {
        E::new(format!("({c} * {})", e.code), v * e.bound, e.typed)
    } else {
        let (c, v) = coefficient(limit);
        E::new(format!("({c} * {}.tanh())", e.code), v, true)
    }
}

/// The test of one program: adapters from flat vectors to its signature and its companions'.
///
/// The flat input holds the real parameters in order (a `&mut` slice gives its initial value);
/// the flat output holds the result's components, then the final values of the `&mut` slices.
fn test_of(name: &str, index: usize, params: &[Param], ret: Ret) -> String {
    let mut offset = 0;
    let mut slots = Vec::new();
    for p in params {
        let len = match p {
            Param::Scalar(_) => 1,
            Param::Slice(_, n) | Param::MutSlice(_, n) | Param::Vec(_, n) => *n,
            Param::Array3(_) => 3,
            Param::Int(..) => 0,
            Param::Data(_, d) => d.inputs(),
            Param::Struct(..) => idioms::STRUCT_REALS,
        };
        slots.push((offset, len));
        offset += len;
    }
    let inputs = offset;
    let ret_len = match ret {
        Ret::Unit => 0,
        Ret::Scalar => 1,
        Ret::Pair => 2,
        Ret::Vec3 => 3,
    };
    // The values written into arguments, after the result: the code of their values and of
    // their tangents, and their length.
    let mut_slices: Vec<(String, String, usize)> = params
        .iter()
        .zip(&slots)
        .filter_map(|(p, &(_, len))| match p {
            Param::MutSlice(s, _) => Some((format!("&{s}"), format!("&{s}_dot"), len)),
            Param::Struct(s, StructTy::State) => {
                let l = test_local(s);
                Some((
                    format!("&{l}.to_reals()"),
                    format!("&{l}_dot.to_reals()"),
                    len,
                ))
            }
            _ => None,
        })
        .collect();
    let outputs = ret_len + mut_slices.iter().map(|m| m.2).sum::<usize>();
    let (callee, callee_jvp, callee_vjp) = callees(name, params);

    // Lines of each closure, before and after the call, and the call's arguments.
    let (mut f_pre, mut jvp_pre, mut vjp_pre, mut grads) = (vec![], vec![], vec![], vec![]);
    let (mut f_args, mut jvp_args, mut vjp_args) = (vec![], vec![], vec![]);
    let mut seed_offset = ret_len;
    for (p, &(o, len)) in params.iter().zip(&slots) {
        let e = o + len;
        match p {
            Param::Scalar(s) => {
                f_args.push(format!("x[{o}]"));
                jvp_args.push(format!("x[{o}], d[{o}]"));
                vjp_pre.push(format!("let mut {s}_bar = 0.0;"));
                vjp_args.push(format!("x[{o}], &mut {s}_bar"));
                grads.push(format!("g.push({s}_bar);"));
            }
            Param::Slice(s, _) => {
                f_args.push(format!("&x[{o}..{e}]"));
                jvp_args.push(format!("&x[{o}..{e}], &d[{o}..{e}]"));
                vjp_pre.push(format!("let mut {s}_bar = vec![0.0; {len}];"));
                vjp_args.push(format!("&x[{o}..{e}], &mut {s}_bar"));
                grads.push(format!("g.extend_from_slice(&{s}_bar);"));
            }
            Param::MutSlice(s, _) => {
                let w = seed_offset;
                seed_offset += len;
                f_pre.push(format!("let mut {s} = x[{o}..{e}].to_vec();"));
                f_args.push(format!("&mut {s}"));
                jvp_pre.push(format!("let mut {s} = x[{o}..{e}].to_vec();"));
                jvp_pre.push(format!("let mut {s}_dot = d[{o}..{e}].to_vec();"));
                jvp_args.push(format!("&mut {s}, &mut {s}_dot"));
                vjp_pre.push(format!("let mut {s} = x[{o}..{e}].to_vec();"));
                vjp_pre.push(format!("let mut {s}_bar = w[{w}..{}].to_vec();", w + len));
                vjp_args.push(format!("&mut {s}, &mut {s}_bar"));
                grads.push(format!("g.extend_from_slice(&{s}_bar);"));
            }
            Param::Array3(s) => {
                let arr = format!("[x[{o}], x[{}], x[{}]]", o + 1, o + 2);
                f_args.push(arr.clone());
                jvp_args.push(format!("{arr}, [d[{o}], d[{}], d[{}]]", o + 1, o + 2));
                vjp_pre.push(format!("let mut {s}_bar = [0.0; 3];"));
                vjp_args.push(format!("{arr}, &mut {s}_bar"));
                grads.push(format!("g.extend_from_slice(&{s}_bar);"));
            }
            Param::Vec(s, _) => {
                f_args.push(format!("x[{o}..{e}].to_vec()"));
                jvp_args.push(format!("x[{o}..{e}].to_vec(), d[{o}..{e}].to_vec()"));
                vjp_pre.push(format!("let mut {s}_bar = vec![0.0; {len}];"));
                vjp_args.push(format!("x[{o}..{e}].to_vec(), &mut {s}_bar"));
                grads.push(format!("g.extend_from_slice(&{s}_bar);"));
            }
            Param::Int(_, v) => {
                f_args.push(format!("{v}"));
                jvp_args.push(format!("{v}"));
                vjp_args.push(format!("{v}"));
            }
            Param::Data(s, data::Data::ActiveRows { width, count }) => {
                let rows = |v: &str| format!("&nest::<{width}, f64>(&{v}[{o}..{e}])");
                f_args.push(rows("x"));
                jvp_args.push(format!("{}, {}", rows("x"), rows("d")));
                vjp_pre.push(format!("let mut {s}_bar = vec![[0.0; {width}]; {count}];"));
                vjp_args.push(format!("{}, &mut {s}_bar", rows("x")));
                grads.push(format!("g.extend_from_slice({s}_bar.as_flattened());"));
            }
            Param::Data(_, d) => {
                f_args.push(d.arg());
                jvp_args.push(d.arg());
                vjp_args.push(d.arg());
            }
            Param::Struct(s, ty) => {
                let (l, at) = (test_local(s), ty.at());
                let m = if *ty == StructTy::State { "mut " } else { "" };
                f_pre.push(format!("let {m}{l} = {at}(&x[{o}..{e}]);"));
                jvp_pre.push(format!("let {m}{l} = {at}(&x[{o}..{e}]);"));
                jvp_pre.push(format!("let {m}{l}_dot = {at}(&d[{o}..{e}]);"));
                vjp_pre.push(format!("let {m}{l} = {at}(&x[{o}..{e}]);"));
                if *ty == StructTy::State {
                    let w = seed_offset;
                    seed_offset += len;
                    vjp_pre.push(format!("let mut {l}_bar = {at}(&w[{w}..{}]);", w + len));
                } else {
                    vjp_pre.push(format!("let mut {l}_bar = {at}(&[0.0; {len}]);"));
                }
                // A method's receiver is not an argument of the method call.
                if s != "self" {
                    f_args.push(format!("&{m}{l}"));
                }
                jvp_args.push(format!("&{m}{l}, &{m}{l}_dot"));
                vjp_args.push(format!("&{m}{l}, &mut {l}_bar"));
                grads.push(format!("g.extend_from_slice(&{l}_bar.to_reals());"));
            }
        }
    }
    let (f_args, jvp_args, vjp_args) =
        (f_args.join(", "), jvp_args.join(", "), vjp_args.join(", "));
    // The call, and the result's components as the start of the flat output.
    let (f_call, jvp_call, vjp_call) = match ret {
        Ret::Unit => (
            vec![
                format!("{callee}({f_args});"),
                "let mut out = Vec::new();".into(),
            ],
            vec![
                format!("{callee_jvp}({jvp_args});"),
                "let (mut out, mut tan) = (Vec::new(), Vec::new());".into(),
            ],
            vec![
                format!("{callee_vjp}({vjp_args});"),
                "let mut out = Vec::new();".into(),
            ],
        ),
        Ret::Scalar => (
            vec![format!("let mut out = vec![{callee}({f_args})];")],
            vec![
                format!("let (r, r_dot) = {callee_jvp}({jvp_args});"),
                "let (mut out, mut tan) = (vec![r], vec![r_dot]);".into(),
            ],
            vec![format!(
                "let mut out = vec![{callee_vjp}({vjp_args}, w[0])];"
            )],
        ),
        Ret::Pair => (
            vec![
                format!("let r = {callee}({f_args});"),
                "let mut out = vec![r.0, r.1];".into(),
            ],
            vec![
                format!("let (r, r_dot) = {callee_jvp}({jvp_args});"),
                "let (mut out, mut tan) = (vec![r.0, r.1], vec![r_dot.0, r_dot.1]);".into(),
            ],
            vec![
                format!("let r = {callee_vjp}({vjp_args}, (w[0], w[1]));"),
                "let mut out = vec![r.0, r.1];".into(),
            ],
        ),
        Ret::Vec3 => (
            vec![format!("let mut out = {callee}({f_args});")],
            vec![format!(
                "let (mut out, mut tan) = {callee_jvp}({jvp_args});"
            )],
            vec![format!("let mut out = {callee_vjp}({vjp_args}, &w[0..3]);")],
        ),
    };
    let mut f_body = f_pre;
    f_body.extend(f_call);
    let mut jvp_body = jvp_pre;
    jvp_body.extend(jvp_call);
    let mut vjp_body = vjp_pre;
    vjp_body.extend(vjp_call);
    for (value, tangent, _) in &mut_slices {
        f_body.push(format!("out.extend_from_slice({value});"));
        jvp_body.push(format!("out.extend_from_slice({value});"));
        jvp_body.push(format!("tan.extend_from_slice({tangent});"));
        vjp_body.push(format!("out.extend_from_slice({value});"));
    }
    f_body.push("out".into());
    jvp_body.push("(out, tan)".into());
    vjp_body.push(format!(
        "let mut g: Vec<f64> = Vec::with_capacity({inputs});"
    ));
    vjp_body.extend(grads);
    vjp_body.push("(out, g)".into());
    let indent = |lines: Vec<String>| {
        lines
            .iter()
            .map(|l| format!("                {l}\n"))
            .collect::<String>()
    };
    let (f_body, jvp_body, vjp_body) = (indent(f_body), indent(jvp_body), indent(vjp_body));
    format!(
        r#"#[test]
fn {name}_derivatives() {{
    check_program(
        &Case {{
            name: "{name}",
            inputs: {inputs},
            outputs: {outputs},
            f: &|x| {{
{f_body}            }},
            jvp: &|x, d| {{
{jvp_body}            }},
            vjp: &|x, w| {{
{vjp_body}            }},
        }},
        {index},
    );
}}
"#
    )
}

/// The local of a test holding the struct argument `s` (`this` for a method's receiver).
fn test_local(s: &str) -> &str {
    if s == "self" {
        "this"
    } else {
        s
    }
}

/// How a test calls the function and its tangent and adjoint companions: by name, or for a
/// method as `this.f(..)` and `Type::f_jvp_at(this, ..)`.
fn callees(name: &str, params: &[Param]) -> (String, String, String) {
    match params.first() {
        Some(Param::Struct(s, ty)) if s == "self" => (
            format!("this.{name}"),
            format!("{}::{name}_jvp_at", ty.name()),
            format!("{}::{name}_vjp_at", ty.name()),
        ),
        _ => (name.into(), format!("{name}_jvp"), format!("{name}_vjp")),
    }
}

/// For a scalar program of scalars, slices and integers: a test of its forward-over-reverse
/// Hessian-vector products (the `_vjp` companion at dual numbers), which must be symmetric and
/// agree with central differences of the adjoint gradient. Empty for other signatures.
fn hessian_test_of(name: &str, index: usize, params: &[Param], ret: Ret) -> String {
    if !matches!(ret, Ret::Scalar)
        || params.iter().any(|p| {
            !matches!(
                p,
                Param::Scalar(_) | Param::Slice(..) | Param::Int(..) | Param::Data(..)
            )
        })
    {
        return String::new();
    }
    let (mut pre, mut args, mut grads) = (Vec::new(), Vec::new(), Vec::new());
    let mut offset = 0;
    for p in params {
        match p {
            Param::Scalar(s) => {
                pre.push(format!("let mut {s}_bar = S::zero();"));
                args.push(format!("x[{offset}], &mut {s}_bar"));
                grads.push(format!("g.push({s}_bar);"));
                offset += 1;
            }
            Param::Slice(s, n) => {
                pre.push(format!("let mut {s}_bar = vec![S::zero(); {n}];"));
                args.push(format!("&x[{offset}..{}], &mut {s}_bar", offset + n));
                grads.push(format!("g.extend_from_slice(&{s}_bar);"));
                offset += n;
            }
            Param::Int(_, v) => args.push(format!("{v}")),
            Param::Data(s, data::Data::ActiveRows { width, count }) => {
                let n = width * count;
                pre.push(format!(
                    "let mut {s}_bar = vec![[S::zero(); {width}]; {count}];"
                ));
                args.push(format!(
                    "&nest::<{width}, S>(&x[{offset}..{}]), &mut {s}_bar",
                    offset + n
                ));
                grads.push(format!("g.extend_from_slice({s}_bar.as_flattened());"));
                offset += n;
            }
            Param::Data(_, d) => args.push(d.arg()),
            Param::MutSlice(..) | Param::Array3(_) | Param::Vec(..) | Param::Struct(..) => {
                unreachable!()
            }
        }
    }
    let body: String = pre
        .iter()
        .chain(std::iter::once(&format!(
            "{name}_vjp({}, S::one());",
            args.join(", ")
        )))
        .chain(std::iter::once(&format!(
            "let mut g = Vec::with_capacity({offset});"
        )))
        .chain(grads.iter())
        .map(|l| format!("        {l}\n"))
        .collect();
    format!(
        r#"#[test]
fn {name}_hessian() {{
    fn gradient<S: Real>(x: &[S]) -> Vec<S> {{
{body}        g
    }}
    check_hessian("{name}", {offset}, &gradient::<f64>, &gradient::<Dual<f64, 1>>, {index});
}}
"#
    )
}
