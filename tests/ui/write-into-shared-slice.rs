use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64], x: f64) {
    u[0] = x;
}

fn main() {}
