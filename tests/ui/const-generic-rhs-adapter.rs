use tapeless::differentiable;

// `rhs = ..` implements `ode::Rhs`, for states of any length: a const length does not fit it.
#[differentiable(rhs = Decay)]
fn decay<const N: usize>(du: &mut [f64], u: &[f64], p: &[f64], _t: f64) {
    for i in 0..N {
        du[i] = -p[0] * u[i];
    }
}

fn main() {}
