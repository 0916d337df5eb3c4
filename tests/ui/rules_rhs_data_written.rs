use tapeless::differentiable;

// The data after `t` are read: the integrators own `du`.
#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: &[f64], p: &[f64], _t: f64, scratch: &mut [f64]) {
    for i in 0..u.len() {
        scratch[i] = p[0] * u[i];
        du[i] = -scratch[i];
    }
}

fn main() {}
