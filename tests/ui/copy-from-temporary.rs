use tapeless::differentiable;

#[differentiable]
fn double(x: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; x.len()];
    for i in 0..x.len() {
        v[i] = 2.0 * x[i];
    }
    v
}

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut u = vec![0.0; x.len()];
    u.copy_from_slice(&double(x));
    u[0]
}

fn main() {}
