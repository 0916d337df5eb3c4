use tapeless::differentiable;

#[differentiable]
struct Decay {
    k: f64,
}

// `wrt(..)` belongs on each method.
#[differentiable(wrt(u))]
impl Decay {
    #[differentiable]
    fn rate(&self, u: f64) -> f64 {
        -self.k * u
    }
}

fn main() {}
