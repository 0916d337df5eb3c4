use tapeless::differentiable;

#[differentiable]
fn f(u: &mut [f64]) {
    unsafe {
        u[0] = 1.0;
    }
}

fn main() {}
