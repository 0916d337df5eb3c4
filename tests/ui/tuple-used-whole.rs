use tapeless::differentiable;

#[differentiable]
fn pair(x: f64) -> (f64, f64) {
    (x, x * x)
}

#[differentiable]
fn swap(x: f64) -> (f64, f64) {
    let t: (f64, f64) = pair(x);
    let u = t;
    (u.1, u.0)
}

fn main() {}
