use tapeless::differentiable;

// Without `wrt(..)` every real parameter is differentiated: observations held by value in a
// `Vec` of pairs cannot be, so the message says to take them by reference or name the others.
#[differentiable]
fn misfit(x: &[f64], obs: Vec<[f64; 2]>) -> f64 {
    let mut j = 0.0;
    for o in obs.iter() {
        let d = x[0] * o[0] - o[1];
        j += d * d;
    }
    j
}

fn main() {}
