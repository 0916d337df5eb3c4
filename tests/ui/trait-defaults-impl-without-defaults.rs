use tapeless::differentiable;

// An annotated trait's implementation without `defaults`: the default's companions would be
// missing, so the trait's hidden method says what to write.
#[differentiable]
trait Model {
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    #[differentiable]
    fn energy(&self, u: &[f64]) -> f64 {
        let mut du = [0.0; 3];
        self.rhs(&mut du, u);
        du[0] * u[0]
    }
}

#[differentiable]
struct Decay {
    k: f64,
}

#[differentiable]
impl Model for Decay {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]) {
        du[0] = -self.k * u[0];
    }
}

fn main() {}
