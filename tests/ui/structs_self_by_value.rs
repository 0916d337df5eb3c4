use tapeless::differentiable;

#[differentiable]
#[derive(Clone, Copy)]
struct Spring {
    k: f64,
}

impl Spring {
    #[differentiable]
    fn energy(self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

fn main() {}
