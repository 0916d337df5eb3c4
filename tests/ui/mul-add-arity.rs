use tapeless::differentiable;

#[differentiable]
fn f(x: f64, a: f64) -> f64 {
    x.mul_add(a)
}

fn main() {}
