use tapeless::differentiable;

#[differentiable]
struct Ring {
    k: f64,
}

// Free functions take const lengths; methods do not yet.
#[differentiable]
impl Ring {
    #[differentiable]
    fn energy<const N: usize>(&self, x: &[f64; N]) -> f64 {
        self.k * x[0] * x[N - 1]
    }
}

fn main() {}
