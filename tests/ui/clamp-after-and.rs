use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    if x > 0.0 && x.clamp(0.0, 1.0) > 0.5 {
        y = 2.0 * x;
    }
    y
}

fn main() {}
