use tapeless::differentiable;

#[differentiable]
fn f(u: &Vec<f64>) -> f64 {
    u[0] * u[1]
}

fn main() {}
