use tapeless::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    let mut stack = vec![0.0; 3];
    for i in 0..3 {
        stack[i] = x[i] * x[i];
    }
    let mut s = 0.0;
    while let Some(v) = stack.pop() {
        s = s * 0.5 + v;
    }
    s
}

fn main() {}
