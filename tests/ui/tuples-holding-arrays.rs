use tapeless::differentiable;

// The fields of tuples in a slice are scalars.
#[differentiable(wrt(x))]
fn cost(x: &[f64], obs: &[(usize, [f64; 2])]) -> f64 {
    let mut j = 0.0;
    for &(k, y) in obs {
        j += (x[k] - y[0]).powi(2);
    }
    j
}

fn main() {}
