// Found writing examples/lorenz63_idiomatic.rs: `wrt(..)` on a `&self` method gives companions
// that do not type-check (without `wrt` the same method works).
use tapeless::differentiable;

#[differentiable]
#[derive(Clone)]
struct Model {
    k: f64,
}

impl Model {
    #[differentiable(wrt(x))]
    fn energy(&self, x: &[f64], y: &[f64]) -> f64 {
        self.k * x[0] * y[0]
    }
}

fn main() {
    let _ = Model { k: 2.0 }.energy(&[1.0], &[3.0]);
}
