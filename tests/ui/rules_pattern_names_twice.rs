use tapeless::differentiable;

#[differentiable(wrt(x), wrt(x, c) as f_all, wrt(c) as f_all)]
fn f(x: f64, c: f64) -> f64 {
    x * c
}

fn main() {}
