use tapeless::differentiable;

#[differentiable]
fn f(x: &mut [f64]) {
    x.iter_mut().for_each(|v| {
        if *v < 0.0 {
            return;
        }
        *v *= 2.0;
    });
}

fn main() {}
