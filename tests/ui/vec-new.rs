use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> Vec<f64> {
    let v: Vec<f64> = Vec::new();
    v
}

fn main() {}
