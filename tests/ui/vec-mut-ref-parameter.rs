use tapeless::differentiable;

#[differentiable]
fn f(u: &mut Vec<f64>) {
    u[0] = 1.0;
}

fn main() {}
