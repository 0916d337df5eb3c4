use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut n = 0;
    n = x;
    x
}

fn main() {}
