use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    if x {
        y = 1.0;
    }
    y
}

fn main() {}
