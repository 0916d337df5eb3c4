use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = x * x;
    drop(x);
    y
}

fn main() {}
