use tapeless::differentiable;

struct Spring;

impl Spring {
    #[differentiable]
    fn energy(&self, x: f64) -> f64 {
        0.5 * x * x
    }
}

fn main() {}
