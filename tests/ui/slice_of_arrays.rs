use tapeless::differentiable;

// Observations as pairs are data: without `wrt(..)` every real parameter would be
// differentiated, so the message asks to name the ones that are.
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
