//! Big functions expand, on the small stack of a test thread, into code that rustc can compile:
//! no error, and no deeper nesting than the function's own. Too deep a function is an error that
//! says what to write instead, never a crash.
//!
//! The functions that `tests/size_limits.rs` compiles through the real macro are written here
//! from `support/big_functions.rs` into `tests/size_limits/`: after an intended change, run
//! `TAPELESS_BLESS=1 cargo test -p tapeless-expand` and review the diff.

#[path = "support/big_functions.rs"]
mod big_functions;

use big_functions::*;
use proc_macro2::{TokenStream, TokenTree};

/// The expansion of `src`, with the compile errors it holds.
fn expand(src: &str) -> (TokenStream, Vec<String>) {
    let item: TokenStream = src.parse().expect("the test function tokenizes");
    let out = tapeless_expand::differentiable(TokenStream::new(), item);
    let mut errors = Vec::new();
    let text = out.to_string();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("compile_error") {
        let tail = &rest[at..];
        let end = tail.find(')').unwrap_or(tail.len());
        errors.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    (out, errors)
}

/// How deep groups (blocks, parentheses, brackets) nest in `tokens`.
fn nesting(tokens: &TokenStream) -> usize {
    let mut deepest = 0;
    let mut stack = vec![tokens.clone().into_iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(TokenTree::Group(g)) => {
                stack.push(g.stream().into_iter());
                deepest = deepest.max(stack.len() - 1);
            }
            Some(_) => {}
            None => {
                stack.pop();
            }
        }
    }
    deepest
}

/// Expands `src` and checks that the result has no error, parses as Rust, has the companions,
/// and nests at most `max_nesting` deep.
fn expands_shallow(name: &str, src: &str, max_nesting: usize) {
    let (out, errors) = expand(src);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let depth = nesting(&out);
    assert!(
        depth <= max_nesting,
        "{name}: the expansion nests {depth} deep, more than {max_nesting}"
    );
    // syn's parser recurses as deep as the generated code nests; that depth is bounded above.
    let text = out.to_string();
    assert!(text.contains(&format!("{name}_vjp")) && text.contains(&format!("{name}_jvp")));
    drop(out);
    let parsed = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || syn::parse_str::<syn::File>(&text).map(|f| f.items.len()))
        .expect("a thread")
        .join()
        .expect("parsing does not panic");
    assert!(parsed.is_ok(), "{name}: the expansion does not parse");
}

#[test]
fn long_expressions_become_shallow_code() {
    // Without temporaries, the generated code nested as deep as the sum or the chain is long.
    expands_shallow("long_sum", &long_sum(5000), 40);
    expands_shallow("method_chain", &method_chain(1000), 40);
}

#[test]
fn long_matches_become_flat_code() {
    expands_shallow("long_match", &long_match(1000), 40);
    expands_shallow("long_match_value", &long_match_value(1000), 40);
}

#[test]
fn many_statements_and_loops_expand() {
    expands_shallow("sequential_loops", &sequential_loops(2000), 40);
    expands_shallow("straight_line", &straight_line(2000), 40);
    expands_shallow("nested_negation", &nested_negation(50), 120);
}

#[test]
fn nested_calls_are_lowered_once() {
    // Each argument was lowered twice, once to learn whether it is real: 2^60 times here.
    expands_shallow("nested_calls", &nested_calls(60), 80);
}

#[test]
fn nested_loops_up_to_the_limit_expand() {
    // The reverse sweep of a loop nest is a loop nest as deep, with a block or two around it.
    expands_shallow("nested_loops", &nested_loops(120), 2 * 120 + 20);
}

#[test]
fn nesting_past_the_limit_is_an_error_with_advice() {
    for src in [
        nested_loops(200),
        nested_negation(500),
        nested_loops(10_000),
    ] {
        // Printing tokens recurses as deep as they nest: the test prints on a stack of its own.
        let errors = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || expand(&src).1)
            .expect("a thread")
            .join()
            .expect("expansion does not panic");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("nest more than 128 deep")
                && errors[0].contains("move the inner part into a function of its own"),
            "{errors:?}"
        );
    }
}

/// The functions `tests/size_limits.rs` compiles, written by the generators above.
#[test]
fn the_compiled_big_functions_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/size_limits");
    let files = [
        ("long_sum.rs", long_sum(2000)),
        ("method_chain.rs", method_chain(1000)),
        ("long_match.rs", long_match(1000)),
        ("nested_loops.rs", nested_loops(100)),
        ("sequential_loops.rs", sequential_loops(250)),
        ("nested_negation.rs", nested_negation(50)),
    ];
    let bless = std::env::var_os("TAPELESS_BLESS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (file, body) in files {
        let text = format!(
            "// Written by expand/tests/size_limits.rs (`TAPELESS_BLESS=1 cargo test -p tapeless-expand`).\n#[differentiable]\n{body}"
        );
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).expect("the directory");
            std::fs::write(&path, &text).expect("written");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "tests/size_limits/{stale:?} differ from their generators; rewrite them with TAPELESS_BLESS=1"
    );
}
