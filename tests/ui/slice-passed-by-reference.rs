use tapeless::differentiable;

#[differentiable]
fn sum(u: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..u.len() {
        s += u[i];
    }
    s
}

#[differentiable]
fn f(u: &[f64]) -> f64 {
    sum(&u)
}

fn main() {}
