use tapeless::differentiable;

#[differentiable]
#[differentiable(wrt(x))]
fn f(x: f64, c: f64) -> f64 {
    x * c
}

fn main() {
    let _ = f_grad(1.0, 2.0);
}
