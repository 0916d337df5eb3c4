use tapeless::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let mut c = [1.0, 2.0];
    let g = move |t: f64| t * c[0];
    c[0] = x;
    g(x) + c[0]
}

fn main() {}
