use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize, u: &mut [f64]) {
    match n {
        0 => u[0] = 1.0,
        k => u[0] = x * k as f64,
    }
}

fn main() {}
