//! Once refused (`closures cannot be differentiated`): a closure stored in a `let` is inlined
//! where it is called; no warning.
#![deny(warnings)]

use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let double = |t: f64| 2.0 * t;
    double(x)
}

fn main() {
    let (value, gradient) = f_grad(1.5);
    assert_eq!((value, gradient), (f(1.5), 2.0));
}
