use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    if x > 0 {
        return x;
    }
    2 * x
}

fn main() {}
