use tapeless::differentiable;

#[differentiable]
fn f(a: f64, b: f64, c: f64) -> f64 {
    let [x, rest @ ..] = [a, b, c];
    x * rest[1]
}

fn main() {}
