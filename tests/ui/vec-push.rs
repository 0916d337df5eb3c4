use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> Vec<f64> {
    let mut v = vec![0.0; 0];
    v.push(x);
    v
}

fn main() {}
