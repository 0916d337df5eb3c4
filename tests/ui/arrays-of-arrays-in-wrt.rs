use tapeless::differentiable;

// Arrays of arrays of reals are differentiated by reference (the companions take the adjoint
// in the same shape, `obs_bar: &mut [[S; 2]]`); by value they are data.
#[differentiable(wrt(x, obs))]
fn misfit(x: &[f64], obs: [[f64; 2]; 3]) -> f64 {
    let d = x[0] * obs[0][0] - obs[0][1];
    d * d
}

fn main() {}
