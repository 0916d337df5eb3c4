use tapeless::differentiable;

#[differentiable]
fn f(u: &mut [f64], v: &[f64]) {
    u = v;
}

fn main() {}
