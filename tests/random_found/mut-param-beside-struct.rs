// Bug 9 of tests/random-programs/README.md: valid Rust, refused with a parse error on the attribute.
use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    c: f64,
}

#[differentiable]
fn f(p: &Params, mut a: f64) -> f64 {
    a = a * p.c;
    a
}

fn main() {
    let _ = f(&Params { c: 2.0 }, 1.0);
}
