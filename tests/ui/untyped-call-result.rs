use tapeless::differentiable;

#[differentiable]
fn make(x: f64) -> [f64; 2] {
    [x, 2.0 * x]
}

#[differentiable]
fn use_it(x: f64) -> f64 {
    let v = make(x);
    v[0] * v.sin()
}

fn main() {}
