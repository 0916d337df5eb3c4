use tapeless::differentiable;

// Data is read only, element or row.
#[differentiable(wrt(x))]
fn misfit(x: &[f64], obs: &[[f64; 2]]) -> f64 {
    let mut o = obs[0];
    o[1] = x[0];
    o[0] * x[1]
}

fn main() {}
