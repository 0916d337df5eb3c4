//! Big differentiable functions, as source text: the inputs of the size tests
//! (`expand/tests/size_limits.rs`, which also writes the ones `tests/size_limits.rs` compiles)
//! and of the expansion-time benchmark (`expand/benches/expansion.rs`).
#![allow(dead_code)] // each user takes part

use std::fmt::Write;

/// `x * 1.0 + y * 2.0 + x * 3.0 + ..`: one flat sum of `terms` terms.
pub fn long_sum(terms: usize) -> String {
    let mut s = String::from("fn long_sum(x: f64, y: f64) -> f64 {\n    ");
    for k in 1..=terms {
        let v = if k % 2 == 0 { "x" } else { "y" };
        if k > 1 {
            s.push_str(if k % 8 == 1 { "\n        + " } else { " + " });
        }
        write!(s, "{v} * {k}.0").unwrap();
    }
    s.push_str("\n}\n");
    s
}

/// `x.exp().ln().sqrt().powi(2).exp()..`: a chain of `calls` methods (identity every four, so
/// that the value and the derivative stay near `x` and 1 for `x > 0`).
pub fn method_chain(calls: usize) -> String {
    const CYCLE: [&str; 4] = [".exp()", ".ln()", ".sqrt()", ".powi(2)"];
    let mut s = String::from("fn method_chain(x: f64) -> f64 {\n    x");
    for k in 0..calls {
        if k % 8 == 0 {
            s.push_str("\n        ");
        }
        s.push_str(CYCLE[k % 4]);
    }
    s.push_str("\n}\n");
    s
}

/// A `match` of `arms` arms on an index, with a guard, `|` and a range among them.
pub fn long_match(arms: usize) -> String {
    let mut s = String::from(
        "fn long_match(x: f64, k: usize) -> f64 {\n    let mut y = x;\n    match k {\n        0 if x > 1.0 => {\n            y *= 2.0;\n        }\n        0 => y = y.sin(),\n        1 | 2 => {\n            y = y.exp();\n        }\n        3..=5 => y += x * x,\n",
    );
    for i in 6..arms + 1 {
        writeln!(s, "        {i} => y = y * {}.5 - x,", i % 7).unwrap();
    }
    s.push_str("        _ => y = y.tanh(),\n    }\n    y * y\n}\n");
    s
}

/// The same `match`, giving a value.
pub fn long_match_value(arms: usize) -> String {
    let mut s =
        String::from("fn long_match_value(x: f64, k: usize) -> f64 {\n    let y = match k {\n");
    for i in 0..arms - 1 {
        writeln!(s, "        {i} => x * {}.5,", i % 7).unwrap();
    }
    s.push_str("        _ => x.sin(),\n    };\n    y * x\n}\n");
    s
}

/// `depth` `for` loops, each inside the one before.
pub fn nested_loops(depth: usize) -> String {
    let mut s = String::from("fn nested_loops(x: f64) -> f64 {\n    let mut s = x;\n");
    for d in 0..depth {
        writeln!(s, "{:w$}for _i{d} in 0..1 {{", "", w = 4 + d.min(40)).unwrap();
    }
    writeln!(s, "{:w$}s = s * x + 1.0;", "", w = 4 + depth.min(40)).unwrap();
    for d in (0..depth).rev() {
        writeln!(s, "{:w$}}}", "", w = 4 + d.min(40)).unwrap();
    }
    s.push_str("    s\n}\n");
    s
}

/// `loops` loops one after the other over an array; every tenth one multiplies, so that its
/// reverse sweep needs the values it overwrote.
pub fn sequential_loops(loops: usize) -> String {
    let mut s = String::from("fn sequential_loops(u: &[f64]) -> f64 {\n    let mut s = 0.0;\n");
    for k in 0..loops {
        if k % 10 == 9 {
            s.push_str("    for i in 0..u.len() {\n        s *= u[i];\n    }\n");
        } else {
            s.push_str("    for i in 0..u.len() {\n        s += u[i] * u[i];\n    }\n");
        }
    }
    s.push_str("    s\n}\n");
    s
}

/// `statements` assignments one after the other.
pub fn straight_line(statements: usize) -> String {
    let mut s = String::from("fn straight_line(x: f64, y: f64) -> f64 {\n    let mut s = x;\n");
    for k in 0..statements {
        match k % 3 {
            0 => writeln!(s, "    s = s * y + {k}.0;").unwrap(),
            1 => s.push_str("    s = s.sin() + x;\n"),
            _ => s.push_str("    let t = s * x;\n    s = t - y;\n"),
        }
    }
    s.push_str("    s\n}\n");
    s
}

/// `-(-(..(-w)..))` of a matrix, `depth` negations deep.
pub fn nested_negation(depth: usize) -> String {
    let mut s =
        String::from("fn nested_negation(w: &DMatrix<f64>) -> f64 {\n    let m: DMatrix<f64> = ");
    s.push_str(&"-(".repeat(depth));
    s.push('w');
    s.push_str(&")".repeat(depth));
    s.push_str(";\n    m.sum()\n}\n");
    s
}

/// `g(g(..g(x)..))`: differentiable calls `depth` deep, each the argument of the next.
pub fn nested_calls(depth: usize) -> String {
    format!(
        "fn nested_calls(x: f64) -> f64 {{\n    {}x{}\n}}\n",
        "g(".repeat(depth),
        ")".repeat(depth)
    )
}
