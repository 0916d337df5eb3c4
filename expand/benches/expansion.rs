//! Expansion time of `#[differentiable]` (the macro alone, no rustc) against the size of the
//! function: loops in sequence and straight-line statements, 1k to 8k, and nested matrix
//! negations to depth 50. Linear in the input: doubling the statements doubles the time.
//!
//! `cargo bench -p tapeless-expand --bench expansion -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/support/big_functions.rs"]
mod big_functions;

use big_functions::{nested_negation, sequential_loops, straight_line};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use proc_macro2::TokenStream;

fn expand(src: &str) -> TokenStream {
    let item: TokenStream = src.parse().expect("the function tokenizes");
    tapeless_expand::differentiable(TokenStream::new(), item)
}

fn statements(c: &mut Criterion) {
    let mut group = c.benchmark_group("expansion");
    group.sample_size(10);
    for n in [1000, 2000, 4000, 8000] {
        let loops = sequential_loops(n);
        group.bench_with_input(BenchmarkId::new("sequential_loops", n), &loops, |b, src| {
            b.iter(|| expand(src))
        });
        let straight = straight_line(n);
        group.bench_with_input(BenchmarkId::new("straight_line", n), &straight, |b, src| {
            b.iter(|| expand(src))
        });
    }
    for depth in [10, 20, 30, 40, 50] {
        let neg = nested_negation(depth);
        group.bench_with_input(
            BenchmarkId::new("nested_negation", depth),
            &neg,
            |b, src| b.iter(|| expand(src)),
        );
    }
    group.finish();
}

criterion_group!(benches, statements);
criterion_main!(benches);
