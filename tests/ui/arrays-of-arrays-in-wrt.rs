use tapeless::differentiable;

// Differentiating with respect to arrays of arrays is not supported: they are data.
#[differentiable(wrt(x, obs))]
fn misfit(x: &[f64], obs: &[[f64; 2]]) -> f64 {
    let d = x[0] * obs[0][0] - obs[0][1];
    d * d
}

fn main() {}
