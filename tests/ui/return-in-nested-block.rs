use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    for i in 0..u.len() {
        {
            return u[i];
        }
    }
    0.0
}

fn main() {}
