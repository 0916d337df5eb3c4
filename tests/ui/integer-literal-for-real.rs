use tapeless::differentiable;

#[differentiable]
fn ramp(x: f64) -> f64 {
    let mut y = x;
    if x > 0 {
        y = 2.0 * x;
    }
    y
}

fn main() {}
