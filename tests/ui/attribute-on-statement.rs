use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    #[rustfmt::skip]
    let y = x   *   2.0;
    y
}

fn main() {}
