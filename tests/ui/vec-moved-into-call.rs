use tapeless::differentiable;

#[differentiable]
fn g(u: Vec<f64>) -> f64 {
    u[0]
}

#[differentiable]
fn f(x: f64) -> f64 {
    let v = vec![x; 3];
    g(v)
}

fn main() {}
