use tapeless::differentiable;

#[differentiable]
fn make(x: f64) -> Vec<f64> {
    vec![x, 2.0 * x]
}

#[differentiable]
fn use_it(x: f64) -> f64 {
    let v = make(x);
    v[0] * v[1]
}

fn main() {}
