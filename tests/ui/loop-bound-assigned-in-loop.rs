use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut n = u.len();
    let mut s = 0.0;
    for i in 0..n {
        s += u[i];
        if s > 1.0 {
            n = i;
        }
    }
    s * n as f64
}

fn main() {}
