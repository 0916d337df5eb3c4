// A `&self` method differentiated in its arguments only (`wrt(x)`) cannot call a method of
// `self`: the callee differentiates the receiver, so `self` must be in `wrt(..)`.
use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Model {
    k: f64,
}

impl Model {
    #[differentiable]
    fn scale(&self, x: f64) -> f64 {
        self.k * x
    }

    #[differentiable(wrt(x))]
    fn energy(&self, x: &[f64], y: &[f64]) -> f64 {
        self.scale(x[0]) * y[0]
    }
}

fn main() {
    let _ = Model { k: 2.0 }.energy(&[1.0], &[3.0]);
}
