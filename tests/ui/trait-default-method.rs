use tapeless::differentiable;

#[differentiable]
struct Lorenz {
    sigma: f64,
}

// A default method body of a trait, annotated in the trait.
trait Model {
    fn rhs(&self, du: &mut [f64], u: &[f64]);

    #[differentiable]
    fn energy(&self, u: &[f64]) -> f64 {
        u[0] * u[0]
    }
}

fn main() {}
