//! Once refused (`loop over a range of integers`): `for v in u` over a slice compiles, with no
//! warning, and gives the derivative of the loop over `0..u.len()`.
#![deny(warnings)]

use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in u {
        s += v * v;
    }
    s
}

fn main() {
    let u = [1.0, -2.0, 0.5];
    let (value, tangent) = f_jvp(&u[..], &[1.0, 1.0, 1.0][..]);
    assert_eq!((value, tangent), (f(&u), 2.0 * (1.0 - 2.0 + 0.5)));
}
