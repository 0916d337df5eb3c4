use tapeless::differentiable;

#[differentiable]
fn f(x: f64, b: bool) -> f64 {
    let mut y = x;
    if b && x {
        y = 1.0;
    }
    y
}

fn main() {}
