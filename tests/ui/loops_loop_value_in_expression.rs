use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut y = x;
    2.0 * loop {
        y = y * 0.5;
        if y < 1.0 {
            break y;
        }
    }
}

fn main() {}
