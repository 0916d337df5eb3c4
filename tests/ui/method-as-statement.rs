use tapeless::differentiable;

#[differentiable]
fn f(u: &mut [f64]) {
    u.swap(0, 1);
}

fn main() {}
