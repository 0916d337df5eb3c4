use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

// The integrators pass the state as `u: &[f64]`, not an array.
#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: [f64; 1], p: &Params, _t: f64) {
    du[0] = -p.k * u[0];
}

fn main() {}
