use tapeless::differentiable;

// A local array of arrays would carry derivatives: build it flat.
#[differentiable(wrt(x))]
fn positions(x: &[f64]) -> f64 {
    let mut p = [[0.0; 3]; 4];
    for i in 0..4 {
        p[i][0] = x[i];
    }
    p[1][0] * p[2][0]
}

fn main() {}
