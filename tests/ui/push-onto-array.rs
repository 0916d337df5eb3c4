use tapeless::differentiable;

#[differentiable]
fn grow(x: f64) -> f64 {
    let mut v = vec![0.0; 2];
    v.push(x);
    v[0] + x
}

fn main() {}
