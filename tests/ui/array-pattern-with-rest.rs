use tapeless::differentiable;

#[differentiable]
fn f(a: [f64; 3]) -> f64 {
    let [x, ..] = a;
    x * x
}

fn main() {}
