use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

// The data after `t` are read, not written.
#[differentiable(rhs = Decay)]
fn decay(du: &mut [f64], u: &[f64], p: &Params, _t: f64, scratch: &mut [f64]) {
    scratch[0] = u[0];
    du[0] = -p.k * u[0];
}

fn main() {}
