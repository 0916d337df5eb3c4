use tapeless::differentiable;

#[differentiable]
struct Spring {
    k: f64,
    x: [f64; 1],
}

impl Spring {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.k * x
    }

    // A `&mut self` method cannot call another method of `self` yet.
    #[differentiable]
    fn relax(&mut self, v: f64) {
        self.x[0] += self.force(v);
    }
}

fn main() {}
