use tapeless::differentiable;

#[differentiable]
fn pair(x: f64) -> (f64, f64) {
    (x, x * x)
}

#[differentiable]
fn f(x: f64) -> f64 {
    let t = pair(x);
    t.0 * t.1
}

fn main() {}
