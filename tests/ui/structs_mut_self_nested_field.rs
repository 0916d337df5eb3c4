//! A `&mut self` method calling a method of `self` is held as the receiver's reals, at the
//! places `Self` publishes: fields of a nested struct of `self` are not reached so.
use tapeless::differentiable;

#[differentiable]
struct Coef {
    a: f64,
}

#[differentiable]
struct Model {
    u: [f64; 2],
    c: Coef,
}

impl Model {
    #[differentiable]
    fn drift(&mut self, h: f64) {
        self.u[0] += h * self.u[1];
    }

    #[differentiable]
    fn step(&mut self, h: f64) {
        self.drift(h);
        self.u[1] -= h * self.c.a * self.u[0];
    }
}

fn main() {}
