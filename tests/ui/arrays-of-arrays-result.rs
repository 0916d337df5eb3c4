use tapeless::differentiable;

// An array of arrays as the result: not yet; written into a `&mut` parameter instead.
#[differentiable(wrt(x))]
fn pairs(x: &[[f64; 2]]) -> [[f64; 2]; 2] {
    let mut out = [[0.0; 2]; 2];
    for k in 0..2 {
        out[k][0] = x[k][1];
        out[k][1] = x[k][0] * x[k][1];
    }
    out
}

fn main() {}
