use tapeless::differentiable;

// A required method marked in an annotated trait: it has no body to differentiate there.
#[differentiable]
trait Model {
    #[differentiable]
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    #[differentiable]
    fn energy(&self, u: &[f64]) -> f64 {
        u[0] * u[0]
    }
}

fn main() {}
