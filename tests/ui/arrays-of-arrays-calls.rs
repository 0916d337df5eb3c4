use tapeless::differentiable;

#[differentiable(wrt(x))]
fn first(x: &[[f64; 3]]) -> f64 {
    x[0][0]
}

#[differentiable(wrt(x))]
fn shifted(x: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut y = vec![[0.0; 3]; x.len()];
    for k in 0..x.len() {
        y[k][0] = x[k][1];
    }
    y
}

// A local array of arrays passed by value: a differentiable function takes it by reference.
#[differentiable(wrt(x))]
fn by_value(x: &[f64]) -> f64 {
    let mut p = vec![[0.0; 3]; 2];
    p[1][2] = x[0];
    first(p)
}

// Deeper nesting is returned flat.
#[differentiable(wrt(x))]
fn deeper(x: &[[f64; 3]]) -> Vec<[[f64; 3]; 2]> {
    let mut y = vec![[[0.0; 3]; 2]; 1];
    y[0][0][0] = x[0][0];
    y
}

// Returned as part of a tuple (its type written, as nothing else says it holds rows), then
// bound by a caller from the tuple: not yet.
#[differentiable(wrt(x))]
fn pair(x: &[[f64; 3]]) -> (Vec<[f64; 3]>, f64) {
    let y: Vec<[f64; 3]> = shifted(x);
    (y, x[0][0])
}

#[differentiable(wrt(x))]
fn pair_bound(x: &[[f64; 3]]) -> f64 {
    let (y, s): (Vec<[f64; 3]>, f64) = pair(x);
    y[0][1] * s
}

fn main() {}
