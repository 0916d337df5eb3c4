use tapeless::differentiable;

#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: &[f64], k: f64) {
    du[0] = -k * u[0];
}

fn main() {}
