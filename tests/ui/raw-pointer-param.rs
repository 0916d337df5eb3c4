use tapeless::differentiable;

#[differentiable]
fn f(x: *const f64) -> f64 {
    2.0
}

fn main() {}
