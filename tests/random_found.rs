//! Valid Rust that the random programs of `tests/random-programs` (its second batch: structs,
//! methods, iterator loops, closures) found the macro refusing, reduced to one function each
//! (bugs 9 to 12 and 1b of `tests/random-programs/README.md`, and `wrt` on a method, found
//! writing `examples/lorenz63_idiomatic.rs`). Each case is pinned with the error it gives at
//! base 614b14b; a fix changes the error or removes it, which fails this test: then turn the
//! generator's switch on, and turn the case into a derivative test.
//!
//! `TRYBUILD=overwrite cargo test --test random_found` re-pins them after a change.

#[test]
fn refusals_found_by_the_random_programs() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/random_found/*.rs");
}
