use tapeless::differentiable;

// `#[differentiable]` on a trait whose default method calls a required one, but is not marked.
#[differentiable]
trait Model {
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    fn energy(&self, u: &[f64]) -> f64 {
        let mut du = [0.0; 3];
        self.rhs(&mut du, u);
        du[0] * u[0]
    }
}

fn main() {}
