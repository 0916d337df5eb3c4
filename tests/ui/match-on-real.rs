use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    match x {
        0.0 => y = 1.0,
        _ => y = 2.0 * x,
    }
    y
}

fn main() {}
