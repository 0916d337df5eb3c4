use tapeless::differentiable;

const N: usize = 2;

#[differentiable]
fn first(p: &[[f64; 3]]) -> f64 {
    p[0][0]
}

// A local array of arrays passed on to a differentiable function: not yet.
#[differentiable(wrt(x))]
fn passed_on(x: &[f64]) -> f64 {
    let mut p = [[0.0; 3]; 4];
    for i in 0..4 {
        p[i][0] = x[i];
    }
    first(&p) * p[2][0]
}

// Rows whose length is an expression: the generated index arithmetic names a literal or a
// `const`.
#[differentiable(wrt(x))]
fn computed_rows(x: &[f64]) -> f64 {
    let mut p = [[0.0; N + 1]; 4];
    p[0][1] = x[0];
    p[0][1] * x[1]
}

fn main() {}
