use tapeless::differentiable;

#[differentiable]
fn f(x: f64, i: usize) -> f64 {
    x * i
}

fn main() {}
