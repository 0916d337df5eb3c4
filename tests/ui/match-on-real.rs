use tapeless::differentiable;

#[differentiable]
fn f(x: f64, u: &mut [f64]) {
    match x {
        0.0 => u[0] = 1.0,
        _ => u[0] = 2.0 * x,
    }
}

fn main() {}
