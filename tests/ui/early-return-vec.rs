use tapeless::differentiable;

#[differentiable]
fn f(x: f64, n: usize) -> Vec<f64> {
    if x > 1.0 {
        return vec![x; n];
    }
    vec![0.0; n]
}

fn main() {}
