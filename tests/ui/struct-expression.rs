use tapeless::differentiable;

pub struct P {
    pub k: f64,
}

#[differentiable]
fn f(x: f64) -> f64 {
    let p = P { k: x };
    x
}

fn main() {}
