use tapeless::differentiable;

#[differentiable]
fn scale(u: &mut [f64]) {
    if u[0] > 1.0 {
        return;
    }
    u[0] = 2.0 * u[0];
}

fn main() {}
