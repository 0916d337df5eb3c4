use tapeless::differentiable;

#[differentiable]
fn f(x: f64, u: &mut [f64]) {
    u[0] = x % 2.0;
    u[1] = x.fract();
}

fn main() {}
