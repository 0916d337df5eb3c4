use tapeless::differentiable;

#[differentiable]
fn f(x: f64, i: usize) -> f64 {
    let y = x % 2.0;
    let z = y * i;
    z
}

fn main() {}
