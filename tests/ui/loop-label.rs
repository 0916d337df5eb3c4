use tapeless::differentiable;

#[differentiable]
fn f(u: &[f64]) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..u.len() {
        s += u[i];
    }
    s
}

fn main() {}
