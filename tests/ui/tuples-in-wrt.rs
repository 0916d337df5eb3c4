use tapeless::differentiable;

// Tuples are data: their reals are not differentiated.
#[differentiable(wrt(x, obs))]
fn cost(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let mut j = 0.0;
    for &(k, y) in obs {
        j += (x[k] - y).powi(2);
    }
    j
}

fn main() {}
