use tapeless::differentiable;

#[differentiable]
struct Decay {
    k: f64,
}

// `defaults` replays a trait's default methods: an inherent `impl` has none.
#[differentiable(defaults)]
impl Decay {
    #[differentiable]
    fn rate(&self, x: f64) -> f64 {
        -self.k * x
    }
}

fn main() {}
