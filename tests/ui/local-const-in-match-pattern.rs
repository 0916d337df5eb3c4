use tapeless::differentiable;

#[differentiable]
fn f(x: f64, k: usize) -> f64 {
    const TWO: usize = 2;
    let y = match k {
        TWO => 2.0 * x,
        _ => x,
    };
    y
}

fn main() {}
