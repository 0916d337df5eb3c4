use tapeless::differentiable;

// Rows of varying lengths are data: without `wrt(..)` every real parameter is differentiated.
#[differentiable]
fn cost(x0: &[f64], obs: &[Vec<f64>]) -> f64 {
    let mut j = 0.0;
    for y in obs {
        j += (x0[0] - y[0]).powi(2);
    }
    j
}

fn main() {}
