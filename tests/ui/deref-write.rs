use tapeless::differentiable;

#[differentiable]
fn f(x: f64, u: &mut [f64]) {
    *u = [x];
}

fn main() {}
