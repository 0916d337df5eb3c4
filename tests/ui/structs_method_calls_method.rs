use tapeless::differentiable;

#[differentiable]
struct Spring {
    k: f64,
}

impl Spring {
    #[differentiable]
    fn force(&self, x: f64) -> f64 {
        -self.k * x
    }

    // A differentiable method cannot call another method of `self` yet.
    #[differentiable]
    fn power(&self, x: f64, v: f64) -> f64 {
        self.force(x) * v
    }
}

fn main() {}
