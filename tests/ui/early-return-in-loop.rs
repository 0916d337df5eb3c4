use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    for i in 0..u.len() {
        if u[i] > 1.0 {
            return u[i];
        }
    }
    0.0
}

fn main() {}
