use tapeless::differentiable;

fn note(n: usize) {}

#[differentiable]
fn f(x: f64, n: usize) -> f64 {
    note(n);
    x
}

fn main() {}
