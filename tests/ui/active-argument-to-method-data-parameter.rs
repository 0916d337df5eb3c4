use tapeless::differentiable;

#[differentiable]
struct Model {
    a: f64,
}

impl Model {
    #[differentiable(wrt(self, u))]
    fn misfit(&self, u: &[f64], obs: &[f64]) -> f64 {
        u.iter().zip(obs).map(|(a, b)| (self.a * a - b) * (self.a * a - b)).sum()
    }

    #[differentiable(wrt(self, x0))]
    fn cost(&self, x0: &[f64], obs: &[f64]) -> f64 {
        // `x0` carries a derivative, but `misfit` does not differentiate its `obs`.
        self.misfit(obs, x0)
    }
}

#[differentiable]
fn rescaled(m: &Model, c: f64) -> Model {
    Model { a: m.a * c }
}

#[differentiable(wrt(m, x0))]
fn held_cost(m: &Model, x0: &[f64], obs: &[f64]) -> f64 {
    let m2: Model = rescaled(m, 2.0);
    // The same on a struct held by a free function.
    m2.misfit(obs, x0)
}

fn main() {
    let m = Model { a: 1.0 };
    let _ = m.cost(&[1.0], &[2.0]);
    let _ = held_cost(&m, &[1.0], &[2.0]);
}
