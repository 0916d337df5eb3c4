use tapeless::differentiable;

#[differentiable]
fn residual(y: f64, a: f64) -> f64 {
    y * y - a
}

#[differentiable]
fn root(a: f64) -> f64 {
    let mut y = a;
    while residual(y, a).abs() > 1e-12 {
        y = 0.5 * (y + a / y);
    }
    y
}

fn main() {}
