use tapeless::differentiable;

#[differentiable]
pub struct Inner {
    pub a: f64,
}

#[differentiable]
pub struct Outer {
    pub inner: Inner,
    pub c: f64,
}

#[differentiable]
pub fn twice(x: f64, s: &Inner) -> f64 {
    2.0 * s.a * x
}

// A nested struct field passed on whole: the note says what to write instead.
#[differentiable]
pub fn energy(x: f64, t: &Outer) -> f64 {
    t.c * twice(x, &t.inner)
}

fn main() {}
