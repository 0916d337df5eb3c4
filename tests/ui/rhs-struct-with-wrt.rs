use tapeless::differentiable;

#[differentiable]
struct Params {
    k: f64,
}

// `rhs = ..` differentiates along `(du, u, p, t)`: no `wrt(..)`.
#[differentiable(rhs = Decay, wrt(u))]
fn decay(du: &mut [f64], u: &[f64], p: &Params, _t: f64) {
    du[0] = -p.k * u[0];
}

fn main() {}
