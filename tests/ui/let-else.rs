use tapeless::differentiable;

#[differentiable]
fn f(x: f64, k: Option<usize>) -> f64 {
    let Some(n) = k else { return x; };
    x
}

fn main() {}
