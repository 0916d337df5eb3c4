use tapeless::differentiable;

#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: &Vec<f64>, p: &[f64], _t: f64) {
    du[0] = -p[0] * u[0];
}

fn main() {}
