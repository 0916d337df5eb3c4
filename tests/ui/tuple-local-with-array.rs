use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64], a: f64) -> f64 {
    let p = (a, x.to_vec());
    p.0 * p.1[0]
}

fn main() {}
