//! A function used only through its companions is used: no `dead_code` warning, which this
//! file denies.
#![deny(dead_code)]

use tapeless::differentiable;

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

mod physics {
    use tapeless::differentiable;

    #[differentiable]
    pub(crate) fn cube(x: f64) -> f64 {
        x * x * x
    }
}

#[differentiable]
fn r#type(x: f64) -> f64 {
    2.0 * x
}

fn main() {
    let (value, gradient) = square_grad(3.0);
    assert_eq!((value, gradient), (9.0, 6.0));
    let (value, tangent) = physics::cube_jvp(2.0, 1.0);
    assert_eq!((value, tangent), (8.0, 12.0));
    let mut x_bar = 0.0;
    let value = type_vjp(1.5, &mut x_bar, 1.0);
    assert_eq!((value, x_bar), (3.0, 2.0));
}
