//! The expansion never panics, whatever the tokens: a seeded property test over
//! grammar-generated functions in and around the supported subset, mutations of the functions
//! this repository differentiates, and token soup, each with random attribute arguments.
//!
//! Every input must expand without a panic to Rust that parses, or to the user's tokens plus
//! `compile_error!`s. On failure the seed and the input are printed; rerun one input with
//! `TAPELESS_NO_PANIC_ONE=<seed> cargo test -p tapeless-expand --test no_panic`, or explore
//! further with `TAPELESS_NO_PANIC_SEED=<n> TAPELESS_NO_PANIC_CASES=<count>`.

mod grammar;
mod tokens;

use grammar::{Typed, Wild};
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use tokens::{flatten, lex, mutate, random_group, seeds, soup, tree, Tok};

/// Inputs per strategy and run: four strategies, 13,600 inputs in all.
const CASES: u64 = 3400;

pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
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
    // A verifier's rejection is a bug of the macro reported as a compile error: as bad as a
    // panic, so it fails the test too.
    let text = out.to_string();
    if text.contains("tapeless: internal error") {
        return Err(format!("the expansion reports an internal error: {text}"));
    }
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

pub fn attribute(rng: &mut Rng) -> TokenStream {
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
            "wrt(x), wrt(x, u) as g",
            "wrt(x) as f",
            "wrt(x) as g, wrt(u) as g",
            "custom(jvp = t, vjp = a)",
            "custom(jvp = t)",
            "gradient = G",
        ])
    };
    text.parse().expect("attribute text lexes")
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
