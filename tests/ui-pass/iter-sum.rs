//! Once refused (`iterators are not supported`): a sum over `iter()` compiles, with no warning,
//! and its gradient is all ones.
#![deny(warnings)]

use tapeless::differentiable;

#[differentiable]
fn total(u: &[f64]) -> f64 {
    u.iter().sum()
}

fn main() {
    let u = [1.0, 2.0, 3.5];
    let mut u_bar = [0.0; 3];
    let value = total_vjp(&u[..], &mut u_bar[..], 1.0);
    assert_eq!((value, u_bar), (total(&u), [1.0; 3]));
}
