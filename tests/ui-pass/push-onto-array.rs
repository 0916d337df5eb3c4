//! Once refused (`.push() is not supported`): a `Vec` made at a length and then pushed onto
//! compiles, with no warning; the pushed element carries its derivative.
#![deny(warnings)]

use tapeless::differentiable;

#[differentiable]
fn grow(x: f64) -> f64 {
    let mut v = vec![0.0; 2];
    v.push(x * x);
    v[0] + x + v[2]
}

fn main() {
    let mut x_bar = 0.0;
    let value = grow_vjp(1.5, &mut x_bar, 1.0);
    assert_eq!((value, x_bar), (grow(1.5), 4.0));
}
