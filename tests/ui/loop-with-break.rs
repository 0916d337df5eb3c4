use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    loop {
        y = y.sqrt();
        if y < 2.0 {
            break;
        }
    }
    y
}

fn main() {}
