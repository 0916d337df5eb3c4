use tapeless::differentiable;

#[differentiable]
fn row_of(a: f64) -> [f64; 3] {
    [a, 2.0 * a, 3.0 * a]
}

// A row of an array of arrays that carries derivatives is assigned an array literal, a repeat
// or a `[f64; 3]` variable; a call's result is bound first.
#[differentiable(wrt(x))]
fn from_a_call(x: &[[f64; 3]]) -> f64 {
    let mut y = vec![[0.0; 3]; x.len()];
    y[0] = row_of(x[0][1]);
    y[0][0]
}

// A shared slice of rows is read only.
#[differentiable(wrt(x))]
fn into_shared(x: &[[f64; 3]]) -> f64 {
    x[0] = [1.0, 2.0, 3.0];
    x[0][0]
}

fn main() {}
