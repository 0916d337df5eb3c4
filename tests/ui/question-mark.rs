use tapeless::differentiable;

#[differentiable]
fn f(x: f64, k: Option<usize>) -> f64 {
    let n = k?;
    x
}

fn main() {}
