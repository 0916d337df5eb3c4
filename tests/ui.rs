#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // Programs that must compile (with the lints they deny) and run.
    t.pass("tests/ui-pass/*.rs");
}
