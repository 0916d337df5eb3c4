use tapeless::differentiable;

const N: usize = 2;

// Rows whose length is an expression: the generated index arithmetic names a literal or a
// `const`.
#[differentiable(wrt(x))]
fn computed_rows(x: &[f64]) -> f64 {
    let mut p = [[0.0; N + 1]; 4];
    p[0][1] = x[0];
    p[0][1] * x[1]
}

fn main() {}
