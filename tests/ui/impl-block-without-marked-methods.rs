use tapeless::differentiable;

#[differentiable]
struct Decay {
    k: f64,
}

// The block's attribute expands the methods marked `#[differentiable]`; none is.
#[differentiable]
impl Decay {
    fn rate(&self, u: f64) -> f64 {
        -self.k * u
    }
}

fn main() {}
