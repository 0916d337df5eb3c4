use tapeless::differentiable;

#[differentiable(wrt(x))]
fn weighted(x: f64, w: Option<f64>) -> f64 {
    match w {
        Some(w) => w * x,
        None => x,
    }
}

#[differentiable]
fn f(x: f64) -> f64 {
    weighted(x, Some(x * x))
}

fn main() {}
