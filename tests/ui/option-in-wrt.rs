use tapeless::differentiable;

// An `Option` is data: its value is not differentiated.
#[differentiable(wrt(x, weight))]
fn cost(x: f64, weight: Option<f64>) -> f64 {
    match weight {
        Some(w) => w * x * x,
        None => x,
    }
}

fn main() {}
