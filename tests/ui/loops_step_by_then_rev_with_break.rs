use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..u.len()).step_by(2).rev() {
        if u[i] < 0.0 {
            break;
        }
        s += u[i];
    }
    s
}

fn main() {}
