use tapeless::differentiable;

// Sparse observations as (index, value) pairs: pass the fields as slices of their own.
#[differentiable(wrt(x))]
fn cost(x: &[f64], obs: &[(usize, f64)]) -> f64 {
    let mut j = 0.0;
    for &(k, y) in obs {
        let d = x[k] - y;
        j += d * d;
    }
    j
}

fn main() {}
