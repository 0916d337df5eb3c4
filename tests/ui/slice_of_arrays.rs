use tapeless::differentiable;

// Observations as pairs: not supported yet; the message says to pass them flat.
#[differentiable]
fn misfit(x: &[f64], obs: &[[f64; 2]]) -> f64 {
    let mut j = 0.0;
    for o in obs.iter() {
        let d = x[0] * o[0] - o[1];
        j += d * d;
    }
    j
}

fn main() {}
