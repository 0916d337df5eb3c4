// Bug 11 of tests/random-programs/README.md: `&p.w` passed to a call inside `vec![..]`.
use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Params {
    w: [f64; 3],
}

#[differentiable]
fn dot(u: &[f64], v: &[f64]) -> f64 {
    u[0] * v[0] + u[1] * v[1]
}

#[differentiable]
fn f(p: &Params, x: &[f64]) -> f64 {
    let t = vec![1.0, dot(&p.w, x)];
    t[1]
}

fn main() {
    let _ = f(&Params { w: [1.0, 2.0, 3.0] }, &[0.5, 0.5]);
}
