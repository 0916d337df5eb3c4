use tapeless::differentiable;

#[differentiable(wrt(x))]
fn cost(x: f64, weight: Option<f64>) -> f64 {
    match weight {
        Some(w) if w > 0.0 => w * x * x,
        _ => x,
    }
}

fn main() {}
