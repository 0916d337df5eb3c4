use tapeless::differentiable;

trait Model {
    fn rhs(&self, du: &mut [f64], u: &[f64]);
}

#[differentiable]
struct Decay {
    k: f64,
}

// The attribute on a method cannot put companions in a trait impl: it belongs on the block.
impl Model for Decay {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        du[0] = -self.k * u[0];
    }
}

fn main() {}
