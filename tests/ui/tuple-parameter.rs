use tapeless::differentiable;

#[differentiable]
fn f(p: (f64, f64)) -> f64 {
    2.0
}

fn main() {}
