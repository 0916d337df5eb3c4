use tapeless::differentiable;

fn step(y: f64) -> Option<f64> {
    if y > 1.0 {
        Some(y * 0.5)
    } else {
        None
    }
}

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    while let Some(h) = step(y) {
        y = y - h;
    }
    y
}

fn main() {}
