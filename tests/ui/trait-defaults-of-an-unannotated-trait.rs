use tapeless::differentiable;

// `defaults` on the implementation of a trait that is not annotated: there is nothing to
// replay, and the hidden method's name says what to write.
trait Model {
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    fn energy(&self, u: &[f64]) -> f64 {
        u[0] * u[0]
    }
}

#[differentiable]
struct Decay {
    k: f64,
}

#[differentiable(defaults)]
impl Model for Decay {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        du[0] = -self.k * u[0];
    }
}

fn main() {}
